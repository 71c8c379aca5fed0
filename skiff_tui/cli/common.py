"""Shared bits of the CLI verbs: the --workspace option and the context every verb starts from."""

from __future__ import annotations

import argparse
import os
import sys
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from ..core import paths
from ..core.library.packages import PackageIndex, discover
from ..core.workspace import Workspace
from .output import warning as warn

if TYPE_CHECKING:
    from ..core.session import Session  # imported when a verb runs: it brings configure along


def add_container_arg(parser: argparse.ArgumentParser, help_text: str) -> None:
    """--container [ENGINE]: the build runs in the build container (compile, br, tui)."""
    parser.add_argument(
        "--container",
        nargs="?",
        const="auto",
        default=None,
        choices=("auto", "podman", "docker"),
        metavar="ENGINE",
        help=help_text,
    )


def add_workspace_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--workspace", "-w", default=argparse.SUPPRESS, help="workspace name (default: $SKIFF_WORKSPACE or 'default')"
    )


class Context:
    """The verb's starting point: the engine session of its workspace (core/session.py), or, with
    no project directory, only the environment (read-only verbs still list the library)."""

    def __init__(self, env: dict[str, str], session: Session | None, workspace_arg: str | None = None) -> None:
        self.env = env  # the session's own: a verb's change (--container) is the session's too
        self.project = session.root if session is not None else None
        self._session = session
        self._workspace_arg = workspace_arg

    @property
    def session(self) -> Session:
        if self._session is None:
            from ..core.session import Session

            # No project directory: root_dir raises the one-line "no project; skiff init" error.
            self._session = Session.open(paths.root_dir(self.env), self.env, self._workspace_arg, warn=warn)
        return self._session

    @property
    def root(self) -> Path:
        return self.session.root

    @property
    def workspace(self) -> Workspace:
        return self.session.workspace

    @cached_property
    def index(self) -> PackageIndex:
        """The packages (their warnings printed once); without a project, the library's."""
        if self.project is not None:
            return self.session.index
        index = discover(paths.package_roots(None), self.env)
        for warning in index.warnings:
            warn(warning)
        return index

    @property
    def interactive(self) -> bool:
        return not self.env.get("SKIFF_NO_INTERACTIVE") and sys.stdin.isatty()


def context(args: argparse.Namespace, *, need_project: bool = True) -> Context:
    """The verb's starting point. Without a project directory, verbs that only read packages
    (need_project=False) still work on the library; any other stops with a one-line error."""
    from ..core.session import Session

    env = dict(os.environ)
    project = paths.root_dir(env) if need_project else paths.project_dir(env)
    if project is None:
        return Context(env, None, getattr(args, "workspace", None))
    session = Session.open(project, env, getattr(args, "workspace", None), warn=warn)
    return Context(session.env, session)
