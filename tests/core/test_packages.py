"""docs/behaviour.md#configuration-packages: discovery from the three sources, precedence, names,
metadata, error paths."""

import os

import pytest
from skifftest import write_package

from skiff_tui.core.errors import PackageError, ResolveError
from skiff_tui.core.library.packages import discover, env_var_for


def test_metadata_files(tmp_path):
    c = tmp_path / "configs"
    write_package(
        c,
        "pi/4",
        description="Raspberry Pi 4  \nsecond line ignored",
        deps="a/b,\n c/d  e/f",
        commands="format Format the card\ninstall Install the image",
        unlisted=True,
        files={"metadata/buildtarget": "legal-info\n", "extensions/Makefile": "format:\ninstall:\n"},
    )
    pkg = discover(c, env={}).packages["pi/4"]
    assert pkg.description == "Raspberry Pi 4"
    assert pkg.dependencies == ("a/b", "c/d", "e/f")
    assert [(cmd.name, cmd.description) for cmd in pkg.commands] == [
        ("format", "Format the card"),
        ("install", "Install the image"),
    ]  # last line w/o newline counts
    assert pkg.unlisted and pkg.buildtarget == "legal-info" and pkg.defects == []


def test_description_is_verbatim_not_a_format_string(tmp_path):
    c = tmp_path / "configs"
    write_package(c, "a/b", description="100% of %s and \\n")
    assert discover(c, env={}).packages["a/b"].description == "100% of %s and \\n"


def test_commands_without_extensions_is_a_defect(tmp_path):
    c = tmp_path / "configs"
    write_package(c, "a/b", commands="run Run it")
    assert "no extensions/ directory" in discover(c, env={}).packages["a/b"].defects[0]


def test_unlisted_hidden_from_listing_but_selectable(tmp_path):
    c = tmp_path / "configs"
    write_package(c, "a/shown", description="x")
    write_package(c, "a/hidden", unlisted=True)
    index = discover(c, env={})
    assert [p.name for p in index.listed()] == ["a/shown"]
    assert [p.name for p in index.listed(include_unlisted=True)] == ["a/hidden", "a/shown"]
    assert index.get("a/hidden").name == "a/hidden"


def test_precedence_env_var_then_extra_roots_in_order_then_configs(tmp_path):
    c, e1, e2, solo = (tmp_path / n for n in ("configs", "extra1", "extra2", "solo"))
    for root, tag in ((c, "configs"), (e1, "extra1"), (e2, "extra2")):
        write_package(root, "pi/4", description=tag)
        write_package(root, f"only/{tag}", description=tag)
    write_package(e2, "pi/3", description="extra2")
    write_package(c, "pi/3", description="configs")
    solo.mkdir()
    (solo / "metadata").mkdir()
    (solo / "metadata" / "description").write_text("from env var\n")
    env = {"SKIFF_EXTRA_CONFIGS_PATH": f"{e1}:{e2}"}
    index = discover(c, env=env)
    assert index.get("pi/4").description == "extra1"
    assert index.get("pi/3").description == "extra2"
    assert {p.name for p in index.listed()} >= {"only/configs", "only/extra1", "only/extra2"}
    env[env_var_for("pi/4")] = str(solo)
    index = discover(c, env=env)
    pkg = index.get("pi/4")
    assert pkg.description == "from env var" and pkg.source == "env:SKIFF_CONFIG_PATH_PI_4"
    # an overriding package replaces the built-in one whole: no files merged from the other
    assert pkg.path == solo.resolve()


def test_env_var_name_spelling():
    assert env_var_for("pi/4x64") == "SKIFF_CONFIG_PATH_PI_4X64"


def test_colliding_variable_names_are_an_error(tmp_path):
    c = tmp_path / "configs"
    write_package(c, "a_b/c")
    write_package(c, "a/b_c")
    with pytest.raises(PackageError, match="both map to SKIFF_CONFIG_PATH_A_B_C"):
        discover(c, env={})


def test_unreadable_or_missing_root_is_a_warning(tmp_path):
    c = tmp_path / "configs"
    write_package(c, "a/b")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o000)
    try:
        index = discover(c, env={"SKIFF_EXTRA_CONFIGS_PATH": f"{tmp_path / 'nope'}:{locked}"})
    finally:
        locked.chmod(0o755)
    assert "a/b" in index
    assert any("does not exist" in w for w in index.warnings)
    if os.geteuid() != 0:  # root can read a 000 directory
        assert any("cannot read" in w for w in index.warnings)


def test_invalid_directory_names_are_skipped_with_a_warning(tmp_path):
    c = tmp_path / "configs"
    write_package(c, "ok/pkg")
    (c / "bad-ns" / "pkg").mkdir(parents=True)
    (c / "ok" / "we\\ird").mkdir(parents=True)
    index = discover(c, env={})
    assert list(index.packages) == ["ok/pkg"]
    assert len([w for w in index.warnings if "invalid package name" in w]) == 2


@pytest.mark.parametrize("content,line", [(b"a/b\n\xff\xfe", 2), (b"ok/x\nbad\x00/y\n", 2)])
def test_garbage_bytes_in_metadata_name_file_and_line(tmp_path, content, line):
    c = tmp_path / "configs"
    pkg = write_package(c, "a/broken")
    (pkg / "metadata" / "dependencies").write_bytes(content)
    write_package(c, "a/fine", description="still listed")
    index = discover(c, env={})
    assert index.get("a/fine").description == "still listed"  # one broken package doesn't sink the rest
    with pytest.raises(PackageError) as err:
        index.get("a/broken")
    assert f"{pkg / 'metadata' / 'dependencies'}:{line}:" in str(err.value)


def test_invalid_dependency_name_in_metadata(tmp_path):
    c = tmp_path / "configs"
    write_package(c, "a/b", deps="good/one, not-a-name")
    with pytest.raises(PackageError, match="invalid package name 'not-a-name'"):
        discover(c, env={}).get("a/b")


def test_unknown_package_suggests_close_names(tmp_path):
    c = tmp_path / "configs"
    write_package(c, "odroid/xu")
    write_package(c, "odroid/u")
    with pytest.raises(ResolveError, match="did you mean odroid/xu"):
        discover(c, env={}).get("odroid/xu4")


def test_env_var_alone_provides_a_package_when_selected(tmp_path):
    from skiff_tui.core.library.resolve import resolve

    c = tmp_path / "configs"
    write_package(c, "a/base", description="base")
    solo = write_package(tmp_path / "elsewhere", "my/board", description="from the variable", deps="a/base")
    index = discover(c, env={"SKIFF_CONFIG_PATH_MY_BOARD": str(solo)})
    assert "my/board" not in [p.name for p in index.listed()]  # the variable can't tell its name
    assert resolve(index, "my/board").names == ["a/base", "my/board"]
    assert index.get("my/board").source == "env:SKIFF_CONFIG_PATH_MY_BOARD"
    with pytest.raises(ResolveError, match="unknown package 'my/other'"):
        index.get("my/other")
