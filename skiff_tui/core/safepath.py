"""The one rule for every write: no symbolic link leads it out of the tree it belongs to.

Each writer names its tree (`base`: the skiff tree's overrides/, workspaces/, a workspace's
build directory). The base itself is trusted, even when it is a link (a workspace on another
disk); below it, a link may point anywhere inside the base's real path, never outside it. A
link that leads out is refused with a one-line error naming the link, before anything is
written. See docs/architecture.md ("Reliability").
"""

from __future__ import annotations

import os
from pathlib import Path

from .errors import UnsafePathError


def _inside(path: str, base: str) -> bool:
    return path == base or path.startswith(base.rstrip("/") + "/")


def within(path: str | Path, base: str | Path) -> Path:
    """The real path a write to `path` lands on, checked to stay inside `base`.

    Walks the components below `base` one by one (the ones that exist), following each link
    only if its target stays inside; raises UnsafePathError naming the first link that leads
    out. `path` must be `base` or below it.
    """
    base_abs = os.path.abspath(base)
    path_abs = os.path.abspath(path)
    if not _inside(path_abs, base_abs):
        raise UnsafePathError(f"refusing to write {path_abs}: it is outside {base_abs}")
    real_base = os.path.realpath(base_abs)
    current = real_base
    rel = os.path.relpath(path_abs, base_abs)
    parts = [] if rel == "." else rel.split(os.sep)
    for i, part in enumerate(parts):
        candidate = os.path.join(current, part)
        if os.path.islink(candidate):
            target = os.path.realpath(candidate)
            if not _inside(target, real_base):
                link = os.path.join(base_abs, *parts[: i + 1])
                raise UnsafePathError(
                    f"refusing to write through symbolic link {link} -> {os.readlink(candidate)}: "
                    f"it leads outside {base_abs}",
                    hint="replace the link with a real directory or file inside the tree",
                )
            current = target
        else:
            current = candidate
    return Path(current)


def open_nofollow(path: str | Path, flags: int, mode: int = 0o644, *, base: str | Path) -> int:
    """os.open for a file the engine owns (lock files, logs): checked with within(), and opened
    with O_NOFOLLOW so a link swapped in afterwards is refused too."""
    real = within(path, base)
    try:
        return os.open(real, flags | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    except OSError as exc:
        if exc.errno == 40:  # ELOOP: the last component became a link
            raise UnsafePathError(
                f"refusing to open {path}: it is a symbolic link", hint="remove the link; skiff recreates the file"
            ) from exc
        raise


def mkdir(path: str | Path, *, base: str | Path, mode: int = 0o777) -> Path:
    """mkdir -p below `base`, refusing links out."""
    real = within(path, base)
    real.mkdir(parents=True, exist_ok=True, mode=mode)
    return real
