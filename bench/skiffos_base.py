"""What a SkiffOS tree gets with SkiffOS's base versus skiff's, measured with real Buildroot.

Usage: python bench/skiffos_base.py [SKIFFOS_DIR]   (default $SKIFFOS_DIR or /tmp/skiffos)
Needs SKIFF_BUILDROOT_SRC (Buildroot 2026.02.3). For each selection of SkiffOS boards that ask
for skiff-init-squashfs, configures twice in a scratch root (SKIFF_BASE=skiffos, SKIFF_BASE=skiff)
and prints, side by side: whether BR2_PACKAGE_SKIFF_INIT_SQUASHFS stuck, how many Buildroot
symbols end up y, and how many requested values did not stick. Not a speed figure; the baseline
is skiff's base (the only behaviour before SKIFF_BASE existed).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SELECTIONS = [
    "allwinner/d1",
    "allwinner/r8",
    "bananapi/m1",
    "beaglebone/black",
    "freescale/wandboard",
    "intel/desktop",
    "jetson/agx",
    "jetson/tx2",
    "modalai/voxl2",
    "pi/0",
    "pi/0v2",
    "pine64/book",
    "starfive/visionfive2",
    "usbarmory/mk2",
    "virt/wsl",
]
SYMBOL = "BR2_PACKAGE_SKIFF_INIT_SQUASHFS"


def configure(root: Path, skiffos: Path, selection: str, base: str) -> tuple[bool, int, int]:
    ws = f"{base}-{selection.replace('/', '-')}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKIFF_") or k == "SKIFF_BUILDROOT_SRC"}
    env.update(
        SKIFF_ROOT_DIR=str(root),
        SKIFF_EXTRA_CONFIGS_PATH=str(skiffos / "configs"),
        SKIFF_BASE=base,
        SKIFF_WORKSPACE=ws,
        SKIFF_CONFIG=selection,
        SKIFF_NO_INTERACTIVE="1",
        SKIFF_CACHE_DIR=str(root / ".cache"),
    )
    proc = subprocess.run([sys.executable, "-m", "skiff_tui", "configure"], env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"{selection} ({base}): {proc.stderr.strip()[-500:]}")
    config = (root / "workspaces" / ws / ".config").read_text()
    stuck = re.search(rf"^{SYMBOL}=y$", config, re.M) is not None
    enabled = len(re.findall(r"^BR2_\w+=y$", config, re.M))
    not_stuck = (proc.stdout + proc.stderr).count("did not stick:")
    return stuck, enabled, not_stuck


def main(argv: list[str]) -> int:
    skiffos = Path(argv[1] if len(argv) > 1 else os.environ.get("SKIFFOS_DIR", "/tmp/skiffos")).resolve()
    if not os.environ.get("SKIFF_BUILDROOT_SRC"):
        print("set SKIFF_BUILDROOT_SRC to a Buildroot 2026.02.3 tree", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="skiffos-base-") as tmp:
        root = Path(tmp)
        for d in ("workspaces", "overrides"):
            (root / d).mkdir()
        (root / "configs").symlink_to(REPO / "configs")
        print(
            f"{'selection':22} {'squashfs: skiffos':>18} {'skiff':>6}   {'y symbols: skiffos':>19} {'skiff':>6}"
            f"   {'not stuck: skiffos':>19} {'skiff':>6}"
        )
        totals = {"skiffos": 0, "skiff": 0}
        for selection in SELECTIONS:
            row = {base: configure(root, skiffos, selection, base) for base in ("skiffos", "skiff")}
            for base in totals:
                totals[base] += row[base][0]
            yes = lambda b: "sticks" if b else "lost"  # noqa: E731
            print(
                f"{selection:22} {yes(row['skiffos'][0]):>18} {yes(row['skiff'][0]):>6}   "
                f"{row['skiffos'][1]:>19} {row['skiff'][1]:>6}   {row['skiffos'][2]:>19} {row['skiff'][2]:>6}"
            )
        n = len(SELECTIONS)
        print(
            f"\n{SYMBOL} sticks in {totals['skiffos']}/{n} selections on SkiffOS's base, "
            f"{totals['skiff']}/{n} on skiff's (the baseline)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
