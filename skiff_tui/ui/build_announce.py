"""Telling the user that a build started here has ended, whatever screen they are on: a toast,
the terminal bell and, where the terminal supports one, a desktop notification
(`desktop_notify`); and the running-build mark of the status line (docs/tui.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .buildruns import BuildRun
from .desktop_notify import sequence

if TYPE_CHECKING:
    from textual.app import App
    from textual.notifications import SeverityLevel


def outcome(run: BuildRun) -> tuple[str, SeverityLevel]:
    """(one-line result, toast severity) of an ended build."""
    rec = run.handle.record if run.handle is not None else None
    ws = run.workspace.name
    if rec is None:
        if run.error is not None:
            return f"Build in workspace {ws} did not start: {run.error}", "error"
        return f"Build in workspace {ws} was cancelled before it started", "warning"
    from ..core.builds.build import format_duration

    took = format_duration(rec.duration)
    if rec.status == "succeeded":
        return f"Build {rec.id} in workspace {ws} succeeded after {took}", "information"
    where = ""
    if rec.failure and rec.failure.package:
        where = f" in {rec.failure.package} ({rec.failure.step or 'unknown step'})"
    severity: SeverityLevel = "error" if rec.status == "failed" else "warning"
    return f"Build {rec.id} in workspace {ws} {rec.status}{where} after {took}", severity


def announce_end(app: App[Any], env: dict[str, str], run: BuildRun) -> str | None:
    """Toast + bell + desktop notification (its dialect chosen from the app's environment `env`);
    the dialect used for the latter, if any. A build that never started (preparing failed: already
    reported; or cancelled by the user) is not announced."""
    if run.handle is None:
        return None
    text, severity = outcome(run)
    app.notify(text, title="skiff: build ended", severity=severity, timeout=15, markup=False)
    app.bell()
    found = sequence(env, "skiff", text)
    driver = app._driver
    if found is None or driver is None:
        return None
    kind, seq = found
    try:
        driver.write(seq)
        driver.flush()
    except Exception:  # a terminal gone away: the toast and bell still told the user
        return None
    return kind


def running_mark(runs: list[BuildRun]) -> str:
    """Plain text for the status line: which workspaces build right now ('' when none)."""
    if not runs:
        return ""
    return " ⚙ building " + ", ".join(r.workspace.name for r in runs) + " "
