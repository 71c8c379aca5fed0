"""SkiffApp: the full-screen front end over `skiff_tui.core` (docs/architecture.md).

Shape: one mode per section (screens.SECTIONS), each a SkiffScreen built with no arguments. The
app owns the shared state as reactives (`workspace`, `index`, `selection`, declared in host.py);
screens follow them and ask for changes with the messages of messages.py, handled here. The
package index and the saved selection are loaded in a thread worker so the first frame does not
wait. Every engine error arrives as a notification or modal, never a traceback.
"""

from __future__ import annotations

import importlib
import os
import time
import weakref
from functools import partial
from pathlib import Path
from typing import Callable, Iterable

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker

from ..core import paths, readonly
from ..core.errors import SkiffError
from ..core.workspace import Workspace, workspace_name
from . import messages as msg
from .failures import Failure, failure, worker_title
from .host import SkiffHost
from .palette import PaletteCommand, binding_commands
from .screens import SECTION_BY_MODE, SECTIONS, EditorScreen, Section, SkiffScreen

DARK_THEME = "textual-dark"
# The palette's help line of each "Go to …" entry: what the section is for.
SECTION_HELP = {
    **{f"skiff.goto.{s.mode}": s.help for s in SECTIONS},
    **{f"skiff.goto_anywhere.{s.mode}": s.help for s in SECTIONS},
}
LIGHT_THEME = "textual-light"


def save_selection(workspace: Workspace, names: list[str]) -> None:
    """Store the user's selection through the engine (no Kconfig run; refused when read-only)."""
    from ..core.builds.configure import save_selection as engine_save

    engine_save(workspace, list(names))


class MissingScreen(SkiffScreen):
    """Keeps a section's place in the navigation until its screen is installed."""

    def __init__(self, section: Section, reason: str) -> None:
        super().__init__()
        self.SECTION = section.mode
        self.section = section
        self.reason = reason

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        yield Static(
            Text.assemble(
                (self.section.title, "bold"),
                f": {self.section.help}.\n\n"
                f"This screen is not available in this installation ({self.reason}).\n"
                "The command line offers the same through `skiff --help`.",
            ),
            id="missing",
        )
        yield from self.compose_bottom()


def _skiff_commands():
    from .commands import SkiffCommands  # textual.command costs ~25 ms: load with the palette

    return SkiffCommands


class SkiffApp(SkiffHost):
    CSS_PATH = "skiff.tcss"
    TITLE = "skiff"
    COMMANDS = {_skiff_commands}  # the one palette source: Textual's own commands are not offered
    COMMAND_PALETTE_BINDING = "ctrl+p"
    DEFAULT_MODE = "packages"  # the first frame is the Packages screen, no blank default screen
    BINDINGS = [
        *[
            Binding(s.key, f"goto('{s.mode}')", f"Go to {s.title}", id=f"skiff.goto.{s.mode}", show=False)
            for s in SECTIONS
        ],
        # the same from anywhere: digits type into a focused text field, alt+digit never does
        *[
            Binding(
                s.alt_key,
                f"goto('{s.mode}')",
                f"Go to {s.title}",
                id=f"skiff.goto_anywhere.{s.mode}",
                show=False,
                priority=True,
            )
            for s in SECTIONS
        ],
        Binding("question_mark,f1", "help", "Help", id="skiff.help"),
        Binding("ctrl+t", "toggle_theme", "Theme", id="skiff.theme"),
        Binding("f2", "error_details", "Error details", id="skiff.error_details"),
        Binding("ctrl+q", "quit", "Quit", id="skiff.quit", priority=True),
    ]

    def __init__(
        self,
        *,
        root: Path | None = None,
        env: dict[str, str] | None = None,
        workspace: str | None = None,
        read_only: bool = False,
        theme: str | None = None,
    ) -> None:
        super().__init__()
        self.env = dict(os.environ) if env is None else dict(env)
        self.root = Path(root) if root is not None else paths.root_dir(self.env)
        if read_only:
            readonly.set_read_only(True)
        self.read_only = bool(read_only or readonly.is_read_only())
        self.set_reactive(SkiffApp.workspace, Workspace.from_env(self.root, self.env, workspace))
        self.index_warnings: list[str] = []
        self.load_error: SkiffError | None = None
        self.failures: list[Failure] = []  # this session's, newest last (see report_failure)
        self.command_variables: dict[str, str] = {}
        self._reported_workers: weakref.WeakSet = weakref.WeakSet()
        from .buildruns import BuildRuns

        self.build_runs = BuildRuns(self._notify_from_thread, on_change=self._build_changed_from_thread)
        self._remember_theme = theme is None  # a theme given by the caller is not a choice to keep
        self.theme = theme or self._saved_theme() or DARK_THEME
        for section in SECTIONS:
            self.add_mode(section.mode, partial(self._make_screen, section))
        if read_only:
            self.sub_title = "read-only"

    # --- startup ------------------------------------------------------------------------------
    def on_mount(self) -> None:
        self.apply_user_keymap()
        self.load_engine_state()
        self.theme_changed_signal.subscribe(self, self._theme_changed)

    def _saved_theme(self) -> str | None:
        from ..core.settings import load_theme

        theme = load_theme(self.env)
        return theme if theme in self.available_themes else None

    def _theme_changed(self, theme) -> None:
        """Ctrl+T or the palette's theme picker: the next session starts with it (not saved by a
        read-only session, which writes nothing)."""
        from ..core.settings import save_theme

        if self.read_only or not self._remember_theme:
            return
        try:
            save_theme(theme.name, self.env)
        except SkiffError as exc:
            self.show_error(exc)

    def apply_user_keymap(self) -> None:
        """~/.config/skiff/keymap.toml remaps bindings by id (see `?` for the ids)."""
        from ..core.settings import load_keymap

        try:
            keymap = load_keymap(self.env)
        except SkiffError as exc:
            self.show_error(exc)
            return
        if keymap:
            self.set_keymap(keymap)

    @work(
        thread=True,
        exclusive=True,
        group="load",
        exit_on_error=False,
        name="Reading the package library and the workspace",
    )
    def load_engine_state(self) -> None:
        from ..core.library.packages import discover
        from ..core.library.resolve import parse_selection

        workspace = self.workspace
        error: SkiffError | None = None
        index = None
        selection: list[str] = []
        try:
            index = discover(paths.package_roots(self.root), self.env)
        except SkiffError as exc:
            error = exc
        try:
            state = workspace.load_state()
            selection = list(state.selection or []) if state else []
            if not selection:
                selection = parse_selection(self.env.get("SKIFF_CONFIG", ""))
        except SkiffError as exc:
            error = error or exc
        self.call_from_thread(self._loaded, index, tuple(selection), error)

    def on_worker_state_changed(self, event) -> None:
        """The one handler of failed workers: the app's own, and those of every screen and widget
        (they post theirs as messages.WorkerFailed). One line names what failed; F2 shows the
        details; the app carries on."""
        from textual.worker import WorkerState

        if event.state == WorkerState.ERROR:
            if event.worker.group == "load":
                self.loading = False
            self.report_failure(worker_title(event.worker), event.worker.error)

    def report_worker_error(self, worker: Worker, *, notify: bool = True) -> Failure | None:
        """A failed worker of a screen or widget (they post messages.WorkerFailed: Worker.StateChanged
        does not bubble); each worker is reported once."""
        if worker in self._reported_workers:
            return None  # a handler further up the screen's class chain reported it already
        self._reported_workers.add(worker)
        return self.report_failure(worker_title(worker), worker.error, notify=notify)

    MAX_FAILURES = 20

    def report_failure(self, what: str, error: BaseException | None, *, notify: bool = True) -> Failure | None:
        """Record a failure (details for F2) and say it in one line. Never raises: this is the
        last line of defence for errors of background work."""
        if error is None:
            return None
        try:
            record = failure(what, error)
        except Exception as exc:  # noqa: BLE001 - a broken error must not become a crash
            record = Failure(what, f"{type(error).__name__}", f"(details unavailable: {exc!r})", True)
        self.failures = [*self.failures[-(self.MAX_FAILURES - 1) :], record]
        self.log.error(record.line)
        if notify:
            severity_title = "skiff: internal error" if record.internal else "skiff"
            self.notify(f"{record.line}  (F2: details)", title=severity_title, severity="error", timeout=12)
        self.refresh_bindings()
        return record

    def action_error_details(self) -> None:
        from .widgets.error_details import ErrorDetailsModal

        if not self.failures:
            self.notify("Nothing has failed in this session")
            return
        if isinstance(self.screen, ErrorDetailsModal):
            return
        self.push_screen(ErrorDetailsModal(self.failures[-1], earlier=len(self.failures) - 1))

    def _loaded(self, index, selection: tuple[str, ...], error: SkiffError | None) -> None:
        self.load_error = error
        if index is not None:
            self.index_warnings = list(index.warnings)
            if index.warnings:
                more = f" (and {len(index.warnings) - 1} more; run 'skiff check')" if len(index.warnings) > 1 else ""
                self.notify(index.warnings[0] + more, title="skiff: package warnings", severity="warning", timeout=8)
        self.selection = selection
        self.index = index
        self.loading = False
        if error is not None:
            self.show_error(error)

    def reload(self) -> None:
        """Discover packages and reread the workspace's selection again."""
        self.loading = True
        self.load_engine_state()

    # --- sections -----------------------------------------------------------------------------
    def section_offered(self, section: Section) -> bool:
        return section.offered(self.read_only)

    def _make_screen(self, section: Section) -> Screen:
        """Every section is a SkiffScreen built with no arguments: it reads the app's state."""
        if not section.available():
            return MissingScreen(section, "not installed yet")
        try:
            cls = getattr(importlib.import_module(section.module), section.cls)
            return cls()
        except Exception as exc:  # a broken screen module must not take the app down
            self.log.error(f"cannot open {section.title}: {exc!r}")
            return MissingScreen(section, f"failed to load: {exc}")

    def action_goto(self, mode: str) -> None:
        section = SECTION_BY_MODE.get(mode)
        if section is None or not self.section_offered(section):
            self.notify(f"{section.title if section else mode} is not available in read-only mode", severity="warning")
            return
        if self.current_mode != mode:
            self.switch_mode(mode)

    # --- requests from screens (messages.py) --------------------------------------------------
    def on_add_package(self, message: msg.AddPackage) -> None:
        self.add_package(message.name)

    def on_remove_package(self, message: msg.RemovePackage) -> None:
        self.remove_package(message.name)

    def on_set_selection(self, message: msg.SetSelection) -> None:
        self.set_selection(message.names)

    def on_switch_workspace(self, message: msg.SwitchWorkspace) -> None:
        self.switch_workspace(message.name)

    def on_run_package_command(self, message: msg.RunPackageCommand) -> None:
        self.run_package_command(message.package, message.command)

    def on_go_to_section(self, message: msg.GoToSection) -> None:
        self.action_goto(message.mode)

    def on_show_error(self, message: msg.ShowError) -> None:
        self.show_error(message.error, modal=message.modal)

    def on_report_failure(self, message: msg.ReportFailure) -> None:
        self.report_failure(message.what, message.error, notify=message.notify)

    def on_worker_failed(self, message: msg.WorkerFailed) -> None:
        self.report_worker_error(message.worker, notify=message.notify)

    def on_show_error_details(self, _message: msg.ShowErrorDetails) -> None:
        self.action_error_details()

    # --- leaving: unsaved edits and running builds -------------------------------------------
    def _notify_from_thread(self, message: str, **kwargs) -> None:
        try:
            self.call_from_thread(self.notify, message, **kwargs)
        except Exception:  # the app is gone: nobody to tell
            pass

    # --- builds started here: the status line's mark, and telling when one ends ----------------
    def _build_changed_from_thread(self, run, ended: bool) -> None:
        import threading

        if threading.get_ident() == self._thread_id:  # a start, from the UI thread itself
            self.call_later(self._build_changed, run, ended)
            return
        try:
            self.call_from_thread(self._build_changed, run, ended)
        except Exception:  # the app is gone: nobody to tell
            pass

    def _build_changed(self, run, ended: bool) -> None:
        self.builds_running = len(self.build_runs.active())
        if ended:
            from .build_announce import announce_end

            announce_end(self, self.env, run)

    def unsaved_screens(self) -> list[EditorScreen]:
        """Every editor of every mode (not only the visible one) holding edits not saved yet."""
        out: list[EditorScreen] = []
        for stack in self._screen_stacks.values():
            for screen in stack:
                if not isinstance(screen, EditorScreen) or screen in out:
                    continue
                try:
                    unsaved = screen.has_unsaved_changes()
                except Exception:  # a screen not composed yet has nothing to lose
                    unsaved = False
                if unsaved:
                    out.append(screen)
        return out

    def confirm_leave_all(self, then: Callable[[], object]) -> None:
        """Ask each screen with unsaved edits (save / discard / stay), in turn; `then()` once all
        are saved or discarded. Staying on any of them stops here."""
        pending = self.unsaved_screens()

        def step() -> None:
            while pending:
                screen = pending.pop(0)
                if screen.has_unsaved_changes():
                    screen.confirm_leave(step)
                    return
            then()

        step()

    async def action_quit(self) -> None:
        from .widgets.dialogs import ChoiceModal

        if isinstance(self.screen, ChoiceModal):  # already asking (unsaved edits, a running build)
            return
        self.confirm_leave_all(self._quit_after_builds)

    def _quit_after_builds(self) -> None:
        runs = self.build_runs.active()
        if not runs:
            self.exit()
            return
        from .widgets.dialogs import Choice, ChoiceModal

        lines = "\n".join(r.describe() for r in runs)
        n = "A build started here is" if len(runs) == 1 else f"{len(runs)} builds started here are"

        def answered(choice: str | None) -> None:
            if choice == "cancel":
                self.notify("cancelling the build before quitting…")
                self.run_worker(self._cancel_builds_and_exit, thread=True, group="quit", exit_on_error=False)

        self.push_screen(
            ChoiceModal(
                f"{n} still running.",
                [
                    Choice("wait", "Keep waiting", "primary", "w"),
                    Choice("cancel", "Cancel build and quit", "error", "c"),
                ],
                f"{lines}\nQuitting cancels it (Buildroot's stamps keep finished steps for the next start). "
                "Keep waiting to stay and follow it.",
                focus="wait",
            ),
            answered,
        )

    def _cancel_builds_and_exit(self) -> None:
        self.build_runs.cancel_all(grace=5.0)
        self.call_from_thread(self.exit)

    # --- state changes (through the engine) ---------------------------------------------------
    def switch_workspace(self, name: str) -> bool:
        """Switch to workspace `name` once unsaved edits are saved or discarded; False if the
        name is invalid. A build running in the old workspace keeps running (see buildruns)."""
        try:
            name = workspace_name(name)
        except SkiffError as exc:
            self.show_error(exc)
            return False
        if name == self.workspace.name:
            return True
        self.confirm_leave_all(partial(self._do_switch_workspace, name))
        return True

    def _do_switch_workspace(self, name: str) -> None:
        self.workspace = Workspace(self.root, name)  # every screen follows (SkiffScreen.follow_app)
        self.notify(f"Workspace {name}")
        self.reload()

    def set_selection(self, names: Iterable[str]) -> bool:
        """Save the user's selection in the workspace; False (and a notification) if refused."""
        names = list(dict.fromkeys(names))
        if self.read_only:
            self.notify("read-only session: the selection cannot be changed", severity="warning")
            return False
        try:
            save_selection(self.workspace, names)
        except SkiffError as exc:
            self.show_error(exc)
            return False
        self.selection = tuple(names)
        return True

    def add_package(self, name: str) -> bool:
        if name in self.selection:
            self.notify(f"{name} is already selected")
            return False
        if self.set_selection([*self.selection, name]):
            self.notify(f"Added {name}")
            return True
        return False

    def remove_package(self, name: str) -> bool:
        if name not in self.selection:
            self.notify(f"{name} is not in the selection", severity="warning")
            return False
        if self.set_selection([n for n in self.selection if n != name]):
            self.notify(f"Removed {name}")
            return True
        return False

    # --- errors, status -----------------------------------------------------------------------
    def show_error(self, error: BaseException | None, *, modal: bool = False) -> None:
        if error is None:
            return
        if isinstance(error, SkiffError):
            text, title = str(error), "skiff"
        else:  # a bug, not a user mistake: one line here, the traceback on F2
            record = self.report_failure("skiff", error, notify=False)
            summary = record.summary if record is not None else type(error).__name__
            text, title = f"internal error: {summary}  (F2: details)", "skiff: internal error"
        if modal:
            from .widgets.dialogs import ErrorModal

            self.push_screen(ErrorModal(title, text))
        else:
            self.notify(text, title=title, severity="error", timeout=10)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity="information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast shows its text literally: messages carry package names, paths and engine
        errors, which may hold '[' (docs/tui.md, "User text is never markup")."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "error_details":
            return bool(self.failures)  # in the footer only once something failed
        if action == "goto" and parameters:
            section = SECTION_BY_MODE.get(str(parameters[0]))
            return section is not None and self.section_offered(section)
        return True

    # --- actions ------------------------------------------------------------------------------
    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    async def action_pop_screen(self) -> None:
        """Back from a pushed screen; on a section's own screen (the bottom of its mode) there is
        nothing to go back to, and Textual would fail: stay."""
        if len(self.screen_stack) > 1:
            self.pop_screen()

    def action_toggle_theme(self) -> None:
        self.theme = LIGHT_THEME if self.current_theme.dark else DARK_THEME

    def action_configure(self) -> None:
        """Open the Stack screen and run Configure there."""
        if self.read_only:
            return
        if self.current_mode != "stack":
            self.switch_mode("stack")
        self.call_after_refresh(self._configure_on_stack)

    def _configure_on_stack(self) -> None:
        from .screens.stack import StackScreen

        if isinstance(self.screen, StackScreen):
            self.screen.action_configure()

    def action_create_workspace(self) -> None:
        from .screens.workspaces import create_workspace_dialog

        create_workspace_dialog(self)

    def palette_commands(self, screen: Screen[object]) -> list[PaletteCommand]:
        """Every command the palette offers on `screen` right now (ui/palette.py): its active
        bindings, then the commands with no key; one entry per title, none that writes in a
        read-only session."""
        group = screen.palette_group if isinstance(screen, SkiffScreen) else getattr(screen, "PALETTE_GROUP", "")
        cmds = binding_commands(self, screen, group, SECTION_HELP)
        cmds += self._extra_commands()
        if isinstance(screen, SkiffScreen):
            try:
                cmds += screen.palette_extras()
            except Exception as exc:  # a screen not composed yet offers nothing more
                self.log.error(f"palette of {type(screen).__name__}: {exc!r}")
        if self.read_only:
            cmds = [c for c in cmds if not c.mutating]
        unique: dict[str, PaletteCommand] = {}
        for cmd in cmds:
            unique.setdefault(cmd.title, cmd)
        return list(unique.values())

    def _extra_commands(self) -> list[PaletteCommand]:
        """The app's commands with no key: themes, reload, workspaces, packages, package commands."""
        cmds = [
            PaletteCommand(
                "Theme: choose…",
                "pick any installed theme (remembered for next time)",
                self.action_change_theme,
                action="change_theme",
            ),
            PaletteCommand("Reload packages", "discover packages and reread the workspace", self.reload),
            PaletteCommand(
                "Configure workspace",
                "merge the selected packages and run Kconfig (on the Stack screen)",
                self.action_configure,
                mutating=True,
                action="configure",
            ),
            PaletteCommand(
                "Create workspace…",
                "a new, empty workspace",
                self.action_create_workspace,
                mutating=True,
                action="create",
            ),
        ]
        from ..core.workspace import list_workspaces

        for name in list_workspaces(self.root):
            if name != self.workspace.name:
                cmds.append(
                    PaletteCommand(
                        f"Switch to workspace {name}",
                        "show and edit that workspace",
                        partial(self.switch_workspace, name),
                        discover=False,
                    )
                )
        index = self.index
        if index is not None:
            for pkg in index.listed(include_unlisted=True):
                verb, change = (
                    ("Remove", self.remove_package) if pkg.name in self.selection else ("Add", self.add_package)
                )
                cmds.append(
                    PaletteCommand(
                        f"{verb} package {pkg.name}",
                        pkg.description,
                        partial(change, pkg.name),
                        mutating=True,
                        discover=False,
                    )
                )
            cmds += self._chain_command_entries(index)
        return cmds

    def _chain_command_entries(self, index) -> list[PaletteCommand]:
        from ..core.builds.commands import takes_terminal
        from ..core.errors import SkiffError as _E
        from ..core.library.resolve import resolve

        try:
            chain = resolve(index, list(self.selection)) if self.selection else None
        except _E:
            return []
        out = []
        for pkg in chain.packages if chain else []:
            for cmd in pkg.runnable_commands:
                where = "on the terminal" if takes_terminal(cmd.name) else "output on the Stack screen"
                out.append(
                    PaletteCommand(
                        f"Run cmd/{pkg.name}/{cmd.name}",
                        f"{cmd.description or 'package command'} ({where})",
                        partial(self.run_package_command, pkg.name, cmd.name),
                        mutating=True,
                    )
                )
        return out

    def run_package_command(self, package: str, command: str) -> None:
        """Run a package command: on the terminal if it prompts or attaches a console (the TUI
        steps aside until it ends), otherwise on the Stack screen with its output in a log pane.
        The variables it needs (PI_SD …) are asked for first (see command_vars)."""
        if self.read_only:
            return
        from .command_vars import ask_then_run

        ask_then_run(self, package, command, partial(self._run_package_command, package, command))

    def _run_package_command(self, package: str, command: str) -> None:
        from ..core.builds.commands import takes_terminal

        if not takes_terminal(command):

            def stream() -> None:
                from .screens.stack import StackScreen

                if isinstance(self.screen, StackScreen):
                    self.screen.stream_command(package, command)

            if self.current_mode != "stack":
                self.switch_mode("stack")
                self.call_after_refresh(stream)
            else:
                stream()
            return
        self._run_on_terminal(package, command)

    def _run_on_terminal(self, package: str, command: str) -> None:
        from ..core.builds.commands import run_command
        from .command_vars import command_env

        index = self.index
        if index is None:
            self.notify("the packages are still loading: run the command again in a moment", severity="warning")
            return
        started = time.monotonic()
        try:
            with self.suspend():
                print(f"skiff: running cmd/{package}/{command} (returns to the TUI when it ends)", flush=True)
                code = run_command(self.session.with_env(command_env(self)), package, command)
                # its last lines (an error, a summary) stay readable until the user comes back
                print(
                    f"\nskiff: cmd/{package}/{command} exited with {code}. Press Enter to return to skiff.", flush=True
                )
                try:
                    input()
                except (EOFError, OSError):  # no terminal to read from (tests, pipes)
                    pass
        except SkiffError as exc:
            self.show_error(exc)
            return
        except Exception as exc:  # SuspendNotSupported in headless runs, OSError for a missing make
            self.show_error(
                SkiffError(f"cannot run cmd/{package}/{command} on this terminal: {exc or type(exc).__name__}")
            )
            return
        took = time.monotonic() - started
        self.notify(
            f"cmd/{package}/{command} exited with {code} after {took:.0f} s",
            severity="information" if code == 0 else "error",
        )
