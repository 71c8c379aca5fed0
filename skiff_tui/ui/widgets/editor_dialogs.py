"""Dialogs shared by the editor screens (Kconfig, Overrides, skiff-core.yaml): unsaved changes,
a one-line value with validation, and an error with an alternative action."""

from __future__ import annotations

from typing import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 72; height: auto; max-height: 90%; border: thick $primary;
                     background: $surface; padding: 1 2; }}
{name} .editor-dialog-buttons {{ height: auto; align: right middle; margin-top: 1; }}
{name} .editor-dialog-buttons Button {{ margin-left: 2; }}
{name} .editor-dialog-error {{ color: $error; height: auto; }}
{name} .editor-dialog-note {{ color: $text-muted; height: auto; }}
"""


class UnsavedChangesModal(ModalScreen[str | None]):
    """'save', 'discard' or None (stay)."""

    DEFAULT_CSS = _CSS.format(name="UnsavedChangesModal")
    BINDINGS = [Binding("escape", "stay", "Stay", id="skiff.editor.unsaved.stay"),
                Binding("s", "choose('save')", "Save", id="skiff.editor.unsaved.save"),
                Binding("d", "choose('discard')", "Discard", id="skiff.editor.unsaved.discard")]

    def __init__(self, what: str, details: str = "", *, can_save: bool = True) -> None:
        super().__init__()
        self.what = what
        self.details = details
        self.can_save = can_save

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"{self.what} has unsaved changes.", id="unsaved-question", markup=False)
            if self.details:
                yield Static(self.details, id="unsaved-details", classes="editor-dialog-note", markup=False)
            with Horizontal(classes="editor-dialog-buttons"):
                yield Button("Stay", id="stay")
                yield Button("Discard", id="discard", variant="error")
                if self.can_save:
                    yield Button("Save", id="save", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#save" if self.can_save else "#stay", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None if event.button.id == "stay" else event.button.id)

    def action_stay(self) -> None:
        self.dismiss(None)

    def action_choose(self, choice: str) -> None:
        if choice == "save" and not self.can_save:
            return
        self.dismiss(choice)


class ValueModal(ModalScreen[str | None]):
    """One line, pre-filled; `validate` returns the cleaned value or raises with the message."""

    DEFAULT_CSS = _CSS.format(name="ValueModal")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="skiff.editor.value.cancel")]

    def __init__(self, question: str, value: str, validate: Callable[[str], str], note: str = "") -> None:
        super().__init__()
        self.question = question
        self.value = value
        self.validate = validate
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question)
            if self.note:
                yield Static(self.note, classes="editor-dialog-note", markup=False)
            yield Input(value=self.value, id="value-input")
            yield Static("", id="value-error", classes="editor-dialog-error", markup=False)
            with Horizontal(classes="editor-dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("OK", id="ok", variant="primary")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def _submit(self) -> None:
        raw = self.query_one(Input).value
        try:
            value = self.validate(raw)
        except Exception as exc:  # the validator's message is the user-facing text
            self.query_one("#value-error", Static).update(getattr(exc, "message", None) or str(exc))
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
