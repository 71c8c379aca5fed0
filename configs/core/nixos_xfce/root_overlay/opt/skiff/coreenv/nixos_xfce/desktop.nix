# XFCE desktop for the skiff "core" user, imported by the container's configuration.nix.
{ pkgs, ... }:
{
  services.xserver.enable = true;
  services.xserver.desktopManager.xfce.enable = true;
  services.xserver.displayManager.lightdm.enable = true;
  services.pulseaudio.enable = true;

  users.users.core = {
    isNormalUser = true;
    extraGroups = [ "wheel" "audio" "video" ];
  };
  security.sudo.wheelNeedsPassword = false;

  environment.systemPackages = with pkgs; [ firefox xfce.xfce4-terminal git htop tmux ];
}
