"""Shared bits of the CLI verbs: the --workspace option and the context every verb starts from."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ..core import paths
from ..core.packages import PackageIndex, discover
from ..core.workspace import Workspace


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


@dataclass
class Context:
    project: Path | None  # None: no project directory (read-only verbs still list the library)
    env: dict[str, str]
    workspace_arg: str | None = None

    @property
    def root(self) -> Path:
        if self.project is None:
            return paths.root_dir(self.env)  # raises the one-line "no project; skiff init" error
        return self.project

    @cached_property
    def workspace(self) -> Workspace:
        return Workspace.from_env(self.root, self.env, self.workspace_arg)

    @cached_property
    def index(self) -> PackageIndex:
        index = discover(paths.package_roots(self.project), self.env)
        from .output import warning as warn

        for warning in index.warnings:
            warn(warning)
        return index

    @property
    def interactive(self) -> bool:
        return not self.env.get("SKIFF_NO_INTERACTIVE") and sys.stdin.isatty()


def context(args: argparse.Namespace, *, need_project: bool = True) -> Context:
    """The verb's starting point. Without a project directory, verbs that only read packages
    (need_project=False) still work on the library; any other stops with a one-line error."""
    from ..core.configure import with_saved_paths

    env = dict(os.environ)
    project = paths.root_dir(env) if need_project else paths.project_dir(env)
    ctx = Context(project=project, env=env, workspace_arg=getattr(args, "workspace", None))
    if project is not None:
        ctx.env = with_saved_paths(ctx.workspace, env)
    return ctx
