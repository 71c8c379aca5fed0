"""Builds of the Buildroot-shaped fixture tree (tests/fixtures/buildroot_tree) through the same
engine calls `skiff compile` makes: `make -C <tree> O=<ws> all`, started, followed, cancelled,
resumed, failed on purpose, killed from outside, watched by a second process."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from skifftest import requires_tools

from skiff_tui.core.builds import build
from skiff_tui.core.workspace import Workspace

TREE = Path(__file__).resolve().parents[1] / "fixtures" / "buildroot_tree"
HERE = Path(__file__).parent
REPO = Path(build.__file__).parents[2]

pytestmark = [
    pytest.mark.skipif(not (TREE / "Makefile").exists(), reason="the fixture tree is not in this checkout"),
    requires_tools("make", "cpio"),
]


def make_prefix(ws):
    return ["make", "-C", str(TREE), f"O={ws.dir}"]


def env_with(**extra):
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '/usr/bin:/bin')}"  # kconfiglib's python3
    for var in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS"):
        env.pop(var, None)
    env.update(extra)
    return env


@pytest.fixture
def ws(tmp_path):
    w = Workspace(tmp_path, "fx")
    w.dir.mkdir(parents=True)
    subprocess.run(
        [*make_prefix(w), "BR2_EXTERNAL=", "defconfig"],
        env=env_with(),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return w


def wait_for(predicate, timeout=20.0):
    end = time.time() + timeout
    while time.time() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not reached in time")


def test_show_info_total_and_full_build(ws, monkeypatch):
    total = build.show_info_total(ws, make_prefix(ws), env_with())
    info = build.load_show_info(ws)
    assert total == len([e for e in info.values() if e["type"] != "rootfs"]) and total > 5
    # cached per .config: no second make call
    monkeypatch.setattr(build.subprocess, "run", lambda *a, **k: pytest.fail("show-info ran again"))
    assert build.show_info_total(ws, make_prefix(ws), env_with()) == total
    monkeypatch.undo()
    rec = build.run_build(ws, [*make_prefix(ws), "all"], env=env_with(), chain=["fixture"], target="all")
    assert rec.status == "succeeded", Path(rec.log_path).read_text()[-2000:]
    assert rec.total == total and rec.done == total
    log = Path(rec.log_path).read_text()
    assert ">>> busybox 1.37.0 Building" in log and "\x1b[" not in log  # TERM=dumb
    assert (ws.dir / "images" / "rootfs.tar").exists()


def test_failure_names_package_and_step(ws):
    rec = build.run_build(
        ws, [*make_prefix(ws), "all"], env=env_with(BR_FIXTURE_FAIL="busybox:build"), chain=[], target="all"
    )
    assert rec.status == "failed" and rec.exit_code == 2
    assert (rec.failure.package, rec.failure.step) == ("busybox", "build")
    assert rec.failure.lines, "the error block above the make chain is shown"
    assert rec.failure.make_error.startswith("make: *** [package/pkg-generic.mk:")
    assert rec.failure.next_actions[:2] == ["make br/busybox-dirclean", "make br/busybox-rebuild"]


def test_cancel_and_resume(ws):
    build.show_info_total(ws, make_prefix(ws), env_with())
    handle = build.start_build(
        ws, [*make_prefix(ws), "all"], env=env_with(BR_FIXTURE_DELAY="0.05"), chain=[], target="all"
    )
    wait_for(lambda: build.load_record(ws, handle.record.id).done >= 2)
    handle.cancel(grace=5)
    rec = handle.wait()
    assert rec.status == "cancelled" and 2 <= rec.done < rec.total
    again = build.run_build(ws, [*make_prefix(ws), "all"], env=env_with(), chain=[], target="all")
    assert again.status == "succeeded" and again.done == again.total
    assert ">>> host-skeleton  Extracting" not in Path(again.log_path).read_text()  # resumed from stamps


def test_sigkill_from_outside_and_read_only_watcher(ws):
    build.show_info_total(ws, make_prefix(ws), env_with())
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "driver.py"), str(ws.root), ws.name, "0", "--", *make_prefix(ws), "all"],
        env=env_with(PYTHONPATH=str(REPO), BR_FIXTURE_DELAY="0.05"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        rec = wait_for(lambda: build.current_build(ws))
        # this test process is a second, read-only watcher: it sees progress move
        seen = set()
        wait_for(lambda: seen.add(build.load_record(ws, rec.id).done) or len(seen) >= 3)
        assert ws.lock().is_held_by_other()
        os.kill(proc.pid, signal.SIGKILL)
        os.killpg(rec.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    after = build.list_builds(ws)[0]
    assert after.id == rec.id and after.status == "interrupted"
    assert build.current_build(ws) is None
    assert not ws.lock().is_held_by_other()
    with ws.lock("resume after kill"):
        resumed = build.run_build(ws, [*make_prefix(ws), "all"], env=env_with(), chain=[], target="all")
    assert resumed.status == "succeeded" and resumed.done == resumed.total
