"""Benchmark listing, resolving and configuring on a SkiffOS-shaped tree.

    .venv/bin/python bench/configure.py [--runs N] [--skiffos-dir DIR | --no-skiffos]

Everything is whole-process wall time of a fresh `python -m skiff_tui …` (median of N runs) on the
109-package tree of tests/compat/make_tree.py, written into a temp dir with an empty temp
SKIFF_ROOT_DIR:
  1. `skiff list`;
  2. resolving every package alone, in one process (per-package and total, plus layer merge);
  3. `skiff configure` of an 8-layer chain with the Kconfig step (BUILDROOT_DIR = the
     Buildroot-shaped fixture tests/fixtures/buildroot_tree), then again with nothing changed.
Baseline: SkiffOS's `make` (listing) and `make configure` on the same tree when a checkout is
available ($SKIFFOS_DIR, default /tmp/skiffos); otherwise earlier reference figures, labelled.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import REPO, CommandFailed, Timing, base_env, median_of, python_cmd, ratio, verdict  # noqa: E402

sys.path.insert(0, str(REPO / "tests" / "compat"))
import make_tree  # noqa: E402

CHAIN8 = "rpi/4,ctr/docker"  # sys/moduleimg rpi/common rpi/4x64 rpi/4 sys/cgroups ctr/runc ctr/containerd ctr/docker
FIXTURE = REPO / "tests" / "fixtures" / "buildroot_tree"
WORKSPACE = "bench"
TARGETS = {"list": 0.3, "configure": 0.8, "unchanged": 0.25}
# SkiffOS `make` and `make configure` (pi/4,skiff/core), measured earlier on this kind of machine.
REFERENCE = {"list": 6.3, "configure": 7.7}

RESOLVE_ALL = r"""
import json, time
t0 = time.perf_counter()
from skiff_tui.core import paths
from skiff_tui.core.library.packages import discover
from skiff_tui.core.library.resolve import resolve
from skiff_tui.core.workspace import Workspace
try:
    from skiff_tui.core.config import layers
except ImportError:
    layers = None
root = paths.root_dir()
t1 = time.perf_counter()
index = discover(paths.configs_dir(root))
t2 = time.perf_counter()
ws = Workspace(root, "bench")
res, mer, lengths = {}, {}, {}
for name in sorted(index.packages):
    s = time.perf_counter()
    chain = resolve(index, [name])
    e = time.perf_counter()
    res[name] = e - s
    lengths[name] = len(chain.packages)
    if layers is not None:
        layers.merge(layers.build_stack(root, index, chain, ws), ws.final_dir)
        mer[name] = time.perf_counter() - e
print(json.dumps({"import": t1 - t0, "discover": t2 - t1, "resolve": res, "merge": mer, "lengths": lengths}))
"""


def fixture_ready() -> bool:
    return all((FIXTURE / name).exists() for name in ("Makefile", "Config.in", "package"))


def skiffos_dir(args) -> Path | None:
    if args.no_skiffos:
        return None
    path = Path(args.skiffos_dir or os.environ.get("SKIFFOS_DIR") or "/tmp/skiffos")
    return path if (path / "scripts" / "enumerate_configs.sh").is_file() else None


def bench_ours(tmp: Path, tree: Path, runs: int) -> dict:
    root = tmp / "root"
    (root / "configs").mkdir(parents=True)
    env = base_env(
        SKIFF_EXTRA_CONFIGS_PATH=str(tree),
        SKIFF_ROOT_DIR=str(root),
        SKIFF_WORKSPACE=WORKSPACE,
        SKIFF_NO_INTERACTIVE="1",
        SKIFF_CACHE_DIR=str(tmp / "cache"),
        TERM="dumb",
    )
    out: dict = {}

    timing, text = median_of("skiff list", runs, python_cmd("-m", "skiff_tui", "list"), env=env)
    if "rpi/4x64" not in text:
        raise CommandFailed(f"skiff list did not list the tree:\n{text[:2000]}")
    out["list"] = timing

    timing, text = median_of("resolve every package", runs, python_cmd("-c", RESOLVE_ALL), env=env)
    out["resolve_all"] = timing
    out["resolve_detail"] = json.loads(text.strip().splitlines()[-1])

    if not fixture_ready():
        out["configure"] = out["unchanged"] = "skipped: fixture tree missing"
        return out
    cfg_env = dict(env, BUILDROOT_DIR=str(FIXTURE), SKIFF_CONFIG=CHAIN8)
    ws_dir = root / "workspaces"

    def fresh() -> None:
        shutil.rmtree(ws_dir, ignore_errors=True)

    argv = python_cmd("-m", "skiff_tui", "configure")
    timing, text = median_of("skiff configure (8 layers, with Kconfig)", runs, argv, env=cfg_env, before=fresh)
    if "configured" not in text or "Buildroot defconfig" not in text or CHAIN8.split(",")[-1] not in text:
        raise CommandFailed(f"skiff configure did not configure the chain:\n{text[:2000]}")
    out["configure"] = timing
    out["configure_output"] = text
    timing, text = median_of("skiff configure (nothing changed)", runs, argv, env=cfg_env)
    if "up to date" not in text:
        raise CommandFailed(f"second skiff configure was expected to find nothing changed:\n{text[:2000]}")
    out["unchanged"] = timing
    return out


def bench_skiffos(tmp: Path, tree: Path, skiffos: Path, runs: int) -> dict:
    import capture_goldens  # tests/compat: the scratch SkiffOS root with a stand-in Buildroot

    base = tmp / "skiffos"
    base.mkdir()
    root = capture_goldens.scratch_root(skiffos, base)
    env = capture_goldens.skiffos_env(tree, CHAIN8)
    # The fixture tree's Kconfig step runs kconfiglib with the python3 on PATH: ours.
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    list_env = {k: v for k, v in env.items() if k != "SKIFF_CONFIG"}
    out = {"kconfig": fixture_ready()}
    out["list"], text = median_of("SkiffOS make", runs, ["make", "--no-print-directory"], env=list_env, cwd=root)
    if "rpi/4x64" not in text:
        raise CommandFailed(f"SkiffOS make did not list the tree:\n{text[-2000:]}")
    if out["kconfig"]:
        # Same Buildroot stand-in as skiff's figure: the fixture tree, with its Kconfig step.
        shutil.rmtree(root / "buildroot")
        (root / "buildroot").symlink_to(FIXTURE)
    argv = ["make", "--no-print-directory", "configure"]
    median_of("warm-up", 1, argv, env=env, cwd=root)  # one-time workspace setup, left out of the timing
    out["configure"], text = median_of("SkiffOS make configure", runs, argv, env=env, cwd=root)
    if out["kconfig"] and "configuration written to" not in text:
        raise CommandFailed(f"SkiffOS make configure did not run the Kconfig step:\n{text[-2000:]}")
    return out


def describe(value) -> str:
    return str(value) if isinstance(value, Timing) else value


def report(ours: dict, theirs: dict | None, skiffos: Path | None) -> None:
    print("\n== skiff on the SkiffOS-shaped tree (109 packages, 28 namespaces) ==")
    print(f"skiff list:                      {describe(ours['list'])}  {verdict(ours['list'].median, TARGETS['list'])}")
    d = ours["resolve_detail"]
    res = list(d["resolve"].values())
    print(f"resolve every package alone:     {describe(ours['resolve_all'])} whole process")
    print(
        f"   in-process: import {d['import'] * 1000:.0f} ms, discover {d['discover'] * 1000:.1f} ms, "
        f"resolve {len(res)} packages {sum(res) * 1000:.2f} ms total "
        f"(median {statistics.median(res) * 1e6:.0f} us, max {max(res) * 1e6:.0f} us per package)"
    )
    if d["merge"]:
        mer = list(d["merge"].values())
        print(
            f"   + layer merge per package: {sum(mer) * 1000:.1f} ms total "
            f"(median {statistics.median(mer) * 1000:.2f} ms, max {max(mer) * 1000:.2f} ms)"
        )
    slow = sorted(d["resolve"].items(), key=lambda kv: -kv[1])[:3]
    print("   slowest: " + ", ".join(f"{n} ({d['lengths'][n]} layers) {t * 1e6:.0f} us" for n, t in slow))
    for key, label in (
        ("configure", "skiff configure, 8 layers:     "),
        ("unchanged", "skiff configure, unchanged:    "),
    ):
        value = ours[key]
        line = f"{label}  {describe(value)}"
        if isinstance(value, Timing):
            line += f"  {verdict(value.median, TARGETS[key])}"
        print(line)

    print("\n== baseline: SkiffOS ==")
    if theirs is None:
        print(
            "SkiffOS not measured (no checkout found; set SKIFFOS_DIR): "
            "REFERENCE figures from an earlier SkiffOS run, NOT measured here:"
        )
        print(
            f"   make (listing): {REFERENCE['list']} s;  "
            f"make configure pi/4,skiff/core: {REFERENCE['configure']} s median"
        )
        base = {"list": REFERENCE["list"], "configure": REFERENCE["configure"]}
        kind = "reference"
    else:
        print(f"measured on the same tree with {skiffos}:")
        print(f"SkiffOS make (listing):          {theirs['list']}")
        print(f"SkiffOS make configure:          {theirs['configure']}")
        if theirs["kconfig"]:
            print(
                "   (Buildroot = the same fixture tree as skiff's figure, Kconfig step included; its one-time "
                "workspace setup run left out; `make configure` always reconfigures, SkiffOS has no "
                "'nothing changed' shortcut for it)"
            )
        else:
            print(
                "   (fixture tree missing: its Buildroot is a stand-in that only copies the merged defconfig, so "
                "this excludes the Kconfig step)"
            )
        print(
            f"   the earlier reference with real Buildroot: listing {REFERENCE['list']} s, configure "
            f"{REFERENCE['configure']} s"
        )
        base = {"list": theirs["list"].median, "configure": theirs["configure"].median}
        kind = "measured"
    print(f"\n== ratios (SkiffOS {kind} / skiff) ==")
    print(f"listing:    {ratio(ours['list'].median, base['list'])}")
    for key in ("configure", "unchanged"):
        if isinstance(ours[key], Timing):
            print(f"{key + ':':<11} {ratio(ours[key].median, base['configure'])}")
        else:
            print(f"{key + ':':<11} {ours[key]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per skiff measurement (median)")
    parser.add_argument("--skiffos-runs", type=int, default=3, help="runs per SkiffOS measurement (median)")
    parser.add_argument("--skiffos-dir", help="SkiffOS checkout (default $SKIFFOS_DIR or /tmp/skiffos)")
    parser.add_argument("--no-skiffos", action="store_true", help="print the reference figures instead")
    args = parser.parse_args(argv)
    skiffos = skiffos_dir(args)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="skiff-bench-") as tmp_name:
        tmp = Path(tmp_name).resolve()
        tree = tmp / "tree"
        make_tree.make_tree(tree)
        try:
            ours = bench_ours(tmp, tree, args.runs)
            theirs = bench_skiffos(tmp, tree, skiffos, args.skiffos_runs) if skiffos else None
        except CommandFailed as exc:
            print(f"bench: {exc}", file=sys.stderr)
            return 1
    report(ours, theirs, skiffos)
    print(
        f"\n(load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after, on {os.cpu_count()} CPUs: "
        "whole-process times grow with other work on the machine)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
