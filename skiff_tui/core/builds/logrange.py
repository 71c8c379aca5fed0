"""Any log file, and ranges of its lines: checking a path to open, parsing "120-180", and saving
the lines (what `skiff logs FILE` and the TUI's log viewer use, see docs/tui.md)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from .. import atomic, readonly
from ..errors import SkiffError

RANGE = re.compile(r"\s*(\d+)\s*(?:(?:-|–|\.\.|,|:)\s*(\d+)\s*)?\Z")
MAX_COPY_LINES = 100_000  # a clipboard (and a terminal's OSC 52 limit) is no place for more


def log_file(text: str | os.PathLike[str], base: Path | None = None) -> Path:
    """A readable regular file named by the user (~ expanded, relative to `base`), else a one-line
    error naming it."""
    raw = str(text).strip()
    if not raw:
        raise SkiffError("no file named", hint="type the path of a log file")
    path = Path(raw).expanduser()
    if not path.is_absolute() and base is not None:
        path = base / path
    if not path.exists():
        raise SkiffError("no such file", path=path)
    if not path.is_file():
        raise SkiffError("not a regular file (a log is a file)", path=path)
    if not os.access(path, os.R_OK):
        raise SkiffError("cannot read the file (permission denied)", path=path)
    return path


def parse_range(text: str, line_count: int) -> tuple[int, int]:
    """1-based inclusive "FIRST-LAST" (or one number) -> 0-based (first, last), checked against the
    file's `line_count`."""
    match = RANGE.match(text)
    if not match:
        raise SkiffError(f"not a line range: {text.strip()!r}", hint="type FIRST-LAST, e.g. 120-180")
    first = int(match[1])
    last = int(match[2]) if match[2] else first
    if first > last:
        first, last = last, first
    if first < 1 or last > line_count:
        raise SkiffError(f"lines {first}-{last} are outside the log (1-{line_count})")
    if last - first + 1 > MAX_COPY_LINES:
        raise SkiffError(
            f"{last - first + 1:,} lines is too many to copy at once (at most {MAX_COPY_LINES:,})",
            hint="save them to a file instead, or choose fewer",
        )
    return first - 1, last - 1


@readonly.mutating("saving log lines to a file")
def save_lines(path: str | os.PathLike[str], lines: list[str], base: Path | None = None) -> Path:
    """Write the lines to `path` atomically (an existing file is replaced whole or not at all)."""
    raw = str(path).strip()
    if not raw:
        raise SkiffError("no file named to save into")
    target = Path(raw).expanduser()
    if not target.is_absolute() and base is not None:
        target = base / target
    if target.is_dir():
        raise SkiffError("is a directory; name a file to save the lines into", path=target)
    try:
        # A file the user names anywhere (like a shell redirection), so no tree to stay within.
        return atomic.write_text(target, "".join(line + "\n" for line in lines), within=None)
    except OSError as exc:
        raise SkiffError(f"cannot save the lines: {exc.strerror or exc}", path=target) from exc
