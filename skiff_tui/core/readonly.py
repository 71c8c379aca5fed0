"""Read-only mode: every mutating engine entry point goes through guard() before any write.

Set by `skiff --read-only …`, `skiff tui --read-only` or SKIFF_READ_ONLY=1 (inherited by child
processes), so an sshd forced command can offer a view that cannot configure, build, edit,
clean or flash. Entry points declare themselves with @mutating("what it does"): the decorator
runs the guard first and records the function in MUTATING, which
tests/reliability/test_readonly_enumeration.py checks against a scan of the engine's source, so
a new writer cannot be added unguarded. See docs/architecture.md ("Reliability").
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from .errors import ReadOnlyError

ENV_VAR = "SKIFF_READ_ONLY"
_read_only = False
# "module.qualname" -> the guarded function, for the enumeration test.
MUTATING: dict[str, Callable[..., object]] = {}

_P = ParamSpec("_P")
_R = TypeVar("_R")


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
        raise ReadOnlyError(
            f"{action} refused: this session is read-only",
            hint="log in without the read-only forced command to change anything",
        )


def mutating(action: str) -> Callable[[Callable[_P, _R]], Callable[_P, _R]]:
    """Decorator for an engine function that writes: refuse in read-only mode before its body
    runs (so before any write, whatever its arguments)."""

    def wrap(fn: Callable[_P, _R]) -> Callable[_P, _R]:
        @functools.wraps(fn)
        def guarded(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            guard(action)
            return fn(*args, **kwargs)

        MUTATING[f"{fn.__module__}.{fn.__qualname__}"] = guarded
        return guarded

    return wrap
