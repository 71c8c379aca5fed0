"""Sizes shared by the flash modules, parsed and printed, with no heavy imports (the CLI loads this at startup)."""

from __future__ import annotations

import re

from ..errors import FlashError

SECTOR = 512
KIB = 1024
MIB = 1024**2
GIB = 1024**3

_UNITS = {
    "": 1,
    "b": 1,
    "k": 1024,
    "kb": 1000,
    "kib": 1024,
    "m": 1024**2,
    "mb": 1000**2,
    "mib": 1024**2,
    "g": 1024**3,
    "gb": 1000**3,
    "gib": 1024**3,
    "t": 1024**4,
    "tb": 1000**4,
    "tib": 1024**4,
    "s": 512,
}


def parse_size(text: str) -> int:
    """`12G`, `512MiB`, `8192`, `0x2000`, `16s` (sectors)."""
    value = text.strip()
    if value.lower().startswith("0x"):
        return int(value, 16)
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([A-Za-z]*)", value)
    if not m or m.group(2).lower() not in _UNITS:
        raise FlashError(f"invalid size {text!r}", hint="use a number with an optional unit: 12G, 512MiB, 8192")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def human_size(n: int) -> str:
    """Sizes the way card vendors print them (GB) and the way the layout speaks (GiB), short."""
    if n >= GIB:
        return f"{n / GIB:.1f} GiB"
    if n >= MIB:
        return f"{n / MIB:.0f} MiB"
    if n >= 1024:
        return f"{n / 1024:.0f} KiB"
    return f"{n} B"
