"""Build screen: start/cancel a build, progress (packages done/total), current package and step,
elapsed and ETA, the live log, and a failure panel with the summary and next actions.

Whoever started the build (this screen, `skiff compile`, another TUI), the screen shows it the same
way: it reads the build's record (`core.builds.build`) and follows its log file, so a read-only viewer
attaches to a build started by another process and follows it live. Start and cancel are absent in
read-only mode (and the engine refuses them anyway).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import ProgressBar, Static

from ...core.builds import build as engine
from ...core.builds.buildlog import BuildFailure
from ...core.errors import SkiffError
from ...core.workspace import Workspace
from ..widgets.logview import LogViewer
from . import SkiffScreen

if TYPE_CHECKING:
    from ...core.builds.gitprogress import GitProgress as FetchProgress
    from ...core.session import Session
    from ..buildruns import BuildRun


@dataclass
class BuildRequest:
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)
    chain: list[str] = field(default_factory=list)
    target: str = "all"
    total: int | None = None


def compile_request(
    session: Session,
    log: Callable[[str], None] = lambda m: None,
    progress: Callable[[Any], None] | None = None,
) -> BuildRequest:
    """What `skiff compile` runs (core.builds.compile, the same steps), for the TUI; call it with the
    workspace lock held."""
    from ...core.builds.compile import prepare_compile
    from ...core.builds.configure import make_argv

    workspace = session.workspace
    result, run = prepare_compile(session, log=log, progress=progress)
    total = None
    try:
        log("counting packages (make show-info, cached per .config)…")
        total = engine.show_info_total(workspace, make_argv(result.plan, workspace), run.env)
    except (SkiffError, ValueError):
        total = None
    return BuildRequest(run.argv, run.env, run.chain, run.target, total)


def short_chain(chain: list[str], limit: int = 40) -> str:
    """The chain on one line: whole when short, else first,…,last (count)."""
    text = ",".join(chain) or "-"
    return text if len(text) <= limit else f"{chain[0]},…,{chain[-1]} ({len(chain)})"


def failure_text(failure: BuildFailure) -> Text:
    """The failure panel: package, step, the log lines around the error and what to do next, as
    plain Text (package names and log lines are shown as they are, never as markup)."""
    pkg = failure.package or "unknown package"
    step = failure.step or "unknown step"
    out = Text.assemble((f"Build failed in {pkg}", "bold red"), " during ", (step, "bold"))
    for line in failure.lines[:12]:
        out.append(f"\n  {line}")
    if failure.make_error:
        out.append("\n")
        out.append(failure.make_error, style="dim")
    actions = failure.next_actions
    if failure.hint:
        out.append(f"\n{failure.hint}", style="yellow")
    if actions:
        out.append("\nNext: ")
        for i, action in enumerate(actions):
            out.append(("   " if i else "") + action, style="bold")
    others = [f for f in failure.failures if f.package != failure.package]
    if others:
        out.append("\nAlso failed: " + ", ".join(f"{f.package} ({f.step})" for f in others))
    return out


class BuildScreen(SkiffScreen):
    """The Build section of the app's workspace: Start runs what `skiff compile` runs
    (compile_request); the build belongs to the app (buildruns.py), so it outlives a workspace
    switch, and the screen follows whichever workspace the app shows."""

    SECTION = "build"
    BINDINGS = [
        Binding("s", "start", "Start", id="skiff.build.start"),
        Binding("x", "cancel", "Cancel", id="skiff.build.cancel"),
        Binding("l", "latest", "Latest", id="skiff.build.latest"),
        Binding("t", "times", "Times", id="skiff.build.times"),
        Binding("p", "push", "Push", id="skiff.build.push"),
    ]
    MUTATING = frozenset({"start", "cancel", "push"})
    POLL = 0.25  # seconds between reads of the shown build's record

    def __init__(self) -> None:
        super().__init__()
        self.record: engine.BuildRecord | None = None
        self._record_id: str | None = None
        self._had_run = False
        self._last_scan = 0.0
        self._push_target = ""  # the device address of the last push started here
        self._fetching: FetchProgress | None = None  # the first Buildroot fetch, while preparing

    @property
    def workspace(self) -> Workspace:
        return self.app.workspace

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        with Vertical(id="build-head"):
            yield Static("", id="build-title")
            with Horizontal(id="build-bar-row"):
                yield ProgressBar(total=None, show_eta=False, id="build-progress")
                yield Static("", id="build-info")
        yield Static("", id="build-failure")
        yield LogViewer(None, follow=True, id="build-log")
        yield from self.compose_bottom()

    def on_mount(self) -> None:
        super().on_mount()
        self.follow_app("workspace")
        self._refresh_record(force_scan=True)
        self.set_interval(self.POLL, self._tick)

    def load(self) -> None:
        """Another workspace: show its newest build (or the one this app runs there)."""
        self.record = None
        self._record_id = None
        self._fetching = None
        self._refresh_record(force_scan=True)

    def _tick(self) -> None:
        if self.is_current:  # a hidden Build screen reads nothing; it catches up when shown
            self._refresh_record()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self._refresh_record(force_scan=True)

    # --- bindings ---------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.MUTATING and self.read_only:
            return False  # absent from the footer and the keymap
        if action == "cancel" and self._run is None:
            return None  # shown disabled: nothing of ours to cancel
        if action == "start" and self._run is not None:
            return None  # shown disabled: this workspace's build is running
        return True

    @property
    def _run(self) -> BuildRun | None:
        """This workspace's build started by this app, while it is active (it outlives the screen)."""
        return self.app.build_runs.get(self.workspace)

    @property
    def _handle(self) -> engine.BuildHandle | None:
        run = self._run
        return run.handle if run is not None else None

    def action_start(self) -> None:
        if self.read_only:
            return
        workspace = self.workspace
        try:
            self.app.build_runs.start(workspace, lambda: self._request(workspace))
        except SkiffError as exc:
            self.notify(str(exc), severity="warning")
            return
        self.refresh_bindings()

    def action_cancel(self) -> None:
        """Ask first: a build may have run for hours (Buildroot's stamps keep finished steps)."""
        run = self._run
        if self.read_only or run is None:
            return
        from ..widgets.dialogs import Choice, ChoiceModal

        def answered(choice: str | None) -> None:
            if choice == "cancel" and run.active:
                self.notify("cancelling: SIGINT to the build, then SIGTERM/SIGKILL if it lingers")
                self._cancel_build(run)

        self.app.push_screen(
            ChoiceModal(
                "Cancel the running build?",
                [Choice("keep", "Keep building", "primary", "k"), Choice("cancel", "Cancel the build", "error", "c")],
                f"{run.describe()}\nBuildroot's stamps keep the finished steps: starting again resumes.",
                focus="keep",
            ),
            answered,
        )

    def action_push(self) -> None:
        """Send this workspace's build to a running device (what `skiff push` does)."""
        if self.read_only:
            return
        from .push import PushScreen

        self.app.push_screen(PushScreen(self.workspace, target=self._push_target, remember=self._remember_push_target))

    def _remember_push_target(self, target: str) -> None:
        self._push_target = target  # offered again next time, in this session

    def action_times(self) -> None:
        """The chart of which packages took the shown build's time."""
        from .build_times import BuildTimesScreen

        if self.record is None:
            self.notify("no build to chart yet", severity="warning")
            return
        self.app.push_screen(BuildTimesScreen(self.workspace, self.record))

    def action_latest(self) -> None:
        self._record_id = None
        self._refresh_record(force_scan=True)

    # --- engine work (threads) --------------------------------------------------------------
    def _request(self, workspace: Workspace) -> BuildRequest:
        """What Start runs in `workspace` (in the build's thread, the workspace lock held)."""
        app = self.app
        return compile_request(
            app.session.for_workspace(workspace.name),
            log=lambda m: app.call_from_thread(app.notify, m),
            progress=lambda p: app.call_from_thread(self._fetch_progress, workspace, p),
        )

    def _fetch_progress(self, workspace: Workspace, progress: FetchProgress) -> None:
        if workspace == self.workspace:  # not for a build prepared in a workspace no longer shown
            self.show_fetch_progress(progress)

    def show_fetch_progress(self, progress: FetchProgress) -> None:
        """The first Buildroot fetch (git clone) on the progress bar while the build prepares."""
        self._fetching = progress
        if self.record is None:
            self._show(None)

    @work(thread=True, group="build-cancel", exit_on_error=False, name="Cancelling the build")
    def _cancel_build(self, run: BuildRun) -> None:
        self.app.build_runs.cancel(run)

    # --- showing the record -----------------------------------------------------------------
    def _refresh_record(self, force_scan: bool = False) -> None:
        run = self._run
        ours = run.build_id if run is not None else None
        if (run is not None) != self._had_run:  # a build of ours began or ended: start/cancel change
            self._had_run = run is not None
            self.refresh_bindings()
        if ours is not None and self._record_id != ours:
            self._record_id = ours  # follow the build this app started for this workspace
        rec = None
        if self._record_id is not None:
            rec = engine.load_record(self.workspace, self._record_id)
        now = time.monotonic()
        # Not showing a running build: look for a new one now and then.
        if (rec is None or rec.status != engine.RUNNING) and (force_scan or now - self._last_scan > 1.0):
            self._last_scan = now
            builds = engine.list_builds(self.workspace)
            newest = next((b for b in builds if b.status == engine.RUNNING), builds[0] if builds else None)
            if newest is not None:
                rec = newest
        self._show(rec)

    def _show(self, rec: engine.BuildRecord | None) -> None:
        viewer = self.query_one(LogViewer)
        previous = self.record
        self.record = rec
        title = self.query_one("#build-title", Static)
        info = self.query_one("#build-info", Static)
        bar = self.query_one("#build-progress", ProgressBar)
        failure = self.query_one("#build-failure", Static)
        ro = Text.assemble("  ", (" READ-ONLY ", "reverse")) if self.read_only else ""
        if rec is None:
            preparing = self._run is not None
            title.update(
                Text.assemble(
                    ("Build", "bold"),
                    f" · workspace {self.workspace.name} · ",
                    "preparing (configure, counting packages)…" if preparing else "no builds yet",
                    ro,
                )
            )
            fetching = self._fetching if preparing else None
            if fetching is not None:
                info.update(Text(f"fetching Buildroot (once): {fetching.line()}"))
                bar.update(total=100, progress=fetching.percent)
            else:
                info.update("" if self.read_only or preparing else "press s to start a build")
                bar.update(total=None, progress=0)
            failure.remove_class("-visible")
            return
        self._record_id = rec.id
        if previous is None or previous.id != rec.id:
            viewer.open(rec.log_path, follow=rec.status == engine.RUNNING)
        elif previous.status == engine.RUNNING and rec.status != engine.RUNNING:
            viewer.view.refresh()
        who = "" if rec.owner_pid in (None, os.getpid()) else f" · started by pid {rec.owner_pid}"
        chain = short_chain(rec.chain)
        colour = {"succeeded": "green", "failed": "red", "running": "yellow"}.get(rec.status, "")
        status = (rec.status, f"bold {colour}".strip())
        title.update(
            Text.assemble(
                ("Build", "bold"),
                f" {rec.id} · ",
                status,
                f" · workspace {self.workspace.name} · {rec.target} · chain {chain}{who}",
                ro,
            )
        )
        bar.update(total=rec.total if rec.total else None, progress=rec.done)
        parts = [f"{rec.done}/{rec.total}" if rec.total else f"{rec.done} installed"]
        if rec.status == engine.RUNNING:
            where = " ".join(x for x in (rec.package, rec.step) if x)
            if where:
                parts.append(where)
        parts.append(f"elapsed {engine.format_duration(rec.duration)}")
        if rec.status == engine.RUNNING:
            parts.append(f"ETA {engine.format_duration(rec.eta)}" if rec.eta is not None else "ETA -")
        info.update(Text("  ·  ".join(parts)))
        if rec.status == engine.FAILED and rec.failure:
            failure.update(failure_text(rec.failure))
            failure.add_class("-visible")
        elif rec.status == engine.INTERRUPTED:
            failure.update(
                Text.assemble(
                    ("Interrupted", "bold yellow"),
                    ": the process running this build went away. "
                    "Start again to resume (Buildroot's stamps keep finished steps).",
                )
            )
            failure.add_class("-visible")
        else:
            failure.remove_class("-visible")
