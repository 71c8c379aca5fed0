"""docs/behaviour.md#workspaces: workspace names, the modify lock (held across processes), read-only refusals."""

import os
import signal
import subprocess
import sys

import pytest

from skiff_tui.core import readonly
from skiff_tui.core.errors import ReadOnlyError, WorkspaceError
from skiff_tui.core.workspace import Workspace, list_workspaces, workspace_name
from skiff_tui.core.workspace_state import WorkspaceState


@pytest.mark.parametrize(
    "raw,name", [(None, "default"), ("", "default"), ("Pi4-Build", "pi4-build"), ("  dev.2 ", "dev.2"), ("a_b", "a_b")]
)
def test_names_are_lower_cased(raw, name):
    assert workspace_name(raw) == name


@pytest.mark.parametrize("raw", ["a b", "../x", ".hidden", "-x", "x/y", "ü", "a" * 65])
def test_bad_names_refused(raw):
    with pytest.raises(WorkspaceError, match="invalid workspace name"):
        workspace_name(raw)


def test_env_selects_workspace(skiff_root):
    ws = Workspace.from_env(skiff_root, {"SKIFF_WORKSPACE": "Mine"})
    assert ws.name == "mine" and ws.dir == skiff_root / "workspaces" / "mine"
    assert ws.final_dir == skiff_root / "workspaces" / ".config_mine"
    assert ws.overrides_dir == skiff_root / "overrides" / "workspaces" / "mine"


HOLDER = """
import sys, time
from pathlib import Path
from skiff_tui.core.workspace import Workspace
lock = Workspace(Path(sys.argv[1]), "default").lock("skiff compile (test holder)").acquire()
print("locked", flush=True)
time.sleep(60)
"""


def _start_holder(root):
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(root)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_second_modifier_refused_with_holder_pid_and_command(skiff_root):
    proc = _start_holder(skiff_root)
    try:
        ws = Workspace(skiff_root, "default")
        with pytest.raises(WorkspaceError) as err:
            ws.lock("skiff configure").acquire()
        assert f"pid {proc.pid}" in str(err.value) and "skiff compile (test holder)" in str(err.value)
        assert ws.lock().is_held_by_other()
        # another workspace is independent
        Workspace(skiff_root, "other").lock().acquire().release()
    finally:
        proc.kill()
        proc.wait()


def test_sigkilled_holder_releases_the_lock(skiff_root):
    proc = _start_holder(skiff_root)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    ws = Workspace(skiff_root, "default")
    assert not ws.lock().is_held_by_other()
    with ws.lock("after kill"):
        assert ws.lock().holder()["command"] == "after kill"


def test_read_only_refuses_lock_and_state_writes(skiff_root):
    ws = Workspace(skiff_root, "default")
    readonly.set_read_only(True)
    try:
        with pytest.raises(ReadOnlyError, match="read-only"):
            ws.lock("skiff compile").acquire()
        with pytest.raises(ReadOnlyError):
            ws.save_state(WorkspaceState.from_dict({"selection": ["a/b"]}))
    finally:
        readonly.set_read_only(False)
    assert not ws.final_dir.exists()


def test_state_round_trip_and_listing(skiff_root):
    ws = Workspace(skiff_root, "dev")
    assert ws.load_state() is None
    ws.save_state(WorkspaceState.from_dict({"selection": ["pi/4", "skiff/core"], "chain": ["pi/4"]}))
    assert ws.load_state().selection == ["pi/4", "skiff/core"]
    assert (ws.final_dir / "skiff_config").read_text() == "pi/4,skiff/core\n"
    (skiff_root / "workspaces" / "other").mkdir()
    assert list_workspaces(skiff_root) == ["dev", "other"]


def test_corrupt_state_is_a_clear_error(skiff_root):
    ws = Workspace(skiff_root, "dev")
    ws.final_dir.mkdir(parents=True)
    (ws.final_dir / "state.json").write_text("{not json")
    with pytest.raises(WorkspaceError, match="saved state is unreadable"):
        ws.load_state()


def test_clean_keeps_override_layer_and_delete_forgets_the_workspace(skiff_root):
    ws = Workspace(skiff_root, "dev")
    for d in (ws.dir / "build", ws.final_dir, ws.overrides_dir / "buildroot"):
        d.mkdir(parents=True)
    (ws.overrides_dir / "buildroot" / "mine").write_text("BR2_X=y\n")
    ws.clean()
    assert not ws.dir.exists() and not ws.final_dir.exists()
    assert (ws.overrides_dir / "buildroot" / "mine").exists()
    ws.delete()
    assert not ws.lock_path.exists() and "dev" not in list_workspaces(skiff_root)


def test_save_selection_validates_and_keeps_the_rest_of_the_state(skiff_root):
    from skiff_tui.core.builds.configure import save_selection
    from skiff_tui.core.errors import PackageError

    ws = Workspace(skiff_root, "dev")
    ws.save_state(WorkspaceState.from_dict({"selection": ["a/b"], "digest": "x"}))
    assert save_selection(ws, ["pi/4", " skiff/core", "pi/4"]) == ["pi/4", "skiff/core"]
    assert ws.load_state().to_dict() == {"selection": ["pi/4", "skiff/core"], "digest": "x"}
    with pytest.raises(PackageError):
        save_selection(ws, ["bad name"])
    assert ws.load_state().selection == ["pi/4", "skiff/core"]


def test_config_delta_leaves_out_generated_external_symbols():
    from skiff_tui.core.editors.delta import config_delta

    before = {"BR2_A": None, "BR2_EXTERNAL_X_VERSION": '"-g1"', "BR2_GONE": "y"}
    after = {"BR2_A": "y", "BR2_EXTERNAL_X_VERSION": '"-g2-dirty"', "BR2_NEW": '"x"'}
    assert config_delta(before, after) == {"BR2_A": "y", "BR2_NEW": '"x"'}
