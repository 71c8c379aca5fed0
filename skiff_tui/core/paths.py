"""Where things live: the skiff project directory, the package library, the cache.

A *project directory* holds the user's data: `overrides/`, `workspaces/` and, optionally,
`configs/` with the user's own packages. It is a directory holding both `overrides/` and
`workspaces/` (what `skiff init` creates; a skiff checkout is one). The *library* is the
package collection that ships with skiff: the top-level `configs/` of a checkout, or, in an
installed skiff, `skiff_tui/library.tar` unpacked once into the cache (a wheel cannot hold the
library's symlinks). skiff never writes into its installed package.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from .errors import SkiffError

PACKAGE_DIR = Path(__file__).resolve().parent.parent
PROJECT_MARKERS = ("overrides", "workspaces")
BASE_LAYER = "base"  # == packages.BASE_NAMESPACE (kept here so this module imports nothing heavy)


class NoProjectError(SkiffError):
    """No skiff project directory here, and none named by SKIFF_ROOT_DIR."""


LIBRARY_ARCHIVE = PACKAGE_DIR / "library.tar"


def library_dir() -> Path:
    """The package library shipped with skiff: the checkout's configs/, or the installed archive
    unpacked into the cache."""
    if LIBRARY_ARCHIVE.is_file():
        st = LIBRARY_ARCHIVE.stat()
        return _unpacked_library(str(cache_dir()), st.st_size, st.st_mtime_ns)
    return PACKAGE_DIR.parent / "configs"


@lru_cache(maxsize=4)
def _unpacked_library(cache: str, size: int, mtime_ns: int) -> Path:
    from .. import __version__

    target = Path(cache) / "library" / f"{__version__}-{size}-{mtime_ns}"
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Unpacked beside the target and renamed into place: a concurrent skiff sees all or nothing.
    tmp = Path(tempfile.mkdtemp(prefix=".unpack-", dir=target.parent))
    try:
        with tarfile.open(LIBRARY_ARCHIVE) as tar:
            try:
                tar.extractall(tmp, filter="tar")  # keeps symlinks (to /dev/null too), refuses ../ paths
            except TypeError:  # Python before 3.11.4: no filters; our own archive
                tar.extractall(tmp)
        try:
            os.rename(tmp, target)
        except OSError:
            if not target.is_dir():
                raise
    except OSError as exc:
        raise SkiffError(
            f"cannot unpack skiff's package library: {exc.strerror or exc}",
            path=target.parent,
            hint="set SKIFF_CACHE_DIR to a writable directory",
        ) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def is_project(path: Path) -> bool:
    return all((path / marker).is_dir() for marker in PROJECT_MARKERS)


def find_project(start: Path) -> Path | None:
    """`start` or the nearest parent that is a project directory."""
    start = start.resolve()
    for candidate in (start, *start.parents):
        if is_project(candidate):
            return candidate
    return None


def project_dir(env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Path | None:
    """SKIFF_ROOT_DIR, else the project around the current directory, else the checkout skiff
    runs from (an editable install); None when there is none."""
    env = os.environ if env is None else env
    value = env.get("SKIFF_ROOT_DIR")
    if value:
        return Path(value).expanduser().resolve()
    try:
        here = cwd if cwd is not None else Path.cwd()
    except OSError:  # the current directory was deleted
        here = None
    found = find_project(here) if here is not None else None
    if found is not None:
        return found
    checkout = PACKAGE_DIR.parent
    if is_project(checkout) and (checkout / "configs").is_dir() and (checkout / "pyproject.toml").is_file():
        return checkout
    return None


def root_dir(env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Path:
    """The project directory, or a one-line error saying how to make one."""
    root = project_dir(env, cwd)
    if root is None:
        raise NoProjectError(
            "no skiff project in this directory or its parents",
            hint="create one with 'skiff init' (or 'skiff init DIR'), or set SKIFF_ROOT_DIR",
        )
    return root


def configs_dir(root: Path) -> Path:
    """The project's own packages (a checkout's is the library itself)."""
    return root / "configs"


def base_configs_dir(root: Path) -> Path:
    """The configs directory providing the base layer: a project carrying its own base layer
    (a checkout, a fork of the library) is self-contained; any other uses the library's."""
    own = configs_dir(root)
    return own if (own / BASE_LAYER).is_dir() else library_dir()


def package_roots(root: Path | None) -> list[Path]:
    """Package roots after SKIFF_EXTRA_CONFIGS_PATH, first definition winning: the project's
    configs/, then the library unless the project carries its own base layer."""
    if root is None:
        return [library_dir()]
    own = configs_dir(root)
    base = base_configs_dir(root)
    roots = [own] if own.is_dir() or base == own else []
    if base != own:
        roots.append(base)
    return roots


def overrides_dir(root: Path) -> Path:
    return root / "overrides"


def workspaces_dir(root: Path) -> Path:
    return root / "workspaces"


def cache_dir(env: Mapping[str, str] | None = None) -> Path:
    """Shared cache outside any tree (Buildroot checkouts, downloads, show-info results)."""
    env = os.environ if env is None else env
    if env.get("SKIFF_CACHE_DIR"):
        return Path(env["SKIFF_CACHE_DIR"])
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME", "/root")) / ".cache")
    return Path(base) / "skiff"
