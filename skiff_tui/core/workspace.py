"""Workspaces: names, directories, saved state, the modify lock (SPEC §5)."""

from __future__ import annotations

import fcntl
import json
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from . import atomic, paths, readonly
from .errors import WorkspaceError

NAME = re.compile(r"[a-z0-9_][a-z0-9._-]*\Z")
STATE_FILE = "state.json"


def workspace_name(raw: str | None) -> str:
    """Lower-cased, limited to [a-z0-9._-]; anything else is refused rather than guessed at."""
    name = (raw or "default").strip().lower()
    if not NAME.match(name) or len(name) > 64:
        raise WorkspaceError(f"invalid workspace name {raw!r}",
                             hint="use lower-case letters, digits, '.', '_' and '-', not starting with '.' or '-'")
    return name


@dataclass(frozen=True)
class Workspace:
    root: Path   # the skiff tree
    name: str

    @classmethod
    def from_env(cls, root: Path, env: dict[str, str] | None = None, name: str | None = None) -> "Workspace":
        env = os.environ if env is None else env
        return cls(root, workspace_name(name or env.get("SKIFF_WORKSPACE")))

    @property
    def dir(self) -> Path:
        """Buildroot's O= directory."""
        return paths.workspaces_dir(self.root) / self.name

    @property
    def final_dir(self) -> Path:
        return paths.workspaces_dir(self.root) / f".config_{self.name}"

    @property
    def overrides_dir(self) -> Path:
        return paths.overrides_dir(self.root) / "workspaces" / self.name

    @property
    def logs_dir(self) -> Path:
        return self.dir / "skiff-logs"

    @property
    def lock_path(self) -> Path:
        return paths.workspaces_dir(self.root) / f".lock_{self.name}"

    # --- saved state -------------------------------------------------------------------------
    def load_state(self) -> dict | None:
        path = self.final_dir / STATE_FILE
        try:
            return json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise WorkspaceError(f"saved state is unreadable ({exc}); run 'skiff configure' with SKIFF_CONFIG set",
                                 path=path)

    def save_state(self, state: dict) -> None:
        readonly.guard("saving the workspace state")
        atomic.write_text(self.final_dir / STATE_FILE, json.dumps(state, indent=2, sort_keys=True) + "\n")
        # SkiffOS keeps the chain in a plain file; keep it so its scripts and habits still work.
        atomic.write_text(self.final_dir / "skiff_config", ",".join(state.get("selection", [])) + "\n")

    def lock(self, command: str | None = None) -> "WorkspaceLock":
        return WorkspaceLock(self, command or " ".join(sys.argv))

    def clean(self, command: str = "skiff clean") -> None:
        """Remove the build output and the final-config dir under the lock. The user's override
        layer (overrides/workspaces/<ws>/) is theirs and is kept."""
        import shutil

        with self.lock(command):
            for path in (self.dir, self.final_dir):
                shutil.rmtree(path, ignore_errors=True)

    def delete(self, command: str = "skiff: delete workspace") -> None:
        """clean(), then forget the workspace entirely (its lock file too)."""
        self.clean(command)
        try:
            self.lock_path.unlink()
        except FileNotFoundError:
            pass


def list_workspaces(root: Path) -> list[str]:
    base = paths.workspaces_dir(root)
    names = set()
    try:
        for entry in os.scandir(base):
            if entry.is_dir() and not entry.name.startswith(".") and NAME.match(entry.name):
                names.add(entry.name)
            elif entry.name.startswith(".config_") and NAME.match(entry.name[8:]):
                names.add(entry.name[8:])
    except FileNotFoundError:
        pass
    return sorted(names)


class WorkspaceLock:
    """Exclusive flock on workspaces/.lock_<ws>. The kernel drops it when the holder dies,
    so a killed build never leaves a stale lock; the file records who holds it for the message."""

    def __init__(self, workspace: Workspace, command: str) -> None:
        self.workspace = workspace
        self.command = command
        self._fd: int | None = None

    def holder(self) -> dict | None:
        try:
            return json.loads(self.workspace.lock_path.read_text() or "null")
        except (FileNotFoundError, ValueError):
            return None

    def acquire(self) -> "WorkspaceLock":
        readonly.guard(f"modifying workspace {self.workspace.name!r} ({self.command})")
        path = self.workspace.lock_path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            who = self.holder() or {}
            raise WorkspaceError(
                f"workspace {self.workspace.name!r} is being modified by pid {who.get('pid', '?')} "
                f"({who.get('command', 'unknown command')})",
                hint="wait for it to finish, or watch it with 'skiff logs -f'")
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "command": self.command,
                                  "since": time.time()}).encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
            finally:
                os.close(self._fd)  # closing drops the flock
                self._fd = None

    def is_held_by_other(self) -> bool:
        """True if some other process holds the lock right now (for read-only viewers)."""
        try:
            fd = os.open(self.workspace.lock_path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return False
        except BlockingIOError:
            return True
        finally:
            os.close(fd)

    def __enter__(self) -> "WorkspaceLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
