"""Workspaces: every workspace with its chain and last configure/build; switch, create, delete."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Label, Static
from textual.worker import Worker, WorkerState

from ...core.errors import SkiffError, WorkspaceError
from ...core.workspace import Workspace, list_workspaces, workspace_name
from .. import messages as msg
from ..widgets.datatable import RedrawingDataTable
from . import SkiffScreen

if TYPE_CHECKING:
    from ..host import SkiffHost


def when(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ts)) if ts else "never"


@dataclass
class WorkspaceInfo:
    name: str
    selection: list[str]
    chain: list[str]
    configured_at: float | None
    build_status: str | None
    build_time: float | None
    busy: bool
    error: str | None = None


def workspace_info(root, name: str) -> WorkspaceInfo:
    """Everything the table shows about one workspace, read through the engine."""
    from ...core.builds.build import list_builds
    from ...core.workspace_state import WorkspaceState

    ws = Workspace(root, name)
    error = None
    try:
        state = ws.load_state() or WorkspaceState()
    except SkiffError as exc:
        state, error = WorkspaceState(), str(exc)
    try:
        builds = list_builds(ws)
    except (OSError, SkiffError):
        builds = []
    last = builds[0] if builds else None
    return WorkspaceInfo(
        name=name,
        selection=list(state.selection or []),
        chain=list(state.chain or []),
        configured_at=state.configured_at,
        build_status=last.status if last else None,
        build_time=(last.ended or last.started) if last else None,
        busy=ws.lock().is_held_by_other(),
        error=error,
    )


def delete_workspace(ws: Workspace) -> None:
    """Through the engine, as `skiff clean` does; the user's override layer is kept."""
    ws.delete(f"skiff tui: delete workspace {ws.name}")


def create_workspace_dialog(app: SkiffHost) -> None:
    """Ask for a name (checked by the engine's workspace_name), create it and switch to it."""
    from ...core.workspace_state import WorkspaceState
    from ..widgets.dialogs import PromptModal

    if app.read_only:
        return
    existing = set(list_workspaces(app.root))

    def validate(raw: str) -> str:
        name = workspace_name(raw) if raw.strip() else None
        if name is None:
            raise WorkspaceError("type a name")
        if name in existing:
            raise WorkspaceError(f"workspace {name!r} already exists")
        return name

    def done(name: str | None) -> None:
        if not name:
            return
        try:
            Workspace(app.root, name).save_state(WorkspaceState(selection=[], created_at=time.time()))
        except SkiffError as exc:
            app.post_message(msg.ShowError(exc))
            return
        app.post_message(msg.SwitchWorkspace(name))
        screen = app.screen
        if isinstance(screen, WorkspacesScreen):
            screen.load()

    app.push_screen(
        PromptModal(
            "New workspace name (lower-case letters, digits, '.', '_', '-'):", validate, placeholder="e.g. pi4-test"
        ),
        done,
    )


class WorkspacesScreen(SkiffScreen):
    SECTION = "workspaces"
    MUTATING = frozenset({"create", "delete"})
    BINDINGS = [
        Binding("enter", "switch", "Switch to", id="skiff.workspaces.switch"),
        Binding("ctrl+n", "create", "New", id="skiff.workspaces.create"),
        Binding("ctrl+d,delete", "delete", "Delete", id="skiff.workspaces.delete"),
        Binding("r", "refresh", "Refresh", id="skiff.workspaces.refresh"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.infos: list[WorkspaceInfo] = []

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        yield Label("Workspaces (each is a Buildroot output directory with its own selection)", classes="pane-title")
        yield RedrawingDataTable(id="workspaces-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="workspace-detail")
        yield from self.compose_bottom()

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one("#workspaces-table", DataTable)
        table.add_columns(" ", "Workspace", "Selection", "Configured", "Last build")
        self.follow_app("workspace", "selection")
        table.focus()
        self.load()

    def load(self) -> None:
        self.load_infos()

    @work(thread=True, exclusive=True, group="workspaces", exit_on_error=False)
    def load_infos(self) -> list[WorkspaceInfo]:
        names = set(list_workspaces(self.app.root))
        names.add(self.app.workspace.name)  # the current one, even before anything is saved
        return [workspace_info(self.app.root, n) for n in sorted(names)]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "workspaces" and event.state == WorkerState.SUCCESS:
            self._fill(event.worker.result or [])
        else:
            super().on_worker_state_changed(event)

    def _fill(self, infos: list[WorkspaceInfo]) -> None:
        self.infos = infos
        table = self.query_one("#workspaces-table", DataTable)
        current = self.app.workspace.name
        table.clear()
        for info in infos:
            mark = Text("▶", style="bold green") if info.name == current else ""
            # the user's selection (the full chain is in the detail pane below)
            chain = ", ".join(info.selection or info.chain) or "—"
            extra = len(info.chain) - len(info.selection) if info.chain and info.selection else 0
            if extra > 0:
                chain += f"  +{extra} dep{'s' if extra != 1 else ''}"
            if info.build_status:
                style = {"succeeded": "green", "failed": "red", "running": "yellow"}.get(info.build_status, "")
                build = Text(f"{info.build_status} {when(info.build_time)}", style=style)
            else:
                build = Text("never", style="dim")
            table.add_row(mark, Text(info.name), Text(chain), when(info.configured_at), build, key=info.name)
        names = [i.name for i in infos]
        if current in names:
            table.move_cursor(row=names.index(current))
        self._show_detail()

    @on(DataTable.RowHighlighted, "#workspaces-table")
    def _highlighted(self, _event) -> None:
        self._show_detail()

    def _highlighted_info(self) -> WorkspaceInfo | None:
        table = self.query_one("#workspaces-table", DataTable)
        if not self.infos or table.cursor_row is None or table.cursor_row >= len(self.infos):
            return None
        return self.infos[table.cursor_row]

    def _show_detail(self) -> None:
        info = self._highlighted_info()
        detail = self.query_one("#workspace-detail", Static)
        if info is None:
            detail.update("No workspace yet.")
            return
        t = Text()
        t.append(info.name, style="bold")
        if info.name == self.app.workspace.name:
            t.append("  (current)", style="green")
        if info.busy:
            t.append("  being modified by another process", style="yellow")
        t.append("\n")
        t.append("Selection:  ", style="bold")
        t.append((", ".join(info.selection) or "nothing selected") + "\n")
        t.append("Chain:      ", style="bold")
        t.append((" → ".join(info.chain) or "not configured yet") + "\n")
        t.append("Configured: ", style="bold")
        t.append(when(info.configured_at) + "\n")
        t.append("Last build: ", style="bold")
        t.append(f"{info.build_status or 'never'} {when(info.build_time) if info.build_status else ''}\n")
        if info.error:
            t.append(info.error + "\n", style="red")
        detail.update(t)

    @on(DataTable.RowSelected, "#workspaces-table")
    def _selected(self, _event) -> None:
        self.action_switch()

    def action_switch(self) -> None:
        info = self._highlighted_info()
        if info is not None:
            self.post_message(msg.SwitchWorkspace(info.name))

    def action_refresh(self) -> None:
        self.load()

    def action_create(self) -> None:
        create_workspace_dialog(self.app)

    def action_delete(self) -> None:
        from ..widgets.dialogs import ConfirmModal

        info = self._highlighted_info()
        if info is None or self.read_only:
            return
        if info.name == self.app.workspace.name:
            self.notify("Switch to another workspace before deleting this one", severity="warning")
            return
        ws = Workspace(self.app.root, info.name)

        def done(confirmed: bool | None) -> None:
            if not confirmed:
                return
            try:
                delete_workspace(ws)
            except SkiffError as exc:
                self.post_message(msg.ShowError(exc))
                return
            self.notify(f"Deleted workspace {ws.name}")
            self.load()

        self.app.push_screen(
            ConfirmModal(
                f"Delete workspace {ws.name!r}? This removes its build output (workspaces/{ws.name}/) and its "
                f"saved configuration. Its override layer (overrides/workspaces/{ws.name}/) is kept.",
                confirm_label="Delete",
            ),
            done,
        )
