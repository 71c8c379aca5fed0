"""The `skiff` command line. Every Makefile target lands here.

Each verb lives in its own module exposing `register(subparsers)`, which adds a parser and sets
`func(args) -> int`. Errors of the engine (SkiffError) print as one line and exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ..core.errors import SkiffError

# Modules under skiff_tui.cli, one verb (or a few related verbs) each, in help order.
COMMAND_MODULES = (
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
    parser.add_argument("--read-only", action="store_true", dest="global_read_only",
                        help="refuse every command that would change anything (as SKIFF_READ_ONLY=1 does)")
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
    if getattr(args, "global_read_only", False):
        from ..core import readonly
        readonly.set_read_only(True)   # before the verb runs: every engine write refuses
    try:
        return int(args.func(args) or 0)
    except SkiffError as exc:
        _print_error(f"skiff: error: {exc}")
        return 2
    except KeyboardInterrupt:
        _print_error("skiff: interrupted")
        return 130
    except BrokenPipeError:
        # The reader went away (`skiff list | head`): end quietly, as `cat` does.
        _silence_stdout()
        return 141


def _print_error(text: str) -> None:
    try:
        print(text, file=sys.stderr)
    except (BrokenPipeError, OSError):
        pass


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot raise again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


if __name__ == "__main__":
    sys.exit(main())
