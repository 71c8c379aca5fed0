"""`skiff logs`: print, follow, list, list --all — without ever taking the workspace lock."""

import os
import subprocess
import sys
import time
from pathlib import Path

from skiff_tui.cli import main
from skiff_tui.core.builds import build
from skiff_tui.core.workspace import Workspace

HERE = Path(__file__).parent
REPO = Path(build.__file__).parents[2]


def fake(ws, *extra):
    return [sys.executable, str(HERE / "fakebuild.py"), f"O={ws.dir}", *extra]


def setup_ws(tmp_path, monkeypatch, name="t"):
    monkeypatch.setenv("SKIFF_ROOT_DIR", str(tmp_path))
    ws = Workspace(tmp_path, name)
    ws.dir.mkdir(parents=True, exist_ok=True)
    return ws


def test_print_latest_and_by_id_and_tail(tmp_path, monkeypatch, capsysbinary):
    ws = setup_ws(tmp_path, monkeypatch)
    first = build.run_build(ws, fake(ws, "--fail", "busybox:build"), env={}, chain=["a/b"], target="all")
    second = build.run_build(ws, fake(ws), env={}, chain=["a/b"], target="all")
    assert main(["logs", "--workspace", "t"]) == 0
    assert capsysbinary.readouterr().out == Path(second.log_path).read_bytes()
    assert main(["logs", "--workspace", "t", "--build", first.id]) == 0
    assert capsysbinary.readouterr().out == Path(first.log_path).read_bytes()
    assert main(["logs", "--workspace", "t", "-n", "2"]) == 0
    assert capsysbinary.readouterr().out.decode().splitlines() == Path(second.log_path).read_text().splitlines()[-2:]
    assert main(["logs", "--workspace", "t", "--build", "20000101-000000-abcd"]) == 2
    assert b"no build" in capsysbinary.readouterr().err


def test_list(tmp_path, monkeypatch, capsys):
    ws = setup_ws(tmp_path, monkeypatch)
    assert main(["logs", "--workspace", "t", "--list"]) == 0
    assert "no builds" in capsys.readouterr().out
    bad = build.run_build(ws, fake(ws, "--fail", "busybox:build"), env={}, chain=["pi/4", "core/gentoo"], target="all")
    good = build.run_build(ws, fake(ws), env={}, chain=["pi/4"], target="all")
    assert main(["logs", "--workspace", "t", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["BUILD", "STARTED", "TARGET", "CHAIN", "RESULT", "DURATION"]
    assert lines[1].startswith(good.id) and "succeeded" in lines[1] and "pi/4" in lines[1]
    assert lines[2].startswith(bad.id) and "failed: busybox (build)" in lines[2] and "pi/4,core/gentoo" in lines[2]


def _driver(ws, *extra):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, str(HERE / "driver.py"), str(ws.root), ws.name, "5", "--", *fake(ws, *extra)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _skiff(tmp_path, *args, **kw):
    env = {**os.environ, "PYTHONPATH": str(REPO), "SKIFF_ROOT_DIR": str(tmp_path)}
    return subprocess.Popen(
        [sys.executable, "-m", "skiff_tui", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw
    )


def _wait_running(ws):
    end = time.time() + 15
    while time.time() < end:
        rec = build.current_build(ws)
        if rec:
            return rec
        time.sleep(0.02)
    raise AssertionError("no running build")


def test_follow_until_build_ends_and_list_all(tmp_path, monkeypatch):
    ws_a = setup_ws(tmp_path, monkeypatch, "alpha")
    ws_b = setup_ws(tmp_path, monkeypatch, "beta")
    a = _driver(ws_a, "--delay", "0.05")
    b = _driver(ws_b, "--delay", "0.05", "--fail", "busybox:build")
    try:
        rec_a = _wait_running(ws_a)
        _wait_running(ws_b)
        listing = _skiff(tmp_path, "logs", "--list", "--all")
        out, _ = listing.communicate(timeout=30)
        text = out.decode()
        assert "alpha" in text and "beta" in text and rec_a.id in text and "running" in text
        follower = _skiff(tmp_path, "logs", "-f", "--workspace", "alpha")
        follower_b = _skiff(tmp_path, "logs", "-f", "--workspace", "beta")
        out, err = follower.communicate(timeout=60)
        out_b, err_b = follower_b.communicate(timeout=60)
        assert follower.returncode == 0
        assert a.wait(30) == 0 and b.wait(30) == 1
    finally:
        for p in (a, b):
            if p.poll() is None:
                p.kill()
    final = build.load_record(ws_a, rec_a.id)
    assert final.status == "succeeded"
    assert out == Path(final.log_path).read_bytes()  # everything, nothing twice
    assert b"succeeded" in err
    assert b"failed in busybox (build)" in err_b and b"make br/busybox-dirclean" in err_b
    listing = _skiff(tmp_path, "logs", "--list", "--all")
    assert listing.communicate(timeout=30)[0].decode().strip() == "no builds running"


def test_logs_never_takes_the_lock(tmp_path, monkeypatch, capsys):
    ws = setup_ws(tmp_path, monkeypatch)
    build.run_build(ws, fake(ws), env={}, chain=[], target="all")
    with ws.lock("someone building"):
        assert main(["logs", "--workspace", "t", "--list"]) == 0
        assert main(["logs", "--workspace", "t"]) == 0
    assert "Finalizing target directory" in capsys.readouterr().out
