"""cmd: run a package's command (its extensions/ Makefile target) with the SPEC §5 environment."""

from __future__ import annotations

import subprocess
import sys

from .common import add_workspace_arg, context


def register(sub) -> None:
    p = sub.add_parser("cmd", help="run a package command, e.g. skiff cmd pi/common format")
    add_workspace_arg(p)
    p.add_argument("package", metavar="NS/NAME")
    p.add_argument("command", metavar="COMMAND")
    p.set_defaults(func=cmd_cmd)


def cmd_cmd(args) -> int:
    from ..core.commands import command_argv_env

    ctx = context(args)
    argv, env, cwd = command_argv_env(ctx.root, ctx.env, ctx.workspace, ctx.index, args.package, args.command)
    return subprocess.run(argv, env=env, cwd=cwd).returncode
