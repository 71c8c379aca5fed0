"""A package command and a build hook see every variable SkiffOS gives them, with the same meaning.

golden/_env.json holds what SkiffOS's scripts gave a command and a hook of the small tree in
capture_env_golden.py (captured by running SkiffOS; see that script). Here skiff runs the same tree:
the command through `skiff cmd`, the hook through the wrapper configure writes, started with an
almost empty environment so every variable has to come from skiff.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import capture_env_golden  # noqa: E402

REPO = HERE.parent.parent
FIXTURE_BR = REPO / "tests" / "fixtures" / "buildroot_tree"
GOLDEN = json.loads((HERE / "golden" / "_env.json").read_text())
# SkiffOS variables skiff does not export, each for a reason given in docs/from-skiffos.md.
NOT_EXPORTED = {
    "SKIFF_SCRIPTS_DIR",  # SkiffOS's own implementation scripts; skiff has none to point at
    "SKIFF_FORCE_RECONFIG",  # leaks from SkiffOS's `make configure` into its saved env; internal
    "SKIFF_RESOURCES_DIR",  # set only when building on a SkiffOS tree's base (its resources/)
    "BR2_CCACHE_DIR",  # skiff leaves Buildroot's shared default unless you set it
}
# Same name and meaning, but the value is skiff's own.
OWN_VALUE = {"SKIFF_VERSION", "SKIFF_VERSION_COMMIT", "SKIFF_BASE_CONFIGS_DIR"}


def run_skiff(root: Path, tree: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SKIFF_", "BR2_")) and k != "BUILDROOT_DIR"}
    env.update(
        SKIFF_ROOT_DIR=str(root),
        SKIFF_EXTRA_CONFIGS_PATH=str(tree),
        SKIFF_WORKSPACE=GOLDEN["workspace"],
        SKIFF_CONFIG=GOLDEN["selection"],
        SKIFF_NO_INTERACTIVE="1",
        SKIFF_CACHE_DIR=str(root / ".cache"),
        SKIFF_BUILDROOT_SRC=str(FIXTURE_BR),
        DUMP=str(root / "dump"),
    )
    proc = subprocess.run([sys.executable, "-m", "skiff_tui", *args], env=env, capture_output=True, text=True)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def seen(tmp_path_factory) -> dict:
    """{'command': env, 'hook': env, 'expect': placeholder -> real path} from one configured root."""
    base = tmp_path_factory.mktemp("env").resolve()
    root, tree = base / "root", base / "tree"
    for d in ("configs/base/pre", "overrides", "workspaces", "dump"):
        (root / d).mkdir(parents=True)
    capture_env_golden.env_tree(tree)
    run_skiff(root, tree, "configure")
    run_skiff(root, tree, "cmd", GOLDEN["selection"], "dump")
    final = root / "workspaces" / f".config_{GOLDEN['workspace']}"
    hook_env = {"PATH": "/usr/bin:/bin", "DUMP": str(root / "dump")}
    subprocess.run(
        ["bash", str(final / "pre_build.sh"), str(root / "workspaces" / GOLDEN["workspace"] / "target")],
        env=hook_env,
        check=True,
        capture_output=True,
    )
    expect = [
        ("@FINAL@", str(final)),
        ("@TREE@", str(tree)),
        ("@BUILDROOT@", str(FIXTURE_BR)),
        ("@SKIFFOS@", str(root)),
    ]
    return {which: capture_env_golden.read_env(root / "dump" / f"{which}.env") for which in ("command", "hook")} | {
        "expect": expect
    }


def ours(value: str, expect) -> str:
    for token, real in expect:
        value = value.replace(token, real)
    return value.rstrip("/")  # SkiffOS spells some directories with a trailing slash


@pytest.mark.parametrize("which", ["command", "hook"])
def test_every_skiffos_variable_is_exported_with_its_meaning(seen, which):
    got = seen[which]
    missing, wrong = [], []
    for name, value in GOLDEN[which].items():
        if name in NOT_EXPORTED:
            continue
        path_var = name.replace("SKIFF_CONFIG_NAME_", "SKIFF_CONFIG_PATH_", 1)
        golden_path = GOLDEN[which].get(path_var, "")
        if path_var.startswith("SKIFF_CONFIG_PATH_") and golden_path.startswith("@SKIFFOS@/configs/"):
            continue  # SkiffOS's own library packages: not in this root
        if name not in got:
            missing.append(name)
        elif name not in OWN_VALUE and got[name].rstrip("/") != ours(value, seen["expect"]):
            wrong.append(f"{name}: skiff {got[name]!r}, SkiffOS {ours(value, seen['expect'])!r}")
    assert not missing, f"{which} lacks {missing}"
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("which", ["command", "hook"])
def test_chain_variables_name_the_chain(seen, which):
    got = seen[which]
    tree = dict(seen["expect"])["@TREE@"]
    assert got["SKIFF_CONFIG_PATH"].split() == [f"{tree}/envt/dep", f"{tree}/envt/app"]
    assert got["SKIFF_CONFIG"] == "envt/dep,envt/app"
    assert got["SKIFF_CONFIG_PATH_ENVT_APP"] == f"{tree}/envt/app"
    assert got["SKIFF_BASE_CONFIGS_DIR"] == str(Path(dict(seen["expect"])["@SKIFFOS@"]) / "configs" / "base")


def test_the_not_exported_list_only_names_what_skiffos_really_exports():
    for name in NOT_EXPORTED - {"SKIFF_FORCE_RECONFIG"}:
        assert name in GOLDEN["command"] and name in GOLDEN["hook"], name
