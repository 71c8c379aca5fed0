"""Short, stable text for where a value came from: layer name plus the file relative to its layer."""

from __future__ import annotations

from pathlib import Path


def short_path(path: Path | None, layer_dir: Path | None, root: Path | None = None) -> str:
    if path is None:
        return ""
    for base in (layer_dir, root):
        if base is None:
            continue
        try:
            return str(Path(path).relative_to(base))
        except ValueError:
            continue
    return Path(path).name


def where(origin, layer_dirs: dict[str, Path], root: Path | None = None) -> str:
    """ "buildroot/10-board:2" for a file origin, "" for values the engine generated."""
    rel = short_path(origin.path, layer_dirs.get(origin.layer), root)
    if not rel:
        return ""
    return f"{rel}:{origin.line}" if origin.line else rel


def describe(origin, layer_dirs: dict[str, Path], root: Path | None = None) -> str:
    place = where(origin, layer_dirs, root)
    return f"{origin.layer} ({place})" if place else origin.layer


def shown(value: str | None) -> str:
    return "n (is not set)" if value is None else value
