"""Logs screen: past builds of the workspace (time, chain, result, duration); any of them opens
in the log viewer, which handles multi-gigabyte files. Read-only by nature."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from ...core.builds import build as engine
from ...core.workspace import Workspace
from ..widgets.datatable import RedrawingDataTable
from ..widgets.logview import LogViewer
from . import SkiffScreen
from .build import failure_text, short_chain

STATUS_STYLE = {
    "succeeded": "green",
    "failed": "red",
    "cancelled": "yellow",
    "interrupted": "yellow",
    "running": "cyan",
}


def result_text(rec: engine.BuildRecord) -> str:
    if rec.status == engine.FAILED and rec.failure and rec.failure.package:
        return f"failed: {rec.failure.package} ({rec.failure.step})"
    if rec.status == engine.RUNNING:
        return f"running {rec.done}/{rec.total}" if rec.total else "running"
    return rec.status


class LogScreen(Screen):
    """One build's log in the viewer (follows it while the build runs)."""

    BINDINGS = [Binding("escape,q", "app.pop_screen", "Back", id="skiff.log.back")]
    PALETTE_GROUP = "Log"  # the palette's "Log: Follow" …

    def __init__(self, record: engine.BuildRecord, workspace: Workspace | None = None) -> None:
        super().__init__()
        self.record = record
        self.workspace = workspace

    def compose(self) -> ComposeResult:
        rec = self.record
        yield Static(
            Text.assemble(
                (rec.id, "bold"),
                f" · {rec.target} · {short_chain(rec.chain)} · "
                f"{result_text(rec)} · {shown_path(rec.log_path, self.workspace)}",
            ),
            id="log-title",
        )
        yield LogViewer(rec.log_path, follow=rec.status == engine.RUNNING, id="log-viewer")
        yield Footer()

    def on_mount(self) -> None:
        viewer = self.query_one(LogViewer)
        viewer.view.focus()
        if self.record.status != engine.RUNNING:
            viewer.view.follow = False


class LogFileScreen(Screen):
    """Any log file in the viewer, following it as it grows (`o` on the Logs screen)."""

    BINDINGS = [Binding("escape,q", "app.pop_screen", "Back", id="skiff.logfile.back")]
    PALETTE_GROUP = "Log"

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = Path(path)

    def compose(self) -> ComposeResult:
        yield Static(Text(str(self.path), style="bold"), id="log-title")
        yield LogViewer(self.path, follow=True, id="log-viewer")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(LogViewer).view.focus()


def open_log_file_dialog(app: App[Any], base: Path | None = None) -> None:
    """Ask for a path; a readable file opens in the log viewer."""
    from ...core.builds.logrange import log_file
    from ..widgets.dialogs import PromptModal

    def opened(path: str | None) -> None:
        if path is not None:
            app.push_screen(LogFileScreen(Path(path)))

    app.push_screen(
        PromptModal(
            "Open a log file",
            lambda text: str(log_file(text, base or Path.cwd())),
            "path, e.g. workspaces/default/build/build-time.log",
            note="Any text file: a build log, dmesg output, a serial capture.",
        ),
        opened,
    )


def shown_path(path: str, workspace: Workspace | None = None) -> str:
    """A log's path relative to the skiff tree (workspaces/<ws>/…) when it lies inside it."""
    from ...core import paths

    try:
        root = workspace.root if workspace is not None else paths.root_dir()
        return str(Path(path).resolve().relative_to(Path(root).resolve()))
    except (ValueError, OSError, AttributeError):
        return str(path)


class LogsScreen(SkiffScreen):
    """The Logs section: the builds of the app's workspace (it follows a workspace switch)."""

    SECTION = "logs"
    BINDINGS = [
        Binding("enter", "open", "Open log", id="skiff.logs.open"),
        Binding("r", "refresh", "Refresh", id="skiff.logs.refresh"),
        Binding("o", "open_file", "Open file", id="skiff.logs.open_file"),
        Binding("t", "times", "Times", id="skiff.logs.times"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.records: list[engine.BuildRecord] = []

    @property
    def workspace(self) -> Workspace:
        return self.app.workspace

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        yield Static("", id="logs-title")
        with Horizontal(id="logs-body"):
            table: DataTable[str | Text] = RedrawingDataTable(id="logs-table", cursor_type="row", zebra_stripes=True)
            # Result and Duration before the long columns: they stay in view at 120 columns
            table.add_columns("Started", "Result", "Duration", "Target", "Chain")
            yield table
            yield Static("", id="logs-detail")
        yield from self.compose_bottom()

    def on_mount(self) -> None:
        super().on_mount()
        self.follow_app("workspace")
        self.action_refresh()
        self.set_interval(2.0, self._tick)
        self.query_one(DataTable).focus()

    def load(self) -> None:
        self.action_refresh()

    def _tick(self) -> None:
        if self.is_current:  # hidden: no reading; shown again: refreshed at once
            self.action_refresh()

    def on_screen_resume(self) -> None:
        self._stale = False  # refreshed here anyway
        self.action_refresh()

    def action_refresh(self) -> None:
        self.query_one("#logs-title", Static).update(
            Text.assemble(("Build logs", "bold"), f" · workspace {self.workspace.name}")
        )
        table = self.query_one(DataTable)
        keep = table.cursor_row
        self.records = engine.list_builds(self.workspace)
        table.clear()
        for rec in self.records:
            colour = STATUS_STYLE.get(rec.status, "")
            result = result_text(rec)
            table.add_row(
                time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(rec.started)),
                Text(result, style=colour),
                engine.format_duration(rec.duration),
                Text(rec.target),
                Text(short_chain(rec.chain)),
                key=rec.id,
            )
        if self.records:
            table.move_cursor(row=min(keep, len(self.records) - 1))
        self._detail()

    def on_data_table_row_highlighted(self, _event) -> None:
        self._detail()

    def on_data_table_row_selected(self, _event) -> None:
        self.action_open()

    def _selected(self) -> engine.BuildRecord | None:
        table = self.query_one(DataTable)
        if not self.records or table.cursor_row < 0 or table.cursor_row >= len(self.records):
            return None
        return self.records[table.cursor_row]

    def _detail(self) -> None:
        rec = self._selected()
        detail = self.query_one("#logs-detail", Static)
        if rec is None:
            detail.update("no builds yet")
            return
        text = Text(rec.id, style="bold")
        lines = [
            f"command: {' '.join(rec.command)}",
            f"status: {rec.status}" + (f" (exit {rec.exit_code})" if rec.exit_code is not None else ""),
            f"packages: {rec.done}/{rec.total if rec.total else '?'}",
            f"duration: {engine.format_duration(rec.duration)}",
            f"log: {shown_path(rec.log_path, self.workspace)}",
        ]
        text.append("\n" + "\n".join(lines))
        if rec.failure:
            text.append("\n\n")
            text.append_text(failure_text(rec.failure))
        detail.update(text)

    def action_open(self) -> None:
        rec = self._selected()
        if rec is not None:
            self.app.push_screen(LogScreen(rec, self.workspace))

    def action_times(self) -> None:
        from .build_times import BuildTimesScreen

        rec = self._selected()
        if rec is not None:
            self.app.push_screen(BuildTimesScreen(self.workspace, rec))

    def action_open_file(self) -> None:
        open_log_file_dialog(self.app, self.workspace.root)
