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

from skiff_tui.core.session import Session

SKIFFOS = Path(os.environ.get("SKIFFOS_DIR", "/tmp/skiffos"))
BUILDROOT = Path(os.environ.get("SKIFF_BUILDROOT_SRC", "/root/.cache/skiff-test/buildroot-2026.02.3"))

pytestmark = [
    pytest.mark.skipif(
        not (SKIFFOS / "configs-base" / "pre").is_dir() or not (SKIFFOS / "configs" / "pi").is_dir(),
        reason=f"needs a SkiffOS checkout at {SKIFFOS} (set SKIFFOS_DIR)",
    ),
    pytest.mark.skipif(
        not (BUILDROOT / "Config.in").is_file(),
        reason=f"needs Buildroot 2026.02.3 at {BUILDROOT} (set SKIFF_BUILDROOT_SRC)",
    ),
]


def skiff(
    root: Path, extra: str, config: str, *args: str, env_extra: dict | None = None, check: bool = True
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SKIFF_", "BR2_")) and k != "BUILDROOT_DIR"}
    env.update(
        SKIFF_ROOT_DIR=str(root),
        SKIFF_EXTRA_CONFIGS_PATH=extra,
        SKIFF_WORKSPACE="sos",
        SKIFF_CONFIG=config,
        SKIFF_NO_INTERACTIVE="1",
        SKIFF_CACHE_DIR=str(root / ".cache"),
        SKIFF_BUILDROOT_SRC=str(BUILDROOT),
        **(env_extra or {}),
    )
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
    proc = skiff(
        root,
        str(SKIFFOS / "configs"),
        "pi/4",
        "cmd",
        "pi/common",
        "install",
        env_extra={"SKIFF_BASE": base},
        check=False,
    )
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
    proc = subprocess.run(
        ["bash", str(hook), str(ws / "target")],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "TARGET_DIR": str(ws / "target"), "BINARIES_DIR": str(ws / "images")},
    )
    assert "Merging docker.json fragment 10-log.json" in proc.stdout, proc.stdout + proc.stderr
    daemon = json.loads((ws / "target" / "etc" / "docker" / "daemon.json").read_text())
    assert daemon["log-level"] == "warn"
    assert daemon["exec-opts"] == ["native.cgroupdriver=systemd"]  # the package's own daemon.json


BASE_GOLDEN = json.loads((Path(__file__).resolve().parent / "golden" / "_base.json").read_text())


@pytest.mark.parametrize("selection", sorted(BASE_GOLDEN["selections"]))
def test_skiffos_packages_on_skiffos_base_merge_to_skiffos_values(tmp_path, selection):
    """golden/_base.json: SkiffOS's own merge of its packages on its base (capture_base_golden.py)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import capture_base_golden
    import capture_goldens

    from skiff_tui import __version__
    from skiff_tui.core.builds.configure import plan
    from skiff_tui.core.workspace import Workspace

    if capture_base_golden.tree_digest(SKIFFOS) != BASE_GOLDEN["tree_digest"]:
        pytest.skip(f"{SKIFFOS} is not the SkiffOS tree of golden/_base.json ({BASE_GOLDEN['skiffos_commit']})")
    g = BASE_GOLDEN["selections"][selection]
    root = tmp_path / "skiff"
    for d in ("configs", "workspaces"):
        (root / d).mkdir(parents=True)
    env = {"SKIFF_EXTRA_CONFIGS_PATH": str(SKIFFOS / "configs"), "SKIFF_VERSION_COMMIT": "unknown"}
    p = plan(Session(root, env, Workspace(root, "compat")), selection)
    assert p.base.kind == "skiffos" and p.chain.names == g["chain"]
    skiffos = str(SKIFFOS.resolve())
    for kind, expected in g["values"].items():
        ours = {
            s: v
            for s, (v, _) in capture_goldens.effective(p.merged.fragments[kind].render()).items()
            if kind != "buildroot" or s not in capture_goldens.POST_SYMBOLS | {"BR2_DL_DIR"}
        }
        if kind == "buildroot":  # REPLACEME_SKIFF_VERSION: SkiffOS's version there, skiff's here
            assert ours.pop("BR2_TARGET_GENERIC_ISSUE") == f'"Welcome to SkiffOS {__version__}!"'
            assert expected.pop("BR2_TARGET_GENERIC_ISSUE") == '"Welcome to SkiffOS unknown!"'
        expected = {s: v if v is None else v.replace("@SKIFFOS@", skiffos) for s, v in expected.items()}
        assert ours == expected, kind
    listed = {
        "overlays": [str(o) for o in p.merged.overlays],
        "br_patches": [str(x) for x in p.merged.patches["buildroot_patches"]],
        "kernel_patches": [str(x) for x in p.merged.patches["kernel_patches"]],
        "externals": [str(e.path) for e in p.merged.externals],
    }
    for key, value in listed.items():
        assert value == [v.replace("@SKIFFOS@", skiffos) for v in g[key]], key
