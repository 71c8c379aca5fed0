"""A small form for the variables a package command needs (PI_SD=/dev/sdX …), shown before it
runs; dismisses with {name: value}, None on escape."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from .dialogs import DIALOG_CSS


class CommandVariablesModal(ModalScreen[dict[str, str] | None]):
    DEFAULT_CSS = (
        DIALOG_CSS.format(name="CommandVariablesModal")
        + """
    CommandVariablesModal .var-help { color: $text-muted; height: auto; }
    CommandVariablesModal Input { margin-bottom: 1; }
    """
    )
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="skiff.dialog.cancel")]

    def __init__(self, title: str, variables: list[tuple[str, str, str]]) -> None:
        """variables: (name, help, value to start with)."""
        super().__init__()
        self.title_text = title
        self.variables = variables

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.title_text, markup=False)
            for name, help_text, value in self.variables:
                yield Static(f"{name}: {help_text}" if help_text else name, classes="var-help", markup=False)
                yield Input(value=value, placeholder=name, id=f"var-{name}")
            yield Static("", id="vars-error", classes="dialog-error", markup=False)
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Run", id="run", variant="primary")

    def on_mount(self) -> None:
        self.query(Input).first().focus()

    def _submit(self) -> None:
        values = {name: self.query_one(f"#var-{name}", Input).value.strip() for name, _h, _v in self.variables}
        empty = [name for name, value in values.items() if not value]
        if empty:
            self.query_one("#vars-error", Static).update(f"{', '.join(empty)}: a value is needed")
            self.query_one(f"#var-{empty[0]}", Input).focus()
            return
        self.dismiss(values)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        inputs = list(self.query(Input).results())
        i = inputs.index(event.input)
        if i + 1 < len(inputs):
            inputs[i + 1].focus()
        else:
            self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "run":
            self._submit()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
