"""What SkiffOS users of pi/4,skiff/core rely on, in skiff's own library (docs/from-skiffos.md).

Scripts run for real (bash, jq); the ecshell test puts a recording stand-in for the docker CLI on
PATH (no Docker engine here). The stick check configures pi/4,skiff/core against a real
Buildroot 2026.02.3 tree when one is given.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "configs"
DOCKER_HOOK = CONFIGS / "apps/docker/hooks/pre.sh"
IMAGE_STORE = CONFIGS / "apps/docker/root_overlay/opt/skiff/scripts/skiff-init.d/30-docker-image-store.sh"
ECSHELL = CONFIGS / "skiff/core/root_overlay/usr/bin/ecshell"
BUILDROOT = Path(os.environ.get("SKIFF_BUILDROOT_SRC", "/root/.cache/skiff-test/buildroot-2026.02.3"))

needs_jq = pytest.mark.skipif(shutil.which("jq") is None, reason="needs jq (Debian package jq)")


def package_with_fragments(root: Path, name: str, fragments: dict[str, object]) -> Path:
    pkg = root / name
    d = pkg / "resources" / "docker" / "daemon.json.d"
    d.mkdir(parents=True)
    for fname, data in fragments.items():
        (d / fname).write_text(data if isinstance(data, str) else json.dumps(data))
    return pkg


@needs_jq
def test_daemon_json_fragments_merge_in_chain_order_later_wins(tmp_path):
    target = tmp_path / "target"
    (target / "etc/docker").mkdir(parents=True)
    shutil.copy(CONFIGS / "apps/docker/root_overlay/etc/docker/daemon.json", target / "etc/docker/daemon.json")
    first = package_with_fragments(
        tmp_path,
        "a/first",
        {"10-log.json": {"log-level": "info", "features": {"x": 1}}, "20-dns.json": {"dns": ["9.9.9.9"]}},
    )
    second = package_with_fragments(tmp_path, "b/second", {"05-log.json": {"log-level": "warn", "features": {"y": 2}}})
    env = {"PATH": os.environ["PATH"], "SKIFF_CONFIG_PATH": f"{first} {tmp_path / 'no/fragments'} {second}"}
    proc = subprocess.run(["bash", str(DOCKER_HOOK), str(target)], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    merged = json.loads((target / "etc/docker/daemon.json").read_text())
    assert merged["log-level"] == "warn"  # b/second comes later in the chain
    assert merged["features"] == {"x": 1, "y": 2}  # objects merge key by key
    assert merged["dns"] == ["9.9.9.9"]
    assert merged["data-root"] == "/mnt/persist/skiff/docker"  # the package's own daemon.json stays
    assert proc.stdout.count("merging") == 3


@needs_jq
def test_a_broken_fragment_stops_the_build_naming_the_file(tmp_path):
    target = tmp_path / "target"
    bad = package_with_fragments(tmp_path, "a/bad", {"10-bad.json": "[1, 2]"})
    proc = subprocess.run(
        ["bash", str(DOCKER_HOOK), str(target)],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "SKIFF_CONFIG_PATH": str(bad)},
    )
    assert proc.returncode == 1 and "10-bad.json: not a JSON object" in proc.stderr


def image_store(tmp_path: Path, daemon: dict | str) -> tuple[subprocess.CompletedProcess, dict | str]:
    path = tmp_path / "daemon.json"
    path.write_text(daemon if isinstance(daemon, str) else json.dumps(daemon))
    proc = subprocess.run(
        ["bash", str(IMAGE_STORE)],
        capture_output=True,
        text=True,
        env={"PATH": os.environ["PATH"], "DOCKER_DAEMON_JSON": str(path)},
    )
    assert proc.returncode == 0, proc.stderr
    text = path.read_text()
    try:
        return proc, json.loads(text)
    except json.JSONDecodeError:
        return proc, text


@needs_jq
def test_containerd_snapshotter_on_for_a_store_without_graph_driver_images(tmp_path):
    root = tmp_path / "docker"
    (root / "image" / "overlay2").mkdir(parents=True)  # empty layout: nothing to hide
    _, daemon = image_store(tmp_path, {"data-root": str(root), "log-driver": "journald"})
    assert daemon == {"data-root": str(root), "log-driver": "journald", "features": {"containerd-snapshotter": True}}


@needs_jq
def test_graph_driver_images_keep_dockers_own_store_so_they_stay_visible(tmp_path):
    root = tmp_path / "docker"
    meta = root / "image" / "overlay2" / "imagedb" / "content" / "sha256"
    meta.mkdir(parents=True)
    (meta / ("ab" * 32)).write_text("{}")
    proc, daemon = image_store(tmp_path, {"data-root": str(root)})
    assert daemon == {"data-root": str(root)} and "keeping Docker's own image store" in proc.stdout
    # a store known only through repositories.json counts too
    shutil.rmtree(root / "image" / "overlay2" / "imagedb")
    (root / "image" / "overlay2" / "repositories.json").write_text('{"Repositories": {"debian": {}}}')
    _, daemon = image_store(tmp_path, {"data-root": str(root)})
    assert "features" not in daemon


@needs_jq
@pytest.mark.parametrize(
    "daemon", [{"features": {"containerd-snapshotter": False}}, {"storage-driver": "overlay2"}, "not json"]
)
def test_a_daemon_json_that_chooses_or_is_broken_is_left_alone(tmp_path, daemon):
    _, after = image_store(tmp_path, daemon)
    assert after == daemon


def fake_docker(tmp_path: Path, running: str, users: str) -> Path:
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "docker.log"
    (bindir / "docker").write_text(f"""#!/bin/bash
echo "$*" >> {log}
case "$1" in
  inspect) echo {running} ;;
  exec) shift; while [[ "$1" == -* ]]; do [[ "$1" == -u ]] && shift; shift; done; shift
        case "$1 $2" in
          "id -u") [[ " {users} " == *" $3 "* ]] && echo 1000 || exit 1 ;;
          "getent passwd") echo "$3:x:1000:1000::/home/$3:/bin/bash" ;;
          *) echo "ran: $*" ;;
        esac ;;
esac
""")
    (bindir / "docker").chmod(0o755)
    return bindir


def test_ecshell_runs_a_command_as_the_same_user_in_the_core_container(tmp_path):
    me = subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
    bindir = fake_docker(tmp_path, "true", me)
    proc = subprocess.run(
        [str(ECSHELL), "-c", "nmcli device"],
        capture_output=True,
        text=True,
        env={"PATH": f"{bindir}:{os.environ['PATH']}"},
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr
    calls = (tmp_path / "docker.log").read_text().splitlines()
    assert calls[-1] == f"exec -i -u {me} core /bin/bash -c nmcli device"


def test_ecshell_gives_up_on_a_container_that_never_runs(tmp_path):
    bindir = fake_docker(tmp_path, "false", "")
    proc = subprocess.run(
        [str(ECSHELL)],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env={"PATH": f"{bindir}:{os.environ['PATH']}", "SKIFF_CORE_WAIT_SECONDS": "1", "SKIFF_CORE_CONTAINER": "work"},
    )
    assert proc.returncode == 1 and "container work is not running" in proc.stderr


def test_pi_image_carries_the_mmc_writeback_and_reboot_watchdog_settings():
    overlay = CONFIGS / "pi/common/root_overlay/etc"
    sysctl = dict(re.findall(r"^(vm\.\w+) = (\d+)$", (overlay / "sysctl.d/20-pi-sd-writeback.conf").read_text(), re.M))
    assert sysctl == {"vm.dirty_background_ratio": "5", "vm.dirty_ratio": "10"}
    assert "RebootWatchdogSec=12s" in (overlay / "systemd/system.conf.d/20-pi-watchdog.conf").read_text().splitlines()


@pytest.mark.skipif(not (BUILDROOT / "Config.in").is_file(), reason=f"needs Buildroot 2026.02.3 at {BUILDROOT}")
def test_pi4_skiff_core_values_stick_in_real_buildroot(tmp_path):
    root = tmp_path / "skiff"
    (root / "workspaces").mkdir(parents=True)
    (root / "overrides").mkdir()
    (root / "configs").symlink_to(CONFIGS)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SKIFF_", "BR2_"))}
    env.update(
        SKIFF_ROOT_DIR=str(root),
        SKIFF_CONFIG="pi/4,skiff/core",
        SKIFF_BUILDROOT_SRC=str(BUILDROOT),
        SKIFF_CACHE_DIR=str(tmp_path / "cache"),
        SKIFF_NO_INTERACTIVE="1",
    )
    proc = subprocess.run([sys.executable, "-m", "skiff_tui", "configure"], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    config = (root / "workspaces/default/.config").read_text()
    for symbol in ("BR2_PACKAGE_XDG_DBUS_PROXY", "BR2_PACKAGE_HOST_JQ", "BR2_PACKAGE_JQ", "BR2_PACKAGE_DOCKER_ENGINE"):
        assert f"\n{symbol}=y\n" in config, symbol
    assert "did not stick" not in proc.stdout + proc.stderr
    kernel = (root / "workspaces/.config_default/kernel/config").read_text()
    for symbol in (
        "CONFIG_NETFILTER_XTABLES",
        "CONFIG_IP_NF_IPTABLES",
        "CONFIG_IP_NF_FILTER",
        "CONFIG_IP_NF_RAW",
        "CONFIG_NET_CLS_CGROUP",
    ):
        assert f"\n{symbol}=y\n" in kernel, symbol
    overlays = re.search(r'^BR2_ROOTFS_OVERLAY="(.*)"$', config, re.M).group(1).split()
    assert str(CONFIGS / "pi/common/root_overlay") in overlays and str(CONFIGS / "skiff/core/root_overlay") in overlays
