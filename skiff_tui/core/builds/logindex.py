"""An index over (possibly multi-gigabyte, possibly growing) log files for viewers.

Shape, chosen by measurement (bench/logs.py, 230 MB / 2 M lines, page cache warm): counting
newlines with `bytes.count` (memchr) runs at ≈1.6 GB/s, while collecting every line's offset with
`re.finditer(b"\\n")` or a `bytes.find` loop runs at ≈0.65 GB/s and costs 4–8 bytes per line. So the
index is a checkpoint array: for every block of BLOCK bytes, the number of newlines before it
(`array('Q')`, 8 bytes per 64 KiB: 128 KiB for 1 GiB). A line's exact offset is found by bisecting
the checkpoints and scanning one block, whose newline positions are cached (`array('I')`, a small
LRU). Reads use `os.pread`, so a viewer never holds the file's contents.

A background thread builds the index and, when following, keeps it current: it notices growth,
truncation (size shrinks) and replacement (inode changes), re-indexing from scratch for the last two
and bumping `generation` so viewers can reset.
"""

from __future__ import annotations

import bisect
import os
import re
import threading
import time
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterator
from types import TracebackType

BLOCK = 1 << 16
CHUNK = 1 << 22  # bytes read per scan step (a multiple of BLOCK)
MAX_LINE = 1 << 20  # longest line returned whole; longer ones are cut
BLOCK_CACHE = 256

ERROR_BYTES = re.compile(rb"\b(?:error|Error|ERROR|fatal|Fatal|FATAL)\b|\*\*\*|[Uu]ndefined reference")
WARNING_BYTES = re.compile(rb"\b(?:warning|Warning|WARNING)\b")
ERROR, WARNING = 1, 2


class LogIndex:
    """Line index of one file. Thread-safe for one indexing thread and any number of readers."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        follow: bool = False,
        poll: float = 0.1,
        on_update: Callable[[LogIndex], None] | None = None,
        block: int = BLOCK,
    ) -> None:
        self.path = os.fspath(path)
        self.follow = follow
        self.poll = poll
        self.on_update = on_update
        self.block = block
        self.chunk = max(block, (CHUNK // block) * block)
        self.generation = 0  # bumped on truncation/replacement
        self._lock = threading.RLock()
        self._stop = threading.Event()
        self._done = threading.Event()  # the file was indexed to its current end once
        self._thread: threading.Thread | None = None
        self._fd: int | None = None
        self._ino: tuple[int, int] | None = None
        self._reset_state()

    def _reset_state(self) -> None:
        self._counts = array("Q", [0])  # newlines before block b
        self._indexed = 0  # bytes scanned
        self._newlines = 0  # newlines in [0, _indexed)
        self._last_byte = b"\n"
        self._blocks: OrderedDict[int, array[int]] = OrderedDict()
        self._tail_block: tuple[int, int, array[int]] | None = None
        self._problems = array("Q")  # line numbers of error/warning lines …
        self._problem_kinds = array("B")  # … and their kind (ERROR/WARNING)
        self._problems_end = 0  # bytes scanned for problems (at a line start)
        self._problems_line = 0

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self) -> LogIndex:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"logindex:{self.path}", daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def __enter__(self) -> LogIndex:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the file has been indexed to its end once (True) or timeout (False)."""
        return self._done.wait(timeout)

    @property
    def complete(self) -> bool:
        return self._done.is_set()

    def index_now(self) -> int:
        """Index synchronously up to the file's current end (no thread needed). Returns lines."""
        self._check_file()
        while self._scan_some():
            pass
        self._done.set()
        return self.line_count

    # --- the indexing thread -----------------------------------------------------------------
    def _run(self) -> None:
        last_note = 0.0
        noted = (-1, -1)  # (generation, bytes) the last notification described
        while not self._stop.is_set():
            try:
                changed = self._check_file()
                progressed = self._scan_some()
            except OSError:
                changed, progressed = False, False
            now = time.monotonic()
            if progressed or changed:
                if self.on_update is not None and (now - last_note > 0.05 or changed):
                    last_note = now
                    noted = (self.generation, self._indexed)
                    self.on_update(self)
                time.sleep(0)  # let a UI thread take the GIL between chunks
                continue
            # caught up with the file: say so once for what the throttle above held back
            first_pass = not self._done.is_set()
            self._done.set()
            if self.on_update is not None and (first_pass or noted != (self.generation, self._indexed)):
                noted = (self.generation, self._indexed)
                self.on_update(self)
            if not self.follow:
                return
            self._stop.wait(self.poll)

    def _check_file(self) -> bool:
        """Open/reopen the file; reset on replacement or truncation. True if it reset."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return False
        ident = (st.st_dev, st.st_ino)
        with self._lock:
            if self._fd is not None and ident == self._ino and st.st_size >= self._indexed:
                return False
            reset = self._fd is not None
            if self._fd is not None and ident == self._ino:
                pass  # truncated in place: keep the fd
            else:
                if self._fd is not None:
                    os.close(self._fd)
                self._fd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
                self._ino = ident
            if reset:
                self._reset_state()
                self.generation += 1
                self._done.clear()
            return reset

    def _scan_some(self) -> bool:
        """Index the next chunk of new bytes. True if something was read."""
        with self._lock:
            fd, start = self._fd, self._indexed
        if fd is None:
            return False
        # Read up to the next chunk boundary so blocks stay aligned.
        want = self.chunk - (start % self.chunk)
        data = os.pread(fd, want, start)
        if not data:
            return False
        block = self.block
        counts_add = []
        newlines = self._newlines
        pos = 0
        offset = start
        n = len(data)
        while pos < n:
            boundary = ((offset // block) + 1) * block
            end = min(n, pos + (boundary - offset))
            newlines += data.count(b"\n", pos, end)
            offset += end - pos
            pos = end
            if offset == boundary:
                counts_add.append(newlines)
        with self._lock:
            if self._fd != fd or self._indexed != start:
                return True  # reset meanwhile: drop this read
            self._counts.extend(counts_add)
            self._indexed = offset
            self._newlines = newlines
            self._last_byte = data[-1:]
        return True

    # --- queries -----------------------------------------------------------------------------
    @property
    def size(self) -> int:
        """Bytes indexed so far."""
        return self._indexed

    @property
    def line_count(self) -> int:
        with self._lock:
            return self._newlines + (0 if self._last_byte == b"\n" else 1)

    def memory_bytes(self) -> int:
        """Approximate memory held by the index (checkpoints, cached blocks, problem lines)."""
        with self._lock:
            total = self._counts.buffer_info()[1] * self._counts.itemsize
            total += sum(a.buffer_info()[1] * a.itemsize for a in self._blocks.values())
            total += self._problems.buffer_info()[1] * 8 + self._problem_kinds.buffer_info()[1]
        return total

    def _open_fd(self) -> int:
        if self._fd is None:
            raise ValueError(f"the log index of {self.path} is not open")
        return self._fd

    def _block_newlines(self, b: int) -> array[int]:
        """Positions (relative to the block start) of the newlines in block b (cached)."""
        cached = self._blocks.get(b)
        if cached is not None:
            self._blocks.move_to_end(b)
            return cached
        tail = self._tail_block
        if tail is not None and tail[0] == b and tail[1] == self._indexed:
            return tail[2]
        base = b * self.block
        length = min(self.block, self._indexed - base)
        data = os.pread(self._open_fd(), length, base) if length > 0 else b""
        positions = array("I")
        find = data.find
        p = find(b"\n")
        while p >= 0:
            positions.append(p)
            p = find(b"\n", p + 1)
        complete = base + self.block <= self._indexed
        if complete:
            self._blocks[b] = positions
            if len(self._blocks) > BLOCK_CACHE:
                self._blocks.popitem(last=False)
        else:
            self._tail_block = (b, self._indexed, positions)  # valid until the file grows
        return positions

    def line_start(self, i: int) -> int:
        """Byte offset where line i (0-based) starts."""
        if i <= 0:
            return 0
        with self._lock:
            if i > self._newlines:
                raise IndexError(i)
            # newline number i (1-based) lies in block b with counts[b] < i <= counts[b+1]
            b = bisect.bisect_left(self._counts, i) - 1
            positions = self._block_newlines(b)
            k = i - self._counts[b] - 1
            return b * self.block + positions[k] + 1

    def line_span(self, i: int) -> tuple[int, int]:
        """(start, end) byte offsets of line i, end excluding the newline."""
        with self._lock:
            count = self.line_count
            if i < 0 or i >= count:
                raise IndexError(i)
            start = self.line_start(i)
            end = self.line_start(i + 1) - 1 if i + 1 <= self._newlines else self._indexed
            return start, end

    def line(self, i: int) -> str:
        with self._lock:
            start, end = self.line_span(i)
            data = os.pread(self._open_fd(), min(end - start, MAX_LINE), start)
        return _decode(data)

    def lines(self, first: int, count: int) -> list[str]:
        """Lines first … first+count-1 (fewer at the end), with one pread."""
        with self._lock:
            total = self.line_count
            first = max(0, first)
            last = min(total, first + count)
            if last <= first:
                return []
            start = self.line_start(first)
            end = self.line_start(last) if last <= self._newlines else self._indexed
            data = os.pread(self._open_fd(), end - start, start) if end > start else b""
        parts = data.split(b"\n")
        if len(parts) > last - first:
            parts = parts[: last - first]
        return [_decode(p[:MAX_LINE]) for p in parts]

    def tail(self, n: int) -> list[str]:
        total = self.line_count
        return self.lines(max(0, total - n), n)

    def line_of_offset(self, offset: int) -> int:
        """Line number containing byte `offset`."""
        with self._lock:
            b = min(offset // self.block, len(self._counts) - 1)
            positions = self._block_newlines(b)
            rel = offset - b * self.block
            return self._counts[b] + bisect.bisect_left(positions, rel)

    # --- scanning ----------------------------------------------------------------------------
    def _iter_complete_chunks(self, start: int, end: int) -> Iterator[tuple[int, bytes]]:
        """(offset, data) chunks of [start, end) cut at line ends (the last may be partial)."""
        fd = self._open_fd()
        carry = b""
        pos = start
        while pos < end:
            data = os.pread(fd, min(self.chunk, end - pos), pos)
            if not data:
                break
            base = pos - len(carry)
            buf = carry + data if carry else data
            pos += len(data)
            cut = buf.rfind(b"\n") + 1
            if cut == 0 and pos < end:
                carry = buf
                continue
            if pos >= end:
                cut = len(buf)
            yield base, buf[:cut]
            carry = buf[cut:]

    def search(
        self, pattern: str | bytes | re.Pattern[bytes], start_line: int = 0, ignore_case: bool = False
    ) -> Iterator[int]:
        """Line numbers of lines matching `pattern` (a regex), from start_line on, streaming.
        Raises re.error for a bad pattern."""
        if isinstance(pattern, re.Pattern):
            regex = pattern
        else:
            raw = pattern.encode() if isinstance(pattern, str) else pattern
            regex = re.compile(raw, re.IGNORECASE if ignore_case else 0)
        with self._lock:
            end = self._indexed
            if start_line >= self.line_count:
                return
            offset = self.line_start(start_line)
            generation = self.generation
        line = start_line
        for _base, data in self._iter_complete_chunks(offset, end):
            if self.generation != generation:
                return
            pos = 0
            m = regex.search(data, 0)
            while m is not None:
                line += data.count(b"\n", pos, m.start())
                yield line
                eol = data.find(b"\n", m.start())
                if eol < 0:
                    pos = len(data)
                    break
                pos = eol + 1
                line += 1
                m = regex.search(data, pos)
            line += data.count(b"\n", pos)

    def scan_problems(self) -> int:
        """Extend the error/warning line list to the indexed end. Returns how many are known."""
        with self._lock:
            start, line, end = self._problems_end, self._problems_line, self._indexed
            generation = self.generation
        add_lines, add_kinds = array("Q"), array("B")
        for base, data in self._iter_complete_chunks(start, end):
            if not data.endswith(b"\n"):
                data = data[: data.rfind(b"\n") + 1]  # the growing last line: scan it when complete
                if not data:
                    break
            pos = 0
            for ls, kind in _problem_lines(data):
                line += data.count(b"\n", pos, ls)
                pos = ls
                add_lines.append(line)
                add_kinds.append(kind)
            line += data.count(b"\n", pos)
            start = base + len(data)
        with self._lock:
            if self.generation != generation:
                return len(self._problems)
            self._problems.extend(add_lines)
            self._problem_kinds.extend(add_kinds)
            self._problems_end, self._problems_line = start, line
            return len(self._problems)

    def errors(self, warnings: bool = True) -> array[int]:
        """Line numbers (ascending) of error lines, and warning lines too unless warnings=False."""
        self.scan_problems()
        with self._lock:
            if warnings:
                return array("Q", self._problems)
            return array("Q", (ln for ln, k in zip(self._problems, self._problem_kinds, strict=True) if k == ERROR))

    def problem_kind(self, line: int) -> int:
        """ERROR, WARNING or 0 for a line (after scan_problems)."""
        with self._lock:
            j = bisect.bisect_left(self._problems, line)
            if j < len(self._problems) and self._problems[j] == line:
                return self._problem_kinds[j]
        return 0


KEYWORDS = (b"error", b"fatal", b"warning", b"***", b"undefined reference")


def _problem_lines(data: bytes) -> list[tuple[int, int]]:
    """(line start, kind) of the error/warning lines in `data` (whole lines), ascending.
    Case-folded literal search (memchr-speed) finds candidates; a regex on each candidate line
    checks word boundaries and case, 2–5× faster than one regex over everything."""
    low = data.lower()
    starts = set()
    for kw in KEYWORDS:
        p = low.find(kw)
        while p >= 0:
            starts.add(low.rfind(b"\n", 0, p) + 1)
            eol = low.find(b"\n", p)
            if eol < 0:
                break
            p = low.find(kw, eol + 1)
    out = []
    for ls in sorted(starts):
        eol = data.find(b"\n", ls)
        text = data[ls : eol if eol >= 0 else len(data)]
        if ERROR_BYTES.search(text):
            out.append((ls, ERROR))
        elif WARNING_BYTES.search(text):
            out.append((ls, WARNING))
    return out


def _decode(data: bytes) -> str:
    text = data.decode("utf-8", "replace")
    if text.endswith("\r"):
        text = text[:-1]
    if "\x1b" in text:
        from .buildlog import strip_ansi

        text = strip_ansi(text)
    return text
