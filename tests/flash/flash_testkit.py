"""Helpers shared by the flash tests (imported by path: tests use importlib import mode)."""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

from skiff_tui.core.flash.layout import Layout

TOOLS = ("sfdisk", "mkfs.vfat", "mkfs.ext4", "mcopy", "mdir", "mtype", "debugfs", "e2fsck")
# 1/128 of the default card layout: BOOT 64 MiB (FAT32 needs >= 32 MiB at 512 B clusters), rootfs 16 MiB,
# persist >= 8 MiB. The product default stays the full-size layout (test_flash_plans checks it).
SMALL = Layout().scaled(1 / 128)
SMALL_IMAGE = 100 * 1024 * 1024


def sh(*argv: str, check: bool = True, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        list(argv), capture_output=True, text=True, check=check, env=dict(os.environ, MTOOLS_SKIP_CHECK="1"), **kw
    )


def region_hash(path: str | Path, start: int, size: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        f.seek(start)
        left = size
        while left:
            data = f.read(min(left, 1 << 20))
            if not data:
                break
            h.update(data)
            left -= len(data)
    return h.hexdigest()
