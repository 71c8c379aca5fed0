"""Processes skiff starts: is one still alive (pid reuse detected by start time), end a group."""

from __future__ import annotations

import os
import signal
import time


def proc_start_time(pid: int | None) -> int | None:
    """Kernel start time of `pid` in clock ticks since boot, or None if no such process."""
    if not pid:
        return None
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    # comm may contain spaces/parens: fields after the last ')' are fixed.
    rest = data[data.rfind(b")") + 2 :].split()
    if rest and rest[0] == b"Z":
        return None  # a zombie is dead for our purposes
    try:
        return int(rest[19])
    except (IndexError, ValueError):
        return None


def pid_alive(pid: int | None, start: int | None = None) -> bool:
    if not pid:
        return False
    if os.path.isdir("/proc/self"):
        now = proc_start_time(pid)
        if now is None:
            return False
        return start is None or now == start
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_group(pid: int, grace: float = 5.0) -> None:
    """SIGTERM to the process group `pid` leads, SIGKILL if it is still there after `grace` s."""
    start = proc_start_time(pid)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if not pid_alive(pid, start):
                return
            time.sleep(0.05)


def describe_exit(code: int) -> str:
    """'exit 2' or 'killed by SIGKILL' for a subprocess return code."""
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"killed by {name}"
    return f"exit {code}"
