"""init: make a skiff project directory, where overrides, workspaces and your own packages live."""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser(
        "init",
        help="make a skiff project directory (overrides/, workspaces/, configs/)",
        description="Make DIR (default: the current directory) a skiff project: overrides/, "
        "workspaces/ and configs/ for your own packages. skiff finds it from any "
        "directory below it; SKIFF_ROOT_DIR names it from elsewhere.",
        epilog="example: skiff init ~/pi-image && cd ~/pi-image && skiff configure pi/4",
    )
    p.add_argument("directory", nargs="?", default=".", metavar="DIR", help="where (default: here)")
    p.set_defaults(func=cmd_init)


def cmd_init(args) -> int:
    from ..core.project import init_project

    path, created = init_project(Path(args.directory))
    print(f"skiff: {'created' if created else 'already'} a skiff project in {path}")
    return 0
