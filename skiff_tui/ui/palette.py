"""One entry of the command palette (see commands.py for the provider that shows them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple


class PaletteCommand(NamedTuple):
    title: str
    help: str
    callback: Callable[[], object]
    mutating: bool = False
    discover: bool = True
    action: str = ""  # the binding action it mirrors (tests check every binding has a command)
