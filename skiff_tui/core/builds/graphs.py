"""`skiff graph`: Buildroot's dependency graph (graph-depends) and build-time charts (graph-build)
as files in <workspace>/graphs/, after checking the host has what those scripts need."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from .. import readonly

if TYPE_CHECKING:
    from ..workspace import Workspace

FORMATS = ("pdf", "svg", "png")


def graphs_dir(workspace: Workspace) -> Path:
    return Path(workspace.dir) / "graphs"


def build_time_log(workspace: Workspace) -> Path:
    """Written by a Buildroot build; graph-build draws from it."""
    return Path(workspace.dir) / "build" / "build-time.log"


def matplotlib_python(path: str | None = None) -> str | None:
    """A python3 that imports matplotlib: the first on PATH, else Debian's."""
    seen = set()
    for candidate in (shutil.which("python3", path=path), "/usr/bin/python3"):
        if not candidate or candidate in seen or not Path(candidate).exists():
            continue
        seen.add(candidate)
        probe = subprocess.run([candidate, "-c", "import matplotlib, numpy"], capture_output=True, timeout=60)
        if probe.returncode == 0:
            return candidate
    return None


def missing_tools(build_graphs: bool, path: str | None = None) -> list[tuple[str, str]]:
    """(what, Debian package) for each missing host tool."""
    missing = []
    if shutil.which("dot", path=path) is None:
        missing.append(("dot", "graphviz"))
    if build_graphs and matplotlib_python(path) is None:
        missing.append(("python3 with matplotlib", "python3-matplotlib"))
    return missing


@readonly.mutating("drawing Buildroot's graphs")
def python_first(env: dict[str, str], python: str, scratch: Path) -> dict[str, str]:
    """env whose `python3` is `python` (graph-build-time runs `python3` from PATH, and skiff's own
    interpreter, first on PATH for hooks, usually has no matplotlib)."""
    scratch.mkdir(parents=True, exist_ok=True)
    link = scratch / "python3"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(python)
    return dict(env, PATH=f"{scratch}{os.pathsep}{env.get('PATH', '')}")


def outputs(workspace: Workspace, since: float) -> list[Path]:
    """Graph files written since `since` (the .dot sources left out: the pictures are the point)."""
    folder = graphs_dir(workspace)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix != ".dot" and p.stat().st_mtime >= since - 1)
