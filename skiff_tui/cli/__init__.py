"""The `skiff` command line. Every Makefile target lands here.

Each verb lives in its own module exposing `register(subparsers)`, which adds a parser and sets
`func(args) -> int`. Errors of the engine (SkiffError) print as one line and exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .. import __version__
from ..core.errors import SkiffError

# Modules under skiff_tui.cli, one verb (or a few related verbs) each, in help order.
COMMAND_MODULES = (
    "project_cmds",    # init
    "packages_cmds",   # list, show, check
    "build_cmds",      # configure, compile, br, clean
    "cmd_cmds",        # cmd
    "logs_cmds",       # logs
    "flash_cmds",      # flash
    "push_cmds",       # push
    "tui_cmds",        # tui
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="skiff", description="Compose SkiffOS configuration packages and build them with Buildroot.")
    parser.add_argument("--workspace", "-w", help="workspace name (default: $SKIFF_WORKSPACE or 'default')")
    parser.add_argument("--version", action="version", version=f"skiff {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue  # verb not installed in this build
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        # Bare `skiff` (options only, e.g. `skiff -w lab`) opens the TUI.
        args = parser.parse_args(["tui", *argv])
    try:
        return int(args.func(args) or 0)
    except SkiffError as exc:
        print(f"skiff: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("skiff: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
