#!/usr/bin/env python3
"""Benchmark of the CLI's small answers. Run: `.venv/bin/python bench/cli.py`.

Shell completion asks `skiff completion --complete …` on every Tab, so it must cost no more than
`skiff list` (the baseline, which the completion answer also has to scan the packages for). Also
timed: `skiff --version`, and `python -c pass` as the floor of any Python process. Medians of
whole processes, side by side, in the repository's own project (the library of ~70 packages).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import REPO, base_env, median_of, python_cmd, ratio  # noqa: E402

RUNS = 7


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        env = base_env(SKIFF_ROOT_DIR=str(REPO), SKIFF_CACHE_DIR=str(Path(tmp) / "cache"))
        skiff = python_cmd("-m", "skiff_tui")
        floor, _ = median_of("python -c pass", RUNS, python_cmd("-c", "pass"), env=env)
        baseline, _ = median_of("skiff list (baseline)", RUNS, [*skiff, "list"], env=env)
        cases = [
            ("skiff --version", [*skiff, "--version"]),
            ("complete a verb: 'con'", [*skiff, "completion", "--complete", "con"]),
            ("complete a package: 'configure pi/'", [*skiff, "completion", "--complete", "configure", "pi/"]),
            (
                "complete after a comma: 'configure pi/4,sk'",
                [*skiff, "completion", "--complete", "configure", "pi/4,sk"],
            ),
            ("complete a command: 'cmd pi/common '", [*skiff, "completion", "--complete", "cmd", "pi/common", ""]),
        ]
        print(f"{'case':46} {'median':>9}  vs skiff list")
        print(f"{floor.label:46} {floor.median:8.3f}s  {ratio(floor.median, baseline.median)}")
        print(f"{baseline.label:46} {baseline.median:8.3f}s  1.0x")
        worst = 0.0
        for label, argv in cases:
            timing, out = median_of(label, RUNS, argv, env=env)
            if not out.strip() and "--version" not in label:
                print(f"{label}: no candidates (unexpected)")
                return 1
            if "complete" in label:
                worst = max(worst, timing.median / baseline.median)
            print(f"{label:46} {timing.median:8.3f}s  {ratio(timing.median, baseline.median)}")
        print(f"\nslowest completion / skiff list = {worst:.2f} (target <= 1.1)")
        return 0 if worst <= 1.1 else 1


if __name__ == "__main__":
    sys.exit(main())
