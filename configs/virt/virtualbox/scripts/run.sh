#!/bin/bash
# Create (on first use) and start a VirtualBox VM that boots images/rootfs.iso9660.
#   VBOX_MEMORY     memory in MiB (default 2048)
#   VBOX_CPUS       virtual CPUs (default 2)
#   VBOX_DISK_MB    size of the persist disk when first created (default 32768)
#   VBOX_GUI=1      show the VM window (default: headless; serial log in the workspace)
#   VBOX_DRY_RUN=1  print the VBoxManage commands instead of running them
set -euo pipefail
die() { echo "virt/virtualbox: $*" >&2; exit 1; }

workspace="${BUILDROOT_DIR:-${SKIFF_WORKSPACE_DIR:-}}"
[ -n "$workspace" ] || die "BUILDROOT_DIR is not set; run this through 'skiff cmd virt/virtualbox run'"
ws_name="$(basename "$workspace" | tr '[:upper:]' '[:lower:]' | tr -c 'a-z0-9_.-' '-')"
vm="skiff-${SKIFF_WORKSPACE:-$ws_name}"
iso="$workspace/images/rootfs.iso9660"
state="$workspace/virtualbox"
disk="$state/persist.vdi"
serial_log="$state/serial.log"
dry_run="${VBOX_DRY_RUN:-0}"

vbox() {
    if [ "$dry_run" = 1 ]; then
        printf '%q ' VBoxManage "$@"; printf '\n'
    else
        VBoxManage "$@"
    fi
}

[ -f "$iso" ] || die "no $iso (build first: skiff compile)"
if [ "$dry_run" != 1 ]; then
    command -v VBoxManage >/dev/null 2>&1 || die "VBoxManage not found: install VirtualBox"
fi
mkdir -p "$state"

if [ "$dry_run" = 1 ] || ! VBoxManage showvminfo "$vm" >/dev/null 2>&1; then
    vbox createvm --name "$vm" --ostype Linux_64 --basefolder "$state" --register
    vbox modifyvm "$vm" --memory "${VBOX_MEMORY:-2048}" --cpus "${VBOX_CPUS:-2}" \
        --nic1 nat --nictype1 82540EM --graphicscontroller vmsvga --audio-driver none \
        --uart1 0x3F8 4 --uart-mode1 file "$serial_log" --boot1 dvd --boot2 disk
    vbox storagectl "$vm" --name SATA --add sata --controller IntelAhci --portcount 2
    if [ ! -f "$disk" ]; then
        vbox createmedium disk --filename "$disk" --size "${VBOX_DISK_MB:-32768}" --format VDI
    fi
    vbox storageattach "$vm" --storagectl SATA --port 0 --device 0 --type hdd --medium "$disk"
fi
# Always boot the ISO of the latest build.
vbox storageattach "$vm" --storagectl SATA --port 1 --device 0 --type dvddrive --medium "$iso"
if [ "${VBOX_GUI:-0}" = 1 ]; then
    vbox startvm "$vm" --type gui
else
    vbox startvm "$vm" --type headless
    [ "$dry_run" = 1 ] || echo "virt/virtualbox: $vm started headless; serial console log: $serial_log"
fi
