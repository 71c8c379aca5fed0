"""Atomic file writes: a temp file, fsync, then os.replace; old or new content, never half.

Every write names the tree it belongs to (`within`); safepath refuses a symbolic link that
leads out of it. Temp files are named `.skiff-tmp.<pid>-<start>.<name>.<random>` (the
writer's pid and its start time, so a reused pid does not keep them alive) and live in the
tree's top directory (`within`), never inside a layer's root_overlay/, so a save killed
mid-way cannot leave one where Buildroot copies files into the image; `clean_stale_temps`
removes those of dead processes.
"""

from __future__ import annotations

import errno
import os
import re
import tempfile
from pathlib import Path

from . import safepath
from .procs import pid_alive, proc_start_time

TEMP_PREFIX = ".skiff-tmp."
_TEMP = re.compile(r"\.skiff-tmp\.(\d+)-(\d+)\.")
# What older skiff versions left beside the target: .<name>.<8 random chars>.tmp
_OLD_TEMP = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp\Z")


def write_text(
    path: str | Path, text: str, *, within: str | Path | None, mode: int | None = None, fsync: bool = True
) -> Path:
    return write_bytes(path, text.encode(), within=within, mode=mode, fsync=fsync)


def write_bytes(
    path: str | Path, data: bytes, *, within: str | Path | None, mode: int | None = None, fsync: bool = True
) -> Path:
    """`within`: the tree the file belongs to (None only for skiff's own caches outside any tree)."""
    path = Path(path)
    real = safepath.within(path, within) if within is not None else path
    real.parent.mkdir(parents=True, exist_ok=True)
    tmp_dir = safepath.within(within, within) if within is not None else real.parent
    tmp_dir.mkdir(parents=True, exist_ok=True)
    try:
        tmp = _write_temp(tmp_dir, real.name, data, mode, fsync)
        _replace(tmp, real)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        # The target sits on another file system than the tree's top (a link inside the tree
        # to a mount): fall back to a temp file beside it.
        tmp = _write_temp(real.parent, real.name, data, mode, fsync)
        _replace(tmp, real)
    return path


def _write_temp(directory: Path, name: str, data: bytes, mode: int | None, fsync: bool) -> str:
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{_owner()}.{name[:80]}.", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(tmp, 0o644 if mode is None else mode)
    except BaseException:
        _unlink(tmp)
        raise
    return tmp


def _replace(tmp: str, target: Path) -> None:
    try:
        os.replace(tmp, target)
    except BaseException:
        _unlink(tmp)
        raise


def _unlink(path: str | Path) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def write_if_changed(path: str | Path, text: str, *, within: str | Path | None, mode: int | None = None) -> bool:
    """Write only when content differs, so mtimes (and make's view) stay stable. True if written."""
    path = Path(path)
    try:
        if (
            not path.is_symlink()
            and path.read_text() == text
            and (mode is None or (path.stat().st_mode & 0o7777) == mode)
        ):
            return False
    except (FileNotFoundError, NotADirectoryError, UnicodeDecodeError):
        pass
    write_text(path, text, within=within, mode=mode, fsync=False)
    return True


_OWNER: tuple[int, str] | None = None


def _owner() -> str:
    """<pid>-<start time> of this process (recomputed after a fork)."""
    global _OWNER
    pid = os.getpid()
    if _OWNER is None or _OWNER[0] != pid:
        _OWNER = (pid, f"{pid}-{proc_start_time(pid) or 0}")
    return _OWNER[1]


def is_temp_name(name: str) -> bool:
    return name.startswith(TEMP_PREFIX) or bool(_OLD_TEMP.match(name))


def clean_stale_temps(directory: str | Path, *, recursive: bool = False) -> list[Path]:
    """Remove temp files a killed writer left in `directory` (ours: only when their pid is
    gone; the older `.name.XXXXXXXX.tmp` kind: always). Returns what was removed."""
    removed = []
    for dirpath, _dirnames, filenames in os.walk(directory):
        for name in filenames:
            match = _TEMP.match(name)
            stale = (match and not pid_alive(int(match.group(1)), int(match.group(2)) or None)) or (
                not match and (name.startswith(TEMP_PREFIX) or _OLD_TEMP.match(name))
            )
            if stale:
                path = Path(dirpath) / name
                try:
                    if path.is_symlink() or path.is_file():
                        path.unlink()
                        removed.append(path)
                except OSError:
                    pass
        if not recursive:
            break
    return removed
