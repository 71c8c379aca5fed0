"""kill -9 figures side by side: the reliability harness (tests/reliability/harness.py) against a
baseline checkout and the current tree, same seed, same time budget per area.

    .venv/bin/python bench/reliability.py [--baseline REF] [--budget SECONDS] [--seed N]
    SKIFF_BUILDROOT_SRC=<real Buildroot> adds the configure area against real Buildroot.

The baseline is `git archive REF skiff_tui` unpacked into a temp dir and put first on
PYTHONPATH of every skiff process the harness starts. Prints kills / invariants held per area and
the share of kills that broke an invariant.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests" / "reliability"))
import harness  # noqa: E402


def export(ref: str, dest: Path) -> Path:
    data = subprocess.run(["git", "-C", str(REPO), "archive", ref, "skiff_tui"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=data, check=True)
    return dest


def areas(real: Path | None):
    yield "configure (fixture)", harness.kill_configure_rounds, None
    yield "compile (fixture)", harness.kill_compile_rounds, None
    yield "saves", harness.kill_save_rounds, None
    if real is not None:
        yield "configure (real Buildroot)", harness.kill_configure_rounds, real


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--baseline", default="a26d7e0", help="git ref of the baseline (default: before the reliability work)"
    )
    ap.add_argument("--budget", type=float, default=20.0, help="seconds per area and side")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    real = os.environ.get("SKIFF_BUILDROOT_SRC")
    real_path = Path(real) if real and Path(real).resolve() != harness.FIXTURE_BUILDROOT.resolve() else None
    work = Path(tempfile.mkdtemp(prefix="skiff-bench-reliability-"))
    try:
        (work / "baseline").mkdir()
        old = export(args.baseline, work / "baseline")
        print(f"{'area':28} {'baseline ' + args.baseline:>24} {'current':>24}")
        failures: list[str] = []
        for name, fn, br in areas(real_path):
            row = []
            for label, code in (("baseline", old), ("current", None)):
                tmp = work / f"{label}-{name.split()[0]}-{len(row)}"
                root = harness.make_tree(tmp / "skiff")
                stats = fn(root, harness.skiff_env(root, buildroot=br, code=code), seed=args.seed, budget=args.budget)
                broke = stats.kills - stats.held
                row.append(f"{stats.held}/{stats.kills} held ({broke / max(1, stats.kills):.0%} broke)")
                failures.extend(f"  {label} {name}: {f[:300]}" for f in stats.failures[:2])
            print(f"{name:28} {row[0]:>24} {row[1]:>24}", flush=True)
        if failures:
            print("first broken invariants:\n" + "\n".join(failures))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
