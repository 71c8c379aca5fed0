"""Per-card settings (hostname, Wi-Fi, SSH keys) written into persist at write/install time,
read back from the card or image with debugfs (cat, stat): content, mode 0600 for secrets, root."""

from __future__ import annotations

import base64
import os
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flash_testkit import SMALL, SMALL_IMAGE, sh  # noqa: E402

from skiff_tui.cli import main  # noqa: E402
from skiff_tui.core.errors import FlashError  # noqa: E402
from skiff_tui.core.flash import execute as flash  # noqa: E402
from skiff_tui.core.flash import install_set as flash_install_set
from skiff_tui.core.flash import plan as flash_plan
from skiff_tui.core.flash.layout import skiff_partitions  # noqa: E402
from skiff_tui.core.flash.settings import CardSettings, parse_wifi, settings_from_args  # noqa: E402


def pubkey(path: Path, comment: str = "me@laptop") -> Path:
    """A real ed25519 public key line (the wire format: length-prefixed type, then 32 bytes)."""
    blob = struct.pack(">I", 11) + b"ssh-ed25519" + struct.pack(">I", 32) + os.urandom(32)
    path.write_text(f"ssh-ed25519 {base64.b64encode(blob).decode()} {comment}\n")
    return path


def cat(target: Path | str, offset: int, path: str) -> str:
    return sh("debugfs", "-R", f"cat {path}", f"{target}?offset={offset}").stdout


def mode_uid(target: Path | str, offset: int, path: str) -> tuple[str, str]:
    out = sh("debugfs", "-R", f"stat {path}", f"{target}?offset={offset}").stdout
    mode = re.search(r"Mode:\s+(\d+)", out).group(1)
    uid = re.search(r"User:\s+(\d+)", out).group(1)
    return mode, uid


@pytest.fixture
def skiff_image(tools, tmp_path, build_output) -> Path:
    img = tmp_path / "skiff.img"
    install = flash_install_set.collect_install(build_output["images"], build_output["layers"])
    flash.execute(flash_plan.plan_buildimage(img, SMALL_IMAGE, SMALL, install=install))
    return img


def _files(tmp_path: Path) -> tuple[Path, Path]:
    wifi = tmp_path / "wifi.txt"
    wifi.write_text("# networks\nOffice WLAN:office-pass-123\nCafé\tpass:with:colons\n")
    return wifi, pubkey(tmp_path / "id_ed25519.pub")


def test_write_with_settings_then_read_the_card_back(skiff_image, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SKIFF_NO_INTERACTIVE", "1")
    wifi, key = _files(tmp_path)
    out = tmp_path / "card.img"
    code = main(
        [
            "flash",
            "write",
            "--image",
            str(skiff_image),
            "--device",
            str(out),
            "--hostname",
            "pi-kitchen",
            "--wifi",
            "Home:secret-pass",
            "--wifi-file",
            str(wifi),
            "--ssh-key",
            str(key),
        ]
    )
    text = capsys.readouterr()
    assert code == 0, text.err
    assert "persist: hostname pi-kitchen" in text.out and "Wi-Fi 'Home' (passphrase stored 0600)" in text.out
    assert "card settings written into persist" in text.out
    persist = skiff_partitions(out)["persist"].start
    assert cat(out, persist, "/skiff/hostname") == "pi-kitchen\n"
    home = cat(out, persist, "/skiff/connections/Home.nmconnection")
    assert "ssid=Home" in home and "psk=secret-pass" in home and "key-mgmt=wpa-psk" in home
    assert "psk=pass:with:colons" in cat(out, persist, "/skiff/connections/Caf.nmconnection")
    assert "psk=office-pass-123" in cat(out, persist, "/skiff/connections/Office_WLAN.nmconnection")
    assert mode_uid(out, persist, "/skiff/connections/Home.nmconnection") == ("0600", "0")
    assert mode_uid(out, persist, "/skiff/hostname") == ("0644", "0")
    assert cat(out, persist, "/skiff/keys/skiff-flash-1.pub") == key.read_text()
    # what the build put in persist is still there; the filesystem is clean
    assert cat(out, persist, "/skiff/etc/keep.conf") == "default from build\n"
    fsck = sh("e2fsck", "-fn", f"{out}?offset={persist}", check=False)
    assert fsck.returncode == 0, fsck.stdout


def test_compressed_image_and_install_take_settings_too(skiff_image, tmp_path):
    if shutil.which("xz") is None:
        pytest.skip("xz not installed (Debian: xz-utils)")
    sh("xz", "-k", "-T1", str(skiff_image))
    packed = Path(str(skiff_image) + ".xz")
    out = tmp_path / "from-xz.img"
    settings = CardSettings("from-xz")
    plan = flash_plan.plan_write(packed, flash.open_target(out, create_size=0), settings=settings)
    flash.execute(plan)
    persist = skiff_partitions(out)["persist"].start
    assert cat(out, persist, "/skiff/hostname") == "from-xz\n"
    # install on the same card: a new hostname replaces the old; the Wi-Fi file is added
    settings = CardSettings("second", [parse_wifi("Lab:lab-passphrase")])
    plan = flash_plan.plan_install(flash.open_target(out), _install(tmp_path), settings=settings)
    flash.execute(plan)
    assert cat(out, persist, "/skiff/hostname") == "second\n"
    assert mode_uid(out, persist, "/skiff/connections/Lab.nmconnection") == ("0600", "0")


def _install(tmp_path: Path) -> flash_install_set.InstallSet:
    images = tmp_path / "ws" / "images"
    return flash_install_set.collect_install(images, [])


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"hostname": "bad_name!"}, "--hostname 'bad_name!': "),
        ({"wifi": ["no-colon"]}, "--wifi: expected SSID:PASSPHRASE"),
        ({"wifi": ["Home:short"]}, "--wifi (network 'Home'): the passphrase is 5 characters long"),
        ({"wifi": ["Home:long-enough-1", "Home:long-enough-2"]}, "two Wi-Fi networks would share"),
    ],
)
def test_bad_settings_are_one_line(kwargs, message):
    args = {"hostname": None, "wifi": [], "wifi_files": [], "ssh_keys": []} | kwargs
    with pytest.raises(FlashError) as err:
        settings_from_args(**args)
    assert str(err.value).startswith(message) and "\n" not in str(err.value)


def test_bad_files_name_file_and_line(tmp_path):
    wifi = tmp_path / "w.txt"
    wifi.write_text("Good:good-passphrase\nBad:x\n")
    with pytest.raises(FlashError, match=rf"{wifi}:2 \(network 'Bad'\): the passphrase is 1 characters"):
        settings_from_args(None, [], [str(wifi)], [])
    private = tmp_path / "id_ed25519"
    private.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n")
    with pytest.raises(FlashError, match=rf"{private}:1: this is a private key"):
        settings_from_args(None, [], [], [str(private)])


def test_image_without_persist_is_refused_before_writing(tmp_path):
    plain = tmp_path / "plain.img"
    plain.write_bytes(os.urandom(64 * 1024))
    out = tmp_path / "never.img"
    with pytest.raises(FlashError, match="has no persist partition: the card settings"):
        flash_plan.plan_write(plain, flash.open_target(out, create_size=0), settings=CardSettings("x"))
    assert out.stat().st_size == 0


def test_settings_on_a_loop_device_read_back_from_the_device(tools, tmp_path, build_output):
    if os.geteuid() != 0 or shutil.which("losetup") is None:
        pytest.skip("loop devices need root and losetup (CI runs as root)")
    from skiff_tui.core.flash import devices as dv

    backing = tmp_path / "card.bin"
    with open(backing, "wb") as f:
        f.truncate(SMALL_IMAGE)
    proc = subprocess.run(["losetup", "-f", "--show", str(backing)], capture_output=True, text=True)
    if proc.returncode:
        pytest.skip(f"losetup failed here: {proc.stderr.strip()}")
    node = proc.stdout.strip()
    try:
        source = dv.PyudevSource()
        target = flash.open_target(node, source=source, show_all=True, min_size=SMALL.min_disk_size())
        install = flash_install_set.collect_install(build_output["images"], build_output["layers"])
        key = pubkey(tmp_path / "k.pub")
        settings = settings_from_args("loop-board", ["Net:net-passphrase"], [], [str(key)])
        plan = flash_plan.plan_format(target, SMALL, install=install, settings=settings)
        outcome = flash.execute(plan, source=source)
        assert any(m.startswith("card settings written into persist") for m in outcome.messages)
        persist = skiff_partitions(node)["persist"].start
        assert cat(node, persist, "/skiff/hostname") == "loop-board\n"
        assert mode_uid(node, persist, "/skiff/connections/Net.nmconnection") == ("0600", "0")
        assert cat(node, persist, "/skiff/keys/skiff-flash-1.pub") == key.read_text()
    finally:
        subprocess.run(["partx", "-d", node], capture_output=True, check=False)
        subprocess.run(["losetup", "-d", node], check=False)
