"""How the CLI talks: colour only on a terminal (never with NO_COLOR or into a pipe), and the
-q/-v verbosity every verb shares. Messages go to stderr; data (lists, JSON, logs) to stdout."""

from __future__ import annotations

import os
import sys
from typing import TextIO

QUIET, NORMAL, VERBOSE = 0, 1, 2
_level = NORMAL

STYLES = {"error": "1;31", "warning": "33", "note": "36", "ok": "32", "bold": "1", "dim": "2"}


def set_verbosity(level: int) -> None:
    global _level
    _level = level


def verbosity() -> int:
    return _level


def use_colour(stream: TextIO) -> bool:
    """https://no-color.org: any non-empty NO_COLOR turns colour off; so does a non-terminal."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def paint(text: str, style: str, stream: TextIO | None = None) -> str:
    stream = sys.stdout if stream is None else stream
    return f"\033[{STYLES[style]}m{text}\033[0m" if use_colour(stream) else text


def error(message: str) -> None:
    """Always shown, even with -q: the one line that says what went wrong."""
    print(f"skiff: {paint('error', 'error', sys.stderr)}: {message}", file=sys.stderr)


def warning(message: str) -> None:
    if _level >= NORMAL:
        print(f"skiff: {paint('warning', 'warning', sys.stderr)}: {message}", file=sys.stderr)


def info(message: str) -> None:
    """Progress and notes; -q hides them."""
    if _level >= NORMAL:
        print(message, file=sys.stderr)


def detail(message: str) -> None:
    """What only -v shows: the commands skiff runs, where it found things."""
    if _level >= VERBOSE:
        print(paint(message, "dim", sys.stderr), file=sys.stderr)
