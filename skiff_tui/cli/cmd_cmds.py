"""cmd: run a package's command (its extensions/ Makefile target) with the docs/behaviour.md#workspaces environment."""

from __future__ import annotations

from .common import add_workspace_arg, context


def register(sub) -> None:
    p = sub.add_parser("cmd", help="run a package command, e.g. skiff cmd pi/common format")
    add_workspace_arg(p)
    p.add_argument("package", metavar="NS/NAME")
    p.add_argument("command", metavar="COMMAND")
    p.set_defaults(func=cmd_cmd)


def cmd_cmd(args) -> int:
    from ..core.builds.commands import run_command

    ctx = context(args)
    return run_command(ctx.session, args.package, args.command)
