"""completion: shell completion for bash, zsh and fish.

`skiff completion SHELL` prints a small script; the script asks `skiff completion --complete
WORD…` (the words typed so far, the one under the cursor last) for candidates, so package names,
workspaces and package commands are always the current ones. Answering costs what `skiff list`
costs: the parser and a scan of the package roots, no Buildroot, no UI.
"""

from __future__ import annotations

import argparse
import sys

SHELLS = ("bash", "zsh", "fish")
GLOBAL_VALUE_OPTIONS = ("-w", "--workspace")
BR_TARGETS = (
    "all",
    "menuconfig",
    "linux-menuconfig",
    "busybox-menuconfig",
    "uboot-menuconfig",
    "savedefconfig",
    "source",
    "legal-info",
    "graph-depends",
    "graph-build",
    "show-info",
    "clean",
    "linux-rebuild",
)

BASH = r"""# skiff completion for bash: eval "$(skiff completion bash)", or save it as
# ~/.local/share/bash-completion/completions/skiff
_skiff() {
    local IFS=$'\n'
    COMPREPLY=($(skiff completion --complete "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null))
}
complete -o nosort -F _skiff skiff 2>/dev/null || complete -F _skiff skiff
"""

ZSH = r"""#compdef skiff
# skiff completion for zsh: eval "$(skiff completion zsh)", or save it as _skiff in your $fpath
_skiff() {
    local -a reply
    reply=("${(@f)$(skiff completion --complete "${(@)words[2,CURRENT]}" 2>/dev/null)}")
    compadd -Q -- "${(@)reply:#}"
}
if [[ ${zsh_eval_context[-1]} == loadautofunc ]]; then _skiff "$@"; else compdef _skiff skiff; fi
"""

FISH = r"""# skiff completion for fish: skiff completion fish > ~/.config/fish/completions/skiff.fish
function __skiff_complete
    set -l words (commandline -opc)
    set -l current (commandline -ct)
    skiff completion --complete $words[2..-1] "$current" 2>/dev/null
end
complete -c skiff -f -a '(__skiff_complete)'
"""

SCRIPTS = {"bash": BASH, "zsh": ZSH, "fish": FISH}


def register(sub) -> None:
    p = sub.add_parser(
        "completion",
        help="print a shell completion script (bash, zsh or fish)",
        description="Print a completion script for SHELL. It completes verbs, options, "
        "package names (also after a comma), workspaces and package commands "
        "by asking skiff itself, so new packages complete at once.",
    )
    p.add_argument("shell", nargs="?", choices=SHELLS, metavar="SHELL", help="bash, zsh or fish")
    p.add_argument("--complete", nargs=argparse.REMAINDER, metavar="WORD", help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_completion)


def answer(words: list[str]) -> int:
    """`skiff completion --complete WORD…` (called by main before argparse sees the words)."""
    try:
        found = candidates(words)
    except Exception:  # a broken package tree must not spill a traceback into the command line
        found = []
    sys.stdout.write("".join(f"{w}\n" for w in found))
    return 0


def cmd_completion(args) -> int:
    if args.complete is not None:
        return answer(args.complete)
    if not args.shell:
        from ..core.errors import SkiffError

        raise SkiffError("which shell?", hint="skiff completion bash|zsh|fish")
    sys.stdout.write(SCRIPTS[args.shell])
    return 0


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser) -> list[str]:
    return [o for a in parser._actions if a.help != argparse.SUPPRESS for o in a.option_strings if o.startswith("--")]


def _takes_value(parser: argparse.ArgumentParser, option: str) -> bool:
    for action in parser._actions:
        if option in action.option_strings:
            return action.nargs != 0
    return False


def candidates(words: list[str]) -> list[str]:
    """What may come in place of words[-1], given the words before it."""
    from . import build_parser

    words = words or [""]
    done, current = words[:-1], words[-1]
    parser = build_parser()
    path: list[str] = []  # verbs and sub-verbs so far, e.g. ["flash", "list"]
    positionals: list[str] = []  # positional words of the innermost verb
    workspace = None
    expecting_value = None
    for word in done:
        if expecting_value:
            if expecting_value in GLOBAL_VALUE_OPTIONS:
                workspace = word
            expecting_value = None
            continue
        if word.startswith("-"):
            if "=" not in word and _takes_value(parser, word):
                expecting_value = word
            continue
        subs = _subparsers(parser)
        if word in subs and not positionals:
            parser = subs[word]
            path.append(word)
        else:
            positionals.append(word)
    if expecting_value in GLOBAL_VALUE_OPTIONS:
        return _prefixed(_workspaces(), current)
    if expecting_value:
        choices = next((a.choices for a in parser._actions if expecting_value in a.option_strings), None)
        return _prefixed(list(choices or []), current)
    if current.startswith("-"):
        return _prefixed(_options(parser), current)
    subs = _subparsers(parser)
    if subs and not positionals:
        return _prefixed([s for s in subs if not s.startswith("_")], current)
    verb = path[0] if path else None
    if verb == "configure" and not positionals:
        return _selection(current, workspace)
    if verb == "check" or verb == "list":
        return []
    if verb == "cmd":
        if not positionals:
            return _prefixed([p.name for p in _index(workspace).listed(True) if p.commands], current)
        if len(positionals) == 1:
            try:
                pkg = _index(workspace).get(positionals[0])
            except Exception:
                return []
            return _prefixed([c.name for c in pkg.commands], current)
        return []
    if verb == "br":
        return _prefixed(list(BR_TARGETS), current)
    if verb == "completion" and not positionals:
        return _prefixed(list(SHELLS), current)
    return []


def _prefixed(words: list[str], current: str) -> list[str]:
    return sorted(w for w in set(words) if w.startswith(current))


def _index(workspace: str | None):
    import os

    from ..core import paths
    from ..core.library.packages import discover

    return discover(paths.package_roots(paths.project_dir(os.environ)), dict(os.environ))


def _selection(current: str, workspace: str | None) -> list[str]:
    """Package names; after a comma, the names already chosen stay in front (pi/4,sk → pi/4,skiff/core)."""
    head, _, last = current.rpartition(",")
    chosen = set(head.split(",")) if head else set()
    prefix = f"{head}," if head else ""
    names = [p.name for p in _index(workspace).listed() if p.name not in chosen]
    return [prefix + n for n in _prefixed(names, last)]


def _workspaces() -> list[str]:
    import os

    from ..core import paths

    root = paths.project_dir(os.environ)
    if root is None or not paths.workspaces_dir(root).is_dir():
        return []
    return [d.name for d in paths.workspaces_dir(root).iterdir() if d.is_dir() and not d.name.startswith(".")]
