"""configure, compile, br, clean: the verbs that modify a workspace (each holds its lock)."""

from __future__ import annotations

import subprocess
import sys

from . import output
from .common import Context, add_container_arg, add_workspace_arg, context

INTERACTIVE_SUFFIXES = ("menuconfig", "nconfig", "xconfig", "gconfig")


def register(sub) -> None:
    p = sub.add_parser("configure", help="merge the selected packages into the workspace's configuration")
    add_workspace_arg(p)
    p.add_argument("selection", nargs="?", help="packages (default: $SKIFF_CONFIG, else the saved chain)")
    p.add_argument("--force", action="store_true", help="reconfigure even if nothing changed")
    p.set_defaults(func=cmd_configure)

    p = sub.add_parser("compile", help="build the workspace with Buildroot")
    add_workspace_arg(p)
    add_container_arg(
        p,
        "run Buildroot in a podman/docker container with its host tools "
        "(default engine: podman, else docker; also $SKIFF_CONTAINER)",
    )
    p.set_defaults(func=cmd_compile)

    p = sub.add_parser("br", help="run Buildroot targets in the workspace")
    add_workspace_arg(p)
    add_container_arg(
        p,
        "run Buildroot in a podman/docker container with its host tools "
        "(default engine: podman, else docker; also $SKIFF_CONTAINER)",
    )
    p.add_argument("targets", nargs="+", metavar="TARGET")
    p.set_defaults(func=cmd_br)

    p = sub.add_parser("clean", help="remove the workspace's build output and final config")
    add_workspace_arg(p)
    p.add_argument("--yes", action="store_true", help="do not ask")
    p.set_defaults(func=cmd_clean)


def _use_container(ctx: Context, args) -> None:
    """--container is SKIFF_CONTAINER for this run (the TUI's builds read the same variable)."""
    from ..core.builds.container import ENV_VAR

    if getattr(args, "container", None):
        ctx.env[ENV_VAR] = args.container


def _report(result, workspace, out=sys.stdout) -> None:
    from ..core.errors import excerpt as cut  # a 50 MB value is not repeated in a report line

    chain = result.chain
    if result.skipped:
        print(
            f"skiff: workspace {workspace.name!r} is up to date ({','.join(chain.names)}); nothing to configure",
            file=out,
        )
        return
    print(f"skiff: configured workspace {workspace.name!r}: {','.join(chain.names)}", file=out)
    for note in result.notes:
        print(f"  note: {cut(note, 400)}", file=out)
    for _kind, final, earlier in result.overridden:
        for a in earlier:
            print(
                f"  redefined: {final.symbol} {cut(a.shown_value)} ({a.origin}) -> {cut(final.shown_value)} "
                f"({final.origin})",
                file=out,
            )
    for assignment, got in result.not_stuck:
        print(
            f"  did not stick: {assignment.symbol} requested {cut(assignment.shown_value)} by {assignment.origin}, "
            f"Buildroot gives {cut(got) if got is not None else 'nothing (unknown symbol or unmet dependency)'}",
            file=out,
        )


def fetch_progress_bar(out=sys.stderr, width: int = 30):
    """git's progress on one rewritten terminal line (a bar per phase); None when `out` is not a
    terminal (then the fetch logs a few plain lines instead)."""
    if not out.isatty():
        return None
    state = {"phase": None}

    def show(p) -> None:
        if state["phase"] not in (None, p.phase):
            out.write("\n")
        state["phase"] = p.phase
        filled = p.percent * width // 100
        out.write(f"\rskiff: fetching Buildroot [{'#' * filled}{'-' * (width - filled)}] {p.line()}\x1b[K")
        if p.percent >= 100 and p.phase == "Updating files":
            out.write("\n")
        out.flush()

    return show


def cmd_configure(args) -> int:
    from ..core.builds.configure import configure

    ctx = context(args)
    result = configure(ctx.session, args.selection, force=args.force, log=output.info, progress=fetch_progress_bar())
    if output.verbosity() > output.QUIET:
        _report(result, ctx.workspace)
    return 0


def _configured(ctx: Context, lock_held: bool):
    from ..core.builds.configure import configure

    result = configure(ctx.session, locked=lock_held, log=output.info, progress=fetch_progress_bar())
    _report_configured(ctx, result)
    return result


def _report_configured(ctx: Context, result) -> None:
    if not result.skipped and output.verbosity() > output.QUIET:
        _report(result, ctx.workspace, out=sys.stderr)


def _run_target(ctx: Context, result, target: str | None) -> int:
    from ..core.builds.compile import build_run

    return _run_build(ctx, build_run(ctx.session, result, target, log=output.info))


def _run_build(ctx: Context, run) -> int:
    from ..core.builds.build import BuildStatus, run_build

    output.detail("running: " + " ".join(run.argv))
    record = run_build(
        ctx.workspace,
        run.argv,
        env=run.env,
        chain=run.chain,
        target=run.target,
        echo=None if output.verbosity() == output.QUIET else sys.stdout,
    )
    if record.status != BuildStatus.SUCCEEDED:
        failure = record.failure
        if failure is not None and (failure.package or failure.step):
            where = (
                f"in {failure.package} ({failure.step or 'unknown step'})"
                if failure.package
                else f"in the {failure.step}"
            )
            print(f"skiff: {output.paint('build failed', 'error', sys.stderr)} {where}", file=sys.stderr)
            for line in failure.lines[:10]:
                print(f"  {line}", file=sys.stderr)
            if failure.hint:
                print(f"  {failure.hint}", file=sys.stderr)
            for action in failure.next_actions:
                print(f"  next: {action}", file=sys.stderr)
        how = " by SIGKILL (out of memory, or someone ran kill -9)" if record.status == BuildStatus.KILLED else ""
        print(f"skiff: build {record.status}{how} (log: {record.log_path})", file=sys.stderr)
        return 1
    return 0


def _run_plain(ctx: Context, result, target: str) -> int:
    """A target that builds nothing (graph-depends, legal-info, source…): run in the terminal,
    no build record, so it never shows up as a build in `skiff logs --list` or the TUI."""
    from ..core.builds.compile import build_run

    run = build_run(ctx.session, result, target, log=output.info)
    output.detail("running: " + " ".join(run.argv))
    code = subprocess.run(run.argv, env=run.env, stdin=subprocess.DEVNULL).returncode
    if code != 0:
        output.error(f"make {target} failed (exit {code})")
        return 1
    return 0


def cmd_compile(args) -> int:
    from ..core.builds.compile import prepare_compile

    ctx = context(args)
    _use_container(ctx, args)
    with ctx.workspace.lock():
        result, run = prepare_compile(ctx.session, log=output.info, progress=fetch_progress_bar())
        _report_configured(ctx, result)
        return _run_build(ctx, run)


def cmd_br(args) -> int:
    from ..core.builds.brtargets import is_build

    ctx = context(args)
    _use_container(ctx, args)
    status = 0
    with ctx.workspace.lock():
        result = _configured(ctx, lock_held=True)
        for target in args.targets:
            if target.endswith(INTERACTIVE_SUFFIXES):
                status = _interactive(ctx, result, target)
            elif not is_build(target):
                status = _run_plain(ctx, result, target)
            else:
                status = _run_target(ctx, result, target)  # a build: recorded like compile's
            if status:
                break
    return status


def _interactive(ctx: Context, result, target: str) -> int:
    """menuconfig & co. get the real terminal; afterwards the change is saved as a delta fragment."""
    from ..core.builds import buildroot
    from ..core.builds.compile import build_run
    from ..core.editors.delta import config_delta, save_delta

    config = ctx.workspace.dir / ".config"
    before = buildroot.read_config(config)
    run = build_run(ctx.session, result, target, interactive=True, log=output.info)
    code = subprocess.run(run.argv, env=run.env).returncode
    if code != 0:
        print(f"skiff: {target} exited with {code}; nothing saved", file=sys.stderr)
        return code
    if target.startswith(("linux-", "busybox-", "uboot-")):
        return 0  # package-level configs live in the package's build dir; nothing to fold back
    path = save_delta(ctx.workspace, config_delta(before, buildroot.read_config(config)))
    print(f"skiff: saved your changes to {path}" if path else "skiff: no changes", file=sys.stderr)
    return 0


def cmd_clean(args) -> int:
    from ..core.errors import WorkspaceError

    ctx = context(args)
    ws = ctx.workspace
    if not (args.yes or ctx.env.get("SKIFF_NO_INTERACTIVE")):
        if not sys.stdin.isatty():
            raise WorkspaceError(
                "refusing to clean without confirmation", hint="pass --yes or set SKIFF_NO_INTERACTIVE=1"
            )
        answer = input(f"Remove {ws.dir} and {ws.final_dir}? Type the workspace name to confirm: ")
        if answer.strip() != ws.name:
            print("skiff: not cleaned", file=sys.stderr)
            return 1
    ws.clean()
    print(f"skiff: cleaned workspace {ws.name!r}")
    return 0
