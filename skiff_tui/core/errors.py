"""One exception type per domain, each able to say where (file, line) and what to do."""

from __future__ import annotations

from pathlib import Path


class SkiffError(Exception):
    """A user-facing error: printed as one line by the CLI, shown in a modal by the TUI."""

    def __init__(self, message: str, *, path: str | Path | None = None, line: int | None = None,
                 hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = Path(path) if path is not None else None
        self.line = line
        self.hint = hint

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        text = f"{where}{self.message}"
        if self.hint:
            text += f" ({self.hint})"
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


def read_user_text(path: Path, error: type[SkiffError], what: str) -> str:
    """A user's text file as str, or `error` naming the file: not UTF-8, unreadable, missing."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise error(f"cannot read {what}: {exc.strerror}", path=path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{what} is not valid UTF-8 text", path=path, line=data[: exc.start].count(b"\n") + 1)
