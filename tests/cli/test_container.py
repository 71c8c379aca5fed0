"""Container builds: the Containerfile, the `podman/docker run` command line the engine builds
(mounts at the same paths, the variables inside, the caller's uid), and `skiff compile
--container` going through the same build record and log as a host build.

Containers cannot run on the machines this suite is developed on (crun is refused setrlimit and
hybrid cgroups); the image is never built and no container is started here. What runs for real:
podman's image store (a locally imported image stands in for the built one), apt's package
index for the Containerfile's package names, and the CLI up to the engine's `run`."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from skifftest import run_skiff, write_package

from skiff_tui.core.builds import container
from skiff_tui.core.builds.buildroot import HOST_TOOLS
from skiff_tui.core.session import Session

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "buildroot_tree"
INSTRUCTIONS = {
    "FROM",
    "RUN",
    "ENV",
    "WORKDIR",
    "ARG",
    "LABEL",
    "COPY",
    "ADD",
    "USER",
    "SHELL",
    "CMD",
    "ENTRYPOINT",
    "EXPOSE",
    "VOLUME",
    "STOPSIGNAL",
    "HEALTHCHECK",
    "ONBUILD",
}
# Buildroot's mandatory host tools and the Debian package that brings each (essential ones: "").
TOOL_PACKAGES = {
    "make": "make",
    "gcc": "gcc",
    "g++": "g++",
    "patch": "patch",
    "perl": "perl",
    "tar": "tar",
    "gzip": "gzip",
    "bzip2": "bzip2",
    "cpio": "cpio",
    "unzip": "unzip",
    "rsync": "rsync",
    "bc": "bc",
    "wget": "wget",
    "file": "file",
    "find": "findutils",
    "xargs": "findutils",
    "awk": "",
    "which": "",
}


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined; comments and blanks dropped."""
    out, pending = [], ""
    for line in text.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        word, _, rest = full.partition(" ")
        out.append((word, rest.strip()))
    assert not pending, "the file ends inside a continued line"
    return out


def apt_packages(run_args: str) -> list[str]:
    match = re.search(r"apt-get install ((?:-\S+ )*)(.*?)(?:&&|$)", run_args)
    assert match, run_args
    return match.group(2).split()


def test_containerfile_is_well_formed_and_brings_buildroots_host_tools():
    steps = instructions(container.CONTAINERFILE.read_text())
    assert steps[0][0] == "FROM" and steps[0][1] == "docker.io/library/debian:bookworm"
    assert all(word in INSTRUCTIONS for word, _ in steps), [w for w, _ in steps if w not in INSTRUCTIONS]
    runs = [args for word, args in steps if word == "RUN"]
    packages = [p for args in runs for p in apt_packages(args)]
    for tool in HOST_TOOLS:
        assert tool in TOOL_PACKAGES, f"new host tool {tool}: say which Debian package brings it"
        if TOOL_PACKAGES[tool]:
            assert TOOL_PACKAGES[tool] in packages, tool
    assert {"graphviz", "python3-matplotlib", "libncurses-dev"} <= set(packages)
    env = dict(re.findall(r"(\w+)=(\S+)", " ".join(a for w, a in steps if w == "ENV")))
    assert env["HOME"] == "/tmp"  # writable for any uid the build runs as


def test_containerfile_packages_exist_in_bookworm():
    os_release = Path("/etc/os-release").read_text() if Path("/etc/os-release").exists() else ""
    if "VERSION_CODENAME=bookworm" not in os_release or shutil.which("apt-cache") is None:
        pytest.skip("needs a Debian bookworm host's apt index to look the package names up")
    steps = instructions(container.CONTAINERFILE.read_text())
    packages = [p for w, a in steps if w == "RUN" for p in apt_packages(a)]
    shown = subprocess.run(["apt-cache", "show", "--no-all-versions", *packages], capture_output=True, text=True)
    known = set(re.findall(r"^Package: (\S+)$", shown.stdout, re.M))
    assert sorted(set(packages) - known) == []


def test_image_tag_follows_the_containerfile(tmp_path):
    copy = tmp_path / "Containerfile"
    copy.write_text(container.CONTAINERFILE.read_text())
    assert container.image_tag(copy) == container.image_tag()
    copy.write_text(copy.read_text() + "RUN true\n")
    assert container.image_tag(copy) != container.image_tag()
    assert container.image_build_argv("/usr/bin/podman", "t:1", copy) == [
        "/usr/bin/podman",
        "build",
        "--tag",
        "t:1",
        "--file",
        str(copy),
        str(tmp_path),
    ]


def test_requested_engine():
    assert container.requested({}) is None and container.requested({"SKIFF_CONTAINER": "0"}) is None
    assert container.requested({"SKIFF_CONTAINER": "1"}) == "auto"
    assert container.requested({"SKIFF_CONTAINER": "docker"}) == "docker"
    with pytest.raises(container.ContainerError):
        container.requested({"SKIFF_CONTAINER": "lxc"})


def test_no_engine_is_a_one_line_error_naming_the_package(tmp_path):
    with pytest.raises(container.ContainerError) as info:
        container.engine("auto", path=str(tmp_path))
    assert "apt-get install podman" in str(info.value) and "\n" not in str(info.value)


@pytest.fixture
def root(skiff_root, monkeypatch, tmp_path):
    write_package(
        skiff_root / "configs",
        "test/board",
        description="A test board",
        files={"buildroot/00-arch": "BR2_aarch64=y\n", "root_overlay/etc/x": "x\n"},
    )
    extra = tmp_path / "extra"
    write_package(extra, "my/app", description="mine", deps="test/board", files={"buildroot/a": "BR2_PACKAGE_HTOP=y\n"})
    monkeypatch.setenv("SKIFF_EXTRA_CONFIGS_PATH", str(extra))
    monkeypatch.setenv("SKIFF_BUILDROOT_SRC", str(FIXTURE))
    monkeypatch.setenv("BR2_DL_DIR", str(tmp_path / "dl"))
    monkeypatch.setenv("BR2_CCACHE_DIR", str(tmp_path / "ccache"))
    return skiff_root


def _plan(root):
    from skiff_tui.core.builds.configure import command_env, configure
    from skiff_tui.core.workspace import Workspace

    session = Session(root, dict(os.environ), Workspace(root, "default"))
    result = configure(session, "my/app")
    return session, result.plan, command_env(session, result.plan)


def test_run_argv_mounts_everything_at_its_own_path(root, tmp_path):
    session, plan, env = _plan(root)
    ws = session.workspace
    mounts = container.mounts(session, plan)
    by_path = {m.path: m.read_only for m in mounts}
    assert by_path[root.resolve()] is False  # project: workspaces, overrides
    assert by_path[FIXTURE.resolve()] is True  # Buildroot tree, read-only
    assert by_path[(tmp_path / "dl").resolve()] is False and by_path[(tmp_path / "ccache").resolve()] is False
    assert by_path[(tmp_path / "extra" / "my" / "app").resolve()] is True  # a layer outside the project
    # nothing mounted twice: the workspace and the project's own packages live inside the project
    assert not [m for m in mounts if any(o.path in m.path.parents for o in mounts)]
    inside = container.container_env(env, ws, plan)
    argv = container.run_argv(
        "/usr/bin/podman",
        "localhost/skiff-buildroot:x",
        ["make", "-C", str(FIXTURE), "all"],
        mounts=mounts,
        env=inside,
        workdir=ws.dir,
        uid=1000,
        gid=1000,
    )
    assert argv[:4] == ["/usr/bin/podman", "run", "--rm", "--init"] and "--userns=keep-id" in argv
    assert argv[-5:] == ["localhost/skiff-buildroot:x", "make", "-C", str(FIXTURE), "all"]
    volumes = [argv[i + 1] for i, a in enumerate(argv) if a == "--volume"]
    assert f"{root.resolve()}:{root.resolve()}" in volumes and f"{FIXTURE.resolve()}:{FIXTURE.resolve()}:ro" in volumes
    envs = dict(argv[i + 1].split("=", 1) for i, a in enumerate(argv) if a == "--env")
    assert envs["SKIFF_WORKSPACE_DIR"] == str(ws.dir) and envs["BR2_DL_DIR"] == str((tmp_path / "dl").resolve())
    assert envs["PATH"].startswith(f"{ws.dir.resolve()}/host/bin:/usr/local/sbin")
    assert "VIRTUAL_ENV" not in envs and "HOME" in envs and "SKIFF_CONTAINER" not in envs
    docker = container.run_argv(
        "/usr/bin/docker",
        "t",
        ["make"],
        mounts=mounts,
        env=inside,
        workdir=ws.dir,
        uid=1000,
        gid=1001,
        interactive=True,
    )
    assert docker[docker.index("--user") + 1] == "1000:1001" and "-it" in docker and "--userns=keep-id" not in docker


@pytest.fixture
def podman_store(tmp_path, monkeypatch):
    """podman with its own image store under tmp_path, holding an image under the build image's tag
    (imported from an empty tar: the real one cannot be built here)."""
    if shutil.which("podman") is None:
        pytest.skip("podman not installed (Debian package: podman)")
    conf = tmp_path / "storage.conf"
    conf.write_text(f'[storage]\ndriver = "vfs"\ngraphroot = "{tmp_path / "graph"}"\nrunroot = "{tmp_path / "run"}"\n')
    monkeypatch.setenv("CONTAINERS_STORAGE_CONF", str(conf))
    empty = tmp_path / "rootfs"
    empty.mkdir()
    tar = subprocess.run(["tar", "-C", str(empty), "-c", "."], capture_output=True, check=True).stdout
    imported = subprocess.run(["podman", "import", "-", container.image_tag()], input=tar, capture_output=True)
    if imported.returncode != 0:
        pytest.skip(f"podman cannot use a private image store here: {imported.stderr.decode().strip()[-200:]}")
    return conf


def test_wrap_finds_the_image_and_builds_the_command(root, podman_store):
    session, plan, env = _plan(root)
    argv = container.wrap(["make", "all"], session, env=env, plan=plan, choice="podman")
    assert Path(argv[0]).name == "podman" and argv[1] == "run"
    assert argv[-3:] == [container.image_tag(), "make", "all"]


def test_compile_container_keeps_the_build_record_and_log(root, podman_store):
    r = run_skiff("-v", "compile", "--container", "podman", env={"SKIFF_CONFIG": "my/app"})
    assert "running: " in r.stderr and " run --rm --init " in r.stderr, r.stderr[-2000:]
    builds = json.loads(run_skiff("logs", "--list", "--json").stdout)["builds"]
    (rec,) = builds
    assert Path(rec["command"][0]).name == "podman"
    assert rec["command"][rec["command"].index(container.image_tag()) + 1] == "make"
    assert Path(rec["log_path"]).is_file()
    # Whatever the container did (here: it cannot start), the result is the build's, exit 0 or 1.
    assert r.returncode in (0, 1) and rec["status"] in ("succeeded", "failed")


def test_the_tuis_build_request_goes_through_the_same_wrapping(root, podman_store):
    from skiff_tui.core.session import Session
    from skiff_tui.core.workspace import Workspace
    from skiff_tui.ui.screens.build import compile_request

    ws = Workspace(root, "default")
    env = dict(os.environ, SKIFF_CONFIG="my/app", SKIFF_CONTAINER="podman")
    with ws.lock():
        request = compile_request(Session(root, env, ws))
    assert Path(request.argv[0]).name == "podman" and request.argv[1] == "run"
    image = request.argv.index(container.image_tag())
    assert request.argv[image + 1 : image + 3] == ["make", "-C"]
    env.pop("SKIFF_CONTAINER")
    with ws.lock():
        assert compile_request(Session(root, env, ws)).argv[0] == "make"  # without it, make on the host
