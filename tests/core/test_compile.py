"""core.builds.compile: the steps every build starts with, for the CLI and the TUI alike."""

from __future__ import annotations

import pytest
from skifftest import FIXTURE_BUILDROOT, write_package

from skiff_tui.core.builds.compile import prepare_compile
from skiff_tui.core.errors import BuildrootError
from skiff_tui.core.session import Session
from skiff_tui.core.workspace import Workspace


@pytest.fixture
def board(skiff_root):
    write_package(skiff_root / "configs", "board/x", files={"buildroot/10": "BR2_aarch64=y\n"})
    return dict(SKIFF_BUILDROOT_SRC=str(FIXTURE_BUILDROOT), SKIFF_CONFIG="board/x")


def test_missing_host_tools_refuse_before_anything_is_configured(skiff_root, board, tmp_path):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    ws = Workspace(skiff_root, "default")
    with pytest.raises(BuildrootError, match="host tools missing"):
        prepare_compile(Session(skiff_root, dict(board, PATH=str(empty)), ws))
    assert not (ws.dir / ".config").exists() and ws.load_state() is None


def test_the_build_command_is_make_in_the_configured_workspace(skiff_root, board, monkeypatch):
    from skiff_tui.core.builds import compile as compile_mod

    monkeypatch.setattr(compile_mod, "require_host_tools", lambda env: None)  # checked above
    ws = Workspace(skiff_root, "default")
    result, run = prepare_compile(Session(skiff_root, board, ws))
    assert (ws.dir / ".config").is_file() and result.chain.names[-1] == "board/x"
    assert run.argv[0] == "make" and f"O={ws.dir}" in " ".join(run.argv)
    assert run.target == "all" and run.chain == result.chain.names
    assert run.env["SKIFF_WORKSPACE"] == "default"
