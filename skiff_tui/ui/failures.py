"""Failures of background work, as the UI shows them: one line naming what failed, and details
(the traceback, capped) kept for the details view.

The traceback is formatted when the failure is recorded and the exception dropped: it holds every
frame's locals (a parsed Buildroot tree is tens of MB) and rendering it with locals is what froze
the app once (docs/tui.md, "When something fails").
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..core.errors import SkiffError

if TYPE_CHECKING:
    from textual.message_pump import MessagePump
    from textual.worker import Worker

DETAIL_LINES = 200  # head and tail kept, the middle left out
DETAIL_BYTES = 64 * 1024
LINE_CHARS = 240


@dataclass(frozen=True)
class Failure:
    what: str  # "Loading Buildroot's Kconfig"
    summary: str  # one line: "RecursionError: maximum recursion depth exceeded"
    details: str  # capped traceback, or the error's hint and location
    internal: bool  # a bug (any exception) rather than a user-facing SkiffError
    at: float = field(default_factory=time.time)

    @property
    def line(self) -> str:
        return f"{self.what} failed: {self.summary}"


def one_line(text: str, limit: int = LINE_CHARS) -> str:
    first = next((ln.strip() for ln in str(text).splitlines() if ln.strip()), "")
    return first if len(first) <= limit else first[: limit - 1] + "…"


def summary_of(error: BaseException) -> str:
    if isinstance(error, SkiffError):
        return one_line(str(error))
    text = one_line(str(error))
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def cap(text: str, lines: int = DETAIL_LINES, size: int = DETAIL_BYTES) -> str:
    """At most `lines` lines and `size` bytes: the first and last halves, a note between."""
    rows = text.splitlines()
    if len(rows) > lines:
        half = lines // 2
        rows = [*rows[:half], f"… {len(rows) - 2 * half} lines left out …", *rows[-half:]]
    text = "\n".join(rows)
    data = text.encode("utf-8", "replace")
    if len(data) > size:
        half = size // 2
        text = (
            data[:half].decode("utf-8", "ignore")
            + f"\n… {len(data) - 2 * half} bytes left out …\n"
            + data[-half:].decode("utf-8", "ignore")
        )
    return text


def details_of(error: BaseException) -> str:
    if isinstance(error, SkiffError):
        parts = [str(error)]
        if error.hint and error.hint not in parts[0]:
            parts.append(f"hint: {error.hint}")
        return "\n".join(parts)
    try:
        text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    except Exception as exc:  # formatting must never be the second failure
        text = f"{type(error).__name__}: {error!r}\n(the traceback could not be formatted: {exc!r})"
    return cap(text)


def failure(what: str, error: BaseException) -> Failure:
    return Failure(what, summary_of(error), details_of(error), not isinstance(error, SkiffError))


def worker_title(worker) -> str:
    """What a worker was doing, for "… failed": its name when it was given words, else its group."""
    name = (getattr(worker, "name", "") or "").strip("_")
    if " " in name:
        return name[:1].upper() + name[1:]
    group = getattr(worker, "group", "") or "default"
    label = f"Background task {name or group!r}"
    return label if group == "default" else f"{label} ({group})"


def forward_worker_error(node: MessagePump, event: Worker.StateChanged) -> None:
    """Worker.StateChanged handler body for widgets (the log view): the event does not bubble, so
    post the failure as a message that does, to the app's one handler (messages.WorkerFailed)."""
    from textual.worker import WorkerState

    from .messages import WorkerFailed

    if event.state == WorkerState.ERROR:
        node.post_message(WorkerFailed(event.worker))
