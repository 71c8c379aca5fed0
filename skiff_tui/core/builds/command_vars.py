"""The variables a package command needs before it can run (`PI_SD`, `PI_IMAGE`, …).

Library commands check them with `$(call skiff_need,VAR,help)` (docs/packages.md), which stops
make with "VAR is not set: help". Asking make itself, with `make -n` (print, don't run), follows
includes and conditionals exactly: each run names the next missing variable, which is then given
a placeholder, until the dry run gets through (or a limit is reached)."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .commands import command_argv_env

if TYPE_CHECKING:
    from ..session import Session

NOT_SET = re.compile(r"\*\*\* (?P<var>[A-Za-z_][A-Za-z0-9_]*) is not set:?\s*(?P<help>.*?)\.?\s+Stop\.")
PLACEHOLDER = "skiff-placeholder"


@dataclass(frozen=True)
class NeededVariable:
    name: str
    help: str  # the command's own words: "name the SD card device to format as PI_SD=/dev/sdX"


def needed_variables(session: Session, package: str, command: str, *, limit: int = 8) -> list[NeededVariable]:
    argv, run_env, cwd = command_argv_env(session, package, command)
    make, rest = argv[0], argv[1:]
    trial = dict(run_env, SKIFF_NO_INTERACTIVE="1")
    found: list[NeededVariable] = []
    for _ in range(limit):
        try:
            result = subprocess.run(
                [make, "-n", *rest],
                env=trial,
                cwd=cwd,
                capture_output=True,
                text=True,
                errors="replace",
                stdin=subprocess.DEVNULL,
                timeout=30,
            )
        except (OSError, subprocess.TimeoutExpired):
            break  # running it for real reports the problem
        match = NOT_SET.search(result.stderr)
        if result.returncode == 0 or match is None or match["var"] in trial:
            break
        found.append(NeededVariable(match["var"], match["help"].strip()))
        trial[match["var"]] = PLACEHOLDER
    return found
