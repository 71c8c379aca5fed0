"""Reading what Buildroot prints: `>>>` progress lines, build-time.log, and failure summaries.

Facts (docs/behaviour.md#buildroot): a progress line is ">>> NAME VERSION TEXT" where NAME and
VERSION never contain spaces but either may be empty; a failed package step ends with
`make: *** [package/pkg-generic.mk:N: <O>/build/<pkg>[-<ver>]/.stamp_<step>] Error N` (one
`make[k]` level deeper when called through `<O>/Makefile`); `build-time.log` lines are
`timestamp:start|end:step(padded to 20):pkg`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
PROGRESS = re.compile(r">>> (\S*) (\S*) (.*)$")

# `>>>` text -> the step name Buildroot uses in build-time.log and instrumentation hooks.
STEP_TEXTS = {
    "Downloading": "download",
    "Extracting": "extract",
    "Patching": "patch",
    "Configuring": "configure",
    "Building": "build",
    "Installing to host directory": "install-host",
    "Installing to staging directory": "install-staging",
    "Installing to target": "install-target",
    "Installing to images directory": "install-image",
}
STEP_PREFIXES = (
    ("Syncing from source dir", "rsync"),
    ("Updating config.sub and config.guess", "patch"),
    ("Patching libtool", "patch"),
    ("Autoreconfiguring", "configure"),
    ("Fixing package configuration files", "install-staging"),
    ("Fixing libtool files", "install-staging"),
    ("Building kernel module", "build"),
    ("Installing kernel module", "install-target"),
)
# stamp file suffix -> step
STAMP_STEPS = {
    "downloaded": "download",
    "actual_downloaded": "download",
    "extracted": "extract",
    "rsynced": "rsync",
    "patched": "patch",
    "configured": "configure",
    "built": "build",
    "host_installed": "install-host",
    "staging_installed": "install-staging",
    "target_installed": "install-target",
    "images_installed": "install-image",
    "installed": "install",
}

STAMP_ERROR = re.compile(
    r"make(?:\[\d+\])?: \*\*\* \[[^\]]*?:\d+: (?P<dir>[^\]]*/build/(?P<base>[^/\]]+))/\.stamp_(?P<stamp>\w+)\]"
    r" Error \d+"
)
MAKE_ERROR = re.compile(r"^(?:g?make|\S*/make)(?:\[\d+\])?: \*\*\* ")
MAKE_TRAILER = re.compile(r"^(?:g?make|\S*/make)(?:\[\d+\])?: (?:Leaving directory|Target .* not remade)")
# Lines worth showing as "the error": compiler/linker diagnostics, Buildroot's own ERROR:
# messages, downloader and shell failures.
ERROR_LINE = re.compile(
    r"(?:\berror\b|\bError\b|\bERROR\b|\bfatal\b|\bFatal\b|\bFATAL\b|[Uu]ndefined reference|"
    r"unable to|No such file or directory|[Cc]ommand not found|Permission denied|"
    r"failed: |\bfailed\b|You must install|Please configure Buildroot first|has wrong \w+ hash|"
    r"No hash found|Segmentation fault|Killed)"
)
WARNING_LINE = re.compile(r"(?:\bwarning\b|\bWarning\b|\bWARNING\b)")
VERSION_SUFFIX = re.compile(r"-(?:v?\d[\w.+~]*|custom|git|HEAD|master|main)$")

MAX_ERROR_LINES = 12


def strip_ansi(line: str) -> str:
    return ANSI.sub("", line) if "\x1b" in line else line


@dataclass(frozen=True)
class ProgressEvent:
    name: str  # package name; "" for global steps (Finalizing target directory, …)
    version: str  # may be ""
    text: str  # the step text as printed
    step: str  # build-time.log step name, or "" when unknown (global/other texts)

    @property
    def package(self) -> str | None:
        return self.name or None


def parse_progress(line: str) -> ProgressEvent | None:
    """Parse one `>>>` line (with or without trailing newline / ANSI codes); None otherwise."""
    if not line.startswith((">>>", "\x1b")):
        return None
    line = strip_ansi(line).rstrip("\r\n")
    match = PROGRESS.match(line)
    if not match:
        return None
    name, version, text = match.groups()
    text = text.strip()
    return ProgressEvent(name, version, text, step_of_text(text))


def step_of_text(text: str) -> str:
    step = STEP_TEXTS.get(text)
    if step:
        return step
    for prefix, step in STEP_PREFIXES:
        if text.startswith(prefix):
            return step
    return ""


# --- build-time.log ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimeEvent:
    time: float
    kind: str  # "start" | "end"
    step: str
    package: str


def parse_build_time_line(line: str) -> TimeEvent | None:
    parts = line.rstrip("\n").split(":", 3)
    if len(parts) != 4:
        return None
    try:
        stamp = float(parts[0])
    except ValueError:
        return None
    kind = parts[1].strip()
    if kind not in ("start", "end"):
        return None
    return TimeEvent(stamp, kind, parts[2].strip(), parts[3].strip())


def parse_build_time(text: str | Iterable[str]) -> list[TimeEvent]:
    lines = text.splitlines() if isinstance(text, str) else text
    return [ev for ev in map(parse_build_time_line, lines) if ev is not None]


def read_build_time(path: str | Path) -> list[TimeEvent]:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return parse_build_time(handle)
    except FileNotFoundError:
        return []


def package_durations(events: Iterable[TimeEvent]) -> dict[str, float]:
    """Seconds spent per package: the sum of its completed start→end step pairs (the log is
    appended across runs; a retried step counts the run that completed)."""
    open_steps: dict[tuple[str, str], float] = {}
    total: dict[str, float] = {}
    for ev in events:
        key = (ev.package, ev.step)
        if ev.kind == "start":
            open_steps[key] = ev.time
        else:
            began = open_steps.pop(key, None)
            if began is not None and ev.time >= began:
                total[ev.package] = total.get(ev.package, 0.0) + (ev.time - began)
    return total


def open_step(events: list[TimeEvent]) -> tuple[str, str] | None:
    """(package, step) of the last `start` without a matching `end`, if any."""
    ended: set[tuple[str, str]] = set()
    for ev in reversed(events):
        key = (ev.package, ev.step)
        if ev.kind == "end":
            ended.add(key)
        elif key not in ended:
            return ev.package, ev.step
        else:
            ended.discard(key)
    return None


# --- failures ------------------------------------------------------------------------------------


def package_from_build_dir(
    base: str, seen: dict[str, str] | None = None, stamp_dirs: dict[str, str] | None = None
) -> str:
    """Map a build directory's basename (`host-demo-broken-1.0`, `linux-custom`) to the package.

    Best source: show-info's stamp_dir map; next: `>>>` lines seen in the log (name + version);
    last resort: strip a version-like suffix."""
    if stamp_dirs and base in stamp_dirs:
        return stamp_dirs[base]
    if seen and base in seen:
        return seen[base]
    return VERSION_SUFFIX.sub("", base) or base


# wget's, curl's and git's words for "this machine has no network" (see docs/getting-started.md)
OFFLINE = re.compile(
    r"unable to resolve host address|Name or service not known|Temporary failure in name "
    r"resolution|Could not resolve host|Network is unreachable|No route to host|"
    r"Connection timed out|Failed to connect to"
)


def offline_download(step: str | None, lines: list[str]) -> bool:
    """A download that failed because the network is unreachable (not a bad URL or hash)."""
    return step == "download" and any(OFFLINE.search(line) for line in lines)


def _next_actions(package: str | None, step: str | None, offline: bool = False) -> list[str]:
    if not package:
        return []
    if offline:  # cleaning and rebuilding cannot help: the sources must come from somewhere
        return [
            f"make br/{package}-source (once online)",
            "skiff br source (on a connected machine; copy its download directory here)",
        ]
    if step == "download":
        return [f"make br/{package}-source", f"make br/{package}-dirclean"]
    return [f"make br/{package}-dirclean", f"make br/{package}-rebuild"]


OFFLINE_HINT = (
    "No network: Buildroot could not download the sources of {package}. Builds read sources "
    "from the download directory (BR2_DL_DIR, by default ~/.cache/skiff/dl): fill it on a "
    "connected machine with 'skiff br source' (or copy another machine's), then build again."
)


TOP_TARGET = re.compile(r"\[[^\]]*?:\s*(?P<target>target-finalize|target-post-image|rootfs-[\w-]+)\] Error")
HOOK_BANNER = re.compile(r"^skiff: running (?P<which>pre|post) hook of (?P<layer>\S+)")
TOP_TARGET_STEPS = {
    "target-finalize": "finalizing the target (overlays, post-build scripts)",
    "target-post-image": "post-image scripts",
}


def _top_level_failure(clean: list[str], make_chain: list[str], chain_start: int) -> tuple[str | None, str] | None:
    target = next((m["target"] for ln in make_chain if (m := TOP_TARGET.search(ln))), None)
    if target is None:
        return None
    for line in reversed(clean[:chain_start]):
        banner = HOOK_BANNER.match(line)
        if banner:
            kind = "post-build" if banner["which"] == "pre" else "post-image"
            return None, f"{kind} hook of {banner['layer']}"
        if line.startswith(">>>"):
            break
    return None, TOP_TARGET_STEPS.get(target, f"filesystem image ({target})")


@dataclass(frozen=True)
class FailedStep:
    package: str | None
    step: str | None


@dataclass
class BuildFailure:
    """Where a build failed and what to do next, as build records store it (JSON). It describes
    the last failure, as Buildroot attributes it; `failures` lists every (package, step) that
    failed (several with `make -k`). `extra` keeps keys of records another version wrote."""

    package: str | None  # None: a failure outside any package (a hook, an image)
    step: str | None
    lines: list[str]  # the log lines that look like the error
    make_error: str | None  # make's own "*** ... Error N" line
    next_actions: list[str]
    failures: list[FailedStep]
    make_chain: list[str] | None = None  # the run of make error lines around it; None: not recorded
    hint: str | None = None  # e.g. what to do without a network
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            **self.extra,
            "package": self.package,
            "step": self.step,
            "lines": list(self.lines),
            "make_error": self.make_error,
            "next_actions": list(self.next_actions),
            "failures": [{"package": f.package, "step": f.step} for f in self.failures],
        }
        if self.make_chain is not None:
            out["make_chain"] = list(self.make_chain)
        if self.hint is not None:
            out["hint"] = self.hint
        return dict(sorted(out.items()))  # as records are written (sort_keys), so --json matches

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BuildFailure:
        known = {"package", "step", "lines", "make_error", "next_actions", "failures", "make_chain", "hint"}
        items = data.get("failures") or []
        failures = [FailedStep(item.get("package"), item.get("step")) for item in items if isinstance(item, dict)]
        return cls(
            package=data.get("package"),
            step=data.get("step"),
            lines=list(data.get("lines") or []),
            make_error=data.get("make_error"),
            next_actions=list(data.get("next_actions") or []),
            failures=failures,
            make_chain=list(data["make_chain"]) if isinstance(data.get("make_chain"), list) else None,
            hint=data.get("hint"),
            extra={k: v for k, v in data.items() if k not in known},
        )


def summarize_failure(lines: list[str], stamp_dirs: dict[str, str] | None = None) -> BuildFailure | None:
    """The failure of a build's output (with a `hint` when a download failed for want of a
    network), or None if it shows no make error."""
    clean = [strip_ansi(ln).rstrip("\r\n") for ln in lines]
    seen: dict[str, str] = {}  # "<name>-<version>" / "<name>" -> name
    progress_at: list[tuple[int, ProgressEvent]] = []
    stamp_errors: list[tuple[int, re.Match[str]]] = []
    last_make_error = None
    for i, line in enumerate(clean):
        if line.startswith(">>>"):
            ev = parse_progress(line)
            if ev is not None:
                progress_at.append((i, ev))
                if ev.name:
                    seen[f"{ev.name}-{ev.version}" if ev.version else ev.name] = ev.name
            continue
        if MAKE_ERROR.match(line):
            last_make_error = i
            match = STAMP_ERROR.search(line)
            if match:
                stamp_errors.append((i, match))
    if last_make_error is None and not stamp_errors:
        return None

    failures: list[FailedStep] = []
    for _i, match in stamp_errors:
        pkg = package_from_build_dir(match["base"], seen, stamp_dirs)
        item = FailedStep(pkg, STAMP_STEPS.get(match["stamp"], match["stamp"]))
        if item not in failures:
            failures.append(item)

    package: str | None
    step: str | None
    if stamp_errors:
        err_index, match = stamp_errors[-1]
        package = package_from_build_dir(match["base"], seen, stamp_dirs)
        step = STAMP_STEPS.get(match["stamp"], match["stamp"])
    else:
        assert last_make_error is not None  # neither a stamp nor a make error returned None above
        err_index = last_make_error
        before = [ev for i, ev in progress_at if i < err_index and ev.name]
        package = before[-1].name if before else None
        step = (before[-1].step or before[-1].text) if before else None

    # The make chain: the run of make-error (and Leaving directory) lines around err_index.
    chain_start = err_index
    while chain_start > 0 and (MAKE_ERROR.match(clean[chain_start - 1]) or MAKE_TRAILER.match(clean[chain_start - 1])):
        chain_start -= 1
    chain_end = err_index
    while chain_end + 1 < len(clean) and (
        MAKE_ERROR.match(clean[chain_end + 1]) or MAKE_TRAILER.match(clean[chain_end + 1])
    ):
        chain_end += 1
    make_chain = [ln for ln in clean[chain_start : chain_end + 1] if MAKE_ERROR.match(ln)]
    if not stamp_errors:
        # Not a package step: a top-level target such as target-finalize (overlays and post-build
        # scripts) or target-post-image. Blame the hook skiff's wrapper last announced, not the
        # package that happened to build last.
        top = _top_level_failure(clean, make_chain, chain_start)
        if top is not None:
            package, step = top

    # Region to search for the error text: from this package's last `>>>` line (or the previous
    # failure / any `>>>` line) up to the chain.
    region_start = max(0, chain_start - 400)
    for i, ev in reversed(progress_at):
        if i < chain_start:
            if package is None or ev.name == package or not ev.name:
                region_start = max(region_start, i + 1)
                break
    for i, _m in stamp_errors:
        if i < chain_start:
            region_start = max(region_start, i + 1)
    error_lines = []
    for line in clean[region_start:chain_start]:
        if MAKE_ERROR.match(line) or line.startswith(">>>"):
            continue
        if ERROR_LINE.search(line):
            error_lines.append(line)
            if len(error_lines) >= MAX_ERROR_LINES:
                break
    if not error_lines:
        # Nothing looked like an error: show the last lines before the chain instead.
        error_lines = [ln for ln in clean[max(region_start, chain_start - 5) : chain_start] if ln.strip()]

    offline = bool(package) and offline_download(step, clean[region_start:chain_start])
    return BuildFailure(
        package=package,
        step=step,
        lines=error_lines,
        make_error=clean[err_index],
        make_chain=make_chain,
        next_actions=_next_actions(package, step, offline),
        failures=failures,
        hint=OFFLINE_HINT.format(package=package) if offline else None,
    )


def read_tail_lines(path: str | Path, max_bytes: int = 1 << 20) -> list[str]:
    """The last `max_bytes` of a file as lines (the first, partial, line dropped if cut)."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        start = max(0, size - max_bytes)
        handle.seek(start)
        data = handle.read()
    lines = data.decode("utf-8", errors="replace").splitlines()
    if start > 0 and lines:
        lines = lines[1:]
    return lines


def summarize_log_file(
    path: str | Path, stamp_dirs: dict[str, str] | None = None, max_bytes: int = 4 << 20
) -> BuildFailure | None:
    return summarize_failure(read_tail_lines(path, max_bytes), stamp_dirs)
