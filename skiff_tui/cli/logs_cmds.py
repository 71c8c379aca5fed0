"""logs: print or follow a build log, list past builds, list running builds everywhere.

Read-only by nature: it never takes the workspace lock, so it works while another process builds
(and under `skiff tui --read-only` / an sshd forced command).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from .common import add_workspace_arg, context


def register(sub) -> None:
    p = sub.add_parser("logs", help="print or follow a build log; list past and running builds")
    add_workspace_arg(p)
    p.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help="print this log file instead of a build's (with -f: keep printing as it grows)",
    )
    p.add_argument("-f", "--follow", action="store_true", help="keep printing as the build writes, until it ends")
    p.add_argument("--build", "-b", metavar="ID", help="a past build's id (default: the running or latest one)")
    p.add_argument("--lines", "-n", type=int, metavar="N", help="only the last N lines")
    p.add_argument("--list", "-l", action="store_true", help="list past builds (time, chain, result, duration)")
    p.add_argument("--all", "-a", action="store_true", help="with --list: every running build in all workspaces")
    p.add_argument("--json", action="store_true", help="with --list: machine-readable output")
    p.set_defaults(func=cmd_logs)


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ts))


def _result(rec) -> str:
    from ..core.builds.build import BuildStatus

    if rec.status == BuildStatus.RUNNING:
        total = f"/{rec.total}" if rec.total else ""
        where = f" {rec.package or ''} {rec.step or ''}".rstrip()
        return f"running {rec.done}{total}{where}"
    if rec.status == BuildStatus.FAILED and rec.failure and rec.failure.package:
        return f"failed: {rec.failure.package} ({rec.failure.step})"
    return str(rec.status)


def _table(rows: list[list[str]], out) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")


def cmd_logs(args) -> int:
    from ..core.builds import build
    from ..core.errors import WorkspaceError

    out = sys.stdout
    if getattr(args, "file", None):
        try:
            return _print_file(args.file, follow=args.follow, last=args.lines, out=out)
        except BrokenPipeError:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return 0
    ctx = context(args)
    try:
        if args.list and args.json:
            return _list_json(ctx, args.all, out)
        if args.list and args.all:
            rows = [["WORKSPACE", "BUILD", "PID", "STARTED", "CHAIN", "PROGRESS", "ELAPSED"]]
            for name, rec in build.running_builds(ctx.root):
                rows.append(
                    [
                        name,
                        rec.id,
                        str(rec.pid),
                        _when(rec.started),
                        ",".join(rec.chain) or "-",
                        _result(rec),
                        build.format_duration(rec.duration),
                    ]
                )
            if len(rows) == 1:
                out.write("no builds running\n")
            else:
                _table(rows, out)
            return 0
        ws = ctx.workspace
        records = build.list_builds(ws)
        if args.list:
            if not records:
                out.write(f"no builds in workspace {ws.name!r}\n")
                return 0
            rows = [["BUILD", "STARTED", "TARGET", "CHAIN", "RESULT", "DURATION"]]
            for rec in records:
                rows.append(
                    [
                        rec.id,
                        _when(rec.started),
                        rec.target,
                        ",".join(rec.chain) or "-",
                        _result(rec),
                        build.format_duration(rec.duration),
                    ]
                )
            _table(rows, out)
            return 0
        if args.build:
            chosen = build.load_record(ws, args.build)
            if chosen is None:
                raise WorkspaceError(
                    f"no build {args.build!r} in workspace {ws.name!r}", hint="see 'skiff logs --list'"
                )
        else:
            running = (r for r in records if r.status == build.BuildStatus.RUNNING)
            chosen = next(running, records[0] if records else None)
            if chosen is None:
                raise WorkspaceError(f"no builds in workspace {ws.name!r} yet", hint="start one with 'skiff compile'")
        return _print_log(ws, chosen, follow=args.follow, last=args.lines, out=out)
    except BrokenPipeError:
        # `skiff logs | head`: the reader left; keep Python from complaining at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


def _list_json(ctx, everywhere: bool, out) -> int:
    """--list --json: the build records as they are stored (times in seconds since the epoch)."""
    import json

    from ..core.builds import build

    if everywhere:
        rows = [dict(rec.to_dict(), workspace=name) for name, rec in build.running_builds(ctx.root)]
    else:
        rows = [rec.to_dict() for rec in build.list_builds(ctx.workspace)]
    json.dump({"builds": rows}, out, indent=2)
    out.write("\n")
    return 0


def _byte_writer(out):
    """A function writing raw log bytes to `out` (its binary buffer when it has one, so log text
    in any encoding passes through unchanged)."""
    out.flush()
    sink = out.buffer if hasattr(out, "buffer") else None

    def emit(data: bytes) -> None:
        if sink is not None:
            sink.write(data)
            sink.flush()
        else:
            out.write(data.decode("utf-8", "replace"))

    return emit


def _print_log(ws, rec, *, follow: bool, last: int | None, out) -> int:
    from ..core.builds import build
    from ..core.errors import WorkspaceError

    emit = _byte_writer(out)

    try:
        handle = open(rec.log_path, "rb")
    except FileNotFoundError:
        raise WorkspaceError(f"the log of build {rec.id} is gone", path=rec.log_path) from None
    with handle:
        if last is not None:
            from ..core.builds.logindex import LogIndex

            with LogIndex(rec.log_path) as index:
                index.index_now()
                start = index.line_start(max(0, index.line_count - max(0, last)))
            handle.seek(start)
        while True:
            data = handle.read(1 << 20)
            if data:
                emit(data)
                continue
            if not follow or rec.status != build.BuildStatus.RUNNING:
                break
            time.sleep(0.2)
            rec = build.load_record(ws, rec.id) or rec
            if rec.status != build.BuildStatus.RUNNING:
                emit(handle.read())
                break
    if follow:
        err = sys.stderr
        if rec.status == build.BuildStatus.FAILED and rec.failure:
            f = rec.failure
            err.write(f"skiff: build {rec.id} failed in {f.package or '?'} ({f.step or '?'})\n")
            if f.hint:
                err.write(f"  {f.hint}\n")
            for action in f.next_actions:
                err.write(f"  next: {action}\n")
        elif rec.status != build.BuildStatus.RUNNING:
            err.write(f"skiff: build {rec.id} {rec.status} after {build.format_duration(rec.duration)}\n")
    return 0


def _print_file(name: str, *, follow: bool, last: int | None, out) -> int:
    """Any log file: whole, its last N lines, or followed (until interrupted) like tail -f."""
    from ..core.builds.logindex import LogIndex
    from ..core.builds.logrange import log_file

    path = log_file(name, Path.cwd())
    emit = _byte_writer(out)

    with open(path, "rb") as handle:
        if last is not None:
            with LogIndex(path) as index:
                index.index_now()
                handle.seek(index.line_start(max(0, index.line_count - max(0, last))))
        try:
            while True:
                data = handle.read(1 << 20)
                if data:
                    emit(data)
                elif not follow:
                    break
                else:
                    time.sleep(0.2)
        except KeyboardInterrupt:
            pass
    return 0
