"""skiff push from the TUI (p on the Build screen): the device's address, rsync's progress and the
result, through the same engine as `skiff push`."""

from __future__ import annotations

import os
import shutil
import time

import pytest
from push import test_push as push_tests
from push.test_push import SSHD, device, make_images
from skifftest import open_section, skiff_app
from textual.app import App
from textual.widgets import Input

from skiff_tui.core.flash.push import parse_rsync_progress
from skiff_tui.core.workspace import Workspace
from skiff_tui.ui.screens.build import BuildScreen
from skiff_tui.ui.screens.push import PushScreen

sshd = push_tests.sshd  # the real sshd on loopback, as a fixture of this module too


class Host(App):
    def __init__(self, factory):
        super().__init__()
        self.factory = factory

    def on_mount(self):
        self.push_screen(self.factory())


async def until(pilot, predicate, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return
        await pilot.pause(0.05)
    raise AssertionError("condition not reached in time")


def result_text(app) -> str:
    return str(app.screen.query_one("#push-result").render())


def test_rsync_progress_lines():
    p = parse_rsync_progress("     1,234,567  45%    1.23MB/s    0:00:01 (xfr#1, to-chk=0/3)", "boot")
    assert (p.percent, p.sent, p.rate) == (45, "1,234,567", "1.23MB/s")
    assert parse_rsync_progress("sending incremental file list", "boot") is None


async def test_build_screen_p_opens_push_and_reports_failures(skiff_root):
    ws = Workspace(skiff_root, "t")
    ws.dir.mkdir(parents=True)
    app = skiff_app(ws.root, workspace=ws.name)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_section(app, pilot, "build")
        await pilot.press("p")
        assert isinstance(app.screen, PushScreen)
        await pilot.press(*"root@127.0.0.1", "enter")
        await until(pilot, lambda: app.screen.outcome == "failed")
        assert "no build output to push" in result_text(app)  # nothing built yet
        make_images(ws.dir)
        with __import__("socket").socket() as s:  # a port nobody listens on
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        app.screen.query_one("#push-port", Input).value = str(port)
        app.screen.query_one("#push-target", Input).focus()
        await pilot.press("enter")
        await until(pilot, lambda: app.screen.outcome == "failed" and "cannot prepare" in result_text(app))
        assert "check that the device is up" in result_text(app)
        await pilot.press("escape")
        assert isinstance(app.screen, BuildScreen)
        await pilot.press("p")  # the address is remembered
        assert app.screen.query_one("#push-target", Input).value == "root@127.0.0.1"


async def test_read_only_build_screen_has_no_push(skiff_root):
    ws = Workspace(skiff_root, "t")
    ws.dir.mkdir(parents=True)
    app = skiff_app(ws.root, workspace=ws.name, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_section(app, pilot, "build")
        await pilot.press("p")
        assert isinstance(app.screen, BuildScreen)


@pytest.mark.skipif(
    not (os.path.exists(SSHD) and shutil.which("rsync") and shutil.which("ssh")),
    reason="needs openssh-server, openssh-client and rsync (CI installs them)",
)
async def test_push_from_the_ui_over_real_ssh(tmp_path, sshd):
    ws = Workspace(tmp_path, "t")
    make_images(ws.dir, kernel=os.urandom(3 << 20))
    dev = device(tmp_path)
    screen = PushScreen(
        ws,
        ssh_options=["StrictHostKeyChecking=no", "UserKnownHostsFile=/dev/null"],
        boot_dir=str(dev / "boot"),
        rootfs_dir=str(dev / "rootfs"),
    )
    app = Host(lambda: screen)
    async with app.run_test(size=(120, 40)) as pilot:
        seen = []
        original = screen._progress
        screen._progress = lambda p: (seen.append(p), original(p))
        screen.query_one("#push-target", Input).value = sshd["target"]
        screen.query_one("#push-port", Input).value = str(sshd["port"])
        screen.query_one("#push-key", Input).value = str(sshd["key"])
        await pilot.click("#push-go")
        await until(pilot, lambda: screen.outcome is not None)
        assert screen.outcome == "pushed", result_text(app)
        assert "Reboot the device" in result_text(app)
        assert seen and seen[-1].percent == 100
        assert screen.query_one("#push-progress").progress == 100
    assert (dev / "boot" / "Image").read_bytes() == (ws.dir / "images" / "Image").read_bytes()
    assert (dev / "persist" / "keep").read_text() == "user data"
