"""Screens of the skiff TUI and the navigation table that names every section.

Sections whose module is not installed yet (screens written separately: build, logs, flash,
Kconfig, overrides, skiff-core.yaml) keep their place in the navigation and are loaded lazily
the first time the user opens them.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass

from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState


@dataclass(frozen=True)
class Section:
    mode: str
    title: str
    key: str
    module: str
    cls: str
    help: str
    # An editor changes files; in read-only mode it is offered only if it takes read_only=.
    editor: bool = False

    def available(self) -> bool:
        try:
            return importlib.util.find_spec(self.module) is not None
        except (ImportError, ValueError):
            return False


_P = "skiff_tui.ui.screens."
SECTIONS: tuple[Section, ...] = (
    Section("packages", "Packages", "1", _P + "packages", "PackagesScreen",
            "browse every package, filter, add or remove it from the selection"),
    Section("stack", "Stack", "2", _P + "stack", "StackScreen",
            "the selection in order beside the resolved chain; configure"),
    Section("values", "Values", "3", _P + "values", "ValuesScreen",
            "merged Buildroot/kernel/busybox/u-boot values with the layer, file and line that set them"),
    Section("workspaces", "Workspaces", "4", _P + "workspaces", "WorkspacesScreen",
            "every workspace with its chain and last configure/build; switch, create, delete"),
    Section("build", "Build", "5", _P + "build", "BuildScreen", "compile the workspace and follow progress",
            editor=True),
    Section("logs", "Logs", "6", _P + "logs", "LogsScreen", "browse build logs"),
    Section("flash", "Flash", "7", _P + "flash", "FlashScreen", "write the build to an SD card", editor=True),
    Section("kconfig", "Kconfig", "8", _P + "kconfig", "KconfigScreen",
            "menuconfig over the merged configuration; saves a delta fragment", editor=True),
    Section("overrides", "Overrides", "9", _P + "overrides", "OverridesScreen",
            "hostname, Wi-Fi, SSH keys and files of the override layers", editor=True),
    Section("coreyaml", "skiff-core.yaml", "0", _P + "coreyaml", "CoreYamlScreen",
            "edit the user-to-container map", editor=True),
)
SECTION_BY_MODE = {s.mode: s for s in SECTIONS}


class NavBar(Static):
    """One line naming every section; the current one highlighted, each clickable."""

    def __init__(self, current: str) -> None:
        super().__init__(id="nav", markup=True)
        self.current = current

    def on_mount(self) -> None:
        self.render_nav(resolve=False)
        self.call_after_refresh(self.render_nav)

    def render_nav(self, resolve: bool = True) -> None:
        app = self.app
        parts = []
        for s in SECTIONS:
            offered = app.section_offered(s, resolve) if hasattr(app, "section_offered") else True
            if not offered:
                continue
            label = f"{s.key} {s.title}"
            if s.mode == self.current:
                parts.append(f"[reverse b] {label} [/]")
            else:  # a section not installed yet opens a page that says so
                parts.append(f"[@click=app.goto('{s.mode}')] {label} [/]")
        self.update("".join(parts))


class StatusLine(Static):
    """Workspace, selection summary and read-only marker, under the navigation bar."""


class SkiffScreen(Screen):
    """Base of skiff's own screens: nav bar on top, footer below, engine errors as notifications."""

    SECTION = ""
    # Actions that change files: hidden from the footer and refused in read-only mode.
    MUTATING: frozenset[str] = frozenset()

    def compose_top(self):
        yield NavBar(self.SECTION)
        yield StatusLine(id="status")

    def compose_bottom(self):
        yield Footer()

    def on_mount(self) -> None:
        self.watch(self.app, "workspace", self._update_status, init=False)
        self.watch(self.app, "selection", self._update_status, init=False)
        self._update_status()

    def _update_status(self, *_args) -> None:
        try:
            status = self.query_one("#status", StatusLine)
        except Exception:
            return
        status.update(self.app.status_text())

    @property
    def read_only(self) -> bool:
        return self.app.read_only

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            self.app.show_error(event.worker.error)

    def check_action(self, action: str, parameters) -> bool | None:
        if action in self.MUTATING and self.read_only:
            return False
        return True

    # Commands this screen adds to the palette in its current context: (title, help, callback).
    def palette_commands(self):
        return []


__all__ = ["SECTIONS", "SECTION_BY_MODE", "Section", "SkiffScreen", "NavBar", "StatusLine"]
