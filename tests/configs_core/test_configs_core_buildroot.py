"""Against a real Buildroot 2026.02.3 tree: `skiff check` finds no unknown symbol and no value that
fails to stick in the base layers or in these packages, alone and with skiff/core.

Runs against the real tree in SKIFF_BUILDROOT_SRC (about 1 s per selection, 27 selections)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from skifftest import REAL_BUILDROOT, requires_buildroot, requires_tools

from skiff_tui.core.session import Session

REPO = Path(__file__).resolve().parents[2]
OURS = ("base", "skiff", "apps", "util", "core", "virt", "browser")
PACKAGES = [
    "skiff/core",
    "skiff/moduleimg",
    "util/rootlogin",
    "apps/runc",
    "apps/containerd",
    "apps/docker",
    "apps/podman",
    "virt/qemu",
    "virt/docker",
    "virt/virtualbox",
    "virt/wsl",
    "browser/v86",
    "core/alpine",
    "core/debian",
    "core/fedora",
    "core/gentoo",
    "core/ubuntu",
    "core/dietpi",
    "core/nasa_cfs",
    "core/nasa_fprime",
    "core/nixos",
    "core/nixos_xfce",
]
# With skiff/core every package meets the most other layers; alone only where the package itself
# changes the machine (architecture, no kernel), since that is where a base value can stop sticking.
SELECTIONS = [
    "skiff/core",
    *(f"{p},skiff/core" for p in PACKAGES if p != "skiff/core"),
    "virt/qemu",
    "virt/docker",
    "virt/virtualbox",
    "virt/wsl",
    "browser/v86",
]

TREE = str(REAL_BUILDROOT or "")
pytestmark = [requires_buildroot, requires_tools("make", "gcc")]


def host_gcc_version() -> str:
    """What Buildroot's Makefile passes as HOST_GCC_VERSION (the major version for gcc >= 5)."""
    gcc = shutil.which("gcc")
    if not gcc:
        return ""
    out = subprocess.run([gcc, "-dumpversion"], capture_output=True, text=True).stdout.strip()
    return out.split(".")[0]


@pytest.mark.parametrize("selection", SELECTIONS)
def test_skiff_check_is_clean_for_our_layers(selection, tmp_path):
    env = {**os.environ, "SKIFF_CONFIG": selection, "BUILDROOT_DIR": TREE, "SKIFF_WORKSPACE": "configs-core-check"}
    # Buildroot's own make sets this for Kconfig (BR2_HOST_GCC_AT_LEAST_*; systemd needs >= 8).
    env.setdefault("HOST_GCC_VERSION", host_gcc_version())
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from skiff_tui.cli import main; sys.exit(main(sys.argv[1:]))",
            "check",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=120,
    )
    assert result.stdout, result.stderr
    report = json.loads(result.stdout)
    assert any("checked" in n and "Buildroot values" in n for n in report["notes"]), report["notes"]
    ours = re.compile(r"/configs/({})/".format("|".join(OURS)))
    mine = [p for p in report["problems"] if ours.search(p)]
    assert mine == []


@pytest.mark.parametrize("selection", ["virt/docker", "virt/wsl", "modalai/voxl2", "pi/4,skiff/core"])
def test_configure_reports_every_requested_value_sticking(selection, tmp_path):
    """The engine's configure (real `make defconfig`) on stacks with no kernel (docker, wsl), with
    no systemd (VOXL 2) and the everyday pi/4 + skiff/core: nothing in its did-not-stick report."""
    from skiff_tui.core.builds.configure import configure
    from skiff_tui.core.workspace import Workspace

    root = tmp_path / "skiff"
    (root / "overrides").mkdir(parents=True)
    (root / "configs").symlink_to(REPO / "configs", target_is_directory=True)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "SKIFF_ROOT_DIR": str(root),
        "SKIFF_CACHE_DIR": str(tmp_path / "cache"),
        "SKIFF_BUILDROOT_SRC": TREE,
        "SKIFF_CONFIG": selection,
    }
    result = configure(Session(root, env, Workspace(root, "default")))
    assert result.kconfig_ran
    assert [f"{a.symbol}={a.shown_value} ({a.origin}) -> {got}" for a, got in result.not_stuck] == []
