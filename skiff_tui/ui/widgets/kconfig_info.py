"""The info pane of the Kconfig editor: the engine's text about an entry, its help re-wrapped.

A help text keeps the line breaks it has in Config.in (about 65 columns); a narrower pane wrapped
each of those lines again, so long help read ragged (a full line, then a stub). Here each run of
plain prose lines is joined and wrapped to the pane's width. Blank lines, indented lines and list
items ("- x", "* x", "1. x") are layout (lists, commands, tables) and stay as written.
"""

from __future__ import annotations

import re
import textwrap

from textual import events
from textual.widgets import Static

HELP_HEADER = "Help:"
INDENT = "  "  # how the engine's info text indents help lines (core.editors.kconfig.KconfigModel.info)
LIST_ITEM = re.compile(r"(?:[-*+]|\d{1,2}[.)])\s")


def _is_prose(line: str) -> bool:
    return bool(line) and not line[0].isspace() and not LIST_ITEM.match(line)


def reflow_help(lines: list[str], width: int | None) -> list[str]:
    """Help lines as written (without the pane's indent) -> lines to show, indented. Prose
    paragraphs become one line each (`width` None: the widget wraps them) or are wrapped to
    `width` columns, indent included."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        if not _is_prose(lines[i]):
            out.append(INDENT + lines[i] if lines[i] else "")
            i += 1
            continue
        j = i
        while j < len(lines) and _is_prose(lines[j]):
            j += 1
        paragraph = " ".join(" ".join(lines[i:j]).split())  # one space between words, as wrapped text has
        if width is None:
            out.append(INDENT + paragraph)
        else:
            # long words (URLs, option names) stay whole: the widget folds them if it must
            out += textwrap.wrap(
                paragraph,
                width=max(width, len(INDENT) + 1),
                initial_indent=INDENT,
                subsequent_indent=INDENT,
                break_long_words=False,
                break_on_hyphens=False,
            )
        i = j
    return out


def reflow_info(text: str, width: int | None) -> str:
    """The info text with the lines of its Help section reflowed (see reflow_help)."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        out.append(lines[i])
        i += 1
        if out[-1] != HELP_HEADER:
            continue
        j = i  # the section runs while lines are blank or indented; the next heading is not
        while j < len(lines) and (not lines[j] or lines[j].startswith(INDENT)):
            j += 1
        out += reflow_help([line.removeprefix(INDENT) for line in lines[i:j]], width)
        i = j
    return "\n".join(out)


class KconfigInfo(Static):
    """Shows `show(text)` with its help wrapped to the widget's width, again on every resize."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)  # help and prompts are user text: never markup
        self._text = ""

    def show(self, text: str) -> None:
        self._text = text
        self._render_text()

    def _render_text(self) -> None:
        width = self.size.width  # 0 until the first layout: the widget wraps until the resize
        self.update(reflow_info(self._text, width or None))

    def on_resize(self, event: events.Resize) -> None:
        if self._text:
            self._render_text()
