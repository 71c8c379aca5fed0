"""Builds started by this TUI process, owned by the app rather than by a screen.

The Build screen follows the app's workspace, so a build must not live in the screen: it runs here
in its own thread, holding its workspace's lock, until it ends, whichever workspace is shown. The
Build screen finds the build of the workspace it shows (`BuildRuns.get`); quitting asks about every
build still running (`BuildRuns.active`).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Callable, Protocol

from ..core.errors import SkiffError

if TYPE_CHECKING:  # the build engine loads when a build starts, not with the app
    from ..core.builds import build as engine
    from ..core.workspace import Workspace


class Request(Protocol):
    """What a build runs (screens/build.py's BuildRequest; `skiff compile` prepares the same)."""

    argv: list[str]
    env: dict[str, str]
    chain: list[str]
    target: str
    total: int | None


class BuildRun:
    """One build this process started: preparing (configure, show-info), then running."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.handle: engine.BuildHandle | None = None
        self.error: SkiffError | None = None
        self.finished = threading.Event()
        self.cancel_requested = False
        self.thread: threading.Thread | None = None

    @property
    def active(self) -> bool:
        return not self.finished.is_set()

    @property
    def build_id(self) -> str | None:
        return self.handle.record.id if self.handle is not None else None

    def describe(self) -> str:
        rec = self.handle.record if self.handle is not None else None
        if rec is None:
            return f"workspace {self.workspace.name}: preparing"
        where = " ".join(x for x in (rec.package, rec.step) if x)
        done = f"{rec.done}/{rec.total}" if rec.total else f"{rec.done} installed"
        return f"workspace {self.workspace.name}: build {rec.id}, {done}" + (f", {where}" if where else "")


class BuildRuns:
    def __init__(
        self, notify: Callable[..., None] | None = None, on_change: Callable[[BuildRun, bool], None] | None = None
    ) -> None:
        self._runs: dict[str, BuildRun] = {}
        self._lock = threading.Lock()
        self._notify = notify or (lambda *a, **k: None)
        # Called when a build starts (ended=False, from the caller's thread) and when it ends
        # (ended=True, from the build's thread).
        self._on_change = on_change or (lambda run, ended: None)

    @staticmethod
    def _key(workspace: Workspace) -> str:
        return str(workspace.dir)

    def get(self, workspace: Workspace) -> BuildRun | None:
        """The active build of `workspace` started here, if any."""
        with self._lock:
            run = self._runs.get(self._key(workspace))
        return run if run is not None and run.active else None

    def active(self) -> list[BuildRun]:
        with self._lock:
            return [r for r in self._runs.values() if r.active]

    def start(self, workspace: Workspace, request: Callable[[], Request]) -> BuildRun:
        """Take the workspace lock, build the request (what `skiff compile` would run) and run it,
        all in a thread; SkiffErrors are reported through `notify`."""
        with self._lock:
            old = self._runs.get(self._key(workspace))
            if old is not None and old.active:
                raise SkiffError(f"a build is already running in workspace {workspace.name}")
            run = BuildRun(workspace)
            self._runs[self._key(workspace)] = run
        run.thread = threading.Thread(
            target=self._run, args=(run, request), daemon=True, name=f"skiff-build-{workspace.name}"
        )
        run.thread.start()
        self._changed(run, ended=False)
        return run

    def _changed(self, run: BuildRun, ended: bool) -> None:
        try:
            self._on_change(run, ended)
        except Exception:  # the app is gone (quitting): nobody to tell
            pass

    def _run(self, run: BuildRun, request: Callable[[], Request]) -> None:
        lock = None
        try:
            lock = run.workspace.lock("skiff tui: build").acquire()
            req = request()
            if run.cancel_requested:
                return
            from ..core.builds import build as engine

            run.handle = engine.start_build(
                run.workspace, req.argv, env=req.env, chain=req.chain, target=req.target, total=req.total
            )
            if run.cancel_requested:
                run.handle.cancel()
            run.handle.wait()
        except SkiffError as exc:
            run.error = exc
            self._notify(str(exc), severity="error", timeout=8)
        except Exception as exc:  # a bug: one line, never a traceback on screen
            run.error = SkiffError(f"internal error: {type(exc).__name__}: {exc}")
            self._notify(str(run.error), severity="error", timeout=10)
        finally:
            if lock is not None:
                lock.release()
            run.finished.set()
            self._changed(run, ended=True)

    def cancel(self, run: BuildRun, grace: float = 10.0) -> None:
        """SIGINT/SIGTERM/SIGKILL the build (blocking: call from a thread)."""
        run.cancel_requested = True
        if run.handle is not None and run.handle.running():
            run.handle.cancel(grace)

    def cancel_all(self, grace: float = 5.0, wait: float = 30.0) -> None:
        runs = self.active()
        for run in runs:
            self.cancel(run, grace)
        for run in runs:
            run.finished.wait(wait)
