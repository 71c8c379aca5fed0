"""`skiff init`: make a skiff project directory (where overrides and workspaces live).

An installed skiff keeps user data out of its own package; a project directory is where it goes.
See docs/getting-started.md.
"""

from __future__ import annotations

from pathlib import Path

from . import atomic, paths, readonly
from .errors import SkiffError

READMES = {
    "configs/README.md": (
        "# configs/\n\nYour own packages, as `configs/<namespace>/<name>/` (same layout as the library's).\n"
        "They come before the packages that ship with skiff: a package here with a library\n"
        "package's name replaces it. See `skiff list --all` for every package.\n"
    ),
    "overrides/README.md": (
        "# overrides/\n\nYour own layers, applied after the selected packages (`buildroot/`, `kernel/`,\n"
        "`root_overlay/`, `hooks/`…). `overrides/workspaces/<ws>/` applies to workspace `<ws>` only.\n"
        "Secrets (Wi-Fi keys, SSH keys) may live here: keep this directory private.\n"
    ),
    "workspaces/README.md": ("# workspaces/\n\nOne directory per workspace: Buildroot's output tree and build logs.\n"),
}
GITIGNORE = (
    "# made by skiff init: build output and private overrides stay out of git\n"
    "/workspaces/*\n/overrides/*\n!/*/README.md\n"
)


def init_project(directory: Path) -> tuple[Path, bool]:
    """Create the project layout in `directory` (made if missing). Returns (path, created);
    an existing project is left as it is."""
    readonly.guard("create a skiff project")
    directory = Path(directory).expanduser().absolute()
    if paths.is_project(directory):
        return directory, False
    if directory.exists() and not directory.is_dir():
        raise SkiffError("not a directory", path=directory, hint="name a new or existing directory")
    resolved = directory.resolve()
    if any(inside in (resolved, *resolved.parents) for inside in (paths.PACKAGE_DIR, paths.library_dir().resolve())):
        raise SkiffError(
            "refusing to make a project inside skiff's own package",
            path=directory,
            hint="choose a directory of your own, e.g. 'skiff init ~/skiff'",
        )
    try:
        for sub in ("configs", *paths.PROJECT_MARKERS):
            (directory / sub).mkdir(parents=True, exist_ok=True)
        for name, text in READMES.items():
            if not (directory / name).exists():
                atomic.write_text(directory / name, text, within=directory)
        if not (directory / ".gitignore").exists():
            atomic.write_text(directory / ".gitignore", GITIGNORE, within=directory)
    except OSError as exc:
        raise SkiffError(
            f"cannot create the project: {exc.strerror}",
            path=exc.filename or directory,
            hint="choose a directory you can write to",
        ) from None
    return directory, True
