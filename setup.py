"""Build hook: the package library (top-level configs/, the one copy kept in git) goes into the
wheel as skiff_tui/library.tar. A tar, not a directory, because the library holds symlinks
(masked systemd units, .wants links into the target rootfs) that a wheel cannot represent;
skiff unpacks it once into its cache (see skiff_tui/core/paths.py). Everything else about the
build is declared in pyproject.toml."""

import tarfile
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
ARCHIVE = "library.tar"


def _entries(root: Path):
    for path in sorted(root.rglob("*")):
        if "__pycache__" in path.parts or path.suffix == ".pyc":
            continue
        yield path


def _normalized(info: tarfile.TarInfo) -> tarfile.TarInfo:
    # Reproducible: the archive depends on the tree's content and modes only.
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mtime = 0
    return info


def write_library(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as tar:
        for path in _entries(source):
            tar.add(path, arcname=path.relative_to(source).as_posix(), recursive=False, filter=_normalized)


class BuildPyWithLibrary(build_py):
    def run(self):
        super().run()
        source = HERE / "configs"
        if not source.is_dir():   # an sdist without it would build a skiff with no packages
            raise SystemExit("configs/ (the package library) is missing from the source tree")
        write_library(source, Path(self.build_lib) / "skiff_tui" / ARCHIVE)


setup(cmdclass={"build_py": BuildPyWithLibrary})
