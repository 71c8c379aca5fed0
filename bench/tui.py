#!/usr/bin/env python3
"""TUI benchmarks: startup to the first Packages frame, filter time per keystroke.

What is measured, honestly:
  1. startup: wall time from spawning `python -m skiff_tui tui` under a pseudo-terminal (120x36)
     until its output contains (a) the first frame of the Packages screen (its navigation bar) and
     (b) the frame that shows the package tree filled from a 130-package tree.
     Baseline in the same conditions: `python -c "import textual.app"` (the floor any Textual app
     pays) and `skiff list` over the same tree (the CLI listing, like SkiffOS's bare `make`).
     Target: (a) <= 0.5 s on a 2-core machine.
  2. filter: per keystroke over a 1,000-package tree, inside the running app: the screen's filter
     handler (match over names+descriptions and rebuild of the tree) plus rendering the tree's
     visible lines; and, as an upper bound, Pilot key press -> idle. Baseline: the bare substring
     match over the same 1,000 strings. Target: <= 16 ms per keystroke.
The Kconfig screen's time to interactive belongs to the Kconfig screen's own benchmark.

Run: .venv/bin/python bench/tui.py [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import os
import pty
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
NAMESPACES = (
    "apps",
    "board",
    "core",
    "distro",
    "net",
    "pi",
    "odroid",
    "pine64",
    "intel",
    "virt",
    "skiff",
    "util",
    "extra",
)


def make_tree(root: Path, count: int) -> Path:
    """`count` packages in 13 namespaces, each with metadata and a Buildroot fragment; every
    fifth package depends on the one before it."""
    configs = root / "configs"
    names = []
    for i in range(count):
        ns = NAMESPACES[i % len(NAMESPACES)]
        name = f"{ns}/pkg{i:04d}"
        pkg = configs / name
        (pkg / "metadata").mkdir(parents=True)
        (pkg / "buildroot").mkdir()
        (pkg / "metadata" / "description").write_text(
            f"Bench package {i} for the {ns} family (board support, apps and settings)\n"
        )
        if i % 5 and names:
            (pkg / "metadata" / "dependencies").write_text(names[-1] + "\n")
        (pkg / "buildroot" / "10-settings").write_text(f"BR2_PACKAGE_BENCH_{i}=y\n")
        names.append(name)
    (root / "workspaces").mkdir(exist_ok=True)
    return root


def bench_env(root: Path, tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKIFF_")}
    env.update(
        {
            "SKIFF_ROOT_DIR": str(root),
            "SKIFF_CACHE_DIR": str(tmp / "cache"),
            "TERM": "xterm-256color",
            "COLORTERM": "truecolor",
            "PYTHONDONTWRITEBYTECODE": "0",
        }
    )
    return env


def _reap(proc: subprocess.Popen, timeout: float, drain: int | None = None) -> float:
    """Wait for the child; its user+sys CPU seconds (robust against a busy machine, unlike wall time).
    `drain`: a pty master to keep reading meanwhile, so the child never blocks writing its last frames."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return usage.ru_utime + usage.ru_stime
        if drain is not None and select.select([drain], [], [], 0.01)[0]:
            try:
                os.read(drain, 65536)
            except OSError:
                drain = None
        else:
            time.sleep(0.01)
    raise subprocess.TimeoutExpired(proc.args, timeout)


def run_in_pty(
    argv: list[str], env: dict[str, str], markers: list[bytes], timeout: float = 20.0, quit_keys: bytes = b"\x11"
) -> dict[bytes, float]:
    """Spawn argv on a 120x36 pty; seconds from spawn until each marker first appears in the output
    (key b"cpu": the child's CPU seconds for the whole run, quit right after the markers)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True, start_new_session=True, cwd=REPO
    )
    os.close(slave)
    seen: dict[bytes, float] = {}
    buf = b""
    try:
        while len(seen) < len(markers) and time.perf_counter() - t0 < timeout:
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            now = time.perf_counter() - t0
            buf += chunk
            for m in markers:
                if m not in seen and m in buf:
                    seen[m] = now
        if quit_keys:
            try:
                os.write(master, quit_keys)
            except OSError:
                pass
        try:
            seen[b"cpu"] = _reap(proc, 20, drain=master)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=5)
        # drain so the child is never blocked on a full pty
        while True:
            ready, _, _ = select.select([master], [], [], 0)
            if not ready:
                break
            try:
                if not os.read(master, 65536):
                    break
            except OSError:
                break
    finally:
        os.close(master)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return seen


def run_plain(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of a command run to completion."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    cpu = _reap(proc, 60)
    if proc.returncode:
        raise SystemExit(f"bench: {argv} failed")
    return time.perf_counter() - t0, cpu


def startup(runs: int) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp(prefix="skiff-bench-"))
    try:
        root = make_tree(tmp / "skiff", 130)
        env = bench_env(root, tmp)
        py = sys.executable
        first, filled, floor, listing, cpu, floor_cpu = [], [], [], [], [], []
        run_in_pty([py, "-m", "skiff_tui", "tui"], env, [b"Workspaces"])  # warm the page cache
        for _ in range(runs):
            seen = run_in_pty([py, "-m", "skiff_tui", "tui"], env, [b"Workspaces", b"Bench package 0 "])
            if b"Workspaces" not in seen or b"Bench package 0 " not in seen:
                raise SystemExit(f"bench: the TUI did not render the Packages screen (saw {list(seen)})")
            first.append(seen[b"Workspaces"])
            filled.append(seen[b"Bench package 0 "])
            cpu.append(seen.get(b"cpu", float("nan")))
            wall, c = run_plain([py, "-c", "import textual.app"], env)
            floor.append(wall)
            floor_cpu.append(c)
            listing.append(run_plain([py, "-m", "skiff_tui", "list"], env)[0])
        return {
            "first": statistics.median(first),
            "filled": statistics.median(filled),
            "floor": statistics.median(floor),
            "list": statistics.median(listing),
            "first_min": min(first),
            "first_max": max(first),
            "cpu": statistics.median(cpu),
            "floor_cpu": statistics.median(floor_cpu),
        }
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


async def _filter_bench(root: Path, env: dict[str, str], query: str) -> dict[str, float]:
    from textual.geometry import Region
    from textual.widgets import Input, Tree

    from skiff_tui.ui.app import SkiffApp

    app = SkiffApp(root=root, env=env)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        tree = screen.query_one("#package-tree", Tree)
        region = Region(0, 0, tree.size.width, tree.size.height)
        handler, pressed = [], []
        for _round in range(3):
            for i in range(1, len(query) + 1):
                t0 = time.perf_counter()
                screen._apply_filter(query[:i])
                tree.render_lines(region)
                handler.append(time.perf_counter() - t0)
            screen._apply_filter("")
        screen.query_one("#filter", Input).focus()
        for ch in query:
            key = "space" if ch == " " else ch
            t0 = time.perf_counter()
            await pilot.press(key)
            pressed.append(time.perf_counter() - t0)
        shown = sum(len(ns.children) for ns in tree.root.children)
    return {
        "handler_median": statistics.median(handler),
        "handler_max": max(handler),
        "handler_p90": sorted(handler)[int(len(handler) * 0.9)],
        "press_median": statistics.median(pressed),
        "shown_after": shown,
    }


def filter_bench() -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp(prefix="skiff-bench-"))
    try:
        root = make_tree(tmp / "skiff", 1000)
        env = bench_env(root, tmp)
        query = "bench 12 family"
        result = asyncio.run(_filter_bench(root, env, query))
        from skiff_tui.core.library.packages import discover
        from skiff_tui.ui.screens.packages import match_terms

        index = discover(root / "configs", env)
        hay = {p.name: f"{p.name} {p.description}".lower() for p in index.packages.values()}
        t0 = time.perf_counter()
        n = 0
        for _ in range(20):
            for i in range(1, len(query) + 1):
                match_terms(hay, query[:i])
                n += 1
        result["match_only"] = (time.perf_counter() - t0) / n
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}")
    s = startup(args.runs)
    print(f"startup, 130 packages (median of {args.runs} runs under a 120x36 pty):")
    print(
        f"  first Packages frame       {s['first'] * 1000:7.0f} ms   (min {s['first_min'] * 1000:.0f}, "
        f"max {s['first_max'] * 1000:.0f} ms; "
        f"target <= 500 ms: {'ok' if s['first'] <= 0.5 else 'MISSED'})"
    )
    print(f"  tree filled with packages  {s['filled'] * 1000:7.0f} ms")
    print(
        f"  CPU of the whole TUI run   {s['cpu'] * 1000:7.0f} ms   (start, first frame, quit; "
        f"bare Textual import: {s['floor_cpu'] * 1000:.0f} ms CPU -> {s['cpu'] / s['floor_cpu']:.2f}x)"
    )
    print(
        f"  baseline: import textual.app {s['floor'] * 1000:5.0f} ms  -> first frame is "
        f"{s['first'] / s['floor']:.2f}x the bare Textual import"
    )
    print(
        f"  baseline: skiff list        {s['list'] * 1000:5.0f} ms  -> first frame is "
        f"{s['first'] / s['list']:.2f}x the CLI listing"
    )
    f = filter_bench()
    print("filter, 1,000 packages, query typed one key at a time ('bench 12 family'):")
    print(
        f"  handler + visible render   {f['handler_median'] * 1000:7.2f} ms median, "
        f"{f['handler_p90'] * 1000:.2f} ms p90, {f['handler_max'] * 1000:.2f} ms max (target <= 16 ms: "
        f"{'ok' if f['handler_median'] <= 0.016 else 'MISSED'})"
    )
    print(
        f"  Pilot press -> idle        {f['press_median'] * 1000:7.2f} ms median (upper bound: includes "
        f"Pilot's idle wait)"
    )
    print(
        f"  baseline: bare match       {f['match_only'] * 1000:7.3f} ms  -> handler is "
        f"{f['handler_median'] / f['match_only']:.0f}x the bare substring match"
    )
    print(f"  packages shown after the full query: {f['shown_after']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
