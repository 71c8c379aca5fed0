"""Starting a build: the steps `skiff compile` and the TUI's Start share, so neither can skip one
(the host-tools check, configure under the held lock, the build target, the container wrapping)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import container
from .buildroot import make_env, require_host_tools
from .configure import ConfigureResult, build_target, command_env, configure, make_argv
from .gitprogress import GitProgress
from .packages import PackageIndex
from .workspace import Workspace


@dataclass
class CompileRun:
    """The make command of one build and the environment it runs in."""

    argv: list[str]
    env: dict[str, str]
    chain: list[str] = field(default_factory=list)
    target: str = "all"


def build_run(
    root: Path,
    env: dict[str, str],
    workspace: Workspace,
    result: ConfigureResult,
    target: str | None,
    *,
    interactive: bool = False,
    log: Callable[[str], None] = lambda m: None,
) -> CompileRun:
    """The make command for `target` (None: Buildroot's default) on a configured workspace,
    wrapped for the build container when SKIFF_CONTAINER asks for one. `interactive` (menuconfig
    & co.): the terminal is the user's, so make gets their TERM and the container a tty."""
    argv = make_argv(result.plan, workspace, *([target] if target else []))
    child_env = make_env(command_env(root, env, workspace, result.plan))
    if interactive:
        child_env["TERM"] = env.get("TERM", "xterm")  # the menu needs a real terminal type
    choice = container.requested(env)
    if choice is not None:
        argv = container.wrap(
            argv,
            root=root,
            env=child_env,
            workspace=workspace,
            plan=result.plan,
            choice=choice,
            interactive=interactive,
            log=log,
        )
    return CompileRun(argv, child_env, list(result.chain.names), target or "all")


def prepare_compile(
    root: Path,
    env: dict[str, str],
    workspace: Workspace,
    *,
    index: PackageIndex | None = None,
    log: Callable[[str], None] = lambda m: None,
    progress: Callable[[GitProgress], None] | None = None,
) -> tuple[ConfigureResult, CompileRun]:
    """Everything before `make` of a compile; the caller holds the workspace lock."""
    if container.requested(env) is None:
        require_host_tools(env)  # a container brings its own
    result = configure(root, env, workspace, index=index, locked=True, log=log, progress=progress)
    return result, build_run(root, env, workspace, result, build_target(result.plan, env), log=log)
