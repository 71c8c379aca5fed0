"""shell, env, graph, legal-info and check's check-package: the SkiffOS workspace targets.
Fixture Buildroot tree for the environment; the real Buildroot tree for graph-depends and
utils/check-package."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from skifftest import run_skiff, write_package

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "buildroot_tree"
REAL = Path(os.environ.get("SKIFF_BUILDROOT_SRC") or "/root/.cache/skiff-test/buildroot-2026.02.3")


def _needs_real_buildroot():
    if not (REAL / "utils" / "check-package").is_file():
        pytest.skip(f"no real Buildroot tree at {REAL} (set SKIFF_BUILDROOT_SRC)")


@pytest.fixture
def root(skiff_root, monkeypatch):
    write_package(
        skiff_root / "configs", "test/board", description="A test board", files={"buildroot/00-arch": "BR2_aarch64=y\n"}
    )
    monkeypatch.setenv("SKIFF_BUILDROOT_SRC", str(FIXTURE))
    monkeypatch.setenv("SKIFF_CONFIG", "test/board")
    return skiff_root


def test_env_prints_the_workspace_environment(root):
    r = run_skiff("env")
    assert r.returncode == 0, r.stderr
    ws = root / "workspaces" / "default"
    lines = r.stdout.splitlines()
    assert f"export SKIFF_WORKSPACE_DIR={ws}" in lines
    assert "export SKIFF_CHAIN=test/board" in lines
    path = next(ln for ln in lines if ln.startswith("export PATH="))
    assert path.startswith(f"export PATH={ws}/host/bin:")
    data = json.loads(run_skiff("env", "--json").stdout)
    assert data["SKIFF_WORKSPACE"] == "default" and data["PATH"].startswith(f"{ws}/host/bin:")


def test_shell_runs_in_the_workspace_environment(root):
    assert run_skiff("configure").returncode == 0
    ws = root / "workspaces" / "default"
    r = run_skiff("shell", "--", "sh", "-c", 'echo "$PWD|$SKIFF_WORKSPACE|$SKIFF_SHELL|${PATH%%:*}"')
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"{ws}|default|1|{ws}/host/bin"
    assert run_skiff("shell", "--", "sh", "-c", "exit 3").returncode == 1
    refused = run_skiff("shell", "--", "true", env={"SKIFF_READ_ONLY": "1"})
    assert refused.returncode == 2 and "read-only" in refused.stderr


def test_graph_names_the_debian_package_of_a_missing_tool(root, tmp_path):
    empty = tmp_path / "empty-path"
    empty.mkdir()
    r = run_skiff("graph", env={"PATH": str(empty)})
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "apt-get install graphviz" in r.stderr, r.stderr
    from skiff_tui.core.builds import graphs

    assert ("dot", "graphviz") in graphs.missing_tools(False, path=str(empty))


def test_graph_writes_the_dependency_graph_with_real_buildroot(tmp_path):
    _needs_real_buildroot()
    if shutil.which("dot") is None:
        pytest.skip("graphviz not installed (Debian package: graphviz)")
    project = tmp_path / "proj"
    env = {
        "SKIFF_ROOT_DIR": str(project),
        "SKIFF_BUILDROOT_SRC": str(REAL),
        "SKIFF_CACHE_DIR": str(tmp_path / "c"),
        "SKIFF_CONFIG": "virt/qemu",
    }
    assert run_skiff("init", str(project), env=env).returncode == 0
    r = run_skiff("graph", "--format", "svg", env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    graph = project / "workspaces" / "default" / "graphs" / "graph-depends.svg"
    assert r.stdout.split()[-1] == str(graph)
    assert graph.read_text().lstrip().startswith(("<?xml", "<svg"))
    assert "graph-build needs a finished build" in r.stderr
    # not a build: no record in the workspace's history
    assert json.loads(run_skiff("logs", "--list", "--json", env=env).stdout) == {"builds": []}


def test_check_runs_buildroots_check_package_on_buildroot_ext(skiff_root, monkeypatch):
    _needs_real_buildroot()
    from skiff_tui.core.builds import checkpackage

    if checkpackage.interpreter() is None:
        pytest.skip(
            f"check-package needs python3-magic and python3-flake8 (apt-get install {checkpackage.DEBIAN_PACKAGES})"
        )
    monkeypatch.setenv("SKIFF_BUILDROOT_SRC", str(REAL))
    long_help = "\t  " + "x" * 70 + "\n"
    write_package(
        skiff_root / "configs",
        "my/pkg",
        description="mine",
        files={
            "buildroot_ext/external.desc": "name: MYPKG\n",
            "buildroot_ext/external.mk": "include $(sort $(wildcard $(BR2_EXTERNAL_MYPKG_PATH)/package/*/*.mk))\n",
            "buildroot_ext/Config.in": 'source "$BR2_EXTERNAL_MYPKG_PATH/package/hello/Config.in"\n',
            "buildroot_ext/package/hello/Config.in": f'config BR2_PACKAGE_HELLO\n\tbool "hello"\n\thelp\n{long_help}',
            "buildroot_ext/package/hello/hello.mk": "HELLO_VERSION = 1.0\n$(eval $(generic-package))\n",
        },
    )
    r = run_skiff("check", "--json")
    data = json.loads(r.stdout)
    hits = [p for p in data["problems"] if "check-package:" in p]
    cfg = skiff_root / "configs" / "my" / "pkg" / "buildroot_ext" / "package" / "hello" / "Config.in"
    assert any(h.startswith(f"{cfg}:4: check-package: help text") for h in hits), data
    assert r.returncode == 1


def test_the_library_passes_check_package():
    _needs_real_buildroot()
    from skiff_tui.core.builds import checkpackage
    from skiff_tui.core.library.packages import discover

    if checkpackage.interpreter() is None:
        pytest.skip(
            f"check-package needs python3-magic and python3-flake8 (apt-get install {checkpackage.DEBIAN_PACKAGES})"
        )
    notes: list[str] = []
    index = discover(REPO / "configs", {})
    assert checkpackage.external_files(index)
    assert checkpackage.run(REAL, index, notes) == [] and notes == []
