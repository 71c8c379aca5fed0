"""Package commands: `make <command>` in the package's extensions/ dir, with the workspace's
environment (docs/behaviour.md#workspaces)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from .. import readonly
from ..config.environment import skiff_env
from ..errors import PackageError, SkiffError
from ..library.packages import check_name, env_var_for
from .buildroot import locate
from .configure import command_env, plan, saved_selection

if TYPE_CHECKING:
    from ..session import Session

# Commands that prompt for confirmation or attach a console: a front end gives them the terminal
# instead of capturing their output.
TERMINAL_COMMANDS = frozenset({"format", "install", "run", "exec", "flashusb"})


def takes_terminal(command: str) -> bool:
    return command in TERMINAL_COMMANDS


def command_argv_env(session: Session, package: str, command: str) -> tuple[list[str], dict[str, str], Path]:
    """make's argv, environment and directory for `package`'s `command` in the session's workspace."""
    check_name(package)
    env, workspace, index = session.env, session.workspace, session.index
    pkg = index.get(package)
    known = {c.name for c in pkg.commands}
    if command not in known:
        listed = ", ".join(sorted(known)) or "none"
        raise PackageError(
            f"package {package} has no command {command!r} (its commands: {listed})",
            path=pkg.path / "metadata" / "commands",
        )
    if not pkg.has_extensions:
        raise PackageError(f"package {package} declares {command!r} but has no extensions/ directory", path=pkg.path)
    try:
        # With a selection (SKIFF_CONFIG or saved) the command sees the whole chain's variables.
        p = plan(session)
        run_env = command_env(session, p)
    except SkiffError:
        if env.get("SKIFF_CONFIG") or saved_selection(workspace):
            raise
        run_env = skiff_env(session.root, workspace, [], [], locate(env), [], base=env, index=index)
    run_env["SKIFF_CURRENT_CONF_DIR"] = str(pkg.path)
    run_env["SKIFF_CURRENT_CONF_NAME"] = package
    run_env["SKIFF_CURRENT_CONF_NAME_FULL"] = env_var_for(package)  # SkiffOS's (odd) meaning: the path variable's name
    run_env.pop("MAKEFLAGS", None)
    run_env.pop("MAKELEVEL", None)
    extensions = pkg.path / "extensions"
    return ["make", "--no-print-directory", "-C", str(extensions), command], run_env, extensions


@readonly.mutating("running a package command")
def run_command(session: Session, package: str, command: str) -> int:
    """Run a package command on the caller's terminal (it may prompt); its exit status."""
    argv, run_env, cwd = command_argv_env(session, package, command)
    return subprocess.run(argv, env=run_env, cwd=cwd).returncode


@readonly.mutating("running a package command")
def stream_command(session: Session, package: str, command: str, on_line: Callable[[str], None]) -> int:
    """Run a package command without a terminal, handing each output line to on_line (for a
    log pane). Commands that need confirmation refuse by themselves without a terminal."""
    argv, run_env, cwd = command_argv_env(session, package, command)
    run_env["SKIFF_NO_INTERACTIVE"] = "1"
    with subprocess.Popen(
        argv,
        env=run_env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        bufsize=1,
    ) as proc:
        assert proc.stdout is not None  # stdout=PIPE
        for line in proc.stdout:
            on_line(line.rstrip("\n"))
        return proc.wait()
