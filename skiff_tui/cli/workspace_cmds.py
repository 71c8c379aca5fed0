"""shell, env, graph, legal-info: the SkiffOS workspace targets that are not builds."""

from __future__ import annotations

import subprocess
import sys
import time

from . import output
from .common import Context, add_workspace_arg, context


def register(sub) -> None:
    p = sub.add_parser(
        "shell",
        help="a shell in the workspace's environment (env.sh variables, host/bin on PATH)",
        description="Start $SHELL (or bash) in the workspace directory with the variables hooks "
        "and package commands get, and the workspace's host/bin first on PATH. "
        "With a COMMAND, run that instead and exit with its status.",
    )
    add_workspace_arg(p)
    p.add_argument("command", nargs="*", metavar="COMMAND", help="run this instead of an interactive shell")
    p.set_defaults(func=cmd_shell)

    p = sub.add_parser(
        "env",
        help="print the workspace's environment as shell exports",
        description="Print the variables hooks and package commands get (what env.sh holds), "
        "as `export NAME=value` lines to eval or source.",
    )
    add_workspace_arg(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_env)

    p = sub.add_parser(
        "graph",
        help="Buildroot's dependency graph and build-time charts as files",
        description="Run Buildroot's graph-depends (and graph-build, once a build has "
        "finished) and print the files written to <workspace>/graphs/. Needs "
        "graphviz, and python3-matplotlib for the build-time charts.",
    )
    add_workspace_arg(p)
    p.add_argument("--format", choices=("pdf", "svg", "png"), default="pdf", help="picture format (default: pdf)")
    p.set_defaults(func=cmd_graph)

    p = sub.add_parser(
        "legal-info",
        help="licenses and sources of everything in the image (Buildroot's legal-info)",
        description="Run Buildroot's legal-info: licenses, source archives and a manifest of "
        "every package, in <workspace>/legal-info/. Downloads sources it lacks.",
    )
    add_workspace_arg(p)
    p.set_defaults(func=cmd_legal_info)


def _environment(ctx: Context):
    from ..core.builds.configure import command_env, plan

    p = plan(ctx.session)
    return p, command_env(ctx.session, p)


def cmd_env(args) -> int:
    import json

    from ..core.config.environment import env_file

    ctx = context(args)
    _, env = _environment(ctx)
    text = env_file(env)
    if args.json:
        exported = {k: env[k] for k in sorted(env) if f"export {k}=" in text}
        json.dump(exported, sys.stdout, indent=2)
        print()
    else:
        sys.stdout.write(text)
    return 0


def cmd_shell(args) -> int:
    from ..core import readonly

    readonly.guard("a workspace shell")
    ctx = context(args)
    _, env = _environment(ctx)
    env["SKIFF_SHELL"] = "1"  # so a prompt can show it (PS1 is the user's rc files' business)
    cwd = ctx.workspace.dir if ctx.workspace.dir.is_dir() else ctx.root
    if args.command:
        argv = list(args.command)
    else:
        argv = [ctx.env.get("SHELL") or "/bin/bash", "-i"]
        output.info(f"skiff: shell in workspace {ctx.workspace.name!r} ({cwd}); 'exit' leaves it")
    output.detail("running: " + " ".join(argv))
    try:
        code = subprocess.run(argv, env=env, cwd=str(cwd)).returncode
    except OSError as exc:
        from ..core.errors import SkiffError

        raise SkiffError(f"cannot start {argv[0]}: {exc.strerror}", hint="check $SHELL or the command") from None
    return 0 if code == 0 else 1


def _make(ctx: Context, p, env: dict[str, str], target: str) -> int:
    from ..core.builds.buildroot import make_env
    from ..core.builds.configure import make_argv

    argv = make_argv(p, ctx.workspace, target)
    output.detail("running: " + " ".join(argv))
    return subprocess.run(argv, env=make_env(env), stdin=subprocess.DEVNULL).returncode


def cmd_graph(args) -> int:
    import tempfile
    from pathlib import Path

    from ..core.builds import graphs
    from ..core.errors import SkiffError

    ctx = context(args)
    with_build = graphs.build_time_log(ctx.workspace).is_file()
    missing = graphs.missing_tools(with_build)
    if missing:
        raise SkiffError(
            f"{', '.join(w for w, _ in missing)} missing for Buildroot's graphs",
            hint="apt-get install " + " ".join(pkg for _, pkg in missing),
        )
    started = time.time()
    with ctx.workspace.lock():
        from .build_cmds import _configured

        result = _configured(ctx, lock_held=True)
        p = result.plan
        from ..core.builds.configure import command_env

        env = dict(command_env(ctx.session, p), BR2_GRAPH_OUT=args.format)
        if _make(ctx, p, env, "graph-depends") != 0:
            output.error("graph-depends failed (its output is above)")
            return 1
        if with_build:
            with tempfile.TemporaryDirectory(prefix="skiff-graph-") as scratch:
                python = graphs.matplotlib_python()
                if python is None:  # found by missing_tools() above, gone since
                    raise SkiffError(
                        "python3 with matplotlib missing for Buildroot's graphs",
                        hint="apt-get install python3-matplotlib",
                    )
                build_env = graphs.python_first(env, python, Path(scratch))
                if _make(ctx, p, build_env, "graph-build") != 0:
                    output.error("graph-build failed (its output is above)")
                    return 1
        else:
            output.info("skiff: no build-time charts yet: graph-build needs a finished build ('skiff compile')")
    for path in graphs.outputs(ctx.workspace, started):
        print(path)
    return 0


def cmd_legal_info(args) -> int:
    ctx = context(args)
    with ctx.workspace.lock():
        from ..core.builds.configure import command_env
        from .build_cmds import _configured

        result = _configured(ctx, lock_held=True)
        env = command_env(ctx.session, result.plan)
        if _make(ctx, result.plan, env, "legal-info") != 0:
            output.error("legal-info failed (its output is above; it needs every package's sources)")
            return 1
    print(ctx.workspace.dir / "legal-info")
    return 0
