"""The environment hooks and package commands receive (docs/behaviour.md#workspaces), as a dict and as env.sh.

Names and meanings follow SkiffOS's, so its packages' scripts find what they expect; the table
is in docs/from-skiffos.md ("Variables hooks and commands see").
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from ... import __version__
from .. import paths
from ..library.packages import ENV_PREFIX, Package, PackageIndex, env_var_for
from ..workspace import Workspace
from .base import Base

NAME_PREFIX = "SKIFF_CONFIG_NAME_"
# SkiffOS exports these fixed names of its metadata layout; scripts may build paths from them.
METADATA_NAMES = {
    "SKIFF_CONFIG_METADATA_SUBDIR": "metadata",
    "SKIFF_CONFIG_METADATA_DESCRIPTION": "description",
    "SKIFF_CONFIG_METADATA_NOLIST": "unlisted",
    "SKIFF_CONFIG_METADATA_UNIQUEGROUP": "uniquegroup",
}


def tool_path(base_path: str) -> str:
    """PATH with this interpreter's bin dir first, so `skiff` and a python3 with our deps are found."""
    bindir = str(Path(sys.executable).parent)
    parts = [p for p in base_path.split(os.pathsep) if p and p != bindir]
    return os.pathsep.join([bindir, *parts])


def version_commit(env: dict[str, str]) -> str:
    """SKIFF_VERSION_COMMIT: the caller's value, else skiff's version (it has no git commit of its own)."""
    return env.get("SKIFF_VERSION_COMMIT") or __version__


def full_name(name: str) -> str:
    """pi/common -> PI_COMMON, the suffix SkiffOS builds its per-package variable names from."""
    return name.upper().replace("/", "_")


def command_variables(pkg: Package) -> dict[str, str]:
    """SKIFF_<PKG>_COMMAND_LIST / _PATHS / _COMMAND_<CMD>_DESCRIP for a chain package with commands
    (only one with extensions/, as SkiffOS registers them)."""
    if not pkg.commands or not pkg.has_extensions:
        return {}
    full = full_name(pkg.name)
    out = {
        f"SKIFF_{full}_COMMAND_LIST": " ".join(c.name for c in pkg.commands),
        f"SKIFF_{full}_COMMAND_PATHS": " ".join(f"{pkg.path}/extensions/" for _ in pkg.commands),
    }
    for cmd in pkg.commands:
        out[f"SKIFF_{full}_COMMAND_{cmd.name.upper().replace('-', '_')}_DESCRIP"] = cmd.description
    return out


def skiff_env(
    root: Path,
    workspace: Workspace,
    chain_names: list[str],
    chain_paths: list[Path],
    buildroot_src: Path | None,
    selection: list[str],
    base: dict[str, str] | None = None,
    *,
    index: PackageIndex | None = None,
    chain: list[Package] | None = None,
    base_layers: Base | None = None,
    build_target: str | None = None,
) -> dict[str, str]:
    """The variables hooks and extension commands get; merged over `base` (the caller's env).

    `index` adds SKIFF_CONFIG_PATH_*/SKIFF_CONFIG_NAME_* for every known package (SkiffOS sets
    them for all packages, not only the chain), `chain` the command variables, `base_layers`
    (a core.config.base.Base) the base directory, `build_target` SKIFF_BUILD_TARGET_OVERRIDE.
    """
    env = dict(os.environ if base is None else base)
    ws_dir = str(workspace.dir)
    base_dir = paths.base_configs_dir(root) / "base" if base_layers is None else base_layers.dir
    env.update(
        {
            "SKIFF_ROOT_DIR": str(root),
            "ROOT_DIR": str(root),
            "SKIFF_WORKSPACE": workspace.name,
            "SKIFF_WORKSPACE_DIR": ws_dir,
            "SKIFF_WORKSPACES_DIR": str(paths.workspaces_dir(root)),
            "WORKSPACE_DIR": ws_dir,
            # SkiffOS names the output dir both ways; its packages' scripts rely on either.
            "BUILDROOT_DIR": ws_dir,
            "SKIFF_BUILDROOT_DIR": ws_dir,
            "SKIFF_FINAL_CONFIG_DIR": str(workspace.final_dir),
            "SKIFF_WS_OVERRIDES_DIR": str(workspace.overrides_dir),
            "SKIFF_OVERRIDES_DIR": str(paths.overrides_dir(root)),
            "SKIFF_CONFIGS_DIR": str(paths.base_configs_dir(root)),  # where the base layer (and its scripts) live
            "SKIFF_BASE_CONFIGS_DIR": str(base_dir),
            # SkiffOS: SKIFF_CONFIG is the resolved chain after configure, SKIFF_CONFIGS the same
            # space-separated; SKIFF_SELECTION keeps what the user typed.
            "SKIFF_CONFIG": ",".join(chain_names) if chain_names else ",".join(selection),
            "SKIFF_CONFIGS": " ".join(chain_names),
            "SKIFF_SELECTION": ",".join(selection),
            "SKIFF_CHAIN": ",".join(chain_names),
            "SKIFF_CONFIG_PATH": " ".join(str(p) for p in chain_paths),
            "SKIFF_CONFIG_FULL": " ".join(full_name(n) for n in chain_names),
            "SKIFF_CONFIG_PATH_VAR": " ".join(env_var_for(n) for n in chain_names),
            "SKIFF_PACKAGE_ENV_PREFIX": ENV_PREFIX,
            "SKIFF_PACKAGE_NAME_ENV_PREFIX": NAME_PREFIX,
            "SKIFF_FILTER_ENVS": f"grep ^{ENV_PREFIX}[[:alnum:]]*_.*=",
            "SKIFF_HAS_ENUMERATED_CONFIGS": "yes",
            "SKIFF_BUILD_TARGET_OVERRIDE": build_target or "",
            "SKIFF_VERSION": __version__,
            "SKIFF_VERSION_COMMIT": version_commit(env),
            **METADATA_NAMES,
            # The workspace's host tools first (docs/behaviour.md#workspaces), then our interpreter's
            # bin dir (skiff itself).
            "PATH": f"{ws_dir}/host/bin{os.pathsep}{tool_path(env.get('PATH', '/usr/bin:/bin'))}",
        }
    )
    if base_layers is not None and base_layers.tree is not None:
        env["SKIFF_RESOURCES_DIR"] = str(base_layers.tree / "resources")
    if buildroot_src is not None:
        env["SKIFF_BUILDROOT_SRC"] = str(buildroot_src)  # the Buildroot source tree itself
        env["BUILDROOT_DEFAULT_DIR"] = str(buildroot_src)  # SkiffOS's name: the tree workspaces come from
    if index is not None:
        for name, pkg in index.packages.items():
            env[env_var_for(name)] = str(pkg.path)
            env[NAME_PREFIX + full_name(name)] = name
    for name, path in zip(chain_names, chain_paths, strict=True):
        env[env_var_for(name)] = str(path)
        env[NAME_PREFIX + full_name(name)] = name
    for pkg in chain or []:
        env.update(command_variables(pkg))
    return env


EXPORTED_PREFIXES = ("SKIFF_", "BR2_")
EXPORTED_NAMES = ("WORKSPACE_DIR", "BUILDROOT_DIR", "ROOT_DIR", "BUILDROOT_DEFAULT_DIR", "PATH")


def env_file(env: dict[str, str]) -> str:
    """env.sh text: only skiff's own variables (never the user's whole environment)."""
    lines = ["# Environment for hooks and package commands, generated by skiff; do not edit."]
    for key in sorted(env):
        if key.startswith(EXPORTED_PREFIXES) or key in EXPORTED_NAMES:
            if key == "SKIFF_READ_ONLY":
                continue
            lines.append(f"export {key}={shlex.quote(env[key])}")
    return "\n".join(lines) + "\n"
