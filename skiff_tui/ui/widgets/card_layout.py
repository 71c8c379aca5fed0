"""The card layout drawn to scale: the partition table, raw boot blobs, BOOT, rootfs and persist
(from `core.flash.layout`'s Geometry) as a bar as wide as the widget, plus a zoom on the card's
first megabytes where the table and the blobs are too small to see in the whole-card bar."""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import RenderableType
from rich.text import Text
from textual.widget import Widget

from ...core.flash.units import MIB, human_size

GPT_AREA = 34 * 512  # protective MBR + GPT header + entries
MBR_AREA = 512

STYLES = {
    "table": "bold white on grey35",
    "blob": "bold white on dark_red",
    "BOOT": "bold white on blue",
    "rootfs": "bold black on green",
    "persist": "bold white on dark_magenta",
    "free": "grey50",
}
FILL = {"free": "·"}


@dataclass(frozen=True)
class Area:
    kind: str  # table, blob, BOOT, rootfs, persist, free
    label: str
    start: int
    end: int
    priority: int  # what a cell shows when several areas share it (small things win)


def areas(disk_size: int, table: str, parts, blobs=()) -> list[Area]:
    """Everything on the card by byte range (parts: flash_layout.Part; blobs: name/offset/size)."""
    out = [Area("table", "GPT" if table == "gpt" else "MBR", 0, GPT_AREA if table == "gpt" else MBR_AREA, 3)]
    if table == "gpt":
        out.append(Area("table", "backup GPT", disk_size - 33 * 512, disk_size, 3))
    for b in blobs:
        out.append(Area("blob", b.name, b.offset, b.offset + b.size, 4))
    for p in parts:
        kind = p.label if p.label in STYLES else "persist"
        out.append(Area(kind, p.label, p.start, p.end, 1))
    return out


def _bar(items: list[Area], start: int, end: int, width: int) -> Text:
    """One row: each cell shows the area covering most of its bytes, a small area at least one cell."""
    span = max(1, end - start)
    cells: list[Area | None] = []
    for i in range(width):
        a, b = start + span * i // width, start + span * (i + 1) // width
        best, best_key = None, (0, 0)
        for item in items:
            overlap = min(b, item.end) - max(a, item.start)
            if overlap > 0 or (item.start == item.end and a <= item.start < b):
                key = (item.priority, overlap)
                if key > best_key:
                    best, best_key = item, key
        cells.append(best)
    text = Text()
    i = 0
    while i < width:
        shown = cells[i]
        j = i
        while j < width and cells[j] is shown:
            j += 1
        run = j - i
        kind = shown.kind if shown else "free"
        label = (shown.label if shown else "")[:run]
        if shown is not None and len(shown.label) + 2 <= run:
            label = f" {shown.label} "
        body = label.center(run, FILL.get(kind, " ")) if kind != "free" else FILL["free"] * run
        text.append(body, style=STYLES[kind])
        i = j
    return text


class CardLayoutPicture(Widget):
    """The layout of one card; `show(disk_size, table, parts, blobs)`, `clear()`."""

    DEFAULT_CSS = """
    CardLayoutPicture { height: auto; padding: 0 1; display: none; }
    CardLayoutPicture.-shown { display: block; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._data: tuple[int, str, list, list] | None = None

    def show(self, disk_size: int, table: str, parts, blobs=()) -> None:
        self._data = (disk_size, table, list(parts), list(blobs))
        self.add_class("-shown")
        self.refresh(layout=True)

    def clear(self) -> None:
        self._data = None
        self.remove_class("-shown")

    def get_content_height(self, container, viewport, width: int) -> int:
        if self._data is None:
            return 0
        return 6 + len(areas(*self._data))

    def render(self) -> RenderableType:
        if self._data is None:
            return Text()
        disk_size, table, parts, blobs = self._data
        width = max(20, self.content_region.width or 80)
        items = areas(disk_size, table, parts, blobs)
        out = Text()
        out.append(f"Card layout to scale: {human_size(disk_size)}, {table.upper()} table\n", style="bold")
        out.append_text(_bar(items, 0, disk_size, width))
        p1 = min((p.start for p in parts), default=MIB)
        zoom = max(2 * MIB, 2 * p1)
        out.append(f"\nThe first {human_size(zoom)}: table, boot blobs and where BOOT starts\n", style="bold")
        out.append_text(_bar(items, 0, zoom, width))
        out.append("\n")
        for item in sorted(items, key=lambda a: a.start):
            out.append("  ■ ", style=STYLES[item.kind].replace("bold ", "").split(" on ")[-1])
            out.append(f"{item.label:<12} {human_size(item.end - item.start):>9} at byte {item.start:,}\n")
        return out
