"""Helpers shared by the test suites (importable as `skifftest`): package trees, snapshots."""

from __future__ import annotations

import os
from pathlib import Path


REPO = Path(__file__).resolve().parent.parent
FIXTURE_BUILDROOT = REPO / "tests" / "fixtures" / "buildroot_tree"


def write_package(root: Path, name: str, *, description: str | None = None, deps: str | None = None,
                  commands: str | None = None, unlisted: bool = False, files: dict[str, str] | None = None,
                  ) -> Path:
    """Create <root>/<ns>/<name> with metadata and any files (relative path -> text)."""
    pkg = root / name
    meta = pkg / "metadata"
    meta.mkdir(parents=True, exist_ok=True)
    if description is not None:
        (meta / "description").write_text(description + "\n")
    if deps is not None:
        (meta / "dependencies").write_text(deps)
    if commands is not None:
        (meta / "commands").write_text(commands)
    if unlisted:
        (meta / "unlisted").write_text("")
    for rel, text in (files or {}).items():
        path = pkg / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        if rel.startswith("hooks/") or rel.endswith(".sh"):
            path.chmod(0o755)
    return pkg



def tree_snapshot(path: Path) -> dict[str, bytes]:
    """Every file under path with its bytes: used to assert that a failing command wrote nothing."""
    out = {}
    for dirpath, _, files in os.walk(path):
        for f in files:
            p = Path(dirpath) / f
            out[str(p.relative_to(path))] = p.read_bytes()
    return out


def run_skiff(*args: str, env: dict | None = None, cwd=None, input: str | None = None):
    """Run the real CLI in a child process (the way users and the Makefile do)."""
    import subprocess
    import sys

    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "skiff_tui", *args], env=full_env, cwd=cwd, input=input,
                          capture_output=True, text=True, timeout=300)
