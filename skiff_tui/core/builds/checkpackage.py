"""Buildroot's own linter, utils/check-package, over the packages' BR2_EXTERNAL trees
(`buildroot_ext/`), the way SkiffOS's `make check` runs it. Part of `skiff check`."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from ..library.packages import PackageIndex

# check-package imports these (python3-magic, python3-flake8) and runs shellcheck on scripts.
NEEDS = ("magic", "flake8")
DEBIAN_PACKAGES = "python3-magic python3-flake8 shellcheck"
LINE = re.compile(r"^(/.+?):(\d+): (.*)$")


def tool(tree: Path) -> Path | None:
    path = tree / "utils" / "check-package"
    return path if path.is_file() else None


def interpreter() -> str | None:
    """A python3 that can run check-package: the one on PATH, else Debian's (pyenv and venvs
    usually lack python3-magic)."""
    seen = set()
    for candidate in (shutil.which("python3"), "/usr/bin/python3"):
        if not candidate or candidate in seen or not Path(candidate).exists():
            continue
        seen.add(candidate)
        probe = subprocess.run([candidate, "-c", "import " + ", ".join(NEEDS)], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return candidate
    return None


def external_files(index: PackageIndex) -> list[Path]:
    files = []
    for pkg in index.packages.values():
        ext = pkg.path / "buildroot_ext"
        if ext.is_dir():
            files += sorted(p for p in ext.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    return files


def run(tree: Path, index: PackageIndex, notes: list[str]) -> list[str]:
    """Problems as `file:line: check-package: message`; skipped with a note when the tree or the
    tool's Python modules are missing."""
    script = tool(tree)
    if script is None:
        notes.append(f"check-package skipped: {tree} has no utils/check-package")
        return []
    files = external_files(index)
    if not files:
        return []
    python = interpreter()
    if python is None:
        notes.append(
            f"check-package skipped: it needs Python modules {', '.join(NEEDS)} (apt-get install {DEBIAN_PACKAGES})"
        )
        return []
    result = subprocess.run(
        [python, str(script), "--br2-external", *map(str, files)],
        capture_output=True,
        text=True,
        errors="replace",
        cwd=str(tree),
        timeout=600,
    )
    problems: list[str] = []
    for line in result.stdout.splitlines():
        match = LINE.match(line)
        if match:
            problems.append(f"{match.group(1)}:{match.group(2)}: check-package: {match.group(3)}")
        elif problems and line.strip() and not re.match(r"^\d+ (lines processed|warnings generated)$", line):
            problems[-1] += f" | {line.strip()}"  # flake8's details under its summary line
    if result.returncode not in (0, 1) or (result.returncode == 1 and not problems):
        tail = (result.stderr.strip().splitlines() or ["no output"])[-1]
        notes.append(f"check-package did not run to the end (exit {result.returncode}): {tail}")
    return problems
