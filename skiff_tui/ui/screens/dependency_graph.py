"""The selected chain's dependency graph (`g` on the Stack screen)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from ...core.library.depgraph import dependency_lines
from ..widgets.dependency_graph import DependencyGraph


class DependencyGraphScreen(Screen):
    BINDINGS = [Binding("escape,q,g", "app.pop_screen", "Back", id="skiff.depgraph.back")]

    def __init__(self, index, selection: list[str]) -> None:
        super().__init__()
        self.index = index
        self.selection = list(selection)

    def compose(self) -> ComposeResult:
        yield Static(
            "Dependency graph of the selection (each package's dependencies under it, in declared order)",
            id="graph-title",
            markup=False,
        )
        with VerticalScroll(id="graph-body"):
            lines = dependency_lines(self.index, self.selection) if self.index is not None else []
            yield DependencyGraph(lines, id="graph")
        yield Footer()
