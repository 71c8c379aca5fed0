"""Build and Logs screens (in the real SkiffApp), LogView and LivePane, driven with Textual's
Pilot; assertions are on what the widgets show. Builds run tests/build/fakebuild.py, which writes
Buildroot's output, in place of what `skiff compile` would run (compile_request)."""

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from skifftest import open_section, skiff_app
from textual.app import App
from textual.widgets import DataTable, ProgressBar, Static

from skiff_tui.core.builds import build as engine
from skiff_tui.core.workspace import Workspace
from skiff_tui.ui.screens import build as build_screen
from skiff_tui.ui.screens.build import BuildRequest
from skiff_tui.ui.screens.logs import LogScreen, LogsScreen
from skiff_tui.ui.widgets.logview import LivePane, LogView, LogViewer

HERE = Path(__file__).parent
REPO = Path(engine.__file__).parents[2]


def fake(ws, *extra):
    return [sys.executable, str(HERE / "fakebuild.py"), f"O={ws.dir}", *extra]


@pytest.fixture
def ws(skiff_root):
    w = Workspace(skiff_root, "t")
    w.dir.mkdir(parents=True)
    return w


@pytest.fixture
def build_runs_argv(monkeypatch):
    """Start on the Build screen runs `argv` (what the workspace's request would hold)."""

    def use(argv, chain=(), total=None) -> None:
        def request(session, log=None, progress=None):
            return BuildRequest(list(argv), chain=list(chain), total=total)

        monkeypatch.setattr(build_screen, "compile_request", request)

    return use


def text_of(widget: Static) -> str:
    return str(widget.render())


async def until(pilot, predicate, timeout=15.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        await pilot.pause(0.05)
    raise AssertionError("condition not reached in time")


def shown_actions(screen) -> set[str]:
    return {b.binding.action for b in screen.active_bindings.values()}


async def test_build_screen_starts_and_shows_progress_and_log(ws, build_runs_argv):
    build_runs_argv(fake(ws, "--delay", "0.06"), chain=["pi/4"], total=5)
    app = skiff_app(ws.root, workspace=ws.name)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_section(app, pilot, "build")
        assert "no builds yet" in text_of(screen.query_one("#build-title"))
        await pilot.press("s")
        seen_info = set()

        def finished():
            seen_info.add(text_of(screen.query_one("#build-info")))
            return screen.record is not None and screen.record.status != "running"

        await until(pilot, finished)
        await pilot.pause(0.3)
        pkgs = ("host-pkgconf", "host-demo-lib", "busybox", "demo-app")
        assert any("/5" in t and any(p in t for p in pkgs) and "ETA" in t for t in seen_info), seen_info
        title = text_of(screen.query_one("#build-title"))
        assert "succeeded" in title and "pi/4" in title
        bar = screen.query_one(ProgressBar)
        assert bar.total == 5 and bar.progress == 5
        assert text_of(screen.query_one("#build-info")).startswith("5/5")
        view = screen.query_one(LogView)
        shown = [ln for ln in view.visible_lines() if ln]
        assert shown[-1].endswith(">>>   Generating filesystem image rootfs.ext2")
        assert not screen.query_one("#build-failure").has_class("-visible")


async def test_build_screen_failure_panel(ws, build_runs_argv):
    build_runs_argv(fake(ws, "--fail", "busybox:build"), total=5)
    app = skiff_app(ws.root, workspace=ws.name)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_section(app, pilot, "build")
        await pilot.press("s")
        await until(pilot, lambda: screen.record is not None and screen.record.status == "failed")
        panel = screen.query_one("#build-failure")
        assert panel.has_class("-visible")
        text = text_of(panel)
        assert "Build failed in busybox during build" in text
        assert "error: 'undefined_symbol' undeclared" in text
        assert "make br/busybox-dirclean" in text and "make br/busybox-rebuild" in text


async def test_build_screen_cancel(ws, build_runs_argv):
    # Slow enough per package that the build is still running after the first answer, however
    # loaded the machine is (it is cancelled long before its end).
    build_runs_argv(fake(ws, "--delay", "1.5"), total=20)
    app = skiff_app(ws.root, workspace=ws.name)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_section(app, pilot, "build")
        assert "cancel" in shown_actions(screen)
        await pilot.press("s")
        await until(pilot, lambda: screen.record is not None and screen.record.done >= 1)
        await pilot.press("x")  # asks first: the default answer keeps building
        from skiff_tui.ui.widgets.dialogs import ChoiceModal

        assert isinstance(app.screen, ChoiceModal)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is screen)
        assert screen.record.status == "running"
        await pilot.press("x")
        await pilot.press("c")  # "Cancel the build (c)"
        await until(pilot, lambda: screen.record.status != "running")
        assert screen.record.status == "cancelled"
        assert "cancelled" in text_of(screen.query_one("#build-title"))


async def test_read_only_screen_attaches_to_another_process_build(ws):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "driver.py"), str(ws.root), ws.name, "5", "--", *fake(ws, "--delay", "0.08")],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        app = skiff_app(ws.root, workspace=ws.name, read_only=True)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await open_section(app, pilot, "build")
            # start/cancel are absent in read-only mode
            assert not {"start", "cancel"} & shown_actions(screen)
            await until(pilot, lambda: screen.record is not None and screen.record.status == "running")
            title = text_of(screen.query_one("#build-title"))
            assert f"started by pid {proc.pid}" in title and "READ-ONLY" in title
            progress = set()

            def done():
                progress.add(screen.query_one(ProgressBar).progress)
                return screen.record.status != "running"

            await until(pilot, done, timeout=30)
            await pilot.press("s")  # refused: nothing starts
            await pilot.pause(0.3)
            assert screen.record.status == "succeeded"
            assert len(progress) >= 3  # saw progress move live
            lines = [ln for ln in screen.query_one(LogView).visible_lines() if ln]
            assert lines[-1].endswith("Generating filesystem image rootfs.ext2")
            assert len(engine.list_builds(ws)) == 1
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def write_log(path: Path, n=400):
    lines = []
    for i in range(n):
        if i == 150:
            lines.append("broken.c:2:33: error: 'undefined_symbol' undeclared")
        elif i in (100, 300):
            lines.append(f"demo.c:{i}:1: warning: unused variable 'x{i}'")
        else:
            lines.append(f"line {i}")
    path.write_text("\n".join(lines) + "\n")
    return lines


class ViewerApp(App):
    def __init__(self, path, follow=True):
        super().__init__()
        self.path, self.follow = path, follow

    def compose(self):
        yield LogViewer(self.path, follow=self.follow)


async def test_logview_follow_scroll_error_filter_search(tmp_path):
    path = tmp_path / "x.log"
    write_log(path)
    app = ViewerApp(path)
    async with app.run_test(size=(80, 20)) as pilot:
        view = app.query_one(LogView)
        view.focus()
        await until(pilot, lambda: view.index and view.index.complete)
        await pilot.pause(0.1)
        shown = [ln for ln in view.visible_lines() if ln]
        assert shown[-1] == "400 line 399"  # following the tail, with line numbers
        with open(path, "a") as f:
            f.write("appended 1\nappended 2\n")
        await until(pilot, lambda: view.visible_lines()[-1].endswith("appended 2"))
        # scrolling up stops following: new lines don't move the view
        await pilot.press("pageup")
        assert view.follow is False
        before = view.visible_lines()
        with open(path, "a") as f:
            f.write("appended 3\n")
        await until(pilot, lambda: view.index.line_count == 403)
        await pilot.pause(0.1)
        assert view.visible_lines() == before
        await pilot.press("f")  # follow again
        await pilot.pause(0.1)
        assert view.visible_lines()[-1].endswith("appended 3")
        # jump to the first error
        await pilot.press("e")
        await until(pilot, lambda: view.match_line == 150)
        assert any("error: 'undefined_symbol'" in ln for ln in view.visible_lines())
        assert view.follow is False
        # errors/warnings only
        await pilot.press("w")
        await until(pilot, lambda: view.virtual_size.height == 3)
        shown = [ln for ln in view.visible_lines() if ln]
        assert [s.split(" ", 1)[0] for s in shown] == ["101", "151", "301"]
        await pilot.press("w")
        await until(pilot, lambda: view.virtual_size.height == 403)
        # search (smart case regex), next match wraps
        await pilot.press("slash")
        await pilot.press(*"warning: unused")
        await pilot.press("enter")
        await until(pilot, lambda: view.match_line == 300 or view.match_line == 100)
        first = view.match_line
        await pilot.press("n")
        await until(pilot, lambda: view.match_line not in (None, first))
        assert {first, view.match_line} == {100, 300}
        assert any("warning: unused variable" in ln for ln in view.visible_lines())


async def test_logview_big_file_shows_first_screen_before_full_index(tmp_path):
    path = tmp_path / "big.log"
    with open(path, "wb") as f:
        f.write(b"".join(b"line %d of a big log with some text\n" % i for i in range(400_000)))
    app = ViewerApp(path, follow=False)
    async with app.run_test(size=(80, 20)) as pilot:
        view = app.query_one(LogView)
        await until(pilot, lambda: view.index and view.index.complete)
        await pilot.pause(0.1)
        shown = view.visible_lines()
        assert shown[0] == "     1 line 0 of a big log with some text"
        await pilot.press("G")
        await pilot.pause(0.1)
        assert [ln for ln in view.visible_lines() if ln][-1] == "400000 line 399999 of a big log with some text"


async def test_logs_screen_lists_and_opens(ws):
    bad = engine.run_build(ws, fake(ws, "--fail", "busybox:build"), env={}, chain=["pi/4", "core/gentoo"], target="all")
    good = engine.run_build(ws, fake(ws), env={}, chain=["pi/4"], target="all")
    app = skiff_app(ws.root, workspace=ws.name, read_only=True)
    async with app.run_test(size=(140, 40)) as pilot:
        await open_section(app, pilot, "logs")
        table = app.screen.query_one(DataTable)
        assert table.row_count == 2
        row0 = [str(c) for c in table.get_row_at(0)]
        row1 = [str(c) for c in table.get_row_at(1)]
        assert "succeeded" in row0[1] and row0[4] == "pi/4"  # Result, Duration, Target, Chain
        assert "failed: busybox (build)" in row1[1] and row1[4] == "pi/4,core/gentoo"
        await pilot.press("down")
        detail = text_of(app.screen.query_one("#logs-detail"))
        assert bad.id in detail and "make br/busybox-dirclean" in detail
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, LogScreen))
        view = app.screen.query_one(LogView)
        await until(pilot, lambda: view.index and view.index.complete and view.visible_lines()[0])
        first_lines = Path(bad.log_path).read_text().splitlines()[:3]
        gutter = view._gutter_width()
        assert [ln[gutter:] for ln in view.visible_lines()[:3]] == first_lines
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, LogsScreen))
    assert good.status == "succeeded"


class PaneApp(App):
    def compose(self):
        yield LivePane(max_lines=1000, interval=0.05)


async def test_live_pane_batches_bounded_and_follows():
    app = PaneApp()
    async with app.run_test(size=(80, 20)) as pilot:
        pane = app.query_one(LivePane)

        def producer():
            for i in range(0, 50_000, 500):
                pane.feed([f"out {j}" for j in range(i, i + 500)])

        t = threading.Thread(target=producer)
        t.start()
        t.join()
        await until(pilot, lambda: pane.received == 50_000 and pane.lines and pane.lines[-1] == "out 49999")
        await pilot.pause(0.1)
        assert len(pane.lines) == 1000  # bounded
        assert pane.lines[0] == "out 49000"
        rows = [ln.strip() for ln in ("".join(s.text for s in pane.render_line(y)) for y in range(pane.size.height))]
        assert rows[-1] == "out 49999"  # following the tail
        await pilot.press("pageup")
        pane.feed(["later"])
        await pilot.pause(0.2)
        assert pane.follow is False
        rows2 = [ln.strip() for ln in ("".join(s.text for s in pane.render_line(y)) for y in range(pane.size.height))]
        assert "later" not in rows2


async def test_build_outlives_a_workspace_switch_and_the_screen_reattaches(ws, build_runs_argv):
    """The build belongs to the app: switching the Build screen to another workspace leaves it
    running, and switching back follows it again."""
    build_runs_argv(fake(ws, "--delay", "0.15"), total=5)
    app = skiff_app(ws.root, workspace=ws.name)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_section(app, pilot, "build")
        await pilot.press("s")
        await until(pilot, lambda: screen.record is not None and screen.record.status == "running")
        build_id = screen.record.id
        app.switch_workspace("other")  # the screen now shows a workspace without builds
        await until(pilot, lambda: screen.workspace.name == "other" and screen.record is None)
        await pilot.pause(0.3)
        assert engine.load_record(ws, build_id).status == "running"
        assert screen.check_action("start", ()) is True  # nothing runs in 'other'
        app.switch_workspace(ws.name)
        await until(pilot, lambda: screen.record is not None and screen.record.id == build_id)
        assert "cancel" in shown_actions(screen) and screen.check_action("cancel", ()) is True
        assert screen.check_action("start", ()) is None  # one build per workspace
        await until(pilot, lambda: screen.record.status != "running")
        assert screen.record.status == "succeeded"
        assert "started by pid" not in text_of(screen.query_one("#build-title"))


async def test_offline_download_failure_says_what_helps(ws):
    """A build that stops on a download without network (Buildroot's real output, replayed) shows
    the download directory and `skiff br source`, not dirclean/rebuild, on the Build and Logs screens."""
    sample = HERE / "data" / "A-offline-first-error.log"
    replay = [sys.executable, "-c", f"import sys; sys.stdout.write(open({str(sample)!r}).read()); sys.exit(2)"]
    rec = engine.run_build(ws, replay, env={}, chain=["virt/qemu"], target="all")
    assert rec.status == "failed" and rec.failure.step == "download"
    app = skiff_app(ws.root, workspace=ws.name, read_only=True)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_section(app, pilot, "build")
        assert screen.record is not None and screen.record.id == rec.id
        panel = app.screen.query_one("#build-failure")
        await until(pilot, lambda: panel.has_class("-visible"))
        text = " ".join(text_of(panel).split())
        assert "No network" in text and "BR2_DL_DIR" in text and "skiff br source" in text
        assert "make br/host-pkgconf-source (once online)" in text
        assert "dirclean" not in text and "rebuild" not in text
        await open_section(app, pilot, "logs")
        await pilot.pause(0.2)
        detail = " ".join(text_of(app.screen.query_one("#logs-detail")).split())
        assert "BR2_DL_DIR" in detail and "dirclean" not in detail
