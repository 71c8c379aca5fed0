"""A real, non-editable install: the wheel built from this checkout, installed with pip into a
fresh venv, used from directories outside the checkout the way a new user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import skiff_tui

REPO = Path(__file__).resolve().parents[2]
REAL_BUILDROOT = Path(os.environ.get("SKIFF_BUILDROOT_SRC") or "/root/.cache/skiff-test/buildroot-2026.02.3")
OFFLINE_HINTS = (
    "Could not find a version",
    "No matching distribution",
    "Failed to establish",
    "Temporary failure in name resolution",
    "Network is unreachable",
    "ConnectionError",
)


def _pip(*args: str, timeout: int = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def _skip_or_fail(what: str, proc: subprocess.CompletedProcess) -> None:
    text = proc.stdout + proc.stderr
    if any(h in text for h in OFFLINE_HINTS):
        pytest.skip(f"{what}: PyPI unreachable and not in pip's cache ({text.strip().splitlines()[-1]})")
    pytest.fail(f"{what} failed:\n{text[-3000:]}")


def _setuptools_ok() -> bool:
    try:
        import setuptools
    except ImportError:
        return False
    return int(setuptools.__version__.split(".")[0]) >= 77


@pytest.fixture(scope="module")
def sdist(tmp_path_factory) -> Path:
    if not _setuptools_ok():
        pytest.skip("setuptools >= 77 not in this environment ('make setup' installs it)")
    out = tmp_path_factory.mktemp("sdist")
    code = f"from setuptools.build_meta import build_sdist; print(build_sdist({str(out)!r}))"
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (built,) = out.glob("skiff_tui-*.tar.gz")
    return built


@pytest.fixture(scope="module")
def wheel(sdist, tmp_path_factory) -> Path:
    """Built from the sdist (so both carry the library), without build isolation: no network."""
    out = tmp_path_factory.mktemp("wheel")
    proc = _pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(out), str(sdist))
    if proc.returncode != 0:
        _skip_or_fail("building the wheel", proc)
    (built,) = out.glob("skiff_tui-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=60)
    proc = _pip("--python", str(path / "bin" / "python"), "install", str(wheel))
    if proc.returncode != 0:
        _skip_or_fail("installing the wheel and its dependencies", proc)
    return path


def _site_package(venv: Path) -> Path:
    (pkg,) = venv.glob("lib/python3*/site-packages/skiff_tui")
    return pkg


def _state(tree: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(tree)): (p.lstat().st_size, p.lstat().st_mtime_ns)
        for p in tree.rglob("*")
        if "__pycache__" not in p.parts
    }


@pytest.fixture
def user(venv, tmp_path):
    """Runs the installed `skiff` in a clean environment (no SKIFF_* from the test run)."""
    home = tmp_path / "home"
    home.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SKIFF_", "BR2_")) and k not in ("BUILDROOT_DIR", "VIRTUAL_ENV", "PYTHONPATH")
    }
    env.update(
        HOME=str(home),
        SKIFF_CACHE_DIR=str(tmp_path / "cache"),
        SKIFF_NO_INTERACTIVE="1",
        PATH=f"{venv / 'bin'}:{env.get('PATH', '/usr/bin:/bin')}",
    )

    def run(*args: str, cwd: Path, **extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(venv / "bin" / "skiff"), *args],
            cwd=cwd,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


def _library_links() -> dict[str, str]:
    return {
        p.relative_to(REPO / "configs").as_posix(): os.readlink(p)
        for p in (REPO / "configs").rglob("*")
        if p.is_symlink()
    }


def test_sdist_holds_the_library_with_its_symlinks(sdist):
    with tarfile.open(sdist) as tar:
        members = {m.name.split("/", 1)[1]: m for m in tar.getmembers() if "/" in m.name}
    assert {"LICENSE", "setup.py", "skiff_tui/container/Containerfile"} <= set(members)
    library = {n.removeprefix("configs/"): m for n, m in members.items() if n.startswith("configs/")}
    # pip refuses absolute links in an sdist: those are listed in a file, the others are links
    with tarfile.open(sdist) as tar:
        listed = tar.extractfile(members["configs/.absolute-links"]).read().decode()
    absolute = dict(line.split("\t") for line in listed.splitlines())
    links = {n: m.linkname for n, m in library.items() if m.issym()}
    assert {**links, **absolute} == _library_links() and set(absolute.values()) == {"/dev/null"}
    assert "base/pre/scripts/stage-boot-files.sh" in library


def test_wheel_holds_the_library_license_and_containerfile(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "skiff_tui/library.tar" in names
    assert "skiff_tui/container/Containerfile" in names
    assert any(n.endswith("licenses/LICENSE") for n in names)
    assert not [n for n in names if n.startswith(("tests/", "bench/", "configs/"))]
    with zipfile.ZipFile(wheel).open("skiff_tui/library.tar") as raw, tarfile.open(fileobj=raw) as tar:
        members = {m.name: m for m in tar.getmembers()}
    expected = {
        p.relative_to(REPO / "configs").as_posix()
        for p in (REPO / "configs").rglob("*")
        if "__pycache__" not in p.parts
    }
    assert set(members) == expected
    # modes and symlinks survive (a wheel alone could hold neither the links nor be sure of modes)
    links = {n: m.linkname for n, m in members.items() if m.issym()}
    assert links and links == _library_links()
    hook = "base/pre/scripts/stage-boot-files.sh"
    assert members[hook].mode & 0o111 and members[hook].mode == (REPO / "configs" / hook).stat().st_mode & 0o7777


def test_version(user, tmp_path):
    r = user("--version", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout.strip() == f"skiff {skiff_tui.__version__}"


def test_without_a_project_lists_the_library_and_refuses_to_write(user, venv, tmp_path):
    site = _site_package(venv)
    before = _state(site)
    empty = tmp_path / "empty"
    empty.mkdir()
    r = user("list", "--json", cwd=empty)
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    names = {p["name"] for p in data["packages"]}
    assert {"pi/4", "skiff/core", "virt/qemu"} <= names and data["project"] is None
    assert "warning" not in r.stderr
    r = user("configure", "pi/4", cwd=empty)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "skiff init" in r.stderr, r.stderr
    assert list(empty.iterdir()) == []
    assert _state(site) == before, "skiff wrote inside its installed package"


def test_init_then_configure_keeps_user_data_in_the_project(user, venv, tmp_path):
    if not (REAL_BUILDROOT / "Makefile").is_file():
        pytest.skip(f"no real Buildroot tree at {REAL_BUILDROOT} (set SKIFF_BUILDROOT_SRC)")
    site = _site_package(venv)
    before = _state(site)
    r = user("init", "proj", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    proj = tmp_path / "proj"
    assert {p.name for p in proj.iterdir()} >= {"configs", "overrides", "workspaces", ".gitignore"}
    sub = proj / "configs"  # found from a directory below the project too
    r = user("configure", "pi/4", cwd=sub, SKIFF_BUILDROOT_SRC=str(REAL_BUILDROOT))
    assert r.returncode == 0, r.stderr
    config = (proj / "workspaces" / "default" / ".config").read_text()
    assert "BR2_aarch64=y" in config
    env_sh = (proj / "workspaces" / ".config_default" / "env.sh").read_text()
    assert f"SKIFF_ROOT_DIR={proj}" in env_sh.replace("'", "")
    # SKIFF_ROOT_DIR names the project from anywhere
    r = user("show", "--chain", cwd=tmp_path, SKIFF_ROOT_DIR=str(proj))
    assert r.returncode == 0 and r.stdout.split()[-1] == "pi/4", r.stderr
    assert _state(site) == before, "skiff wrote inside its installed package"


def test_project_and_extra_packages_come_before_the_library(user, tmp_path):
    assert user("init", "proj", cwd=tmp_path).returncode == 0
    proj = tmp_path / "proj"
    mine = proj / "configs" / "pi" / "4" / "metadata"
    mine.mkdir(parents=True)
    (mine / "description").write_text("my own pi/4\n")
    extra = tmp_path / "extra" / "pi" / "zero" / "metadata"
    extra.mkdir(parents=True)
    (extra / "description").write_text("extra pi/zero\n")
    r = user("list", "--json", cwd=proj, SKIFF_EXTRA_CONFIGS_PATH=str(tmp_path / "extra"))
    assert r.returncode == 0, r.stderr
    packages = {p["name"]: p for p in json.loads(r.stdout)["packages"]}
    assert packages["pi/4"]["description"] == "my own pi/4"
    assert packages["pi/4"]["path"] == str(mine.parent)
    assert packages["pi/zero"]["description"] == "extra pi/zero"
    assert "skiff/core" in packages  # the library is still there behind them


def test_unpacked_library_keeps_symlinks(user, tmp_path):
    r = user("list", "--all", "--json", cwd=tmp_path)
    docker = next(p for p in json.loads(r.stdout)["packages"] if p["name"] == "virt/docker")
    links = [p for p in Path(docker["path"]).rglob("*") if p.is_symlink()]
    assert links and any(os.readlink(p) == "/dev/null" for p in links)
    assert str(tmp_path / "cache") in docker["path"]
