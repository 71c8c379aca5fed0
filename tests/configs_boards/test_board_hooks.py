"""The board library's hook scripts, run for real on a fake images directory."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from skifftest import requires_tools, which

from skiff_tui.core.library.packages import discover, env_var_for
from skiff_tui.core.library.resolve import resolve

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SKIFF_", "BINARIES_DIR", "HOST_DIR"))}
    env.update(
        {
            "BINARIES_DIR": str(tmp_path / "images"),
            "HOST_DIR": str(tmp_path / "host"),
            "SKIFF_BUILDROOT_DIR": str(tmp_path),
        }
    )
    env.update(extra)
    return env


def _fake_tool(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)


def _run_board_post_hooks(board: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    """The board chain's post hooks in chain order, as skiff's generated wrapper runs them
    (docs/packages.md "Hooks"): each with SKIFF_CURRENT_CONF_DIR set, all with the chain's
    SKIFF_CONFIG_PATH_* variables; stops at the first failure. base/post is left out."""
    chain = [p for p in resolve(discover(CONFIGS, env={}), [board]).packages if p.name != "base/post"]
    env = dict(
        env,
        SKIFF_CONFIG_PATH_VAR=" ".join(env_var_for(p.name) for p in chain),
        **{env_var_for(p.name): str(p.path) for p in chain},
    )
    out, err = [], []
    for pkg in chain:
        hook = pkg.path / "hooks" / "post.sh"
        if not hook.is_file():
            continue
        proc = subprocess.run(
            [str(hook)], env=dict(env, SKIFF_CURRENT_CONF_DIR=str(pkg.path)), capture_output=True, text=True
        )
        out.append(proc.stdout)
        err.append(proc.stderr)
        if proc.returncode != 0:
            break
    return subprocess.CompletedProcess([board], proc.returncode, "".join(out), "".join(err))


@pytest.fixture
def fake_host(tmp_path):
    (tmp_path / "images").mkdir()
    # mkimage stand-in: records its arguments and writes the -d input to the output file.
    _fake_tool(
        tmp_path / "host" / "bin" / "mkimage",
        'echo "$@" > "$(dirname "$0")/mkimage.args"\n'
        'while [ $# -gt 1 ]; do [ "$1" = -d ] && src="$2"; shift; done\n'
        'cp "$src" "$1"\n',
    )
    return tmp_path


@pytest.mark.parametrize("board,arch", [("odroid/c4", "arm"), ("allwinner/nezha", "riscv"), ("bananapi/m2plus", "arm")])
def test_board_hook_compiles_boot_script(fake_host, board, arch):
    tmp_path = fake_host
    pkg = CONFIGS / board
    images = tmp_path / "images"
    if board.startswith("odroid/"):
        # the Amlogic signing step needs its tools; give it a stand-in build-fip.sh
        _fake_tool(images / "amlogic-boot-fip" / "build-fip.sh", 'head -c 2048 /dev/urandom > "$3/u-boot.bin.sd.bin"\n')
        (images / "u-boot.bin").write_bytes(b"u")
    proc = _run_board_post_hooks(board, _env(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("boot script:") == 1, proc.stdout  # staged once, by the family's hook
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
    proc = _run_board_post_hooks("pine64/rockpro64", _env(fake_host))
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
        "console=tty1 console=ttyAMA0,115200 root=/dev/ram0 ro net.ifnames=0\n"
    )
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
    (fake_host / "images" / ".disable-serial-console").touch()
    proc = _run_board_post_hooks("bananapi/m2plus", _env(fake_host))
    assert proc.returncode == 0, proc.stderr
    scr = (fake_host / "images" / "boot_part" / "boot.scr").read_text()
    assert "console=ttyS0" not in scr and "console=tty1" in scr
    assert "root=/dev/ram0" in scr


@pytest.mark.parametrize("board", ["bananapi/m1", "orangepi/zero", "pine64/h64", "odroid/u", "allwinner/licheerv"])
def test_each_family_stages_only_the_selected_boards_boot_files(fake_host, board):
    """One hook in the family's shared package stages the board of the chain, not its siblings."""
    proc = _run_board_post_hooks(board, _env(fake_host))
    assert proc.returncode == 0, proc.stderr
    scripts = CONFIGS / board / "resources" / "boot-scripts"
    staged = fake_host / "images" / "boot_part"
    if (scripts / "boot.txt").is_file():
        assert (staged / "boot.scr").read_text() == (scripts / "boot.txt").read_text()
    if (scripts / "extlinux.conf").is_file():
        assert (staged / "extlinux" / "extlinux.conf").read_text() == (scripts / "extlinux.conf").read_text()
    assert f"{board}/resources/boot-scripts" in proc.stdout
    assert proc.stdout.count("boot_part/") == sum(1 for f in ("boot.txt", "extlinux.conf") if (scripts / f).is_file())


def test_beaglebone_family_hook_stages_loader_and_board_script(fake_host):
    images = fake_host / "images"
    for blob in ("MLO", "u-boot.img"):
        (images / blob).write_bytes(blob.encode())
    proc = _run_board_post_hooks("beaglebone/black", _env(fake_host))
    assert proc.returncode == 0, proc.stderr
    assert (images / "boot_part" / "MLO").read_bytes() == b"MLO"
    assert "beaglebone/black/resources/boot-scripts" in proc.stdout


def test_chain_staging_outside_skiff_says_what_is_missing(fake_host):
    """Run by hand without the chain's variables: a one-line refusal, nothing staged."""
    pkg = CONFIGS / "bananapi" / "common"
    proc = subprocess.run(
        [str(pkg / "hooks" / "post.sh")],
        env=_env(fake_host, SKIFF_CURRENT_CONF_DIR=str(pkg)),
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0 and "SKIFF_CONFIG_PATH_VAR" in proc.stderr
    assert "run this hook through skiff" in proc.stderr
    assert not (fake_host / "images" / "boot_part" / "boot.scr").exists()
