"""Read-only mode: every mutating engine action calls guard() first (SPEC §7).

Set by `skiff tui --read-only` (and inherited by child processes through SKIFF_READ_ONLY), so an
sshd forced command can offer a view that cannot configure, build, edit, clean or flash.
"""

from __future__ import annotations

import os

from .errors import ReadOnlyError

ENV_VAR = "SKIFF_READ_ONLY"
_read_only = False


def set_read_only(value: bool = True) -> None:
    global _read_only
    _read_only = value
    if value:
        os.environ[ENV_VAR] = "1"
    else:
        os.environ.pop(ENV_VAR, None)


def is_read_only() -> bool:
    return _read_only or os.environ.get(ENV_VAR, "") not in ("", "0")


def guard(action: str) -> None:
    if is_read_only():
        raise ReadOnlyError(f"{action} refused: this session is read-only",
                            hint="log in without the read-only forced command to change anything")
