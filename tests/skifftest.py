"""Helpers shared by the test suites (importable as `skifftest`): package trees, snapshots,
host tools and the real Buildroot tree a test needs."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXTURE_BUILDROOT = REPO / "tests" / "fixtures" / "buildroot_tree"

# With this set (CI does), a test whose host tool or Buildroot tree is missing fails instead of
# skipping: CI installs everything, so a skip there means a test silently stopped running.
STRICT_ENV = "SKIFF_CI_NO_TOOL_SKIPS"

# Host tool -> the Debian package that provides it (named in skip reasons).
TOOL_PACKAGES = {
    "make": "make",
    "gcc": "gcc",
    "g++": "g++",
    "patch": "patch",
    "perl": "perl",
    "bash": "bash",
    "cpio": "cpio",
    "rsync": "rsync",
    "tar": "tar",
    "gzip": "gzip",
    "bzip2": "bzip2",
    "wget": "wget",
    "find": "findutils",
    "xargs": "findutils",
    "awk": "gawk",
    "which": "debianutils",
    "git": "git",
    "unzip": "unzip",
    "bc": "bc",
    "file": "file",
    "xz": "xz-utils",
    "lz4": "lz4",
    "mksquashfs": "squashfs-tools",
    "sfdisk": "fdisk",
    "mkfs.vfat": "dosfstools",
    "mcopy": "mtools",
    "mdir": "mtools",
    "mtype": "mtools",
    "mkfs.ext4": "e2fsprogs",
    "mke2fs": "e2fsprogs",
    "debugfs": "e2fsprogs",
    "e2fsck": "e2fsprogs",
    "losetup": "mount",
    "partx": "util-linux",
    "mount": "mount",
    "ssh": "openssh-client",
    "sshd": "openssh-server",
    "qemu-system-x86_64": "qemu-system-x86",
    "busybox": "busybox-static",
}
_SBIN = os.pathsep.join(("/usr/local/sbin", "/usr/sbin", "/sbin"))


def which(tool: str) -> str | None:
    """The tool on PATH, or in the sbin directories a non-root PATH leaves out."""
    return shutil.which(tool) or shutil.which(tool, path=_SBIN)


def missing_tools(*tools: str) -> list[str]:
    return [t for t in tools if which(t) is None]


def _apt_hint(tools: list[str]) -> str:
    packages = sorted({TOOL_PACKAGES.get(t, t) for t in tools})
    return f"needs {', '.join(tools)} (apt-get install {' '.join(packages)})"


def skip_or_fail(reason: str) -> None:
    """Skip the running test with reason, or fail it under SKIFF_CI_NO_TOOL_SKIPS (CI has everything)."""
    if os.environ.get(STRICT_ENV):
        pytest.fail(f"{reason}: {STRICT_ENV} is set, so this may not be skipped", pytrace=False)
    pytest.skip(reason)


def need_tools(*tools: str) -> None:
    """Skip the running test (fail under SKIFF_CI_NO_TOOL_SKIPS) unless every tool is installed."""
    missing = missing_tools(*tools)
    if missing:
        skip_or_fail(_apt_hint(missing))


def requires_tools(*tools: str) -> pytest.MarkDecorator:
    """Mark a test, class or module (pytestmark) as needing host tools; tests/conftest.py checks
    the mark before the test runs."""
    return pytest.mark.requires_tools(*tools)


def _buildroot_from_env() -> Path | None:
    # Read once at import: fixtures such as skiff_root clear these variables for the test body.
    for var in ("SKIFF_BUILDROOT_SRC", "BUILDROOT_DIR"):
        value = os.environ.get(var)
        # Buildroot's own kconfig sources tell the real tree from the Buildroot-shaped fixture tree.
        if value and (Path(value) / "Config.in").is_file() and (Path(value) / "support/kconfig/conf.c").is_file():
            return Path(value)
    return None


REAL_BUILDROOT = _buildroot_from_env()


def real_buildroot() -> Path:
    """The real Buildroot 2026.02.3 tree (SKIFF_BUILDROOT_SRC, else BUILDROOT_DIR) for the
    running test; skips without one (fails under SKIFF_CI_NO_TOOL_SKIPS)."""
    if REAL_BUILDROOT is None:
        skip_or_fail("needs a Buildroot 2026.02.3 tree: set SKIFF_BUILDROOT_SRC (see README, Tests)")
    return REAL_BUILDROOT


# Mark for tests that run against the real Buildroot tree (checked in tests/conftest.py).
requires_buildroot = pytest.mark.requires_buildroot


def write_package(
    root: Path,
    name: str,
    *,
    description: str | None = None,
    deps: str | None = None,
    commands: str | None = None,
    unlisted: bool = False,
    files: dict[str, str] | None = None,
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
    return subprocess.run(
        [sys.executable, "-m", "skiff_tui", *args],
        env=full_env,
        cwd=cwd,
        input=input,
        capture_output=True,
        text=True,
        timeout=300,
    )


async def wait_until(pilot, condition, what: str = "the condition", timeout: float = 30.0) -> None:
    """Let the app run until condition() holds: UI tests wait for what they need instead of
    sleeping a fixed time, so a loaded machine makes them slower, never wrong."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        await pilot.pause(0.01)


def skiff_app(
    root: Path,
    *,
    workspace: str = "default",
    read_only: bool = False,
    env: dict[str, str] | None = None,
    screens: dict | None = None,
):
    """The real SkiffApp over the skiff tree `root` (made empty if it is not there yet: configs/
    with its own base layer, so the shipped library stays out). `screens` maps a section's mode to
    a factory of its screen, for sections that take a recorded device source and the like."""
    from skiff_tui.ui.app import SkiffApp

    for d in ("configs/base", "overrides", "workspaces"):
        (root / d).mkdir(parents=True, exist_ok=True)
    env = {
        "SKIFF_ROOT_DIR": str(root),
        "HOME": str(root / "home"),
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        **(env or {}),
    }
    app = SkiffApp(root=root, env=env, workspace=workspace, read_only=read_only)
    for mode, factory in (screens or {}).items():
        app.remove_mode(mode)
        app.add_mode(mode, factory)
    return app


async def open_section(app, pilot, mode: str):
    """Switch the running app to a section and return its screen, once shown."""
    await app.switch_mode(mode)
    await pilot.pause()
    return app.screen
