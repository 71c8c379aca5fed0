"""Running the host tools flashing uses (sfdisk, mkfs, mtools, debugfs, partx, umount) and
turning what they print on failure into a FlashError of the right kind (write-protected,
no space, unplugged, busy)."""

from __future__ import annotations

import os
import shutil
import subprocess

from ..errors import FlashError, FlashErrorKind

TOOL_PACKAGES = {
    "sfdisk": "fdisk",
    "mkfs.vfat": "dosfstools",
    "mkfs.ext4": "e2fsprogs",
    "debugfs": "e2fsprogs",
    "e2fsck": "e2fsprogs",
    "mcopy": "mtools",
    "partx": "util-linux",
    "umount": "mount",
}


def classify_output(text: str, target: str, what: str) -> FlashError:
    low = text.lower()
    if "read-only" in low or "operation not permitted" in low or "write-protect" in low:
        return FlashError(
            f"{target} is write-protected ({what} failed)",
            kind=FlashErrorKind.WRITE_PROTECTED,
            hint="slide the card's lock switch to unlocked, re-insert it and retry",
        )
    if "no space left" in low:
        return FlashError(f"no space left on {target} ({what})", kind=FlashErrorKind.NO_SPACE)
    if "no such device" in low or "no medium" in low:
        return FlashError(
            f"{target} disappeared during {what} (unplugged?)",
            kind=FlashErrorKind.UNPLUGGED,
            hint="re-insert it and start again",
        )
    if "is mounted" in low or "busy" in low:
        return FlashError(f"{target} is in use ({what})", kind=FlashErrorKind.BUSY, hint="unmount its partitions")
    last = [ln for ln in text.strip().splitlines() if ln.strip()]
    return FlashError(f"{what} failed on {target}: {last[-1] if last else 'no message'}")


def run_tool(
    argv: list[str],
    *,
    target: str,
    what: str,
    input: str | None = None,
    env: dict[str, str] | None = None,
    ok_codes: tuple[int, ...] = (0,),
) -> subprocess.CompletedProcess[str]:
    if shutil.which(argv[0]) is None:
        pkg = TOOL_PACKAGES.get(argv[0])
        raise FlashError(f"{argv[0]} is not installed", hint=f"install the '{pkg}' package" if pkg else None)
    full_env = dict(os.environ, LC_ALL="C", **(env or {}))
    full_env.pop("LOCK_BLOCK_DEVICE", None)
    proc = subprocess.run(
        argv,
        input=input,
        capture_output=True,
        text=True,
        env=full_env,
        stdin=None if input is not None else subprocess.DEVNULL,
    )
    if proc.returncode not in ok_codes:
        raise classify_output(proc.stderr + proc.stdout, target, what)
    return proc
