"""A build started in the TUI: the status line marks it on every screen, and its end is told on
whatever screen the user is: a toast, the terminal bell and (where the terminal supports one) a
desktop notification written through the app's driver."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from skiff_tui.ui.desktop_notify import dialect, sequence
from skiff_tui.ui.screens.build import BuildRequest

FAKEBUILD = Path(__file__).parents[1] / "build" / "fakebuild.py"


async def _until(pilot, predicate, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not reached in time")


async def test_build_end_is_told_on_another_screen(make_app, settle, skiff_env):
    skiff_env["TERM_PROGRAM"] = "WezTerm"
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        written: list[str] = []
        rings: list[int] = []
        real_write = app._driver.write
        app._driver.write = lambda data: (written.append(data), real_write(data))[1]
        app.bell = lambda: rings.append(1)
        ws = app.workspace
        ws.dir.mkdir(parents=True, exist_ok=True)
        argv = [sys.executable, str(FAKEBUILD), f"O={ws.dir}", "--delay", "0.1", "--fail", "busybox:build"]
        app.build_runs.start(ws, lambda: BuildRequest(argv, chain=["board/alpha"], total=5))
        await pilot.press("2")  # the user is on Stack meanwhile
        status = app.screen.query_one("#status")
        await _until(pilot, lambda: "building default" in str(status.render()))
        await _until(pilot, lambda: not app.build_runs.active() and app._notifications)
        await pilot.pause(0.2)
        assert "building" not in str(status.render())
        toasts = [n for n in app._notifications if n.title == "skiff: build ended"]
        assert len(toasts) == 1 and toasts[0].severity == "error"
        assert "in workspace default failed in busybox (build)" in toasts[0].message
        assert rings == [1]
        osc = [w for w in written if w.startswith("\x1b]9;")]
        assert len(osc) == 1 and "failed in busybox" in osc[0] and osc[0].endswith("\x07")


def test_desktop_notification_dialects():
    assert dialect({"TERM": "xterm-256color"}) is None  # unknown: nothing written
    assert dialect({"TERM_PROGRAM": "iTerm.app"}) == "osc9"
    assert dialect({"WT_SESSION": "x"}) == "osc9"
    assert dialect({"TERM": "foot"}) == "osc777"
    assert dialect({"VTE_VERSION": "7600"}) == "osc777"
    assert dialect({"TERM": "foot", "SKIFF_DESKTOP_NOTIFY": "off"}) is None
    assert dialect({"SKIFF_DESKTOP_NOTIFY": "osc9"}) == "osc9"
    kind, seq = sequence({"TERM": "foot"}, "skiff", "built; \x1b]52;evil\x07 done")
    assert kind == "osc777" and seq.count("\x1b") == 1 and seq.count("\x07") == 1
    assert seq.startswith("\x1b]777;notify;skiff;built,")
    kind, seq = sequence({"TERM_PROGRAM": "WezTerm", "TMUX": "/tmp/tmux"}, "skiff", "done")
    assert seq == "\x1bPtmux;\x1b\x1b]9;skiff: done\x07\x1b\\"


async def test_tui_build_runs_the_host_tools_check_of_skiff_compile(
    make_app, settle, skiff_env, tmp_path, save_selection
):
    """Start on the Build screen checks the host tools first, with skiff compile's message."""
    from skiff_tui.core.builds.buildroot import HOST_TOOLS

    bare = tmp_path / "bare-bin"
    bare.mkdir()
    skiff_env["PATH"] = str(bare)  # a machine without make, gcc, …
    save_selection(["board/alpha"])
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        await pilot.press("5", "s")
        await _until(pilot, lambda: any("host tools missing" in n.message for n in app._notifications))
        await pilot.pause(0.2)
        messages = [n.message for n in app._notifications if "host tools missing" in n.message]
        assert len(messages) == 1 and all(tool in messages[0] for tool in HOST_TOOLS)
        assert not app.build_runs.active()


def test_skiff_compile_says_the_same(skiff_env, tmp_path):
    from skifftest import run_skiff

    bare = tmp_path / "bare-bin"
    bare.mkdir()
    res = run_skiff("compile", env={**skiff_env, "PATH": str(bare)})
    assert res.returncode != 0 and "host tools missing for a Buildroot build: make, gcc" in res.stderr
    assert "Traceback" not in res.stderr
