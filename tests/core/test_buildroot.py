"""docs/behaviour.md#buildroot: locating Buildroot, the verified fetch, make invocations, .config reading."""

import subprocess
from pathlib import Path

import pytest
from skifftest import real_buildroot, requires_buildroot

from skiff_tui.core.builds import buildroot
from skiff_tui.core.errors import BuildrootError


def fake_tree(path: Path) -> Path:
    (path / "package").mkdir(parents=True)
    (path / "Config.in").write_text("")
    (path / "Makefile").write_text("export BR2_VERSION := 2026.02.3\n")
    return path


def test_locate_prefers_skiff_buildroot_src_then_buildroot_dir_then_cache(tmp_path):
    a, b = fake_tree(tmp_path / "a"), fake_tree(tmp_path / "b")
    cache = tmp_path / "cache"
    assert buildroot.locate({"SKIFF_CACHE_DIR": str(cache)}) is None
    assert buildroot.locate({"SKIFF_BUILDROOT_SRC": str(a), "BUILDROOT_DIR": str(b)}) == a
    assert buildroot.locate({"BUILDROOT_DIR": str(b)}) == b
    # inside hooks BUILDROOT_DIR is the workspace (SkiffOS naming): not a tree, so ignored
    assert buildroot.locate({"BUILDROOT_DIR": str(tmp_path), "SKIFF_CACHE_DIR": str(cache)}) is None
    fake_tree(cache / f"buildroot-{buildroot.VERSION}")
    assert buildroot.locate({"SKIFF_CACHE_DIR": str(cache)}) == cache / f"buildroot-{buildroot.VERSION}"
    assert buildroot.tree_version(a) == "2026.02.3"


def test_skiff_buildroot_src_that_is_not_a_tree_is_an_error(tmp_path):
    with pytest.raises(BuildrootError, match="does not point at a Buildroot tree"):
        buildroot.locate({"SKIFF_BUILDROOT_SRC": str(tmp_path)})


def test_fetch_refuses_a_tree_that_is_not_the_pinned_commit(tmp_path):
    """A mirror serving the right tag name but other content is refused, and nothing is cached."""
    repo = tmp_path / "mirror"
    fake_tree(repo)
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "not buildroot"], check=True)
    subprocess.run([*git, "tag", buildroot.VERSION], check=True)
    env = {"SKIFF_CACHE_DIR": str(tmp_path / "cache"), "SKIFF_BUILDROOT_GIT_URL": f"file://{repo}"}
    with pytest.raises(BuildrootError, match=f"expected {buildroot.COMMIT}; refusing it"):
        buildroot.obtain(env, log=lambda m: None)
    assert list((tmp_path / "cache").iterdir()) == []


def test_fetch_failure_is_one_clear_line(tmp_path):
    env = {"SKIFF_CACHE_DIR": str(tmp_path / "cache"), "SKIFF_BUILDROOT_GIT_URL": f"file://{tmp_path}/nothing"}
    with pytest.raises(BuildrootError, match="could not fetch Buildroot") as err:
        buildroot.obtain(env, log=lambda m: None)
    assert "SKIFF_BUILDROOT_SRC" in str(err.value)


def test_make_argv_is_absolute_with_externals_and_defconfig(tmp_path):
    argv = buildroot.make_argv(Path("/br"), Path("ws"), [Path("e1"), Path("e2")], Path("cfg/defconfig"), "all")
    cwd = Path.cwd()
    assert argv == [
        "make",
        "-C",
        "/br",
        f"O={cwd}/ws",
        f"BR2_EXTERNAL={cwd}/e1 {cwd}/e2",
        f"BR2_DEFCONFIG={cwd}/cfg/defconfig",
        "all",
    ]
    env = buildroot.make_env({"TERM": "xterm-256color", "MAKEFLAGS": "-j8", "PATH": "/usr/bin"})
    assert env["TERM"] == "dumb" and "MAKEFLAGS" not in env


def test_read_config(tmp_path):
    f = tmp_path / ".config"
    f.write_text('#\n# comment\nBR2_A=y\n# BR2_B is not set\nBR2_S="x y"\n')
    assert buildroot.read_config(f) == {"BR2_A": "y", "BR2_B": None, "BR2_S": '"x y"'}
    assert buildroot.read_config(tmp_path / "missing") == {}


@requires_buildroot
def test_kconfiglib_loads_real_buildroot_with_literal_make_variables(tmp_path):
    REAL = real_buildroot()
    ext = tmp_path / "ext"
    ext.mkdir()
    (ext / "Config.in").write_text('config BR2_PACKAGE_SKIFF_TEST\n\tbool "skiff test"\n')
    kconf = buildroot.load_kconfig(REAL, tmp_path / "base", [("SKIFFTEST", ext)])
    assert kconf.syms["BR2_DL_DIR"].str_value == "$(TOPDIR)/dl"
    assert kconf.syms["BR2_PACKAGE_SKIFF_TEST"].nodes
    assert kconf.syms["BR2_EXTERNAL_SKIFFTEST_PATH"].str_value == str(ext)
