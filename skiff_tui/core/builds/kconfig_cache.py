"""Parsed Buildroot Kconfig trees kept for reuse in this process.

Parsing Buildroot's ~3,300 Kconfig files costs about a second; loading a .config into an already
parsed tree costs a few tens of milliseconds. So the Kconfig editor hands its tree back here when
a session closes, and the next session over the same tree and externals (a reload, the screen
opened again, another workspace with the same externals) takes it instead of parsing again.

A tree is valid while every Kconfig file it was parsed from is unchanged (size and mtime) and the
environment the parse read (versions, host architecture and gcc) is the same: that is the key.
kconfiglib is not thread-safe, so a tree is used by one session at a time: `take` removes it from
the pool, `give_back` returns it; a second session meanwhile parses its own.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Idle trees kept (each ~40 MB for Buildroot 2026.02): two cover switching between two stacks.
MAX_IDLE = 2

_lock = threading.Lock()
_idle: list[Parsed] = []  # least recently returned first


@dataclass
class Parsed:
    kconf: object
    key: tuple[object, ...]
    files: dict[str, tuple[int, int]] = field(default_factory=dict)  # path -> (size, mtime_ns)
    base_dir: Path | None = None  # its generated includes
    baselines: dict[str, object] = field(default_factory=dict)  # merged defconfig digest -> (values, problems)

    def unchanged(self) -> bool:
        for path, stamp in self.files.items():
            try:
                st = os.stat(path)
            except OSError:
                return False
            if (st.st_size, st.st_mtime_ns) != stamp:
                return False
        return True


def file_stamps(kconf: Any, tree: Path) -> dict[str, tuple[int, int]]:
    """(size, mtime) of every Kconfig file the parse read."""
    stamps = {}
    for name in kconf.kconfig_filenames:
        path = name if os.path.isabs(name) else os.path.join(tree, name)
        try:
            st = os.stat(path)
        except OSError:
            continue
        stamps[path] = (st.st_size, st.st_mtime_ns)
    return stamps


def take(key: tuple[object, ...]) -> Parsed | None:
    """An idle tree parsed under `key` whose files are unchanged, removed from the pool; idle
    trees under `key` whose files changed are dropped."""
    while True:
        with _lock:
            matches = [p for p in _idle if p.key == key]
            if not matches:
                return None
            candidate = matches[-1]  # the most recently returned
            _idle.remove(candidate)
        if candidate.unchanged():
            return candidate
        _discard(candidate)


def give_back(parsed: Parsed) -> None:
    with _lock:
        _idle.append(parsed)
        dropped = _idle[:-MAX_IDLE] if len(_idle) > MAX_IDLE else []
        del _idle[: len(dropped)]
    for p in dropped:
        _discard(p)


def clear() -> None:
    with _lock:
        dropped = list(_idle)
        _idle.clear()
    for p in dropped:
        _discard(p)


def idle_count() -> int:
    with _lock:
        return len(_idle)


def _discard(parsed: Parsed) -> None:
    import shutil

    if parsed.base_dir is not None:
        shutil.rmtree(parsed.base_dir, ignore_errors=True)
