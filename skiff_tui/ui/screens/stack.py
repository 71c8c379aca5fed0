"""Stack: the user's selection in order (reorder, remove) beside the resolved chain, each
auto-added dependency marked with the package that pulled it in; resolution errors in place;
Configure in a worker, then the overridden values and the values that did not stick; the commands
of the chain's packages (cmd/<pkg>/<cmd>), run here with their output in a log pane or, for the
ones that prompt or attach a console, on the terminal (see `takes_terminal`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Label, Log, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from ...core.builds.commands import takes_terminal
from ...core.errors import SkiffError
from ..widgets.provenance import describe, shown
from .. import messages as msg
from ..widgets.datatable import RedrawingDataTable
from . import SkiffScreen

if TYPE_CHECKING:
    from ...core.builds.configure import ConfigureResult
    from ...core.library.resolve import Chain


# Package commands that prompt for confirmation or attach a console get the real terminal (the
# TUI steps aside until they end); every other command runs here with its output in a log pane.
TERMINAL_RULE = (
    "⏎ terminal: format, install, run, exec, flashusb (they prompt or attach a console); others: output below"
)


class StackScreen(SkiffScreen):
    SECTION = "stack"
    MUTATING = frozenset({"move_up", "move_down", "remove", "configure", "run_command"})
    BINDINGS = [
        Binding("shift+up,K", "move_up", "Move up", id="skiff.stack.move_up"),
        Binding("shift+down,J", "move_down", "Move down", id="skiff.stack.move_down"),
        Binding("d,delete", "remove", "Remove", id="skiff.stack.remove"),
        Binding("c", "configure", "Configure", id="skiff.stack.configure"),
        Binding("exclamation_mark", "run_command", "Run command", id="skiff.stack.run_command"),
        Binding("g", "graph", "Graph", id="skiff.stack.graph"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._want_highlight: int | None = None
        self.chain: Chain | None = None
        self.error: SkiffError | None = None
        self.result: ConfigureResult | None = None
        self._pending_lines: list[str] = []
        self.command_running: str | None = None

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        with Horizontal(id="stack-body"):
            with Vertical(id="stack-left"):
                yield Label("Your selection (in order)", classes="pane-title")
                yield OptionList(id="selection-list")
            with Vertical(id="stack-right"):
                yield Label("Resolved chain (later layers override earlier ones)", classes="pane-title")
                table: DataTable[str | Text] = RedrawingDataTable(
                    id="chain-table", cursor_type="row", zebra_stripes=True
                )
                yield table
                yield Static("", id="stack-messages")
                if not self.read_only:
                    yield Label("Package commands (enter or ! runs the highlighted one)", classes="pane-title")
                    yield OptionList(id="commands-list")
                    yield Static(TERMINAL_RULE, id="commands-rule")
        with VerticalScroll(id="configure-result", classes="-hidden"):
            yield Static("", id="configure-body")
        with Vertical(id="command-pane", classes="-hidden"):
            yield Label("", id="command-title", classes="pane-title")
            yield Log(id="command-log", max_lines=20000)
        yield from self.compose_bottom()

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one("#chain-table", DataTable)
        table.add_columns("#", "Package", "Why", "Description")
        self.watch(self.app, "index", self._refresh, init=False)
        self.watch(self.app, "selection", self._refresh, init=False)
        self._refresh()
        self.query_one("#selection-list").focus()

    # --- model --------------------------------------------------------------------------------
    def _refresh(self, *_args) -> None:
        from ...core.library.resolve import resolve

        index = self.app.index
        selection = list(self.app.selection)
        self.chain, self.error = None, None
        if index is not None and selection:
            try:
                self.chain = resolve(index, selection)
            except SkiffError as exc:
                self.error = exc
        self._fill_selection(selection, index)
        self._fill_chain()
        self._fill_messages(index, selection)
        self._fill_commands()

    def _fill_selection(self, selection: list[str], index) -> None:
        lst = self.query_one("#selection-list", OptionList)
        keep = lst.highlighted if self._want_highlight is None else self._want_highlight
        self._want_highlight = None
        lst.clear_options()
        for i, name in enumerate(selection, 1):
            label = Text(f"{i:>2}. ")
            if index is not None and name not in index:
                label.append(name, style="bold red")
                label.append("  unknown package", style="red")
            else:
                label.append(name, style="bold")
            lst.add_option(Option(label, id=name))
        if selection:
            lst.highlighted = min(keep or 0, len(selection) - 1)

    def _fill_chain(self) -> None:
        table = self.query_one("#chain-table", DataTable)
        table.clear()
        if self.chain is None:
            return
        for i, pkg in enumerate(self.chain.packages, 1):
            if pkg.name in self.chain.selection:
                why = Text("selected", style="green")
            else:
                why = Text(f"needed by {self.chain.pulled_by.get(pkg.name, '?')}", style="cyan")
            table.add_row(str(i), Text(pkg.name), why, Text(pkg.description), key=pkg.name)  # never markup

    def chain_commands(self) -> list[tuple[str, str, str]]:
        """(package, command, description) of every command of the resolved chain, in chain order."""
        if self.chain is None:
            return []
        return [
            (pkg.name, cmd.name, cmd.description or "") for pkg in self.chain.packages for cmd in pkg.runnable_commands
        ]

    def _fill_commands(self) -> None:
        if self.read_only:
            return
        lst = self.query_one("#commands-list", OptionList)
        keep = lst.highlighted
        lst.clear_options()
        cmds = self.chain_commands()
        for pkg, cmd, desc in cmds:
            label = Text()
            label.append(f"cmd/{pkg}/{cmd}", style="bold")
            if takes_terminal(cmd):
                label.append("  ⏎ terminal", style="yellow")
            if desc:
                label.append(f"  {desc}", style="dim")
            lst.add_option(Option(label, id=f"{pkg}\t{cmd}"))
        if not cmds:
            lst.add_option(Option(Text("no commands in this chain", style="dim"), disabled=True))
        elif keep is not None:
            lst.highlighted = min(keep, len(cmds) - 1)

    def _fill_messages(self, index, selection) -> None:
        msg = self.query_one("#stack-messages", Static)
        msg.set_class(self.error is not None, "-error")
        if self.app.loading and index is None:
            msg.update("Loading packages…")
        elif self.error is not None:
            msg.update(Text(f"✗ {self.error}"))
        elif not selection:
            msg.update("Nothing selected yet: add packages on the Packages screen (1) with 'a'.")
        elif self.chain is not None and self.chain.notes:
            msg.update(Text("\n".join(f"note: {n}" for n in self.chain.notes), style="yellow"))
        else:
            n = len(self.chain.packages) if self.chain else 0
            msg.update(f"{n} packages in the chain, {n - len(selection)} added as dependencies.")

    # --- actions ------------------------------------------------------------------------------
    def _highlighted_name(self) -> str | None:
        lst = self.query_one("#selection-list", OptionList)
        if lst.highlighted is None or lst.option_count == 0:
            return None
        return lst.get_option_at_index(lst.highlighted).id

    def _move(self, delta: int) -> None:
        if self.read_only:
            return
        selection = list(self.app.selection)
        name = self._highlighted_name()
        if name is None:
            return
        i = selection.index(name)
        j = i + delta
        if not 0 <= j < len(selection):
            return
        selection[i], selection[j] = selection[j], selection[i]
        self._want_highlight = j  # the moved package stays highlighted once the app saved it
        self.post_message(msg.SetSelection(tuple(selection)))

    def action_move_up(self) -> None:
        self._move(-1)

    def action_move_down(self) -> None:
        self._move(1)

    def action_remove(self) -> None:
        name = self._highlighted_name()
        if name is not None and not self.read_only:
            self.post_message(msg.RemovePackage(name))

    def action_configure(self) -> None:
        if self.read_only:
            return
        if self.error is not None:
            self.post_message(msg.ShowError(self.error))
            return
        if not self.app.selection:
            self.notify("Nothing to configure: select packages first", severity="warning")
            return
        if self.app.index is None:
            self.notify("Packages are still loading", severity="warning")
            return
        self._show_result(Text("Configuring… (merging layers, then Buildroot defconfig)", style="bold"))
        self.run_configure(list(self.app.selection))

    @work(thread=True, exclusive=True, group="configure", exit_on_error=False)
    def run_configure(self, selection: list[str]):
        from ...core.builds.configure import configure

        app = self.app

        def log(message: str) -> None:
            app.call_from_thread(self._progress, message)

        return configure(app.session, selection, log=log)

    def _progress(self, message: str) -> None:
        self._show_result(Text(f"Configuring…\n{message}", style="bold"))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group == "command":
            if event.state in (WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED):
                self._command_ended(event.worker)
            return
        if event.worker.group != "configure":
            return super().on_worker_state_changed(event)
        event.prevent_default()  # shown here (result pane and modal), not reported twice
        if event.state == WorkerState.SUCCESS:
            result = self.result = event.worker.result
            if result is None:
                return
            self._show_result(self._render_result(result))
            self.app.notify("Configured" if not result.skipped else "Already up to date")
        elif event.state == WorkerState.ERROR:
            error = event.worker.error
            self._show_result(Text(f"Configure failed: {error}", style="bold red"))
            if error is not None:
                self.post_message(msg.ShowError(error, modal=True))

    def _show_result(self, text) -> None:
        self.query_one("#configure-result").remove_class("-hidden")
        self.query_one("#configure-body", Static).update(text)

    def _render_result(self, result) -> Text:
        layer_dirs = {l.name: l.path for l in result.plan.stack}
        root = self.app.root
        t = Text()
        if result.skipped:
            t.append("Up to date: no input changed since the last configure.\n", style="bold green")
        else:
            t.append(
                f"Configured workspace {self.app.workspace.name}"
                + (" (Buildroot defconfig ran)" if result.kconfig_ran else "")
                + "\n",
                style="bold green",
            )
        for note in result.notes:
            t.append(f"note: {note}\n", style="yellow")
        overridden = result.overridden
        t.append(f"\nOverridden values ({len(overridden)})\n", style="bold")
        for kind, final, earlier in overridden:
            t.append(f"  {final.symbol}", style="bold")
            t.append(f" = {shown(final.value)}  from {describe(final.origin, layer_dirs, root)}  [{kind}]\n")
            for a in earlier:
                t.append(f"      overrides {shown(a.value)} from {describe(a.origin, layer_dirs, root)}\n", style="dim")
        stuck = result.not_stuck
        t.append(f"\nValues that did not stick ({len(stuck)})\n", style="bold")
        for a, got in stuck:
            gives = got if got is not None else "n / unset (unmet dependency or unknown symbol)"
            t.append(f"  {a.symbol}", style="bold red")
            t.append(
                f" requested {shown(a.value)} by {describe(a.origin, layer_dirs, root)}; Buildroot gives {gives}\n"
            )
        if result.skipped:
            t.append("  (not re-checked: nothing changed)\n", style="dim")
        return t

    # --- package commands --------------------------------------------------------------------
    def _highlighted_command(self) -> tuple[str, str] | None:
        if self.read_only:
            return None
        lst = self.query_one("#commands-list", OptionList)
        if lst.highlighted is None or lst.option_count == 0:
            return None
        option = lst.get_option_at_index(lst.highlighted)
        if option.id is None or "\t" not in option.id:
            return None
        pkg, cmd = option.id.split("\t", 1)
        return pkg, cmd

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option_list.id == "commands-list":
            event.stop()
            self.action_run_command()

    def action_run_command(self) -> None:
        chosen = self._highlighted_command()
        if chosen is None:
            self.notify("Highlight a command in 'Package commands' first", severity="warning")
            return
        self.post_message(msg.RunPackageCommand(*chosen))

    def stream_command(self, package: str, command: str) -> None:
        """Run a command without the terminal, its output in the log pane (one at a time)."""
        if self.read_only:
            return
        if self.command_running is not None:
            self.notify(f"cmd/{self.command_running} is still running", severity="warning")
            return
        self.command_running = f"{package}/{command}"
        self.query_one("#command-pane").remove_class("-hidden")
        self.query_one("#command-title", Label).update(Text(f"cmd/{package}/{command}: running…"))
        log = self.query_one("#command-log", Log)
        log.clear()
        self._pending_lines.clear()
        self._flush_timer = self.set_interval(0.1, self._flush_lines)
        self._run_streamed(package, command)

    def _flush_lines(self) -> None:
        lines = self._pending_lines[:]  # the worker thread appends meanwhile: take a prefix
        del self._pending_lines[: len(lines)]
        if lines:
            self.query_one("#command-log", Log).write_lines(lines)

    @work(thread=True, exclusive=True, group="command", exit_on_error=False)
    def _run_streamed(self, package: str, command: str) -> int:
        from ...core.builds.commands import stream_command
        from ..command_vars import command_env

        app = self.app
        if app.index is None:
            raise SkiffError("the packages are still loading: run the command again in a moment")
        return stream_command(app.session.with_env(command_env(app)), package, command, self._pending_lines.append)

    def _command_ended(self, worker: Worker) -> None:
        self._flush_timer.stop()
        self._flush_lines()
        name, self.command_running = self.command_running, None
        title = self.query_one("#command-title", Label)
        if worker.state == WorkerState.SUCCESS:
            code = worker.result
            title.update(Text(f"cmd/{name}: exited with {code}", style="green" if code == 0 else "bold red"))
            self.notify(f"cmd/{name} exited with {code}", severity="information" if code == 0 else "error")
        else:
            error = worker.error
            message = str(error) if isinstance(error, SkiffError) else f"cannot run cmd/{name}: {error}"
            title.update(Text(f"cmd/{name}: {message}", style="bold red"))
            self.post_message(msg.ShowError(error if isinstance(error, SkiffError) else SkiffError(message)))

    def action_graph(self) -> None:
        """The selection's dependency graph, drawn as a tree."""
        from .dependency_graph import DependencyGraphScreen

        self.app.push_screen(DependencyGraphScreen(self.app.index, list(self.app.selection)))
