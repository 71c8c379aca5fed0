"""Copying a directory tree into an ext4 filesystem at a byte offset with debugfs scripts (no mount):
list what is there, write the commands, run them."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from ..errors import FlashError
from .tools import classify_output, run_tool


def _quote(path: str) -> str:
    if '"' in path or "\n" in path:
        raise FlashError(f"cannot copy a file whose name holds a quote or newline: {path!r}")
    return f'"{path}"' if any(c.isspace() for c in path) else path


def _walk(src: Path) -> Iterator[tuple[str, list[str], list[str]]]:
    """(relative dir, [subdirs], [files and symlinks]) top-down, sorted; symlinks to dirs are files."""
    for root, dirs, files in os.walk(src):
        dirs.sort()
        real_dirs = [d for d in dirs if not (Path(root) / d).is_symlink()]
        entries = sorted(files + [d for d in dirs if d not in real_dirs])
        dirs[:] = real_dirs
        rel = Path(root).relative_to(src)
        yield ("" if str(rel) == "." else "/" + str(rel)), real_dirs, entries


def debugfs_listing(target: str, offset: int, dirs: list[str], workdir: Path) -> dict[str, set[str] | None]:
    """Names present in each directory of the ext4 at `offset` (None: the directory is absent)."""
    cmd = workdir / f"debugfs-ls-{offset}.cmds"
    cmd.write_text("".join(f"ls -p {_quote(d or '/')}\n" for d in dirs))
    proc = run_tool(
        ["debugfs", "-f", str(cmd), f"{target}?offset={offset}"], target=target, what="reading a filesystem (debugfs)"
    )
    out: dict[str, set[str] | None] = {}
    current = None
    for line in proc.stdout.splitlines():
        if line.startswith("debugfs: ls -p "):
            current = line[len("debugfs: ls -p ") :].strip().strip('"')
            current = "" if current == "/" else current
            out[current] = None
        elif current is not None and line.startswith("/"):
            fields = line.split("/")
            names = out[current]
            if names is None:
                names = out[current] = set()
            if len(fields) >= 6 and fields[5] not in (".", ".."):
                names.add(fields[5])
    return out


def debugfs_script(src: Path, present: dict[str, set[str] | None], *, overwrite: bool) -> tuple[str, int, int]:
    """Commands copying the tree `src` into an ext4 root, given what is already there. Returns
    (script, files written, files kept). `overwrite=False` writes only absent files (persist)."""
    lines, written, kept = [], 0, 0
    for base, dirs, entries in _walk(src):
        here = present.get(base) or set()
        for d in dirs:
            if d not in here:
                lines.append(f"mkdir {_quote(f'{base}/{d}')}")
        for f in entries:
            p = Path(src, base.lstrip("/"), f)
            dest = _quote(f"{base}/{f}")
            if not (p.is_symlink() or p.is_file()):
                continue
            if f in here:
                if not overwrite:
                    kept += 1
                    continue
                lines.append(f"rm {dest}")
            if p.is_symlink():
                lines.append(f"symlink {dest} {_quote(os.readlink(p))}")
            else:
                lines.append(f"write {_quote(str(p))} {dest}")
            written += 1
    return "\n".join(lines) + "\n", written, kept


def debugfs_copy(target: str, offset: int, src: Path, *, overwrite: bool, workdir: Path) -> tuple[int, int]:
    """Copy `src` into the ext4 at `offset`; returns (files written, files kept because present)."""
    dirs = [base for base, _, _ in _walk(src)]
    present = debugfs_listing(target, offset, dirs, workdir)
    script, written, kept = debugfs_script(src, present, overwrite=overwrite)
    cmd = workdir / f"debugfs-{offset}.cmds"
    cmd.write_text(script)
    proc = run_tool(["debugfs", "-w", "-f", str(cmd), f"{target}?offset={offset}"], target=target, what="debugfs copy")
    errors = [ln for ln in proc.stderr.splitlines() if ln.strip() and not re.match(r"debugfs \d", ln)]
    if errors:
        raise classify_output("\n".join(errors), target, f"copying {src.name} with debugfs")
    return written, kept
