"""build.py: start/follow/cancel/resume/fail/kill a build of the fake Buildroot-shaped command."""

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from skiff_tui.core.builds import build
from skiff_tui.core.workspace import Workspace

HERE = Path(__file__).parent
FAKE = HERE / "fakebuild.py"
DRIVER = HERE / "driver.py"
PKGS = "host-skeleton:,host-pkgconf:2.3.0,host-demo-lib:1.0,busybox:1.37.0,demo-app:1.0"


def fake_argv(ws, *extra):
    return [sys.executable, str(FAKE), f"O={ws.dir}", "--packages", PKGS, *extra]


@pytest.fixture
def ws(tmp_path):
    w = Workspace(tmp_path, "t")
    w.dir.mkdir(parents=True)
    return w


def wait_for(predicate, timeout=15.0, interval=0.02):
    end = time.time() + timeout
    while time.time() < end:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not reached in time")


def test_successful_build_tees_log_and_records(ws):
    echo = io.StringIO()
    rec = build.run_build(
        ws, fake_argv(ws), env={"FOO": "1"}, chain=["pi/4", "core/gentoo"], target="all", total=5, echo=echo
    )
    assert rec.status == "succeeded" and rec.exit_code == 0
    assert rec.done == 5 and rec.total == 5
    assert rec.failure is None
    log = Path(rec.log_path).read_text()
    assert ">>> busybox 1.37.0 Building" in log
    assert ">>> host-skeleton  Extracting" in log
    assert echo.getvalue() == log
    saved = json.loads(Path(rec.log_path).with_suffix(".json").read_text())
    assert saved["status"] == "succeeded" and saved["chain"] == ["pi/4", "core/gentoo"]
    assert saved["pid"] == rec.pid and saved["target"] == "all"
    assert build.list_builds(ws)[0].id == rec.id
    assert build.current_build(ws) is None


def test_on_lines_gets_batches_from_reader_thread(ws):
    seen = []
    handle = build.start_build(ws, fake_argv(ws, "--noise", "50"), env={}, chain=[], target="all", on_lines=seen.append)
    rec = handle.wait()
    lines = [ln for batch in seen for ln in batch]
    assert rec.status == "succeeded"
    assert lines == Path(rec.log_path).read_text().splitlines()
    assert len(seen) < len(lines)  # batched, not one call per line


def test_failure_summary_names_package_and_step(ws):
    rec = build.run_build(ws, fake_argv(ws, "--fail", "busybox:build"), env={}, chain=[], target="all", total=5)
    assert rec.status == "failed" and rec.exit_code == 2
    assert rec.failure.package == "busybox"
    assert rec.failure.step == "build"
    assert any("error: 'undefined_symbol'" in ln for ln in rec.failure.lines)
    assert rec.failure.next_actions[:2] == ["make br/busybox-dirclean", "make br/busybox-rebuild"]
    assert rec.done == 3 and (rec.package, rec.step) == ("busybox", "build")
    on_disk = build.list_builds(ws)[0]
    assert on_disk.failure == rec.failure and on_disk.status == "failed"


def test_a_record_reads_and_writes_back_the_same_bytes(ws):
    rec = build.run_build(ws, fake_argv(ws, "--fail", "busybox:build"), env={}, chain=[], target="all", total=5)
    text = rec.record_path.read_text()
    loaded = build.load_record(ws, rec.id)
    assert loaded.status is build.BuildStatus.FAILED and isinstance(loaded.failure, build.buildlog.BuildFailure)
    assert loaded.to_json() == text
    stored = json.loads(text)
    assert stored["status"] == "failed" and list(stored["failure"]) == sorted(stored["failure"])
    assert "hint" not in stored["failure"] and stored["failure"]["make_chain"]


def test_a_failure_without_a_make_error_says_where_progress_had_got_to(ws):
    quiet = [sys.executable, "-c", "print('>>> busybox 1.37.0 Building'); raise SystemExit(1)"]
    rec = build.run_build(ws, quiet, env={}, chain=[], target="all")
    assert rec.status == build.BuildStatus.FAILED
    assert (rec.failure.package, rec.failure.step, rec.failure.make_error) == ("busybox", "build", None)
    # stored with the keys such a failure always had (no make chain: there was no make error)
    assert sorted(json.loads(rec.record_path.read_text())["failure"]) == [
        "failures",
        "lines",
        "make_error",
        "next_actions",
        "package",
        "step",
    ]


def test_cancel_then_resume(ws):
    handle = build.start_build(ws, fake_argv(ws, "--delay", "0.15"), env={}, chain=[], target="all", total=5)
    wait_for(lambda: build.load_record(ws, handle.record.id).done >= 1)
    assert build.current_build(ws).id == handle.record.id
    t0 = time.time()
    handle.cancel(grace=5)
    rec = handle.wait()
    assert time.time() - t0 < 3, "SIGINT alone ends the group"
    assert rec.status == "cancelled"
    assert 1 <= rec.done < 5
    assert build.current_build(ws) is None
    # Resume: running again continues from the stamps.
    rec2 = build.run_build(ws, fake_argv(ws), env={}, chain=[], target="all", total=5)
    assert rec2.status == "succeeded" and rec2.done == 5
    log2 = Path(rec2.log_path).read_text()
    assert ">>> host-skeleton  Extracting" not in log2
    assert [r.status for r in build.list_builds(ws)] == ["succeeded", "cancelled"]


def test_cancel_escalates_when_sigint_is_ignored(ws):
    script = (
        "import signal,time,sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
        "print('>>> x 1 Building', flush=True); time.sleep(30)"
    )
    handle = build.start_build(ws, [sys.executable, "-c", script], env={}, chain=[], target="all")
    wait_for(lambda: Path(handle.record.log_path).read_text())
    t0 = time.time()
    handle.cancel(grace=0.5)
    rec = handle.wait()
    assert rec.status == "cancelled"
    assert rec.exit_code == -signal.SIGTERM
    assert time.time() - t0 < 5


def _spawn_driver(ws, *extra):
    env = {**os.environ, "PYTHONPATH": str(Path(build.__file__).parents[2])}
    return subprocess.Popen(
        [sys.executable, str(DRIVER), str(ws.root), ws.name, "5", "--", *fake_argv(ws, *extra)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.mark.parametrize("victims", ["skiff-and-group", "skiff-only"])
def test_sigkill_from_outside_is_interrupted_and_lock_released(ws, victims):
    proc = _spawn_driver(ws, "--delay", "0.2")
    try:
        running = wait_for(lambda: build.current_build(ws))
        assert running.owner_pid == proc.pid
        assert ws.lock().is_held_by_other()
        os.kill(proc.pid, signal.SIGKILL)
        if victims == "skiff-and-group":
            os.killpg(running.pid, signal.SIGKILL)
        proc.wait(5)
    finally:
        if proc.poll() is None:
            proc.kill()
    rec = build.list_builds(ws)[0]
    assert rec.status == "interrupted"
    assert rec.ended is not None
    assert json.loads(rec.record_path.read_text())["status"] == "interrupted"  # rewritten on disk
    assert build.current_build(ws) is None
    assert not ws.lock().is_held_by_other()
    with ws.lock("after kill"):
        # A new build (under the lock) ends any orphaned make group of the dead one and resumes.
        again = build.run_build(ws, fake_argv(ws), env={}, chain=[], target="all", total=5)
    assert again.status == "succeeded" and again.done == 5
    wait_for(lambda: not build.pid_alive(running.pid, running.pid_start), timeout=5)


def test_second_process_attaches_read_only_and_sees_progress(ws):
    proc = _spawn_driver(ws, "--delay", "0.08")
    try:
        rec = wait_for(lambda: build.current_build(ws))
        seen_done, seen_pkgs = set(), set()
        log_sizes = []
        while True:
            cur = build.load_record(ws, rec.id)
            seen_done.add(cur.done)
            if cur.package:
                seen_pkgs.add(cur.package)
            log_sizes.append(os.path.getsize(cur.log_path))
            if cur.status != "running":
                break
            time.sleep(0.05)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    assert cur.status == "succeeded" and cur.total == 5
    assert len(seen_done) >= 3, seen_done  # progress moved while we watched
    assert {"host-pkgconf", "busybox"} <= seen_pkgs
    assert log_sizes == sorted(log_sizes) and log_sizes[-1] > log_sizes[0]


def test_keeps_last_n_builds(ws, monkeypatch):
    monkeypatch.setenv("SKIFF_KEEP_BUILDS", "3")
    ids = []
    for _ in range(5):
        ids.append(build.run_build(ws, [sys.executable, "-c", "print('hi')"], env={}, chain=[], target="all").id)
    kept = [r.id for r in build.list_builds(ws)]
    assert kept == ids[::-1][:3]
    assert sorted(p.name for p in ws.logs_dir.iterdir()) == sorted(
        [f"{i}.log" for i in kept] + [f"{i}.json" for i in kept]
    )


def test_reused_pid_is_not_running(ws):
    handle = build.start_build(
        ws, [sys.executable, "-c", "import time; time.sleep(0.5)"], env={}, chain=[], target="all"
    )
    handle.wait()
    rec = build.list_builds(ws)[0]
    rec.status, rec.ended = "running", None
    rec.owner_pid = os.getpid()  # alive, but …
    rec.owner_start = build.proc_start_time(os.getpid()) + 1  # … not the process that started it
    rec.save()
    assert build.list_builds(ws)[0].status == "interrupted"
    rec.status, rec.owner_start = "running", build.proc_start_time(os.getpid())
    rec.save()
    assert build.list_builds(ws)[0].status == "running"


def test_show_info_total_is_cached_per_config(ws, tmp_path):
    counter = tmp_path / "calls"
    info = {
        "host-skeleton": {"type": "host", "stamp_dir": "build/host-skeleton"},
        "busybox": {"type": "target", "stamp_dir": "build/busybox-1.37.0", "install_target": True},
        "rootfs-ext2": {"type": "rootfs"},
    }
    script = f"import sys,json; open(sys.argv[1],'a').write('x'); print(json.dumps({info!r}))"
    prefix = [sys.executable, "-c", script, str(counter)]
    (ws.dir / ".config").write_text("BR2_x86_64=y\n")
    assert build.show_info_total(ws, prefix, {}) == 2
    assert build.show_info_total(ws, prefix, {}) == 2
    assert counter.read_text() == "x"
    (ws.dir / ".config").write_text("BR2_x86_64=y\nBR2_PACKAGE_BUSYBOX=y\n")
    assert build.show_info_total(ws, prefix, {}) == 2
    assert counter.read_text() == "xx"
    # With show-info cached, done counts its packages by stamp_dir and the record gets the total.
    rec = build.run_build(ws, fake_argv(ws), env={}, chain=[], target="all")
    assert rec.total == 2 and rec.done == 2


def test_eta_from_previous_successful_build(ws):
    first = build.run_build(ws, fake_argv(ws, "--delay", "0.02"), env={}, chain=[], target="all", total=5)
    assert first.status == "succeeded"
    for d in (ws.dir / "build").iterdir():
        if d.is_dir():
            for stamp in d.glob(".stamp_*"):
                stamp.unlink()
    handle = build.start_build(ws, fake_argv(ws, "--delay", "0.06"), env={}, chain=[], target="all", total=5)
    mid = wait_for(lambda: (r := build.load_record(ws, handle.record.id)).done >= 1 and r.eta is not None and r)
    handle.cancel(grace=2)
    assert handle.wait().status == "cancelled"
    # 5 packages × 6 steps × 0.02 s before; with one package done, less than that remains.
    assert 0 < mid.eta < 0.6


def test_start_failure_is_a_skiff_error(ws):
    from skiff_tui.core.errors import SkiffError

    with pytest.raises(SkiffError):
        build.start_build(ws, [str(ws.dir / "no-such-make")], env={}, chain=[], target="all")
    assert build.list_builds(ws) == []


def test_read_only_session_cannot_start_a_build(ws, monkeypatch):
    from skiff_tui.core import readonly
    from skiff_tui.core.errors import ReadOnlyError

    monkeypatch.setenv(readonly.ENV_VAR, "1")
    with pytest.raises(ReadOnlyError):
        build.start_build(ws, fake_argv(ws), env={}, chain=[], target="all")
    with pytest.raises(ReadOnlyError):
        build.run_build(ws, fake_argv(ws), env={}, chain=[], target="all")
    assert build.list_builds(ws) == []
    assert not (ws.dir / "build").exists()
