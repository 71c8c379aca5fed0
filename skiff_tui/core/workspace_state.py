"""The workspace's saved state (workspaces/.config_<ws>/state.json), typed.

The file is a JSON object written by configure, the stack editor and the TUI's "new workspace".
Reading is tolerant: a missing key reads as absent, and a key this version does not know, or a
known key holding a value of another type (a newer or older skiff wrote it), is kept as it was
and written back unchanged, so saving never loses what another version recorded."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

# A JSON object as skiff stores it (saved state, lock holder): keys are fixed, values vary.
JsonObject = dict[str, Any]


class Absent(enum.Enum):
    """A key the file does not have, where null is a value of its own (cflags: none set)."""

    ABSENT = "absent"


ABSENT = Absent.ABSENT


@dataclass
class RunningMake:
    """The make process (Buildroot's defconfig) an unfinished configure started."""

    pid: int
    start: int | None  # its /proc start time, to tell it from a later process with its pid


@dataclass
class ConfigureMarker:
    """Saved while configure writes; only its final save removes it, so a run killed at any point
    leaves it behind and the next configure redoes everything."""

    selection: list[str] = field(default_factory=list)
    pid: int | None = None
    since: float | None = None
    make: RunningMake | None = None

    def to_dict(self) -> JsonObject:
        out: JsonObject = {"selection": list(self.selection)}
        if self.pid is not None:
            out["pid"] = self.pid
        if self.since is not None:
            out["since"] = self.since
        if self.make is not None:
            out["make"] = {"pid": self.make.pid, "start": self.make.start}
        return out

    @classmethod
    def from_value(cls, value: object) -> ConfigureMarker | None:
        if not value:
            return None
        if not isinstance(value, dict):
            return cls()  # not one this version wrote, but a configure was under way all the same
        make = value.get("make")
        running = None
        if isinstance(make, dict) and _is_int(make.get("pid")):
            start = make.get("start")
            running = RunningMake(make["pid"], start if _is_int(start) else None)
        selection = value.get("selection")
        return cls(
            selection=list(selection) if isinstance(selection, list) and _is_names(selection) else [],
            pid=value["pid"] if _is_int(value.get("pid")) else None,
            since=value["since"] if _is_number(value.get("since")) else None,
            make=running,
        )


@dataclass
class WorkspaceState:
    """What state.json records. None (and ABSENT for the two keys that may hold null) means the
    file does not have the key; `extra` holds the keys read but not understood, as they were."""

    selection: list[str] | None = None  # what the user selected (the TUI's stack editor saves only this)
    chain: list[str] | None = None  # the resolved chain of the last configure
    extra_configs_path: list[str] | None = None  # SKIFF_EXTRA_CONFIGS_PATH it used
    base_setting: str | None = None  # SKIFF_BASE it used ("" when unset)
    digest: str | None = None  # of every input; equal digests skip configure
    kconfig_digest: str | None = None  # of what Buildroot's defconfig read
    configured_at: float | None = None
    buildroot: str | None = None  # the Buildroot tree
    version: str | None = None  # skiff's
    cflags: str | None | Absent = ABSENT  # BR2_TARGET_OPTIMIZATION (null: none set)
    buildtarget: str | None | Absent = ABSENT  # the build target (null: Buildroot's default)
    outputs: str | None = None  # digest of the files configure wrote
    created_at: float | None = None  # when the TUI created the workspace
    configuring: ConfigureMarker | None = None
    extra: JsonObject = field(default_factory=dict)

    def to_dict(self) -> JsonObject:
        out: JsonObject = dict(self.extra)
        for key, value in (
            ("selection", self.selection),
            ("chain", self.chain),
            ("extra_configs_path", self.extra_configs_path),
            ("base_setting", self.base_setting),
            ("digest", self.digest),
            ("kconfig_digest", self.kconfig_digest),
            ("configured_at", self.configured_at),
            ("buildroot", self.buildroot),
            ("version", self.version),
            ("outputs", self.outputs),
            ("created_at", self.created_at),
        ):
            if value is not None:
                out[key] = list(value) if isinstance(value, list) else value
        for key, nullable in (("cflags", self.cflags), ("buildtarget", self.buildtarget)):
            if nullable is not ABSENT:
                out[key] = nullable
        if self.configuring is not None:
            out["configuring"] = self.configuring.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: JsonObject) -> WorkspaceState:
        extra = dict(data)
        state = cls(extra=extra)

        def take(key: str, fits: bool) -> Any:
            """The value of `key` if it has the expected type (then it leaves `extra`), else None."""
            if key in extra and fits:
                return extra.pop(key)
            if key in extra and extra[key] is None:
                del extra[key]  # null where null means nothing: absent
            return None

        for key in ("selection", "chain", "extra_configs_path"):
            setattr(state, key, take(key, _is_names(data.get(key))))
        for key in ("base_setting", "digest", "kconfig_digest", "buildroot", "version", "outputs"):
            setattr(state, key, take(key, isinstance(data.get(key), str)))
        for key in ("configured_at", "created_at"):
            setattr(state, key, take(key, _is_number(data.get(key))))
        for key in ("cflags", "buildtarget"):
            value = data.get(key, ABSENT)
            if value is None or isinstance(value, str):
                setattr(state, key, extra.pop(key))
        if "configuring" in extra:
            state.configuring = ConfigureMarker.from_value(extra.pop("configuring"))
        return state


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_names(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)
