"""Builds inside a container (podman or docker): the same make command line, run in an image
made from skiff_tui/container/Containerfile (Debian bookworm with Buildroot's host tools).

Everything the build reads or writes is mounted at the same path inside: the skiff project
(workspaces, overrides, your packages), the package layers, the Buildroot tree (read-only), the
download and ccache directories. So the log, the build record and the progress are the host's
as for a build without a container; only the process doing the work runs elsewhere.
See docs/getting-started.md ("Building in a container").
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .. import paths, readonly
from ..config.fragments import unquote
from ..errors import SkiffError

if TYPE_CHECKING:
    from ..session import Session
    from ..workspace import Workspace
    from .configure import Plan

ENGINES = ("podman", "docker")
ENV_VAR = "SKIFF_CONTAINER"  # "", "1"/"auto" (podman, else docker), "podman", "docker"
CONTAINERFILE = paths.PACKAGE_DIR / "container" / "Containerfile"
CONTAINER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# Variables the build needs inside (the rest of the host's environment stays outside).
PASSED_PREFIXES = ("SKIFF_", "BR2_")
PASSED_NAMES = ("WORKSPACE_DIR", "BUILDROOT_DIR", "TERM", "LANG", "TZ", "SOURCE_DATE_EPOCH")


class ContainerError(SkiffError):
    """No container engine, or its image cannot be made."""


@dataclass(frozen=True)
class Mount:
    path: Path
    read_only: bool = False

    def option(self) -> str:
        return f"{self.path}:{self.path}" + (":ro" if self.read_only else "")


def requested(env: dict[str, str]) -> str | None:
    """The engine asked for by SKIFF_CONTAINER (None: build on the host)."""
    value = (env.get(ENV_VAR) or "").strip().lower()
    if value in ("", "0", "no", "off"):
        return None
    if value in ("1", "yes", "on", "auto"):
        return "auto"
    if value not in ENGINES:
        raise ContainerError(f"{ENV_VAR}={value!r} is not a container engine", hint="use podman, docker or 1")
    return value


def engine(choice: str, path: str | None = None) -> str:
    """The engine's executable for `choice` ("auto": podman, else docker)."""
    names = ENGINES if choice == "auto" else (choice,)
    for name in names:
        found = shutil.which(name, path=path)
        if found:
            return found
    raise ContainerError(
        f"no container engine found ({' or '.join(names)})",
        hint="apt-get install podman (or docker.io), or build without --container",
    )


def image_tag(containerfile: Path = CONTAINERFILE) -> str:
    """Named after the Containerfile's content: editing it makes a new image, never a stale one."""
    digest = hashlib.sha256(containerfile.read_bytes()).hexdigest()[:12]
    return f"localhost/skiff-buildroot:{digest}"


def image_exists_argv(engine_path: str, tag: str) -> list[str]:
    if Path(engine_path).name == "podman":
        return [engine_path, "image", "exists", tag]
    return [engine_path, "image", "inspect", "--format", "{{.Id}}", tag]


def image_build_argv(engine_path: str, tag: str, containerfile: Path = CONTAINERFILE) -> list[str]:
    return [engine_path, "build", "--tag", tag, "--file", str(containerfile), str(containerfile.parent)]


def ensure_image(engine_path: str, *, log: Callable[[str], object] = print) -> str:
    """The image's tag, built first when missing (once; minutes, most of it apt-get)."""
    tag = image_tag()
    if subprocess.run(image_exists_argv(engine_path, tag), capture_output=True).returncode == 0:
        return tag
    log(f"skiff: building the container image {tag} (once)")
    result = subprocess.run(image_build_argv(engine_path, tag), stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise ContainerError(
            f"{Path(engine_path).name} build of {tag} failed (exit {result.returncode})",
            path=CONTAINERFILE,
            hint="its output is above",
        )
    return tag


def _outermost(mounts: list[Mount]) -> list[Mount]:
    """Drop mounts inside another one (a writable parent wins over a read-only child)."""
    chosen: list[Mount] = []
    for m in sorted(mounts, key=lambda m: (len(m.path.parts), m.read_only)):
        if any(m.path == c.path or c.path in m.path.parents for c in chosen):
            continue
        chosen.append(m)
    return sorted(chosen, key=lambda m: str(m.path))


def mounts(session: Session, plan: Plan) -> list[Mount]:
    """Every directory the build touches, at its own path."""
    root, workspace, env = session.root, session.workspace, session.env
    found = [Mount(Path(root).resolve())]
    if plan.buildroot_src is not None:
        found.append(Mount(Path(plan.buildroot_src).resolve(), read_only=True))
    found.append(Mount(Path(workspace.dir).resolve()))
    found.append(Mount(Path(workspace.final_dir).resolve()))
    for layer in plan.stack:
        found.append(Mount(Path(layer.path).resolve(), read_only=True))
    found.append(Mount(paths.base_configs_dir(root).resolve(), read_only=True))  # SKIFF_CONFIGS_DIR
    for d in (download_dir(plan, env), ccache_dir(plan, env)):
        d.mkdir(parents=True, exist_ok=True)
        found.append(Mount(d.resolve()))
    return _outermost(found)


def download_dir(plan: Plan, env: dict[str, str]) -> Path:
    value = env.get("BR2_DL_DIR") or unquote(plan.merged.fragments["buildroot"].value("BR2_DL_DIR"))
    return Path(value or paths.cache_dir(env) / "dl").expanduser()


def ccache_dir(plan: Plan, env: dict[str, str]) -> Path:
    value = env.get("BR2_CCACHE_DIR") or unquote(plan.merged.fragments["buildroot"].value("BR2_CCACHE_DIR"))
    return Path(value or paths.cache_dir(env) / "ccache").expanduser()


def container_env(env: dict[str, str], workspace: Workspace, plan: Plan) -> dict[str, str]:
    """The variables set inside: skiff's own (as hooks get them), Buildroot's, a plain PATH."""
    out = {k: v for k, v in env.items() if k.startswith(PASSED_PREFIXES) or k in PASSED_NAMES}
    out.pop("SKIFF_READ_ONLY", None)
    out.pop(ENV_VAR, None)
    out["PATH"] = f"{Path(workspace.dir).resolve()}/host/bin:{CONTAINER_PATH}"
    out["HOME"] = "/tmp"
    out["BR2_DL_DIR"] = str(download_dir(plan, env).resolve())
    out["BR2_CCACHE_DIR"] = str(ccache_dir(plan, env).resolve())
    return out


def run_argv(
    engine_path: str,
    tag: str,
    argv: list[str],
    *,
    mounts: list[Mount],
    env: dict[str, str],
    workdir: Path,
    interactive: bool = False,
    uid: int | None = None,
    gid: int | None = None,
) -> list[str]:
    """`<engine> run …` around `argv`. Files come out owned by the caller: podman maps the user
    in (--userns=keep-id), docker runs as the caller's uid:gid."""
    uid = os.getuid() if uid is None else uid
    gid = os.getgid() if gid is None else gid
    name = Path(engine_path).name
    out = [engine_path, "run", "--rm", "--init", "--security-opt", "label=disable"]
    out += ["--userns=keep-id"] if name == "podman" and uid != 0 else []
    out += ["--user", f"{uid}:{gid}"] if name == "docker" else []
    out += ["-it"] if interactive else ["-i"]
    out += ["--workdir", str(workdir)]
    for m in mounts:
        out += ["--volume", m.option()]
    for key in sorted(env):
        out += ["--env", f"{key}={env[key]}"]
    return [*out, tag, *argv]


@readonly.mutating("building in a container")
def wrap(
    argv: list[str],
    session: Session,
    *,
    env: dict[str, str],
    plan: Plan,
    choice: str,
    interactive: bool = False,
    log: Callable[[str], object] = print,
) -> list[str]:
    """The host command that runs `argv` (a make command line) in the build container: the one
    function the CLI (`--container`) and the TUI's build use. `env` is make's environment (what
    command_env gave for the session): the variables passed in come from it."""
    workspace = session.workspace
    engine_path = engine(choice, env.get("PATH"))
    tag = ensure_image(engine_path, log=log)
    Path(workspace.dir).mkdir(parents=True, exist_ok=True)
    return run_argv(
        engine_path,
        tag,
        argv,
        mounts=mounts(session, plan),
        env=container_env(env, workspace, plan),
        workdir=Path(workspace.dir).resolve(),
        interactive=interactive,
    )
