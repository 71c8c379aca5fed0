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


def add_workspace_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workspace", "-w", default=argparse.SUPPRESS,
                        help="workspace name (default: $SKIFF_WORKSPACE or 'default')")


@dataclass
class Context:
    root: Path
    env: dict[str, str]
    workspace: Workspace

    @cached_property
    def index(self) -> PackageIndex:
        index = discover(paths.configs_dir(self.root), self.env)
        for warning in index.warnings:
            print(f"skiff: warning: {warning}", file=sys.stderr)
        return index

    @property
    def interactive(self) -> bool:
        return not self.env.get("SKIFF_NO_INTERACTIVE") and sys.stdin.isatty()


def context(args: argparse.Namespace) -> Context:
    from ..core.configure import with_saved_paths

    env = dict(os.environ)
    root = paths.root_dir(env)
    workspace = Workspace.from_env(root, env, getattr(args, "workspace", None))
    return Context(root=root, env=with_saved_paths(workspace, env), workspace=workspace)
