"""Buildroot: locate or obtain the pinned release, build make invocations, load its Kconfig
(docs/behaviour.md#buildroot)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .. import paths, readonly
from ..config.environment import tool_path
from ..errors import BuildrootError
from ..errors import excerpt as safe_excerpt

if TYPE_CHECKING:
    import kconfiglib  # untyped: its objects are Any to mypy

    from .gitprogress import GitProgress

VERSION = "2026.02.3"
COMMIT = "679b9ead7620bbf193620d1ebf56f53c1764d37a"
GIT_URL = "https://gitlab.com/buildroot.org/buildroot.git"
HOST_TOOLS = (
    "make",
    "gcc",
    "g++",
    "patch",
    "perl",
    "tar",
    "gzip",
    "bzip2",
    "cpio",
    "unzip",
    "rsync",
    "bc",
    "wget",
    "file",
    "find",
    "xargs",
    "awk",
    "which",
)
# Make variables Buildroot's Kconfig leaves literal in string defaults; kconfiglib would expand
# them to "" at parse time, so each is set to its own text (docs/behaviour.md#buildroot).
LITERAL_MAKE_VARS = ("TOPDIR", "CONFIG_DIR", "BASE_DIR", "HOME", "ARCH")
BR2_EXTERNAL_INCLUDES = ("paths", "menus", "toolchains", "jpeg", "openssl", "skeleton", "init", "linux")


def is_buildroot_tree(path: Path) -> bool:
    return (path / "Config.in").is_file() and (path / "Makefile").is_file() and (path / "package").is_dir()


def cached_tree(env: dict[str, str]) -> Path:
    return paths.cache_dir(env) / f"buildroot-{VERSION}"


def locate(env: dict[str, str]) -> Path | None:
    """An existing checkout the user named, else the verified cache; None if neither exists yet.

    BUILDROOT_DIR means the workspace inside hooks (SkiffOS's naming), so it only counts when it
    points at a Buildroot source tree; SKIFF_BUILDROOT_SRC is unambiguous and wins.
    """
    for var in ("SKIFF_BUILDROOT_SRC", "BUILDROOT_DIR"):
        value = env.get(var)
        if not value:
            continue
        path = Path(value).expanduser().resolve()
        if is_buildroot_tree(path):
            return path
        if var == "SKIFF_BUILDROOT_SRC":
            raise BuildrootError(
                f"{var} does not point at a Buildroot tree (no Config.in/Makefile/package/)", path=path
            )
    cached = cached_tree(env)
    if is_buildroot_tree(cached):
        return cached
    return None


def obtain(
    env: dict[str, str],
    *,
    log: Callable[[str], None] = print,
    progress: Callable[[GitProgress], None] | None = None,
) -> Path:
    """Clone the pinned release into the cache, verify the commit, then move it into place atomically.

    `progress` gets git's progress (core.builds.gitprogress.GitProgress) as the clone goes; without it,
    `log` gets a line when a phase starts and every 25 % of the download."""
    found = locate(env)
    if found is not None:
        return found
    readonly.guard(f"fetching Buildroot {VERSION}")
    dest = cached_tree(env)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".buildroot-", dir=dest.parent))
    try:
        log(f"skiff: fetching Buildroot {VERSION} into {dest} (once)")
        git = ["git", "-c", "advice.detachedHead=false"]
        url = env.get("SKIFF_BUILDROOT_GIT_URL", GIT_URL)  # a mirror; the commit check still applies
        from . import gitprogress

        code, other = gitprogress.run(
            [*git, "clone", "--progress", "--depth", "1", "--branch", VERSION, url, str(tmp)],
            progress or _progress_to_log(log),
        )
        if code != 0:
            reason = (other or ["no output"])[-1]
            raise BuildrootError(
                f"could not fetch Buildroot {VERSION}: {reason}",
                hint="set SKIFF_BUILDROOT_SRC to an existing Buildroot checkout",
            )
        head = subprocess.run(
            ["git", "-C", str(tmp), "rev-parse", "HEAD"], capture_output=True, text=True
        ).stdout.strip()
        if head != COMMIT:
            raise BuildrootError(f"fetched Buildroot {VERSION} is commit {head}, expected {COMMIT}; refusing it")
        os.replace(tmp, dest)
        return dest
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _progress_to_log(log: Callable[[str], None]) -> Callable[[GitProgress], None]:
    """git's progress as a few log lines: each phase once, the download every 25 %."""
    said: set[tuple[str, int]] = set()

    def report(p: GitProgress) -> None:
        step = p.percent // 25 * 25 if p.phase == "Receiving objects" else (0 if p.percent < 100 else 100)
        if (p.phase, step) not in said:
            said.add((p.phase, step))
            log(f"skiff: fetching Buildroot: {p.line()}")

    return report


def tree_version(tree: Path) -> str | None:
    try:
        text = (tree / "Makefile").read_text(errors="replace")
    except OSError:
        return None
    match = re.search(r"^export BR2_VERSION\s*:=\s*(\S+)", text, re.M)
    return match.group(1) if match else None


def make_env(env: dict[str, str]) -> dict[str, str]:
    out = dict(env)
    out["TERM"] = "dumb"  # otherwise ">>>" lines carry escape codes
    out["PATH"] = tool_path(out.get("PATH", "/usr/bin:/bin"))
    for var in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS"):
        out.pop(var, None)  # a calling make (our Makefile) must not leak its flags into Buildroot's
    return out


def make_argv(
    tree: Path, workspace_dir: Path, externals: list[Path], defconfig: Path, *targets: str, extra: tuple[str, ...] = ()
) -> list[str]:
    return [
        "make",
        "-C",
        str(tree),
        f"O={workspace_dir.resolve()}",
        f"BR2_EXTERNAL={' '.join(str(p.resolve()) for p in externals)}",
        f"BR2_DEFCONFIG={defconfig.resolve()}",
        *extra,
        *targets,
    ]


def run_make(argv: list[str], env: dict[str, str], *, what: str, on_start: Callable[[int], None] | None = None) -> str:
    """Run make to completion in its own process group; `on_start(pid)` runs once it started, so
    the caller can record the pid and a later skiff can end it if this one is killed."""
    from ..procs import describe_exit

    proc = subprocess.Popen(
        argv,
        env=make_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        if on_start is not None:
            on_start(proc.pid)
        output, _ = proc.communicate()
    except BaseException:
        # Interrupted (Ctrl-C, an error recording the pid): take make down with us.
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        proc.wait()
        raise
    if proc.returncode != 0:
        tail = [safe_excerpt(line) for line in output.splitlines() if line.strip()][-3:]
        if proc.returncode < 0:
            raise BuildrootError(f"{what} was {describe_exit(proc.returncode)}: {' | '.join(tail)}")
        raise BuildrootError(f"{what} failed ({describe_exit(proc.returncode)}): {' | '.join(tail)}")
    return output


def missing_host_tools(path: str | None = None) -> list[str]:
    return [tool for tool in HOST_TOOLS if shutil.which(tool, path=path) is None]


def require_host_tools(env: dict[str, str] | None = None) -> None:
    """The check every build runs first (`skiff compile` and the TUI's Start): Buildroot's own
    dependency check comes only after minutes of work."""
    missing = missing_host_tools((env or {}).get("PATH"))
    if missing:
        raise BuildrootError(
            f"host tools missing for a Buildroot build: {', '.join(missing)}",
            hint="install them, e.g. apt-get install " + " ".join(missing),
        )


# --- .config files -------------------------------------------------------------------------------
def read_config(path: Path) -> dict[str, str | None]:
    """SYMBOL -> value text (None for '# X is not set') of a .config or defconfig."""
    values: dict[str, str | None] = {}
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return values
    # Split at \n only, as Kconfig writes it: splitlines() would cut a value at U+2028 and the like.
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.startswith("# ") and line.endswith(" is not set"):
            values[line[2:-11]] = None
        elif "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


# --- kconfiglib ----------------------------------------------------------------------------------
def write_external_includes(base_dir: Path, externals: list[tuple[str, Path]]) -> None:
    """The .br2-external.in.* files Buildroot's Config.in sources (what its br2-external script
    generates), for loading the tree with kconfiglib without running make first."""
    base_dir.mkdir(parents=True, exist_ok=True)
    content = {name: "" for name in BR2_EXTERNAL_INCLUDES}
    content["paths"] = "".join(
        f'config BR2_EXTERNAL_{name}_PATH\n\tstring\n\tdefault "{path}"\n' for name, path in externals
    )
    if externals:
        menus = ['menu "External options"\n']
        for name, path in externals:
            menus.append(f'comment "{name} (in {path})"\n' if len(externals) > 1 else "")
            menus.append(f'source "{path}/Config.in"\n')
        menus.append("endmenu\n")
        content["menus"] = "".join(menus)
    for name, text in content.items():
        target = base_dir / f".br2-external.in.{name}"
        if not target.exists() or target.read_text() != text:
            target.write_text(text)


def host_gcc_version() -> str:
    """What Buildroot's Makefile exports as HOST_GCC_VERSION: the major version ("12"), or
    "major.minor" for gcc <= 4. Config.in reads it to decide BR2_HOST_GCC_AT_LEAST_*."""
    try:
        out = subprocess.run(["gcc", "-dumpfullversion", "-dumpversion"], capture_output=True, text=True).stdout
    except OSError:
        return ""
    parts = out.strip().split(".")
    if not parts[0].isdigit():
        return ""
    return ".".join(parts[:2]) if int(parts[0]) <= 4 else parts[0]


@contextmanager
def _kconfig_environment(tree: Path, base_dir: Path, externals: list[tuple[str, Path]]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(
        {
            "CONFIG_": "",
            "srctree": str(tree),
            "BR2_BASE_DIR": str(base_dir),
            "BR2_VERSION_FULL": tree_version(tree) or VERSION,
            "HOSTARCH": os.uname().machine,
            "BR2_DEFCONFIG": "",
            "HOST_GCC_VERSION": host_gcc_version(),
        }
    )
    for var in LITERAL_MAKE_VARS:
        os.environ[var] = f"$({var})"
    for name, path in externals:
        os.environ[f"BR2_EXTERNAL_{name}_PATH"] = str(path)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextmanager
def gc_paused() -> Iterator[None]:
    """No automatic garbage collection while kconfiglib builds a tree: it allocates about a million
    objects and no garbage, and each full collection would walk every live object of the process
    (in the TUI, with a tree already kept for reuse, this made the parse 2-3x slower)."""
    import gc

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_kconfig(
    tree: Path, base_dir: Path, externals: list[tuple[str, Path]], config: Path | None = None
) -> kconfiglib.Kconfig:
    """kconfiglib.Kconfig for Buildroot's Config.in plus the externals; loads `config` if given.

    Not thread-safe (it touches os.environ); call it from one worker and use the result there.
    """
    import kconfiglib

    from .kconfig_expr import BalancedKconfig

    write_external_includes(base_dir, externals)
    with _kconfig_environment(tree, base_dir, externals):
        # $srctree (set above) anchors Buildroot's relative `source` paths: no chdir needed,
        # so other threads keep their working directory.
        try:
            with gc_paused():
                kconf = BalancedKconfig(str(tree / "Config.in"), warn_to_stderr=False)
            if config is not None and config.exists():
                kconf.load_config(str(config))
        except kconfiglib.KconfigError as exc:
            first = str(exc).strip().splitlines()[0]
            raise BuildrootError(
                f"Buildroot's Kconfig could not be loaded: {first}",
                hint="use 'skiff br menuconfig' (Buildroot's own tool) instead",
            ) from exc
    return kconf


def choice_groups(tree: Path, externals: list[tuple[str, Path]], env: dict[str, str]) -> list[list[str]]:
    """Symbols of each Kconfig choice, cached per tree and externals (a parse costs about a second).

    Needed to tell "BR2_x86_64=y did not stick" (a real problem) from "a later layer picked
    BR2_aarch64 in the same choice" (an ordinary override)."""
    import hashlib
    import json

    key = hashlib.sha256(json.dumps([str(tree), [[n, str(p)] for n, p in externals]]).encode()).hexdigest()[:20]
    cache = paths.cache_dir(env) / "kconfig" / f"choices-{key}.json"
    try:
        saved = json.loads(cache.read_text())
        # valid only while every Kconfig file it was parsed from is unchanged
        if all(os.stat(f).st_mtime_ns == m for f, m in saved["files"].items()):
            groups: list[list[str]] = saved["groups"]
            return groups
    except (OSError, ValueError, KeyError, TypeError):
        pass
    with tempfile.TemporaryDirectory(prefix="skiff-choices-") as tmp:
        kconf = load_kconfig(tree, Path(tmp), externals)
        files = {}
        for name in kconf.kconfig_filenames:
            path = name if os.path.isabs(name) else os.path.join(tree, name)
            try:
                files[path] = os.stat(path).st_mtime_ns
            except OSError:
                pass  # a generated include in the temp dir
    groups = [[str(sym.name) for sym in choice.syms] for choice in kconf.unique_choices]
    from .. import atomic

    atomic.write_text(cache, json.dumps({"groups": groups, "files": files}), within=None, fsync=False)
    return groups
