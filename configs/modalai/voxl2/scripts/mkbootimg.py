#!/usr/bin/env python3
"""Write an Android boot image (header version 0) as Qualcomm's ABL loads it.

Layout: one page of header, then the kernel, the ramdisk and the optional
second stage, each padded to the page size. The header's id field is the SHA-1
of every section followed by its size (32-bit little endian), as AOSP does.
Addresses are given as a base plus offsets (the AOSP tool's convention).
"""

from __future__ import annotations

import argparse
import hashlib
import struct
import sys
from pathlib import Path

MAGIC = b"ANDROID!"
# magic, kernel size/addr, ramdisk size/addr, second size/addr, tags addr,
# page size, header version, os version, name, cmdline, id, extra cmdline.
HEADER = struct.Struct("<8s10I16s512s32s1024s")
CMDLINE_MAX = 512 + 1024 - 2  # both fields keep a terminating NUL


def _int(text: str) -> int:
    return int(text, 0)


def build(
    kernel: bytes,
    ramdisk: bytes,
    second: bytes,
    *,
    base: int,
    kernel_offset: int,
    ramdisk_offset: int,
    second_offset: int,
    tags_offset: int,
    page_size: int,
    cmdline: str,
    name: str = "",
) -> bytes:
    raw_cmdline = cmdline.encode()
    if len(raw_cmdline) > CMDLINE_MAX:
        raise ValueError(f"kernel command line is {len(raw_cmdline)} bytes; at most {CMDLINE_MAX} fit")
    if page_size & (page_size - 1) or page_size < 2048:
        raise ValueError(f"page size {page_size} is not a power of two >= 2048")
    digest = hashlib.sha1()
    for blob in (kernel, ramdisk, second):
        digest.update(blob)
        digest.update(struct.pack("<I", len(blob)))
    header = HEADER.pack(
        MAGIC,
        len(kernel),
        (base + kernel_offset) & 0xFFFFFFFF,
        len(ramdisk),
        (base + ramdisk_offset) & 0xFFFFFFFF,
        len(second),
        (base + second_offset) & 0xFFFFFFFF,
        (base + tags_offset) & 0xFFFFFFFF,
        page_size,
        0,
        0,
        name.encode()[:15],
        raw_cmdline[:511],
        digest.digest(),
        raw_cmdline[511:],
    )

    def padded(blob: bytes) -> bytes:
        return blob + b"\0" * (-len(blob) % page_size)

    return padded(header) + padded(kernel) + padded(ramdisk) + (padded(second) if second else b"")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kernel", required=True, type=Path)
    p.add_argument("--ramdisk", type=Path)
    p.add_argument("--second", type=Path)
    p.add_argument("--cmdline", default="")
    p.add_argument("--board", default="", help="name stored in the header (15 bytes)")
    p.add_argument("--base", type=_int, default=0x10000000)
    p.add_argument("--kernel_offset", type=_int, default=0x00008000)
    p.add_argument("--ramdisk_offset", type=_int, default=0x01000000)
    p.add_argument("--second_offset", type=_int, default=0x00F00000)
    p.add_argument("--tags_offset", type=_int, default=0x00000100)
    p.add_argument("--pagesize", type=_int, default=2048)
    p.add_argument("-o", "--output", required=True, type=Path)
    args = p.parse_args(argv)
    try:
        image = build(
            args.kernel.read_bytes(),
            args.ramdisk.read_bytes() if args.ramdisk else b"",
            args.second.read_bytes() if args.second else b"",
            base=args.base,
            kernel_offset=args.kernel_offset,
            ramdisk_offset=args.ramdisk_offset,
            second_offset=args.second_offset,
            tags_offset=args.tags_offset,
            page_size=args.pagesize,
            cmdline=args.cmdline,
            name=args.board,
        )
    except (OSError, ValueError) as exc:
        print(f"mkbootimg: {exc}", file=sys.stderr)
        return 1
    tmp = args.output.with_name(args.output.name + ".tmp")
    tmp.write_bytes(image)
    tmp.replace(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
