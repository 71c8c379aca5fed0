"""The build-time chart: which packages took a build's time, from the build-time.log the build
wrote (Pilot on the Build and Logs screens) and a snapshot over fixed data."""

from __future__ import annotations

import sys
from pathlib import Path

from skifftest import open_section, skiff_app
from textual.app import App, ComposeResult

from skiff_tui.core.builds import build as engine
from skiff_tui.core.workspace import Workspace
from skiff_tui.ui.screens.build_times import BuildTimesScreen
from skiff_tui.ui.widgets.build_time_chart import BuildTimeChart, bar, duration_text, top

HERE = Path(__file__).parent


def test_bars_and_ranking():
    assert bar(1.0, 10) == "█" * 10 and bar(0.5, 3) == "█▌" and bar(0, 10) == ""
    assert duration_text(59) == "59s" and duration_text(61) == "1m01s" and duration_text(3725) == "1h02m"
    shown, rest, more = top({"a": 1, "b": 5, "c": 3, "d": 2}, 2)
    assert shown == [("b", 5), ("c", 3)] and rest == 3 and more == 2


async def test_build_and_logs_screens_chart_the_build(skiff_root):
    ws = Workspace(skiff_root, "t")
    ws.dir.mkdir(parents=True)
    argv = [sys.executable, str(HERE / "fakebuild.py"), f"O={ws.dir}", "--delay", "0.05"]
    rec = engine.run_build(ws, argv, env={}, chain=["pi/4"], target="all")
    durations = engine.record_durations(ws, rec)
    assert set(durations) >= {"host-pkgconf", "busybox", "demo-app"}

    app = skiff_app(ws.root, workspace=ws.name, read_only=True)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_section(app, pilot, "build")
        await pilot.pause(0.2)
        assert screen.record is not None and screen.record.id == rec.id
        await pilot.press("t")
        assert isinstance(app.screen, BuildTimesScreen)
        chart = app.screen.query_one(BuildTimeChart)
        text = str(chart.render())
        longest = max(durations, key=durations.get)
        first_row = text.splitlines()[1]
        assert first_row.startswith(longest) and "█" in first_row
        assert f"over {len(durations)} packages" in text
        await pilot.press("escape")
        await open_section(app, pilot, "logs")
        await pilot.pause(0.1)
        await pilot.press("t")
        assert isinstance(app.screen, BuildTimesScreen) and app.screen.record.id == rec.id


class ChartApp(App):
    def compose(self) -> ComposeResult:
        yield BuildTimeChart(
            {
                "linux": 1260.0,
                "host-gcc-final": 905.0,
                "host-gcc-initial": 610.0,
                "glibc": 480.0,
                "host-binutils": 190.0,
                "busybox": 75.0,
                "host-python3": 140.0,
                "openssh": 42.0,
                "skeleton": 1.0,
                "host-pkgconf": 12.0,
            },
            limit=7,
        )


def test_build_time_chart_snapshot(snap_compare):
    assert snap_compare(ChartApp(), terminal_size=(90, 12))
