#!/usr/bin/env python3
"""Benchmark of the Kconfig screen (issue 4): time to interactive on Buildroot's real tree.

What is measured, honestly, each as the median of --runs:
  baseline  kconfiglib's own parse of Buildroot's Config.in (core.buildroot.load_kconfig, no
            values), in this process: the floor any kconfiglib-based editor pays.
  engine    core.kconfig_edit.open_workspace: resolve the chain, render the merged defconfig,
            parse, load it as the baseline, snapshot every value (no .config yet).
  tti       inside the running app (headless, 120x40): from switching to the Kconfig section until
            the first frame painted after the menu tree is filled (the screen is interactive).
            Target: <= 1.5 s on a 2-core machine.
  edit      toggling BR2_PACKAGE_PYTHON3 in the screen: model change + tree refresh + info pane.
  search    one jump-to query over every symbol, choice, menu and comment ("usb", "^br2_package_.*ssl").

Needs a Buildroot tree: $SKIFF_BUILDROOT_SRC, else /tmp/buildroot, else skiff's cached pinned copy.
Run: .venv/bin/python bench/kconfig.py [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from skiff_tui.core import buildroot  # noqa: E402
from skiff_tui.core.kconfig_edit import open_workspace  # noqa: E402
from skiff_tui.core.workspace import Workspace  # noqa: E402


def find_tree() -> Path | None:
    for candidate in (os.environ.get("SKIFF_BUILDROOT_SRC"), "/tmp/buildroot"):
        if candidate and buildroot.is_buildroot_tree(Path(candidate)):
            return Path(candidate)
    return buildroot.locate(dict(os.environ))


def make_root(base: Path, tree: Path) -> tuple[Path, dict[str, str]]:
    root = base / "skiff"
    for d in ("configs", "overrides", "workspaces"):
        (root / d).mkdir(parents=True)
    pkg = root / "configs" / "bench" / "board"
    (pkg / "metadata").mkdir(parents=True)
    (pkg / "buildroot").mkdir()
    (pkg / "metadata" / "description").write_text("bench board\n")
    defconfig = tree / "configs" / "raspberrypi4_64_defconfig"
    (pkg / "buildroot" / "10-board").write_text(defconfig.read_text() if defconfig.is_file() else "BR2_aarch64=y\n")
    env = dict(os.environ, SKIFF_ROOT_DIR=str(root), SKIFF_BUILDROOT_SRC=str(tree), SKIFF_CONFIG="bench/board",
               SKIFF_CACHE_DIR=str(base / "cache"))
    return root, env


def bench_baseline(tree: Path, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as scratch:
            t0 = time.perf_counter()
            buildroot.load_kconfig(tree, Path(scratch), [])
            out.append(time.perf_counter() - t0)
    return out


def bench_engine(root: Path, env: dict[str, str], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        session = open_workspace(root, env, Workspace(root, "default"))
        out.append(time.perf_counter() - t0)
        session.close()
    return out


async def _tti_once(root: Path, env: dict[str, str]) -> dict[str, float]:
    from skiff_tui.ui.app import SkiffApp
    from skiff_tui.ui.screens import kconfig as screen_mod

    marks: dict[str, float] = {}
    original = screen_mod.KconfigScreen._loaded

    def loaded(self, session):
        original(self, session)
        self.call_after_refresh(lambda: marks.setdefault("painted", time.perf_counter()))

    screen_mod.KconfigScreen._loaded = loaded
    try:
        app = SkiffApp(root=root, env=env)
        async with app.run_test(size=(120, 40)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            t0 = time.perf_counter()
            app.action_goto("kconfig")
            while "painted" not in marks:
                await asyncio.sleep(0.002)
            result = {"tti": marks["painted"] - t0}
            screen = app.screen
            node = screen.model.find("BR2_PACKAGE_PYTHON3")
            screen.jump_to(node)
            await pilot.pause()
            t1 = time.perf_counter()
            await pilot.press("space")
            result["edit"] = time.perf_counter() - t1
            for query in ("usb", "^br2_package_.*ssl"):
                t2 = time.perf_counter()
                screen.model.search(query)
                result[f"search {query!r}"] = time.perf_counter() - t2
            return result
    finally:
        screen_mod.KconfigScreen._loaded = original


def fmt(values: list[float]) -> str:
    return f"median {statistics.median(values):.3f} s (min {min(values):.3f}, max {max(values):.3f}, n={len(values)})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    tree = find_tree()
    if tree is None:
        print("bench_kconfig: no Buildroot tree (set SKIFF_BUILDROOT_SRC); nothing measured")
        return 2
    print(f"Buildroot tree: {tree} ({buildroot.tree_version(tree)}); load average {os.getloadavg()[0]:.2f}, "
          f"{os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as base:
        root, env = make_root(Path(base), tree)
        baseline = bench_baseline(tree, args.runs)
        engine = bench_engine(root, env, args.runs)
        ui = [asyncio.run(_tti_once(root, env)) for _ in range(args.runs)]
    base_med = statistics.median(baseline)
    print(f"baseline  kconfiglib parse           {fmt(baseline)}")
    print(f"engine    open_workspace             {fmt(engine)}  ratio {statistics.median(engine) / base_med:.2f}x")
    tti = [r["tti"] for r in ui]
    print(f"tti       Kconfig screen interactive {fmt(tti)}  ratio {statistics.median(tti) / base_med:.2f}x"
          f"  target <= 1.5 s: {'met' if statistics.median(tti) <= 1.5 else 'NOT met'}")
    for key in [k for k in ui[0] if k != "tti"]:
        print(f"{key:<35}      {fmt([r[key] for r in ui])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
