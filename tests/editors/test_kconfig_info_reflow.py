"""The Kconfig info pane re-wraps help to its width: prose paragraphs joined and wrapped, blank
lines, indented lines and list items as written (skiff_tui/ui/widgets/kconfig_info.py)."""

from __future__ import annotations

import textwrap

import pytest
from skifftest import real_buildroot, requires_buildroot
from textual.app import App, ComposeResult

from skiff_tui.ui.widgets.kconfig_info import INDENT, KconfigInfo, reflow_help, reflow_info

HELP = [
    "The first paragraph, written with",
    "short lines as in a Config.in file.",
    "",
    "Options:",
    "- a list item that stays on",
    "  its own lines",
    "* another",
    "1. a numbered one",
    "\tan indented command --with-flags",
    "After the list, prose again that",
    "joins.",
]


def test_prose_is_joined_and_layout_lines_stay():
    assert reflow_help(HELP, None) == [
        "  The first paragraph, written with short lines as in a Config.in file.",
        "",
        "  Options:",
        "  - a list item that stays on",
        "    its own lines",
        "  * another",
        "  1. a numbered one",
        "  \tan indented command --with-flags",
        "  After the list, prose again that joins.",
    ]


def test_prose_is_wrapped_to_the_width_with_the_indent_and_long_words_whole():
    lines = reflow_help(["see https://example.org/a/very/long/address/that/does/not/fit for", "details"], 20)
    assert lines == ["  see", "  https://example.org/a/very/long/address/that/does/not/fit", "  for details"]
    assert all(len(line) <= 20 for line in reflow_help(HELP[:2], 20))


def test_only_the_help_section_is_touched():
    text = "Prompt: x\nName: BR2_X\n\nHelp:\n  one\n  two\n\n  three\n\nDefaults:\n  y\n  if BR2_Y"
    shown = "Prompt: x\nName: BR2_X\n\nHelp:\n  one two\n\n  three\n\nDefaults:\n  y\n  if BR2_Y"
    assert reflow_info(text, None) == shown
    menu = "Menu: Target packages\n\nDefined at Config.in:1"
    assert reflow_info(menu, 30) == menu


def _help(text: str) -> list[str]:
    lines = text.split("\n")
    start = lines.index("Help:") + 1
    end = start
    while end < len(lines) and (not lines[end] or lines[end].startswith(INDENT)):
        end += 1
    return lines[start:end]


@requires_buildroot
def test_real_buildroot_help_reads_as_paragraphs_at_a_narrow_width():
    """BR2_PACKAGE_SYSTEMD's help (the longest in Buildroot 2026.02.3): prose, a kernel option
    list with continued items, and a URL."""
    from skiff_tui.core.builds import kconfig_cache
    from skiff_tui.core.editors.kconfig import KconfigModel, open_parsed

    parsed, _ = open_parsed(real_buildroot(), [])
    try:
        model = KconfigModel(parsed.kconf, {})
        info = model.info(model.find("BR2_PACKAGE_SYSTEMD"))
    finally:
        kconfig_cache.give_back(parsed)
    width = 44
    shown = reflow_info(info, width)
    before, after = _help(info), _help(shown)

    # nothing lost or reordered, and the rest of the text is as the engine wrote it
    assert " ".join(before).split() == " ".join(after).split()
    assert shown.replace("\n".join(after), "") == info.replace("\n".join(before), "")
    # layout lines as written: list items with their continuation lines, the URL, blank lines
    layout = [line for line in before if not line or line.startswith((INDENT + "-", INDENT + " ")) or "://" in line]
    for line in layout:
        assert line in after
    assert "  - CONFIG_UNIX (it requires CONFIG_NET, but every other flag in" in after
    assert "    it is not necessary)" in after
    assert before.count("") == after.count("")
    # prose wrapped to the width and filled: no line could have taken the next line's first word
    prose = [line for line in after if line and line not in layout]
    assert prose and all(len(line) <= width for line in prose)
    for line, following in zip(after, after[1:], strict=False):
        if line in prose and following in prose:
            assert len(line) + 1 + len(following.split()[0]) > width, (line, following)
    # and fewer rows than the source lines each wrapped again by the pane, as it showed them before
    rewrapped = sum(
        len(textwrap.wrap(line, width, subsequent_indent=INDENT, break_long_words=False)) or 1 for line in before
    )
    assert len(after) < rewrapped


class OnePane(App[None]):
    def compose(self) -> ComposeResult:
        yield KconfigInfo(id="info")


LONG_HELP = (
    "Prompt: demo\n\nHelp:\n  A help text written with the line breaks of its Config.in file, long enough\n"
    "  that a narrow pane wraps it into several lines of its own.\n\n  - a list item\n"
)


@pytest.mark.parametrize("width", [30, 50])
async def test_the_pane_wraps_help_to_its_width_and_again_when_resized(width):
    app = OnePane()
    async with app.run_test(size=(width, 20)) as pilot:
        pane = app.query_one(KconfigInfo)
        pane.show(LONG_HELP)
        await pilot.pause()
        assert str(pane.render()) == reflow_info(LONG_HELP, width)
        await pilot.resize_terminal(width + 17, 20)
        await pilot.pause()
        assert str(pane.render()) == reflow_info(LONG_HELP, width + 17)
