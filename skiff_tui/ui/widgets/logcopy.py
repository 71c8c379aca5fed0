"""A dialog that takes a range of a log's lines to the clipboard (OSC 52) or into a file."""

from __future__ import annotations

from typing import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from ...core.builds.logrange import parse_range
from ...core.errors import SkiffError
from .dialogs import DIALOG_CSS

# perform("copy" | "save", first, last, path) does it (0-based inclusive lines); a SkiffError's
# text is shown in the dialog, which stays open.
Perform = Callable[[str, int, int, str], None]


class CopyLinesModal(ModalScreen[str | None]):
    """Lines FIRST-LAST (1-based, as the gutter shows them); Enter in the range copies, Enter in
    the file box saves. Dismisses with "copy" / "save", None on escape."""

    DEFAULT_CSS = DIALOG_CSS.format(name="CopyLinesModal")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="skiff.dialog.cancel")]

    def __init__(self, initial: str, line_count: int, perform: Perform, *, save_to: str = "") -> None:
        super().__init__()
        self.initial = initial
        self.line_count = line_count
        self.perform = perform
        self.save_to = save_to

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Copy or save lines of this log (1-{self.line_count:,})", markup=False)
            yield Input(value=self.initial, placeholder="FIRST-LAST, e.g. 120-180", id="copy-range")
            yield Input(value=self.save_to, placeholder="file to save into (for Save)", id="copy-file")
            yield Static("", id="copy-error", classes="dialog-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Save to file", id="save")
                yield Button("Copy to clipboard", id="copy", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#copy-range", Input).focus()

    def _do(self, kind: str) -> None:
        try:
            first, last = parse_range(self.query_one("#copy-range", Input).value, self.line_count)
            self.perform(kind, first, last, self.query_one("#copy-file", Input).value)
        except SkiffError as exc:
            self.query_one("#copy-error", Static).update(str(exc))
            return
        self.dismiss(kind)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._do("save" if event.input.id == "copy-file" else "copy")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "cancel":
            self.dismiss(None)
        elif event.button.id in ("save", "copy"):
            self._do(event.button.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
