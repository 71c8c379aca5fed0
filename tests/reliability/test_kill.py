"""kill -9 at seeded random points of configure, compile and saves; the invariants hold after
every kill (see harness.py). Bounded in time: each area runs for its budget in seconds
(SKIFF_RELIABILITY_BUDGET scales them; SKIFF_RELIABILITY_SEED picks other kill points)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from reliability import harness

# conftest's skiff_root fixture clears SKIFF_BUILDROOT_SRC for other tests; read it first.
REAL_BUILDROOT = os.environ.get("SKIFF_BUILDROOT_SRC")
SEED = int(os.environ.get("SKIFF_RELIABILITY_SEED", "20261206"))
SCALE = float(os.environ.get("SKIFF_RELIABILITY_BUDGET", "1"))


def _report(area: str, stats: harness.Stats) -> None:
    print(f"\n{area}: kills {stats.kills}, invariants held {stats.held} (seed {SEED})")
    assert stats.kills >= 3, "the time budget allowed too few kills to mean anything"
    assert not stats.failures, f"{len(stats.failures)} of {stats.kills} kills broke an invariant: {stats.failures[:3]}"


def test_killed_configure_never_leaves_a_wrong_up_to_date(tmp_path):
    root = harness.make_tree(tmp_path / "skiff")
    _report(
        "configure (fixture tree)",
        harness.kill_configure_rounds(root, harness.skiff_env(root), seed=SEED, budget=20 * SCALE),
    )


def test_killed_compile_then_compile_builds_the_selected_chain(tmp_path):
    root = harness.make_tree(tmp_path / "skiff")
    _report(
        "compile (fixture tree)",
        harness.kill_compile_rounds(root, harness.skiff_env(root), seed=SEED, budget=20 * SCALE),
    )


def test_killed_saves_leave_old_or_new_files_and_no_temp_files_in_overlays(tmp_path):
    root = harness.make_tree(tmp_path / "skiff")
    _report("saves", harness.kill_save_rounds(root, harness.skiff_env(root), seed=SEED, budget=10 * SCALE))


@pytest.mark.skipif(
    not REAL_BUILDROOT
    or not (Path(REAL_BUILDROOT) / "Makefile").exists()
    or Path(REAL_BUILDROOT).resolve() == harness.FIXTURE_BUILDROOT.resolve(),
    reason="SKIFF_BUILDROOT_SRC does not name a real Buildroot tree",
)
def test_killed_configure_with_real_buildroot(tmp_path):
    root = harness.make_tree(tmp_path / "skiff")
    _report(
        "configure (real Buildroot)",
        harness.kill_configure_rounds(
            root, harness.skiff_env(root, buildroot=Path(REAL_BUILDROOT)), seed=SEED, budget=40 * SCALE
        ),
    )


def test_orphaned_make_of_a_killed_configure_is_ended_before_configure_proceeds(tmp_path):
    """A make whose skiff was killed keeps running; the next configure ends it first."""
    import json
    import signal
    import subprocess
    import time

    from skiff_tui.core.procs import pid_alive, proc_start_time

    root = harness.make_tree(tmp_path / "skiff")
    env = harness.skiff_env(root)
    assert harness.run(env, "configure", "pi/3").returncode == 0
    # What a killed configure leaves: the marker with its make's pid, and that make still running.
    orphan = subprocess.Popen(["sleep", "300"], start_new_session=True)
    state_path = root / "workspaces" / ".config_default" / "state.json"
    state = json.loads(state_path.read_text())
    state["configuring"] = {
        "selection": ["pi/4", "skiff/core"],
        "pid": 999999,
        "make": {"pid": orphan.pid, "start": proc_start_time(orphan.pid)},
    }
    state_path.write_text(json.dumps(state))
    r = harness.run(env, "configure", "pi/3")
    assert r.returncode == 0, r.stderr
    assert f"ended make (pid {orphan.pid})" in r.stdout + r.stderr
    assert "interrupted" in r.stdout + r.stderr
    deadline = time.monotonic() + 10
    while orphan.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert orphan.poll() == -signal.SIGTERM and not pid_alive(orphan.pid)
    assert harness.files_match(root, "pi/3") == []


def test_sigkill_of_make_is_reported_as_killed(tmp_path):
    from skiff_tui.core.builds import build
    from skiff_tui.core.workspace import Workspace

    ws = Workspace(tmp_path / "skiff", "default")
    ws.dir.mkdir(parents=True)
    rec = build.run_build(ws, ["sh", "-c", "echo building; kill -9 $$"], env={}, chain=["x"], target="all")
    assert rec.status == build.KILLED and rec.failure is None
