"""Builds as child processes: a per-build log file, a state record other processes can read,
progress from Buildroot's stamps, cancel, and interrupted-build detection
(docs/behaviour.md#buildroot, #builds-and-logs).

The caller holds the workspace lock; this module does not lock. Each build writes
`<logs_dir>/<id>.log` (all output, stdout and stderr merged) and `<logs_dir>/<id>.json` (the
`BuildRecord`, rewritten atomically). A record says `running` only while its owner process (the
skiff process that started it and tees its output) is alive; readers that find a dead (or reused)
owner pid rewrite it as `interrupted`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import select
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from enum import StrEnum
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from .. import atomic, readonly, safepath
from ..errors import BuildrootError, SkiffError
from ..procs import pid_alive, proc_start_time, stop_group
from ..workspace import Workspace
from ..workspace_state import JsonObject
from . import buildlog

# `make show-info`'s JSON: package name -> Buildroot's fields for it (type, version, stamp_dir, …).
ShowInfo = dict[str, dict[str, Any]]


class BuildStatus(StrEnum):
    """A build record's status; its value is what records and --json say."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"  # its skiff owner is gone (killed, the machine went down)
    KILLED = "killed"  # make ended by SIGKILL (the OOM killer, a user's kill -9): not a package failure


# The members by their short names, as the screens compare with them.
RUNNING, SUCCEEDED, FAILED = BuildStatus.RUNNING, BuildStatus.SUCCEEDED, BuildStatus.FAILED
CANCELLED, INTERRUPTED, KILLED = BuildStatus.CANCELLED, BuildStatus.INTERRUPTED, BuildStatus.KILLED

DEFAULT_KEEP = 20
RECORD_INTERVAL = 0.25  # seconds between progress rewrites of the record
POLL_INTERVAL = 0.25  # build-time.log / stamps polling while output is quiet
PROGRESS_LINE = re.compile(r"^(?:\x1b\[[0-9;]*m)?>>> .*$", re.M)
ID_RE = re.compile(r"[0-9]{8}-[0-9]{6}-[0-9a-f]{4}\Z")


@dataclass
class BuildRecord:
    id: str
    workspace: str
    pid: int | None  # the build's child process (leader of its process group)
    command: list[str]
    target: str
    chain: list[str]
    started: float
    ended: float | None
    status: BuildStatus
    exit_code: int | None
    package: str | None
    step: str | None
    done: int
    total: int | None
    log_path: str
    failure: buildlog.BuildFailure | None
    # Added beyond the agreed API:
    owner_pid: int | None = None  # the skiff process teeing the output; liveness is judged on it
    owner_start: int | None = None  # its /proc start time (clock ticks), to detect pid reuse
    pid_start: int | None = None
    eta: float | None = None  # seconds remaining, from the previous successful build
    updated: float | None = None

    @property
    def duration(self) -> float | None:
        end = self.ended if self.ended is not None else (time.time() if self.status == BuildStatus.RUNNING else None)
        return None if end is None else max(0.0, end - self.started)

    @property
    def record_path(self) -> Path:
        return Path(self.log_path).with_suffix(".json")

    def to_dict(self) -> JsonObject:
        """The record as JSON stores it (the field order of the class)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        if self.failure is not None:
            out["failure"] = self.failure.to_dict()
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, data: JsonObject) -> BuildRecord:
        """A stored record; keys of other versions are dropped. ValueError for an unknown status."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        values["status"] = BuildStatus(str(values.get("status")))
        failure = values.get("failure")
        values["failure"] = buildlog.BuildFailure.from_dict(failure) if isinstance(failure, dict) else None
        return cls(**values)

    def save(self, *, fsync: bool = False) -> None:
        self.updated = time.time()
        # Records live in <workspace>/skiff-logs/: the workspace dir is their tree.
        atomic.write_text(self.record_path, self.to_json(), within=self.record_path.parent.parent, fsync=fsync)


# --- processes -----------------------------------------------------------------------------------


def _is_live(rec: BuildRecord) -> bool:
    if rec.owner_pid is not None:
        return pid_alive(rec.owner_pid, rec.owner_start)
    return pid_alive(rec.pid, rec.pid_start)


# --- records -------------------------------------------------------------------------------------


def _load(path: Path) -> BuildRecord | None:
    try:
        return BuildRecord.from_dict(json.loads(path.read_text()))
    except (FileNotFoundError, ValueError, TypeError, OSError):
        return None


def load_record(workspace: Workspace, build_id: str) -> BuildRecord | None:
    rec = _load(Path(workspace.logs_dir) / f"{build_id}.json")
    return _settle(rec) if rec else None


def _settle(rec: BuildRecord) -> BuildRecord:
    """A `running` record whose owner is gone becomes `interrupted` (and is rewritten so)."""
    if rec.status == BuildStatus.RUNNING and not _is_live(rec):
        rec.status = BuildStatus.INTERRUPTED
        try:
            rec.ended = os.stat(rec.log_path).st_mtime
        except OSError:
            rec.ended = rec.updated or time.time()
        rec.ended = max(rec.ended, rec.started)
        if not readonly.is_read_only():  # a read-only viewer gets the right answer, nothing written
            try:
                rec.save(fsync=True)
            except (OSError, SkiffError):
                pass  # a viewer may lack write access; the answer is still right
    return rec


def list_builds(workspace: Workspace) -> list[BuildRecord]:
    """Every build record of the workspace, newest first; dead `running` ones become interrupted."""
    out = []
    try:
        entries = list(os.scandir(workspace.logs_dir))
    except FileNotFoundError:
        return []
    for entry in entries:
        if entry.name.endswith(".json") and ID_RE.match(entry.name[:-5]):
            rec = _load(Path(entry.path))
            if rec is not None:
                out.append(_settle(rec))
    out.sort(key=lambda r: (r.started, r.id), reverse=True)
    return out


def _newest_with(workspace: Workspace, status: BuildStatus) -> BuildRecord | None:
    return next((rec for rec in list_builds(workspace) if rec.status == status), None)


def current_build(workspace: Workspace) -> BuildRecord | None:
    return _newest_with(workspace, BuildStatus.RUNNING)


def running_builds(root: Path) -> list[tuple[str, BuildRecord]]:
    """(workspace name, record) of every running build under the skiff tree `root`."""
    from ..workspace import list_workspaces

    out = []
    for name in list_workspaces(root):
        rec = current_build(Workspace(root, name))
        if rec is not None:
            out.append((name, rec))
    return out


def last_successful(workspace: Workspace) -> BuildRecord | None:
    return _newest_with(workspace, BuildStatus.SUCCEEDED)


@readonly.mutating("removing old build logs")
def prune(workspace: Workspace, keep: int | None = None) -> list[str]:
    """Delete the logs and records of all but the newest `keep` builds (never a running one)."""
    if keep is None:
        try:
            keep = int(os.environ.get("SKIFF_KEEP_BUILDS", DEFAULT_KEEP))
        except ValueError:
            keep = DEFAULT_KEEP
    keep = max(1, keep)
    removed = []
    for rec in list_builds(workspace)[keep:]:
        if rec.status == BuildStatus.RUNNING:
            continue
        for path in (Path(rec.log_path), rec.record_path):
            try:
                path.unlink()
            except FileNotFoundError:
                pass
        removed.append(rec.id)
    return removed


def end_orphaned_builds(workspace: Workspace) -> list[int]:
    """A build whose skiff owner was killed may leave its make group running (until it next writes
    to the dead pipe). Before configure or a new build proceeds (the caller holds the lock) end
    such leftovers. Returns their pids."""
    ended = []
    for rec in list_builds(workspace):
        if rec.status == BuildStatus.INTERRUPTED and rec.pid and rec.pid_start and pid_alive(rec.pid, rec.pid_start):
            stop_group(rec.pid)
            ended.append(rec.pid)
    return ended


def _child_env(env: dict[str, str]) -> dict[str, str]:
    """The child's environment: `env` itself when it is a full environment (it has PATH, as
    buildroot.make_env's result does — so variables it dropped, like MAKEFLAGS, stay dropped);
    otherwise `env` laid over os.environ. TERM is always `dumb`."""
    base = dict(env) if "PATH" in env else {**os.environ, **env}
    base["TERM"] = "dumb"
    return base


# --- progress ------------------------------------------------------------------------------------


def _config_digest(workspace: Workspace) -> str | None:
    try:
        return hashlib.sha256((Path(workspace.dir) / ".config").read_bytes()).hexdigest()[:20]
    except FileNotFoundError:
        return None


def _show_info_cache(workspace: Workspace, digest: str) -> Path:
    return Path(workspace.dir) / ".skiff-cache" / f"show-info-{digest}.json"


def load_show_info(workspace: Workspace) -> ShowInfo | None:
    """The cached `show-info` JSON for the workspace's current .config, if computed."""
    digest = _config_digest(workspace)
    if digest is None:
        return None
    try:
        info: ShowInfo = json.loads(_show_info_cache(workspace, digest).read_text())
        return info
    except (FileNotFoundError, ValueError):
        return None


def show_info(workspace: Workspace, make_argv_prefix: list[str], env: dict[str, str]) -> ShowInfo:
    """`make show-info` for the workspace, cached per .config digest (it takes 10–15 s)."""
    cached = load_show_info(workspace)
    if cached is not None:
        return cached
    # make show-info writes into the workspace (and so does the cache): not for a read-only viewer.
    readonly.guard("computing package information (make show-info)")
    digest = _config_digest(workspace)
    if digest is None:
        raise BuildrootError(
            "the workspace has no .config yet", path=Path(workspace.dir) / ".config", hint="run 'skiff configure' first"
        )
    full_env = _child_env(env)
    proc = subprocess.run(
        [*make_argv_prefix, "-s", "--no-print-directory", "show-info"],
        env=full_env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise BuildrootError(f"'make show-info' failed: {tail[0]}")
    text = proc.stdout
    start = text.find("{")
    try:
        info: ShowInfo = json.loads(text[start:] if start >= 0 else text)
    except ValueError as exc:
        raise BuildrootError(f"'make show-info' printed no JSON ({exc})") from exc
    cache = _show_info_cache(workspace, digest)
    atomic.write_text(cache, json.dumps(info), within=workspace.dir, fsync=False)
    for old in cache.parent.glob("show-info-*.json"):
        if old != cache:
            old.unlink(missing_ok=True)
    return info


def countable(info: ShowInfo) -> ShowInfo:
    return {name: entry for name, entry in info.items() if entry.get("type") != "rootfs"}


def show_info_total(workspace: Workspace, make_argv_prefix: list[str], env: dict[str, str]) -> int:
    """Number of packages a full build installs: the non-rootfs entries of show-info (cached)."""
    return len(countable(show_info(workspace, make_argv_prefix, env)))


def _installed(stamp_dir: Path, entry: dict[str, Any] | None, name: str) -> bool:
    if (stamp_dir / ".stamp_installed").exists():
        return True
    # Older trees / partial installs: the last applicable install stamp.
    if name.startswith("host-"):
        return (stamp_dir / ".stamp_host_installed").exists()
    if entry:
        needed = [
            s
            for flag, s in (
                ("install_target", ".stamp_target_installed"),
                ("install_staging", ".stamp_staging_installed"),
                ("install_images", ".stamp_images_installed"),
            )
            if entry.get(flag)
        ]
        return bool(needed) and all((stamp_dir / s).exists() for s in needed)
    return False


def installed_packages(
    workspace: Workspace, info: ShowInfo | None = None, seen: dict[str, str] | None = None
) -> set[str]:
    """Names of the packages whose install stamps exist under <O>/build."""
    base = Path(workspace.dir)
    done = set()
    if info:
        for name, entry in countable(info).items():
            stamp_dir = entry.get("stamp_dir") or entry.get("build_dir")
            if stamp_dir and _installed(base / stamp_dir, entry, name):
                done.add(name)
        return done
    try:
        entries = list(os.scandir(base / "build"))
    except FileNotFoundError:
        return done
    for dir_entry in entries:
        if dir_entry.is_dir() and not dir_entry.name.startswith("."):
            name = buildlog.package_from_build_dir(dir_entry.name, seen)
            if _installed(Path(dir_entry.path), None, name):
                done.add(name)
    return done


def record_durations(workspace: Workspace, record: BuildRecord) -> dict[str, float]:
    """Seconds per package spent during one build, from Buildroot's build-time.log (the log is
    appended by every build in the workspace: only this build's span counts)."""
    return _durations_between(workspace, record.started, record.ended)


def _durations_between(workspace: Workspace, start: float, end: float | None) -> dict[str, float]:
    events = buildlog.read_build_time(Path(workspace.dir) / "build" / "build-time.log")
    events = [e for e in events if e.time >= start and (end is None or e.time <= end + 1)]
    return buildlog.package_durations(events)


# --- running a build -----------------------------------------------------------------------------


def _new_id() -> str:
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(2)


class BuildHandle:
    """A running build started by this process."""

    def __init__(
        self,
        workspace: Workspace,
        record: BuildRecord,
        proc: subprocess.Popen[bytes],
        log_fd: int,
        on_lines: Callable[[list[str]], None] | None,
        echo: TextIO | None,
        info: ShowInfo | None,
        prev_durations: dict[str, float],
    ) -> None:
        self.workspace = workspace
        self.record = record
        self.proc = proc
        self._log_fd = log_fd
        self._on_lines = on_lines
        self._echo = echo
        self._info = info
        self._stamp_names = (
            {(e.get("stamp_dir") or "").rsplit("/", 1)[-1]: n for n, e in countable(info).items()} if info else {}
        )
        self._prev = prev_durations
        self._seen: dict[str, str] = {}
        self._cancelled = threading.Event()
        self._lock = threading.RLock()
        self._last_write = 0.0
        self._dirty = False
        self._pkg_started = time.time()
        self._bt_path = Path(workspace.dir) / "build" / "build-time.log"
        try:
            self._bt_offset = self._bt_path.stat().st_size
        except FileNotFoundError:
            self._bt_offset = 0
        self._last_poll = 0.0
        self._done_set: set[str] = set()
        self._refresh_done()
        self._reader = threading.Thread(target=self._read_loop, name=f"build-{record.id}", daemon=True)
        self._reader.start()

    # -- reader thread --
    def _read_loop(self) -> None:
        stdout = self.proc.stdout
        assert stdout is not None  # started with stdout=PIPE
        fd = stdout.fileno()
        partial = b""
        try:
            while True:
                ready, _, _ = select.select([fd], [], [], POLL_INTERVAL)
                if ready:
                    try:
                        chunk = os.read(fd, 1 << 16)
                    except OSError:
                        chunk = b""
                    if not chunk:
                        break
                    self._write_log(chunk)
                    data = partial + chunk
                    cut = data.rfind(b"\n")
                    if cut < 0:
                        partial = data
                        if len(partial) > 1 << 20:  # a pathological unterminated line
                            self._lines(partial)
                            partial = b""
                        continue
                    partial = data[cut + 1 :]
                    self._lines(data[:cut])
                    time.sleep(0)  # hand the GIL over now (a UI thread may be waiting to paint)
                self._poll()
            if partial:
                self._lines(partial)
        finally:
            try:
                stdout.close()
            except OSError:
                pass

    def _write_log(self, chunk: bytes) -> None:
        view = memoryview(chunk)
        while view:
            written = os.write(self._log_fd, view)
            view = view[written:]

    def _lines(self, data: bytes) -> None:
        """A block of complete lines (final newline removed). All per-line work is done by C
        calls (one decode, one split, a regex for `>>>` lines), so a flood of output costs the
        GIL little and the UI thread stays responsive."""
        text = data.decode("utf-8", "replace")
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        if self._echo is not None:
            try:
                self._echo.write(text + "\n")
                self._echo.flush()
            except (OSError, ValueError):
                self._echo = None
        if ">>>" in text:
            for match in PROGRESS_LINE.finditer(text):
                ev = buildlog.parse_progress(match.group())
                if ev is not None:
                    self._event(ev)
        if self._on_lines is not None:
            try:
                self._on_lines(text.split("\n"))
            except Exception:  # a UI callback must never stop the tee
                pass

    def _event(self, ev: buildlog.ProgressEvent) -> None:
        rec = self.record
        with self._lock:
            if ev.name:
                self._seen[f"{ev.name}-{ev.version}" if ev.version else ev.name] = ev.name
                if ev.name != rec.package:
                    self._pkg_started = time.time()
                    self._refresh_done()
                rec.package = ev.name
                rec.step = ev.step or ev.text
            else:
                if rec.package is not None:
                    self._refresh_done()
                rec.package = None
                rec.step = ev.text
            self._dirty = True
        self._maybe_save()

    def _poll(self) -> None:
        now = time.time()
        if now - self._last_poll < POLL_INTERVAL:
            self._maybe_save()
            return
        self._last_poll = now
        # build-time.log: push-free live events (reliable under parallel builds too).
        try:
            with open(self._bt_path, "rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if size < self._bt_offset:
                    self._bt_offset = 0
                handle.seek(self._bt_offset)
                data = handle.read()
        except FileNotFoundError:
            data = b""
        if data:
            cut = data.rfind(b"\n") + 1
            self._bt_offset += cut
            events = buildlog.parse_build_time(data[:cut].decode("utf-8", "replace"))
            if events:
                with self._lock:
                    last = events[-1]
                    if last.kind == "start":
                        if last.package != self.record.package:
                            self._pkg_started = last.time
                        self.record.package, self.record.step = last.package, last.step
                    self._refresh_done()
                    self._dirty = True
        self._maybe_save()

    def _refresh_done(self) -> None:
        names = installed_packages(self.workspace, self._info, self._seen)
        self._done_set = names
        self.record.done = len(names)
        if self._prev:
            remaining = sum(d for p, d in self._prev.items() if p not in names)
            if self.record.package in self._prev and self.record.package not in names:
                remaining -= min(self._prev[self.record.package], time.time() - self._pkg_started)
            self.record.eta = max(0.0, remaining)
        self._dirty = True

    def _maybe_save(self, force: bool = False) -> None:
        now = time.time()
        if not force and (not self._dirty or now - self._last_write < RECORD_INTERVAL):
            return
        with self._lock:
            self._last_write = now
            self._dirty = False
            if self.record.status == BuildStatus.RUNNING or force:
                self.record.save(fsync=force)

    # -- public --
    def wait(self) -> BuildRecord:
        code = self.proc.wait()
        self._reader.join()
        if self._log_fd >= 0:
            os.close(self._log_fd)
            self._log_fd = -1
        rec = self.record
        if rec.status != BuildStatus.RUNNING:
            return rec
        with self._lock:
            self._refresh_done()
            rec.exit_code = code
            rec.ended = time.time()
            if self._cancelled.is_set():
                rec.status = BuildStatus.CANCELLED
            elif code == 0:
                rec.status = BuildStatus.SUCCEEDED
                rec.package, rec.step, rec.eta = None, None, 0.0
            elif code == -signal.SIGKILL:
                rec.status = BuildStatus.KILLED
            else:
                rec.status = BuildStatus.FAILED
            if rec.status != BuildStatus.SUCCEEDED:
                try:
                    summary = buildlog.summarize_log_file(rec.log_path, self._stamp_names or None)
                except OSError:
                    summary = None
                if rec.status == BuildStatus.FAILED:
                    # No make error in the log: say where the progress lines had got to.
                    rec.failure = summary or buildlog.BuildFailure(rec.package, rec.step, [], None, [], [])
                    if rec.failure.package:
                        rec.package, rec.step = rec.failure.package, rec.failure.step
        self._maybe_save(force=True)
        return rec

    def running(self) -> bool:
        return self.proc.poll() is None

    def cancel(self, grace: float = 10.0) -> None:
        """SIGINT to the build's process group; SIGTERM after `grace` s, SIGKILL after another."""
        self._cancelled.set()
        for sig, delay in ((signal.SIGINT, grace), (signal.SIGTERM, max(1.0, grace / 2)), (signal.SIGKILL, None)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                return
            if delay is None:
                return
            try:
                self.proc.wait(timeout=delay)
                return
            except subprocess.TimeoutExpired:
                continue


@readonly.mutating("starting a build")
def start_build(
    workspace: Workspace,
    argv: list[str],
    *,
    env: dict[str, str],
    chain: list[str],
    target: str,
    total: int | None = None,
    on_lines: Callable[[list[str]], None] | None = None,
    echo: TextIO | None = None,
) -> BuildHandle:
    """Start `argv` (e.g. make -C <br> O=<ws> …) in its own process group, teeing its merged output
    to <logs_dir>/<id>.log; the record goes to <logs_dir>/<id>.json. The caller holds the lock.
    `env` is the child's environment (see _child_env); TERM is forced to `dumb` (plain `>>>` lines)."""
    if not argv or not all(isinstance(a, str) for a in argv):
        raise BuildrootError("a build command must be a non-empty list of strings")
    logs = safepath.mkdir(workspace.logs_dir, base=workspace.dir)
    end_orphaned_builds(workspace)
    build_id = _new_id()
    while (logs / f"{build_id}.json").exists():
        build_id = _new_id()
    log_path = logs / f"{build_id}.log"
    info = load_show_info(workspace)
    if total is None and info is not None:
        total = len(countable(info))
    prev = last_successful(workspace)
    prev_durations = _durations_between(workspace, prev.started, prev.ended) if prev else {}

    log_fd = safepath.open_nofollow(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644, base=workspace.dir)
    full_env = _child_env(env)
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=full_env,
            cwd=str(workspace.dir) if Path(workspace.dir).is_dir() else None,
            start_new_session=True,
            close_fds=True,
        )
    except OSError as exc:
        os.close(log_fd)
        log_path.unlink(missing_ok=True)
        raise BuildrootError(f"cannot start {argv[0]}: {exc.strerror or exc}") from exc
    now = time.time()
    record = BuildRecord(
        id=build_id,
        workspace=workspace.name,
        pid=proc.pid,
        command=list(argv),
        target=target,
        chain=list(chain),
        started=now,
        ended=None,
        status=BuildStatus.RUNNING,
        exit_code=None,
        package=None,
        step=None,
        done=0,
        total=total,
        log_path=str(log_path),
        failure=None,
        owner_pid=os.getpid(),
        owner_start=proc_start_time(os.getpid()),
        pid_start=proc_start_time(proc.pid),
    )
    record.save(fsync=True)
    prune(workspace)
    return BuildHandle(workspace, record, proc, log_fd, on_lines, echo, info, prev_durations)


def run_build(
    workspace: Workspace,
    argv: list[str],
    *,
    env: dict[str, str],
    chain: list[str],
    target: str,
    total: int | None = None,
    echo: TextIO | None = None,
    grace: float = 10.0,
) -> BuildRecord:
    """Blocking build. Ctrl-C (KeyboardInterrupt) or SIGTERM cancels the build's process group
    (the child runs in its own session, so the terminal's SIGINT does not reach it directly)."""
    handle = start_build(workspace, argv, env=env, chain=chain, target=target, total=total, echo=echo)
    old_term = None
    if threading.current_thread() is threading.main_thread():

        def _on_term(signum: int, frame: FrameType | None) -> None:
            raise KeyboardInterrupt

        old_term = signal.signal(signal.SIGTERM, _on_term)
    try:
        while True:
            try:
                return handle.wait()
            except KeyboardInterrupt:
                handle.cancel(grace)
    finally:
        if old_term is not None:
            signal.signal(signal.SIGTERM, old_term)


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(round(seconds))
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
