"""Log widgets: a viewer over a LogIndex (any size, growing or not) and a batched live pane.

`LogView` renders only the visible lines (Line API) from `skiff_tui.core.builds.logindex.LogIndex`, reading
them with pread; it follows the tail until the user scrolls up, jumps to the first error, searches
(regex, streaming in a thread) and filters to error/warning lines. `LogViewer` wraps it with a
status line and a search box.

`LivePane` takes lines from any thread (`feed`), buffers them (bounded: only the newest `max_lines`
are kept, since no more can be shown) and flushes them to the screen every ~70 ms, so a flood of
output never blocks a frame.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from rich.segment import Segment
from rich.style import Style
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import Input, Static

from ...core.builds.logindex import LogIndex
from ..failures import forward_worker_error

ERROR_RE = re.compile(r"\b(?:error|Error|ERROR|fatal|Fatal|FATAL)\b|\*\*\*|[Uu]ndefined reference")
WARNING_RE = re.compile(r"\b(?:warning|Warning|WARNING)\b")
PROGRESS_PREFIX = ">>>"

STYLE_ERROR = Style(color="red", bold=True)
STYLE_WARNING = Style(color="yellow")
STYLE_PROGRESS = Style(color="cyan", bold=True)
STYLE_GUTTER = Style(dim=True)
STYLE_MATCH = Style(reverse=True)


def line_style(text: str) -> Style | None:
    if text.startswith(PROGRESS_PREFIX):
        return STYLE_PROGRESS
    if ERROR_RE.search(text):
        return STYLE_ERROR
    if WARNING_RE.search(text):
        return STYLE_WARNING
    return None


def _strip_for(
    text: str, number: int | None, gutter: int, scroll_x: int, width: int, style: Style | None, base: Style
) -> Strip:
    text = text.expandtabs(8)
    segments = []
    if gutter:
        segments.append(Segment(f"{number + 1 if number is not None else '':>{gutter - 1}} ", base + STYLE_GUTTER))
    body = text[scroll_x : scroll_x + max(0, width - gutter)]
    segments.append(Segment(body, base + style if style else base))
    return Strip(segments).adjust_cell_length(width, base)


class _TailView(Protocol):
    """What `_FollowsTail` needs of the scroll view it is mixed into."""

    follow: bool

    def scroll_end(self, *, animate: bool = ..., immediate: bool = ..., x_axis: bool = ...) -> None: ...

    def call_after_refresh(self, callback: Callable[[], object]) -> bool: ...


class _FollowsTail:
    """Scrolling to the last line for views that follow a growing log (`self.follow`)."""

    def _to_end(self: _TailView) -> None:
        self.scroll_end(animate=False, immediate=True, x_axis=False)

        def again() -> None:
            if self.follow:
                self.scroll_end(animate=False, immediate=True, x_axis=False)

        # the first layout may not have happened yet: once more after it
        self.call_after_refresh(again)


class LogView(_FollowsTail, ScrollView, can_focus=True):
    """A viewer over a log file of any size; `follow=True` tracks a growing file's tail."""

    DEFAULT_CSS = """
    LogView { height: 1fr; background: $surface; }
    LogView:focus { background-tint: $foreground 3%; }
    """
    BINDINGS = [
        Binding("f", "toggle_follow", "Follow", id="skiff.logview.follow"),
        Binding("e", "first_error", "First error", id="skiff.logview.first_error"),
        Binding("w", "toggle_problems", "Problems", id="skiff.logview.problems"),
        Binding("n", "next_match", "Next match", show=False, id="skiff.logview.next_match"),
        Binding("N", "previous_match", "Prev match", show=False, id="skiff.logview.previous_match"),
        Binding("g", "top", "Top", show=False, id="skiff.logview.top"),
        Binding("G", "bottom", "Bottom", show=False, id="skiff.logview.bottom"),
        Binding("y", "copy_lines", "Copy lines", show=False, id="skiff.logview.copy_lines"),
    ]

    follow: reactive[bool] = reactive(True)
    problems_only: reactive[bool] = reactive(False)

    class Updated(Message):
        """The index grew, was reset, or the view state changed (for status lines)."""

    class SearchResult(Message):
        def __init__(self, pattern: str, line: int | None, error: str | None = None) -> None:
            super().__init__()
            self.pattern, self.line, self.error = pattern, line, error

    def on_worker_state_changed(self, event) -> None:
        forward_worker_error(self, event)  # a failed scan says so; the app carries on

    def __init__(
        self,
        path=None,
        *,
        follow: bool = True,
        line_numbers: bool = True,
        poll: float = 0.1,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.index: LogIndex | None = None
        self.set_reactive(LogView.follow, follow)
        self._follow_file = follow
        self._path = path
        self._poll = poll
        self.line_numbers = line_numbers
        self._pending = False
        self._width = 0
        self._cache_start = 0
        self._cache: list[str] = []
        self._cache_generation = -1
        self._problems = None  # array of line numbers when filtering
        self.match_line: int | None = None
        self.pattern: str | None = None
        self._generation = 0
        self.first_screen_at: float | None = None  # monotonic time the first lines were painted

    # --- file -------------------------------------------------------------------------------
    def on_mount(self) -> None:
        super().on_mount()
        if self._path is not None:
            self.open(self._path, follow=self._follow_file)

    def open(self, path, *, follow: bool = True) -> None:
        """Show `path`; with follow, keep indexing as it grows (and stick to its tail)."""
        self.close()
        self._path = path
        self._follow_file = follow
        self.follow = True if follow else self.follow
        self._cache, self._problems, self.match_line = [], None, None
        self._width = 0
        self.index = LogIndex(path, follow=follow, poll=self._poll, on_update=self._from_thread)
        self.index.start()
        self._refresh_size()

    def close(self) -> None:
        if self.index is not None:
            self.index.close()
            self.index = None

    def on_unmount(self) -> None:
        self.close()

    def _from_thread(self, _index) -> None:
        # Coalesce: one pending update message at a time, however fast the index grows.
        if not self._pending:
            self._pending = True
            self.post_message(self.Updated())

    def on_log_view_updated(self, message: "LogView.Updated") -> None:
        self._pending = False
        self._refresh_size()
        if self.problems_only:
            self._scan_problems()

    def _refresh_size(self) -> None:
        index = self.index
        if index is None:
            self.virtual_size = Size(0, 0)
            return
        if index.generation != self._generation:
            self._generation = index.generation
            self._cache, self._problems, self.match_line = [], None, None
            if self.problems_only:
                self._scan_problems()
        height = len(self._problems) if self.problems_only and self._problems is not None else index.line_count
        gutter = self._gutter_width()
        self.virtual_size = Size(max(self._width + gutter, self.size.width), height)
        self._cache = []
        if self.follow:
            self._to_end()
        self.refresh()

    def on_resize(self, _event) -> None:
        self._cache = []
        if self.follow:
            self._to_end()

    def _gutter_width(self) -> int:
        if not self.line_numbers or self.index is None:
            return 0
        return len(str(max(1, self.index.line_count))) + 1

    # --- rendering --------------------------------------------------------------------------
    def _line_number(self, row: int) -> int | None:
        if self.problems_only:
            problems = self._problems
            if problems is None or row >= len(problems):
                return None
            return problems[row]
        return row

    def _text(self, index: LogIndex, number: int) -> str:
        start = self._cache_start
        if not (start <= number < start + len(self._cache)):
            height = max(1, self.size.height)
            first = max(0, number - height)
            self._cache = index.lines(first, height * 3)
            self._cache_start = start = first
        i = number - start
        return self._cache[i] if 0 <= i < len(self._cache) else ""

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        base = self.rich_style
        index = self.index
        row = scroll_y + y
        if index is None:
            return Strip.blank(width, base)
        number = self._line_number(row) if row < self.virtual_size.height else None
        if number is None or number >= index.line_count:
            return Strip.blank(width, base)
        text = self._text(index, number)
        if len(text) > self._width:
            self._width = len(text)
            self.call_later(self._refresh_width)
        if self.first_screen_at is None and text:
            self.first_screen_at = time.monotonic()
        style = STYLE_MATCH if number == self.match_line else line_style(text)
        return _strip_for(text, number, self._gutter_width(), scroll_x, width, style, base)

    def _refresh_width(self) -> None:
        width = self._width + self._gutter_width()
        if width > self.virtual_size.width:
            self.virtual_size = Size(width, self.virtual_size.height)

    def visible_lines(self) -> list[str]:
        """The text of the rows as shown now (for tests and status lines)."""
        out = []
        for y in range(self.scrollable_content_region.height):
            out.append("".join(seg.text for seg in self.render_line(y)).rstrip())
        return out

    # --- following --------------------------------------------------------------------------
    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if new_value < old_value and new_value < self.max_scroll_y:
            self.follow = False  # the user scrolled up: stop following
        elif self._follow_file and new_value >= self.max_scroll_y and new_value > old_value:
            self.follow = True  # back at the end: follow again

    def watch_follow(self, value: bool) -> None:
        if value:
            self._to_end()
        self.post_message(self.Updated())

    def action_toggle_follow(self) -> None:
        self.follow = not self.follow

    def action_top(self) -> None:
        self.follow = False
        self.scroll_home(animate=False, immediate=True)

    def action_bottom(self) -> None:
        self.scroll_end(animate=False, immediate=True)
        self.follow = True

    def scroll_to_line(self, number: int) -> None:
        """Show line `number` (0-based) near the middle; stops following."""
        self.follow = False
        if self.problems_only and self._problems is not None:
            import bisect

            row = bisect.bisect_left(self._problems, number)
        else:
            row = number
        self.scroll_to(y=max(0, row - self.size.height // 3), animate=False, immediate=True)
        self.refresh()

    # --- errors / filter --------------------------------------------------------------------
    def action_first_error(self) -> None:
        self._first_error()

    @work(thread=True, exclusive=True, group="logview-errors", exit_on_error=False)
    def _first_error(self) -> None:
        index = self.index
        if index is None:
            return
        errors = index.errors(warnings=False)
        if not errors:
            self.app.call_from_thread(self.notify, "no error lines in this log", severity="information")
            return
        self.app.call_from_thread(self._goto_match, errors[0], ERROR_RE)

    def _goto_match(self, number: int, pattern: re.Pattern | None = None) -> None:
        self.match_line = number
        self.scroll_to_line(number)
        if pattern is not None:
            self._show_column(number, pattern)

    def _show_column(self, number: int, pattern: re.Pattern) -> None:
        """Scroll sideways so the match in a long line is on screen (a little context before it)."""
        index = self.index
        if index is None:
            return
        text = index.line(number).expandtabs(8)
        found = pattern.search(text)
        if found is None:
            return
        if len(text) > self._width:
            self._width = len(text)
            self._refresh_width()
        room = max(1, self.size.width - self._gutter_width())
        start, end = found.start(), max(found.end(), found.start() + 1)
        if self.scroll_x <= start and end <= self.scroll_x + room:
            return
        x = 0 if end <= room else max(0, min(start - room // 4, end - room))
        self.scroll_to(x=x, animate=False, immediate=True)
        self.refresh()

    def watch_problems_only(self, value: bool) -> None:
        if value:
            self._scan_problems()
        else:
            self._problems = None
            self._refresh_size()

    def action_toggle_problems(self) -> None:
        self.problems_only = not self.problems_only

    @work(thread=True, exclusive=True, group="logview-problems", exit_on_error=False)
    def _scan_problems(self) -> None:
        index = self.index
        if index is None:
            return
        problems = index.errors(warnings=True)
        self.app.call_from_thread(self._set_problems, problems)

    def _set_problems(self, problems) -> None:
        if not self.problems_only:
            return
        self._problems = problems
        self._refresh_size()

    # --- search -----------------------------------------------------------------------------
    def search(self, pattern: str, *, backwards: bool = False) -> None:
        """Find the next (or previous) line matching the regex `pattern` from the current match."""
        self.pattern = pattern
        self._search(pattern, backwards)

    def action_next_match(self) -> None:
        if self.pattern:
            self.search(self.pattern)

    def action_previous_match(self) -> None:
        if self.pattern:
            self.search(self.pattern, backwards=True)

    @work(thread=True, exclusive=True, group="logview-search", exit_on_error=False)
    def _search(self, pattern: str, backwards: bool) -> None:
        index = self.index
        if index is None:
            return
        ignore_case = pattern == pattern.lower()  # smart case
        try:
            re.compile(pattern)
        except re.error as exc:
            self.post_message(self.SearchResult(pattern, None, f"bad regex: {exc}"))
            return
        current = (
            self.match_line
            if self.match_line is not None
            else (int(self.scroll_y) - 1 if not backwards else int(self.scroll_y) + self.size.height)
        )
        found = None
        if not backwards:
            for number in index.search(pattern, start_line=max(0, current + 1), ignore_case=ignore_case):
                found = number
                break
            if found is None:  # wrap around
                for number in index.search(pattern, 0, ignore_case=ignore_case):
                    found = number
                    break
        else:
            last = None
            for number in index.search(pattern, 0, ignore_case=ignore_case):
                if number >= current and last is not None:
                    break
                last = number
            found = last
        self.post_message(self.SearchResult(pattern, found))

    def on_log_view_search_result(self, message: "LogView.SearchResult") -> None:
        if message.error:
            self.notify(message.error, severity="error")
        elif message.line is None:
            self.notify(f"no line matches {message.pattern!r}", severity="warning")
        else:
            flags = re.IGNORECASE if message.pattern == message.pattern.lower() else 0
            self._goto_match(message.line, re.compile(message.pattern, flags))

    # --- copying a range of lines -----------------------------------------------------------
    def shown_range(self) -> tuple[int, int] | None:
        """0-based numbers of the first and last log lines on screen."""
        index = self.index
        if index is None or index.line_count == 0:
            return None
        top = int(self.scroll_y)
        rows = [self._line_number(r) for r in range(top, top + max(1, self.size.height))]
        numbers = [n for n in rows if n is not None and n < index.line_count]
        return (numbers[0], numbers[-1]) if numbers else None

    def action_copy_lines(self) -> None:
        """Ask for a range (the lines on screen, or the match, to start with): clipboard or file."""
        from .logcopy import CopyLinesModal

        shown = self.shown_range()
        if shown is None or self.index is None:
            self.notify("no lines to copy", severity="warning")
            return
        first, last = (self.match_line, self.match_line) if self.match_line is not None else shown
        self.app.push_screen(CopyLinesModal(f"{first + 1}-{last + 1}", self.index.line_count, self.copy_lines))

    def copy_lines(self, kind: str, first: int, last: int, path: str = "") -> None:
        """Lines first..last (0-based) to the clipboard (OSC 52) or, for "save", into `path`."""
        from pathlib import Path

        from ...core.builds.logrange import save_lines

        lines = self.index.lines(first, last - first + 1) if self.index is not None else []
        what = f"line {first + 1}" if first == last else f"lines {first + 1}-{last + 1}"
        if kind == "save":
            saved = save_lines(path, lines, base=Path.cwd())
            self.notify(f"saved {what} to {saved}", markup=False)
        else:
            self.app.copy_to_clipboard("\n".join(lines) + "\n")
            self.notify(f"copied {what} to the clipboard (OSC 52: the terminal must allow it)", markup=False)


class LogViewer(Vertical):
    """LogView + a status line + a search box (`/`)."""

    DEFAULT_CSS = """
    LogViewer { height: 1fr; }
    LogViewer > #logviewer-status { height: 1; background: $panel; color: $text-muted; padding: 0 1; }
    LogViewer > Input { display: none; }
    LogViewer > Input.-visible { display: block; }
    """
    BINDINGS = [
        Binding("slash", "open_search", "Search", id="skiff.logview.search"),
        Binding("escape", "close_search", "Close search", show=False, id="skiff.logview.close_search"),
    ]

    def __init__(self, path=None, *, follow: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self._path, self._follow = path, follow

    def compose(self) -> ComposeResult:
        yield Static("", id="logviewer-status", markup=False)  # shows the search regex
        yield LogView(self._path, follow=self._follow, id="logview")
        yield Input(placeholder="regex (smart case); Enter finds the next match", id="logviewer-search")

    @property
    def view(self) -> LogView:
        return self.query_one(LogView)

    def open(self, path, *, follow: bool = True) -> None:
        self.view.open(path, follow=follow)

    def on_mount(self) -> None:
        self.set_interval(0.5, self._update_status)

    def on_log_view_updated(self, _message) -> None:
        self._update_status()

    def _update_status(self) -> None:
        view = self.view
        index = view.index
        if index is None:
            text = "no log"
        else:
            parts = [f"{index.line_count:,} lines"]
            if not index.complete:
                parts.append("indexing…")
            parts.append("following" if view.follow else "paused (f: follow)")
            if view.problems_only:
                parts.append("errors/warnings only")
            if view.pattern:
                parts.append(f"/{view.pattern}")
            text = "  ·  ".join(parts)
        self.query_one("#logviewer-status", Static).update(text)

    def check_action(self, action: str, parameters) -> bool | None:
        if action == "close_search":  # otherwise escape belongs to the screen (e.g. Back)
            return self.query_one(Input).has_class("-visible")
        return True

    def action_open_search(self) -> None:
        box = self.query_one(Input)
        box.add_class("-visible")
        box.focus()

    def action_close_search(self) -> None:
        box = self.query_one(Input)
        box.remove_class("-visible")
        self.view.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value:
            self.view.search(event.value)
        self.action_close_search()


class LivePane(_FollowsTail, ScrollView, can_focus=True):
    """An in-memory tail of a line stream, fed from any thread.

    `feed(lines)` only appends to a pending buffer under a lock; a timer flushes it every
    `interval` seconds. Both the buffer and the pane keep at most `max_lines` lines (older ones
    are dropped: the full output is in the build's log file). Follows the end unless scrolled up.
    """

    DEFAULT_CSS = """
    LivePane { height: 1fr; background: $surface; }
    """
    BINDINGS = [Binding("f", "follow", "Follow", id="skiff.livepane.follow")]

    def __init__(self, *, max_lines: int = 10_000, interval: float = 0.07, id: str | None = None) -> None:
        super().__init__(id=id)
        self.max_lines = max_lines
        self.interval = interval
        self._pending: deque[str] = deque(maxlen=max_lines)
        self._lock = threading.Lock()
        self._lines: deque[str] = deque(maxlen=max_lines)
        self._width = 0
        self.received = 0  # lines fed
        self.shown = 0  # lines that reached the pane
        self.skipped = 0  # lines superseded in the buffer before a flush (flood)
        self.dropped = 0  # lines that fell out of the pane's window
        self.follow = True

    def on_mount(self) -> None:
        super().on_mount()
        self.set_interval(self.interval, self.flush)

    def feed(self, lines: list[str]) -> None:
        """Thread-safe; cheap (no rendering)."""
        with self._lock:
            overflow = len(self._pending) + len(lines) - self.max_lines
            if overflow > 0:
                self.skipped += min(overflow, len(self._pending) + len(lines))
            self._pending.extend(lines)
            self.received += len(lines)

    def write_lines(self, lines: list[str]) -> None:
        """From the UI thread: append and flush now."""
        self.feed(lines)
        self.flush()

    def flush(self) -> None:
        with self._lock:
            if not self._pending:
                return
            batch = self._pending
            self._pending = deque(maxlen=self.max_lines)
        before = len(self._lines)
        n = len(batch)
        self._lines.extend(batch)
        self.shown += n
        overflow = before + n - len(self._lines)
        self.dropped += overflow
        widest = max(map(len, batch))
        if widest > self._width:
            self._width = widest
        at_end = self.follow
        if overflow and not at_end:
            # keep the user's view on the same lines while old ones fall off the top
            self.scroll_to(y=max(0, self.scroll_y - overflow), animate=False, immediate=True)
        self.virtual_size = Size(self._width, len(self._lines))
        if at_end:
            self._to_end()
        self.refresh()

    def on_resize(self, _event) -> None:
        if self.follow:
            self._to_end()

    @property
    def lines(self) -> list[str]:
        return list(self._lines)

    @property
    def caught_up(self) -> bool:
        """Every line fed has been shown or superseded by newer ones."""
        with self._lock:
            return self.shown + self.skipped == self.received

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        width = self.size.width
        base = self.rich_style
        if row >= len(self._lines):
            return Strip.blank(width, base)
        text = self._lines[row]
        return _strip_for(text, None, 0, scroll_x, width, line_style(text), base)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if new_value < old_value and new_value < self.max_scroll_y:
            self.follow = False
        elif new_value >= self.max_scroll_y:
            self.follow = True

    def action_follow(self) -> None:
        self.follow = True
        self._to_end()
