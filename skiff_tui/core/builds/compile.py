"""Starting a build: the steps `skiff compile` and the TUI's Start share, so neither can skip one
(the host-tools check, configure under the held lock, the build target, the container wrapping)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from . import container
from .buildroot import make_env, require_host_tools
from .configure import ConfigureResult, build_target, command_env, configure, make_argv
from .gitprogress import GitProgress

if TYPE_CHECKING:
    from ..session import Session


@dataclass
class CompileRun:
    """The make command of one build and the environment it runs in."""

    argv: list[str]
    env: dict[str, str]
    chain: list[str] = field(default_factory=list)
    target: str = "all"


def build_run(
    session: Session,
    result: ConfigureResult,
    target: str | None,
    *,
    interactive: bool = False,
    log: Callable[[str], None] = lambda m: None,
) -> CompileRun:
    """The make command for `target` (None: Buildroot's default) on a configured workspace,
    wrapped for the build container when SKIFF_CONTAINER asks for one. `interactive` (menuconfig
    & co.): the terminal is the user's, so make gets their TERM and the container a tty."""
    env = session.env
    argv = make_argv(result.plan, session.workspace, *([target] if target else []))
    child_env = make_env(command_env(session, result.plan))
    if interactive:
        child_env["TERM"] = env.get("TERM", "xterm")  # the menu needs a real terminal type
    choice = container.requested(env)
    if choice is not None:
        argv = container.wrap(
            argv,
            session,
            env=child_env,
            plan=result.plan,
            choice=choice,
            interactive=interactive,
            log=log,
        )
    return CompileRun(argv, child_env, list(result.chain.names), target or "all")


def prepare_compile(
    session: Session,
    *,
    log: Callable[[str], None] = lambda m: None,
    progress: Callable[[GitProgress], None] | None = None,
) -> tuple[ConfigureResult, CompileRun]:
    """Everything before `make` of a compile; the caller holds the workspace lock."""
    if container.requested(session.env) is None:
        require_host_tools(session.env)  # a container brings its own
    result = configure(session, locked=True, log=log, progress=progress)
    return result, build_run(session, result, build_target(result.plan, session.env), log=log)
