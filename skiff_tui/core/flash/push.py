"""OTA push: send a workspace's built images to a running device over ssh/rsync
(docs/behaviour.md#commands-of-packages).

Files land in the device's boot and rootfs mounts per the install mapping (docs/behaviour.md#sd-cards); persist is
never touched. rsync writes each file to a temporary name and, with --delay-updates, renames
them all at the end, so a dropped connection leaves the previous kernel and rootfs intact. The
update takes effect on the next reboot.
"""

from __future__ import annotations

import io
import re
import shlex
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .. import readonly
from ..errors import SkiffError

KERNELS = ("zImage", "Image", "bzImage", "vmlinux")
ROOTFS_IMAGES = ("rootfs.cpio.uboot", "rootfs.squashfs", "rootfs.cpio.lz4", "rootfs.cpio.gz")
DEVICE_BOOT = "/mnt/boot"
DEVICE_ROOTFS = "/mnt/rootfs"
TARGET = re.compile(r"(?:[A-Za-z0-9._-]+@)?[A-Za-z0-9._:\[\]-]+\Z")

# Runs on the device (fed on stdin, no user text inside): make sure boot is mounted and rootfs writable.
PREPARE_DEVICE = r"""set -e
sync
if ! mountpoint -q /mnt/boot; then
  mkdir -p /mnt/boot
  for dev in /dev/disk/by-label/BOOT /dev/disk/by-label/boot /dev/mmcblk0p1 /dev/mmcblk1p1; do
    if [ -b "$dev" ]; then mount "$dev" /mnt/boot && break; fi
  done
  mountpoint -q /mnt/boot || { echo "skiff push: cannot find the boot partition on the device" >&2; exit 1; }
fi
if [ -d /mnt/rootfs ] && ! [ -w /mnt/rootfs ]; then mount -o remount,rw /mnt/rootfs; fi
"""


class PushError(SkiffError):
    """The push cannot start or did not complete."""


# rsync --info=progress2: "     1,234,567  45%    1.23MB/s    0:00:01 (xfr#1, to-chk=0/3)"
RSYNC_PROGRESS = re.compile(r"^\s*(?P<bytes>[\d,.]+[KMGT]?)\s+(?P<percent>\d{1,3})%\s+(?P<rate>\S+)\s+(?P<eta>\S+)")


@dataclass(frozen=True)
class PushProgress:
    dest: str  # boot / rootfs
    percent: int
    sent: str  # bytes so far, as rsync prints them
    rate: str

    def line(self) -> str:
        return f"{self.dest}: {self.percent}% ({self.sent} bytes, {self.rate})"


def parse_rsync_progress(line: str, dest: str) -> PushProgress | None:
    match = RSYNC_PROGRESS.match(line)
    if not match:
        return None
    return PushProgress(dest, int(match["percent"]), match["bytes"], match["rate"])


def _rsync(argv: list[str], dest: str, progress: Callable[[PushProgress], None] | None) -> tuple[int, str]:
    """Run rsync; (exit status, stderr). With `progress`, its progress2 lines become events."""
    if progress is None:
        result = subprocess.run(argv, stderr=subprocess.PIPE, text=True)
        return result.returncode, result.stderr
    with tempfile.TemporaryFile() as errors:
        with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=errors, stdin=subprocess.DEVNULL) as proc:
            stdout = proc.stdout
            assert isinstance(stdout, io.BufferedReader)  # stdout=PIPE, buffered
            buf = b""
            while chunk := stdout.read1(4096):
                buf += chunk
                *pieces, buf = re.split(rb"[\r\n]", buf)
                for piece in pieces:
                    event = parse_rsync_progress(piece.decode("utf-8", "replace"), dest)
                    if event is not None:
                        progress(event)
            code = proc.wait()
        errors.seek(0)
        return code, errors.read().decode("utf-8", "replace")


@dataclass(frozen=True)
class Transfer:
    source: Path
    dest: str  # "boot" or "rootfs"
    name: str  # path relative to that mount ("" = merge a directory's contents)


def plan_push(images: Path) -> list[Transfer]:
    """What goes where, from the workspace's images/ directory."""
    if not images.is_dir():
        raise PushError("no build output to push", path=images, hint="run 'skiff compile' first")
    out: list[Transfer] = []
    for name in ROOTFS_IMAGES:
        if (images / name).is_file():
            out.append(Transfer(images / name, "boot", name))
            break
    for name in KERNELS:
        if (images / name).is_file():
            out.append(Transfer(images / name, "boot", name))
            break
    for dtb in sorted(images.glob("*.dtb")) + sorted(images.glob("*.dtbo")):
        out.append(Transfer(dtb, "boot", dtb.name))
    for name in ("skiff-release", "skiff-init.img"):
        if (images / name).is_file():
            out.append(Transfer(images / name, "boot", name))
    if (images / "skiff-init").is_dir():
        out.append(Transfer(images / "skiff-init", "boot", "skiff-init"))
    fw = images / "rpi-firmware"
    if fw.is_dir():
        for f in sorted(fw.iterdir()):
            if f.is_file() and f.suffix in (".bin", ".dat", ".elf"):
                out.append(Transfer(f, "boot", f.name))
        if (fw / "overlays").is_dir():
            out.append(Transfer(fw / "overlays", "boot", "overlays"))
    if (images / "boot_part").is_dir():
        out.append(Transfer(images / "boot_part", "boot", ""))
    if (images / "rootfs_part").is_dir():
        out.append(Transfer(images / "rootfs_part", "rootfs", ""))
    if not any(t.name in KERNELS or t.name in ROOTFS_IMAGES for t in out):
        raise PushError(
            "images/ holds neither a kernel nor a root filesystem image", path=images, hint="run 'skiff compile' first"
        )
    return out


def _stage(transfers: list[Transfer], stage: Path) -> None:
    """A tree of symlinks mirroring the device layout; rsync -L copies what they point at."""
    for t in transfers:
        base = stage / t.dest
        base.mkdir(parents=True, exist_ok=True)
        if t.name == "":
            for child in sorted(t.source.iterdir()):
                target = base / child.name
                if not target.exists():
                    target.symlink_to(child.resolve())
        else:
            (base / t.name).symlink_to(t.source.resolve())


def ssh_argv(port: int | None, identity: Path | None, options: list[str]) -> list[str]:
    argv = ["ssh", "-o", "BatchMode=yes"]
    if port:
        argv += ["-p", str(port)]
    if identity:
        argv += ["-i", str(identity)]
    for opt in options:
        argv += ["-o", opt]
    return argv


def push(
    images: Path,
    target: str,
    *,
    port: int | None = None,
    identity: Path | None = None,
    ssh_options: list[str] | None = None,
    boot_dir: str = DEVICE_BOOT,
    rootfs_dir: str = DEVICE_ROOTFS,
    dry_run: bool = False,
    log: Callable[[str], object] = print,
    bwlimit: int | None = None,
    progress: Callable[[PushProgress], None] | None = None,
) -> list[Transfer]:
    """Send the images; `progress` (a callable taking PushProgress) gets rsync's progress instead
    of the terminal."""
    if not TARGET.match(target) or target.startswith("-"):
        raise PushError(f"not a device address: {target!r}", hint="use user@host, e.g. root@192.168.1.41")
    transfers = plan_push(images)
    if dry_run:
        for t in transfers:
            log(f"{t.source} -> {boot_dir if t.dest == 'boot' else rootfs_dir}/{t.name}")
        return transfers
    readonly.guard("pushing images to a device")
    ssh = ssh_argv(port, identity, ssh_options or [])
    if boot_dir == DEVICE_BOOT:
        prepare = subprocess.run([*ssh, target, "sh", "-s"], input=PREPARE_DEVICE, text=True, capture_output=True)
    else:  # a custom layout (e.g. a test double of the device): just make sure it exists
        prepare = subprocess.run(
            [*ssh, target, "mkdir", "-p", "--", boot_dir, rootfs_dir], text=True, capture_output=True
        )
    if prepare.returncode != 0:
        raise PushError(
            f"cannot prepare {target}: {_last_line(prepare.stderr)}",
            hint="check that the device is up and accepts your ssh key",
        )
    with tempfile.TemporaryDirectory(prefix="skiff-push-") as tmp:
        stage = Path(tmp)
        _stage(transfers, stage)
        for dest, remote in (("boot", boot_dir), ("rootfs", rootfs_dir)):
            if not (stage / dest).is_dir():
                continue
            argv = ["rsync", "-rtL", "--sparse", "--delay-updates", "--info=progress2", "-e", shlex.join(ssh)]
            if bwlimit:
                argv.append(f"--bwlimit={bwlimit}")
            argv += [f"{stage / dest}/", f"{target}:{remote.rstrip('/')}/"]
            log(f"skiff: sending {dest} files to {target}:{remote}")
            code, stderr = _rsync(argv, dest, progress)
            if code != 0:
                raise PushError(
                    f"rsync to {target}:{remote} failed (exit {code}): "
                    f"{_last_line(stderr)}; the device keeps its previous files",
                    hint="re-run 'skiff push' once the connection is back",
                )
    log(f"skiff: pushed {len(transfers)} item(s) to {target}; reboot the device to use them")
    return transfers


def _last_line(text: str) -> str:
    lines = [ln for ln in (text or "").strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "no output"
