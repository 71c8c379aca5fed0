"""Screens of the skiff TUI and the navigation table that names every section.

Every section is a SkiffScreen the app builds with no arguments: it reads the app's state
(host.SkiffHost: `workspace`, `index`, `selection`, `read_only`), follows changes of it
(`follow_app`/`load`) and asks the app for changes with the messages of ui/messages.py. A
section's module is imported the first time the user opens it.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.screen import Screen
from textual.widgets import Footer, Static
from textual.worker import Worker, WorkerState

from .. import messages as msg

if TYPE_CHECKING:  # screens read the app's state (host.py); they never import app.py
    from textual import getters

    from ..host import SkiffHost
    from ..palette import PaletteCommand


@dataclass(frozen=True)
class Section:
    mode: str
    title: str
    key: str
    module: str
    cls: str
    help: str
    # An editor changes files; in read-only mode it is offered only if it also works as a
    # viewer there (its screen hides and refuses its writing actions).
    editor: bool = False
    short: str = ""  # the navigation bar's label when the full titles do not fit
    works_read_only: bool = False

    def offered(self, read_only: bool) -> bool:
        return not read_only or not self.editor or self.works_read_only

    @property
    def alt_key(self) -> str:
        """Switches to the section from anywhere, inside a text field too (where digits type)."""
        return f"alt+{self.key}"

    def available(self) -> bool:
        try:
            return importlib.util.find_spec(self.module) is not None
        except (ImportError, ValueError):
            return False


_P = "skiff_tui.ui.screens."
SECTIONS: tuple[Section, ...] = (
    Section(
        "packages",
        "Packages",
        "1",
        _P + "packages",
        "PackagesScreen",
        "browse every package, filter, add or remove it from the selection",
        short="Pkgs",
    ),
    Section(
        "stack",
        "Stack",
        "2",
        _P + "stack",
        "StackScreen",
        "the selection in order beside the resolved chain; configure",
    ),
    Section(
        "values",
        "Values",
        "3",
        _P + "values",
        "ValuesScreen",
        "merged Buildroot/kernel/busybox/u-boot values with the layer, file and line that set them",
        short="Vals",
    ),
    Section(
        "workspaces",
        "Workspaces",
        "4",
        _P + "workspaces",
        "WorkspacesScreen",
        "every workspace with its chain and last configure/build; switch, create, delete",
        short="Wksp",
    ),
    Section(
        "build",
        "Build",
        "5",
        _P + "build",
        "BuildScreen",
        "compile the workspace and follow progress",
        editor=True,
        works_read_only=True,
    ),
    Section("logs", "Logs", "6", _P + "logs", "LogsScreen", "browse build logs"),
    Section(
        "flash",
        "Flash",
        "7",
        _P + "flash",
        "FlashScreen",
        "write the build to an SD card",
        editor=True,
        works_read_only=True,
    ),
    Section(
        "kconfig",
        "Kconfig",
        "8",
        _P + "kconfig",
        "KconfigScreen",
        "menuconfig over the merged configuration; saves a delta fragment",
        editor=True,
        short="Kconf",
        works_read_only=True,
    ),
    Section(
        "overrides",
        "Overrides",
        "9",
        _P + "overrides",
        "OverridesScreen",
        "hostname, Wi-Fi, SSH keys and files of the override layers",
        editor=True,
        short="Ovrd",
        works_read_only=True,
    ),
    Section(
        "coreyaml",
        "skiff-core.yaml",
        "0",
        _P + "coreyaml",
        "CoreYamlScreen",
        "edit the user-to-container map",
        editor=True,
        short="core.yaml",
        works_read_only=True,
    ),
)
SECTION_BY_MODE = {s.mode: s for s in SECTIONS}


class NavBar(Static):
    """One line naming every section; the current one highlighted, each clickable. Labels get
    shorter when the terminal is narrow (all ten fit in 100 columns, keys only below 80)."""

    HINT = "  alt+digit: from a text field too"

    if TYPE_CHECKING:
        app = getters.app(SkiffHost)

    def __init__(self, current: str) -> None:
        super().__init__(id="nav", markup=True)
        self.current = current

    def on_mount(self) -> None:
        self.render_nav()

    def on_resize(self, _event: object) -> None:
        self.render_nav()

    def render_nav(self) -> None:
        read_only = self.app.read_only
        shown = [s for s in SECTIONS if s.offered(read_only)]
        labels: list[str] = []
        length = 0
        width = self.size.width or 200
        for tier in ("title", "medium", "short", "key"):
            labels = [self._label(s, tier) for s in shown]
            length = sum(
                1
                + (
                    len(f" {s.key} {s.title} ")
                    if s.mode == self.current
                    else len(s.key) + (len(label) + 1 if label else 0)
                )
                for s, label in zip(shown, labels, strict=True)
            )
            if length <= width or tier == "key":
                break
        parts = []
        for s, label in zip(shown, labels, strict=True):
            text = f"[b]{s.key}[/b]{' ' + label if label else ''}"
            if s.mode == self.current:
                parts.append(f"[reverse b] {s.key} {s.title} [/]")
            else:  # a section not installed yet opens a page that says so
                parts.append(f"[@click=app.goto('{s.mode}')]{text}[/]")
        line = " " + " ".join(parts)
        if length + len(self.HINT) <= width:
            line += f"[dim]{self.HINT}[/]"
        self.update(line)

    @staticmethod
    def _label(section: Section, tier: str) -> str:
        if tier == "title":
            return section.title
        if tier == "medium":
            return section.short if section.mode == "coreyaml" else section.title
        if tier == "short":
            return section.short or section.title
        return ""


class StatusLine(Static):
    """Workspace, selection summary and read-only marker, under the navigation bar."""

    if TYPE_CHECKING:
        app = getters.app(SkiffHost)

    def on_mount(self) -> None:
        self.watch(self.app, "workspace", self._refresh_text, init=False)
        self.watch(self.app, "selection", self._refresh_text, init=False)
        self.watch(self.app, "builds_running", self._refresh_text, init=False)
        self._refresh_text()

    def _refresh_text(self, *_args: object) -> None:
        self.update(self.app.status_text())


class SkiffScreen(Screen):
    """Base of skiff's own screens: nav bar on top, footer below, engine errors as notifications."""

    SECTION = ""
    if TYPE_CHECKING:
        app = getters.app(SkiffHost)

    # Actions that change files: hidden from the footer and refused in read-only mode.
    MUTATING: frozenset[str] = frozenset()

    def compose_top(self):
        yield NavBar(self.SECTION)
        yield StatusLine(id="status")

    def compose_bottom(self):
        yield Footer()

    def on_mount(self) -> None:
        """Nothing to do here (the status line follows the app itself); subclasses chain to it."""

    @property
    def read_only(self) -> bool:
        return self.app.read_only

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # the app's handler reports it (one line, details on F2); a screen that shows a failure
        # in place calls event.prevent_default() and reports it with notify=False
        if event.state == WorkerState.ERROR:
            self.post_message(msg.WorkerFailed(event.worker))

    def check_action(self, action: str, parameters) -> bool | None:
        if action in self.MUTATING and self.read_only:
            return False
        return True

    @property
    def palette_group(self) -> str:
        """What the palette puts before the titles of this screen's bindings ("Build: Start")."""
        section = SECTION_BY_MODE.get(self.SECTION)
        return section.title if section is not None else ""

    def palette_extras(self) -> list[PaletteCommand]:
        """Commands with no key of their own that this screen adds to the palette (ui/palette.py);
        its bindings are there already."""
        return []

    # --- screens that follow app state but only work while shown --------------------------------
    _stale = False

    def follow_app(self, *names: str) -> None:
        """Call `load()` when any of the app's reactives `names` changes: now if this screen is
        shown, else when it is shown next (hidden screens do no work)."""
        for name in names:
            self.watch(self.app, name, self._app_state_changed, init=False)

    def _app_state_changed(self, _value=None) -> None:
        if self.is_current:
            self.load()
        else:
            self._stale = True

    def on_screen_resume(self) -> None:
        if self._stale:
            self._stale = False
            self.load()

    def load(self) -> None:  # screens that call follow_app() define it
        pass


class EditorScreen(SkiffScreen):
    """Base of the screens that edit files (Kconfig, Overrides, skiff-core.yaml): read-only from
    the app (or forced), writing actions (MUTATING) absent in read-only mode, escape = leave
    (asking about unsaved changes), a layer selector."""

    scope = "workspace"  # the layer edited: "workspace" or "all" (editors with a layer selector)

    def __init__(self, *, read_only: bool | None = None) -> None:
        super().__init__()
        self._read_only = read_only

    @property
    def read_only(self) -> bool:
        from ...core import readonly

        if self._read_only is not None:
            return self._read_only or readonly.is_read_only()
        return self.app.read_only or readonly.is_read_only()

    def has_unsaved_changes(self) -> bool:
        return False

    # Hooks of confirm_leave for screens that hold edits.
    def unsaved_description(self) -> tuple[str, str]:
        return "This editor", ""

    def save_edits(self) -> bool:
        return False

    def discard_edits(self) -> None:
        pass

    def confirm_leave(self, then, on_stay=None) -> None:
        """Call `then()` once unsaved edits are saved or discarded (right away if there are
        none); staying, or a save that fails, calls `on_stay()` instead."""
        from ..widgets.dialogs import UnsavedChangesModal

        if self.read_only or not self.has_unsaved_changes():
            then()
            return

        def answered(choice: str | None) -> None:
            if choice == "save" and self.save_edits():
                then()
            elif choice == "discard":
                self.discard_edits()
                then()
            elif on_stay is not None:
                on_stay()

        self.app.push_screen(UnsavedChangesModal(*self.unsaved_description()), answered)

    def action_leave(self) -> None:
        def go() -> None:
            stack = self.app.screen_stack
            if len(stack) > 1 and stack[-1] is self:
                self.dismiss()
            else:
                self.post_message(msg.GoToSection("packages"))

        self.confirm_leave(go)

    def layer_select_changed(self, select, reload) -> None:
        """The layer selector changed: switch (`reload()`) once unsaved edits are saved or
        discarded; staying puts the selector back."""
        if select.value == self.scope or select.value is select.BLANK:
            return
        new = str(select.value)

        def switch() -> None:
            self.scope = new
            reload()

        def stay() -> None:
            select.value = self.scope

        self.confirm_leave(switch, on_stay=stay)

    def action_switch_layer(self) -> None:
        from textual.widgets import Select

        self.query_one(".layer-select", Select).value = "all" if self.scope == "workspace" else "workspace"


__all__ = [
    "SECTIONS",
    "SECTION_BY_MODE",
    "Section",
    "SkiffScreen",
    "EditorScreen",
    "NavBar",
    "StatusLine",
]
