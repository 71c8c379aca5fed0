"""Fixtures shared by every test suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture
def skiff_root(tmp_path, monkeypatch) -> Path:
    """An empty skiff tree (configs/, overrides/, workspaces/) used as SKIFF_ROOT_DIR."""
    root = tmp_path / "skiff"
    for d in ("configs", "overrides", "workspaces"):
        (root / d).mkdir(parents=True)
    monkeypatch.setenv("SKIFF_ROOT_DIR", str(root))
    monkeypatch.setenv("SKIFF_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("SKIFF_NO_INTERACTIVE", "1")
    for var in list(os.environ):
        if var.startswith("SKIFF_CONFIG") or var in ("SKIFF_EXTRA_CONFIGS_PATH", "SKIFF_WORKSPACE",
                                                     "BUILDROOT_DIR", "SKIFF_BUILDROOT_SRC", "SKIFF_READ_ONLY"):
            monkeypatch.delenv(var, raising=False)
    return root

