"""Configuration deltas: what an interactive edit changed, saved as a fragment in the workspace
override layer (never into configs/ or the Buildroot tree)."""

from __future__ import annotations

from pathlib import Path

from . import atomic, readonly
from .fragments import parse_lines
from .workspace import Workspace

# The name SkiffOS uses, so a delta written by either tool is picked up by both.
DELTA_NAME = "zz-buildroot-menuconfig-delta"


def config_delta(before: dict[str, str | None], after: dict[str, str | None]) -> dict[str, str | None]:
    """Symbols whose value changed. Symbols that vanished (their dependencies went away) are left
    out: Kconfig removed them, the user did not set them."""
    return {sym: value for sym, value in after.items() if before.get(sym, "<absent>") != value}


def delta_path(workspace: Workspace, kind: str = "buildroot") -> Path:
    return workspace.overrides_dir / kind / DELTA_NAME


def read_delta(workspace: Workspace, kind: str = "buildroot") -> dict[str, str | None]:
    path = delta_path(workspace, kind)
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    return {a.symbol: a.value for a in parse_lines(text, path=path, layer="delta")}


def save_delta(workspace: Workspace, changes: dict[str, str | None], kind: str = "buildroot") -> Path | None:
    """Fold `changes` into the workspace's delta fragment (later edits win). Returns the file, or
    None when there was nothing to save."""
    if not changes:
        return None
    readonly.guard("saving configuration changes")
    merged = read_delta(workspace, kind)
    merged.update(changes)
    lines = [f"# Changes made with skiff's Kconfig editor or 'skiff br menuconfig' in workspace "
             f"{workspace.name}.", "# Edit or delete freely; it is an ordinary fragment of the "
             "workspace override layer."]
    for sym, value in merged.items():
        lines.append(f"# {sym} is not set" if value is None else f"{sym}={value}")
    path = delta_path(workspace, kind)
    atomic.write_text(path, "\n".join(lines) + "\n")
    return path
