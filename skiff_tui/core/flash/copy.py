"""Sparse-aware image copy with read-back verification, progress, and failure classification.

Only the mapped ranges of the image (SEEK_DATA/SEEK_HOLE) are written, in large aligned chunks,
and each chunk's SHA-256 is kept; verification reads the same ranges back from the target
(O_DIRECT where possible, else after dropping the page cache) and compares chunk by chunk, so a
mismatch is reported with its offset.
"""

from __future__ import annotations

import errno
import hashlib
import mmap
import os
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import FlashError, FlashErrorKind
from .bmap import Bmap, mapped_ranges
from .image import RangeChecker, RangeReader, Skipped, StreamReader, check_stream_end, detect_format, read_exact
from .units import human_size

CHUNK = 8 * 1024 * 1024
ALIGN = 4096
STALL_AFTER = 30.0
# Phases whose Progress counts bytes (shown as a bar); "write (decompressing xz)" too. Other
# phases are step titles.
PROGRESS_PHASES = ("write", "verify", "finishing writes (flush)")


@dataclass
class Progress:
    phase: str  # "write", "verify", or a step title
    done: int
    total: int
    speed: float = 0.0  # bytes/s over the phase so far
    eta: float | None = None  # seconds
    stalled: bool = False
    message: str = ""

    @property
    def fraction(self) -> float:
        return self.done / self.total if self.total else 1.0

    def line(self) -> str:
        text = f"{self.phase}: {human_size(self.done)} / {human_size(self.total)}"
        if self.speed:
            text += f", {human_size(int(self.speed))}/s"
        if self.eta is not None:
            text += f", {int(self.eta) // 60}:{int(self.eta) % 60:02d} left"
        if self.stalled:
            text += " — " + (self.message or "stalled")
        return text


ProgressFn = Callable[[Progress], None]


class Meter:
    """Rate-limited progress reports with speed/ETA and a stall watchdog (a daemon thread that
    reports when no byte moved for `stall_after` seconds; a blocked write cannot be interrupted,
    but the user learns why nothing moves)."""

    def __init__(
        self,
        callback: ProgressFn | None,
        phase: str,
        total: int,
        *,
        interval: float = 0.2,
        stall_after: float = STALL_AFTER,
    ) -> None:
        self.callback, self.phase, self.total = callback, phase, total
        self.done = 0
        self.started = self.last_advance = time.monotonic()
        self._last_report = 0.0
        self.interval, self.stall_after = interval, stall_after
        self.stalled = False
        self._last_done: int | None = None  # `done` at the last report
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if callback is not None and stall_after:
            self._thread = threading.Thread(target=self._watch, daemon=True)
            self._thread.start()

    def _snapshot(self, *, stalled: bool = False, message: str = "") -> Progress:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        speed = self.done / elapsed
        eta = (self.total - self.done) / speed if speed > 0 else None
        return Progress(self.phase, self.done, self.total, speed, eta, stalled, message)

    def advance(self, n: int) -> None:
        if n <= 0:
            return
        self.done += n
        now = time.monotonic()
        self.last_advance = now
        self.stalled = False
        if self.callback and (now - self._last_report >= self.interval or self.done >= self.total):
            self._last_report = now
            self._last_done = self.done
            self.callback(self._snapshot())

    def set_phase(self, phase: str) -> None:
        """A new phase over the same bytes (e.g. the final flush, which can take minutes): say so now."""
        self.phase = phase
        if self.callback:
            self._last_report = time.monotonic()
            self.callback(self._snapshot())

    def _watch(self) -> None:
        callback = self.callback
        if callback is None:
            return
        while not self._stop.wait(min(1.0, self.stall_after / 2)):
            idle = time.monotonic() - self.last_advance
            if idle >= self.stall_after and not self.stalled:
                self.stalled = True
                callback(
                    self._snapshot(
                        stalled=True,
                        message=(
                            f"no progress for {int(idle)} s: the card or reader may have stalled "
                            "(slow cards can pause while flushing; unplugging now leaves it incomplete)"
                        ),
                    )
                )

    def close(self) -> None:
        self._stop.set()
        if self.callback and self._last_done != self.done:
            self.callback(self._snapshot())


def _chunks(ranges: Iterable[tuple[int, int]], chunk: int) -> Iterator[tuple[int, int]]:
    for offset, length in ranges:
        end = offset + length
        while offset < end:
            n = min(chunk, end - offset)
            yield offset, n
            offset += n


def aligned_buffer(size: int) -> mmap.mmap:
    """Page-aligned anonymous memory: usable for O_DIRECT."""
    return mmap.mmap(-1, size)


def classify_os_error(exc: OSError, target: str, offset: int | None = None, done: int = 0) -> FlashError:
    """One line that says what happened to the card, not just the errno."""
    where = f" after {human_size(done)}" if done else ""
    code = exc.errno
    gone = target.startswith("/dev/") and not os.path.exists(target)
    if code in (errno.ENODEV, errno.ENXIO, getattr(errno, "ENOMEDIUM", -1)) or (code == errno.EIO and gone):
        return FlashError(
            f"{target} disappeared{where} (unplugged or card removed): it is incomplete",
            kind=FlashErrorKind.UNPLUGGED,
            hint="re-insert it and write again",
        )
    if code in (errno.EROFS, errno.EPERM, errno.EACCES):
        return FlashError(
            f"{target} is write-protected ({os.strerror(code)}){where}",
            kind=FlashErrorKind.WRITE_PROTECTED,
            hint="slide the card's lock switch to unlocked, re-insert it and retry",
        )
    if code in (errno.ENOSPC, errno.EFBIG):
        return FlashError(
            f"no space left on {target}{where}: the image is larger than the target",
            kind=FlashErrorKind.NO_SPACE,
            hint="use a larger card",
        )
    if code == errno.EBUSY:
        return FlashError(
            f"{target} is in use (a partition is mounted or another program holds it)",
            kind=FlashErrorKind.BUSY,
            hint="unmount its partitions and close other programs using it",
        )
    if code == errno.EIO:
        at = f" at offset {offset}" if offset is not None else ""
        return FlashError(
            f"I/O error writing {target}{at}{where}: the card or reader failed",
            kind=FlashErrorKind.IO,
            hint="try another card or reader",
        )
    return FlashError(f"{target}: {os.strerror(code) if code else exc}{where}")


class FdWriter:
    """Writes to an open fd; tests replace it with writers that fail after N bytes."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def pwrite(self, data: bytes | memoryview, offset: int) -> None:
        view = memoryview(data)
        while view:
            n = os.pwrite(self.fd, view, offset)
            if n <= 0:
                raise OSError(errno.EIO, "short write")
            view, offset = view[n:], offset + n

    def fsync(self) -> None:
        os.fsync(self.fd)

    def datasync(self) -> None:
        """Make what was written so far durable, so it can be read back from the medium."""
        os.fdatasync(self.fd)


@dataclass
class CopyResult:
    image_size: int
    ranges: list[tuple[int, int]]
    digests: list[tuple[int, int, bytes]] = field(default_factory=list)  # per chunk
    written: int = 0
    seconds: float = 0.0
    verified: bool | None = None
    verify_seconds: float = 0.0

    @property
    def mapped(self) -> int:
        return sum(n for _, n in self.ranges)


_read_exact = read_exact


def image_plan(image: str | Path) -> tuple[int, list[tuple[int, int]]]:
    fd = os.open(image, os.O_RDONLY | os.O_CLOEXEC)
    try:
        size = os.fstat(fd).st_size
        return size, mapped_ranges(fd, size)
    finally:
        os.close(fd)


@dataclass
class ImageSource:
    """What will be written from an image file: its format, its (decompressed) size when known,
    the bmap if one is used, and a reader of the chunks to write."""

    path: Path
    format: str  # raw, xz, gzip, zstd, bzip2
    size: int | None  # decompressed size; None for a stream without a bmap
    bmap: Bmap | None = None
    file_size: int = 0  # bytes on disk (the progress total of a stream)
    ranges: list[tuple[int, int]] | None = None  # raw: what is read; stream: what is kept

    @property
    def compressed(self) -> bool:
        return self.format != "raw"

    @property
    def mapped(self) -> int | None:
        return sum(n for _, n in self.ranges) if self.ranges is not None else None

    def reader(self, chunk: int = CHUNK, *, skip_zeros: bool = False) -> RangeReader | StreamReader:
        if not self.compressed:
            fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_SEQUENTIAL)
            except OSError:
                pass
            # a raw image's ranges are always known (open_image: the bmap's or the file's)
            return RangeReader(self.path, fd, list(_chunks(self.ranges or [], chunk)), chunk, owns_fd=True)
        return StreamReader(self.path, self.format, chunk, ranges=self.ranges, skip_zeros=skip_zeros)


def open_image(image: str | Path, bmap: Bmap | None = None) -> ImageSource:
    """The image's format by magic bytes, its size, and the ranges to write (the bmap's, or the
    raw file's mapped ranges); a bmap that does not fit the image is refused naming both."""
    path = Path(image)
    fmt = detect_format(path)
    file_size = path.stat().st_size
    if fmt != "raw":
        check_stream_end(path, fmt)
        ranges = [(o, n) for o, n, _ in bmap.byte_ranges()] if bmap else None
        return ImageSource(path, fmt, bmap.image_size if bmap else None, bmap, file_size, ranges)
    if bmap is not None:
        if bmap.image_size != file_size:
            raise FlashError(
                f"the bmap {bmap.path} is for a {bmap.image_size}-byte image, {path} has {file_size} bytes",
                hint="use the bmap that came with this image, or --no-bmap",
            )
        ranges = [(o, n) for o, n, _ in bmap.byte_ranges()]
    else:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            ranges = mapped_ranges(fd, file_size)
        finally:
            os.close(fd)
    return ImageSource(path, fmt, file_size, bmap, file_size, ranges)


def image_digests(
    image: str | Path, ranges: list[tuple[int, int]] | None = None, chunk: int = CHUNK, bmap: Bmap | None = None
) -> CopyResult:
    """Per-chunk digests of what a write of `image` puts on the target (for `verify` alone)."""
    src = open_image(image, bmap)
    if ranges is not None and not src.compressed:
        src.ranges = ranges
    reader = src.reader(chunk, skip_zeros=True)
    result = CopyResult(src.size or 0, src.ranges or [])
    checker = RangeChecker(bmap, image) if bmap else None
    reader.start()
    try:
        while True:
            item = reader.get()
            if item is None:
                break
            if isinstance(item, Skipped):
                continue
            off, n, buf, data, digest, _ = item
            if checker:
                checker.feed(off, data, digest)
            result.digests.append((off, n, digest))
            reader.release(buf)
    finally:
        reader.close()
    if isinstance(reader, StreamReader):  # a stream's size is known once it is decompressed
        result.image_size = reader.size
        if src.ranges is None:
            result.ranges = [(o, n) for o, n, _ in result.digests]
    return result


def copy_image(
    image: str | Path,
    writer: FdWriter,
    *,
    target: str,
    progress: ProgressFn | None = None,
    chunk: int = CHUNK,
    target_size: int | None = None,
    extra: Sequence[tuple[int, bytes]] = (),
    verify: bool = False,
    segment: int = 64 * 1024 * 1024,
    bmap: Bmap | None = None,
    skip_zeros: bool = False,
    source: ImageSource | None = None,
) -> CopyResult:
    """Write what `image` holds through `writer`: the mapped ranges of a raw image (from the bmap
    if given, else its holes), or a compressed image decompressed on the way (only the bmap's
    ranges; else everything, less all-zero chunks when `skip_zeros`: a file target of holes);
    with a bmap each range's checksum is checked as it passes. `extra` raw blobs (offset, bytes) after.

    With `verify`, read-back overlaps the write: every `segment` bytes the written data is made
    durable (fdatasync) and handed to the verifier, which reads it back from the medium while the
    next segment is written; the tail is checked after the final fsync."""
    src = source or open_image(image, bmap)
    if target_size is not None and src.size is not None and src.size > target_size:
        raise FlashError(
            f"the image ({human_size(src.size)}) is larger than {target} ({human_size(target_size)})",
            kind=FlashErrorKind.NO_SPACE,
            hint="use a larger card or a smaller image",
        )
    result = CopyResult(src.size or 0, list(src.ranges or []))
    total = (src.file_size if src.compressed else src.mapped or 0) + sum(len(b) for _, b in extra)
    meter = Meter(progress, "write" if not src.compressed else f"write (decompressing {src.format})", total)
    reader = src.reader(chunk, skip_zeros=skip_zeros)
    checker = RangeChecker(src.bmap, image) if src.bmap else None
    started = time.monotonic()
    off = 0
    verifier = _Verifier(target, progress, src.mapped or 0) if verify else None
    # a helper thread makes finished segments durable and hands them to the verifier, so the
    # writer never waits for a flush before the end
    syncer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="skiff-sync") if verifier else None
    sync_futures: list[Future[None]] = []
    segment_chunks: list[tuple[int, int, bytes]] = []
    segment_bytes = 0

    def sync_then_verify(verifier: _Verifier, chunks: list[tuple[int, int, bytes]]) -> None:
        writer.datasync()
        verifier.submit(chunks)

    reader.start()
    try:
        while True:
            try:
                item = reader.get()
            except OSError as exc:
                raise FlashError(f"cannot read the image {image}: {exc.strerror or exc}") from None
            if item is None:
                break
            if isinstance(item, Skipped):
                meter.advance(item.advance)
                continue
            off, n, buf, data, digest, advance = item
            if len(data) < n:
                raise FlashError(f"{image} shrank while being written")
            if target_size is not None and off + n > target_size:
                raise FlashError(
                    f"the decompressed image is larger than {target} ({human_size(target_size)}): "
                    "the card is incomplete",
                    kind=FlashErrorKind.NO_SPACE,
                    hint="use a larger card",
                )
            if checker:
                checker.feed(off, data, digest)
            writer.pwrite(data, off)
            del data
            reader.release(buf)
            result.digests.append((off, n, digest))
            result.written += n
            meter.advance(advance)
            if verifier and syncer:
                segment_chunks.append((off, n, digest))
                segment_bytes += n
                if segment_bytes >= segment:
                    sync_futures.append(syncer.submit(sync_then_verify, verifier, segment_chunks))
                    segment_chunks, segment_bytes = [], 0
        if isinstance(reader, StreamReader):  # a stream's size is known once it is decompressed
            result.image_size = reader.size
            if src.bmap and reader.size != src.bmap.image_size:
                raise FlashError(
                    f"{image} decompresses to {reader.size} bytes, its bmap {src.bmap.path} says {src.bmap.image_size}",
                    kind=FlashErrorKind.IMAGE,
                    hint="the bmap belongs to another image; use the right one or --no-bmap",
                )
            if not src.ranges:
                result.ranges = [(o, n) for o, n, _ in result.digests]
        for eoff, blob in extra:
            writer.pwrite(blob, eoff)
            result.written += len(blob)
            meter.advance(len(blob))
        meter.set_phase("finishing writes (flush)")
        writer.fsync()
        for fut in sync_futures:
            fut.result()
    except OSError as exc:
        raise classify_os_error(exc, target, off, result.written) from None
    finally:
        reader.close()
        meter.close()
        if syncer:
            syncer.shutdown(wait=True, cancel_futures=True)
        if verifier and sys.exc_info()[0] is not None:
            verifier.close()
    result.seconds = time.monotonic() - started
    if verifier:
        verifier.meter.total = result.written
        verifier.submit(segment_chunks)
        try:
            verifier.finish()
        except FlashError:
            result.verified = False
            raise
        result.verified = True
        result.verify_seconds = time.monotonic() - started - result.seconds
    return result


def _open_for_verify(path: str) -> tuple[int, bool]:
    try:
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_DIRECT), True
    except OSError:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        except OSError:
            pass
        return fd, False


def _check_chunk(
    path: str, fd_direct: tuple[int, bool], local: threading.local, off: int, n: int, digest: bytes
) -> bool:
    fd, direct = fd_direct
    buf = getattr(local, "buf", None)
    need = -(-n // ALIGN) * ALIGN
    if buf is None or len(buf) < need:
        buf = local.buf = aligned_buffer(max(need, CHUNK))
    try:
        view = _read_exact(fd, buf, need, off)[:n] if direct else _read_exact(fd, buf, n, off)
    except OSError as exc:
        if not (direct and exc.errno == errno.EINVAL):
            raise
        plain = os.open(path, os.O_RDONLY | os.O_CLOEXEC)  # unaligned tail on this filesystem
        try:
            view = _read_exact(plain, buf, n, off)
        finally:
            os.close(plain)
    return len(view) == n and hashlib.sha256(view).digest() == digest


class _Verifier:
    """Reads chunks back from the target (O_DIRECT where possible, several reads in flight: cards
    and SSDs answer faster with a queue) and compares their SHA-256 with what was written."""

    def __init__(self, target: str, progress: ProgressFn | None, total: int, workers: int = 4) -> None:
        self.target = target
        self.fd_direct = _open_for_verify(target)
        self.pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="skiff-verify")
        self.closed = False
        self.local = threading.local()
        self.futures: list[tuple[tuple[int, int], Future[bool]]] = []
        self.meter = Meter(progress, "verify", total)
        self.lock = threading.Lock()
        self.started = time.monotonic()

    def _one(self, off: int, n: int, digest: bytes) -> bool:
        ok = _check_chunk(self.target, self.fd_direct, self.local, off, n, digest)
        with self.lock:
            self.meter.advance(n)
        return ok

    def submit(self, chunks: Iterable[tuple[int, int, bytes]]) -> None:
        for off, n, digest in chunks:
            self.futures.append(((off, n), self.pool.submit(self._one, off, n, digest)))

    def finish(self, extra: Sequence[tuple[int, bytes]] = ()) -> float:
        bad: list[tuple[int, int]] = []
        try:
            for (off, n), fut in self.futures:
                try:
                    if not fut.result():
                        bad.append((off, n))
                except OSError as exc:
                    raise classify_os_error(exc, self.target, off) from None
            if extra:
                plain = os.open(self.target, os.O_RDONLY | os.O_CLOEXEC)
                try:
                    for off, blob in extra:
                        if os.pread(plain, len(blob), off) != blob:
                            bad.append((off, len(blob)))
                        self.meter.advance(len(blob))
                finally:
                    os.close(plain)
        finally:
            self.close()
        if bad:
            bad.sort()
            first = bad[0]
            raise FlashError(
                f"verification failed: {len(bad)} chunk(s) of {self.target} differ from the image, first at "
                f"byte offset {first[0]} ({human_size(first[1])})",
                kind=FlashErrorKind.VERIFY,
                hint="the card may be failing or counterfeit; write again or use another card",
            )
        return time.monotonic() - self.started

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.pool.shutdown(wait=True, cancel_futures=True)
            os.close(self.fd_direct[0])
            self.meter.close()


def verify_target(
    target: str, expected: CopyResult, *, progress: ProgressFn | None = None, extra: Sequence[tuple[int, bytes]] = ()
) -> CopyResult:
    """Read back every digested chunk of `expected` from `target` and compare."""
    verifier = _Verifier(target, progress, sum(n for _, n, _ in expected.digests) + sum(len(b) for _, b in extra))
    verifier.submit(expected.digests)
    try:
        expected.verify_seconds = verifier.finish(extra)
    except FlashError:
        expected.verified = False
        raise
    expected.verified = True
    return expected


def prepare_file_target(path: str | Path, size: int) -> None:
    """A regular-file target starts as an all-hole file of at least the image size, so unmapped
    ranges read as zeros (what bmaptool does for files)."""
    try:
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            return
        old = st.st_size
    except FileNotFoundError:
        old = 0
    with open(path, "ab") as handle:
        handle.truncate(0)
        handle.truncate(max(old, size))
