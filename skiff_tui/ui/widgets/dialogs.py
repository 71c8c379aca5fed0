"""The one set of modal dialogs of the app: confirm, choose among a few answers (unsaved changes,
a running build on quit), prompt for a validated line, and show an error.

Every dialog: escape backs out (the safe answer), buttons carry ids tests can press, the
validator's message is the text shown under an input."""

from __future__ import annotations

from typing import Callable, Sequence

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 72; max-width: 95%; height: auto; max-height: 90%; border: thick $primary;
                     background: $surface; padding: 1 2; }}
{name} .dialog-buttons {{ height: auto; align: right middle; margin-top: 1; }}
{name} .dialog-buttons Button {{ margin-left: 2; }}
{name} .dialog-error {{ color: $error; height: auto; }}
{name} .dialog-note {{ color: $text-muted; height: auto; }}
"""


class ConfirmModal(ModalScreen[bool]):
    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmModal")
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="skiff.dialog.cancel"),
        Binding("y", "confirm", "Yes", id="skiff.dialog.yes"),
    ]

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


class Choice(tuple):
    """(id, label, variant, key): one answer of a ChoiceModal."""

    def __new__(cls, id: str, label: str, variant: str = "default", key: str = "") -> "Choice":
        return super().__new__(cls, (id, label, variant, key))

    id = property(lambda self: self[0])
    label = property(lambda self: self[1])
    variant = property(lambda self: self[2])
    key = property(lambda self: self[3])


class ChoiceModal(ModalScreen[str | None]):
    """A question with a few answers; dismisses with the chosen id, None on escape (the safe one)."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ChoiceModal")
    BINDINGS = [Binding("escape", "back_out", "Back", id="skiff.dialog.back")]

    def __init__(
        self, question: str, choices: Sequence[Choice], details: str = "", *, focus: str | None = None
    ) -> None:
        super().__init__()
        self.question = question
        self.choices = list(choices)
        self.details = details
        self.focus_id = focus or (self.choices[-1].id if self.choices else None)
        self._keys = {c.key: c.id for c in self.choices if c.key}

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, id="choice-question", markup=False)
            if self.details:
                yield Static(self.details, id="choice-details", classes="dialog-note", markup=False)
            with Horizontal(classes="dialog-buttons"):
                for c in self.choices:
                    label = f"{c.label} ({c.key})" if c.key else c.label
                    yield Button(label, id=c.id, variant=c.variant)

    def on_mount(self) -> None:
        if self.focus_id:
            self.query_one(f"#{self.focus_id}", Button).focus()

    def on_key(self, event) -> None:
        choice = self._keys.get(event.key)
        if choice is not None:
            event.stop()
            self.dismiss(choice)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)

    def action_back_out(self) -> None:
        self.dismiss(None)


class UnsavedChangesModal(ChoiceModal):
    """'save', 'discard' or None (stay)."""

    DEFAULT_CSS = DIALOG_CSS.format(name="UnsavedChangesModal")

    def __init__(self, what: str, details: str = "", *, can_save: bool = True) -> None:
        choices = [Choice("stay", "Stay (esc)"), Choice("discard", "Discard", "error", "d")]
        if can_save:
            choices.append(Choice("save", "Save", "primary", "s"))
        super().__init__(f"{what} has unsaved changes.", choices, details)
        self.what = what
        self.can_save = can_save

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None if event.button.id == "stay" else event.button.id)


class PromptModal(ModalScreen[str | None]):
    """Asks for one line (optionally pre-filled, with a note); `validate` returns the cleaned value
    or raises with the message shown under the input."""

    DEFAULT_CSS = DIALOG_CSS.format(name="PromptModal")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="skiff.dialog.cancel")]

    def __init__(
        self, question: str, validate: Callable[[str], str], placeholder: str = "", *, value: str = "", note: str = ""
    ) -> None:
        super().__init__()
        self.question = question
        self.validate = validate
        self.placeholder = placeholder
        self.value = value
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question, markup=False)
            if self.note:
                yield Static(self.note, classes="dialog-note", markup=False)
            yield Input(value=self.value, placeholder=self.placeholder, id="prompt-input")
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
            self.query_one("#prompt-error", Static).update(getattr(exc, "message", None) or str(exc))
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
    DEFAULT_CSS = (
        DIALOG_CSS.format(name="ErrorModal")
        + """
    ErrorModal > Vertical { border: thick $error; }
    """
    )
    BINDINGS = [Binding("escape,enter", "close", "Close", id="skiff.dialog.close")]

    def __init__(self, title: str, message: str) -> None:
        super().__init__()
        self.title_text = title
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, classes="dialog-error", markup=False)
            yield Static(self.message, id="error-message", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Close", id="close", variant="primary")

    def on_mount(self) -> None:
        self.query_one(Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
