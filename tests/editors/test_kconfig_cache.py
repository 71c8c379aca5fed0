"""Parsed Kconfig trees are reused by the next session over the same tree and externals, used by
one session at a time, and parsed again when a Kconfig file changes."""

from __future__ import annotations

import os

import pytest

from skiff_tui.core.builds import kconfig_cache
from skiff_tui.core.editors.kconfig import open_workspace
from skiff_tui.core.session import Session
from skiff_tui.core.workspace import Workspace


@pytest.fixture(autouse=True)
def empty_cache():
    kconfig_cache.clear()
    yield
    kconfig_cache.clear()


def opened(root):
    return open_workspace(Session(root, dict(os.environ), Workspace(root, "default")))


def test_a_closed_session_gives_its_tree_to_the_next(kconfig_root):
    first = opened(kconfig_root)
    assert not first.reused
    kconf = first.model.kconf
    first.model.toggle(first.model.find("BR2_PACKAGE_PYTHON3"))
    second = opened(kconfig_root)  # the first still holds its tree: a new parse
    assert not second.reused and second.model.kconf is not kconf
    first.close()
    second.close()
    assert kconfig_cache.idle_count() == 2
    third = opened(kconfig_root)
    assert third.reused and third.model.kconf in (kconf, second.model.kconf)
    # values come from the files again, not from the earlier session's edits
    assert third.model.kconf.syms["BR2_PACKAGE_PYTHON3"].str_value == "n"
    assert third.model.changes() == {} and third.model.kconf.syms["BR2_JLEVEL"].str_value == "2"
    third.close()
    third.close()  # closing twice gives it back once
    assert kconfig_cache.idle_count() == 2


def test_a_changed_kconfig_file_is_parsed_again(kconfig_root, kconfig_tree):
    opened(kconfig_root).close()
    system = kconfig_tree / "system" / "Config.in"
    system.write_text(system.read_text().replace('"System hostname"', '"Host name of the system"'))
    again = opened(kconfig_root)
    try:
        assert not again.reused
        assert again.model.find("BR2_TARGET_GENERIC_HOSTNAME").prompt[0] == "Host name of the system"
    finally:
        again.close()


def test_other_externals_do_not_share_a_tree(kconfig_root, monkeypatch):
    opened(kconfig_root).close()
    from skifftest import write_package

    from .conftest import external_files

    write_package(
        kconfig_root / "configs",
        "tiny/other",
        description="another board",
        files={"buildroot/10-board": "BR2_arm=y\n", **external_files("OTHER")},
    )
    monkeypatch.setenv("SKIFF_CONFIG", "tiny/other")
    other = opened(kconfig_root)
    try:
        assert not other.reused and "BR2_EXTERNAL_OTHER_PATH" in other.model.kconf.syms
    finally:
        other.close()


def test_the_baseline_is_remembered_per_merged_configuration(kconfig_root):
    config = kconfig_root / "workspaces" / "default" / ".config"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("BR2_arm=y\nBR2_JLEVEL=5\n")
    first = opened(kconfig_root)
    baseline = dict(first.model.baseline)
    assert baseline["BR2_JLEVEL"] == "2" and first.model.kconf.syms["BR2_JLEVEL"].str_value == "5"
    first.close()
    second = opened(kconfig_root)  # same stack: the baseline is not reloaded
    assert second.reused and second.model.baseline == baseline
    second.model.baseline["BR2_JLEVEL"] = "9"  # a session's own copy (save() updates it)
    second.close()
    fragment = kconfig_root / "configs" / "tiny" / "board" / "buildroot" / "10-board"
    fragment.write_text("BR2_arm=y\nBR2_JLEVEL=3\n")  # another merged configuration
    third = opened(kconfig_root)
    try:
        assert third.reused and third.model.baseline["BR2_JLEVEL"] == "3"
        assert third.model.kconf.syms["BR2_JLEVEL"].str_value == "5"  # the .config still wins
    finally:
        third.close()
    fourth = opened(kconfig_root)
    try:
        assert fourth.model.baseline["BR2_JLEVEL"] == "3"
    finally:
        fourth.close()
