"""Logs: any log file (`skiff logs FILE`, `o` on the Logs screen), a range of lines copied to the
clipboard (OSC 52) or saved to a file, and a match in a long line scrolled into view sideways in
the Problems view."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest
from skifftest import open_section, run_skiff, skiff_app
from textual.app import App
from textual.widgets import Input

from skiff_tui.core.builds.logrange import log_file, parse_range, save_lines
from skiff_tui.core.errors import SkiffError
from skiff_tui.core.workspace import Workspace
from skiff_tui.ui.screens.logs import LogFileScreen
from skiff_tui.ui.widgets.logcopy import CopyLinesModal
from skiff_tui.ui.widgets.logview import LogView, LogViewer

SAMPLE = Path(__file__).parent / "data" / "B-offline-keep-going.log"


async def until(pilot, predicate, timeout=15.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not reached in time")


class ViewerApp(App):
    def __init__(self, path):
        super().__init__()
        self.path = path

    def compose(self):
        yield LogViewer(self.path, follow=False)


def test_ranges_and_files(tmp_path):
    assert parse_range("120-180", 200) == (119, 179)
    assert parse_range(" 7 ", 10) == (6, 6)
    assert parse_range("9..3", 10) == (2, 8)
    for bad in ("", "a-b", "0-3", "5-11"):
        with pytest.raises(SkiffError):
            parse_range(bad, 10)
    with pytest.raises(SkiffError, match="no such file"):
        log_file(tmp_path / "missing.log")
    with pytest.raises(SkiffError, match="not a regular file"):
        log_file(tmp_path)
    out = save_lines("sub/out.txt", ["a", "b"], base=tmp_path)
    assert out.read_text() == "a\nb\n"
    with pytest.raises(SkiffError, match="is a directory"):
        save_lines(tmp_path, ["a"])


def test_skiff_logs_prints_any_file(tmp_path):
    res = run_skiff("logs", str(SAMPLE), "-n", "3", env={"SKIFF_ROOT_DIR": str(tmp_path)})
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == SAMPLE.read_text().splitlines()[-3:]
    res = run_skiff("logs", str(tmp_path / "nope.log"), env={"SKIFF_ROOT_DIR": str(tmp_path)})
    assert res.returncode != 0 and "nope.log: no such file" in res.stderr and "Traceback" not in res.stderr


async def test_copy_a_range_to_the_clipboard_and_to_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = ViewerApp(SAMPLE)
    lines = SAMPLE.read_text().splitlines()
    async with app.run_test(size=(100, 20)) as pilot:
        view = app.query_one(LogView)
        view.focus()
        await until(pilot, lambda: view.index and view.index.complete and view.visible_lines()[0])
        written = []
        real_write = app._driver.write
        app._driver.write = lambda data: (written.append(data), real_write(data))[1]
        await pilot.press("y")
        assert isinstance(app.screen, CopyLinesModal)
        box = app.screen.query_one("#copy-range", Input)
        assert box.value == f"1-{view.size.height}"  # the lines on screen to start with
        box.value = "2-4"
        await pilot.press("enter")  # Enter in the range: copy
        await pilot.pause(0.1)
        assert not isinstance(app.screen, CopyLinesModal)
        assert app.clipboard == "\n".join(lines[1:4]) + "\n"
        osc = [w for w in written if w.startswith("\x1b]52;c;")]
        assert base64.b64decode(osc[-1][7:-1]).decode() == app.clipboard
        # a bad range keeps the dialog open and says why
        await pilot.press("y")
        app.screen.query_one("#copy-range", Input).value = "5-99999"
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert isinstance(app.screen, CopyLinesModal)
        assert "outside the log" in str(app.screen.query_one("#copy-error").render())
        app.screen.query_one("#copy-range", Input).value = "10-12"
        app.screen.query_one("#copy-file", Input).value = "saved/part.log"
        app.screen.query_one("#copy-file", Input).focus()
        await pilot.press("enter")  # Enter in the file box: save
        await pilot.pause(0.1)
        assert (tmp_path / "saved/part.log").read_text() == "".join(ln + "\n" for ln in lines[9:12])


async def test_problems_view_scrolls_a_long_lines_match_into_view(tmp_path):
    path = tmp_path / "long.log"
    body = [f"line {i}" for i in range(50)]
    body[30] = "x" * 300 + " error: undefined_symbol here"
    body[40] = "warning: short one"
    path.write_text("\n".join(body) + "\n")
    app = ViewerApp(path)
    async with app.run_test(size=(80, 20)) as pilot:
        view = app.query_one(LogView)
        view.focus()
        await until(pilot, lambda: view.index and view.index.complete)
        await pilot.press("w")  # the Problems view: errors and warnings
        await until(pilot, lambda: view.virtual_size.height == 2)
        assert view.scroll_x == 0
        await pilot.press("slash", *"undefined_symbol", "enter")
        await until(pilot, lambda: view.match_line == 30)
        await pilot.pause(0.1)
        assert view.scroll_x > 200
        assert any("undefined_symbol" in ln for ln in view.visible_lines())
        await pilot.press("slash", *"short", "enter")  # a match near the start: back to column 0
        await until(pilot, lambda: view.match_line == 40)
        await pilot.pause(0.1)
        assert view.scroll_x == 0


async def test_logs_screen_opens_any_file(tmp_path, skiff_root):
    ws = Workspace(skiff_root, "t")
    ws.dir.mkdir(parents=True)
    app = skiff_app(ws.root, workspace=ws.name)
    async with app.run_test(size=(120, 30)) as pilot:
        await open_section(app, pilot, "logs")
        await pilot.press("o")
        box = app.screen.query_one(Input)
        box.value = str(tmp_path / "missing.log")
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert "no such file" in str(app.screen.query_one("#prompt-error").render())
        box.value = str(SAMPLE)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, LogFileScreen))
        view = app.screen.query_one(LogView)
        await until(pilot, lambda: view.index and view.index.complete and any(view.visible_lines()))
        assert any("make: ***" in ln or "sha256" in ln or "wget" in ln for ln in view.visible_lines())
        assert str(SAMPLE) in str(app.screen.query_one("#log-title").render())
