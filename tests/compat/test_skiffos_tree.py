"""SkiffOS's own package tree, unchanged, through SKIFF_EXTRA_CONFIGS_PATH with real Buildroot.

Needs a SkiffOS checkout (SKIFFOS_DIR, else /tmp/skiffos) and Buildroot 2026.02.3
(SKIFF_BUILDROOT_SRC); each test skips saying which is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SKIFFOS = Path(os.environ.get("SKIFFOS_DIR", "/tmp/skiffos"))
BUILDROOT = Path(os.environ.get("SKIFF_BUILDROOT_SRC", "/root/.cache/skiff-test/buildroot-2026.02.3"))

pytestmark = [
    pytest.mark.skipif(not (SKIFFOS / "configs-base" / "pre").is_dir() or not (SKIFFOS / "configs" / "pi").is_dir(),
                       reason=f"needs a SkiffOS checkout at {SKIFFOS} (set SKIFFOS_DIR)"),
    pytest.mark.skipif(not (BUILDROOT / "Config.in").is_file(),
                       reason=f"needs Buildroot 2026.02.3 at {BUILDROOT} (set SKIFF_BUILDROOT_SRC)"),
]


def skiff(root: Path, extra: str, config: str, *args: str, env_extra: dict | None = None,
          check: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SKIFF_", "BR2_")) and k != "BUILDROOT_DIR"}
    env.update(SKIFF_ROOT_DIR=str(root), SKIFF_EXTRA_CONFIGS_PATH=extra, SKIFF_WORKSPACE="sos",
               SKIFF_CONFIG=config, SKIFF_NO_INTERACTIVE="1", SKIFF_CACHE_DIR=str(root / ".cache"),
               SKIFF_BUILDROOT_SRC=str(BUILDROOT), **(env_extra or {}))
    proc = subprocess.run([sys.executable, "-m", "skiff_tui", *args], env=env, capture_output=True, text=True)
    if check:
        assert proc.returncode == 0, proc.stderr + proc.stdout
    return proc


@pytest.fixture
def root(tmp_path) -> Path:
    """A skiff tree with skiff's own library (configs/ from this checkout, base layers included)."""
    r = tmp_path / "skiff"
    (r / "workspaces").mkdir(parents=True)
    (r / "overrides").mkdir()
    (r / "configs").symlink_to(Path(__file__).resolve().parents[2] / "configs")
    return r


@pytest.mark.parametrize("base", ["auto", "skiff"])
def test_pi_common_install_finds_the_boot_config_and_asks_for_pi_sd(root, base):
    proc = skiff(root, str(SKIFFOS / "configs"), "pi/4", "cmd", "pi/common", "install",
                 env_extra={"SKIFF_BASE": base}, check=False)
    out = proc.stdout + proc.stderr
    assert "Unable to find boot command line and config!" not in out
    assert "Please set PI_SD" in out
    assert proc.returncode != 0  # no card named: SkiffOS's script stops there


@pytest.mark.skipif(shutil.which("jq") is None, reason="SkiffOS's hook runs jq (Debian package jq)")
def test_apps_docker_pre_hook_merges_daemon_json_fragments(root, tmp_path):
    extra = tmp_path / "mine"
    frag = extra / "my" / "dj" / "resources" / "docker" / "daemon.json.d"
    frag.mkdir(parents=True)
    (extra / "my" / "dj" / "metadata").mkdir()
    (extra / "my" / "dj" / "metadata" / "description").write_text("daemon.json fragment\n")
    (frag / "10-log.json").write_text('{"log-level": "warn"}\n')
    skiff(root, f"{extra}:{SKIFFOS / 'configs'}", "apps/docker,my/dj", "configure")
    ws = root / "workspaces" / "sos"
    (ws / "target" / "etc").mkdir(parents=True, exist_ok=True)
    (ws / "images").mkdir(exist_ok=True)
    hook = root / "workspaces" / ".config_sos" / "pre_build.sh"
    proc = subprocess.run(["bash", str(hook), str(ws / "target")], capture_output=True, text=True,
                          env={"PATH": os.environ["PATH"], "TARGET_DIR": str(ws / "target"),
                               "BINARIES_DIR": str(ws / "images")})
    assert "Merging docker.json fragment 10-log.json" in proc.stdout, proc.stdout + proc.stderr
    daemon = json.loads((ws / "target" / "etc" / "docker" / "daemon.json").read_text())
    assert daemon["log-level"] == "warn"
    assert daemon["exec-opts"] == ["native.cgroupdriver=systemd"]  # the package's own daemon.json
