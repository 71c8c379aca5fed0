"""Small modal dialogs: confirm, prompt for a validated name, and show an error."""

from __future__ import annotations

from typing import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 64; height: auto; max-height: 80%; border: thick $primary;
                     background: $surface; padding: 1 2; }}
{name} .dialog-buttons {{ height: auto; align: right middle; margin-top: 1; }}
{name} .dialog-buttons Button {{ margin-left: 2; }}
{name} .dialog-error {{ color: $error; height: auto; }}
"""


class ConfirmModal(ModalScreen[bool]):
    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmModal")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="skiff.dialog.cancel"),
                Binding("y", "confirm", "Yes", id="skiff.dialog.yes")]

    def __init__(self, question: str, confirm_label: str = "Yes") -> None:
        super().__init__()
        self.question = question
        self.confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, id="confirm-question", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(self.confirm_label, id="confirm", variant="error")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm")

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_confirm(self) -> None:
        self.dismiss(True)


class PromptModal(ModalScreen[str | None]):
    """Asks for one line; `validate` returns the cleaned value or raises with a message."""

    DEFAULT_CSS = DIALOG_CSS.format(name="PromptModal")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="skiff.dialog.cancel")]

    def __init__(self, question: str, validate: Callable[[str], str], placeholder: str = "") -> None:
        super().__init__()
        self.question = question
        self.validate = validate
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question)
            yield Input(placeholder=self.placeholder, id="prompt-input")
            yield Static("", id="prompt-error", classes="dialog-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("OK", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def _submit(self) -> None:
        raw = self.query_one(Input).value
        try:
            value = self.validate(raw)
        except Exception as exc:  # the validator's message is the user-facing text
            self.query_one("#prompt-error", Static).update(str(exc))
            return
        self.dismiss(value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ErrorModal(ModalScreen[None]):
    DEFAULT_CSS = DIALOG_CSS.format(name="ErrorModal") + """
    ErrorModal > Vertical { border: thick $error; }
    """
    BINDINGS = [Binding("escape,enter", "close", "Close", id="skiff.dialog.close")]

    def __init__(self, title: str, message: str) -> None:
        super().__init__()
        self.title_text = title
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="dialog-error")
            yield Static(self.message, id="error-message", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", id="close", variant="primary")

    def on_mount(self) -> None:
        self.query_one(Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
