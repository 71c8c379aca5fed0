"""configure: selection -> chain -> stack -> merged files in the final-config dir -> Buildroot .config.

Every input is read and merged before anything is written, so bad input writes nothing. The
whole step is skipped when the digest of every input file is unchanged (SPEC §3, differs from
SkiffOS, which only notices a changed chain or version).
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from . import atomic, buildroot, paths
from .environment import env_file, skiff_env
from .errors import WorkspaceError
from .fragments import Assignment, Origin, quote
from .layers import FRAGMENT_KINDS, Layer, MergedConfig, build_stack, input_files, merge, output_files
from .packages import PackageIndex, discover, extra_roots
from .resolve import Chain, parse_selection, resolve
from .workspace import Workspace

DIGEST_ENV = ("BR2_DL_DIR", "BR2_CCACHE_DIR", "SKIFF_EXTRA_CONFIGS_PATH", "SKIFF_CACHE_DIR", "XDG_CACHE_HOME")


@dataclass
class Plan:
    selection: list[str]
    index: PackageIndex
    chain: Chain
    stack: list[Layer]
    merged: MergedConfig
    digest: str
    buildroot_src: Path | None


@dataclass
class ConfigureResult:
    plan: Plan
    skipped: bool = False          # nothing changed since the last configure
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
        return [(kind, final, earlier) for kind in FRAGMENT_KINDS
                for final, earlier in self.merged.fragments[kind].overridden()]


def with_saved_paths(workspace: Workspace, env: dict[str, str]) -> dict[str, str]:
    """env, plus the workspace's saved SKIFF_EXTRA_CONFIGS_PATH when the variable is unset, so
    `compile` (and show, cmd, the TUI) resume with the package roots configure used (SPEC §3)."""
    if env.get("SKIFF_EXTRA_CONFIGS_PATH"):
        return env
    try:
        state = workspace.load_state() or {}
    except WorkspaceError:
        return env
    roots = state.get("extra_configs_path") or []
    return dict(env, SKIFF_EXTRA_CONFIGS_PATH=":".join(roots)) if roots else env


def saved_selection(workspace: Workspace) -> list[str] | None:
    state = workspace.load_state()
    return list(state["selection"]) if state and state.get("selection") else None


def save_selection(workspace: Workspace, selection: list[str] | str) -> list[str]:
    """Store the user's selection without running Kconfig (the TUI's stack editor). The digest
    covers the selection, so the next compile reconfigures."""
    names = parse_selection(selection) if isinstance(selection, str) else parse_selection(",".join(selection))
    with workspace.lock("skiff: save selection"):
        state = workspace.load_state() or {}
        state["selection"] = names
        workspace.save_state(state)
    return names


def selection_for(workspace: Workspace, env: dict[str, str], selection: list[str] | str | None = None) -> list[str]:
    """Explicit selection, else SKIFF_CONFIG, else the workspace's saved chain (compile resumes)."""
    if isinstance(selection, str):
        selection = parse_selection(selection)
    if not selection:
        selection = parse_selection(env.get("SKIFF_CONFIG", ""))
    if not selection:
        selection = saved_selection(workspace) or []
    if not selection:
        raise WorkspaceError(f"no configuration selected for workspace {workspace.name!r}",
                             hint="set SKIFF_CONFIG, e.g. SKIFF_CONFIG=pi/4,skiff/core make configure")
    return selection


def _digest(selection: list[str], chain: Chain, stack: list[Layer], env: dict[str, str],
            buildroot_src: Path | None) -> str:
    h = hashlib.sha256()
    h.update(json.dumps({"version": __version__, "selection": selection, "chain": chain.names,
                         "layers": [[l.name, str(l.path)] for l in stack],
                         "env": {k: env.get(k, "") for k in DIGEST_ENV},
                         "buildroot": str(buildroot_src or "")}).encode())
    # The code that generates the final-config files is an input too: a new skiff rewrites them.
    for module in ("configure", "layers", "environment", "fragments"):
        st = (Path(__file__).parent / f"{module}.py").stat()
        h.update(f"\0{module}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    for path in input_files(stack):
        try:
            st = path.lstat()
        except FileNotFoundError:
            continue
        h.update(f"\0{path}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_mode}".encode())
    return h.hexdigest()


def plan(root: Path, env: dict[str, str], workspace: Workspace, selection=None, *,
         index: PackageIndex | None = None) -> Plan:
    """Everything configure would write, computed without writing anything."""
    selection = selection_for(workspace, env, selection)
    if index is None:
        index = discover(paths.configs_dir(root), env)
    chain = resolve(index, selection)
    stack = build_stack(root, index, chain, workspace)
    merged = merge(stack, workspace.final_dir)
    src = buildroot.locate(env)
    _add_host_settings(merged, env)
    return Plan(selection, index, chain, stack, merged, _digest(selection, chain, stack, env, src), src)


def _add_host_settings(merged: MergedConfig, env: dict[str, str]) -> None:
    """Download and ccache dirs: the environment wins, then a layer's value, then a shared cache."""
    br = merged.buildroot
    if env.get("BR2_DL_DIR"):
        br.set("BR2_DL_DIR", quote(env["BR2_DL_DIR"]), Origin("skiff: $BR2_DL_DIR", None, None))
    elif br.final("BR2_DL_DIR") is None:
        br.set("BR2_DL_DIR", quote(str(paths.cache_dir(env) / "dl")), Origin("skiff: shared download cache", None, None))
    if env.get("BR2_CCACHE_DIR"):
        br.set("BR2_CCACHE_DIR", quote(env["BR2_CCACHE_DIR"]), Origin("skiff: $BR2_CCACHE_DIR", None, None))


def is_up_to_date(p: Plan, workspace: Workspace) -> bool:
    state = workspace.load_state()
    return bool(state and state.get("digest") == p.digest and (workspace.dir / ".config").exists())


def command_env(root: Path, env: dict[str, str], workspace: Workspace, p: Plan) -> dict[str, str]:
    return skiff_env(root, workspace, p.chain.names, [pkg.path for pkg in p.chain.packages],
                     p.buildroot_src, p.selection, base=env)


def defconfig_path(workspace: Workspace) -> Path:
    """BR2_DEFCONFIG for every make call: inside the workspace, so savedefconfig never writes
    into the Buildroot tree or over the merged fragment."""
    return workspace.final_dir / "buildroot" / "defconfig"


def make_argv(p: Plan, workspace: Workspace, *targets: str) -> list[str]:
    if p.buildroot_src is None:
        raise buildroot.BuildrootError("no Buildroot tree to run make in",
                                       hint="set SKIFF_BUILDROOT_SRC, or run 'skiff configure' to fetch the pinned release")
    return buildroot.make_argv(p.buildroot_src, workspace.dir, [e.path for e in p.merged.externals],
                               defconfig_path(workspace), *targets)


def not_stuck(p: Plan, config: dict[str, str | None], choices: list[list[str]] | None = None,
              ) -> list[tuple[Assignment, str | None]]:
    """Requested values that Kconfig resolution changed (e.g. y requested, n because of a dependency).

    A `y` for one member of a choice that a layer overrode by picking another member (the base
    layer's default architecture, say) is an override, not a failure: `choices` lists the groups.
    """
    out = []
    missing = object()
    requested = p.merged.buildroot.values()
    member_of = {sym: group for group in choices or [] for sym in group}
    for symbol, history in p.merged.buildroot.history.items():
        final = history[-1]
        got = config.get(symbol, missing)
        if final.value is None:
            if got not in (None, missing, "n"):
                out.append((final, got))
        elif got is missing or got != final.value:
            group = member_of.get(symbol)
            if final.value == "y" and group and any(
                    other != symbol and requested.get(other) == "y" and config.get(other) == "y" for other in group):
                continue
            out.append((final, None if got is missing else got))
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
                notes.append(f"{loser}=y ({requested.final(loser).origin}) is replaced by {winners[0]}=y "
                             f"({requested.final(winners[0]).origin}) in the same choice")
    return notes


def configure(root: Path, env: dict[str, str], workspace: Workspace, selection=None, *,
              index: PackageIndex | None = None, force: bool = False, locked: bool = False,
              log=lambda msg: None, progress=None) -> ConfigureResult:
    p = plan(root, env, workspace, selection, index=index)
    if not force and is_up_to_date(p, workspace):
        return ConfigureResult(plan=p, skipped=True)
    if p.buildroot_src is None:
        p.buildroot_src = buildroot.obtain(env, log=log, progress=progress)
        p.digest = _digest(p.selection, p.chain, p.stack, env, p.buildroot_src)
    lock = None if locked else workspace.lock().acquire()
    try:
        return _write_and_run(root, env, workspace, p, log)
    finally:
        if lock:
            lock.release()


def _write_and_run(root: Path, env: dict[str, str], workspace: Workspace, p: Plan, log) -> ConfigureResult:
    result = ConfigureResult(plan=p, notes=list(p.chain.notes) + list(p.merged.notes))
    workspace.dir.mkdir(parents=True, exist_ok=True)
    output = workspace.dir / "output"
    if not output.exists() and not output.is_symlink():
        output.symlink_to(".")  # SkiffOS packages reach build output through workspaces/<ws>/output/
    previous = workspace.load_state() or {}
    outputs = output_files(p.merged)
    for path, (text, mode) in outputs.items():
        atomic.write_if_changed(path, text, mode=mode)
    for stale in ("pre_build.sh", "post_image.sh", "users"):
        path = workspace.final_dir / stale
        if path not in outputs and path.exists():
            path.unlink()
    cmd_env = command_env(root, env, workspace, p)
    atomic.write_if_changed(p.merged.env_path, env_file(cmd_env))
    merged_br = workspace.final_dir / "buildroot" / "config"
    defconfig_text = merged_br.read_text()
    kdigest = _kconfig_digest(defconfig_text, p)
    if previous.get("kconfig_digest") != kdigest or not (workspace.dir / ".config").exists():
        atomic.write_text(defconfig_path(workspace), defconfig_text)
        log(f"skiff: running Buildroot defconfig in {workspace.dir}")
        buildroot.run_make(make_argv(p, workspace, "defconfig"), cmd_env, what="Buildroot defconfig")
        result.kconfig_ran = True
    config = buildroot.read_config(workspace.dir / ".config")
    result.not_stuck = not_stuck(p, config)
    if any(a.value == "y" for a, _ in result.not_stuck):
        # Some y did not stick: learn Buildroot's choices (cached) to tell overrides from failures.
        choices = buildroot.choice_groups(p.buildroot_src, [(e.name, e.path) for e in p.merged.externals], env)
        result.not_stuck = not_stuck(p, config, choices)
        result.notes += choice_overrides(p, config, choices)
    _drop_gcc_stamps_if_cflags_changed(workspace, previous, p)
    workspace.save_state({
        "selection": p.selection, "chain": p.chain.names,
        "extra_configs_path": [str(r) for r in extra_roots(env)],
        "digest": p.digest, "kconfig_digest": kdigest, "configured_at": time.time(),
        "buildroot": str(p.buildroot_src), "version": __version__,
        "cflags": p.merged.buildroot.value("BR2_TARGET_OPTIMIZATION"),
        "buildtarget": build_target(p, env),
    })
    return result


def _kconfig_digest(defconfig_text: str, p: Plan) -> str:
    h = hashlib.sha256(defconfig_text.encode())
    h.update(str(p.buildroot_src).encode())
    for ext in p.merged.externals:
        h.update(f"\0{ext.path}".encode())
    return h.hexdigest()


def _drop_gcc_stamps_if_cflags_changed(workspace: Workspace, previous: dict, p: Plan) -> None:
    """Changed target cflags need the cross gcc reconfigured; Buildroot's stamps would skip it."""
    if "cflags" in previous and previous["cflags"] != p.merged.buildroot.value("BR2_TARGET_OPTIMIZATION"):
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
