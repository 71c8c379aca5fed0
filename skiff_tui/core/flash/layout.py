"""The card layout `skiff flash format` writes (docs/behaviour.md#sd-cards) and reading a table back.

p1 FAT32 `BOOT` 8 GiB, p2 ext4 `rootfs` 2 GiB, p3 ext4 `persist` the rest. A card smaller than
that gets all three shrunk by the same factor (down to `min_factor`), and the plan says so; below
that the format is refused with the size needed.

The table is GPT (docs/behaviour.md#sd-cards, Raspberry Pi) unless a board's raw bootloader blobs sit where a GPT
lives (bytes 512–17408, or the boot code at byte 0 like Amlogic's): then MBR. p1 starts at 1 MiB,
or after the last blob's end rounded up to 1 MiB (Rockchip u-boot.itb at 8 MiB → p1 at 10 MiB).
Both can be forced (`table`, `first_start`); a blob that would land on the table, a partition
or another blob is refused naming both.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..errors import FlashError, FlashErrorKind
from .units import GIB, MIB, SECTOR, human_size, parse_size

ALIGN = MIB  # every partition starts on a 1 MiB boundary
GPT_TAIL = 33 * SECTOR  # backup GPT: 32 sectors of entries + the header
TYPE_BASIC_DATA = "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"  # FAT boot partition (what parted's fat32 sets)
TYPE_ESP = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"  # EFI System partition (UEFI PCs)
TYPE_LINUX = "0FC63DAF-8483-4772-8E79-3D69D8477DE4"
MBR_TYPES = {"fat32": "c", "esp": "ef", "linux": "83"}  # FAT32 (LBA), EFI System, Linux
GPT_TYPES = {"fat32": TYPE_BASIC_DATA, "esp": TYPE_ESP, "linux": TYPE_LINUX}
BOOT_TYPES = ("fat32", "esp")
TABLES = ("gpt", "mbr")
GPT_HEADER_AREA = (SECTOR, 34 * SECTOR)  # primary header + entries: raw blobs must not land here
MBR_BOOT_CODE = 440  # boot code; 440–446 disk signature (a blob may overwrite it)
MBR_TABLE_AREA = (446, SECTOR)  # the four partition entries and the 0x55AA signature
MBR_LIMIT = 2**32 * SECTOR  # an MBR entry cannot reach past 2 TiB (512-byte sectors)


@dataclass(frozen=True)
class Part:
    number: int
    name: str  # GPT partition name == filesystem label ("" on MBR)
    fstype: str  # vfat / ext4
    start: int  # bytes
    size: int  # bytes
    type_guid: str  # GPT type GUID, or the MBR type in hex ("c", "ef", "83")
    bootable: bool = False  # MBR active flag (GPT: the LegacyBIOSBootable attribute)

    @property
    def end(self) -> int:
        return self.start + self.size

    @property
    def label(self) -> str:
        return self.name or {1: "BOOT", 2: "rootfs", 3: "persist"}.get(self.number, "")


@dataclass(frozen=True)
class Extent:
    """A raw bootloader blob as the layout sees it: a name, a byte offset and a size."""

    name: str
    offset: int
    size: int

    @property
    def end(self) -> int:
        return self.offset + self.size

    def describe(self) -> str:
        return f"{self.name} ({_bytes(self.size)} at byte {self.offset})"


def _bytes(n: int) -> str:
    return f"{n} bytes" if n < 1024 else f"{human_size(n)}, {n} bytes"


def _round_up(n: int, align: int) -> int:
    return -(-n // align) * align


def _extents(blobs: Sequence[Blob | Extent]) -> list[Extent]:
    return [b if isinstance(b, Extent) else Extent(b.name, b.offset, b.size) for b in blobs]


@dataclass(frozen=True)
class Geometry:
    """What `format` writes: the table type, the partitions and why they are where they are."""

    table: str  # gpt / mbr
    parts: list[Part]
    note: str = ""  # shrunk layout, MBR 2 TiB cap
    reasons: tuple[str, ...] = ()  # why this table, why p1 starts where it does

    def describe(self) -> list[str]:
        kind = "GPT" if self.table == "gpt" else "MBR (dos)"
        lines = [f"partition table: {kind}" + (f" ({self.reasons[0]})" if self.reasons else "")]
        for p in self.parts:
            ptype = (
                f"type 0x{int(p.type_guid, 16):02x}"
                if self.table == "mbr"
                else _GPT_NAMES.get(p.type_guid, p.type_guid)
            )
            flag = (", bootable" if self.table == "mbr" else ", legacy BIOS bootable") if p.bootable else ""
            lines.append(
                f"p{p.number} {'FAT32' if p.fstype == 'vfat' else p.fstype} '{p.label}' from byte "
                f"{p.start} ({human_size(p.start)}), {human_size(p.size)}, {ptype}{flag}"
            )
        lines += list(self.reasons[1:])
        return lines


_GPT_NAMES = {TYPE_BASIC_DATA: "Microsoft basic data", TYPE_ESP: "EFI System", TYPE_LINUX: "Linux filesystem"}


@dataclass(frozen=True)
class Layout:
    boot: int = 8 * GIB
    rootfs: int = 2 * GIB
    persist_min: int = 1 * GIB
    min_factor: float = 0.125  # smallest proportional shrink accepted (1.375 GiB cards)
    table: str | None = None  # gpt / mbr; None: MBR when a blob sits in the GPT area, else GPT
    first_start: int | None = None  # p1's byte offset; None: 1 MiB, or after the last blob (1 MiB aligned)
    boot_type: str = "fat32"  # fat32 (basic data / 0x0c) or esp (EFI System / 0xef)
    boot_active: bool = False  # MBR bootable flag on p1 (BeagleBone's ROM wants it)

    def __post_init__(self) -> None:
        if self.table not in (None, *TABLES):
            raise FlashError(f"unknown partition table {self.table!r}", hint="use gpt or mbr")
        if self.boot_type not in BOOT_TYPES:
            raise FlashError(f"unknown boot partition type {self.boot_type!r}", hint="use fat32 or esp")

    def scaled(self, factor: float) -> Layout:
        """Same proportions, smaller: tests use this to work on megabyte-sized images."""

        def s(n: int) -> int:
            return max(ALIGN, int(n * factor) // ALIGN * ALIGN)

        return replace(self, boot=s(self.boot), rootfs=s(self.rootfs), persist_min=s(self.persist_min))

    def with_options(
        self,
        *,
        table: str | None = None,
        first_start: int | None = None,
        boot_type: str | None = None,
        boot_active: bool | None = None,
    ) -> Layout:
        """This layout with the options that are given (not None) replaced."""
        return replace(
            self,
            table=self.table if table is None else table,
            first_start=self.first_start if first_start is None else first_start,
            boot_type=self.boot_type if boot_type is None else boot_type,
            boot_active=self.boot_active if boot_active is None else boot_active,
        )

    @property
    def nominal(self) -> int:
        return self.boot + self.rootfs + self.persist_min

    def min_disk_size(self, first_start: int = ALIGN) -> int:
        return first_start + int(self.nominal * self.min_factor) + ALIGN

    # -- where things go --------------------------------------------------------------------------
    def choose_table(self, blobs: Sequence[Blob | Extent] = ()) -> tuple[str, str]:
        """(gpt|mbr, why). A blob in the GPT's sectors (or in the MBR boot code, like Amlogic's
        head at byte 0) needs an MBR table; an explicit `table` wins, checked by `check_extents`."""
        exts = _extents(blobs)
        if self.table:
            return self.table, f"--table {self.table}"
        inside = [e for e in exts if e.offset < GPT_HEADER_AREA[1]]
        if inside:
            e = inside[0]
            return "mbr", (f"chosen because {e.describe()} lies where a GPT would be (bytes 0–{GPT_HEADER_AREA[1]})")
        return "gpt", "no boot blob below byte 17408" if exts else "the default"

    def first_partition_start(self, blobs: Sequence[Blob | Extent] = (), sector: int = SECTOR) -> tuple[int, str]:
        exts = _extents(blobs)
        if self.first_start is not None:
            start = self.first_start
            if start % sector:
                raise FlashError(f"--first-partition-start {start} is not a multiple of the {sector}-byte sector size")
            return start, f"p1 starts at byte {start} (--first-partition-start)"
        last = max(exts, key=lambda e: e.end, default=None)
        if last is None or last.end <= ALIGN:
            return ALIGN, ""
        start = _round_up(last.end, ALIGN)
        return start, f"p1 starts at {human_size(start)}: after {last.name}, which ends at byte {last.end}"

    def geometry(self, disk_size: int, blobs: Sequence[Blob | Extent] = (), sector: int = SECTOR) -> Geometry:
        """The table and partitions for a disk of `disk_size` bytes holding `blobs`."""
        exts = _extents(blobs)
        table, why_table = self.choose_table(exts)
        start, why_start = self.first_partition_start(exts, sector)
        floor = GPT_HEADER_AREA[1] if table == "gpt" else SECTOR
        if start < floor:
            raise FlashError(f"p1 cannot start at byte {start}: the {table.upper()} table needs bytes 0–{floor}")
        parts, note = self._fit(disk_size, table, start)
        reasons = (why_table,) + ((why_start,) if why_start else ())
        check_extents(exts, parts, disk_size, table)
        return Geometry(table, parts, note, reasons)

    def fit(self, disk_size: int, blobs: Sequence[Blob | Extent] = ()) -> tuple[list[Part], str]:
        """Partitions for a disk of `disk_size` bytes and a note ('' when the default sizes fit)."""
        g = self.geometry(disk_size, blobs)
        return g.parts, g.note

    def _fit(self, disk_size: int, table: str, start: int) -> tuple[list[Part], str]:
        notes = []
        if table == "gpt":
            usable_end = (disk_size - GPT_TAIL) // ALIGN * ALIGN
        else:
            usable_end = min(disk_size, MBR_LIMIT) // ALIGN * ALIGN
            if disk_size > MBR_LIMIT:
                notes.append(
                    f"an MBR table reaches 2 TiB: the {human_size(disk_size - MBR_LIMIT)} past that stay unused"
                )
        usable = usable_end - start
        boot, rootfs = self.boot, self.rootfs
        if usable < self.nominal:
            factor = usable / self.nominal if usable > 0 else 0
            if factor < self.min_factor:
                raise FlashError(
                    f"disk too small for the layout: {human_size(disk_size)}, at least "
                    f"{human_size(self.min_disk_size(start))} needed (BOOT {human_size(self.boot)}, rootfs "
                    f"{human_size(self.rootfs)}, persist ≥ {human_size(self.persist_min)}, shrunk at most "
                    f"to {self.min_factor:.1%})",
                    kind=FlashErrorKind.NO_SPACE,
                    hint="use a larger card",
                )
            boot = max(ALIGN, int(self.boot * factor) // ALIGN * ALIGN)
            rootfs = max(ALIGN, int(self.rootfs * factor) // ALIGN * ALIGN)
            notes.insert(
                0,
                f"disk is smaller than the {human_size(self.nominal)} layout: partitions shrunk "
                f"proportionally to {factor:.0%} (BOOT {human_size(boot)}, rootfs {human_size(rootfs)})",
            )
        types = MBR_TYPES if table == "mbr" else GPT_TYPES
        parts = [
            Part(1, "BOOT", "vfat", start, boot, types[self.boot_type], self.boot_active),
            Part(2, "rootfs", "ext4", start + boot, rootfs, types["linux"]),
        ]
        p3 = start + boot + rootfs
        parts.append(Part(3, "persist", "ext4", p3, usable_end - p3, types["linux"]))
        return parts, "; ".join(notes)


def check_extents(blobs: Sequence[Blob | Extent], parts: list[Part], disk_size: int, table: str | None) -> None:
    """Refuse, in one line naming the blob (offset, size) and what it would hit, any raw blob that
    overlaps the partition table, a partition, another blob or the end of the target."""
    exts = _extents(blobs)
    for e in exts:
        if e.size <= 0:
            raise FlashError(f"bootloader {e.name} at byte {e.offset} is empty")
        if e.end > disk_size:
            raise FlashError(
                f"bootloader {e.describe()} runs past the end of the target ({human_size(disk_size)})",
                kind=FlashErrorKind.NO_SPACE,
            )
        if table == "gpt" and e.offset < GPT_HEADER_AREA[1] and e.end > MBR_BOOT_CODE:
            raise FlashError(
                f"bootloader {e.describe()} would overwrite the GPT (bytes {MBR_BOOT_CODE}–{GPT_HEADER_AREA[1]})",
                hint="boards with a blob there need an MBR table: format the card with its blobs "
                "and without --table gpt",
            )
        if table == "mbr" and e.offset < MBR_TABLE_AREA[1] and e.end > MBR_TABLE_AREA[0]:
            raise FlashError(
                f"bootloader {e.describe()} would overwrite the MBR partition table (bytes "
                f"{MBR_TABLE_AREA[0]}–{MBR_TABLE_AREA[1]})",
                hint=f"only boot code goes at byte 0: its first {MBR_BOOT_CODE} bytes",
            )
        for p in parts:
            if e.offset < p.end and e.end > p.start:
                raise FlashError(
                    f"bootloader {e.describe()} overlaps partition {p.number} "
                    f"({p.label or 'unnamed'}, bytes {p.start}–{p.end})",
                    hint="leave --first-partition-start out, or give one after the blob's end",
                )
    for i, a in enumerate(exts):
        for b in exts[i + 1 :]:
            if a.offset < b.end and b.offset < a.end:
                raise FlashError(f"bootloader {a.describe()} overlaps bootloader {b.describe()}")


def sfdisk_script(parts: list[Part], sector: int = SECTOR, table: str = "gpt") -> str:
    """sfdisk counts in the disk's logical sectors (4096 on 4Kn disks), not always 512 bytes."""
    if table == "mbr":
        lines = ["label: dos", "unit: sectors"]
        for p in parts:
            lines.append(
                f"start={p.start // sector}, size={p.size // sector}, type={p.type_guid}"
                + (", bootable" if p.bootable else "")
            )
        return "\n".join(lines) + "\n"
    first = min(ALIGN, parts[0].start) if parts else ALIGN
    lines = ["label: gpt", "unit: sectors", f"first-lba: {first // sector}"]
    for p in parts:
        lines.append(
            f'start={p.start // sector}, size={p.size // sector}, type={p.type_guid}, name="{p.name}"'
            + (', attrs="LegacyBIOSBootable"' if p.bootable else "")
        )
    return "\n".join(lines) + "\n"


def read_layout(target: str | Path) -> tuple[str, list[Part]]:
    """("gpt"|"mbr", partitions) of an image file or disk, via `sfdisk -J` (no kernel involved)."""
    if shutil.which("sfdisk") is None:
        raise FlashError("sfdisk is not installed", hint="install the 'fdisk' package")
    proc = subprocess.run(["sfdisk", "-J", str(target)], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        msg = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "no partition table"
        raise FlashError(f"{target}: cannot read the partition table: {msg}", hint="run 'skiff flash format' first")
    table = json.loads(proc.stdout)["partitiontable"]
    sector = int(table.get("sectorsize", SECTOR))
    parts = []
    for i, p in enumerate(table.get("partitions", []), start=1):
        parts.append(
            Part(
                i,
                p.get("name", ""),
                "",
                int(p["start"]) * sector,
                int(p["size"]) * sector,
                p.get("type", ""),
                bool(p.get("bootable", False)),
            )
        )
    return ("mbr" if table.get("label") == "dos" else table.get("label", "gpt")), parts


def read_table(target: str | Path) -> list[Part]:
    """The GPT/MBR partitions of an image file or disk."""
    return read_layout(target)[1]


def skiff_partitions(target: str | Path) -> dict[str, Part]:
    """BOOT/rootfs/persist of a card formatted by skiff (or by SkiffOS's format script: matched by
    position when the GPT names are absent)."""
    parts = read_table(target)
    by_name = {p.name: p for p in parts if p.name in ("BOOT", "rootfs", "persist")}
    if len(by_name) == 3:
        return by_name
    if len(parts) >= 3:
        return {"BOOT": parts[0], "rootfs": parts[1], "persist": parts[2]}
    raise FlashError(
        f"{target} does not have the skiff layout (BOOT, rootfs, persist): found {len(parts)} partition(s)",
        hint="run 'skiff flash format' first",
    )


# --- raw bootloader blobs ---------------------------------------------------------------------
@dataclass(frozen=True)
class Blob:
    """A raw bootloader image written at a byte offset of the disk (e.g. u-boot at 8 KiB)."""

    path: Path
    offset: int

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    def describe(self) -> str:
        return f"{self.name} at byte {self.offset} ({self.size} bytes, up to byte {self.offset + self.size})"

    def data(self) -> bytes:
        return self.path.read_bytes()


def parse_blob(spec: str) -> Blob:
    path, sep, off = spec.rpartition(":")
    if not sep or not path:
        raise FlashError(f"--bootloader {spec!r}: expected FILE:BYTE-OFFSET", hint="e.g. u-boot.bin:8K")
    blob = Blob(Path(path), parse_size(off))
    if not blob.path.is_file():
        raise FlashError("bootloader file not found", path=blob.path)
    return blob


def check_blobs(blobs: list[Blob], parts: list[Part], disk_size: int, table: str | None = "gpt") -> None:
    """Refuse a blob that would land on the partition table, a partition or another blob."""
    check_extents(blobs, parts, disk_size, table)
