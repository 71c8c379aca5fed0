"""A SkiffOS user's package tree resolves to SkiffOS's chain and merges to SkiffOS's values.

The goldens in golden/ were produced by running SkiffOS's scripts on the tree make_tree.py writes
(golden/README.md says how). Here our engine runs on the same tree, written afresh into tmp.
"""

from __future__ import annotations

import inspect
import json
import sys
from pathlib import Path

import pytest

from skiff_tui.core.library.packages import discover
from skiff_tui.core.library.resolve import Chain, resolve
from skiff_tui.core.workspace import Workspace

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import capture_goldens  # noqa: E402  (shares the tree digest and placeholder rules)
import make_tree  # noqa: E402

GOLDEN_DIR = HERE / "golden"
META = json.loads((GOLDEN_DIR / "_meta.json").read_text())
GOLDENS = {p.stem: json.loads(p.read_text()) for p in sorted(GOLDEN_DIR.glob("*.json")) if not p.name.startswith("_")}
SAME = sorted(i for i, g in GOLDENS.items() if not g["expect_differs"])
DIFFERS = sorted(i for i, g in GOLDENS.items() if g["expect_differs"])
KINDS = ("buildroot", "kernel", "busybox", "uboot")

# docs/behaviour.md#resolution: our chain for each "differs" selection (each package after all its dependencies).
OUR_DIFFERS_CHAINS = {
    "differs_declared_pinebk_phone": ["sys/moduleimg", "pinebk/common", "pinebk/phone"],
    "differs_user_tegra_core": [
        "sys/moduleimg",
        "tegra/common",
        "sys/cgroups",
        "ctr/runc",
        "ctr/containerd",
        "ctr/docker",
        "sys/base",
        "sys/init",
        "sys/core",
        "tegra/agx",
    ],
    "differs_user_docker_runc": ["sys/cgroups", "ctr/runc", "ctr/containerd", "ctr/docker"],
    "differs_pulled_late_drone": [
        "sys/moduleimg",
        "drone/common",
        "net/wifi",
        "dev/serial",
        "drone/voxl",
        "fs/zfs",
        "sys/base",
        "sys/init",
        "sys/journal",
    ],
}
# What the reordering changes: (fragment, symbol, SkiffOS's value, ours). In SkiffOS's chain the
# dependency comes last and silently overrides the package that needs it.
SILENT_OVERRIDES = {
    "differs_declared_pinebk_phone": ("kernel", "CONFIG_SQUASHFS_XZ", None, "y"),
    "differs_user_tegra_core": ("buildroot", "BR2_TARGET_GENERIC_HOSTNAME", '"skiff-core"', '"tegra-agx"'),
    "differs_user_docker_runc": ("kernel", "CONFIG_BPF_SYSCALL", None, "y"),
    "differs_pulled_late_drone": ("kernel", "CONFIG_SQUASHFS_XZ", None, "y"),
}


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("compat").resolve() / "tree"
    make_tree.make_tree(path)
    return path


@pytest.fixture(scope="module")
def layers():
    return pytest.importorskip("skiff_tui.core.config.layers", reason="layers.py not landed yet")


class Engine:
    """Our engine on the tree, in a skiff root with an empty configs/ and the golden's overrides."""

    def __init__(self, tree: Path, root: Path, golden: dict):
        self.tree, self.root, self.golden = tree, root, golden
        (root / "configs" / "base").mkdir(parents=True)  # its own (empty) base layer: no library base
        for variant in golden["overrides"]:
            make_tree.write_overrides(root, variant, golden["workspace"])
        self.workspace = Workspace(root, golden["workspace"])
        self.index = discover(root / "configs", {"SKIFF_EXTRA_CONFIGS_PATH": str(tree)})
        self.chain = resolve(self.index, golden["skiff_config"])

    def norm(self, text: str | None) -> str | None:
        if text is None:
            return None
        for real, token in (
            (self.workspace.overrides_dir, "@WS_OVERRIDES@"),
            (self.root / "overrides", "@OVERRIDES@"),
            (self.tree, "@TREE@"),
        ):
            text = text.replace(str(real), token)
        return text

    def chain_of(self, names: list[str]) -> Chain:
        return Chain(selection=list(names), packages=[self.index.get(n) for n in names])

    def merge(self, layers, chain: Chain):
        stack = layers.build_stack(self.root, self.index, chain, self.workspace)
        params = inspect.signature(layers.merge).parameters
        return layers.merge(stack, self.workspace.final_dir) if len(params) > 1 else layers.merge(stack)


@pytest.fixture
def engine(tree, tmp_path):
    return lambda golden: Engine(tree, tmp_path / "root", golden)


def is_generated(layers, assignment) -> bool:
    return assignment.origin.layer.split(":")[0] == layers.GENERATED


def our_values(layers, eng: Engine, merged, kind: str) -> dict[str, str | None]:
    frag = merged.fragments[kind]
    out = {}
    for symbol in frag.values():
        final = frag.final(symbol)
        if is_generated(layers, final) or symbol in capture_goldens.POST_SYMBOLS:
            continue
        out[symbol] = eng.norm(final.value)
    return out


def depends_on(index, pkg: str, dep: str) -> bool:
    """pkg needs dep, directly or through other packages."""
    todo, seen = list(index.packages[pkg].dependencies), set()
    while todo:
        name = todo.pop()
        if name == dep:
            return True
        if name not in seen:
            seen.add(name)
            todo.extend(index.packages[name].dependencies)
    return False


def late_dependencies(index, chain: list[str]) -> set[str]:
    """Packages placed after some package of the chain that needs them."""
    return {dep for i, dep in enumerate(chain) for pkg in chain[:i] if depends_on(index, pkg, dep)}


# --- the tree itself ---------------------------------------------------------------------------


def test_goldens_were_captured_on_this_tree(tree):
    assert capture_goldens.tree_digest(tree) == META["tree_digest"], (
        "make_tree.py changed since the goldens were captured: rerun tests/compat/capture_goldens.py"
    )
    assert sorted(GOLDENS) == META["selections"]
    assert len(GOLDENS) >= 20 and len(DIFFERS) == len(OUR_DIFFERS_CHAINS)


def test_tree_is_skiffos_shaped(tree, tmp_path):
    index = discover(tmp_path, {"SKIFF_EXTRA_CONFIGS_PATH": str(tree)})
    assert index.warnings == []
    names = list(index.packages)
    assert len(names) >= 100 and len({n.split("/")[0] for n in names}) >= 25

    def depth(name: str) -> int:
        deps = index.packages[name].dependencies
        return 1 + max(map(depth, deps)) if deps else 0

    assert max(map(depth, names)) == 5
    kiosk = index.packages["ui/kiosk"].dependencies
    assert all("ui/gfx" in index.packages[d].dependencies for d in kiosk)  # the diamond
    assert [n for n, p in index.packages.items() if p.defects] == ["tools/tmux"]  # commands, no extensions/
    assert {p.name for p in index.packages.values() if p.unlisted} == {
        "sys/users",
        "dev/i2c",
        "steam/common",
        "appl/common",
    }


# --- chains ------------------------------------------------------------------------------------


@pytest.mark.parametrize("ident", SAME)
def test_same_chain_as_skiffos(engine, ident):
    golden = GOLDENS[ident]
    eng = engine(golden)
    assert eng.chain.names == golden["skiffos_chain"]
    assert eng.chain.notes == []
    assert [eng.norm(str(p.path)) for p in eng.chain.packages] == golden["skiffos_config_paths"]


@pytest.mark.parametrize("ident", DIFFERS)
def test_dependency_after_dependent_is_moved_before(engine, ident):
    golden = GOLDENS[ident]
    eng = engine(golden)
    ours, theirs = eng.chain.names, golden["skiffos_chain"]
    assert ours == OUR_DIFFERS_CHAINS[ident]
    assert late_dependencies(eng.index, ours) == set()
    moved = late_dependencies(eng.index, theirs)
    assert moved, "SkiffOS's chain was expected to hold a dependency after its dependent"
    # Exactly that way: same packages, and with the late dependencies taken out, the same order.
    assert sorted(ours) == sorted(theirs)
    assert [n for n in ours if n not in moved] == [n for n in theirs if n not in moved]
    user_order = ident.startswith("differs_user_")
    if user_order:  # the user listed a dependency after its dependent: we say we moved it
        assert eng.chain.notes and all(note.split()[0] in moved for note in eng.chain.notes)


def test_move_caused_by_a_dependency_list_is_noted(engine):
    eng = engine(GOLDENS["differs_declared_pinebk_phone"])
    assert any(note.startswith("sys/moduleimg moved before pinebk/common") for note in eng.chain.notes)


# --- merged values -----------------------------------------------------------------------------


def check_merge(layers, eng: Engine, merged, golden: dict) -> None:
    for kind in KINDS:
        assert our_values(layers, eng, merged, kind) == golden["fragments"][kind], kind
    tokens = [t for flags, _ in merged.cflags for t in flags.split()]
    assert tokens == (golden["target_optimization"] or [])
    opt = merged.fragments["buildroot"].value("BR2_TARGET_OPTIMIZATION")
    from skiff_tui.core.config.fragments import unquote

    assert (unquote(opt).split() if opt is not None else None) == golden["target_optimization"]
    assert [eng.norm(str(p)) for p in merged.overlays] == golden["overlays"]
    for dirname, paths in golden["patches"].items():
        assert [eng.norm(str(p)) for p in merged.patches[dirname]] == paths, dirname
    assert [eng.norm(str(e.path)) for e in merged.externals] == golden["externals"]
    for which in ("pre", "post"):
        assert [eng.norm(str(hook)) for _, hook in merged.hooks[which]] == golden["hooks"][which], which
    users = [
        line
        for _, text in merged.users
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert users == golden["users"]


@pytest.mark.parametrize("ident", SAME)
def test_same_merged_values_as_skiffos(engine, layers, ident):
    golden = GOLDENS[ident]
    eng = engine(golden)
    check_merge(layers, eng, eng.merge(layers, eng.chain), golden)


@pytest.mark.parametrize("ident", DIFFERS)
def test_differs_merge(engine, layers, ident):
    """In SkiffOS's order we merge to SkiffOS's values; in ours the package beats its dependency."""
    golden = GOLDENS[ident]
    eng = engine(golden)
    check_merge(layers, eng, eng.merge(layers, eng.chain_of(golden["skiffos_chain"])), golden)
    kind, symbol, theirs, ours = SILENT_OVERRIDES[ident]
    assert golden["fragments"][kind][symbol] == theirs
    merged = eng.merge(layers, eng.chain)
    assert our_values(layers, eng, merged, kind)[symbol] == ours
    assert theirs != ours


def test_configs_root_token_and_quotes_survive(engine, layers):
    """Spot checks that the goldens hold the tricky values the comparison relies on."""
    golden = GOLDENS["overrides_both"]
    eng = engine(golden)
    values = our_values(layers, eng, eng.merge(layers, eng.chain), "buildroot")
    assert values["BR2_TARGET_GENERIC_ISSUE"] == r'"Workspace \"compat\" at @WS_OVERRIDES@"'
    assert values["BR2_PACKAGE_RPI_FIRMWARE_CONFIG_FILE"] == '"@OVERRIDES@/rpi/config.txt"'
    assert values == golden["fragments"]["buildroot"]
    kiosk = GOLDENS["diamond_kiosk"]["fragments"]["buildroot"]
    assert kiosk["BR2_PACKAGE_COG_PROGRAMS_HOME_URI"] == '"http://localhost:8080/?a=1&b=two words"'


# --- commands and listing ----------------------------------------------------------------------


@pytest.mark.parametrize("ident", sorted(GOLDENS))
def test_commands_match_except_unterminated_last_line(engine, ident):
    golden = GOLDENS[ident]
    eng = engine(golden)
    for pkg in eng.chain.packages:
        ours = [[c.name, c.description] for c in pkg.commands]
        theirs = golden["commands"].get(pkg.name, [])
        if not pkg.has_extensions:
            assert theirs == [] and (not ours or pkg.defects)
            continue
        text = (pkg.path / "metadata" / "commands").read_text() if ours else ""
        if text and not text.endswith("\n"):
            assert ours == theirs + [ours[-1]]  # SkiffOS drops it (differs)
        else:
            assert ours == theirs


def test_listing_matches_skiffos(tree, tmp_path):
    listed = json.loads((GOLDEN_DIR / "_listing.json").read_text())["listed"]
    index = discover(tmp_path, {"SKIFF_EXTRA_CONFIGS_PATH": str(tree)})
    assert {p.name: p.description for p in index.listed()} == listed
    assert len(listed) == len(index.packages) - 4  # the unlisted ones stay selectable, not shown
