"""Snapshots of the Kconfig and Overrides screens (synchronous: snap_compare runs its own loop).

Deterministic: fixed size, fixture trees from conftest.py, no tmp path on screen, cursor blink
off, notifications cleared. After an intended change: pytest tests/editors/test_editor_snapshots.py
--snapshot-update
"""

from __future__ import annotations

import os

import pytest
from skifftest import write_package
from textual.widgets import Input, TextArea

SIZE = (110, 34)


def _run(*keys: str, before=None):
    async def run_before(pilot) -> None:
        app = pilot.app
        await app.workers.wait_for_complete()
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
            for _ in range(3):  # a worker's result may start another (skiff-core.yaml's check)
                await app.workers.wait_for_complete()
                await pilot.pause()
        if before is not None:
            await before(pilot)
            await pilot.pause()
        for widget in [*app.screen.query(Input).results(), *app.screen.query(TextArea).results()]:
            widget.cursor_blink = False
        for area in app.screen.query(TextArea).results():
            # TextArea caches drawn lines under a key that leaves out focus once blinking is off: a
            # line drawn in the blink's dark phase would be reused without the cursor. Draw afresh.
            area.notify_style_update()
        app.clear_notifications()
        await pilot.pause()

    return run_before


def test_kconfig_screen(snap_compare, make_app):
    async def open_packages(pilot):
        screen = pilot.app.screen
        screen.jump_to(screen.model.find("BR2_PACKAGE_PYTHON3"))
        await pilot.press("space")

    assert snap_compare(make_app(), terminal_size=SIZE, run_before=_run("8", before=open_packages))


@pytest.fixture
def hostname_app(skiff_root, monkeypatch):
    from skiff_tui.ui.app import SkiffApp

    write_package(
        skiff_root / "configs",
        "tiny/board",
        description="A tiny board",
        files={"buildroot/10-board": 'BR2_TARGET_GENERIC_HOSTNAME="board"\n'},
    )
    monkeypatch.setenv("SKIFF_CONFIG", "tiny/board")
    return SkiffApp(root=skiff_root, env=dict(os.environ))


def test_overrides_screen(snap_compare, hostname_app):
    assert snap_compare(hostname_app, terminal_size=SIZE, run_before=_run("9"))


CORE_DEFAULT = """\
# default of skiff/core (test tree)
containers:
  core:
    image: skiffos/skiff-core-debian:latest   # the distro
    mounts:
      - /mnt:/mnt
users:
  core:
    container: core
    auth:
      copyRootKeys: true
  alice:
    container: missing
"""


@pytest.fixture
def coreyaml_app(skiff_root, monkeypatch):
    from skiff_tui.core.config.coreyaml import LAYER_FILE
    from skiff_tui.ui.app import SkiffApp

    write_package(skiff_root / "configs", "skiff/core", description="skiff-core", files={str(LAYER_FILE): CORE_DEFAULT})
    write_package(
        skiff_root / "configs", "tiny/board", description="A tiny board", files={"buildroot/10-board": "BR2_arm=y\n"}
    )
    monkeypatch.setenv("SKIFF_CONFIG", "tiny/board,skiff/core")
    return SkiffApp(root=skiff_root, env=dict(os.environ))


def test_coreyaml_screen(snap_compare, coreyaml_app):
    """Started from skiff/core's default, one problem (a user pointing at a missing container)."""
    assert snap_compare(coreyaml_app, terminal_size=SIZE, run_before=_run("0"))
