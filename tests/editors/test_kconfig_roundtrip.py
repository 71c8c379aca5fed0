"""Kconfig editor end to end, against the project's Buildroot-shaped fixture tree and against the
real Buildroot 2026.02.3: configure writes .config, the editor loads it, saves a delta, and the
next configure carries the edits."""

from __future__ import annotations

import os

import pytest

from skifftest import FIXTURE_BUILDROOT, REAL_BUILDROOT, requires_tools, write_package
from skiff_tui.core.builds import buildroot
from skiff_tui.core.builds.configure import configure
from skiff_tui.core.editors.kconfig import open_workspace
from skiff_tui.core.workspace import Workspace
from skiff_tui.core.session import Session

pytestmark = [
    requires_tools("make"),
    pytest.mark.skipif(not (FIXTURE_BUILDROOT / "Config.in").is_file(), reason="needs tests/fixtures/buildroot_tree"),
]


@pytest.mark.parametrize("tree", ["fixture", pytest.param("real", marks=[pytest.mark.requires_buildroot])])
def test_edit_save_configure_round_trip(skiff_root, tree):
    write_package(
        skiff_root / "configs",
        "board/x",
        description="board",
        files={"buildroot/10": 'BR2_TARGET_GENERIC_HOSTNAME="board"\n'},
    )
    src = FIXTURE_BUILDROOT if tree == "fixture" else REAL_BUILDROOT
    env = dict(os.environ, SKIFF_BUILDROOT_SRC=str(src), SKIFF_CONFIG="board/x")
    ws = Workspace(skiff_root, "default")
    configure(Session(skiff_root, env, ws))
    config = ws.dir / ".config"
    assert buildroot.read_config(config)["BR2_TARGET_GENERIC_HOSTNAME"] == '"board"'

    session = open_workspace(Session(skiff_root, env, ws))
    try:
        model = session.model
        assert model.source == str(config)
        hostname = model.find("BR2_TARGET_GENERIC_HOSTNAME")
        assert model.kconf.syms["BR2_TARGET_GENERIC_HOSTNAME"].str_value == "board"
        model.set_text(hostname, "edited")
        toggled = next(
            h.node
            for h in model.search("^br2_package_")
            if model.is_changeable(h.node) and model.kind(h.node) == "bool" and h.node.item.tri_value == 0
        )
        name = toggled.item.name
        model.toggle(toggled)
        assert model.changes() == {"BR2_TARGET_GENERIC_HOSTNAME": '"edited"', name: "y"}
        path = session.save()
    finally:
        session.close()
    assert path.parent == ws.overrides_dir / "buildroot"

    configure(Session(skiff_root, env, ws))
    values = buildroot.read_config(config)
    assert values["BR2_TARGET_GENERIC_HOSTNAME"] == '"edited"' and values[name] == "y"
    again = open_workspace(Session(skiff_root, env, ws))
    try:
        assert again.model.changes() == {} and not again.model.dirty
        assert again.model.kconf.syms[name].str_value == "y"
    finally:
        again.close()
