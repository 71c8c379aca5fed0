"""The help screen (`?` / F1): the keys of the screen underneath and of the app, the sections."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Label, Static

from . import SECTIONS

if TYPE_CHECKING:
    from textual import getters

    from ..host import SkiffHost

INTRO = (
    "skiff composes SkiffOS configuration packages into one Buildroot configuration. "
    "Pick packages on the Packages screen, check the order and configure on the Stack screen, "
    "see where every value comes from on the Values screen. Ctrl+P opens the command palette: "
    "every action is there too. The digit keys switch screens; Alt+digit does it from anywhere, "
    "also while a text field has the cursor (there digits type)."
)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close", id="skiff.help.close")]

    if TYPE_CHECKING:
        app = getters.app(SkiffHost)

    def __init__(self, below: Screen[object] | None = None) -> None:
        super().__init__()
        self.below = below

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Label("skiff — help", id="help-title")
            with VerticalScroll():
                yield Static(Text(INTRO), id="help-intro")
                yield Static(self._keys_table(), id="help-keys")
                yield Static(self._sections_table(), id="help-sections")
        yield Footer()

    def _keys_table(self) -> Table:
        below = self.below or self.app.screen
        table = Table(title="Keys", show_header=True, expand=True, title_justify="left")
        table.add_column("Key", no_wrap=True)
        table.add_column("Action")
        seen = set()
        self.key_rows: list[tuple[str, str]] = []
        for key, active in below.active_bindings.items():
            binding = active.binding
            # the screen's and the app's own keys; a widget's built-in movement keys only if shown
            own = isinstance(active.node, (App, Screen))
            if not (own or binding.show) or binding.action.startswith("goto("):
                continue
            desc = binding.description or binding.action
            if binding.action == "app.command_palette" or binding.action == "command_palette":
                desc = "command palette: every action"
            if not desc or (binding.action, desc) in seen:
                continue
            seen.add((binding.action, desc))
            self.key_rows.append((self.app.get_key_display(binding), desc))
        for key, desc in self.key_rows:  # keys come from the user's keymap: never markup
            table.add_row(Text(key), Text(desc))
        return table

    def _sections_table(self) -> Table:
        table = Table(title="Screens", show_header=True, expand=True, title_justify="left")
        table.add_column("Key", no_wrap=True)
        table.add_column("Screen", no_wrap=True)
        table.add_column("What it does")
        for s in SECTIONS:
            if s.offered(self.app.read_only):
                table.add_row(f"{s.key} / {s.alt_key}", s.title, s.help)
        return table

    def action_close(self) -> None:
        self.dismiss(None)
