"""File browser of one override layer: a DirectoryTree that hides the other layers nested in it
(``overrides/workspaces/`` inside ``overrides/``) and version-control litter."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from textual.widgets import DirectoryTree

HIDDEN_NAMES = {".git", "__pycache__"}


class LayerFileTree(DirectoryTree):
    DEFAULT_CSS = """
    LayerFileTree { scrollbar-gutter: stable; }
    """

    def __init__(self, path: str | Path, *, hide_top: Iterable[str] = (), id: str | None = None) -> None:
        super().__init__(path, id=id)
        self.hide_top = set(hide_top)

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        root = Path(self.path)
        out = []
        for path in paths:
            if path.name in HIDDEN_NAMES or path.name.startswith(".") and path.name.endswith(".tmp"):
                continue
            if path.parent == root and path.name in self.hide_top:
                continue
            out.append(path)
        return out
