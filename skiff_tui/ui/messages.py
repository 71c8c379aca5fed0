"""Requests from screens and widgets to the app (docs/architecture.md, "Screens and the app").

Screens read the app's state (its reactives `workspace`, `index`, `selection`) and never change
it themselves: they post one of these messages, which bubbles up to the app, and the app's
handler does the work (through the engine) and updates the reactives every screen follows. So
no screen imports the app, and the app is the one place that changes what everyone sees.
"""

from __future__ import annotations

from textual.message import Message
from textual.worker import Worker


class AddPackage(Message):
    """Add a package to the end of the workspace's selection."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name


class RemovePackage(Message):
    """Take a package out of the workspace's selection."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name


class SetSelection(Message):
    """Save this selection (a reordering of the current one)."""

    def __init__(self, names: tuple[str, ...]) -> None:
        super().__init__()
        self.names = names


class SwitchWorkspace(Message):
    """Show and edit another workspace (after unsaved edits are saved or discarded)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name


class RunPackageCommand(Message):
    """Run `cmd/<package>/<command>` (asks for its variables first)."""

    def __init__(self, package: str, command: str) -> None:
        super().__init__()
        self.package = package
        self.command = command


class GoToSection(Message):
    """Switch to a section by its mode name (see screens.SECTIONS)."""

    def __init__(self, mode: str) -> None:
        super().__init__()
        self.mode = mode


class ShowError(Message):
    """Say an engine error in one line (or a modal); a bug becomes a line plus F2 details."""

    def __init__(self, error: BaseException, modal: bool = False) -> None:
        super().__init__()
        self.error = error
        self.modal = modal


class ReportFailure(Message):
    """Record a failure for F2 (Error details) and, with notify, say it in one line."""

    def __init__(self, what: str, error: BaseException, notify: bool = True) -> None:
        super().__init__()
        self.what = what
        self.error = error
        self.notify = notify


class WorkerFailed(Message):
    """A screen's or widget's worker failed (Worker.StateChanged does not bubble)."""

    def __init__(self, worker: Worker, notify: bool = True) -> None:
        super().__init__()
        self.worker = worker
        self.notify = notify


class ShowErrorDetails(Message):
    """Open the details of the last failure (what F2 does)."""


__all__ = [
    "AddPackage",
    "GoToSection",
    "RemovePackage",
    "ReportFailure",
    "RunPackageCommand",
    "SetSelection",
    "ShowError",
    "ShowErrorDetails",
    "SwitchWorkspace",
    "WorkerFailed",
]
