"""Block maps in bmaptool's XML format (version 2.0): read, check and write; and the mapped
ranges of a sparse file (SEEK_DATA/SEEK_HOLE), which a bmap records and a write copies.

A bmap lists the blocks of an image that hold data, with a SHA-256 per range, and a checksum of
the bmap file itself (computed with that value written as 64 zeros). Writing only the mapped
ranges is what makes flashing an 8 GiB image with 300 MiB of data fast; the range checksums let
the writer prove the image it decompresses is the one the bmap describes.

Parsed with xml.etree: the bmap is small, and Python's expat does not fetch external entities
or expand entities recursively without bound (it refuses entity loops), so a hostile bmap can
at most be refused. Sizes are bounded before anything is allocated from them.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import FlashError

CHECKSUMS = {"sha256": 64, "sha1": 40}
MAX_BMAP_BYTES = 64 * 1024 * 1024  # a bmap of a 2 TB image with a range per block is far below
HOLE_ALIGN = 4096  # mapped ranges are whole pages: the unit filesystems allocate in


@dataclass
class BlockRange:
    first: int  # block numbers, inclusive
    last: int
    checksum: str = ""

    def byte_range(self, block_size: int, image_size: int) -> tuple[int, int]:
        start = self.first * block_size
        return start, min((self.last + 1) * block_size, image_size) - start


@dataclass
class Bmap:
    image_size: int
    block_size: int
    blocks_count: int
    mapped_blocks: int
    checksum_type: str = "sha256"
    ranges: list[BlockRange] = field(default_factory=list)
    path: Path | None = None

    def byte_ranges(self) -> list[tuple[int, int, str]]:
        """(offset, length, checksum) per range, lengths cut at the image's end."""
        return [(*r.byte_range(self.block_size, self.image_size), r.checksum) for r in self.ranges]

    @property
    def name(self) -> str:
        """The bmap file's name (one computed from an image has no file yet)."""
        return self.path.name if self.path else "computed block map"

    @property
    def mapped_bytes(self) -> int:
        return sum(n for _, n, _ in self.byte_ranges())

    def new_hash(self) -> hashlib._Hash:
        return hashlib.new(self.checksum_type)


def _int(root: ET.Element, tag: str, where: str) -> int:
    node = root.find(tag)
    text = (node.text or "").strip() if node is not None else ""
    if not text.isdigit():
        raise FlashError(f"{where}: <{tag}> missing or not a number", hint="is this a bmaptool .bmap file?")
    return int(text)


def parse_bmap(path: str | Path) -> Bmap:
    """The bmap at `path`, after checking its own checksum; FlashError naming the file otherwise."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BMAP_BYTES:
            raise FlashError(f"{path}: {path.stat().st_size} bytes is too large for a bmap")
        raw = path.read_bytes()
    except OSError as exc:
        raise FlashError(f"cannot read the bmap {path}: {exc.strerror}") from None
    where = str(path)
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise FlashError(
            f"{where}:{exc.position[0]}: not a valid bmap (XML: {exc})",
            hint="re-download it, or leave it out (--bmap) to write the whole image",
        ) from None
    if root.tag != "bmap":
        raise FlashError(f"{where}: not a bmap (root element <{root.tag}>)")
    version = root.get("version", "")
    if not re.fullmatch(r"[12]\.\d+", version):
        raise FlashError(f"{where}: bmap version {version or '(none)'} is not supported (1.x and 2.x are)")
    checksum_type = "sha1" if version.startswith("1.") else (root.findtext("ChecksumType") or "").strip()
    if checksum_type not in CHECKSUMS:
        raise FlashError(f"{where}: checksum type {checksum_type or '(none)'} is not supported (sha256, sha1)")
    tag = "BmapFileChecksum" if version.startswith("2.") else "BmapFileSHA1"
    own = (root.findtext(tag) or "").strip()
    if version.startswith("2.") or own:
        _check_own_checksum(raw, own, checksum_type, where)
    bmap = Bmap(
        _int(root, "ImageSize", where),
        _int(root, "BlockSize", where),
        _int(root, "BlocksCount", where),
        _int(root, "MappedBlocksCount", where),
        checksum_type,
        path=path,
    )
    if bmap.block_size <= 0 or bmap.block_size % 512 or bmap.blocks_count * bmap.block_size < bmap.image_size:
        raise FlashError(
            f"{where}: inconsistent sizes (BlockSize {bmap.block_size}, BlocksCount "
            f"{bmap.blocks_count}, ImageSize {bmap.image_size})"
        )
    width = CHECKSUMS[checksum_type]
    previous = -1
    mapped = 0
    block_map = root.find("BlockMap")
    for number, node in enumerate(block_map if block_map is not None else [], 1):
        text = (node.text or "").strip()
        m = re.fullmatch(r"(\d+)(?:\s*-\s*(\d+))?", text)
        if node.tag != "Range" or not m:
            raise FlashError(f"{where}: range {number} ({text!r}) is not 'FIRST-LAST' or 'BLOCK'")
        first = int(m.group(1))
        last = int(m.group(2)) if m.group(2) else first
        chksum = (node.get("chksum") or node.get("sha1") or "").strip().lower()
        if last < first or first <= previous or last >= bmap.blocks_count:
            raise FlashError(
                f"{where}: range {number} ({text}) overlaps, goes backwards or lies past "
                f"the image's {bmap.blocks_count} blocks"
            )
        if chksum and not re.fullmatch(rf"[0-9a-f]{{{width}}}", chksum):
            raise FlashError(f"{where}: range {number} has a malformed {checksum_type} checksum")
        bmap.ranges.append(BlockRange(first, last, chksum))
        mapped += last - first + 1
        previous = last
    if mapped != bmap.mapped_blocks:
        raise FlashError(f"{where}: MappedBlocksCount says {bmap.mapped_blocks}, the ranges hold {mapped}")
    return bmap


def _check_own_checksum(raw: bytes, own: str, kind: str, where: str) -> None:
    width = CHECKSUMS[kind]
    if not re.fullmatch(rf"[0-9a-fA-F]{{{width}}}", own):
        raise FlashError(f"{where}: the bmap's own checksum is missing or malformed")
    zeroed = raw.replace(own.encode(), b"0" * width, 1)
    if hashlib.new(kind, zeroed).hexdigest() != own.lower():
        raise FlashError(
            f"{where}: the bmap's own checksum is wrong: the file was changed or damaged",
            hint="re-download the bmap, or pass --no-bmap to write the whole image",
        )


def find_bmap(image: str | Path) -> Path | None:
    """A bmap beside the image: `<image>.bmap`, or for `x.img.xz` also `x.img.bmap` (bmaptool's habit)."""
    image = Path(image)
    candidates = [image.with_name(image.name + ".bmap")]
    stem, dot, ext = image.name.rpartition(".")
    if dot and ext.lower() in ("xz", "gz", "zst", "bz2", "lzo", "lz4", "zip"):
        candidates.append(image.with_name(stem + ".bmap"))
    if dot:
        candidates.append(image.with_name(stem + ".bmap"))  # x.img → x.bmap
    return next((c for c in candidates if c.is_file()), None)


# --- writing ----------------------------------------------------------------------------------
def mapped_ranges(fd: int, size: int) -> list[tuple[int, int]]:
    """(offset, length) of the data in a file, aligned to 4 KiB and merged; the whole file when
    the filesystem cannot tell holes apart."""
    ranges: list[tuple[int, int]] = []
    pos = 0
    try:
        while pos < size:
            try:
                start = os.lseek(fd, pos, os.SEEK_DATA)
            except OSError as exc:
                if exc.errno == errno.ENXIO:
                    break  # no more data
                raise
            end = os.lseek(fd, start, os.SEEK_HOLE)
            a, b = start // HOLE_ALIGN * HOLE_ALIGN, min(size, -(-end // HOLE_ALIGN) * HOLE_ALIGN)
            if ranges and a <= ranges[-1][0] + ranges[-1][1]:
                prev = ranges.pop()
                a = prev[0]
                b = max(b, prev[0] + prev[1])
            ranges.append((a, b - a))
            pos = end
    except OSError as exc:
        if exc.errno in (errno.EINVAL, errno.EOPNOTSUPP):
            return [(0, size)] if size else []
        raise
    return ranges


def bmap_for_file(image: str | Path, block_size: int = 4096) -> Bmap:
    """The bmap of a sparse file, from SEEK_DATA/SEEK_HOLE, with each range's SHA-256."""
    fd = os.open(image, os.O_RDONLY | os.O_CLOEXEC)
    try:
        size = os.fstat(fd).st_size
        blocks = -(-size // block_size)
        bmap = Bmap(size, block_size, blocks, 0)
        for off, n in mapped_ranges(fd, size):
            first, last = off // block_size, (off + n - 1) // block_size
            h = hashlib.sha256()
            pos, end = first * block_size, min((last + 1) * block_size, size)
            while pos < end:
                data = os.pread(fd, min(8 * 1024 * 1024, end - pos), pos)
                if not data:
                    break
                h.update(data)
                pos += len(data)
            bmap.ranges.append(BlockRange(first, last, h.hexdigest()))
            bmap.mapped_blocks += last - first + 1
        return bmap
    finally:
        os.close(fd)


def bmap_text(bmap: Bmap, image_name: str = "") -> str:
    """bmaptool's 2.0 layout, own checksum included."""
    pct = 100.0 * bmap.mapped_blocks / bmap.blocks_count if bmap.blocks_count else 0.0
    lines = [
        '<?xml version="1.0" ?>',
        f"<!-- Block map of {image_name or 'an image'} written by skiff: only the listed blocks hold",
        "     data; a bmap-aware writer copies those and checks each range's SHA-256. -->",
        "",
        '<bmap version="2.0">',
        f"    <ImageSize> {bmap.image_size} </ImageSize>",
        f"    <BlockSize> {bmap.block_size} </BlockSize>",
        f"    <BlocksCount> {bmap.blocks_count} </BlocksCount>",
        f"    <!-- Mapped: {pct:.1f}% -->",
        f"    <MappedBlocksCount> {bmap.mapped_blocks} </MappedBlocksCount>",
        "    <ChecksumType> sha256 </ChecksumType>",
        f"    <BmapFileChecksum> {'0' * 64} </BmapFileChecksum>",
        "    <BlockMap>",
    ]
    for r in bmap.ranges:
        span = f"{r.first}-{r.last}" if r.last != r.first else f"{r.first}"
        lines.append(f'        <Range chksum="{r.checksum}"> {span} </Range>')
    lines += ["    </BlockMap>", "</bmap>", ""]
    text = "\n".join(lines)
    own = hashlib.sha256(text.encode()).hexdigest()
    return text.replace("0" * 64, own, 1)


def write_bmap(image: str | Path, out: str | Path | None = None) -> Path:
    """`<image>.bmap` beside the image (atomically)."""
    from .. import atomic

    image = Path(image)
    out = Path(out) if out else image.with_name(image.name + ".bmap")
    atomic.write_text(out, bmap_text(bmap_for_file(image), image.name), within=out.parent, mode=0o644)
    return out
