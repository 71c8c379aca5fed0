"""Values: the merged Buildroot (and kernel/busybox/u-boot) values with provenance — filter by
symbol or layer, the chain of assignments of a symbol, open the file that set it at the line."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Input, Static, Tab, Tabs
from textual.worker import Worker, WorkerState

from ..palette import PaletteCommand
from ..widgets.datatable import RedrawingDataTable
from ..widgets.provenance import describe, shown, where
from . import SkiffScreen

if TYPE_CHECKING:
    from ...core.config.layers import MergedConfig

KINDS = ("buildroot", "kernel", "busybox", "uboot")
MAX_VALUE = 28
KIND_TITLES = {"buildroot": "Buildroot", "kernel": "Linux kernel", "busybox": "BusyBox", "uboot": "U-Boot"}


@dataclass
class ValuesModel:
    merged: MergedConfig
    layer_dirs: dict[str, Path]  # layer name -> its directory
    kconfig: dict[str, str | None]  # the workspace's .config after Kconfig ({} before the first configure)
    not_stuck: dict[str, str | None]  # symbol -> what Kconfig made of it, for requested values that did not stick


class ValuesScreen(SkiffScreen):
    SECTION = "values"
    BINDINGS = [
        Binding("slash", "focus_filter", "Filter", id="skiff.values.filter"),
        Binding("o", "open", "Open at line", id="skiff.values.open"),
        Binding("right_square_bracket", "next_kind", "Next kind", id="skiff.values.next_kind"),
        Binding("left_square_bracket", "prev_kind", "Prev kind", id="skiff.values.prev_kind", show=False),
        Binding("r", "reload", "Reload", id="skiff.values.reload"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.model: ValuesModel | None = None
        self.kind = "buildroot"
        self._symbols: list[str] = []

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        with Horizontal(id="values-top"):
            yield Tabs(*[Tab(KIND_TITLES[k], id=f"kind-{k}") for k in KINDS], id="values-kind")
            yield Input(placeholder="Filter by symbol, value or layer", id="values-filter")
        yield Static("", id="values-message")
        yield RedrawingDataTable(id="values-table", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="values-history"):
            yield Static("", id="history-body")
        yield from self.compose_bottom()

    def on_mount(self) -> None:
        super().on_mount()
        table = self.query_one("#values-table", DataTable)
        table.add_columns("Symbol", "Value", "Set by (layer · file:line)", "Earlier")
        self.follow_app("index", "selection", "workspace")
        table.focus()
        self.load()

    # --- loading (engine: configure.plan computes the merge without writing anything) ----------
    def load(self) -> None:
        msg = self.query_one("#values-message", Static)
        if self.app.index is None:
            msg.update("Loading packages…")
            return
        if not self.app.selection:
            self.model = None
            msg.update("Nothing selected: add packages on the Packages screen (1), then the merged values show here.")
            self._fill()
            return
        msg.update("Merging layers…")
        self.compute(list(self.app.selection))

    @work(thread=True, exclusive=True, group="values", exit_on_error=False)
    def compute(self, selection: list[str]) -> ValuesModel:
        from ...core.builds import buildroot
        from ...core.builds.configure import plan, stick_report

        app = self.app
        p = plan(app.session, selection)
        kconfig = buildroot.read_config(app.workspace.dir / ".config")
        # The engine's verdict, so this screen and the configure report always count the same values.
        failed = stick_report(p, kconfig, app.env)[0] if kconfig else []
        return ValuesModel(
            merged=p.merged,
            layer_dirs={l.name: l.path for l in p.stack},
            kconfig=kconfig,
            not_stuck={a.symbol: got for a, got in failed},
        )

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "values":
            return super().on_worker_state_changed(event)
        msg = self.query_one("#values-message", Static)
        if event.state == WorkerState.SUCCESS:
            self.model = event.worker.result
            self._fill()
        elif event.state == WorkerState.ERROR:
            self.model = None
            self._fill()
            error = event.worker.error
            msg.update(Text(f"✗ {error}", style="bold red"))
            # SkiffScreen's handler (next in line) reports it once: one line, details on F2

    # --- table --------------------------------------------------------------------------------
    def _abbrev(self, value: str | None, limit: int | None = MAX_VALUE) -> str:
        """Paths under the skiff tree as $SKIFF_ROOT_DIR/…; long values cut (the history shows them whole)."""
        text = shown(value)
        root = str(self.app.root)
        if root != "/":
            text = text.replace(root + "/", "$SKIFF_ROOT_DIR/")
        if limit and len(text) > limit:
            text = text[: limit - 1] + "…"
        return text

    def _fill(self) -> None:
        table = self.query_one("#values-table", DataTable)
        table.clear()
        self._symbols = []
        if self.model is None:
            self._show_history()
            return
        frag = self.model.merged.fragments[self.kind]
        terms = self.query_one("#values-filter", Input).value.lower().split()
        kconfig = self.model.kconfig if self.kind == "buildroot" else {}
        not_stuck = self.model.not_stuck if self.kind == "buildroot" else {}
        rows = 0
        for symbol, history in frag.history.items():
            final = history[-1]
            hay = f"{symbol} {final.value or ''} {final.origin.layer}".lower()
            if terms and not all(t in hay for t in terms):
                continue
            value = Text(self._abbrev(final.value))
            if symbol in not_stuck:
                value.append(f" → {shown(not_stuck[symbol])}", style="bold red")
            origin = Text(final.origin.layer)
            place = where(final.origin, self.model.layer_dirs, self.app.root)
            if place:
                origin.append(" · " + place, style="dim")
            earlier = Text(f"+{len(history) - 1}", style="yellow") if len(history) > 1 else Text("")
            table.add_row(Text(symbol), value, origin, earlier, key=symbol)
            self._symbols.append(symbol)
            rows += 1
        total = len(frag.history)
        note = " (red → : what Buildroot's Kconfig made of it)" if kconfig and self.kind == "buildroot" else ""
        message = Text(f"{KIND_TITLES[self.kind]}: {rows} of {total} values shown{note}")
        root = str(self.app.root) + "/"
        for skipped in getattr(self.model.merged, "notes", []):  # e.g. a malformed line left out
            message.append("\nnote: " + skipped.replace(root, ""), style="yellow")
        self.query_one("#values-message", Static).update(message)
        self._show_history()

    @on(Input.Changed, "#values-filter")
    def _filter(self, _event) -> None:
        self._fill()

    @on(Input.Submitted, "#values-filter")
    def _filter_done(self, _event) -> None:
        self.query_one("#values-table").focus()

    @on(Tabs.TabActivated, "#values-kind")
    def _kind(self, event: Tabs.TabActivated) -> None:
        kind = (event.tab.id or "kind-buildroot").removeprefix("kind-")
        if kind != self.kind:
            self.kind = kind
            self._fill()

    @on(DataTable.RowHighlighted, "#values-table")
    def _highlighted(self, _event) -> None:
        self._show_history()

    @on(DataTable.RowSelected, "#values-table")
    def _selected(self, _event) -> None:
        self.action_open()

    def _current_symbol(self) -> str | None:
        table = self.query_one("#values-table", DataTable)
        if not self._symbols or table.cursor_row is None or table.cursor_row >= len(self._symbols):
            return None
        return self._symbols[table.cursor_row]

    def _show_history(self) -> None:
        body = self.query_one("#history-body", Static)
        symbol = self._current_symbol()
        if symbol is None or self.model is None:
            body.update("")
            return
        history = self.model.merged.fragments[self.kind].history[symbol]
        t = Text()
        t.append(f"{symbol}", style="bold")
        t.append(f" = {self._abbrev(history[-1].value, None)}\n")
        t.append("Assignments in layer order (the last one wins):\n", style="dim")
        for i, a in enumerate(history, 1):
            last = i == len(history)
            t.append(f"  {i}. {self._abbrev(a.value, None):<24}", style="bold green" if last else "dim")
            t.append(f" {describe(a.origin, self.model.layer_dirs, self.app.root)}\n", style="" if last else "dim")
        if self.kind == "buildroot" and symbol in self.model.not_stuck:
            t.append(f"After Kconfig: {shown(self.model.not_stuck[symbol])} (did not stick)\n", style="bold red")
        body.update(t)

    # --- actions ------------------------------------------------------------------------------
    def action_focus_filter(self) -> None:
        self.query_one("#values-filter", Input).focus()

    def _switch_kind(self, delta: int) -> None:
        i = (KINDS.index(self.kind) + delta) % len(KINDS)
        self.query_one("#values-kind", Tabs).active = f"kind-{KINDS[i]}"

    def action_next_kind(self) -> None:
        self._switch_kind(1)

    def action_prev_kind(self) -> None:
        self._switch_kind(-1)

    def action_reload(self) -> None:
        self.load()

    def action_open(self) -> None:
        from ..widgets.fileview import FileViewer
        from ..widgets.provenance import short_path

        symbol = self._current_symbol()
        if symbol is None or self.model is None:
            return
        origin = self.model.merged.fragments[self.kind].history[symbol][-1].origin
        if origin.path is None:
            self.notify(f"{symbol} is set by {origin.layer}: skiff computes it from the stack, no file to open")
            return
        rel = short_path(origin.path, self.model.layer_dirs.get(origin.layer), self.app.root)
        self.app.push_screen(FileViewer(origin.path, title=f"{origin.layer}: {rel}", line=origin.line))

    def palette_extras(self) -> list[PaletteCommand]:
        """Each merged fragment by name (the keys step through them in turn)."""
        return [
            PaletteCommand(
                f"Values: show {KIND_TITLES[k]} values",
                f"the merged {k} fragment",
                partial(setattr, self.query_one("#values-kind", Tabs), "active", f"kind-{k}"),
            )
            for k in KINDS
        ]
