"""Fixtures shared by every test suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import skifftest


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "requires_tools(*tools): host tools the test runs; missing ones skip it "
        "with the Debian package to install (fail under SKIFF_CI_NO_TOOL_SKIPS)",
    )
    config.addinivalue_line(
        "markers",
        "requires_buildroot: runs against the real Buildroot 2026.02.3 tree (SKIFF_BUILDROOT_SRC or BUILDROOT_DIR)",
    )


def pytest_runtest_setup(item):
    tools = [t for mark in item.iter_markers("requires_tools") for t in mark.args]
    if tools:
        skifftest.need_tools(*dict.fromkeys(tools))
    if item.get_closest_marker("requires_buildroot"):
        skifftest.real_buildroot()


@pytest.fixture(autouse=True)
def _not_read_only():
    """set_read_only(True) is process-wide (and sets SKIFF_READ_ONLY): undo it after each test
    (a read-only SkiffApp sets it)."""
    from skiff_tui.core import readonly

    readonly.set_read_only(False)
    yield
    readonly.set_read_only(False)


@pytest.fixture
def skiff_root(tmp_path, monkeypatch) -> Path:
    """An empty, self-contained skiff tree (configs/ with its own empty base layer, so the library
    that ships with skiff is not added; overrides/, workspaces/) used as SKIFF_ROOT_DIR."""
    root = tmp_path / "skiff"
    for d in ("configs/base", "overrides", "workspaces"):
        (root / d).mkdir(parents=True)
    monkeypatch.setenv("SKIFF_ROOT_DIR", str(root))
    monkeypatch.setenv("SKIFF_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("SKIFF_NO_INTERACTIVE", "1")
    for var in list(os.environ):
        if var.startswith("SKIFF_CONFIG") or var in (
            "SKIFF_EXTRA_CONFIGS_PATH",
            "SKIFF_WORKSPACE",
            "BUILDROOT_DIR",
            "SKIFF_BUILDROOT_SRC",
            "SKIFF_READ_ONLY",
        ):
            monkeypatch.delenv(var, raising=False)
    return root


# Tests must never write into the repository's own trees (the package library, the fixture
# Buildroot tree, overrides/, workspaces/): a hook or command that escapes its tmp dir shows up here.
_GUARDED = ("configs", "tests/fixtures", "overrides", "workspaces")
_REPO = Path(__file__).resolve().parent.parent


def _tree_state() -> dict[str, tuple[int, int]]:
    state = {}
    for top in _GUARDED:
        for dirpath, dirnames, files in os.walk(_REPO / top):
            dirnames[:] = [d for d in dirnames if d != "__pycache__"]
            for name in files:
                path = Path(dirpath) / name
                try:
                    st = path.lstat()
                except FileNotFoundError:
                    continue
                state[str(path.relative_to(_REPO))] = (st.st_size, st.st_mtime_ns)
    return state


def pytest_sessionstart(session):
    session.config._skiff_tree_state = _tree_state()


def pytest_sessionfinish(session, exitstatus):
    before = getattr(session.config, "_skiff_tree_state", None)
    if before is None:
        return
    after = _tree_state()
    changed = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
    if changed:
        print("\nERROR: tests changed files in the repository's own trees:\n  " + "\n  ".join(changed[:20]))
        session.exitstatus = 1
