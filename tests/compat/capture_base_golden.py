"""Capture SkiffOS's merged configuration of its own packages on its own base (golden/_base.json).

Usage: python tests/compat/capture_base_golden.py [SKIFFOS_DIR]   (a SkiffOS git checkout)

For each selection in SELECTIONS, runs SkiffOS's `make env` and `make configure` in a scratch
root (as capture_goldens.py makes one, linked to the checkout's configs/ and configs-base/) and
records the chain and the value of every Buildroot, kernel, BusyBox and U-Boot symbol as Kconfig
reads SkiffOS's merged files, plus the overlay and patch lists its REPLACEME_* substitutions
produced. A digest of configs/ and configs-base/ lets the test refuse a different SkiffOS tree.
Nothing of SkiffOS is copied: the golden is data produced by running it.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import capture_goldens as cg  # noqa: E402

GOLDEN = HERE / "golden" / "_base.json"
# Selections whose chain SkiffOS and skiff order the same way (no moved dependency).
SELECTIONS = ["pi/4,skiff/core", "allwinner/d1", "intel/desktop,apps/docker"]
KINDS = ("buildroot", "kernel", "busybox", "uboot")


def tree_digest(skiffos: Path) -> str:
    """sha256 over configs/ and configs-base/ (relative path and bytes of every file)."""
    h = hashlib.sha256()
    for top in ("configs", "configs-base"):
        for path in sorted(p for p in (skiffos / top).rglob("*") if p.is_file()):
            h.update(path.relative_to(skiffos).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def capture(skiffos: Path, selection: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="skiffos-base-") as tmp:
        tmp_path = Path(tmp).resolve()
        empty = tmp_path / "no-extra"
        empty.mkdir()
        root = cg.scratch_root(skiffos, tmp_path)
        env = cg.skiffos_env(empty, selection)
        chain = [c for c in cg.parse_env(cg.run_make(root, "env", env))["SKIFF_CONFIG"].split(",") if c]
        cg.run_make(root, "configure", env)
        final = root / "workspaces" / f".config_{cg.WORKSPACE}"
        norm = cg.Normaliser(
            [(f"{final}/", "@FINAL@/"), (str(final), "@FINAL@"), (str(skiffos), "@SKIFFOS@"), (str(root), "@SKIFFOS@")]
        )
        values = {}
        for kind in KINDS:
            eff = cg.effective(norm((final / kind / "config").read_text()))
            values[kind] = {s: v for s, (v, _) in eff.items() if kind != "buildroot" or s not in cg.POST_SYMBOLS}
        br = cg.effective(norm((final / "buildroot" / "config").read_text()))

        def paths(symbol: str) -> list[str]:
            return cg.unquote(br.get(symbol, (None, ""))[0]).split()

        externals = norm((root / "workspaces" / cg.WORKSPACE / "br2_external").read_text()).strip().split(":")
        return {
            "selection": selection,
            "chain": chain,
            "values": values,
            "overlays": paths("BR2_ROOTFS_OVERLAY"),
            "br_patches": paths("BR2_GLOBAL_PATCH_DIR"),
            "kernel_patches": paths("BR2_LINUX_KERNEL_PATCH"),
            "externals": [e for e in externals if e],
        }


def main(argv: list[str]) -> int:
    skiffos = Path(argv[1] if len(argv) > 1 else os.environ.get("SKIFFOS_DIR", "/tmp/skiffos")).resolve()
    commit = subprocess.run(
        ["git", "-C", str(skiffos), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    golden = {
        "skiffos_commit": commit,
        "tree_digest": tree_digest(skiffos),
        "selections": {sel: capture(skiffos, sel) for sel in SELECTIONS},
    }
    GOLDEN.write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n")
    for sel, g in golden["selections"].items():
        print(f"{sel}: {','.join(g['chain'])}; " + ", ".join(f"{k} {len(v)}" for k, v in g["values"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
