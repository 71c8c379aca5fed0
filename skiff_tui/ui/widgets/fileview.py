"""A read-only file viewer in a modal, optionally scrolled to a line (for "open at line")."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, TextArea
from textual.widgets.text_area import Selection

from ...core import readonly
from ...core.masking import mask_secrets

MAX_BYTES = 2 * 1024 * 1024


def load_text(path: Path) -> str:
    """The file's text for display; binary or huge files get a one-line explanation instead."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            return f"({path.name}: {size} bytes, too large to show here)"
        data = path.read_bytes()
    except OSError as exc:
        return f"(cannot read {path.name}: {exc.strerror})"
    if b"\0" in data[:8192]:
        return f"({path.name}: binary file, {len(data)} bytes)"
    return data.decode("utf-8", errors="replace")


class FileViewer(ModalScreen[None]):
    """Shows one file read-only. `title` is what the header says (keep tmp paths out of it)."""

    DEFAULT_CSS = """
    FileViewer { align: center middle; }
    FileViewer > Vertical { width: 90%; height: 90%; border: thick $primary; background: $surface; }
    FileViewer #fileview-title { width: 100%; background: $primary; color: $text; padding: 0 1; }
    FileViewer TextArea { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape,q", "dismiss", "Close", id="skiff.fileview.close"),
    ]

    def __init__(self, path: Path, title: str | None = None, line: int | None = None) -> None:
        super().__init__()
        self.path = Path(path)
        self.title_text = title or self.path.name
        self.line = line

    def compose(self) -> ComposeResult:
        with Vertical():
            where = f"{self.title_text}:{self.line}" if self.line else self.title_text
            yield Label(f"{where}  (read-only)", id="fileview-title", markup=False)
            text = load_text(self.path)
            if self._masked():
                text = mask_secrets(text)
            area = TextArea(text, read_only=True, show_line_numbers=True, soft_wrap=False, id="fileview")
            area.cursor_blink = False
            yield area
        yield Footer()

    def _masked(self) -> bool:
        """A read-only session (someone watching over SSH) never sees Wi-Fi keys, passwords or
        private keys; an editing session is the owner's and shows the file as it is."""
        return readonly.is_read_only()  # a read-only SkiffApp sets it for the whole process

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        if self.line:
            row = max(0, min(self.line - 1, area.document.line_count - 1))
            # selected from its end back to column 0: the cursor (and the view) start at the
            # beginning of the line, not scrolled sideways to its end
            area.selection = Selection((row, len(area.document.get_line(row))), (row, 0))
            area.scroll_to(x=0, y=max(0, row - 3), animate=False)
