"""Which packages took a build's time, as a chart (`t` on the Build and Logs screens)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from ...core.builds import build as engine
from ...core.workspace import Workspace
from ..widgets.build_time_chart import BuildTimeChart


class BuildTimesScreen(Screen):
    BINDINGS = [Binding("escape,q,t", "app.pop_screen", "Back", id="skiff.buildtimes.back")]

    def __init__(self, workspace: Workspace, record: engine.BuildRecord, *, limit: int = 25) -> None:
        super().__init__()
        self.workspace = workspace
        self.record = record
        self.limit = limit

    def compose(self) -> ComposeResult:
        rec = self.record
        yield Static(
            Text.assemble(
                ("Build times", "bold"),
                f" · {rec.id} · {rec.status} · "
                f"workspace {self.workspace.name} · "
                f"{engine.format_duration(rec.duration)} in all",
            ),
            id="times-title",
        )
        with VerticalScroll(id="times-body"):
            yield BuildTimeChart(engine.record_durations(self.workspace, rec), limit=self.limit, id="times-chart")
        yield Footer()
