"""No write follows a symbolic link out of the skiff tree: one case per writer.

Each case points a directory (or the file itself) of the tree at a directory outside it, runs
the writer, and checks: a one-line error naming the link, no traceback, nothing outside changed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from skifftest import FIXTURE_BUILDROOT, run_skiff, tree_snapshot, write_package

from skiff_tui.core.editors import coreyaml_place, overrides
from skiff_tui.core.editors.delta import save_delta
from skiff_tui.core.errors import SkiffError, UnsafePathError
from skiff_tui.core.workspace import Workspace
from skiff_tui.core.workspace_state import WorkspaceState

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl user@host"


@pytest.fixture
def outside(tmp_path) -> Path:
    d = tmp_path / "outside"
    (d / ".ssh").mkdir(parents=True)
    (d / ".ssh" / "authorized_keys").write_text("the host's own key\n")
    (d / "victim").write_text("do not truncate\n")
    return d


@pytest.fixture
def ws(skiff_root) -> Workspace:
    write_package(
        skiff_root / "configs", "test/board", description="board", files={"buildroot/arch": "BR2_aarch64=y\n"}
    )
    return Workspace(skiff_root, "default")


def _link(link: Path, target: Path) -> Path:
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target)
    return link


def _layer(ws: Workspace) -> overrides.OverrideLayer:
    return overrides.layer(ws.root, ws, "workspace")


WRITERS = {
    "hostname": ("buildroot", lambda ws: overrides.write_hostname(_layer(ws), "board")),
    "wifi": ("root_overlay", lambda ws: overrides.write_wifi(_layer(ws), overrides.WifiNetwork("home", "passphrase1"))),
    "ssh keys": ("root_overlay", lambda ws: overrides.add_keys(_layer(ws), KEY)),
    "ssh keys via root/": ("root_overlay/root", lambda ws: overrides.add_keys(_layer(ws), KEY)),
    "skiff-core.yaml": ("root_overlay", lambda ws: coreyaml_place.save_coreyaml(_layer(ws), "containers: {}\n")),
    "any override file": ("hooks", lambda ws: overrides.write_text_file(_layer(ws), "hooks/pre.sh", "#!/bin/sh\n")),
    "menuconfig delta": ("buildroot", lambda ws: save_delta(ws, {"BR2_PACKAGE_HTOP": "y"})),
    "global layer hostname": (
        "../../buildroot",
        lambda ws: overrides.write_hostname(overrides.layer(ws.root, ws, "all"), "board"),
    ),
}


@pytest.mark.parametrize("name", list(WRITERS))
def test_override_writer_refuses_a_linked_directory_out_of_the_tree(ws, outside, name):
    rel, write = WRITERS[name]
    link = _link(
        (ws.overrides_dir / rel).resolve() if rel.startswith("..") else ws.overrides_dir / rel,
        outside / ".ssh" if rel.endswith("root") else outside,
    )
    before = tree_snapshot(outside)
    with pytest.raises(SkiffError, match="symbolic link") as err:  # UnsafePathError, or the file
        write(ws)  # editor's OverrideError
    message = str(err.value)
    assert str(link) in message and "\n" not in message
    assert tree_snapshot(outside) == before


def test_a_linked_workspace_layer_is_refused(ws, outside):
    _link(ws.overrides_dir, outside)
    with pytest.raises(UnsafePathError, match="symbolic link"):
        overrides.write_hostname(_layer(ws), "board")
    assert sorted(os.listdir(outside)) == [".ssh", "victim"]


def test_a_file_linked_out_of_the_tree_is_not_written_through(ws, outside):
    target = overrides.authorized_keys_path(_layer(ws))
    _link(target, outside / ".ssh" / "authorized_keys")
    with pytest.raises(UnsafePathError):
        overrides.add_keys(_layer(ws), KEY)
    assert (outside / ".ssh" / "authorized_keys").read_text() == "the host's own key\n"


@pytest.mark.parametrize("remove", ["hostname", "wifi", "file"])
def test_removals_do_not_follow_links_out(ws, outside, remove):
    layer = _layer(ws)
    if remove == "hostname":
        _link(ws.overrides_dir / "buildroot", outside)
        (outside / overrides.HOSTNAME_FRAGMENT).write_text("keep\n")
        call = lambda: overrides.remove_hostname(layer)  # noqa: E731
    elif remove == "wifi":
        _link(ws.overrides_dir / "root_overlay", outside)
        nm = outside / "etc" / "NetworkManager" / "system-connections"
        nm.mkdir(parents=True)
        (nm / "home.nmconnection").write_text("keep\n")
        call = lambda: overrides.delete_wifi(layer, "home")  # noqa: E731
    else:
        _link(ws.overrides_dir / "hooks", outside)
        call = lambda: overrides.delete_file(layer, "hooks/victim")  # noqa: E731
    before = tree_snapshot(outside)
    with pytest.raises(SkiffError):
        call()
    assert tree_snapshot(outside) == before


def test_lock_file_linked_to_a_file_is_refused_not_truncated(ws, outside, monkeypatch):
    monkeypatch.setenv("SKIFF_BUILDROOT_SRC", str(FIXTURE_BUILDROOT))
    _link(ws.lock_path, outside / "victim")
    r = run_skiff("configure", "test/board")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert str(ws.lock_path) in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert (outside / "victim").read_text() == "do not truncate\n"


def test_final_config_dir_linked_out_is_refused(ws, outside, monkeypatch):
    monkeypatch.setenv("SKIFF_BUILDROOT_SRC", str(FIXTURE_BUILDROOT))
    _link(ws.final_dir, outside)
    r = run_skiff("configure", "test/board")
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert str(ws.final_dir) in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert sorted(os.listdir(outside)) == [".ssh", "victim"]


def test_state_file_linked_out_is_refused(ws, outside):
    ws.final_dir.mkdir(parents=True)
    _link(ws.final_dir / "state.json", outside / "victim")
    with pytest.raises(UnsafePathError):
        ws.save_state(WorkspaceState.from_dict({"selection": ["test/board"]}))
    assert (outside / "victim").read_text() == "do not truncate\n"


def test_build_logs_linked_out_are_refused(ws, outside):
    from skiff_tui.core.builds.build import start_build

    ws.dir.mkdir(parents=True)
    _link(ws.logs_dir, outside)
    with pytest.raises(UnsafePathError):
        start_build(ws, ["true"], env={}, chain=["test/board"], target="all")
    assert sorted(os.listdir(outside)) == [".ssh", "victim"]


def test_a_linked_workspace_build_dir_is_allowed_and_cleaned(ws, tmp_path, monkeypatch):
    """workspaces/<ws> itself may be a link (build output on another disk): configure works
    through it, and clean empties what it points to (the link stays)."""
    monkeypatch.setenv("SKIFF_BUILDROOT_SRC", str(FIXTURE_BUILDROOT))
    disk = tmp_path / "big-disk" / "default"
    disk.mkdir(parents=True)
    _link(ws.dir, disk)
    r = run_skiff("configure", "test/board")
    assert r.returncode == 0, r.stderr
    assert (disk / ".config").exists()
    r = run_skiff("clean", "--yes")
    assert r.returncode == 0 and "cleaned" in r.stdout, r.stderr
    assert ws.dir.is_symlink() and os.listdir(disk) == [] and not ws.final_dir.exists()


def test_links_inside_the_tree_are_followed(ws):
    """A layer directory linked to another place inside overrides/ is fine."""
    shared = ws.root / "overrides" / "shared-overlay"
    shared.mkdir(parents=True)
    _link(ws.overrides_dir / "root_overlay", shared)
    overrides.write_wifi(_layer(ws), overrides.WifiNetwork("home", "passphrase1"))
    assert (shared / "etc" / "NetworkManager" / "system-connections" / "home.nmconnection").exists()
