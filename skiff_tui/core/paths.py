"""Where things live: the repository root and its well-known directories."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent


def root_dir(env: dict[str, str] | None = None) -> Path:
    """The skiff tree (configs/, overrides/, workspaces/). SKIFF_ROOT_DIR wins; else the checkout."""
    env = os.environ if env is None else env
    value = env.get("SKIFF_ROOT_DIR")
    if value:
        return Path(value).resolve()
    return PACKAGE_DIR.parent


def configs_dir(root: Path) -> Path:
    return root / "configs"


def overrides_dir(root: Path) -> Path:
    return root / "overrides"


def workspaces_dir(root: Path) -> Path:
    return root / "workspaces"


def cache_dir(env: dict[str, str] | None = None) -> Path:
    """Shared cache outside any tree (Buildroot checkouts, downloads, show-info results)."""
    env = os.environ if env is None else env
    if env.get("SKIFF_CACHE_DIR"):
        return Path(env["SKIFF_CACHE_DIR"])
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME", "/root")) / ".cache")
    return Path(base) / "skiff"
