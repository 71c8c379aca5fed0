"""configure: selection -> chain -> stack -> merged files in the final-config dir -> Buildroot .config.

Every input is read and merged before anything is written, so bad input writes nothing. The
whole step is skipped when the digest of every input file is unchanged (docs/behaviour.md#resolution; differs from
SkiffOS, which only notices a changed chain or version).
"""

from __future__ import annotations

import dataclasses
import glob
import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ... import __version__
from .. import atomic, paths, readonly, safepath
from ..config.base import Base, choose_base
from ..config.environment import env_file, skiff_env, version_commit
from ..config.fragments import Assignment, Origin, quote
from ..config.layers import (
    FRAGMENT_KINDS,
    Layer,
    MergedConfig,
    build_stack,
    fill_placeholders,
    fragment_owner,
    input_files,
    merge,
    output_files,
)
from ..errors import BuildrootError, WorkspaceError
from ..library.packages import PackageIndex, extra_roots
from ..library.resolve import Chain, parse_selection, resolve
from ..procs import pid_alive, proc_start_time, stop_group
from ..workspace import Workspace
from ..workspace_state import ABSENT, ConfigureMarker, RunningMake, WorkspaceState
from . import buildroot

if TYPE_CHECKING:
    from ..session import Session
    from .gitprogress import GitProgress

# A selection as callers give it: names, one comma-separated string, or None (SKIFF_CONFIG, else
# the workspace's saved chain).
Selection = list[str] | str | None
DIGEST_ENV = (
    "BR2_DL_DIR",
    "BR2_CCACHE_DIR",
    "SKIFF_EXTRA_CONFIGS_PATH",
    "SKIFF_CACHE_DIR",
    "XDG_CACHE_HOME",
    "SKIFF_BASE",
    "SKIFF_VERSION_COMMIT",
)


@dataclass
class Plan:
    selection: list[str]
    index: PackageIndex
    chain: Chain
    stack: list[Layer]
    merged: MergedConfig
    digest: str
    buildroot_src: Path | None
    base: Base | None = None


@dataclass
class ConfigureResult:
    plan: Plan
    skipped: bool = False  # nothing changed since the last configure
    kconfig_ran: bool = False
    not_stuck: list[tuple[Assignment, str | None]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def chain(self) -> Chain:
        return self.plan.chain

    @property
    def merged(self) -> MergedConfig:
        return self.plan.merged

    @property
    def overridden(self) -> list[tuple[str, Assignment, list[Assignment]]]:
        return [
            (kind, final, earlier)
            for kind in FRAGMENT_KINDS
            for final, earlier in self.merged.fragments[kind].overridden()
        ]


def saved_selection(workspace: Workspace) -> list[str] | None:
    state = workspace.load_state()
    return list(state.selection) if state and state.selection else None


@readonly.mutating("saving the selection")
def save_selection(workspace: Workspace, selection: list[str] | str) -> list[str]:
    """Store the user's selection without running Kconfig (the TUI's stack editor). The digest
    covers the selection, so the next compile reconfigures."""
    names = parse_selection(selection) if isinstance(selection, str) else parse_selection(",".join(selection))
    with workspace.lock("skiff: save selection"):
        state = workspace.load_state() or WorkspaceState()
        state.selection = names
        workspace.save_state(state)
    return names


def selection_for(workspace: Workspace, env: dict[str, str], selection: Selection = None) -> list[str]:
    """Explicit selection, else SKIFF_CONFIG, else the workspace's saved chain (compile resumes)."""
    if isinstance(selection, str):
        selection = parse_selection(selection)
    if not selection:
        selection = parse_selection(env.get("SKIFF_CONFIG", ""))
    if not selection:
        selection = saved_selection(workspace) or []
    if not selection:
        raise WorkspaceError(
            f"no configuration selected for workspace {workspace.name!r}",
            hint="set SKIFF_CONFIG, e.g. SKIFF_CONFIG=pi/4,skiff/core make configure",
        )
    return selection


# The modules that write the final-config files, relative to skiff_tui/core: their own digest
# is part of configure's inputs.
GENERATORS = {
    "configure": "builds/configure.py",
    "layers": "config/layers.py",
    "environment": "config/environment.py",
    "fragments": "config/fragments.py",
}


def _digest(
    selection: list[str], chain: Chain, stack: list[Layer], env: dict[str, str], buildroot_src: Path | None
) -> str:
    h = hashlib.sha256()
    h.update(
        json.dumps(
            {
                "version": __version__,
                "selection": selection,
                "chain": chain.names,
                "layers": [[layer.name, str(layer.path)] for layer in stack],
                "env": {k: env.get(k, "") for k in DIGEST_ENV},
                "buildroot": str(buildroot_src or ""),
            }
        ).encode()
    )
    # The code that generates the final-config files is an input too: a new skiff rewrites them.
    core = Path(__file__).resolve().parents[1]
    for module, source in GENERATORS.items():
        st = (core / source).stat()
        h.update(f"\0{module}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    for path in input_files(stack):
        try:
            st = path.lstat()
        except FileNotFoundError:
            continue
        h.update(f"\0{path}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_mode}".encode())
    return h.hexdigest()


def plan(session: Session, selection: Selection = None) -> Plan:
    """Everything configure would write, computed without writing anything."""
    root, env, workspace = session.root, session.env, session.workspace
    index = session.index  # first, as a verb reports the packages' warnings before anything else
    selection = selection_for(workspace, env, selection)
    chain = resolve(index, selection)
    base = choose_base(root, env)
    stack = build_stack(root, index, chain, workspace, base)
    merged = merge(stack, workspace.final_dir)
    if base.why:
        merged.notes.insert(0, base.why)
    fill_placeholders(merged, __version__, version_commit(env))
    if merged.buildroot.final("BR2_DEFCONFIG") is not None:
        # SkiffOS's base names its own defconfig place; every make call here passes ours.
        merged.buildroot.set(
            "BR2_DEFCONFIG",
            quote(str(defconfig_path(workspace))),
            Origin("skiff: BR2_DEFCONFIG of every make call", None, None),
        )
    src = buildroot.locate(env)
    _add_host_settings(merged, env)
    return Plan(selection, index, chain, stack, merged, _digest(selection, chain, stack, env, src), src, base)


def _add_host_settings(merged: MergedConfig, env: dict[str, str]) -> None:
    """Download and ccache dirs: the environment wins, then a layer's value, then a shared cache."""
    br = merged.buildroot
    if env.get("BR2_DL_DIR"):
        br.set("BR2_DL_DIR", quote(env["BR2_DL_DIR"]), Origin("skiff: $BR2_DL_DIR", None, None))
    elif br.final("BR2_DL_DIR") is None:
        br.set(
            "BR2_DL_DIR", quote(str(paths.cache_dir(env) / "dl")), Origin("skiff: shared download cache", None, None)
        )
    if env.get("BR2_CCACHE_DIR"):
        br.set("BR2_CCACHE_DIR", quote(env["BR2_CCACHE_DIR"]), Origin("skiff: $BR2_CCACHE_DIR", None, None))


def is_up_to_date(p: Plan, workspace: Workspace) -> bool:
    """True only when the saved state describes what is on disk: the inputs' digest matches, no
    configure was interrupted (its marker is still there), and the files configure produced
    (.config, env.sh, the merged fragments) are the ones it recorded."""
    state = workspace.load_state()
    return bool(
        state
        and state.configuring is None
        and state.digest == p.digest
        and (workspace.dir / ".config").exists()
        and state.outputs == outputs_digest(workspace, p.merged)
    )


def outputs_digest(workspace: Workspace, merged: MergedConfig) -> str:
    """sha256 over the files a build reads that configure wrote (absent files count as absent)."""
    h = hashlib.sha256()
    for path in [workspace.dir / ".config", merged.env_path, *sorted(output_files(merged))]:
        try:
            data = Path(path).read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            data = None
        h.update(f"\0{path}\0".encode() + (b"-" if data is None else hashlib.sha256(data).digest()))
    return h.hexdigest()


def command_env(session: Session, p: Plan) -> dict[str, str]:
    """The environment hooks, package commands and make get: the session's plus skiff's variables."""
    env = session.env
    return skiff_env(
        session.root,
        session.workspace,
        p.chain.names,
        [pkg.path for pkg in p.chain.packages],
        p.buildroot_src,
        p.selection,
        base=env,
        index=p.index,
        chain=p.chain.packages,
        base_layers=p.base,
        build_target=build_target(p, env),
    )


def defconfig_path(workspace: Workspace) -> Path:
    """BR2_DEFCONFIG for every make call: inside the workspace, so savedefconfig never writes
    into the Buildroot tree or over the merged fragment."""
    return workspace.final_dir / "buildroot" / "defconfig"


def make_argv(p: Plan, workspace: Workspace, *targets: str) -> list[str]:
    if p.buildroot_src is None:
        raise BuildrootError(
            "no Buildroot tree to run make in",
            hint="set SKIFF_BUILDROOT_SRC, or run 'skiff configure' to fetch the pinned release",
        )
    return buildroot.make_argv(
        p.buildroot_src, workspace.dir, [e.path for e in p.merged.externals], defconfig_path(workspace), *targets
    )


def not_stuck(
    p: Plan,
    config: dict[str, str | None],
    choices: list[list[str]] | None = None,
) -> list[tuple[Assignment, str | None]]:
    """Requested values that Kconfig resolution changed (e.g. y requested, n because of a dependency).

    A `y` for one member of a choice that a layer overrode by picking another member (the base
    layer's default architecture, say) is an override, not a failure: `choices` lists the groups.
    So is a fragment-files symbol whose package is off (no kernel, no kernel fragment).
    """
    out: list[tuple[Assignment, str | None]] = []
    requested = p.merged.buildroot.values()
    member_of = {sym: group for group in choices or [] for sym in group}
    for symbol, history in p.merged.buildroot.history.items():
        final = history[-1]
        known = symbol in config  # a symbol Kconfig did not write is missing, not "n"
        got = config.get(symbol)
        owner = fragment_owner(symbol)
        if owner and config.get(owner) != "y":
            continue
        if final.value is None:
            if got not in (None, "n"):
                out.append((final, got))
        elif not known or got != final.value:
            group = member_of.get(symbol)
            if (
                final.value == "y"
                and group
                and any(other != symbol and requested.get(other) == "y" and config.get(other) == "y" for other in group)
            ):
                continue
            out.append((final, got))
    return out


def choice_overrides(p: Plan, config: dict[str, str | None], choices: list[list[str]]) -> list[str]:
    """Notes for choice members requested y that another requested member replaced."""
    requested = p.merged.buildroot
    notes = []
    for group in choices:
        chosen = [s for s in group if requested.value(s) == "y"]
        winners = [s for s in chosen if config.get(s) == "y"]
        for loser in chosen:
            if winners and loser not in winners:
                notes.append(
                    f"{loser}=y ({_origin(requested.final(loser))}) is replaced by {winners[0]}=y "
                    f"({_origin(requested.final(winners[0]))}) in the same choice"
                )
    return notes


def _origin(assignment: Assignment | None) -> Origin | None:
    """Who set a value that has one (a choice member requested y always does)."""
    return assignment.origin if assignment is not None else None


def stick_report(
    p: Plan,
    config: dict[str, str | None],
    env: dict[str, str],
) -> tuple[list[tuple[Assignment, str | None]], list[str]]:
    """The values of p that did not stick in config (a .config Kconfig wrote), and notes on choice
    members another layer replaced: the one verdict the configure report, `skiff show` and the
    Values screen all give."""
    stuck = not_stuck(p, config)
    if not any(a.value == "y" for a, _ in stuck) or p.buildroot_src is None:
        return stuck, []
    # Some y did not stick: learn Buildroot's choices (cached) to tell overrides from failures.
    choices = buildroot.choice_groups(p.buildroot_src, [(e.name, e.path) for e in p.merged.externals], env)
    return not_stuck(p, config, choices), choice_overrides(p, config, choices)


@readonly.mutating("configuring the workspace")
def configure(
    session: Session,
    selection: Selection = None,
    *,
    force: bool = False,
    locked: bool = False,
    log: Callable[[str], None] = lambda msg: None,
    progress: Callable[[GitProgress], None] | None = None,
) -> ConfigureResult:
    env, workspace = session.env, session.workspace
    p = plan(session, selection)
    # Even when nothing else is to do: a killed save's temp file must not reach the next build.
    _clean_stale_temps(session.root, workspace, p)
    if not force and is_up_to_date(p, workspace):
        return ConfigureResult(plan=p, skipped=True)
    if p.buildroot_src is None:
        p.buildroot_src = buildroot.obtain(env, log=log, progress=progress)
        p.digest = _digest(p.selection, p.chain, p.stack, env, p.buildroot_src)
    lock = None if locked else workspace.lock().acquire()
    try:
        return _write_and_run(session, p, log)
    finally:
        if lock:
            lock.release()


def _write_and_run(session: Session, p: Plan, log: Callable[[str], None]) -> ConfigureResult:
    root, env, workspace = session.root, session.env, session.workspace
    result = ConfigureResult(plan=p, notes=list(p.chain.notes) + list(p.merged.notes))
    workspace.dir.mkdir(parents=True, exist_ok=True)
    output = workspace.dir / "output"
    if not output.exists() and not output.is_symlink():
        output.symlink_to(".")  # SkiffOS packages reach build output through workspaces/<ws>/output/
    _drop_stray_self_link(workspace)
    previous = workspace.load_state() or WorkspaceState()
    result.notes += end_orphans(workspace, previous)
    interrupted = previous.configuring
    # Before touching anything: the state says "being configured"; only the final save clears it.
    running = ConfigureMarker(list(p.selection), os.getpid(), time.time())
    marker = dataclasses.replace(previous, digest=None, kconfig_digest=None, outputs=None, configuring=running)
    workspace.save_state(marker)
    if interrupted:
        result.notes.append(
            f"the previous configure ({','.join(interrupted.selection) or '?'}) was interrupted; everything is redone"
        )
    tree = paths.workspaces_dir(root)
    outputs = output_files(p.merged)
    for path, (text, mode) in outputs.items():
        atomic.write_if_changed(path, text, within=tree, mode=mode)
    for stale in ("pre_build.sh", "post_image.sh", "users"):
        path = workspace.final_dir / stale
        if path not in outputs and (path.exists() or path.is_symlink()):
            safepath.within(path, tree).unlink()
    cmd_env = command_env(session, p)
    atomic.write_if_changed(p.merged.env_path, env_file(cmd_env), within=tree)
    defconfig_text = p.merged.buildroot.render()
    kdigest = _kconfig_digest(defconfig_text, p)
    if (
        interrupted
        or previous.kconfig_digest != kdigest
        or not (workspace.dir / ".config").exists()
        or previous.outputs != outputs_digest(workspace, p.merged)
    ):
        atomic.write_text(defconfig_path(workspace), defconfig_text, within=tree)
        log(f"skiff: running Buildroot defconfig in {workspace.dir}")

        def remember_make(pid: int) -> None:
            running.make = RunningMake(pid, proc_start_time(pid))
            workspace.save_state(marker)

        buildroot.run_make(
            make_argv(p, workspace, "defconfig"), cmd_env, what="Buildroot defconfig", on_start=remember_make
        )
        result.kconfig_ran = True
    config = buildroot.read_config(workspace.dir / ".config")
    result.not_stuck, overrides = stick_report(p, config, env)
    result.notes += overrides
    _drop_gcc_stamps_if_cflags_changed(workspace, previous, p)
    workspace.save_state(
        WorkspaceState(
            selection=list(p.selection),
            chain=list(p.chain.names),
            extra_configs_path=[str(r) for r in extra_roots(env)],
            base_setting=env.get("SKIFF_BASE", ""),
            digest=p.digest,
            kconfig_digest=kdigest,
            configured_at=time.time(),
            buildroot=str(p.buildroot_src),
            version=__version__,
            cflags=p.merged.buildroot.value("BR2_TARGET_OPTIMIZATION"),
            buildtarget=build_target(p, env),
            outputs=outputs_digest(workspace, p.merged),
        )
    )
    return result


def _clean_stale_temps(root: Path, workspace: Workspace, p: Plan) -> None:
    """Temp files of writers that were killed: in the trees' top directories (where atomic puts
    them) and, left by older versions, inside override layers' root_overlay/ (copied into the image)."""
    atomic.clean_stale_temps(paths.workspaces_dir(root))
    atomic.clean_stale_temps(paths.overrides_dir(root))
    for layer in p.stack:
        if layer.kind == "override" and (layer.path / "root_overlay").is_dir():
            atomic.clean_stale_temps(layer.path / "root_overlay", recursive=True)


def end_orphans(workspace: Workspace, previous: WorkspaceState) -> list[str]:
    """make processes a killed skiff left running in this workspace (a configure's defconfig, a
    build's make group) would keep writing beside the new run: end them first (the caller holds
    the lock, so no live skiff owns them). Returns notes for the report."""
    from .build import end_orphaned_builds

    notes = []
    make = previous.configuring.make if previous.configuring is not None else None
    if make is not None and make.pid and make.start and pid_alive(make.pid, make.start):
        stop_group(make.pid)
        notes.append(f"ended make (pid {make.pid}) left running by an interrupted configure")
    for pid in end_orphaned_builds(workspace):
        notes.append(f"ended make (pid {pid}) left running by an interrupted build")
    return notes


def _drop_stray_self_link(workspace: Workspace) -> None:
    """workspaces/<ws>/<ws> linking back to the workspace is what `ln -f -s <ws> <ws>/output` leaves
    once output/ already exists (SkiffOS's workspace setup does that on every run): remove it, and
    nothing else of that name."""
    stray = workspace.dir / workspace.name
    try:
        if stray.is_symlink() and stray.resolve() == workspace.dir.resolve():
            stray.unlink()
    except OSError:
        pass


def _kconfig_digest(defconfig_text: str, p: Plan) -> str:
    h = hashlib.sha256(defconfig_text.encode())
    h.update(str(p.buildroot_src).encode())
    for ext in p.merged.externals:
        h.update(f"\0{ext.path}".encode())
    return h.hexdigest()


def _drop_gcc_stamps_if_cflags_changed(workspace: Workspace, previous: WorkspaceState, p: Plan) -> None:
    """Changed target cflags need the cross gcc reconfigured; Buildroot's stamps would skip it."""
    if previous.cflags is not ABSENT and previous.cflags != p.merged.buildroot.value("BR2_TARGET_OPTIMIZATION"):
        for stamp in glob.glob(str(workspace.dir / "build" / "*gcc-*-*" / ".stamp_*")):
            if Path(stamp).name in (".stamp_built", ".stamp_configured", ".stamp_host_installed", ".stamp_installed"):
                os.unlink(stamp)


def build_target(p: Plan, env: dict[str, str]) -> str | None:
    """SKIFF_BUILD_TARGET_OVERRIDE, else the last package in the chain that names one."""
    if env.get("SKIFF_BUILD_TARGET_OVERRIDE"):
        return env["SKIFF_BUILD_TARGET_OVERRIDE"]
    for pkg in reversed(p.chain.packages):
        if pkg.buildtarget:
            return pkg.buildtarget
    return None
