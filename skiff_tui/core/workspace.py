"""Workspaces: names, directories, saved state, the modify lock (docs/behaviour.md#workspaces)."""

from __future__ import annotations

import fcntl
import json
import os
import re
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from . import atomic, paths, readonly, safepath
from .errors import WorkspaceError
from .workspace_state import JsonObject, WorkspaceState

NAME = re.compile(r"[a-z0-9_][a-z0-9._-]*\Z")
STATE_FILE = "state.json"


def workspace_name(raw: str | None) -> str:
    """Lower-cased, limited to [a-z0-9._-]; anything else is refused rather than guessed at."""
    name = (raw or "default").strip().lower()
    if not NAME.match(name) or len(name) > 64:
        raise WorkspaceError(
            f"invalid workspace name {raw!r}",
            hint="use lower-case letters, digits, '.', '_' and '-', not starting with '.' or '-'",
        )
    return name


@dataclass(frozen=True)
class Workspace:
    root: Path  # the skiff tree
    name: str

    @classmethod
    def from_env(cls, root: Path, env: Mapping[str, str] | None = None, name: str | None = None) -> Workspace:
        env = os.environ if env is None else env
        return cls(root, workspace_name(name or env.get("SKIFF_WORKSPACE")))

    @property
    def tree(self) -> Path:
        """workspaces/: the final-config dir, state and lock files may not lead out of it by a
        link. (The build dir workspaces/<ws> itself may be a link, to put output on another disk.)"""
        return paths.workspaces_dir(self.root)

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
    def load_state(self) -> WorkspaceState | None:
        """The saved state (core/workspace_state.py), None before anything was saved."""
        path = self.final_dir / STATE_FILE
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise WorkspaceError(
                f"saved state is unreadable ({exc}); run 'skiff configure' with SKIFF_CONFIG set", path=path
            ) from exc
        if data is None:
            return None  # "null": as good as no file
        if not isinstance(data, dict):
            raise WorkspaceError(
                "saved state is unreadable (not a JSON object); run 'skiff configure' with SKIFF_CONFIG set", path=path
            )
        return WorkspaceState.from_dict(data)

    @readonly.mutating("saving the workspace state")
    def save_state(self, state: WorkspaceState) -> None:
        atomic.write_text(
            self.final_dir / STATE_FILE, json.dumps(state.to_dict(), indent=2, sort_keys=True) + "\n", within=self.tree
        )
        # SkiffOS keeps the chain in a plain file; keep it so its scripts and habits still work.
        atomic.write_text(self.final_dir / "skiff_config", ",".join(state.selection or []) + "\n", within=self.tree)

    def lock(self, command: str | None = None) -> WorkspaceLock:
        return WorkspaceLock(self, command or " ".join(sys.argv))

    @readonly.mutating("cleaning the workspace")
    def clean(self, command: str = "skiff clean") -> None:
        """Remove the build output and the final-config dir under the lock. The user's override
        layer (overrides/workspaces/<ws>/) is theirs and is kept. A workspace dir that is a link
        (output on another disk) keeps its link; what it points to is emptied."""
        with self.lock(command):
            if self.dir.is_symlink():
                _empty_dir(self.dir.resolve())
            else:
                _remove_tree(self.dir)
            _remove_tree(
                safepath.within(self.final_dir, self.tree) if not self.final_dir.is_symlink() else self.final_dir
            )

    @readonly.mutating("deleting the workspace")
    def delete(self, command: str = "skiff: delete workspace") -> None:
        """clean(), then forget the workspace entirely (its lock file too)."""
        self.clean(command)
        try:
            self.lock_path.unlink()
        except FileNotFoundError:
            pass


def _remove_tree(path: Path) -> None:
    """rm -rf that reports what it could not remove (a link is removed, never followed)."""
    import shutil

    if path.is_symlink() or path.is_file():
        path.unlink()
        return
    if not path.exists():
        return
    failed: list[str] = []
    shutil.rmtree(path, onerror=lambda fn, p, info: failed.append(f"{p}: {getattr(info[1], 'strerror', info[1])}"))
    if failed:
        raise WorkspaceError(f"could not remove {len(failed)} entries, first {failed[0]}", path=path)


def _empty_dir(path: Path) -> None:
    if not path.is_dir():
        return
    for entry in os.scandir(path):
        _remove_tree(Path(entry.path))


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

    def holder(self) -> JsonObject | None:
        try:
            holder: JsonObject | None = json.loads(self.workspace.lock_path.read_text() or "null")
            return holder
        except (FileNotFoundError, ValueError):
            return None

    def acquire(self) -> WorkspaceLock:
        readonly.guard(f"modifying workspace {self.workspace.name!r} ({self.command})")
        path = self.workspace.lock_path
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = safepath.open_nofollow(path, os.O_RDWR | os.O_CREAT, 0o644, base=self.workspace.tree)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            who = self.holder() or {}
            raise WorkspaceError(
                f"workspace {self.workspace.name!r} is being modified by pid {who.get('pid', '?')} "
                f"({who.get('command', 'unknown command')})",
                hint="wait for it to finish, or watch it with 'skiff logs -f'",
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "command": self.command, "since": time.time()}).encode(), 0)
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
            fd = os.open(self.workspace.lock_path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW)
        except (FileNotFoundError, OSError):
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return False
        except BlockingIOError:
            return True
        finally:
            os.close(fd)

    def __enter__(self) -> WorkspaceLock:
        return self.acquire()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
