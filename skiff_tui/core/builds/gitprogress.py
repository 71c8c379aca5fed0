"""git's own progress (`git clone --progress`) as events: the first Buildroot fetch takes minutes,
and a silent `--quiet` clone looks hung."""

from __future__ import annotations

import io
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

# "Receiving objects:  45% (1234/2741), 3.20 MiB | 1.10 MiB/s"
LINE = re.compile(
    r"^(?:remote: )?(?P<phase>[A-Z][A-Za-z ]+?):\s+(?P<percent>\d{1,3})% "
    r"\((?P<done>\d+)/(?P<total>\d+)\)(?:,\s*(?P<rest>.*?))?(?:, done\.)?\s*$"
)


@dataclass(frozen=True)
class GitProgress:
    phase: str  # Counting objects, Compressing objects, Receiving objects, Resolving deltas, Updating files
    percent: int
    done: int
    total: int
    detail: str = ""  # "3.20 MiB | 1.10 MiB/s" while receiving

    def line(self) -> str:
        tail = f", {self.detail}" if self.detail else ""
        return f"{self.phase}: {self.percent}% ({self.done}/{self.total}){tail}"


def parse(line: str) -> GitProgress | None:
    match = LINE.match(line.strip())
    if not match:
        return None
    detail = (match["rest"] or "").strip().removesuffix("done.").strip().rstrip(",").strip()
    return GitProgress(match["phase"].strip(), int(match["percent"]), int(match["done"]), int(match["total"]), detail)


def run(argv: list[str], on_progress: Callable[[GitProgress], None]) -> tuple[int, list[str]]:
    """Run a git command that was given --progress; each progress update goes to on_progress
    (git rewrites its line with carriage returns). Returns (exit status, other stderr lines)."""
    other: list[str] = []
    with subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) as proc:
        stderr = proc.stderr
        assert stderr is not None  # stderr=PIPE
        buf = b""
        while True:
            chunk = stderr.read1(4096) if isinstance(stderr, io.BufferedReader) else stderr.read(4096)
            if not chunk:
                break
            buf += chunk
            *pieces, buf = re.split(rb"[\r\n]", buf)
            for piece in pieces:
                _handle(piece, on_progress, other)
        if buf:
            _handle(buf, on_progress, other)
        return proc.wait(), other


def _handle(piece: bytes, on_progress: Callable[[GitProgress], None], other: list[str]) -> None:
    text = piece.decode("utf-8", "replace").strip()
    if not text:
        return
    event = parse(text)
    if event is None:
        other.append(text)
        return
    try:
        on_progress(event)
    except Exception:  # a display callback must not break the fetch
        pass
