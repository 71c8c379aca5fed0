"""After a card is written: power it off / eject it where the system allows, and say how.

In order: `udisksctl power-off` (udisks2: unmounts, syncs and powers the USB port's device off, as
desktop file managers do), `eject` (util-linux/eject: SCSI START STOP UNIT, for readers and
sticks), then the kernel's own `device/delete` in sysfs (SCSI disks: the kernel flushes and
forgets the disk; the reader may be unplugged). Loop devices and image files get nothing. Every
failure falls through to the next mechanism, the last to a plain "remove it once idle".
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

from .devices import BlockDeviceInfo

# subprocess.run, or a test's stand-in that answers like it
RunFn = Callable[..., subprocess.CompletedProcess[str]]


def _tool(argv: list[str], run: RunFn) -> str | None:
    """None when it worked, else why not (one line)."""
    try:
        proc = run(argv, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if proc.returncode == 0:
        return None
    lines = [ln for ln in (proc.stderr + proc.stdout).strip().splitlines() if ln.strip()]
    return lines[-1] if lines else f"exit {proc.returncode}"


def _same_device(info: BlockDeviceInfo) -> bool:
    """The node is still the block device the plan was made for (not a plain file standing in
    for one in a demo, not another disk that took its name)."""
    try:
        st = os.stat(info.node)
    except OSError:
        return False
    return stat.S_ISBLK(st.st_mode) and (os.major(st.st_rdev), os.minor(st.st_rdev)) == tuple(info.devnum)


def eject(
    info: BlockDeviceInfo,
    *,
    sysfs: str | Path = "/sys",
    which: Callable[[str], str | None] = shutil.which,
    run: RunFn = subprocess.run,
    check_node: bool = True,
) -> str:
    """Power off / eject `info`; returns the sentence for the user naming the mechanism used."""
    if info.is_loop:
        return f"{info.node} is a loop device: nothing to eject"
    if check_node and not _same_device(info):
        return f"{info.node} is not the block device it was: nothing ejected"
    tried: list[str] = []
    if which("udisksctl"):
        why = _tool(["udisksctl", "power-off", "--no-user-interaction", "-b", info.node], run)
        if why is None:
            return f"{info.node} powered off (udisksctl power-off): remove it now"
        tried.append(f"udisksctl: {why}")
    if which("eject"):
        why = _tool(["eject", info.node], run)
        if why is None:
            return f"{info.node} ejected (eject): remove it now"
        tried.append(f"eject: {why}")
    delete = Path(sysfs) / "block" / info.name / "device" / "delete"
    if delete.exists():
        try:
            delete.write_text("1\n")
            return f"{info.node} detached by the kernel (sysfs device/delete): remove it now"
        except OSError as exc:
            tried.append(f"sysfs device/delete: {os.strerror(exc.errno) if exc.errno else exc}")
    why = "; ".join(tried) if tried else "no udisksctl or eject here, and no sysfs device/delete for it"
    return f"{info.node} stays attached ({why}): remove it once the reader's light stops"
