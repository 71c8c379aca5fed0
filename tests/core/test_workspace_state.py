"""core.workspace_state: state.json read into WorkspaceState and written back byte for byte."""

import json

import pytest

from skiff_tui.core.errors import WorkspaceError
from skiff_tui.core.workspace import Workspace
from skiff_tui.core.workspace_state import ABSENT, ConfigureMarker, RunningMake, WorkspaceState

# What a configure writes (every key), then the marker of one under way.
CONFIGURED = {
    "base_setting": "",
    "buildroot": "/src/buildroot-2026.02.3",
    "buildtarget": None,
    "cflags": None,
    "chain": ["core/base", "board/x"],
    "configured_at": 1796597295.875963,
    "digest": "1013f1dc",
    "extra_configs_path": [],
    "kconfig_digest": "7c60c214",
    "outputs": "2675e8cf",
    "selection": ["board/x"],
    "version": "0.1.0",
}
MARKED = {
    **{k: v for k, v in CONFIGURED.items() if k not in ("digest", "kconfig_digest", "outputs")},
    "configuring": {"selection": ["board/x"], "pid": 4242, "since": 1796597300.5, "make": {"pid": 4243, "start": 99}},
}


def _file_text(data) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


@pytest.mark.parametrize(
    "data",
    [
        CONFIGURED,
        MARKED,
        {"selection": ["a/b"]},  # the stack editor's first save
        {"selection": [], "created_at": 1796597000.25},  # the TUI's new workspace
        {"selection": ["a/b"], "cflags": "-O2", "buildtarget": "all", "digest": "x"},
    ],
)
def test_every_state_skiff_writes_reads_and_writes_back_the_same_bytes(skiff_root, data):
    ws = Workspace(skiff_root, "dev")
    ws.final_dir.mkdir(parents=True)
    path = ws.final_dir / "state.json"
    path.write_text(_file_text(data))
    state = ws.load_state()
    assert state is not None and state.extra == {}
    ws.save_state(state)
    assert path.read_text() == _file_text(data)


def test_the_typed_fields_say_what_the_file_says():
    state = WorkspaceState.from_dict(MARKED)
    assert state.selection == ["board/x"] and state.chain == ["core/base", "board/x"]
    assert state.digest is None and state.outputs is None  # absent while configure writes
    assert state.cflags is None and state.buildtarget is None  # present, null: none set
    assert state.configuring == ConfigureMarker(["board/x"], 4242, 1796597300.5, RunningMake(4243, 99))
    bare = WorkspaceState.from_dict({"selection": ["a/b"]})
    assert bare.cflags is ABSENT and bare.buildtarget is ABSENT and bare.configuring is None


def test_keys_of_other_versions_and_values_of_another_type_are_kept_as_they_were():
    data = {
        "selection": ["a/b"],
        "future_key": {"nested": [1, 2]},
        "configured_at": "yesterday",  # not a number: not used, not lost
        "chain": "a/b",  # not a list of names
    }
    state = WorkspaceState.from_dict(data)
    assert state.configured_at is None and state.chain is None
    assert state.extra == {"future_key": {"nested": [1, 2]}, "configured_at": "yesterday", "chain": "a/b"}
    assert state.to_dict() == data
    # a null where null means nothing reads (and is written) as absent
    assert WorkspaceState.from_dict({"selection": ["a/b"], "digest": None}).to_dict() == {"selection": ["a/b"]}


def test_a_marker_this_version_did_not_write_still_marks_a_configure_under_way():
    assert WorkspaceState.from_dict({"configuring": True}).configuring == ConfigureMarker()
    assert WorkspaceState.from_dict({"configuring": {}}).configuring is None
    odd = WorkspaceState.from_dict({"configuring": {"selection": "a/b", "pid": "x", "make": {"pid": None}}})
    assert odd.configuring == ConfigureMarker([], None, None, None)


def test_a_state_file_that_is_not_an_object_is_a_clear_error(skiff_root):
    ws = Workspace(skiff_root, "dev")
    ws.final_dir.mkdir(parents=True)
    (ws.final_dir / "state.json").write_text("[1, 2]\n")
    with pytest.raises(WorkspaceError, match="saved state is unreadable .not a JSON object.") as caught:
        ws.load_state()
    assert caught.value.path == ws.final_dir / "state.json"
    (ws.final_dir / "state.json").write_text("null\n")
    assert ws.load_state() is None  # as good as no file, as before
