"""The same comparison through the command line a SkiffOS user would type (`skiff show`, `skiff list`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import capture_goldens  # noqa: E402
import make_tree  # noqa: E402

GOLDEN_DIR = HERE / "golden"
# Host settings skiff adds on purpose (docs/behaviour.md#workspaces: downloads go to a shared cache outside any tree).
HOST_SYMBOLS = {"BR2_DL_DIR"}
OURS_FOR_DIFFERS = {"differs_user_docker_runc": ["sys/cgroups", "ctr/runc", "ctr/containerd", "ctr/docker"]}


def golden(ident: str) -> dict:
    return json.loads((GOLDEN_DIR / f"{ident}.json").read_text())


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("compat-cli").resolve() / "tree"
    make_tree.make_tree(path)
    return path


def skiff(root: Path, tree: Path, config: str | None, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SKIFF_", "BR2_")) and k != "BUILDROOT_DIR"}
    env.update(
        SKIFF_ROOT_DIR=str(root),
        SKIFF_EXTRA_CONFIGS_PATH=str(tree),
        SKIFF_WORKSPACE="compat",
        SKIFF_NO_INTERACTIVE="1",
        SKIFF_CACHE_DIR=str(root / ".cache"),
    )
    if config is not None:
        env["SKIFF_CONFIG"] = config
    proc = subprocess.run([sys.executable, "-m", "skiff_tui", *args], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def make_root(tmp_path: Path, g: dict) -> Path:
    root = tmp_path / "root"
    (root / "configs" / "base").mkdir(parents=True)  # its own (empty) base layer: no library base
    for variant in g["overrides"]:
        make_tree.write_overrides(root, variant, g["workspace"])
    return root


@pytest.mark.parametrize(
    "ident,kinds",
    [
        ("overrides_both", ("buildroot", "kernel", "busybox", "uboot")),
        ("rpi4_debian", ("buildroot", "kernel")),
        ("differs_user_docker_runc", ()),
    ],
)
def test_show_chain_and_merged_match_skiffos(tree, tmp_path, ident, kinds):
    g = golden(ident)
    root = make_root(tmp_path, g)
    chain = skiff(root, tree, g["skiff_config"], "show", "--chain").split()
    assert chain == OURS_FOR_DIFFERS.get(ident, g["skiffos_chain"])
    if ident in OURS_FOR_DIFFERS:
        assert chain != g["skiffos_chain"] and sorted(chain) == sorted(g["skiffos_chain"])
    ws_over = root / "overrides" / "workspaces" / g["workspace"]
    norm = capture_goldens.Normaliser(
        [(str(ws_over), "@WS_OVERRIDES@"), (str(root / "overrides"), "@OVERRIDES@"), (str(tree), "@TREE@")]
    )
    for kind in kinds:
        text = norm(skiff(root, tree, g["skiff_config"], "show", "--merged", kind))
        values = {
            s: v
            for s, (v, _) in capture_goldens.effective(text).items()
            if s not in capture_goldens.POST_SYMBOLS | HOST_SYMBOLS
        }
        assert values == g["fragments"][kind], kind
    assert not (root / "workspaces").exists() or not any((root / "workspaces").iterdir())  # show wrote nothing


def test_list_json_lists_what_skiffos_lists(tree, tmp_path):
    listed = json.loads((GOLDEN_DIR / "_listing.json").read_text())["listed"]
    root = make_root(tmp_path, {"overrides": [], "workspace": "compat"})
    data = json.loads(skiff(root, tree, None, "list", "--json"))
    ours = {p["name"]: p["description"] for p in data["packages"] if not p["unlisted"]}
    assert ours == listed
