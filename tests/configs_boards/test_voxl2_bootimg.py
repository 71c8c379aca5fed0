"""modalai/voxl2 ships its own Android boot image writer (Buildroot 2026.02 has no mkbootimg)."""

from __future__ import annotations

import hashlib
import importlib.util
import struct
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "configs" / "modalai" / "voxl2" / "scripts" / "mkbootimg.py"


@pytest.fixture(scope="module")
def mkbootimg():
    spec = importlib.util.spec_from_file_location("voxl2_mkbootimg", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_header_fields_padding_and_id(mkbootimg):
    kernel, ramdisk = b"K" * 5000, b"R" * 100
    cmdline = "console=ttyMSM0 " + "x" * 600  # longer than the 512-byte field
    img = mkbootimg.build(
        kernel,
        ramdisk,
        b"",
        base=0x80000000,
        kernel_offset=0x8000,
        ramdisk_offset=0x01000000,
        second_offset=0x00F00000,
        tags_offset=0x01900000,
        page_size=4096,
        cmdline=cmdline,
        name="voxl2",
    )
    fields = mkbootimg.HEADER.unpack(img[: mkbootimg.HEADER.size])
    (magic, ksize, kaddr, rsize, raddr, ssize, saddr, tags, page, version, osver, name, cmd, ident, extra) = fields
    assert magic == b"ANDROID!"
    assert (ksize, kaddr, rsize, raddr) == (5000, 0x80008000, 100, 0x81000000)
    assert (ssize, saddr, tags, page, version) == (0, 0x80F00000, 0x81900000, 4096, 0)
    assert name.rstrip(b"\0") == b"voxl2"
    assert (cmd.rstrip(b"\0") + extra.rstrip(b"\0")).decode() == cmdline
    sha = hashlib.sha1()
    for blob in (kernel, ramdisk, b""):
        sha.update(blob)
        sha.update(struct.pack("<I", len(blob)))
    assert ident[:20] == sha.digest()
    # header page + 2 kernel pages + 1 ramdisk page, sections page-aligned
    assert len(img) == 4 * 4096
    assert img[4096 : 4096 + 5000] == kernel and img[3 * 4096 : 3 * 4096 + 100] == ramdisk


def test_rejects_oversized_command_line_and_bad_page_size(mkbootimg):
    with pytest.raises(ValueError, match="command line"):
        mkbootimg.build(
            b"k",
            b"",
            b"",
            base=0,
            kernel_offset=0,
            ramdisk_offset=0,
            second_offset=0,
            tags_offset=0,
            page_size=4096,
            cmdline="x" * 2000,
        )
    with pytest.raises(ValueError, match="page size"):
        mkbootimg.build(
            b"k",
            b"",
            b"",
            base=0,
            kernel_offset=0,
            ramdisk_offset=0,
            second_offset=0,
            tags_offset=0,
            page_size=3000,
            cmdline="",
        )


def test_command_line_interface(tmp_path):
    (tmp_path / "k").write_bytes(b"\x1f\x8b" + b"k" * 10)
    (tmp_path / "r").write_bytes(b"r" * 10)
    out = tmp_path / "boot.img"
    proc = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            "--kernel",
            str(tmp_path / "k"),
            "--ramdisk",
            str(tmp_path / "r"),
            "--pagesize",
            "4096",
            "--base",
            "0x80000000",
            "--cmdline",
            "console=ttyMSM0",
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes()[:8] == b"ANDROID!" and out.stat().st_size == 3 * 4096
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--kernel", str(tmp_path / "missing"), "-o", str(out)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1 and proc.stderr.startswith("mkbootimg: ")
