"""The card layout `skiff flash format` writes (SPEC §9) and reading a table back.

GPT; p1 FAT32 `BOOT` 8 GiB, p2 ext4 `rootfs` 2 GiB, p3 ext4 `persist` the rest. A card smaller
than that gets all three shrunk by the same factor (down to `min_factor`), and the plan says so;
below that the format is refused with the size needed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

from .flash_units import GIB, MIB, SECTOR, human_size
from .errors import SkiffError

ALIGN = MIB                          # every partition starts on a 1 MiB boundary
GPT_TAIL = 33 * SECTOR               # backup GPT: 32 sectors of entries + the header
TYPE_BASIC_DATA = "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"   # FAT boot partition (what parted's fat32 sets)
TYPE_LINUX = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
GPT_HEADER_AREA = (SECTOR, 34 * SECTOR)   # primary header + entries: raw blobs must not land here


class FlashError(SkiffError):
    """A flash step that cannot go ahead or failed: layout, tools, copy, verification."""

    def __init__(self, message: str, *, kind: str = "error", **kw) -> None:
        super().__init__(message, **kw)
        self.kind = kind   # error, unplugged, write-protected, no-space, stalled, io, changed, verify


@dataclass(frozen=True)
class Part:
    number: int
    name: str            # GPT partition name == filesystem label
    fstype: str          # vfat / ext4
    start: int           # bytes
    size: int            # bytes
    type_guid: str

    @property
    def end(self) -> int:
        return self.start + self.size


@dataclass(frozen=True)
class Layout:
    boot: int = 8 * GIB
    rootfs: int = 2 * GIB
    persist_min: int = 1 * GIB
    min_factor: float = 0.125        # smallest proportional shrink accepted (1.375 GiB cards)

    def scaled(self, factor: float) -> "Layout":
        """Same proportions, smaller: tests use this to work on megabyte-sized images."""
        def s(n: int) -> int:
            return max(ALIGN, int(n * factor) // ALIGN * ALIGN)
        return replace(self, boot=s(self.boot), rootfs=s(self.rootfs), persist_min=s(self.persist_min))

    @property
    def nominal(self) -> int:
        return self.boot + self.rootfs + self.persist_min

    def min_disk_size(self) -> int:
        return ALIGN + int(self.nominal * self.min_factor) + ALIGN

    def fit(self, disk_size: int) -> tuple[list[Part], str]:
        """Partitions for a disk of `disk_size` bytes and a note ('' when SPEC sizes fit)."""
        usable_end = (disk_size - GPT_TAIL) // ALIGN * ALIGN
        usable = usable_end - ALIGN
        note = ""
        boot, rootfs = self.boot, self.rootfs
        if usable < self.nominal:
            factor = usable / self.nominal if usable > 0 else 0
            if factor < self.min_factor:
                raise FlashError(
                    f"disk too small for the layout: {human_size(disk_size)}, at least "
                    f"{human_size(self.min_disk_size())} needed (BOOT {human_size(self.boot)}, rootfs "
                    f"{human_size(self.rootfs)}, persist ≥ {human_size(self.persist_min)}, shrunk at most "
                    f"to {self.min_factor:.1%})", kind="no-space", hint="use a larger card")
            boot = max(ALIGN, int(self.boot * factor) // ALIGN * ALIGN)
            rootfs = max(ALIGN, int(self.rootfs * factor) // ALIGN * ALIGN)
            note = (f"disk is smaller than the {human_size(self.nominal)} layout: partitions shrunk "
                    f"proportionally to {factor:.0%} (BOOT {human_size(boot)}, rootfs {human_size(rootfs)})")
        start = ALIGN
        parts = [Part(1, "BOOT", "vfat", start, boot, TYPE_BASIC_DATA),
                 Part(2, "rootfs", "ext4", start + boot, rootfs, TYPE_LINUX)]
        p3 = start + boot + rootfs
        parts.append(Part(3, "persist", "ext4", p3, usable_end - p3, TYPE_LINUX))
        return parts, note


def sfdisk_script(parts: list[Part], sector: int = SECTOR) -> str:
    """sfdisk counts in the disk's logical sectors (4096 on 4Kn disks), not always 512 bytes."""
    lines = ["label: gpt", "unit: sectors", f"first-lba: {ALIGN // sector}"]
    for p in parts:
        lines.append(f"start={p.start // sector}, size={p.size // sector}, type={p.type_guid}, name=\"{p.name}\"")
    return "\n".join(lines) + "\n"


def read_table(target: str | Path) -> list[Part]:
    """The GPT/MBR partitions of an image file or disk, via `sfdisk -J` (no kernel involved)."""
    if shutil.which("sfdisk") is None:
        raise FlashError("sfdisk is not installed", hint="install the 'fdisk' package")
    proc = subprocess.run(["sfdisk", "-J", str(target)], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        msg = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "no partition table"
        raise FlashError(f"{target}: cannot read the partition table: {msg}",
                         hint="run 'skiff flash format' first")
    table = json.loads(proc.stdout)["partitiontable"]
    sector = int(table.get("sectorsize", SECTOR))
    parts = []
    for i, p in enumerate(table.get("partitions", []), start=1):
        name = p.get("name", "")
        parts.append(Part(i, name, "", int(p["start"]) * sector, int(p["size"]) * sector, p.get("type", "")))
    return parts


def skiff_partitions(target: str | Path) -> dict[str, Part]:
    """BOOT/rootfs/persist of a card formatted by skiff (or by SkiffOS's format script: matched by
    position when the GPT names are absent)."""
    parts = read_table(target)
    by_name = {p.name: p for p in parts if p.name in ("BOOT", "rootfs", "persist")}
    if len(by_name) == 3:
        return by_name
    if len(parts) >= 3:
        return {"BOOT": parts[0], "rootfs": parts[1], "persist": parts[2]}
    raise FlashError(f"{target} does not have the skiff layout (BOOT, rootfs, persist): "
                     f"found {len(parts)} partition(s)", hint="run 'skiff flash format' first")
