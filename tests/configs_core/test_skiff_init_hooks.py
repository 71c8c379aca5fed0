"""skiff-init runs SkiffOS's boot-time hook directories at SkiffOS's points, in SkiffOS's order.

The real script from the base layer's root_overlay runs in a sandbox: a private mount and host-name
namespace, chrooted into a temp root that borrows the host's /usr read-only. Its mounts are real
(the persist "device" is a directory bind-mounted the way SkiffOS's v86/qemu pre-hooks ask for);
only the tools that would talk to a running systemd/udev are stand-ins that log their calls.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "configs" / "base" / "pre" / "root_overlay" / "opt" / "skiff" / "scripts"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("chroot") or not shutil.which("rsync"),
    reason="needs root, unshare (util-linux), chroot (coreutils) and rsync for the boot sandbox",
)

# Stand-ins for tools that need a running systemd or udev; each logs how it was called.
STUBS = {
    "udevadm": "",
    "systemctl": "",
    "ssh-keygen": "",
    "systemd-machine-id-setup": "echo 0123456789abcdef0123456789abcdef",
}
HOOKS = {
    # Sourced: may change skiff-init's variables (names as SkiffOS's pre-hooks use them).
    "mount-all.pre.d/10-first.sh": (
        'echo "pre 10 mnt=$PERSIST_MNT run=$SKIFF_RUN_INIT_ACTIONS unset=${NOT_SET_ANYWHERE}" >> /order.log\n'
        "PERSIST_DEVICE=/persist-src\nPERSIST_MNT_FLAGS=--rbind\n"
        "ROOTFS_DEVICE=/mnt/persist/rootfs\nROOTFS_DEVICE_MKDIR=true\nROOTFS_MNT_FLAGS=--rbind\n"
        "DISABLE_RESIZE_PERSIST=true\nMY_VAR=from-pre\n",
        0o644,
    ),
    "mount-all.pre.d/20-second.sh": ('echo "pre 20 device=$PERSIST_DEVICE" >> /order.log\n', 0o644),
    "mount-all.pre.d/30-not-a-hook.txt": ('echo "never" >> /order.log\n', 0o644),
    "mount-all.d/01-a.sh": (
        "#!/bin/bash\n"
        'm=""; mountpoint -q /mnt/persist && m="$m persist-mounted"; '
        'mountpoint -q /mnt/rootfs && m="$m rootfs-mounted"\n'
        'echo "post 01 persist=$SKIFF_PERSIST my=$MY_VAR$m" >> /order.log\n'
        'grep -q "^SKIFF_PERSIST=/mnt/persist/skiff$" /etc/skiff/env && echo "post 01 env-written" >> /order.log\n',
        0o755,
    ),
    "mount-all.d/02-fails.sh": ('#!/bin/sh\necho "post 02" >> /order.log\nexit 3\n', 0o755),
    "mount-all.d/03-not-executable.sh": ('#!/bin/sh\necho "post 03" >> /order.log\n', 0o644),
    "mount-all.d/04-last.sh": ('#!/bin/sh\necho "post 04" >> /order.log\n', 0o755),
    "skiff-init.d/10-own.sh": ('#!/bin/sh\necho "init.d 10" >> /order.log\n', 0o755),
}
# Runs inside the private namespaces: borrow /usr, give the chroot /dev and /proc, boot.
SANDBOX = r"""
set -e
root="$1"
mount --bind /usr "$root/usr"
mount -o remount,bind,ro "$root/usr"
mount --rbind /dev "$root/dev"
mount -t proc proc "$root/proc"
set +e
chroot "$root" /usr/bin/env -i PATH=/stub:/usr/sbin:/usr/bin HOME=/root /opt/skiff/scripts/skiff-init.sh
echo "exit=$?"
"""


def boot(tmp_path: Path, hooks: dict[str, tuple[str, int]], dirs: tuple[str, ...] = ()) -> dict:
    """Run skiff-init in the sandbox with these hook files (path under scripts/ -> text, mode)."""
    root = tmp_path / "sysroot"
    for d in (
        "usr",
        "dev",
        "proc",
        "tmp",
        "stub",
        "persist-src",
        "etc/ssh",
        "etc/NetworkManager",
        "root",
        "var/log",
        *dirs,
    ):
        (root / d).mkdir(parents=True, exist_ok=True)
    for link in ("bin", "sbin", "lib", "lib64"):
        if Path("/" + link).is_symlink():
            (root / link).symlink_to(os.readlink("/" + link))
    for name in ("passwd", "group", "nsswitch.conf"):
        if Path("/etc", name).exists():
            shutil.copy(Path("/etc", name), root / "etc" / name)
    (root / "etc" / "hostname").write_text("skiffos-sandbox\n")
    (root / "etc" / "hosts").write_text("127.0.0.1 localhost skiffos-sandbox\n")
    (root / "etc" / "ssh" / "sshd_config").write_text("PermitRootLogin prohibit-password\n")
    for name, body in STUBS.items():
        stub = root / "stub" / name
        stub.write_text(f'#!/bin/sh\necho "{name} $*" >> /calls.log\n{body}\n')
        stub.chmod(0o755)
    scripts = root / "opt" / "skiff" / "scripts"
    scripts.mkdir(parents=True)
    shutil.copy(SCRIPTS / "skiff-init.sh", scripts / "skiff-init.sh")
    for rel, (text, mode) in hooks.items():
        path = scripts / rel
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
        path.chmod(mode)
    proc = subprocess.run(
        ["unshare", "--mount", "--uts", "--propagation", "private", "bash", "-c", SANDBOX, "sandbox", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "exit=0" in proc.stdout, proc.stdout + proc.stderr
    order = root / "order.log"
    return {
        "root": root,
        "out": proc.stdout + proc.stderr,
        "order": order.read_text().splitlines() if order.exists() else [],
    }


@pytest.fixture
def booted(tmp_path) -> dict:
    return boot(tmp_path, HOOKS)


def test_hooks_run_at_skiffos_points_in_skiffos_order(booted):
    assert booted["order"] == [
        "pre 10 mnt=/mnt/persist run=true unset=",  # defaults already set; sourced without -u
        "pre 20 device=/persist-src",  # sees the earlier pre-hook's change
        "post 01 persist=/mnt/persist/skiff my=from-pre persist-mounted rootfs-mounted",
        "post 01 env-written",  # after /etc/skiff/env is written
        "post 02",  # fails: logged, the next one still runs
        "post 04",  # 03 is not executable: skipped
        "init.d 10",  # skiff's own directory comes last
    ]
    assert "02-fails.sh failed; continuing" in booted["out"]
    assert "03-not-executable.sh is not executable; skipped" in booted["out"]


def test_pre_hook_variables_steer_the_real_mounts(booted):
    root = booted["root"]
    # persist was the bind-mounted directory: what skiff-init wrote there outlives the sandbox
    assert (root / "persist-src" / "skiff" / "hostname").read_text().strip() == "skiffos-sandbox"
    assert (root / "persist-src" / "skiff" / "machine-id").read_text().strip() == "0123456789abcdef0123456789abcdef"
    assert (root / "persist-src" / "rootfs").is_dir()  # ROOTFS_DEVICE_MKDIR made the rbind source
    env = dict(line.split("=", 1) for line in (root / "etc" / "skiff" / "env").read_text().splitlines())
    assert env["ROOTFS_DEVICE"] == "/mnt/persist/rootfs" and env["KEYS_PERSIST"] == "/mnt/persist/skiff/keys"
    assert "mounted /persist-src on /mnt/persist" in booted["out"]


SKIFFOS = Path(os.environ.get("SKIFFOS_DIR", "/tmp/skiffos"))


@pytest.mark.skipif(
    not (SKIFFOS / "configs" / "browser" / "v86").is_dir(),
    reason=f"needs a SkiffOS checkout at {SKIFFOS} (set SKIFFOS_DIR)",
)
@pytest.mark.skipif(shutil.which("jq") is None, reason="SkiffOS's docker hook runs jq (Debian package jq)")
def test_skiffos_own_boot_hooks_run_unchanged(tmp_path):
    """SkiffOS's v86 pre-hook (persist, rootfs and boot from directories, by --rbind) and its
    apps/docker mount-all.d script, copied from the checkout into the sandbox, under skiff-init."""
    scripts = SKIFFOS / "configs"
    pre = scripts / "browser/v86/root_overlay/opt/skiff/scripts/mount-all.pre.d/00skiff-v86-mounts.sh"
    docker = scripts / "apps/docker/root_overlay/opt/skiff/scripts/mount-all.d/02-skiff-apps-docker.sh"
    result = boot(
        tmp_path,
        {
            "mount-all.pre.d/00skiff-v86-mounts.sh": (pre.read_text(), 0o644),
            "mount-all.d/02-skiff-apps-docker.sh": (docker.read_text(), 0o755),
        },
        dirs=("persist", "boot", "etc/docker"),
    )
    root = result["root"]
    out = result["out"]
    assert "mounted /persist on /mnt/persist" in out and "mounted /boot on /mnt/rootfs" in out
    assert "boot is at /mnt/boot" in out  # MOUNT_BOOT_DEVICE=true in the pre-hook
    assert (root / "persist" / "skiff" / "hostname").is_file()  # written through the --rbind mount
    assert (root / "persist" / "skiff" / "docker").is_dir()  # SkiffOS's script found SKIFF_PERSIST
    daemon = (root / "etc" / "docker" / "daemon.json").read_text()
    assert '"containerd-snapshotter": true' in daemon
    assert "failed; continuing" not in out
