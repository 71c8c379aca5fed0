"""core.editors.kconfig: the Kconfig editor's model over a tiny Buildroot-shaped tree (and the real one
when /tmp/buildroot is there)."""

from __future__ import annotations

import os
import time

import pytest

from skifftest import real_buildroot, requires_buildroot, tree_snapshot
from skiff_tui.core import readonly
from skiff_tui.core.editors.delta import DELTA_NAME, delta_path
from skiff_tui.core.errors import BuildrootError, ReadOnlyError
from skiff_tui.core.editors.kconfig import KconfigEditError, KconfigLoadError, KconfigModel, open_workspace
from skiff_tui.core.workspace import Workspace
from skiff_tui.core.session import Session


@pytest.fixture
def read_only_off(monkeypatch):
    monkeypatch.setattr(readonly, "_read_only", False)
    monkeypatch.delenv(readonly.ENV_VAR, raising=False)
    yield
    readonly._read_only = False
    os.environ.pop(readonly.ENV_VAR, None)


@pytest.fixture
def model(kconfig_tree, kconfig_texts, tmp_path, read_only_off) -> KconfigModel:
    ext = tmp_path / "ext"
    ext.mkdir()
    (ext / "Config.in").write_text(kconfig_texts["external/Config.in"])
    baseline = tmp_path / "merged"
    baseline.write_text("BR2_arm=y\nBR2_JLEVEL=2\n")
    return KconfigModel.load(kconfig_tree, tmp_path / "base", [("TINY", ext)], baseline_config=baseline)


def labels(model, node=None):
    return [e.label for e in model.children(node)]


def child(model, parent, prompt_start):
    for e in model.children(parent):
        if e.node.prompt and e.node.prompt[0].startswith(prompt_start):
            return e
    raise AssertionError(f"no {prompt_start!r} under {parent}: {labels(model, parent)}")


def line_of(text: str, needle: str) -> int:
    return text.splitlines().index(needle) + 1


# --- tree ------------------------------------------------------------------------------------
def test_top_menus_title_and_literal_make_variables(model):
    assert model.title() == "Tiny 2026.02.3 Configuration"
    assert labels(model) == [
        "Target options  --->",
        "Build options  --->",
        "System configuration  --->",
        "Target packages  --->",
        "External options  --->",
    ]
    # $(TOPDIR) stays literal, for make to expand (kconfiglib would otherwise make it "/dl")
    assert model.kconf.syms["BR2_DL_DIR"].str_value == "$(TOPDIR)/dl"


def test_value_column_choice_menuconfig_and_external(model):
    target = child(model, None, "Target options")
    arch = child(model, target.node, "Target Architecture")
    assert arch.label == "Target Architecture (ARM (little endian))  --->"
    assert labels(model, arch.node) == ["(X) ARM (little endian)", "( ) x86_64"]
    packages = child(model, None, "Target packages").node
    assert labels(model, packages) == [
        "[*] Enable WCHAR support",
        "[*] BusyBox",
        "[ ] python3  --->",
        "[ ] libffi",
        "[ ] zlib",
        "[ ] armonly tool",
        "< > kmod",
    ]
    ext = child(model, None, "External options").node
    assert [e.label for e in model.children(ext)][0].startswith("[ ] tiny app (from ")
    build = child(model, None, "Build options").node
    assert labels(model, build) == [
        "($(TOPDIR)/dl) Download dir",
        "(2) Number of jobs to run simultaneously (0 for auto)",
        "(0x8000) Kernel load address",
    ]


def test_show_all_and_show_name(model):
    packages = child(model, None, "Target packages").node
    python = child(model, packages, "python3")
    assert not python.expandable  # its only child (ssl) is hidden while python3 is n
    model.show_all = True
    python = child(model, packages, "python3")
    assert python.expandable
    ssl = model.children(python.node)[0]
    assert ssl.label == "[ ] ssl" and not ssl.visible
    model.show_all = False
    model.show_name = True
    assert "[*] BusyBox  <BR2_PACKAGE_BUSYBOX>" in labels(model, packages)
    # a symbol whose dependency is not met is hidden, and shown only with show-all
    model.toggle(model.find("BR2_x86_64"))
    assert not any("armonly" in l for l in labels(model, packages))
    model.show_all = True
    assert any("armonly" in l for l in labels(model, packages))


# --- search ----------------------------------------------------------------------------------
def test_search_terms_all_must_match_over_name_and_prompt(model):
    names = lambda q: [h.name for h in model.search(q)]
    assert names("python") == ["BR2_PACKAGE_PYTHON3", "BR2_PACKAGE_PYTHON3_SSL"]
    assert names("python ssl") == ["BR2_PACKAGE_PYTHON3_SSL"]  # both terms must match
    assert names("PACKAGE_python3$") == ["BR2_PACKAGE_PYTHON3"]  # regex, case-insensitive
    assert names("download dir") == ["BR2_DL_DIR"]  # both terms in the prompt
    assert names("^br2_(arm|x86)") == ["BR2_arm", "BR2_x86_64"]
    assert names("nothing-like-this") == []
    assert model.search("   ") == []
    menus = [h.prompt for h in model.search("options") if not h.name]
    assert menus == ["Target options", "Build options", "External options"]


def test_search_includes_hidden_symbols_and_rejects_bad_regex(model):
    model.toggle(model.find("BR2_x86_64"))
    [hit] = model.search("armonly")
    assert hit.name == "BR2_PACKAGE_ARMONLY" and not hit.visible
    [ssl] = model.search("python3_ssl")
    assert not ssl.visible and ssl.text == "BR2_PACKAGE_PYTHON3_SSL - ssl"
    with pytest.raises(KconfigEditError, match="bad regular expression '\\(py'"):
        model.search("(py")


def test_menu_path_and_path_to(model):
    ssl = model.find("BR2_PACKAGE_PYTHON3_SSL")
    assert model.menu_path(ssl) == "(Top) → Target packages → python3"
    assert [n.prompt[0] for n in model.path_to(ssl)] == ["Target packages", "python3"]


# --- info ------------------------------------------------------------------------------------
def test_info_of_a_symbol(model, kconfig_tree, kconfig_texts):
    text = model.info(model.find("BR2_PACKAGE_PYTHON3"))
    line = line_of(kconfig_texts["Config.in"], "menuconfig BR2_PACKAGE_PYTHON3")
    for expected in (
        "Prompt: python3",
        "Name: BR2_PACKAGE_PYTHON3",
        "Type: bool",
        "Value: n",
        "Help:\n  The python language interpreter.",
        "Direct dependencies (=y):\n  BR2_USE_WCHAR (=y)",
        "Selects:\n  - BR2_PACKAGE_LIBFFI",
        "Implies:\n  - BR2_PACKAGE_ZLIB",
        f"Defined at Config.in:{line}",
        "Menu path: (Top) → Target packages",
    ):
        assert expected in text, expected


def test_info_selected_by_and_implied_by_follow_values(model):
    libffi = model.find("BR2_PACKAGE_LIBFFI")
    assert "Selected by (n):\n  - BR2_PACKAGE_PYTHON3 (=n)" in model.info(libffi)
    model.toggle(model.find("BR2_PACKAGE_PYTHON3"))
    info = model.info(libffi)
    assert "Selected by (y):\n  - BR2_PACKAGE_PYTHON3 (=y)" in info and "Value: y" in info
    assert "Implied by (y):\n  - BR2_PACKAGE_PYTHON3 (=y)" in model.info(model.find("BR2_PACKAGE_ZLIB"))


def test_info_of_hidden_symbol_include_path_and_range(model, kconfig_tree):
    model.toggle(model.find("BR2_x86_64"))
    text = model.info(model.find("BR2_PACKAGE_ARMONLY"))
    assert "Hidden: its prompt's conditions are not met" in text
    assert "Direct dependencies (=n):\n  BR2_arm (=n)" in text
    hostname = model.info(model.find("BR2_TARGET_GENERIC_HOSTNAME"))
    assert "Defined at system/Config.in:3\n  included from Config.in:" in hostname
    assert model.defined_at(model.find("BR2_TARGET_GENERIC_HOSTNAME")) == (kconfig_tree / "system" / "Config.in", 3)
    assert "Menu path: (Top) → System configuration" in hostname
    assert "Range: 0x1000-0xffff" in model.info(model.find("BR2_LOAD_ADDR"))
    choice = model.find("BR2_arm").parent
    assert "Selection: BR2_x86_64" in model.info(choice) and "The architecture to build for." in model.info(choice)
    menu = model.info(child(model, None, "Build options").node)
    assert menu.startswith("Menu: Build options")


# --- editing ---------------------------------------------------------------------------------
def test_toggle_bool_and_tristate_and_direct_values(model):
    busybox = model.find("BR2_PACKAGE_BUSYBOX")
    assert model.toggle(busybox) == "n"
    assert model.toggle(busybox) == "y"
    kmod = model.find("BR2_PACKAGE_KMOD")
    assert [model.toggle(kmod) for _ in range(3)] == ["m", "y", "n"]
    assert model.set_tristate(kmod, "m") == "m"
    assert model.label(kmod) == "<M> kmod"
    with pytest.raises(KconfigEditError, match="cannot be m now"):
        model.set_tristate(busybox, "m")


def test_selected_symbol_is_pinned(model):
    model.toggle(model.find("BR2_PACKAGE_PYTHON3"))
    libffi = model.find("BR2_PACKAGE_LIBFFI")
    assert model.label(libffi) == "-*- libffi" and not model.is_changeable(libffi)
    with pytest.raises(KconfigEditError, match="selected by another option"):
        model.toggle(libffi)


def test_int_hex_string_validation(model):
    jobs, addr, host = (model.find(n) for n in ("BR2_JLEVEL", "BR2_LOAD_ADDR", "BR2_TARGET_GENERIC_HOSTNAME"))
    for node, bad, why in (
        (jobs, "100", "outside the allowed range 0-64"),
        (jobs, "4x", "not a decimal integer"),
        (addr, "zz", "not a hexadecimal number"),
        (addr, "0x10", "outside the allowed range"),
        (host, "a\nb", "line break"),
    ):
        with pytest.raises(KconfigEditError, match=why):
            model.set_text(node, bad)
    assert model.set_text(jobs, " 8 ") == "8"
    assert model.set_text(addr, "2000") == "0x2000"  # 0x is prepended, as menuconfig does
    assert model.set_text(host, 'my "box"') == 'my "box"'
    assert model.changes() == {
        "BR2_JLEVEL": "8",
        "BR2_LOAD_ADDR": "0x2000",
        "BR2_TARGET_GENERIC_HOSTNAME": '"my \\"box\\""',
    }
    with pytest.raises(KconfigEditError, match="not a string, int or hex"):
        model.set_text(model.find("BR2_PACKAGE_BUSYBOX"), "y")


def test_changes_hold_only_what_the_user_changed(model):
    assert model.changes() == {} and not model.dirty
    model.toggle(model.find("BR2_PACKAGE_PYTHON3"))  # selects libffi, implies zlib: not user changes
    model.toggle(model.find("BR2_x86_64"))  # a choice: old member off, new one on
    assert model.kconf.syms["BR2_PACKAGE_LIBFFI"].str_value == "y"
    assert model.changes() == {"BR2_arm": None, "BR2_x86_64": "y", "BR2_PACKAGE_PYTHON3": "y"}
    assert model.dirty and child(model, None, "Target packages").node
    # changed back to the merged value: nothing left to save
    model.toggle(model.find("BR2_PACKAGE_PYTHON3"))
    model.toggle(model.find("BR2_arm"))
    assert model.changes() == {} and not model.dirty


def test_revert_forgets_the_user_value(model):
    jobs = model.find("BR2_JLEVEL")
    model.set_text(jobs, "9")
    model.revert(jobs)
    assert model.changes() == {}
    assert model.kconf.syms["BR2_JLEVEL"].str_value == "0"  # the Kconfig default, no user value left


# --- saving ----------------------------------------------------------------------------------
def test_save_writes_the_delta_fragment(model, skiff_root):
    ws = Workspace(skiff_root, "dev")
    model.toggle(model.find("BR2_PACKAGE_PYTHON3"))
    model.set_text(model.find("BR2_TARGET_GENERIC_HOSTNAME"), "skiffy")
    path = model.save(ws)
    assert path == skiff_root / "overrides" / "workspaces" / "dev" / "buildroot" / DELTA_NAME
    body = [l for l in path.read_text().splitlines() if not l.startswith("# Changes") and not l.startswith("# Edit")]
    assert body == ['BR2_TARGET_GENERIC_HOSTNAME="skiffy"', "BR2_PACKAGE_PYTHON3=y"]
    assert not model.dirty and model.save(ws) is None  # nothing new to save
    model.toggle(model.find("BR2_PACKAGE_PYTHON3"))  # later edits fold into the same file
    model.save(ws)
    assert "# BR2_PACKAGE_PYTHON3 is not set" in path.read_text()
    assert 'BR2_TARGET_GENERIC_HOSTNAME="skiffy"' in path.read_text()
    assert not [p for p in (skiff_root / "configs").rglob("*") if not p.is_dir()]  # nothing written there


def test_read_only_refuses_edits_and_save(model, skiff_root):
    ws = Workspace(skiff_root, "dev")
    model.toggle(model.find("BR2_PACKAGE_ZLIB"))
    readonly.set_read_only(True)
    with pytest.raises(ReadOnlyError):
        model.toggle(model.find("BR2_PACKAGE_BUSYBOX"))
    with pytest.raises(ReadOnlyError):
        model.set_text(model.find("BR2_JLEVEL"), "3")
    with pytest.raises(ReadOnlyError):
        model.save(ws)
    assert not delta_path(ws).exists()
    assert model.search("zlib")  # reading still works


# --- the workspace entry point ---------------------------------------------------------------
def test_open_workspace_uses_the_merged_configuration_and_externals(kconfig_root, read_only_off):
    ws = Workspace(kconfig_root, "default")
    before = tree_snapshot(kconfig_root)
    stages = []
    session = open_workspace(Session(kconfig_root, dict(os.environ), ws), progress=stages.append)
    try:
        model = session.model
        assert stages == [
            "Resolving the package chain",
            "Parsing Buildroot's Kconfig",
            "Computing the merged configuration's values",
            "Laying out the menu",
        ]
        assert model.kconf.syms["BR2_arm"].str_value == "y" and model.kconf.syms["BR2_JLEVEL"].str_value == "2"
        app = model.find("BR2_PACKAGE_TINY_APP")
        assert model.is_visible(app)
        assert str(kconfig_root / "configs" / "tiny" / "board" / "buildroot_ext") in app.prompt[0]
        assert tree_snapshot(kconfig_root) == before  # loading writes nothing into the tree
        model.toggle(app)
        path = session.save()
    finally:
        session.close()
    assert not session.scratch.exists()
    assert path.read_text().splitlines()[-1] == "BR2_PACKAGE_TINY_APP=y"
    # reopened: the delta is part of the merged configuration now, so nothing is unsaved
    again = open_workspace(Session(kconfig_root, dict(os.environ), ws))
    try:
        assert again.model.kconf.syms["BR2_PACKAGE_TINY_APP"].str_value == "y"
        assert again.model.changes() == {}
    finally:
        again.close()


def test_open_workspace_prefers_the_config_and_a_newer_delta(kconfig_root, read_only_off):
    ws = Workspace(kconfig_root, "default")
    ws.dir.mkdir(parents=True)
    config = ws.dir / ".config"
    config.write_text("BR2_arm=y\nBR2_JLEVEL=4\n")
    os.utime(config, (time.time() - 100, time.time() - 100))
    delta = delta_path(ws)
    delta.parent.mkdir(parents=True)
    delta.write_text("BR2_PACKAGE_ZLIB=y\n")
    session = open_workspace(Session(kconfig_root, dict(os.environ), ws))
    try:
        model = session.model
        assert model.kconf.syms["BR2_JLEVEL"].str_value == "4"  # from .config
        assert model.kconf.syms["BR2_PACKAGE_ZLIB"].str_value == "y"  # delta saved after it
        assert model.source == f"{config} + {DELTA_NAME}"
        assert model.changes() == {}  # nothing changed *here*
        assert "Differs from the merged configuration (2)" in model.info(model.find("BR2_JLEVEL"))
    finally:
        session.close()


def test_kconfig_error_is_a_buildroot_error_with_file_and_line(kconfig_root, kconfig_tree, read_only_off):
    (kconfig_tree / "system" / "Config.in").write_text('menu "System configuration"\nconfig BR2_X\n\tbogus\nendmenu\n')
    with pytest.raises(BuildrootError) as info:
        open_workspace(Session(kconfig_root, dict(os.environ), Workspace(kconfig_root, "default")))
    assert f"{kconfig_tree / 'system' / 'Config.in'}:3" in str(info.value)
    assert isinstance(info.value, KconfigLoadError) and info.value.line == 3
    assert "skiff br menuconfig" in str(info.value)


def test_open_workspace_without_buildroot(kconfig_root, monkeypatch, read_only_off):
    env = dict(os.environ)
    env.pop("SKIFF_BUILDROOT_SRC")
    with pytest.raises(BuildrootError, match="no Buildroot tree yet"):
        open_workspace(Session(kconfig_root, env, Workspace(kconfig_root, "default")))


@requires_buildroot
def test_real_buildroot_tree(tmp_path, read_only_off, skiff_root):
    REAL_BUILDROOT = real_buildroot()
    baseline = REAL_BUILDROOT / "configs" / "raspberrypi4_64_defconfig"
    t0 = time.perf_counter()
    model = KconfigModel.load(REAL_BUILDROOT, tmp_path / "base", [], baseline_config=baseline)
    elapsed = time.perf_counter() - t0
    assert len(model.kconf.unique_defined_syms) > 8000
    assert model.title().startswith("Buildroot 20")
    assert [e.label for e in model.children()][:2] == ["Target options  --->", "Toolchain  --->"]
    assert model.kconf.syms["BR2_DL_DIR"].str_value == "$(TOPDIR)/dl"
    assert any(h.name == "BR2_PACKAGE_PYTHON3" for h in model.search("^br2_package_python3$"))
    model.toggle(model.find("BR2_PACKAGE_PYTHON3"))
    assert model.changes() == {"BR2_PACKAGE_PYTHON3": "y"}
    print(f"real Buildroot: load + baseline {elapsed:.2f} s")
    assert elapsed < 10  # generous: shared 2-core machine


def test_concurrent_loads_do_not_mix_environments(kconfig_tree, kconfig_texts, tmp_path):
    """load_kconfig sets os.environ and the cwd while parsing; two loads in threads (a reload
    started while the first still parses) must each see their own externals and restore both."""
    import threading

    env_before, cwd_before = dict(os.environ), os.getcwd()
    results, errors = {}, []

    def load(name):
        ext = tmp_path / name
        ext.mkdir()
        (ext / "Config.in").write_text(
            kconfig_texts["external/Config.in"].replace("EXTERNAL_TINY_PATH", f"EXTERNAL_{name}_PATH")
        )
        try:
            model = KconfigModel.load(kconfig_tree, tmp_path / f"base-{name}", [(name, ext)], baseline_config=None)
            results[name] = model.find("BR2_PACKAGE_TINY_APP").prompt[0]
        except Exception as exc:  # reported below with its text
            errors.append(exc)

    threads = [threading.Thread(target=load, args=(n,)) for n in ("ONE", "TWO", "THREE")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert results == {n: f"tiny app (from {tmp_path / n})" for n in ("ONE", "TWO", "THREE")}
    assert dict(os.environ) == env_before and os.getcwd() == cwd_before
