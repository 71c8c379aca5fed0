"""logindex: exact lines over checkpoints, growth, truncation, replacement, search, errors."""

import os
import random
import time
from array import array

import pytest

from skiff_tui.core.builds.logindex import ERROR, WARNING, LogIndex


def make_lines(n, seed=1):
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        kind = rnd.random()
        if kind < 0.02:
            out.append(f"file{i}.c:{i}:1: error: thing {i} undeclared")
        elif kind < 0.05:
            out.append(f"file{i}.c:{i}:1: warning: unused {i}")
        elif kind < 0.07:
            out.append("")
        elif kind < 0.08:
            out.append("x" * rnd.randint(200, 900))  # lines longer than the tiny test block
        else:
            out.append(f"line {i} " + "y" * rnd.randint(0, 40))
    return out


@pytest.mark.parametrize("block", [64, 256, 1 << 16])
def test_every_line_matches(tmp_path, block):
    lines = make_lines(3000)
    path = tmp_path / "a.log"
    path.write_text("\n".join(lines) + "\n")
    idx = LogIndex(path, block=block)
    assert idx.index_now() == len(lines)
    assert [idx.line(i) for i in range(len(lines))] == lines
    assert idx.lines(100, 50) == lines[100:150]
    assert idx.lines(len(lines) - 3, 10) == lines[-3:]
    assert idx.tail(5) == lines[-5:]
    assert isinstance(idx._counts, array)
    # offsets are exact
    data = path.read_bytes()
    for i in (0, 1, 17, 999, len(lines) - 1):
        start, end = idx.line_span(i)
        assert data[start:end].decode() == lines[i]
        assert idx.line_of_offset(start) == i
    with pytest.raises(IndexError):
        idx.line(len(lines))
    idx.close()


def test_partial_last_line_and_empty_file(tmp_path):
    path = tmp_path / "p.log"
    path.write_bytes(b"")
    idx = LogIndex(path)
    assert idx.index_now() == 0 and idx.tail(3) == []
    path.write_bytes(b"one\ntwo\nthr")
    assert idx.index_now() == 3
    assert idx.tail(2) == ["two", "thr"]
    with open(path, "ab") as f:
        f.write(b"ee\r\nfour")
    assert idx.index_now() == 4
    assert idx.lines(0, 10) == ["one", "two", "three", "four"]


def test_background_thread_follows_growth_truncation_and_replacement(tmp_path):
    path = tmp_path / "grow.log"
    path.write_text("a\nb\n")
    updates = []
    idx = LogIndex(path, follow=True, poll=0.02, on_update=lambda ix: updates.append(ix.line_count), block=64)
    idx.start()
    assert idx.wait(5)
    assert idx.line_count == 2

    def until(pred, timeout=5):
        end = time.time() + timeout
        while time.time() < end:
            if pred():
                return True
            time.sleep(0.01)
        raise AssertionError("not reached")

    with open(path, "a") as f:
        for i in range(500):
            f.write(f"grown {i}\n")
    until(lambda: idx.line_count == 502)
    assert idx.line(501) == "grown 499"
    gen = idx.generation
    # truncation in place (size shrinks)
    with open(path, "r+") as f:
        f.truncate(0)
        f.write("fresh 1\nfresh 2\n")
    until(lambda: idx.generation > gen and idx.line_count == 2)
    assert idx.lines(0, 5) == ["fresh 1", "fresh 2"]
    gen = idx.generation
    # replacement (new inode, even if larger)
    new = tmp_path / "new.log"
    new.write_text("".join(f"replaced {i}\n" for i in range(1000)))
    os.replace(new, path)
    until(lambda: idx.generation > gen and idx.line_count == 1000)
    assert idx.line(999) == "replaced 999"
    assert updates
    idx.close()


def test_search_streams_line_numbers(tmp_path):
    lines = make_lines(2000, seed=3)
    path = tmp_path / "s.log"
    path.write_text("\n".join(lines) + "\n")
    idx = LogIndex(path, block=128)
    idx.index_now()
    expect = [i for i, ln in enumerate(lines) if "undeclared" in ln]
    assert list(idx.search("undeclared")) == expect
    assert list(idx.search(r"thing \d+ UNDECLARED", ignore_case=True)) == expect
    assert list(idx.search("undeclared", start_line=expect[3])) == expect[3:]
    first = next(idx.search("undeclared"))
    assert first == expect[0]
    import re

    with pytest.raises(re.error):
        list(idx.search("("))


def test_errors_and_warnings(tmp_path):
    lines = make_lines(2500, seed=5)
    path = tmp_path / "e.log"
    path.write_text("\n".join(lines) + "\n")
    idx = LogIndex(path, block=256)
    idx.index_now()
    errs = [i for i, ln in enumerate(lines) if "error:" in ln]
    warns = [i for i, ln in enumerate(lines) if "warning:" in ln]
    assert list(idx.errors(warnings=False)) == errs
    assert list(idx.errors()) == sorted(errs + warns)
    assert idx.problem_kind(errs[0]) == ERROR and idx.problem_kind(warns[0]) == WARNING
    assert idx.problem_kind(errs[0] + 1) in (0, ERROR, WARNING)
    # incremental: appended problems are found on the next call
    with open(path, "a") as f:
        f.write("ok\nmake: *** [x] Error 2\n")
    idx.index_now()
    assert list(idx.errors(warnings=False))[-1] == len(lines) + 1


def test_index_memory_is_small(tmp_path):
    path = tmp_path / "m.log"
    with open(path, "wb") as f:
        f.write(b"0123456789 abcdefghij\n" * 200_000)  # 4.4 MB, 200k lines
    idx = LogIndex(path)
    assert idx.index_now() == 200_000
    assert idx.line(123_456) == "0123456789 abcdefghij"
    assert idx.memory_bytes() < 64 * 1024  # vs ≈ 7 MB for a Python list of 200k ints
