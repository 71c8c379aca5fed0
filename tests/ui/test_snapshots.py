"""Snapshot tests of the main screens (synchronous: snap_compare runs its own event loop).

Deterministic by construction: fixed terminal size, cursor blink off, notifications cleared,
the fixed package tree of conftest.py, fixed timestamps, and no absolute tmp path on screen
(paths are shown relative to their layer or as $SKIFF_ROOT_DIR/...).
Update after an intended change with: pytest tests/ui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, TextArea

SIZE = (120, 36)
T_CONF = 1_795_000_000.0


def _steady(app) -> None:
    app.animation_level = "none"  # indeterminate progress bars stand still
    for widget in app.screen.query(Input).results():
        widget.cursor_blink = False
    for widget in app.screen.query(TextArea).results():
        widget.cursor_blink = False
    app.clear_notifications()


def _run(*keys: str, before=None):
    async def run_before(pilot) -> None:
        app = pilot.app
        await app.workers.wait_for_complete()
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
            await app.workers.wait_for_complete()
            await pilot.pause()
        if before is not None:
            await before(pilot)
            await app.workers.wait_for_complete()
            await pilot.pause()
        _steady(app)
        await pilot.pause()

    return run_before


def test_packages_screen(snap_compare, make_app, save_selection):
    save_selection(["board/alpha"])
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_run())


def test_packages_screen_filtered(snap_compare, make_app, save_selection):
    save_selection(["board/alpha"])

    async def type_filter(pilot):
        await pilot.press("slash", *"board")

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_run(before=type_filter))


def test_packages_screen_light_theme(snap_compare, make_app, save_selection):
    save_selection(["apps/web"])
    assert snap_compare(make_app(theme="textual-light"), terminal_size=SIZE, run_before=_run())


def test_stack_screen(snap_compare, make_app, save_selection):
    save_selection(["board/alpha", "apps/web"])
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_run("2"))


def test_stack_screen_unknown_package(snap_compare, make_app, save_selection):
    save_selection(["board/alpha", "board/gamma"])
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_run("2"))


def test_values_screen(snap_compare, make_app, save_selection, skiff_env):
    skiff_env["BR2_DL_DIR"] = "/var/cache/skiff-dl"  # else the tmp cache path would show
    save_selection(["board/alpha", "apps/web"])

    async def highlight(pilot):
        table = pilot.app.screen.query_one("#values-table", DataTable)
        table.move_cursor(row=0)

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_run("3", before=highlight))


def test_workspaces_screen(snap_compare, make_app, save_selection):
    save_selection(["board/alpha"], chain=["core/base", "board/alpha"], configured_at=T_CONF)
    save_selection(["board/beta"], workspace="lab")
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_run("4"))


def test_help_screen(snap_compare, make_app):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_run("f1"))


# --- Build, Logs, Flash: a finished build written by the engine's BuildRecord, fixed times -------

FINISHED_LOG = """\
>>> host-pkgconf 2.3.0 Extracting
>>> host-pkgconf 2.3.0 Building
>>> busybox 1.37.0 Building
warning: implicit declaration of function 'stime'
>>> busybox 1.37.0 Installing to target
>>> demo-app 1.0 Installing to target
>>>   Generating filesystem image rootfs.ext2
"""


@pytest.fixture
def finished_build(skiff_root, save_selection, monkeypatch):
    """A succeeded fixture-shaped build of board/alpha (record + log), shown in UTC."""
    from skiff_tui.core.builds.build import BuildRecord
    from skiff_tui.core.workspace import Workspace

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    save_selection(["board/alpha"])
    ws = Workspace(skiff_root, "default")
    ws.logs_dir.mkdir(parents=True, exist_ok=True)
    log = ws.logs_dir / "20261126-050000-abcd.log"
    log.write_text(FINISHED_LOG)
    BuildRecord(
        id="20261126-050000-abcd",
        workspace="default",
        pid=None,
        command=["make", "all"],
        target="all",
        chain=["core/base", "board/alpha"],
        started=T_CONF,
        ended=T_CONF + 754,
        status="succeeded",
        exit_code=0,
        package=None,
        step=None,
        done=4,
        total=4,
        log_path=str(log),
        failure=None,
    ).save()
    yield ws
    monkeypatch.delenv("TZ")
    time.tzset()


def test_build_screen_finished(snap_compare, make_app, finished_build):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_run("5"))


def test_logs_screen(snap_compare, make_app, finished_build):
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_run("6"))


def test_flash_screen(snap_compare, make_app, finished_build, monkeypatch):
    monkeypatch.setenv("SKIFF_FAKE_DEVICES", str(Path(__file__).parents[1] / "fixtures" / "udev"))
    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_run("7"))
