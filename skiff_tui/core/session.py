"""One engine session: the project, the environment, the workspace and the package index that
configure, compile, package commands and the editors work on together (docs/architecture.md).

The CLI opens one per verb (cli/common.py's Context holds it); the TUI builds one from its state
whenever it calls the engine. The index is discovered on first use and kept."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from . import paths
from .errors import WorkspaceError
from .library.packages import PackageIndex, discover
from .workspace import Workspace
from .workspace_state import WorkspaceState


class Session:
    """`root` (the project), `env` (the environment everything runs with), `workspace`, and the
    package index, discovered from root and env the first time it is asked for. `warn` is told
    each discovery warning once, when that happens (the CLI prints them)."""

    def __init__(
        self,
        root: Path,
        env: dict[str, str],
        workspace: Workspace,
        index: PackageIndex | None = None,
        *,
        warn: Callable[[str], None] | None = None,
    ) -> None:
        self.root = root
        self.env = env
        self.workspace = workspace
        self._index = index
        self._warn = warn

    @classmethod
    def open(
        cls,
        root: Path,
        env: Mapping[str, str] | None = None,
        workspace: str | None = None,
        *,
        warn: Callable[[str], None] | None = None,
    ) -> Session:
        """The session of workspace `workspace` (else $SKIFF_WORKSPACE, else 'default'), its env
        the given one (else os.environ) plus the package roots and base its last configure used."""
        env = dict(os.environ if env is None else env)
        ws = Workspace.from_env(root, env, workspace)
        return cls(root, with_saved_paths(ws, env), ws, warn=warn)

    @property
    def index(self) -> PackageIndex:
        if self._index is None:
            self._index = discover(paths.package_roots(self.root), self.env)
            if self._warn is not None:
                for warning in self._index.warnings:
                    self._warn(warning)
        return self._index

    @property
    def index_warnings(self) -> list[str]:
        """What discovering the index found wrong with the packages (it discovers if needed)."""
        return list(self.index.warnings)

    def for_workspace(self, name: str) -> Session:
        """The same project, environment and index for workspace `name` (as the TUI switches)."""
        return Session(self.root, self.env, Workspace(self.root, name), self._index, warn=self._warn)

    def with_env(self, env: dict[str, str]) -> Session:
        """The same project, workspace and index with another environment (a package command's,
        with the values the user gave it)."""
        return Session(self.root, env, self.workspace, self._index, warn=self._warn)

    def __repr__(self) -> str:
        return f"Session(root={str(self.root)!r}, workspace={self.workspace.name!r})"


def with_saved_paths(workspace: Workspace, env: dict[str, str]) -> dict[str, str]:
    """env, plus the workspace's saved SKIFF_EXTRA_CONFIGS_PATH and SKIFF_BASE where unset, so
    `compile` (and show, cmd, the TUI) resume with the package roots and base configure used
    (docs/behaviour.md#resolution)."""
    if env.get("SKIFF_EXTRA_CONFIGS_PATH") and env.get("SKIFF_BASE"):
        return env
    try:
        state = workspace.load_state() or WorkspaceState()
    except WorkspaceError:
        return env
    out = env
    roots = state.extra_configs_path or []
    if roots and not env.get("SKIFF_EXTRA_CONFIGS_PATH"):
        out = dict(out, SKIFF_EXTRA_CONFIGS_PATH=":".join(roots))
    # The base choice made at configure time (SKIFF_BASE) sticks the same way.
    if state.base_setting and not env.get("SKIFF_BASE"):
        out = dict(out, SKIFF_BASE=state.base_setting)
    return out
