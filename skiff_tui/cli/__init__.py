"""The `skiff` command line. Every Makefile target lands here.

Each verb lives in its own module exposing `register(subparsers)`, which adds a parser and sets
`func(args) -> int`. Exit codes (README "Exit codes"): 0 done; 1 the work ran and failed (a build,
a command, a check that found problems); 2 usage or input error, printed as one line (argparse's
own errors, and every SkiffError of the engine); 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .. import __version__
from ..core.errors import SkiffError

# Modules under skiff_tui.cli, one verb (or a few related verbs) each, in help order.
COMMAND_MODULES = (
    "project_cmds",  # init
    "packages_cmds",  # list, show, check
    "build_cmds",  # configure, compile, br, clean
    "cmd_cmds",  # cmd
    "workspace_cmds",  # shell, env, graph, legal-info
    "logs_cmds",  # logs
    "flash_cmds",  # flash
    "push_cmds",  # push
    "tui_cmds",  # tui
    "completion_cmds",  # completion
)

# One example per verb, shown under its --help (the verb's own epilog wins when it has one).
EXAMPLES = {
    "init": "skiff init ~/pi-image",
    "list": "skiff list --all --json",
    "show": "skiff show BR2_TARGET_GENERIC_HOSTNAME",
    "check": "SKIFF_CONFIG=pi/4,skiff/core skiff check",
    "configure": "skiff configure pi/4,skiff/core",
    "compile": "skiff -w lab compile",
    "br": "skiff br linux-menuconfig",
    "clean": "skiff clean --yes",
    "cmd": "PI_SD=/dev/sdb skiff cmd pi/common format",
    "logs": "skiff logs -f",
    "flash": "skiff flash list",
    "flash list": "skiff flash list --all --json",
    "flash format": "skiff flash format --device /dev/sdb --install",
    "flash install": "skiff flash install --device /dev/sdb",
    "flash buildimage": "skiff flash buildimage --image pi4.img --size 8G",
    "flash write": "skiff flash write --device /dev/sdb --image pi4.img",
    "flash verify": "skiff flash verify --device /dev/sdb --image pi4.img",
    "push": "skiff push root@192.168.1.41",
    "tui": "skiff tui --read-only",
    "completion": "skiff completion bash > ~/.local/share/bash-completion/completions/skiff",
    "shell": "skiff shell",
    "env": 'eval "$(skiff env)"',
    "graph": "skiff graph",
    "legal-info": "skiff legal-info",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="skiff", description="Compose SkiffOS configuration packages and build them with Buildroot."
    )
    parser.add_argument("--workspace", "-w", help="workspace name (default: $SKIFF_WORKSPACE or 'default')")
    parser.add_argument(
        "--read-only",
        action="store_true",
        dest="global_read_only",
        help="refuse every command that would change anything (as SKIFF_READ_ONLY=1 does)",
    )
    parser.add_argument("--version", action="version", version=f"skiff {__version__}")
    loud = parser.add_mutually_exclusive_group()
    loud.add_argument("-q", "--quiet", action="store_true", help="only errors and the data asked for")
    loud.add_argument("-v", "--verbose", action="store_true", help="also the commands skiff runs")
    sub = parser.add_subparsers(dest="verb", metavar="VERB")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"{__name__}.{name}":
                continue  # verb not installed in this build
            raise
        module.register(sub)
    _describe_all(sub, "")
    return parser


def _describe_all(sub, prefix: str) -> None:
    helps = {a.dest: a.help for a in sub._choices_actions}
    for verb, verb_parser in sub.choices.items():
        name = f"{prefix}{verb}"
        _describe(verb_parser, name, helps.get(verb))
        # -q/-v after the verb too (`skiff compile -q`), as --workspace already is
        loud = verb_parser.add_mutually_exclusive_group()
        loud.add_argument("-q", "--quiet", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        loud.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        if verb_parser._subparsers is not None:
            for action in verb_parser._subparsers._group_actions:
                if isinstance(action, argparse._SubParsersAction):
                    _describe_all(action, f"{name} ")


def _describe(parser: argparse.ArgumentParser, verb: str, help_text: str | None) -> None:
    """Every verb's --help: a description (its one-line help when it has none) and an example."""
    if parser.description is None and help_text:
        parser.description = help_text[:1].upper() + help_text[1:] + "."
    if parser.epilog is None and verb in EXAMPLES:
        parser.epilog = f"example: {EXAMPLES[verb]}"


def main(argv: list[str] | None = None) -> int:
    if argv is None:
        argv = sys.argv[1:]
    from . import output

    if argv[:2] == ["completion", "--complete"]:
        # The shell's words, verbatim (they may be "--" or options): not for argparse to interpret.
        from .completion_cmds import answer

        return answer(argv[2:])
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        # Bare `skiff` (options only, e.g. `skiff -w lab`) opens the TUI.
        args = parser.parse_args(["tui", *argv])
    if getattr(args, "global_read_only", False):
        from ..core import readonly

        readonly.set_read_only(True)  # before the verb runs: every engine write refuses
    output.set_verbosity(output.QUIET if args.quiet else output.VERBOSE if args.verbose else output.NORMAL)
    try:
        code = int(args.func(args) or 0)
    except SkiffError as exc:
        message = str(exc)
        _print_error(lambda: output.error(message))
        return 2
    except KeyboardInterrupt:
        _print_error(lambda: print("skiff: interrupted", file=sys.stderr))
        return 130
    except BrokenPipeError:
        # The reader went away (`skiff list | head`): end quietly, as `cat` does.
        _silence_stdout()
        return 141
    # A failed child (make exits 2 on failure) must not read as a usage error: the work failed.
    return code if code in (0, 1, 130) else 1


def _print_error(show) -> None:
    try:
        show()
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
