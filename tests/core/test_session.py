"""core.session: the one object configure, compile, package commands and the editors take."""

from skifftest import write_package

from skiff_tui.core.builds.configure import plan
from skiff_tui.core.session import Session
from skiff_tui.core.workspace import Workspace
from skiff_tui.core.workspace_state import WorkspaceState


def test_open_names_the_workspace_as_the_cli_does(skiff_root):
    assert Session.open(skiff_root, {}).workspace == Workspace(skiff_root, "default")
    assert Session.open(skiff_root, {"SKIFF_WORKSPACE": "Dev"}).workspace.name == "dev"
    assert Session.open(skiff_root, {"SKIFF_WORKSPACE": "dev"}, "other").workspace.name == "other"


def test_open_resumes_with_the_package_roots_and_base_of_the_last_configure(skiff_root, tmp_path):
    extra = tmp_path / "extra"
    write_package(extra, "board/x", files={"buildroot/10": "BR2_aarch64=y\n"})
    Workspace(skiff_root, "default").save_state(
        WorkspaceState(selection=["board/x"], extra_configs_path=[str(extra)], base_setting="skiff")
    )
    given = {"PATH": "/usr/bin"}
    session = Session.open(skiff_root, given)
    assert session.env["SKIFF_EXTRA_CONFIGS_PATH"] == str(extra) and session.env["SKIFF_BASE"] == "skiff"
    assert "SKIFF_EXTRA_CONFIGS_PATH" not in given  # the caller's mapping is left alone
    assert "board/x" in session.index  # discovered with the saved roots
    # the environment's own values win over the saved ones
    assert Session.open(skiff_root, {"SKIFF_BASE": "auto"}).env["SKIFF_BASE"] == "auto"


def test_the_index_is_discovered_once_and_its_warnings_told_once(skiff_root, tmp_path):
    write_package(skiff_root / "configs", "board/x")
    told: list[str] = []
    env = {"SKIFF_EXTRA_CONFIGS_PATH": str(tmp_path / "missing")}
    session = Session(skiff_root, env, Workspace(skiff_root, "default"), warn=told.append)
    assert told == []  # nothing is read until something asks
    index = session.index
    assert "board/x" in index and session.index is index
    assert len(told) == 1 and "configs path does not exist" in told[0]
    assert session.index_warnings == told
    session.index  # noqa: B018 - asked again: no second discovery, no second warning
    assert len(told) == 1


def test_an_index_given_is_used_as_it_is(skiff_root):
    write_package(skiff_root / "configs", "board/x")
    first = Session(skiff_root, {}, Workspace(skiff_root, "default"))
    index = first.index
    write_package(skiff_root / "configs", "board/y")  # a later package: not in the index given
    second = Session(skiff_root, {}, Workspace(skiff_root, "default"), index)
    assert second.index is index and "board/y" not in second.index
    assert "board/y" in Session(skiff_root, {}, Workspace(skiff_root, "default")).index


def test_derived_sessions_keep_the_project_and_the_index(skiff_root):
    write_package(skiff_root / "configs", "board/x", files={"buildroot/10": 'BR2_TARGET_GENERIC_HOSTNAME="x"\n'})
    session = Session(skiff_root, {"SKIFF_CONFIG": "board/x"}, Workspace(skiff_root, "default"))
    index = session.index
    other = session.for_workspace("other")
    assert other.workspace == Workspace(skiff_root, "other") and other.root == skiff_root
    assert other.index is index and other.env == session.env
    given = session.with_env({"SKIFF_CONFIG": "board/x", "PI_SD": "/dev/sdz"})
    assert given.workspace == session.workspace and given.index is index and given.env["PI_SD"] == "/dev/sdz"
    # a derived session plans like the one it came from
    assert plan(other).chain.names == plan(session).chain.names == ["board/x"]
