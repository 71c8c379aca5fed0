"""The Kconfig editor against real Buildroot 2026.02.3 and the package library this repository
ships: the screen reaches an interactive top menu on pi/4,skiff/core and on the largest stack
(most enabled symbols), and toggle, search, info, show-all and save work there; the model opens
for every board, distribution and app alone and every board with skiff/core.

Runs when SKIFF_BUILDROOT_SRC names a Buildroot tree (CI extracts the pinned release)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path

import pytest
from skifftest import REPO

from skiff_tui.core.builds import buildroot, kconfig_cache
from skiff_tui.core.builds.configure import configure, plan
from skiff_tui.core.builds.kconfig_expr import depth
from skiff_tui.core.editors.delta import DELTA_NAME
from skiff_tui.core.editors.kconfig import KconfigModel, open_parsed, tree_key
from skiff_tui.core.library.packages import discover
from skiff_tui.core.session import Session
from skiff_tui.core.workspace import Workspace

TREE = os.environ.get("SKIFF_BUILDROOT_SRC", "")
pytestmark = pytest.mark.skipif(
    not TREE or not buildroot.is_buildroot_tree(Path(TREE)),
    reason="needs real Buildroot 2026.02.3: set SKIFF_BUILDROOT_SRC to its tree",
)

PI4 = "pi/4,skiff/core"
# The stack with the most enabled symbols in the library (bench/kconfig.py --find-largest
# measures every board with every distribution and app): 574 against pi/4,skiff/core's 529.
LARGEST = "orangepi/zero,skiff/core,apps/podman"
SIZE = (120, 40)


@pytest.fixture(scope="module")
def real_root():
    """A skiff tree over this repository's package library (read only) with its own
    workspaces/ and overrides/, one workspace per stack, configured once with real make."""
    base = Path(tempfile.mkdtemp(prefix="skiff-real-kconfig-"))
    root = base / "skiff"
    (root / "overrides").mkdir(parents=True)
    (root / "workspaces").mkdir()
    (root / "configs").symlink_to(REPO / "configs")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKIFF_CONFIG")}
    env.update(
        SKIFF_ROOT_DIR=str(root),
        SKIFF_BUILDROOT_SRC=TREE,
        SKIFF_CACHE_DIR=str(base / "cache"),
        SKIFF_NO_INTERACTIVE="1",
    )
    for name, selection in (("pi4", PI4), ("largest", LARGEST)):
        configure(Session(root, env, Workspace(root, name)), selection.split(","))
    yield root, env
    kconfig_cache.clear()
    shutil.rmtree(base, ignore_errors=True)


def in_big_thread(fn):
    """Run fn in a thread with a raised recursion limit and stack: what kconfiglib alone needs."""
    out = {}
    old = sys.getrecursionlimit()
    threading.stack_size(256 << 20)
    sys.setrecursionlimit(20000)
    try:
        thread = threading.Thread(target=lambda: out.setdefault("value", fn()))
        thread.start()
        thread.join()
    finally:
        threading.stack_size(0)
        sys.setrecursionlimit(old)
    return out["value"]


def test_rebalanced_tree_gives_byte_identical_values(real_root, tmp_path):
    """kconfiglib unchanged (given the recursion room it needs) and the rebalanced tree write the
    same .config for the workspace of pi/4,skiff/core."""
    import kconfiglib

    from skiff_tui.core.builds.kconfig_expr import BalancedKconfig

    root, env = real_root
    ws = Workspace(root, "pi4")
    externals = [(e.name, e.path) for e in plan(Session(root, env, ws)).merged.externals]
    outputs = {}
    for name, cls in (("plain", kconfiglib.Kconfig), ("balanced", BalancedKconfig)):

        def run(cls=cls, name=name):
            buildroot.write_external_includes(tmp_path / name, externals)
            with buildroot._kconfig_environment(Path(TREE), tmp_path / name, externals):
                kconf = cls(str(Path(TREE) / "Config.in"), warn_to_stderr=False)
            kconf.load_config(str(ws.dir / ".config"))
            kconf.write_config(str(tmp_path / f"{name}.config"), header="")
            return max(depth(s.rev_dep) for s in kconf.unique_defined_syms)

        outputs[name] = in_big_thread(run)
    assert outputs["plain"] > 800 and outputs["balanced"] < 40  # BR2_LEGACY's chain
    assert (tmp_path / "plain.config").read_bytes() == (tmp_path / "balanced.config").read_bytes()


@pytest.mark.parametrize("workspace,symbol", [("pi4", "BR2_PACKAGE_TREE"), ("largest", "BR2_PACKAGE_TREE")])
async def test_screen_is_interactive_on_real_stacks(real_root, workspace, symbol):
    from skiff_tui.ui.app import SkiffApp
    from skiff_tui.ui.screens.kconfig import KconfigScreen
    from skiff_tui.ui.widgets.kconfig_search import KconfigSearchModal
    from skiff_tui.ui.widgets.kconfig_tree import KconfigTree

    root, env = real_root
    app = SkiffApp(root=root, env=env, workspace=workspace)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(2):
            await app.workers.wait_for_complete()
            await pilot.pause()
        await pilot.press("8")
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()
        screen = app.screen
        assert isinstance(screen, KconfigScreen)
        assert screen.load_error is None and screen.query_one("#kc-body").display
        tree = screen.query_one(KconfigTree)
        assert tree.has_focus
        top = [str(c.label) for c in tree.root.children]
        assert top[:3] == ["Target options  --->", "Toolchain  --->", "Build options  --->"]
        assert screen.model.source == str(root / "workspaces" / workspace / ".config")
        assert screen.model.problems == []
        # info: BR2_LEGACY's "Selected by" lists its whole (rebalanced) reverse dependency
        info = screen.model.info(screen.model.find("BR2_LEGACY"))
        assert info.count("\n  - ") > 800 and "Selected by (n):" in info
        # search
        await pilot.press("slash", *f"^{symbol.lower()}$")
        await pilot.pause()
        assert isinstance(app.screen, KconfigSearchModal)
        assert [h.name for h in app.screen.hits] == [symbol]
        await pilot.press("enter")
        assert app.screen is screen and tree.current is screen.model.find(symbol)
        # toggle, then save writes the delta
        assert screen.model.kconf.syms[symbol].str_value == "n"
        await pilot.press("space")
        assert screen.model.kconf.syms[symbol].str_value == "y"
        assert screen.model.changes() == {symbol: "y"}
        # show-all, on and off
        await pilot.press("h")
        assert screen.model.show_all
        await pilot.press("h")
        assert not screen.model.show_all
        await pilot.press("ctrl+s")
        await pilot.pause()
        delta = root / "overrides" / "workspaces" / workspace / "buildroot" / DELTA_NAME
        assert f"{symbol}=y" in delta.read_text().splitlines()
        # reopening in the same session reuses the parsed tree
        await pilot.press("r")
        for _ in range(3):
            await app.workers.wait_for_complete()
            await pilot.pause()
        assert screen.session.reused and screen.model.kconf.syms[symbol].str_value == "y"
        delta.unlink()


def supported_selections() -> list[str]:
    """Every listed package alone (boards, distributions, apps, targets) and every board with
    skiff/core: what docs/supported-systems.md and `skiff list` offer."""
    if not TREE:
        return []
    index = discover(REPO / "configs", dict(os.environ))
    names = sorted(p.name for p in index.listed())
    not_boards = ("apps", "core", "skiff", "util", "virt", "browser")
    return names + [f"{n},skiff/core" for n in names if n.split("/")[0] not in not_boards]


@pytest.fixture(scope="module")
def parsed_trees():
    """One parsed tree per set of externals (the library has five), shared by the cases below."""
    trees: dict[tuple, object] = {}
    yield trees
    for parsed in trees.values():
        kconfig_cache.give_back(parsed)
    kconfig_cache.clear()


@pytest.mark.parametrize("selection", supported_selections())
def test_kconfig_model_opens_for_every_supported_system(selection, real_root, parsed_trees, tmp_path):
    root, env = real_root
    p = plan(Session(root, env, Workspace(root, "every-system")), selection.split(","))
    externals = [(e.name, e.path) for e in p.merged.externals]
    key = tree_key(Path(TREE), externals)
    if key not in parsed_trees:
        parsed_trees[key], _ = open_parsed(Path(TREE), externals)
    merged = tmp_path / "merged-defconfig"
    merged.write_text(p.merged.buildroot.render())
    model = KconfigModel.from_parsed(parsed_trees[key].kconf, baseline_config=merged)
    assert [e.label for e in model.children()][:2] == ["Target options  --->", "Toolchain  --->"]
    assert model.problems == []  # kconfiglib took every line of the merged configuration
    assert "Selected by" in model.info(model.find("BR2_LEGACY"))
    assert any(h.name == "BR2_PACKAGE_BUSYBOX" for h in model.search("^br2_package_busybox$"))
    for name, path in externals:  # the externals' menus are in the tree
        assert model.kconf.syms[f"BR2_EXTERNAL_{name}_PATH"].str_value == str(path)
