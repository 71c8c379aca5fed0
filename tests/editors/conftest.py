"""Fixtures for the editor tests: a tiny Kconfig tree laid out like Buildroot's top level.

Like Buildroot, Config.in sources `$BR2_BASE_DIR/.br2-external.in.paths` and `.menus` (generated
by the engine for the external trees) and uses make variables inside string defaults. It holds a
choice, bool/tristate/int/hex/string symbols, depends/select/imply, a menu and a menuconfig.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from skifftest import write_package

CONFIG_IN = """\
mainmenu "Tiny $BR2_VERSION Configuration"

config BR2_HAVE_DOT_CONFIG
\tbool
\tdefault y

config BR2_VERSION
\tstring
\toption env="BR2_VERSION_FULL"

config BR2_BASE_DIR
\tstring
\toption env="BR2_BASE_DIR"

# br2-external paths definitions
source "$BR2_BASE_DIR/.br2-external.in.paths"

config MODULES
\tbool
\tdefault y

menu "Target options"

choice
\tprompt "Target Architecture"
\tdefault BR2_x86_64
\thelp
\t  The architecture to build for.

config BR2_arm
\tbool "ARM (little endian)"

config BR2_x86_64
\tbool "x86_64"

endchoice

endmenu

menu "Build options"

config BR2_DL_DIR
\tstring "Download dir"
\tdefault "$(TOPDIR)/dl"

config BR2_JLEVEL
\tint "Number of jobs to run simultaneously (0 for auto)"
\tdefault 0
\trange 0 64

config BR2_LOAD_ADDR
\thex "Kernel load address"
\tdefault 0x8000
\trange 0x1000 0xffff

endmenu

source "system/Config.in"

menu "Target packages"

config BR2_USE_WCHAR
\tbool "Enable WCHAR support"
\tdefault y

config BR2_PACKAGE_BUSYBOX
\tbool "BusyBox"
\tdefault y
\thelp
\t  The Swiss Army Knife of embedded Linux.

menuconfig BR2_PACKAGE_PYTHON3
\tbool "python3"
\tdepends on BR2_USE_WCHAR
\tselect BR2_PACKAGE_LIBFFI
\timply BR2_PACKAGE_ZLIB
\thelp
\t  The python language interpreter.

if BR2_PACKAGE_PYTHON3

config BR2_PACKAGE_PYTHON3_SSL
\tbool "ssl"

endif

config BR2_PACKAGE_LIBFFI
\tbool "libffi"

config BR2_PACKAGE_ZLIB
\tbool "zlib"

config BR2_PACKAGE_ARMONLY
\tbool "armonly tool"
\tdepends on BR2_arm

config BR2_PACKAGE_KMOD
\ttristate "kmod"

endmenu

source "$BR2_BASE_DIR/.br2-external.in.menus"
"""

SYSTEM_CONFIG_IN = """\
menu "System configuration"

config BR2_TARGET_GENERIC_HOSTNAME
\tstring "System hostname"
\tdefault "buildroot"

comment "Root filesystem overlay"

endmenu
"""

EXTERNAL_CONFIG_IN = """\
config BR2_PACKAGE_TINY_APP
\tbool "tiny app (from $BR2_EXTERNAL_TINY_PATH)"
\thelp
\t  An application shipped by an external tree.
"""


@pytest.fixture
def kconfig_tree(tmp_path) -> Path:
    """A Buildroot-shaped tree: Config.in, Makefile, package/, system/Config.in."""
    tree = tmp_path / "buildroot"
    (tree / "package").mkdir(parents=True)
    (tree / "system").mkdir()
    (tree / "Config.in").write_text(CONFIG_IN)
    (tree / "system" / "Config.in").write_text(SYSTEM_CONFIG_IN)
    (tree / "Makefile").write_text("export BR2_VERSION := 2026.02.3\n")
    return tree


def external_files(name: str = "TINY") -> dict[str, str]:
    return {
        "buildroot_ext/external.desc": f"name: {name}\n",
        "buildroot_ext/Config.in": EXTERNAL_CONFIG_IN,
        "buildroot_ext/external.mk": "",
    }


@pytest.fixture
def kconfig_root(skiff_root, kconfig_tree, monkeypatch):
    """A skiff tree with one board package (fragment + external) and the tiny Buildroot tree."""
    write_package(
        skiff_root / "configs",
        "tiny/board",
        description="A tiny board",
        files={"buildroot/10-board": "BR2_arm=y\nBR2_JLEVEL=2\n", **external_files()},
    )
    monkeypatch.setenv("SKIFF_BUILDROOT_SRC", str(kconfig_tree))
    monkeypatch.setenv("SKIFF_CONFIG", "tiny/board")
    return skiff_root


@pytest.fixture
def kconfig_texts() -> dict[str, str]:
    """The fixture tree's sources, for tests that check line numbers or build their own tree."""
    return {"Config.in": CONFIG_IN, "system/Config.in": SYSTEM_CONFIG_IN, "external/Config.in": EXTERNAL_CONFIG_IN}


@pytest.fixture(autouse=True)
def _read_write_session():
    """Read-only mode is process-wide (and sets SKIFF_READ_ONLY): start and end every test without it."""
    from skiff_tui.core import readonly

    readonly.set_read_only(False)
    yield
    readonly.set_read_only(False)


@pytest.fixture
def make_app(kconfig_root):
    """The real SkiffApp over the kconfig_root tree (the editors are sections of it)."""
    import os

    from skiff_tui.ui.app import SkiffApp

    def make(**kwargs):
        kwargs.setdefault("root", kconfig_root)
        kwargs.setdefault("env", dict(os.environ))
        return SkiffApp(**kwargs)

    return make


async def settle(app, pilot) -> None:
    """Let thread workers finish and their results render (Pilot's idle wait alone can miss a
    thread worker's result)."""
    for _ in range(2):
        await app.workers.wait_for_complete()
        await pilot.pause()


@pytest.fixture
def settled():
    return settle
