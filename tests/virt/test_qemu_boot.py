"""`skiff cmd virt/qemu run` for real: boot a Debian kernel and a tiny busybox initramfs under
software emulation through the package's own run script, and read what the guest prints."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from skifftest import requires_tools, run_skiff, skip_or_fail

REPO = Path(__file__).resolve().parents[2]
KERNEL_DIR = Path(os.environ.get("SKIFF_TEST_KERNEL_DIR", "/opt/skiff-test-kernel"))
BUSYBOX = shutil.which("busybox") or "/bin/busybox"
MODULES = (
    "virtio_ring",
    "virtio",
    "virtio_pci_modern_dev",
    "virtio_pci_legacy_dev",
    "virtio_pci",
    "virtio_blk",
    "virtio-rng",
)

# busybox, lz4 and cpio build the initramfs.
pytestmark = requires_tools("qemu-system-x86_64", "busybox", "lz4", "cpio")


@pytest.fixture(autouse=True)
def _test_kernel():
    if not (KERNEL_DIR / "vmlinuz").exists():
        skip_or_fail(f"no test kernel in {KERNEL_DIR}: run .ci/get-test-kernel {KERNEL_DIR} (unpacks Debian's)")


INIT = """#!/bin/busybox sh
/bin/busybox --install -s /bin
mkdir -p /proc /sys /dev
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in {modules}; do insmod /modules/$m.ko; done
i=0; while [ ! -e /sys/block/vda ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i+1)); done
echo "SKIFF-GUEST-UP kernel=$(uname -r)"
echo "SKIFF-GUEST-BLOCK $(ls /sys/block | tr '\\n' ' ')"
echo "SKIFF-GUEST-RNG $(cat /sys/class/misc/hw_random/rng_available)"
echo "SKIFF-GUEST-CMDLINE $(cat /proc/cmdline)"
poweroff -f
"""


def build_initramfs(dest: Path, work: Path) -> None:
    root = work / "initramfs"
    (root / "bin").mkdir(parents=True)
    (root / "modules").mkdir()
    shutil.copy(BUSYBOX, root / "bin" / "busybox")
    release = next((KERNEL_DIR / "modules").iterdir())
    for name in MODULES:
        found = list(release.rglob(f"{name}.ko"))
        assert found, f"module {name} missing from the test kernel"
        shutil.copy(found[0], root / "modules" / f"{name}.ko")
    init = root / "init"
    init.write_text(INIT.format(modules=" ".join(MODULES)))
    init.chmod(0o755)
    files = subprocess.run(["find", "."], cwd=root, capture_output=True, check=True).stdout
    cpio = subprocess.run(
        ["cpio", "-o", "-H", "newc", "--quiet"], cwd=root, input=files, capture_output=True, check=True
    ).stdout
    # The kernel reads lz4's legacy frame format (-l), as Buildroot's rootfs.cpio.lz4 uses.
    dest.write_bytes(subprocess.run(["lz4", "-l", "-c"], input=cpio, capture_output=True, check=True).stdout)


def test_qemu_run_boots_kernel_and_initramfs(skiff_root, tmp_path):
    shutil.rmtree(skiff_root / "configs")  # the fixture's stand-in library
    (skiff_root / "configs").symlink_to(REPO / "configs")
    images = skiff_root / "workspaces" / "default" / "images"
    images.mkdir(parents=True)
    shutil.copy(KERNEL_DIR / "vmlinuz", images / "bzImage")
    build_initramfs(images / "rootfs.cpio.lz4", tmp_path)
    env = {
        "QEMU_NO_KVM": "1",
        "QEMU_MEMORY": "256M",
        "QEMU_CPUS": "1",
        "QEMU_DISK_SIZE": "64M",
        "QEMU_EXTRA_ARGS": "-no-reboot",
    }
    r = run_skiff("cmd", "virt/qemu", "run", env=env)
    out = r.stdout
    assert "SKIFF-GUEST-UP" in out, (out[-3000:], r.stderr[-2000:])
    assert "SKIFF-GUEST-BLOCK" in out and "vda" in out.split("SKIFF-GUEST-BLOCK", 1)[1].splitlines()[0]
    assert "virtio_rng" in out.split("SKIFF-GUEST-RNG", 1)[1].splitlines()[0]
    assert "console=ttyS0" in out.split("SKIFF-GUEST-CMDLINE", 1)[1].splitlines()[0]
    assert "tcg" in out  # software emulation, as asked
    disk = skiff_root / "workspaces" / "default" / "qemu" / "persist.qcow2"
    assert disk.exists() and disk.read_bytes()[:4] == b"QFI\xfb"  # qcow2 magic: created on first run
