"""The board library's hook scripts, run for real on a fake images directory."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from skifftest import requires_tools, which

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SKIFF_", "BINARIES_DIR", "HOST_DIR"))}
    env.update({"BINARIES_DIR": str(tmp_path / "images"), "HOST_DIR": str(tmp_path / "host"),
                "SKIFF_BUILDROOT_DIR": str(tmp_path)})
    env.update(extra)
    return env


def _fake_tool(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)


@pytest.fixture
def fake_host(tmp_path):
    (tmp_path / "images").mkdir()
    # mkimage stand-in: records its arguments and writes the -d input to the output file.
    _fake_tool(tmp_path / "host" / "bin" / "mkimage",
               'echo "$@" > "$(dirname "$0")/mkimage.args"\n'
               'while [ $# -gt 1 ]; do [ "$1" = -d ] && src="$2"; shift; done\n'
               'cp "$src" "$1"\n')
    return tmp_path


@pytest.mark.parametrize("board,arch", [("odroid/c4", "arm"), ("allwinner/nezha", "riscv"),
                                         ("bananapi/m2plus", "arm")])
def test_board_hook_compiles_boot_script(fake_host, board, arch):
    tmp_path = fake_host
    pkg = CONFIGS / board
    images = tmp_path / "images"
    if board.startswith("odroid/"):
        # the Amlogic signing step needs its tools; give it a stand-in build-fip.sh
        _fake_tool(images / "amlogic-boot-fip" / "build-fip.sh",
                   'head -c 2048 /dev/urandom > "$3/u-boot.bin.sd.bin"\n')
        (images / "u-boot.bin").write_bytes(b"u")
    env = _env(tmp_path, SKIFF_CURRENT_CONF_DIR=str(pkg))
    proc = subprocess.run([str(pkg / "hooks" / "post.sh")], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    scr = images / "boot_part" / "boot.scr"
    assert scr.read_text() == (pkg / "resources" / "boot-scripts" / "boot.txt").read_text()
    args = (tmp_path / "host" / "bin" / "mkimage.args").read_text().split()
    assert args[args.index("-A") + 1] == arch and args[args.index("-T") + 1] == "script"
    if board.startswith("odroid/"):
        blob = (images / "u-boot.bin.sd.bin").read_bytes()
        assert (images / "u-boot.bin.sd.bin.head").read_bytes() == blob[:444]
        assert (images / "u-boot.bin.sd.bin.tail").read_bytes() == blob[512:]


def test_extlinux_board_stages_menu(fake_host):
    pkg = CONFIGS / "pine64" / "rockpro64"
    env = _env(fake_host, SKIFF_CURRENT_CONF_DIR=str(pkg))
    proc = subprocess.run([str(pkg / "hooks" / "post.sh")], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    staged = fake_host / "images" / "boot_part" / "extlinux" / "extlinux.conf"
    assert staged.read_text() == (pkg / "resources" / "boot-scripts" / "extlinux.conf").read_text()
    assert not (fake_host / "images" / "boot_part" / "boot.scr").exists()


def test_amlogic_signing_fails_clearly_without_tools(fake_host):
    script = CONFIGS / "odroid" / "common" / "scripts" / "amlogic-fip.sh"
    proc = subprocess.run([str(script), "odroid-c4"], env=_env(fake_host), capture_output=True, text=True)
    assert proc.returncode != 0 and "build-fip.sh missing" in proc.stderr


def test_pi_hook_drops_serial_console_only_when_asked(fake_host):
    pkg = CONFIGS / "pi" / "common"
    images = fake_host / "images"
    (images / "rpi-firmware").mkdir()
    (images / "rpi-firmware" / "cmdline.txt").write_text(
        "console=tty1 console=ttyAMA0,115200 root=/dev/ram0 ro net.ifnames=0\n")
    env = _env(fake_host, SKIFF_CURRENT_CONF_DIR=str(pkg))
    proc = subprocess.run([str(pkg / "hooks" / "post.sh")], env=env, capture_output=True, text=True)
    assert proc.returncode == 0 and not (images / "boot_part" / "cmdline.txt").exists()
    (images / ".disable-serial-console").touch()
    proc = subprocess.run([str(pkg / "hooks" / "post.sh")], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert (images / "boot_part" / "cmdline.txt").read_text() == "root=/dev/ram0 ro net.ifnames=0\n"


def test_apu2_hook_cuts_mbr_code_and_places_grub_menu(fake_host):
    pkg = CONFIGS / "pcengines" / "apu2"
    images = fake_host / "images"
    boot_img = fake_host / "build" / "grub2-2.12" / "build-i386-pc" / "grub-core" / "boot.img"
    boot_img.parent.mkdir(parents=True)
    boot_img.write_bytes(bytes(range(256)) * 2)
    (images / "grub.img").write_bytes(b"core")
    env = _env(fake_host, SKIFF_CURRENT_CONF_DIR=str(pkg), BUILD_DIR=str(fake_host / "build"))
    proc = subprocess.run([str(pkg / "hooks" / "post.sh")], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert (images / "boot-mbr.img").read_bytes() == boot_img.read_bytes()[:440]
    assert (images / "boot_part" / "boot" / "grub" / "grub.cfg").read_text().startswith("# GRUB menu")


def test_uefi_hook_requires_grub_and_stages_it(fake_host):
    pkg = CONFIGS / "intel" / "uefi"
    images = fake_host / "images"
    env = _env(fake_host, SKIFF_CURRENT_CONF_DIR=str(pkg))
    proc = subprocess.run([str(pkg / "hooks" / "post.sh")], env=env, capture_output=True, text=True)
    assert proc.returncode != 0 and "bootx64.efi missing" in proc.stderr
    (images / "efi-part" / "EFI" / "BOOT").mkdir(parents=True)
    (images / "efi-part" / "EFI" / "BOOT" / "bootx64.efi").write_bytes(b"MZ")
    proc = subprocess.run([str(pkg / "hooks" / "post.sh")], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert (images / "boot_part" / "EFI" / "BOOT" / "bootx64.efi").read_bytes() == b"MZ"
    assert "search --no-floppy --label BOOT" in (images / "boot_part" / "EFI" / "BOOT" / "grub.cfg").read_text()


@requires_tools("mkfs.ext4", "debugfs")
def test_jetson_app_image_holds_boot_files(fake_host):
    pkg = CONFIGS / "jetson" / "agx"
    images = fake_host / "images"
    for name, data in (("Image", b"kernel"), ("rootfs.cpio.lz4", b"cpio")):
        (images / name).write_bytes(data)
    mkfs = which("mkfs.ext4")
    (fake_host / "host" / "sbin").mkdir(parents=True)
    os.symlink(mkfs, fake_host / "host" / "sbin" / "mkfs.ext4")
    script = CONFIGS / "jetson" / "common" / "scripts" / "make-app-image.sh"
    proc = subprocess.run([str(script), str(pkg), "16M"], env=_env(fake_host), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    image = images / "skiff-app.ext4"
    assert image.stat().st_size == 16 * 1024 * 1024
    debugfs = which("debugfs")
    if Path(debugfs).exists():
        listing = subprocess.run([debugfs, "-R", "ls -l /boot", str(image)], capture_output=True, text=True).stdout
        assert "Image" in listing and "rootfs.cpio.lz4" in listing and "extlinux" in listing


def test_noserial_marker_drops_serial_consoles_from_boot_script(fake_host):
    pkg = CONFIGS / "bananapi" / "m2plus"
    (fake_host / "images" / ".disable-serial-console").touch()
    env = _env(fake_host, SKIFF_CURRENT_CONF_DIR=str(pkg))
    proc = subprocess.run([str(pkg / "hooks" / "post.sh")], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    scr = (fake_host / "images" / "boot_part" / "boot.scr").read_text()
    assert "console=ttyS0" not in scr and "console=tty1" in scr
    assert "root=/dev/ram0" in scr
