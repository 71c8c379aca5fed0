"""What a board package passes to `skiff flash`: its raw bootloader blobs and layout options.

Board packages say it in their extensions/Makefile (`BOOTLOADER_ARGS`, `FLASH_LAYOUT_ARGS`, see
docs/supported-systems.md). The Flash screen formats cards without going through `make`, so it
asks make for those two variables, in the environment the package's `format` command gets, and
parses them the way `skiff flash format` parses its options.
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import FlashError
from .layout import Blob, Layout, parse_blob
from .units import parse_size

if TYPE_CHECKING:
    from ..library.packages import PackageIndex
    from ..session import Session
    from ..workspace import Workspace

PROBE = "skiff-flash-probe"
VARIABLES = ("BOOTLOADER_ARGS", "FLASH_LAYOUT_ARGS")


@dataclass
class BoardFlash:
    package: str
    blob_specs: list[str] = field(default_factory=list)  # FILE:OFFSET as the package gives them
    table: str | None = None
    first_start: int | None = None
    boot_type: str | None = None
    boot_active: bool = False

    def blobs(self) -> list[Blob]:
        """The blobs as files (FlashError naming the first one not built yet)."""
        return [parse_blob(spec) for spec in self.blob_specs]

    def layout(self, base: Layout) -> Layout:
        return base.with_options(
            table=self.table,
            first_start=self.first_start,
            boot_type=self.boot_type,
            boot_active=self.boot_active or None,
        )

    def describe(self) -> str:
        bits = [f"{len(self.blob_specs)} bootloader blob(s)" if self.blob_specs else "no bootloader blobs"]
        bits += [f"--table {self.table}"] if self.table else []
        bits += [f"--first-partition-start {self.first_start}"] if self.first_start is not None else []
        bits += [f"--boot-type {self.boot_type}"] if self.boot_type else []
        bits += ["--boot-active"] if self.boot_active else []
        return f"board package {self.package}: " + ", ".join(bits)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    p.add_argument("--bootloader", action="append", default=[])
    p.add_argument("--table", choices=("gpt", "mbr"))
    p.add_argument("--first-partition-start")
    p.add_argument("--boot-type", choices=("fat32", "esp"))
    p.add_argument("--boot-active", action="store_true")
    return p


def parse_flash_args(package: str, text: str) -> BoardFlash:
    """`--bootloader "F:O" … --table mbr …` (a Makefile variable's value) → BoardFlash."""
    try:
        args, rest = _parser().parse_known_args(shlex.split(text))
    except (argparse.ArgumentError, ValueError, SystemExit) as exc:
        raise FlashError(f"{package}: cannot read its flash options {text!r}: {exc}") from None
    if rest:
        raise FlashError(f"{package}: unknown flash option(s) {' '.join(rest)}")
    return BoardFlash(
        package,
        list(args.bootloader),
        args.table,
        parse_size(args.first_partition_start) if args.first_partition_start else None,
        args.boot_type,
        bool(args.boot_active),
    )


def flash_package(workspace: Workspace, index: PackageIndex) -> str | None:
    """The last package of the workspace's chain with a `format` command (the board's)."""
    state = workspace.load_state()
    for name in reversed((state.chain if state else None) or []):
        if name in index:
            pkg = index.get(name)
            if pkg.has_extensions and any(c.name == "format" for c in pkg.commands):
                return name
    return None


def board_flash(session: Session) -> BoardFlash | None:
    """The selected board's blobs and layout options, or None when no package of the chain has a
    `format` command (nothing special: the docs/behaviour.md#sd-cards layout, no blobs)."""
    from ..builds.commands import command_argv_env

    name = flash_package(session.workspace, session.index)
    if name is None:
        return None
    _argv, run_env, cwd = command_argv_env(session, name, "format")
    recipe = "".join(f"$(info {v}=$({v}))" for v in VARIABLES)
    argv = ["make", "--no-print-directory", "-s", "-C", str(cwd), "--eval", f"{PROBE}: ; {recipe}", PROBE]
    try:
        proc = subprocess.run(argv, env=run_env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FlashError(f"{name}: cannot read its flash options with make: {exc}") from None
    if proc.returncode != 0:
        last = proc.stderr.strip().splitlines()[-1:] or ["no message"]
        raise FlashError(f"{name}: cannot read its flash options with make: {last[0]}", path=cwd / "Makefile")
    values = {v: "" for v in VARIABLES}
    for line in proc.stdout.splitlines():
        key, sep, value = line.partition("=")
        if sep and key in values:
            values[key] = value
    return parse_flash_args(name, " ".join(values[v] for v in VARIABLES))
