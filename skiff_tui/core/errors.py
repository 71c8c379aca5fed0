"""One exception type per domain, each able to say where (file, line) and what to do."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

# Longest user text an error message repeats (a 50 MB value would otherwise be echoed in full).
EXCERPT_CHARS = 200
_LINE_BREAKS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f\x85\u2028\u2029]")


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """`text` on one line (control characters and line separators shown as escapes) and at most
    `limit` characters, saying how much was left out."""
    text = _LINE_BREAKS.sub(lambda m: repr(m.group())[1:-1], str(text))
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit} more characters)"


class SkiffError(Exception):
    """A user-facing error: printed as one line by the CLI, shown in a modal by the TUI."""

    def __init__(
        self, message: str, *, path: str | Path | None = None, line: int | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line
        self.hint = hint

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        text = f"{where}{excerpt(self.message, 4 * EXCERPT_CHARS)}"
        if self.hint:
            text += f" ({excerpt(self.hint, 2 * EXCERPT_CHARS)})"
        return text


class PackageError(SkiffError):
    """Bad package tree: invalid names, malformed metadata, colliding overrides."""


class ResolveError(SkiffError):
    """The selection cannot be resolved: unknown package, cycle."""


class FragmentError(SkiffError):
    """A Kconfig fragment line that is not an assignment, comment or blank."""


class LayerError(SkiffError):
    """A layer's contents cannot be merged: malformed BR2_EXTERNAL tree, etc."""


class WorkspaceError(SkiffError):
    """Workspace name, lock or saved-state problems."""


class BuildrootError(SkiffError):
    """Buildroot tree missing or unverifiable, or a make step failed."""


class ReadOnlyError(SkiffError):
    """A mutating action was requested in read-only mode."""


class UnsafePathError(SkiffError):
    """A write would follow a symbolic link out of the tree it belongs to."""


class FlashErrorKind(StrEnum):
    """What went wrong with a flash target, so callers can say what to do next; the values are
    the words the CLI and the Flash screen have always used."""

    ERROR = "error"  # anything else: the message says what
    UNPLUGGED = "unplugged"  # the card went away (before or during the write)
    WRITE_PROTECTED = "write-protected"  # lock switch, read-only medium
    NO_SPACE = "no-space"  # the image or layout does not fit
    BUSY = "busy"  # mounted, or held by another program
    IO = "io"  # the card or reader failed
    CHANGED = "changed"  # a different card than the one selected
    VERIFY = "verify"  # read-back differs from what was written
    IMAGE = "image"  # the image (or its bmap) is damaged or does not match


class FlashError(SkiffError):
    """A flash step that cannot go ahead or failed: layout, tools, copy, verification."""

    def __init__(
        self,
        message: str,
        *,
        kind: FlashErrorKind = FlashErrorKind.ERROR,
        path: str | Path | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, path=path, line=line, hint=hint)
        self.kind = kind


def read_user_text(path: Path, error: type[SkiffError], what: str) -> str:
    """A user's text file as str, or `error` naming the file: not UTF-8, unreadable, missing."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise error(f"cannot read {what}: {exc.strerror}", path=path) from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{what} is not valid UTF-8 text", path=path, line=data[: exc.start].count(b"\n") + 1) from exc
