"""Build hook: the package library (top-level configs/, the one copy kept in git) goes into the
wheel as skiff_tui/library.tar. A tar, not a directory, because the library holds symlinks
(masked systemd units, .wants links into the target rootfs) that a wheel cannot represent;
skiff unpacks it once into its cache (see skiff_tui/core/paths.py). Everything else about the
build is declared in pyproject.toml."""

import os
import tarfile
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = Path(__file__).resolve().parent
ARCHIVE = "library.tar"
# In an sdist, the library's absolute symlinks (masked units -> /dev/null) are listed here instead:
# pip refuses to unpack an sdist holding a link to an absolute path.
ABSOLUTE_LINKS = ".absolute-links"


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


def _listed_links(source: Path) -> dict[str, str]:
    listing = source / ABSOLUTE_LINKS
    if not listing.is_file():
        return {}
    return dict(line.split("\t", 1) for line in listing.read_text().splitlines() if "\t" in line)


def write_library(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    links = _listed_links(source)
    with tarfile.open(target, "w", format=tarfile.PAX_FORMAT) as tar:
        for path in _entries(source):
            name = path.relative_to(source).as_posix()
            if name == ABSOLUTE_LINKS:
                continue
            tar.add(path, arcname=name, recursive=False, filter=_normalized)
        present = set(tar.getnames())
        for name, link in sorted(links.items()):
            parents = Path(name).parents
            for parent in reversed([p.as_posix() for p in parents if p.as_posix() != "."]):
                if parent not in present:  # directories that held only such links
                    folder = tarfile.TarInfo(parent)
                    folder.type, folder.mode = tarfile.DIRTYPE, 0o755
                    tar.addfile(_normalized(folder))
                    present.add(parent)
            info = tarfile.TarInfo(name)
            info.type, info.linkname, info.mode = tarfile.SYMTYPE, link, 0o777
            tar.addfile(_normalized(info))


class BuildPyWithLibrary(build_py):
    def run(self):
        super().run()
        source = HERE / "configs"
        if not source.is_dir():  # an sdist without it would build a skiff with no packages
            raise SystemExit("configs/ (the package library) is missing from the source tree")
        write_library(source, Path(self.build_lib) / "skiff_tui" / ARCHIVE)


class SdistWithLinks(sdist):
    """setuptools leaves symlinks out of an sdist (or copies their targets); put them back (the
    absolute ones as a list) so a wheel built from the sdist has the same library as from git."""

    def make_release_tree(self, base_dir, files):
        super().make_release_tree(base_dir, files)
        absolute = []
        for link in sorted((HERE / "configs").rglob("*")):
            if not link.is_symlink():
                continue
            dest = Path(base_dir) / link.relative_to(HERE)
            if dest.is_symlink() or dest.exists():
                dest.unlink()
            target = os.readlink(link)
            if os.path.isabs(target):
                absolute.append(f"{link.relative_to(HERE / 'configs').as_posix()}\t{target}")
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(target, dest)
        if absolute:
            (Path(base_dir) / "configs" / ABSOLUTE_LINKS).write_text("\n".join(absolute) + "\n")


setup(cmdclass={"build_py": BuildPyWithLibrary, "sdist": SdistWithLinks})
