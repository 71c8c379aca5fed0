"""Sizes shared by the flash modules, with no heavy imports (the CLI loads this at startup)."""

from __future__ import annotations

SECTOR = 512
KIB = 1024
MIB = 1024 ** 2
GIB = 1024 ** 3


def human_size(n: int) -> str:
    """Sizes the way card vendors print them (GB) and the way the layout speaks (GiB), short."""
    if n >= GIB:
        return f"{n / GIB:.1f} GiB"
    if n >= MIB:
        return f"{n / MIB:.0f} MiB"
    if n >= 1024:
        return f"{n / 1024:.0f} KiB"
    return f"{n} B"
