"""Fixtures for the flash tests: tool presence, a Buildroot-shaped build output."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flash_testkit import TOOLS  # noqa: E402
from skifftest import need_tools  # noqa: E402


@pytest.fixture
def tools():
    need_tools(*TOOLS)


@pytest.fixture
def build_output(tmp_path: Path) -> dict:
    """A Buildroot-shaped images/ dir plus two layers with resources/rpi/{config,cmdline}.txt."""
    images = tmp_path / "ws" / "images"
    (images / "rpi-firmware" / "overlays").mkdir(parents=True)
    (images / "zImage").write_bytes(os.urandom(300_000))
    (images / "bcm2711-rpi-4-b.dtb").write_bytes(b"\xd0\x0d\xfe\xed" + os.urandom(4000))
    (images / "rpi-firmware" / "start4.elf").write_bytes(os.urandom(20_000))
    (images / "rpi-firmware" / "overlays" / "vc4-kms-v3d.dtbo").write_bytes(os.urandom(2_000))
    (images / "rootfs.squashfs").write_bytes(os.urandom(500_000))
    (images / "skiff-init").mkdir()
    (images / "skiff-init" / "skiff-init-squashfs").write_bytes(b"#!/bin/sh\necho init\n")
    (images / "boot_part").mkdir()
    (images / "boot_part" / "extra.txt").write_text("from boot_part\n")
    (images / "rootfs_part" / "etc").mkdir(parents=True)
    (images / "rootfs_part" / "etc" / "hostname").write_text("skiff-test\n")
    (images / "rootfs_part" / "etc" / "motd").symlink_to("hostname")
    (images / "persist_part" / "skiff" / "etc").mkdir(parents=True)
    (images / "persist_part" / "skiff" / "etc" / "keep.conf").write_text("default from build\n")
    layers = []
    for i, name in enumerate(("common", "board")):
        res = tmp_path / "pkgs" / name / "resources" / "rpi"
        res.mkdir(parents=True)
        (res / "config.txt").write_text(f"# config from {name}\n")
        if i == 0:
            (res / "cmdline.txt").write_text("console=tty1 root=/dev/mmcblk0p2\n")
        layers.append(res.parent.parent)
    return {"images": images, "layers": layers}
