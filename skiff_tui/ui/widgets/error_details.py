"""The details of a failure on request: what failed, its one line, and a scrollable, capped view
of the traceback (ui/failures.py caps it)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from ..failures import Failure


class ErrorDetailsModal(ModalScreen[None]):
    DEFAULT_CSS = """
    ErrorDetailsModal { align: center middle; }
    ErrorDetailsModal > Vertical { width: 95%; height: 90%; border: thick $error; background: $surface;
                                   padding: 0 1; }
    ErrorDetailsModal #error-title { color: $error; text-style: bold; height: auto; }
    ErrorDetailsModal #error-line { height: auto; margin-bottom: 1; }
    ErrorDetailsModal #error-details-scroll { height: 1fr; border: round $error 50%; }
    ErrorDetailsModal #error-buttons { height: auto; align: right middle; }
    """
    BINDINGS = [Binding("escape,enter", "close", "Close", id="skiff.dialog.close")]

    def __init__(self, failure: Failure, *, earlier: int = 0) -> None:
        super().__init__()
        self.failure = failure
        self.earlier = earlier

    def compose(self) -> ComposeResult:
        f = self.failure
        with Vertical():
            yield Label(f"{f.what} failed", id="error-title", markup=False)
            note = (
                f"  ({self.earlier} earlier failure{'s' if self.earlier != 1 else ''} in this session)"
                if self.earlier
                else ""
            )
            yield Static(f.summary + note, id="error-line", markup=False)
            with VerticalScroll(id="error-details-scroll"):
                yield Static(f.details, id="error-details", markup=False)
            with Horizontal(id="error-buttons"):
                yield Button("Close", id="close", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#error-details-scroll").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
