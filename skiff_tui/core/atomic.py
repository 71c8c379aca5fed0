"""Atomic file writes: a temp file beside the target, fsync, then os.replace."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_text(path: str | Path, text: str, *, mode: int | None = None, fsync: bool = True) -> Path:
    return write_bytes(path, text.encode(), mode=mode, fsync=fsync)


def write_bytes(path: str | Path, data: bytes, *, mode: int | None = None, fsync: bool = True) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def write_if_changed(path: str | Path, text: str, *, mode: int | None = None) -> bool:
    """Write only when content differs, so mtimes (and make's view) stay stable. True if written."""
    path = Path(path)
    try:
        if path.read_text() == text and (mode is None or (path.stat().st_mode & 0o7777) == mode):
            return False
    except (FileNotFoundError, UnicodeDecodeError):
        pass
    write_text(path, text, mode=mode, fsync=False)
    return True
