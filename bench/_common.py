"""Small timing helpers shared by the benchmarks: whole-process wall time, medians, tables."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass
class Timing:
    label: str
    runs: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    def __str__(self) -> str:
        return f"{self.median:.3f} s (median of {len(self.runs)}: {', '.join(f'{r:.3f}' for r in self.runs)})"


class CommandFailed(RuntimeError):
    pass


def run_timed(argv: list[str], *, env: dict[str, str], cwd: Path | None = None) -> tuple[float, str]:
    """Wall time of one whole process (start to exit), and its combined output."""
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise CommandFailed(f"{' '.join(argv)} exited {proc.returncode}:\n{proc.stdout[-2000:]}")
    return elapsed, proc.stdout


def median_of(
    label: str,
    runs: int,
    argv: list[str],
    *,
    env: dict[str, str],
    cwd: Path | None = None,
    before: Callable[[], None] | None = None,
) -> tuple[Timing, str]:
    """Run argv `runs` times (calling `before` untimed ahead of each run); keep the last output."""
    times, out = [], ""
    for _ in range(runs):
        if before is not None:
            before()
        elapsed, out = run_timed(argv, env=env, cwd=cwd)
        times.append(elapsed)
    return Timing(label, times), out


def python_cmd(*args: str) -> list[str]:
    return [sys.executable, *args]


def base_env(**extra: str) -> dict[str, str]:
    """A small, explicit environment (no SKIFF_* leaking in from the caller's shell)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SKIFF_", "BR2_")) and k != "BUILDROOT_DIR"}
    env.update(extra)
    return env


def ratio(ours: float, theirs: float | None) -> str:
    if not theirs:
        return "-"
    return f"{theirs / ours:.1f}x faster" if ours <= theirs else f"{ours / theirs:.1f}x slower"


def verdict(value: float, target: float) -> str:
    return f"{'OK  ' if value <= target else 'MISS'} (target <= {target:g} s)"
