"""docs/behaviour.md#resolution: selection parsing, the chain order, the deliberate fix, and every error path."""

from pathlib import Path

import pytest
from skifftest import write_package

from skiff_tui.core.errors import PackageError, ResolveError
from skiff_tui.core.library.packages import discover
from skiff_tui.core.library.resolve import parse_selection, resolve


@pytest.fixture
def skiffos_like(tmp_path) -> Path:
    """The dependency facts of SkiffOS's own packages that the docs/behaviour.md#resolution examples use."""
    c = tmp_path / "configs"
    write_package(c, "skiff/moduleimg", description="modules image")
    write_package(c, "pi/common", description="pi common", deps="skiff/moduleimg")
    write_package(c, "pi/4x64", description="pi 4 64-bit", deps="pi/common")
    write_package(c, "pi/4", description="Raspberry Pi 4", deps="skiff/moduleimg,pi/common,pi/4x64")
    write_package(c, "apps/runc", description="runc")
    write_package(c, "apps/containerd", description="containerd", deps="apps/runc")
    write_package(c, "apps/docker", description="docker", deps="apps/runc, apps/containerd")
    write_package(c, "skiff/core", description="core", deps="apps/docker")
    write_package(c, "pine64/common", deps="skiff/moduleimg")
    write_package(c, "pine64/phone", deps="pine64/common,skiff/moduleimg")
    write_package(c, "jetson/common")
    write_package(c, "jetson/agx", deps="jetson/common skiff/core")
    return c


def test_parse_selection_commas_spaces_blanks_and_duplicates():
    assert parse_selection(" pi/4, ,skiff/core  apps/docker,pi/4 ") == ["pi/4", "skiff/core", "apps/docker"]
    assert parse_selection("") == []


@pytest.mark.parametrize("bad", ["pi", "pi/4/x", "pi/4\\x", "p i/4x,", "../etc", "pi/-4"])
def test_invalid_names_are_errors(bad):
    with pytest.raises(PackageError, match="invalid package name"):
        parse_selection(bad if "," not in bad else bad.replace(" ", "-"))


def test_spec_example_pi4_skiff_core(skiffos_like):
    index = discover(skiffos_like, env={})
    chain = resolve(index, "pi/4,skiff/core")
    assert chain.names == [
        "skiff/moduleimg",
        "pi/common",
        "pi/4x64",
        "pi/4",
        "apps/runc",
        "apps/containerd",
        "apps/docker",
        "skiff/core",
    ]
    assert chain.pulled_by["apps/docker"] == "skiff/core"
    assert "pi/4" not in chain.pulled_by and chain.notes == []


def test_spec_pine64_phone_dependency_placed_before_dependent(skiffos_like):
    index = discover(skiffos_like, env={})
    assert resolve(index, "pine64/phone").names == ["skiff/moduleimg", "pine64/common", "pine64/phone"]


def test_spec_jetson_agx_with_skiff_core_moves_core_before_and_says_so(skiffos_like):
    index = discover(skiffos_like, env={})
    chain = resolve(index, "jetson/agx,skiff/core")
    assert chain.names == ["jetson/common", "apps/runc", "apps/containerd", "apps/docker", "skiff/core", "jetson/agx"]
    assert chain.notes == ["skiff/core moved before jetson/agx, which depends on it"]


def test_user_order_holds_for_independent_packages(skiffos_like):
    index = discover(skiffos_like, env={})
    assert resolve(index, "apps/runc jetson/common").names == ["apps/runc", "jetson/common"]
    assert resolve(index, "jetson/common apps/runc").names == ["jetson/common", "apps/runc"]


def test_unknown_package_names_closest(skiffos_like):
    index = discover(skiffos_like, env={})
    with pytest.raises(ResolveError) as err:
        resolve(index, "pi/5")
    assert "unknown package 'pi/5'" in str(err.value) and "pi/4" in str(err.value)


def test_unknown_dependency_names_the_dependent(skiffos_like):
    write_package(skiffos_like, "x/y", deps="x/missing")
    index = discover(skiffos_like, env={})
    with pytest.raises(ResolveError, match=r"unknown package 'x/missing' \(needed by x/y\)"):
        resolve(index, "x/y")


def test_cycle_is_printed(tmp_path):
    c = tmp_path / "c"
    write_package(c, "a/a", deps="b/b")
    write_package(c, "b/b", deps="c/c")
    write_package(c, "c/c", deps="a/a")
    with pytest.raises(ResolveError, match=r"dependency cycle: a/a -> b/b -> c/c -> a/a"):
        resolve(discover(c, env={}), "a/a")


def test_base_namespace_cannot_be_selected():
    with pytest.raises(ResolveError, match="base layer"):
        parse_selection("base/pre")


def test_move_caused_by_a_packages_own_dependency_list_is_reported(skiffos_like):
    # pine64/phone lists pine64/common before skiff/moduleimg, which pine64/common needs
    chain = resolve(discover(skiffos_like, env={}), "pine64/phone")
    assert chain.notes == ["skiff/moduleimg moved before pine64/common, which depends on it"]
    assert chain.pulled_by == {"pine64/common": "pine64/phone", "skiff/moduleimg": "pine64/common"}
