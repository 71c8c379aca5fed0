#!/usr/bin/env python3
"""Benchmark of the Kconfig screen on the stacks users select, against real Buildroot.

Stacks: pi/4,skiff/core and the largest stack in the library (most enabled symbols; see
--find-largest), each configured once with real `make defconfig` in a temp skiff tree over this
repository's package library. Each figure is the median of --runs:

  menuconfig.py  baseline: kconfiglib's own menuconfig.py on the same .config, in a child process
                 under a pty (80x24): from just before it imports kconfiglib until its top menu
                 ("Target options") is on the terminal: parse + load .config + first menu drawn.
                 Interpreter start-up is not counted. It needs a raised recursion limit on these
                 trees (kconfiglib's select chains, see core/builds/kconfig_expr.py); the run says when.
  first open     in the running app (headless, 120x40), no parsed tree cached: from switching to the
                 Kconfig section until the first frame painted after the menu tree is filled.
  reopen         the same app, `r` (reload): the parsed tree is reused (core/builds/kconfig_cache.py).
  toggle         Space on BR2_PACKAGE_TREE: the screen's handler (model changed, tree rows and info
                 refreshed); also from the key press until Pilot saw the next frame (Textual's
                 layout and paint included).
  search         the jump-to dialog's search ("usb", "^br2_package_.*ssl"): matched and listed
                 (at most 400 rows); "matching only" is the model's search without the list.
  memory         the process's resident set after the screen opened (VmRSS), and its peak.

Wall times depend on how busy the machine is; the CPU time (all threads of the process, from
/proc for menuconfig.py) of first open and reopen is printed too, against menuconfig.py's CPU.

Targets: first open <= 1.5 s, reopen <= 0.3 s, toggle <= 50 ms, search <= 50 ms, memory <= 300 MB.
Needs a Buildroot tree: $SKIFF_BUILDROOT_SRC, else skiff's cached pinned copy; and make.
Run: .venv/bin/python bench/kconfig.py [--runs N] [--find-largest]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import pty
import resource
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from skiff_tui.core.builds import buildroot, kconfig_cache  # noqa: E402
from skiff_tui.core.builds.configure import configure, plan  # noqa: E402
from skiff_tui.core.session import Session  # noqa: E402
from skiff_tui.core.workspace import Workspace  # noqa: E402

STACKS = {"pi4": "pi/4,skiff/core", "largest": "orangepi/zero,skiff/core,apps/podman"}
TARGETS = {"first open": 1.5, "reopen": 0.3, "toggle": 0.05, "search": 0.05}
MEMORY_TARGET_MB = 300
TOGGLED = "BR2_PACKAGE_TREE"
QUERIES = ("usb", "^br2_package_.*ssl")


def find_tree() -> Path | None:
    value = os.environ.get("SKIFF_BUILDROOT_SRC")
    if value and buildroot.is_buildroot_tree(Path(value)):
        return Path(value)
    return buildroot.locate(dict(os.environ))


def make_root(base: Path, tree: Path) -> tuple[Path, dict[str, str]]:
    """A skiff tree over this repository's package library (read only), its own workspaces."""
    root = base / "skiff"
    (root / "overrides").mkdir(parents=True)
    (root / "workspaces").mkdir()
    (root / "configs").symlink_to(REPO / "configs")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKIFF_CONFIG")}
    env.update(
        SKIFF_ROOT_DIR=str(root),
        SKIFF_BUILDROOT_SRC=str(tree),
        SKIFF_CACHE_DIR=str(base / "cache"),
        SKIFF_NO_INTERACTIVE="1",
    )
    return root, env


# --- baseline: kconfiglib's menuconfig.py under a pty -------------------------------------------
MENUCONFIG = r"""
import os, sys, time
sys.setrecursionlimit(int(os.environ["BENCH_RECURSION_LIMIT"]))
print("T0", time.monotonic(), flush=True)
import kconfiglib, menuconfig
kconf = kconfiglib.Kconfig(os.environ["BENCH_CONFIG_IN"], warn_to_stderr=False)
menuconfig.menuconfig(kconf)
"""


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def menuconfig_once(root: Path, env: dict[str, str], workspace: str, limit: int) -> tuple[float, float] | str:
    """(wall, CPU) seconds until menuconfig.py shows its top menu, or the reason it did not."""
    ws = Workspace(root, workspace)
    p = plan(Session(root, env, ws))
    externals = [(e.name, e.path) for e in p.merged.externals]
    with tempfile.TemporaryDirectory(prefix="bench-menuconfig-") as base:
        buildroot.write_external_includes(Path(base), externals)
        with buildroot._kconfig_environment(p.buildroot_src, Path(base), externals):
            child_env = dict(os.environ)
        child_env.update(
            KCONFIG_CONFIG=str(ws.dir / ".config"),
            TERM="xterm",
            LINES="24",
            COLUMNS="80",
            BENCH_CONFIG_IN=str(p.buildroot_src / "Config.in"),
            BENCH_RECURSION_LIMIT=str(limit),
        )
        master, slave = pty.openpty()
        proc = subprocess.Popen(
            [sys.executable, "-c", MENUCONFIG],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=child_env,
            close_fds=True,
            start_new_session=True,
        )
        os.close(slave)
        out, t0, seen, cpu0, cpu1 = b"", None, None, 0.0, 0.0
        deadline = time.monotonic() + 60
        try:
            while time.monotonic() < deadline and seen is None:
                ready, _, _ = select.select([master], [], [], 0.5)
                if not ready:
                    if proc.poll() is not None:
                        break
                    continue
                try:
                    chunk = os.read(master, 65536)
                except OSError:
                    break
                now = time.monotonic()
                out += chunk
                if t0 is None and b"T0 " in out and b"\n" in out.split(b"T0 ", 1)[1]:
                    t0 = float(out.split(b"T0 ", 1)[1].split(b"\n", 1)[0].strip())
                    cpu0 = proc_cpu(proc.pid)
                if t0 is not None and b"Target options" in out:
                    seen = now
                    cpu1 = proc_cpu(proc.pid)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()
            os.close(master)
    if seen is None or t0 is None:
        text = out.decode(errors="replace")
        last = [ln for ln in text.splitlines() if ln.strip()][-1:] or ["no output"]
        return last[0].strip()[:120]
    return seen - t0, cpu1 - cpu0


def bench_menuconfig(root, env, workspace, runs) -> tuple[list[tuple[float, float]], str]:
    note = ""
    first = menuconfig_once(root, env, workspace, 1000)
    limit = 1000
    if isinstance(first, str):
        note = f"with the default recursion limit it failed ({first}); measured with 10000"
        limit = 10000
        first = menuconfig_once(root, env, workspace, limit)
        if isinstance(first, str):
            return [], f"failed: {first}"
    times = [first] + [menuconfig_once(root, env, workspace, limit) for _ in range(runs - 1)]
    return [t for t in times if isinstance(t, tuple)], note


# --- the screen ---------------------------------------------------------------------------------
async def _ui_once(root: Path, env: dict[str, str], workspace: str) -> dict[str, float]:
    from skiff_tui.ui.app import SkiffApp
    from skiff_tui.ui.screens import kconfig as screen_mod
    from skiff_tui.ui.widgets.kconfig_search import KconfigSearchModal

    kconfig_cache.clear()  # first open: nothing parsed yet
    marks: list[float] = []
    painted = asyncio.Event()  # (polling with sleep() would steal the GIL from the load)
    handled: list[float] = []
    original = screen_mod.KconfigScreen._loaded
    original_activated = screen_mod.KconfigScreen.on_kconfig_tree_activated

    def loaded(self, session):
        original(self, session)

        def done():
            marks.append(time.perf_counter())
            painted.set()

        self.call_after_refresh(done)

    def activated(self, event):
        start = time.perf_counter()
        original_activated(self, event)
        handled.append(time.perf_counter() - start)

    async def until_painted() -> None:
        await painted.wait()
        painted.clear()

    screen_mod.KconfigScreen._loaded = loaded
    screen_mod.KconfigScreen.on_kconfig_tree_activated = activated
    try:
        app = SkiffApp(root=root, env=env, workspace=workspace)
        async with app.run_test(size=(120, 40)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            t0, c0 = time.perf_counter(), time.process_time()
            app.action_goto("kconfig")
            await until_painted()
            result = {"first open": marks[0] - t0, "first open CPU": time.process_time() - c0, "rss MB": rss_mb()}
            screen = app.screen
            t1, c1 = time.perf_counter(), time.process_time()
            await pilot.press("r")
            await until_painted()
            result["reopen"] = marks[1] - t1
            result["reopen CPU"] = time.process_time() - c1
            screen.jump_to(screen.model.find(TOGGLED))
            await pilot.pause()
            t2 = time.perf_counter()
            await pilot.press("space")
            result["toggle, key to frame"] = time.perf_counter() - t2
            result["toggle"] = handled[-1]
            assert screen.model.changes(), "the toggle changed nothing"
            await pilot.press("slash")
            modal = app.screen
            assert isinstance(modal, KconfigSearchModal)
            for query in QUERIES:
                t3 = time.perf_counter()
                modal.run_search(query)
                result[f"search {query!r}"] = time.perf_counter() - t3
                t4 = time.perf_counter()
                screen.model.search(query)
                result[f"search {query!r}, matching only"] = time.perf_counter() - t4
            return result
    finally:
        screen_mod.KconfigScreen._loaded = original
        screen_mod.KconfigScreen.on_kconfig_tree_activated = original_activated


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


# --- finding the largest stack ------------------------------------------------------------------
def find_largest(root: Path, env: dict[str, str]) -> list[tuple[int, str]]:
    """Enabled bool/tristate symbols of the merged configuration of every board with every
    distribution, then of the top board and distribution with each app."""
    from kconfiglib import BOOL, TRISTATE

    from skiff_tui.core.editors.kconfig import KconfigModel, open_parsed
    from skiff_tui.core.library.packages import discover

    index = discover(root / "configs", env)
    names = sorted(p.name for p in index.listed())
    boards = [n for n in names if n.split("/")[0] not in ("apps", "core", "skiff", "util", "virt", "browser")]
    distros = ["skiff/core"] + [n for n in names if n.startswith("core/")]
    apps = [n for n in names if n.startswith("apps/")]
    tree = Path(env["SKIFF_BUILDROOT_SRC"])
    ws = Workspace(root, "find-largest")

    def count(selection: list[str], scratch: Path) -> int:
        p = plan(Session(root, env, ws, index), selection)
        parsed, _ = open_parsed(tree, [(e.name, e.path) for e in p.merged.externals])
        try:
            merged = scratch / "merged"
            merged.write_text(p.merged.buildroot.render())
            model = KconfigModel.from_parsed(parsed.kconf, baseline_config=merged)
            return sum(1 for s in model.kconf.unique_defined_syms if s.orig_type in (BOOL, TRISTATE) and s.tri_value)
        finally:
            kconfig_cache.give_back(parsed)

    with tempfile.TemporaryDirectory() as scratch:
        found = sorted(((count([b, d], Path(scratch)), f"{b},{d}") for b in boards for d in distros), reverse=True)
        best = found[0][1].split(",")
        found += [(count([*best, a], Path(scratch)), ",".join([*best, a])) for a in apps]
    return sorted(found, reverse=True)


# --- report -------------------------------------------------------------------------------------
def med(values: list[float]) -> float:
    return statistics.median(values)


def fmt(values: list[float]) -> str:
    return f"{med(values):7.3f} s (min {min(values):.3f}, max {max(values):.3f}, n={len(values)})"


def verdict(value: float, target: float) -> str:
    return f"target <= {target:g} s: {'met' if value <= target else 'NOT met'}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--find-largest",
        action="store_true",
        help="count enabled symbols of every board x distribution (+ apps) and stop",
    )
    args = parser.parse_args()
    tree = find_tree()
    if tree is None or shutil.which("make") is None:
        print("bench_kconfig: needs a Buildroot tree (set SKIFF_BUILDROOT_SRC) and make; nothing measured")
        return 2
    print(
        f"Buildroot tree: {tree} ({buildroot.tree_version(tree)}); load average {os.getloadavg()[0]:.2f}, "
        f"{os.cpu_count()} CPUs"
    )
    with tempfile.TemporaryDirectory(prefix="bench-kconfig-") as base:
        root, env = make_root(Path(base), tree)
        if args.find_largest:
            found = find_largest(root, env)
            for n, selection in found[:10]:
                print(f"{n:5d} enabled  {selection}")
            return 0
        for name, selection in STACKS.items():
            t = time.perf_counter()
            configure(Session(root, env, Workspace(root, name)), selection.split(","))
            print(f"configured {selection} in {time.perf_counter() - t:.1f} s")
        for name, selection in STACKS.items():
            measured, note = bench_menuconfig(root, env, name, args.runs)
            baseline = [wall for wall, _ in measured]
            baseline_cpu = [cpu for _, cpu in measured]
            ui = [asyncio.run(_ui_once(root, env, name)) for _ in range(args.runs)]
            enabled = sum(
                1
                for line in (root / "workspaces" / name / ".config").read_text().splitlines()
                if line.endswith("=y") or line.endswith("=m")
            )
            print(f"\n== {selection} ({enabled} options set to y/m in .config)")
            if baseline:
                extra = f"  {note}" if note else ""
                print(f"{'menuconfig.py parse+load+first menu':<36}{fmt(baseline)}  (baseline){extra}")
            else:
                print(f"menuconfig.py  {note}")
            if baseline_cpu:
                print(f"{'menuconfig.py, CPU time':<36}{fmt(baseline_cpu)}  (baseline)")
            for key in ("first open", "first open CPU", "reopen", "reopen CPU", "toggle", "toggle, key to frame"):
                values = [r[key] for r in ui]
                base = baseline_cpu if key.endswith("CPU") else baseline
                ratio = f"  ratio {med(values) / med(base):.2f}x menuconfig.py" if base else ""
                target = TARGETS.get(key.split(",")[0])
                print(f"{key:<36}{fmt(values)}{ratio}  {verdict(med(values), target) if key in TARGETS else ''}")
            for query in QUERIES:
                for suffix in ("", ", matching only"):
                    values = [r[f"search {query!r}{suffix}"] for r in ui]
                    label = "search " + repr(query) + suffix
                    print(f"{label:<36}{fmt(values)}  {verdict(med(values), TARGETS['search'])}")
            rss = max(r["rss MB"] for r in ui)
            print(
                f"memory         RSS after opening {rss:.0f} MB, peak of this process "
                f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB  "
                f"target <= {MEMORY_TARGET_MB} MB: {'met' if rss <= MEMORY_TARGET_MB else 'NOT met'}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
