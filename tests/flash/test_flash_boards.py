"""End to end: `skiff cmd <board> buildimage` runs the board package's Makefile, which calls
`skiff flash buildimage` with its blobs and layout options; the image is checked with the tools.

The skiff tree is a temporary one whose configs/ points at the repository's board packages (read
only); the build output is a fake images/ dir in its workspace (BUILDROOT_DIR, which the board
Makefiles read as SKIFF_IMAGES). The image is full size (12 GiB, sparse: ~110 MiB written).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flash_testkit import sh  # noqa: E402

from skiff_tui.core.flash.layout import TYPE_BASIC_DATA, TYPE_ESP, skiff_partitions  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
SKIFF = Path(sys.executable).parent / "skiff"
MIB = 1024 * 1024

# board, image variable, blobs (name, offset, size), table, p1 start, p1 type, p1 bootable
BOARDS = [
    ("pine64/h64", "PINE64_IMAGE", [("u-boot-sunxi-with-spl.bin", 8192, 700_000)], "dos", MIB, "c", False),
    (
        "pine64/rock64",
        "PINE64_IMAGE",
        [("idbloader.img", 32768, 150_000), ("u-boot.itb", 8 * MIB, 1_200_000)],
        "gpt",
        16 * MIB,
        TYPE_BASIC_DATA,
        False,
    ),  # the board asks for p1 at 16 MiB
    (
        "odroid/c2",
        "ODROID_IMAGE",
        [("u-boot.bin.sd.bin.head", 0, 444), ("u-boot.bin.sd.bin.tail", 512, 1_000_000)],
        "dos",
        MIB,
        "c",
        True,
    ),
    ("intel/desktop", "INTEL_DESKTOP_IMAGE", [], "gpt", MIB, TYPE_ESP, False),
    ("beaglebone/black", "BEAGLEBONE_IMAGE", [], "dos", MIB, "c", True),
]


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "configs").symlink_to(REPO / "configs", target_is_directory=True)
    images = root / "workspaces" / "default" / "images"
    (images / "boot_part" / "extlinux").mkdir(parents=True)
    (images / "Image").write_bytes(os.urandom(200_000))
    (images / "rootfs.cpio.lz4").write_bytes(os.urandom(300_000))
    (images / "boot_part" / "extlinux" / "extlinux.conf").write_text("label skiff\n  kernel /Image\n")
    (images / "rootfs_part" / "etc").mkdir(parents=True)
    (images / "rootfs_part" / "etc" / "hostname").write_text("board\n")
    return root, images


@pytest.mark.skipif(not SKIFF.exists(), reason=f"no skiff entry point next to {sys.executable}")
@pytest.mark.parametrize("board,var,blobs,label,p1,p1type,active", BOARDS, ids=[b[0] for b in BOARDS])
def test_board_buildimage_end_to_end(tools, tree, tmp_path, board, var, blobs, label, p1, p1type, active):
    root, images = tree
    data = {}
    for name, _offset, size in blobs:
        data[name] = os.urandom(size)
        (images / name).write_bytes(data[name])
    img = tmp_path / "board.img"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SKIFF", "MAKE", "MFLAGS")) and not k.endswith(("_SD", "_IMAGE"))
    }
    env.update(SKIFF_ROOT_DIR=str(root), SKIFF=str(SKIFF), SKIFF_NO_INTERACTIVE="1", **{var: str(img)})
    proc = subprocess.run(
        [str(SKIFF), "cmd", board, "buildimage"],
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = json.loads(sh("sfdisk", "-J", str(img)).stdout)["partitiontable"]
    assert table["label"] == label
    first = table["partitions"][0]
    assert first["start"] * 512 == p1 and first["type"] == p1type
    assert bool(first.get("bootable")) is active
    assert len(table["partitions"]) == 3
    with open(img, "rb") as f:
        for name, offset, size in blobs:
            f.seek(offset)
            assert f.read(size) == data[name], f"{name} intact at byte {offset}"
            assert f"bootloader {name} at byte {offset} ({size} bytes" in proc.stdout
        f.seek(510)
        assert f.read(2) == b"\x55\xaa"
    parts = skiff_partitions(img)
    listing = sh("mdir", "-b", "-/", "-i", f"{img}@@{parts['BOOT'].start}", "::/").stdout
    assert "::/Image" in listing and "::/extlinux/extlinux.conf" in listing and "::/rootfs.cpio.lz4" in listing
    for name in ("rootfs", "persist"):
        fsck = sh("e2fsck", "-fn", f"{img}?offset={parts[name].start}", check=False)
        assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    assert sh("debugfs", "-R", "cat /etc/hostname", f"{img}?offset={parts['rootfs'].start}").stdout == "board\n"
