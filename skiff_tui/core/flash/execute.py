"""The two entry points that touch a target: `open_target()` and `execute(plan)` (docs/behaviour.md#sd-cards).

A `Plan` (flash_plan) is built first and says what will be erased and what kept; nothing touches
the target until `execute(plan)`. For a block device, `execute` re-identifies the disk (path,
size, serial, diskseq) right before writing and refuses if it changed, re-checks the safety
rules, unmounts only with consent, probes for exclusive use (O_EXCL) and holds the
udev-convention flock while the table and filesystems are made. Everything is done at byte
offsets on the whole target with real tools (sfdisk, mkfs.vfat --offset, mkfs.ext4 -E offset=,
mtools, debugfs), so image files and disks go through the same code and no mount is needed.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import FlashError, FlashErrorKind
from . import devices as dv
from .copy import (
    CopyResult,
    FdWriter,
    ImageSource,
    Progress,
    ProgressFn,
    classify_os_error,
    copy_image,
    open_image,
    prepare_file_target,
    verify_target,
)
from .debugfs import debugfs_copy
from .devices import BlockDeviceInfo
from .layout import Blob, Part
from .plan import Plan, Target
from .tools import run_tool
from .units import human_size

__all__ = ["open_target", "device_target", "check_file_overwrite", "execute", "Outcome", "Run"]


# --- targets ------------------------------------------------------------------------------------
def open_target(
    path: str | Path,
    *,
    source: dv.DeviceSource | None = None,
    show_all: bool = False,
    unmount: bool = False,
    min_size: int = 0,
    create_size: int | None = None,
) -> Target:
    """An image file (existing, or created sparse with `create_size`) or a block device that passes
    every safety rule. A device that fails one raises DeviceError naming it and what to do."""
    if create_size is not None:
        from .. import readonly

        readonly.guard(f"creating the image file {path}")
    path = str(path)
    if not os.path.isfile(path) and create_size is None:
        # a disk the device source knows (the live system, or captured records in demo/tests)
        source = source or dv.default_source()
        info = source.get(path)
        if info is not None:
            return device_target(info, show_all=show_all, unmount=unmount, min_size=min_size)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if create_size is None:
            raise FlashError(
                f"{path} does not exist", hint="give a block device such as /dev/sdX, or an existing image file"
            ) from None
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            handle.truncate(create_size)
        st = os.stat(path)
    if stat.S_ISREG(st.st_mode):
        if create_size is not None and st.st_size != create_size:
            with open(path, "r+b") as handle:
                handle.truncate(create_size)
        size = os.stat(path).st_size
        if min_size and size < min_size:
            raise FlashError(
                f"{path} is too small: {human_size(size)}, at least {human_size(min_size)} needed",
                kind=FlashErrorKind.NO_SPACE,
                hint="use --size to make it larger",
            )
        return Target(path, "image", size)
    if not stat.S_ISBLK(st.st_mode):
        raise FlashError(f"{path} is neither a block device nor an image file")
    source = source or dv.default_source()
    info = source.get(path)
    if info is None:
        if _is_partition(path):
            raise FlashError(f"{path} is a partition; give the whole disk", hint="e.g. /dev/sdb, not /dev/sdb1")
        raise FlashError(f"{path}: no such disk (unplugged?)", kind=FlashErrorKind.UNPLUGGED)
    return device_target(info, show_all=show_all, unmount=unmount, min_size=min_size)


def check_file_overwrite(path: str | Path, force: bool = False) -> None:
    """A regular file given as the target is erased only if it holds nothing yet (new, empty or
    all holes, like a fresh `truncate -s`) or the user said --force: it may be someone's image."""
    path = str(path)
    if force or not os.path.isfile(path):
        return
    from .bmap import mapped_ranges

    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        holds = mapped_ranges(fd, os.fstat(fd).st_size)
    finally:
        os.close(fd)
    if holds:
        raise FlashError(
            f"{path} is an existing file with data in it: refusing to overwrite it",
            hint="pass --force to replace its contents, or give a new file name",
        )


def device_target(info: BlockDeviceInfo, *, show_all: bool = False, unmount: bool = False, min_size: int = 0) -> Target:
    """A Target for a disk the device source reported, after every safety rule (DeviceError if not)."""
    dv.check_target(info, show_all=show_all, min_size=min_size, allow_mounted=unmount)
    return Target(info.node, "device", info.size, info, info.logical_block_size, show_all, unmount)


def _is_partition(path: str) -> bool:
    name = os.path.basename(os.path.realpath(path))
    return os.path.exists(f"/sys/class/block/{name}/partition")


# --- execution ----------------------------------------------------------------------------------
@dataclass
class Outcome:
    plan: Plan
    copy: CopyResult | None = None
    verified: bool | None = None
    messages: list[str] = field(default_factory=list)
    ejected: str | None = None  # how the card was powered off / ejected (or why not)


WriterFactory = Callable[[int], FdWriter]  # an open fd -> its writer (tests: one that fails)


class Run:
    """What steps get (flash_plan.Run): tools, raw writes and copies aimed at the plan's target, progress."""

    def __init__(
        self, plan: Plan, progress: ProgressFn | None, writer_factory: WriterFactory | None, workdir: Path
    ) -> None:
        self.plan, self.target = plan, plan.target
        self.progress = progress
        self.writer_factory: WriterFactory = writer_factory or FdWriter
        self.workdir = workdir
        self.outcome = Outcome(plan)

    def note(self, message: str) -> None:
        self.outcome.messages.append(message)

    def tool(
        self,
        argv: list[str],
        what: str,
        *,
        input: str | None = None,
        env: dict[str, str] | None = None,
        ok_codes: tuple[int, ...] = (0,),
    ) -> subprocess.CompletedProcess[str]:
        return run_tool(argv, target=self.target.path, what=what, input=input, env=env, ok_codes=ok_codes)

    def _open_write(self, direct: bool = False) -> int:
        flags = os.O_WRONLY | os.O_CLOEXEC
        if self.target.is_device:
            flags |= os.O_EXCL | (os.O_DIRECT if direct else 0)
        try:
            return os.open(self.target.path, flags)
        except OSError as exc:
            if direct and exc.errno == errno.EINVAL:  # no O_DIRECT here (tmpfs, some FUSE)
                return self._open_write(direct=False)
            raise classify_os_error(exc, self.target.path) from None

    def zero(self, offset: int, length: int) -> None:
        """Zero a region (old filesystem signatures); holes of an image file already read as zeros."""
        fd = self._open_write()
        try:
            if not self.target.is_device:
                try:
                    if os.lseek(fd, offset, os.SEEK_DATA) >= offset + length:
                        return
                except OSError as exc:
                    if exc.errno == errno.ENXIO:  # no data at or after offset
                        return
            FdWriter(fd).pwrite(bytes(length), offset)
        except OSError as exc:
            raise classify_os_error(exc, self.target.path, offset) from None
        finally:
            os.close(fd)

    def write_blob(self, blob: Blob) -> None:
        fd = self._open_write()
        try:
            writer = self.writer_factory(fd)
            writer.pwrite(blob.data(), blob.offset)
            writer.fsync()
        except OSError as exc:
            raise classify_os_error(exc, self.target.path, blob.offset) from None
        finally:
            os.close(fd)
        fd = os.open(self.target.path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            if os.pread(fd, blob.size, blob.offset) != blob.data():
                raise FlashError(
                    f"verification failed: {blob.path.name} at byte {blob.offset} of "
                    f"{self.target.path} reads back differently",
                    kind=FlashErrorKind.VERIFY,
                )
        finally:
            os.close(fd)
        self.outcome.messages.append(f"wrote and read back {blob.path.name} at byte {blob.offset}")

    def tell_kernel(self, count: int, timeout: float = 3.0) -> None:
        """partx -u (BLKPG, table parsed in userspace: works where the kernel has no GPT parser),
        then wait for the partition nodes; deletion of stale ones is asynchronous, so retry once."""
        import time

        if not dv.is_block_device(self.target.path):
            return  # a disk record whose node is a plain file (demo, tests): no kernel table
        name = self.target.name
        sep = "p" if name[-1].isdigit() else ""
        wanted = [f"/sys/class/block/{name}/{name}{sep}{i}" for i in range(1, count + 1)]
        for _attempt in range(2):
            self.tool(["partx", "-u", self.target.path], "partx -u", ok_codes=(0, 1))
            deadline = time.monotonic() + timeout / 2
            while time.monotonic() < deadline:
                if all(os.path.exists(w) for w in wanted):
                    return
                time.sleep(0.05)
        self.outcome.messages.append(
            f"the kernel does not show {self.target.path}'s new partitions yet; re-plug the card before using it"
        )

    def debugfs(self, part: Part, src: Path, *, overwrite: bool) -> None:
        written, kept = debugfs_copy(self.target.path, part.start, src, overwrite=overwrite, workdir=self.workdir)
        self.outcome.messages.append(
            f"{part.name or part.number}: {written} file(s) written"
            + (f", {kept} already present and kept" if kept else "")
        )

    def copy(self, src: ImageSource | Path, verify: bool = False) -> CopyResult:
        if not isinstance(src, ImageSource):
            src = open_image(src)
        size = src.size
        if not self.target.is_device:
            prepare_file_target(self.target.path, size or 0)
        # O_DIRECT wants every write 4 KiB-aligned: true of a bmap's or the holes' ranges unless
        # the image's size is not (its last range then ends unaligned)
        direct = self.target.is_device and (size or 0) % 4096 == 0 and (size is not None or src.bmap is not None)
        fd = self._open_write(direct=direct)
        try:
            # Read-back runs one segment behind the write; what is left after the final flush is
            # at most one segment, so segments are an eighth of the data (4–64 MiB).
            segment = min(64 * 1024**2, max(4 * 1024**2, (src.mapped or 128 * 1024**2) // 8))
            result = copy_image(
                src.path,
                self.writer_factory(fd),
                target=self.target.path,
                progress=self.progress,
                target_size=self.target.size if self.target.is_device else None,
                verify=verify,
                source=src,
                skip_zeros=not self.target.is_device,
                segment=segment,
            )
            if not self.target.is_device and os.fstat(fd).st_size < result.image_size:
                os.ftruncate(fd, result.image_size)  # trailing zeros of a stream: holes
        finally:
            os.close(fd)
        self.outcome.copy = result
        how = f", decompressed from {src.format}" if src.compressed else ""
        how += f", {src.bmap.name} checked" if src.bmap else ""
        self.outcome.messages.append(
            f"wrote {human_size(result.written)} of a {human_size(result.image_size)} image in "
            f"{result.seconds:.1f} s{how}"
        )
        if verify:
            self.outcome.verified = True
            self.outcome.messages.append(f"verified {human_size(result.written)} read back from the medium: identical")
        return result

    def verify(self, expected: CopyResult) -> None:
        verify_target(self.target.path, expected, progress=self.progress)
        self.outcome.verified = True
        self.outcome.messages.append(
            f"verified {human_size(sum(n for _, n, _ in expected.digests))} "
            f"read back in {expected.verify_seconds:.1f} s: identical"
        )


def reidentify(target: Target, source: dv.DeviceSource, min_size: int = 0) -> BlockDeviceInfo:
    """The disk must still be the one the plan was made for, and still pass every rule."""
    now = source.get(target.path)
    if now is None:
        raise FlashError(
            f"{target.path} is gone (unplugged?): nothing was written",
            kind=FlashErrorKind.UNPLUGGED,
            hint="re-insert it and select it again",
        )
    diffs = target.identity.differences(now.identity()) if target.identity else []
    if diffs:
        raise FlashError(
            f"{target.path} changed since it was selected ({', '.join(diffs)}): refusing to write",
            kind=FlashErrorKind.CHANGED,
            hint="a different card was inserted? select the device again",
        )
    dv.check_target(now, show_all=target.show_all, min_size=min_size, allow_mounted=target.unmount)
    return now


def _unmount(info: BlockDeviceInfo, source: dv.DeviceSource) -> None:
    for node, mnt in dv.unmountable(info):
        run_tool(["umount", mnt], target=node, what=f"unmounting {mnt}")
    again = source.get(info.node)
    if again and again.all_mounts():
        raise FlashError(
            f"{info.node} is still mounted ({', '.join(m for _, m in again.all_mounts())})",
            kind=FlashErrorKind.BUSY,
            hint="an automounter may have remounted it; unmount it and retry",
        )


def execute(
    plan: Plan,
    *,
    progress: ProgressFn | None = None,
    source: dv.DeviceSource | None = None,
    writer_factory: WriterFactory | None = None,
    workdir: Path | None = None,
) -> Outcome:
    """Run the plan's steps. For a device: re-identify, unmount with consent, probe O_EXCL, flock."""
    import tempfile

    from .. import readonly

    if plan.writes:
        readonly.guard(f"flash {plan.action} of {plan.target.path}")
    target = plan.target
    lock_fd = None
    with tempfile.TemporaryDirectory(prefix="skiff-flash-") as tmp:
        run = Run(plan, progress, writer_factory, Path(workdir or tmp))
        try:
            if target.is_device and plan.writes:
                source = source or dv.default_source()
                info = reidentify(target, source, plan.min_size)
                if getattr(source, "fake", False) and target.path.startswith("/dev/"):
                    raise FlashError(
                        f"{target.path} comes from captured device records (SKIFF_FAKE_DEVICES): "
                        "not writing a real device node",
                    )
                if info.all_mounts():
                    _unmount(info, source)
                try:  # kernel backstop: EBUSY while any partition is mounted or claimed
                    os.close(os.open(target.path, os.O_RDWR | os.O_EXCL | os.O_CLOEXEC))
                except OSError as exc:
                    raise classify_os_error(exc, target.path) from None
                lock_fd = os.open(target.path, os.O_RDONLY | os.O_CLOEXEC)
                try:
                    fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise FlashError(
                        f"{target.path} is locked by another program (udisks, another skiff?)",
                        kind=FlashErrorKind.BUSY,
                        hint="wait for it to finish",
                    ) from None
            total = len(plan.steps)
            for i, step in enumerate(plan.steps):
                if lock_fd is not None and not step.needs_lock:
                    os.close(lock_fd)  # mtools/debugfs take their own locks
                    lock_fd = None
                if progress:
                    progress(Progress(step.title, i, total, message=f"step {i + 1} of {total}"))
                step.run(run)
            if target.is_device and plan.writes:
                _flush(target.path)
                if plan.eject and target.info is not None:
                    if lock_fd is not None:
                        os.close(lock_fd)
                        lock_fd = None
                    from .eject import eject

                    run.outcome.ejected = eject(target.info)
                    run.outcome.messages.append(run.outcome.ejected)
            elif plan.writes and plan.action != "buildimage":
                _refresh_bmap(target.path, run.outcome)
            if progress:
                progress(Progress("done", total, total))
        finally:
            if lock_fd is not None:
                os.close(lock_fd)
    return run.outcome


def _refresh_bmap(path: str, outcome: Outcome) -> None:
    """An image file that changed (install, format, write) keeps a true block map beside it: a
    stale one would make the next write refuse the image (its ranges' checksums no longer match)."""
    from .bmap import write_bmap

    beside = Path(path + ".bmap")
    if beside.is_file():
        write_bmap(path, beside)
        outcome.messages.append(f"block map {beside.name} updated")


def _flush(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise classify_os_error(exc, path) from None
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno != errno.EINVAL:
            raise classify_os_error(exc, path) from None
    finally:
        os.close(fd)
