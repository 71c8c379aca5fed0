"""Functional: configure / compile / br / clean through the real CLI against the Buildroot-shaped
fixture tree (tests/fixtures/buildroot_tree, our own test double of Buildroot's interface)."""

import json
import os
import subprocess
import sys
import time

import pytest
from skifftest import requires_tools, run_skiff, tree_snapshot, write_package

from skiff_tui.core.builds.buildroot import HOST_TOOLS

REPO = __import__("pathlib").Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "buildroot_tree"
# `skiff compile` checks Buildroot's host tools first; the fixture's cpio root file system needs lz4.
pytestmark = [
    pytest.mark.skipif(not (FIXTURE / "Makefile").exists(), reason="Buildroot-shaped fixture tree not present"),
    requires_tools(*HOST_TOOLS, "lz4"),
]

BOARD = {
    "buildroot/00-arch": "BR2_aarch64=y\nBR2_cortex_a72=y\n",
    "buildroot/10-kernel": (
        'BR2_LINUX_KERNEL=y\nBR2_LINUX_KERNEL_USE_DEFCONFIG=y\nBR2_LINUX_KERNEL_DEFCONFIG="bcm2711"\n'
    ),
    "kernel/usb": "CONFIG_USB=y\n",
    "hooks/pre.sh": (
        '#!/bin/sh\necho "pre hook of $SKIFF_CURRENT_CONF_NAME in $SKIFF_WORKSPACE" > "$1/etc/skiff-pre-hook"\n'
    ),
    "hooks/post.sh": '#!/bin/sh\necho "post hook" > "$1/skiff-post-hook"\n',
    "root_overlay/etc/board-release": "board overlay\n",
}


@pytest.fixture
def root(skiff_root, monkeypatch):
    c = skiff_root / "configs"
    write_package(c, "base/pre", files={"buildroot/00-base": "BR2_INIT_SYSTEMD=y\nBR2_TARGET_ROOTFS_CPIO=y\n"})
    write_package(c, "test/board", description="A test board", files=BOARD)
    write_package(
        c, "apps/extra", description="extra", deps="test/board", files={"buildroot/x": "BR2_PACKAGE_HTOP=y\n"}
    )
    monkeypatch.setenv("SKIFF_BUILDROOT_SRC", str(FIXTURE))
    return skiff_root


def ws_dir(root, name="default"):
    return root / "workspaces" / name


def test_configure_writes_config_env_and_hooks(root):
    r = run_skiff("configure", env={"SKIFF_CONFIG": "apps/extra"})
    assert r.returncode == 0, r.stderr
    assert "configured workspace 'default': test/board,apps/extra" in r.stdout
    config = (ws_dir(root) / ".config").read_text()
    assert "BR2_aarch64=y" in config and 'BR2_LINUX_KERNEL_DEFCONFIG="bcm2711"' in config
    final = root / "workspaces" / ".config_default"
    assert f'BR2_LINUX_KERNEL_CONFIG_FRAGMENT_FILES="{final}/kernel/config"' in config
    assert (final / "kernel" / "config").read_text().endswith("CONFIG_USB=y\n")
    env = (final / "env.sh").read_text()
    for var in (
        "SKIFF_ROOT_DIR",
        "SKIFF_WORKSPACE",
        "SKIFF_WORKSPACE_DIR",
        "WORKSPACE_DIR",
        "BUILDROOT_DIR",
        "SKIFF_BUILDROOT_DIR",
        "SKIFF_FINAL_CONFIG_DIR",
        "SKIFF_WS_OVERRIDES_DIR",
        "SKIFF_CONFIG",
        "SKIFF_CONFIG_PATH_TEST_BOARD",
        "SKIFF_VERSION",
        "PATH",
    ):
        assert f"export {var}=" in env, var
    assert f"export PATH={ws_dir(root)}/host/bin:" in env.replace("'", "")
    # as in SkiffOS, SKIFF_BUILDROOT_DIR is the output dir (its packages' scripts write there)
    assert f"export SKIFF_BUILDROOT_DIR={ws_dir(root)}\n" in env.replace("'", "")
    assert f"export SKIFF_BUILDROOT_SRC={FIXTURE}\n" in env.replace("'", "")
    assert os.access(final / "pre_build.sh", os.X_OK) and os.access(final / "post_image.sh", os.X_OK)
    state = json.loads((final / "state.json").read_text())
    assert state["chain"] == ["test/board", "apps/extra"] and state["selection"] == ["apps/extra"]


def test_configure_skips_when_nothing_changed_and_redoes_on_any_input_change(root):
    env = {"SKIFF_CONFIG": "test/board"}
    assert run_skiff("configure", env=env).returncode == 0
    config = ws_dir(root) / ".config"
    stamp = config.stat().st_mtime_ns
    r = run_skiff("configure")  # no SKIFF_CONFIG: the saved chain
    assert "up to date" in r.stdout and config.stat().st_mtime_ns == stamp
    # an overlay file is an input too (SkiffOS would not notice this)
    overlay = root / "configs" / "test" / "board" / "root_overlay" / "etc" / "board-release"
    overlay.write_text("changed\n")
    r = run_skiff("configure")
    assert "configured workspace" in r.stdout, r.stdout + r.stderr
    frag = root / "configs" / "test" / "board" / "buildroot" / "10-kernel"
    frag.write_text(frag.read_text().replace("bcm2711", "bcm2712"))
    assert run_skiff("configure").returncode == 0
    assert 'BR2_LINUX_KERNEL_DEFCONFIG="bcm2712"' in config.read_text()


def test_value_that_does_not_stick_is_reported(root):
    (root / "overrides" / "buildroot").mkdir(parents=True)
    (root / "overrides" / "buildroot" / "bad").write_text("BR2_NO_SUCH_SYMBOL=y\n")
    r = run_skiff("configure", env={"SKIFF_CONFIG": "test/board"})
    assert r.returncode == 0
    assert "did not stick: BR2_NO_SUCH_SYMBOL requested y by overrides" in r.stdout


def test_configure_without_selection_says_what_to_do_and_writes_nothing(root):
    before = tree_snapshot(root)
    r = run_skiff("configure")
    assert r.returncode == 2 and "no configuration selected" in r.stderr and "SKIFF_CONFIG" in r.stderr
    assert tree_snapshot(root) == before


def test_compile_resumes_saved_chain_and_runs_hooks(root):
    assert run_skiff("configure", env={"SKIFF_CONFIG": "apps/extra"}).returncode == 0
    r = run_skiff("compile")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    out = ws_dir(root)
    assert (out / "target" / "etc" / "skiff-pre-hook").read_text() == "pre hook of test/board in default\n"
    assert (out / "target" / "etc" / "board-release").read_text() == "board overlay\n"
    assert (out / "images" / "skiff-post-hook").exists()
    assert (out / "images" / "Image").exists()
    assert ">>> " in r.stdout
    records = sorted((out / "skiff-logs").glob("*.json"))
    assert json.loads(records[-1].read_text())["status"] == "succeeded"


def test_make_configure_then_make_compile_without_skiff_config(root):
    env = dict(os.environ, SKIFF_CONFIG="test/board")
    r = subprocess.run(["make", "-s", "-C", str(REPO), "configure"], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    env.pop("SKIFF_CONFIG")
    r = subprocess.run(["make", "-s", "-C", str(REPO), "compile"], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert (ws_dir(root) / "images" / "Image").exists()


def test_failed_build_names_package_and_step(root):
    assert run_skiff("configure", env={"SKIFF_CONFIG": "test/board"}).returncode == 0
    r = run_skiff("compile", env={"BR_FIXTURE_FAIL": "busybox:build"})
    assert r.returncode != 0
    assert "build failed in busybox" in r.stderr and "build" in r.stderr
    assert "make br/busybox-dirclean" in r.stderr or "busybox-dirclean" in r.stderr


def test_build_target_override(root):
    assert run_skiff("configure", env={"SKIFF_CONFIG": "test/board"}).returncode == 0
    r = run_skiff("compile", env={"SKIFF_BUILD_TARGET_OVERRIDE": "show-info"})
    assert r.returncode == 0, r.stderr
    records = sorted((ws_dir(root) / "skiff-logs").glob("*.json"))
    assert json.loads(records[-1].read_text())["target"] == "show-info"
    assert not (ws_dir(root) / "images" / "Image").exists()


def test_menuconfig_saves_delta_in_workspace_override_layer(root):
    assert run_skiff("configure", env={"SKIFF_CONFIG": "test/board"}).returncode == 0
    configs_before = tree_snapshot(root / "configs")
    r = run_skiff("br", "menuconfig", env={"BR_FIXTURE_MENUCONFIG_SET": "BR2_PACKAGE_HTOP=y"})
    assert r.returncode == 0, r.stderr
    delta = root / "overrides" / "workspaces" / "default" / "buildroot" / "zz-buildroot-menuconfig-delta"
    assert "BR2_PACKAGE_HTOP=y" in delta.read_text()
    assert tree_snapshot(root / "configs") == configs_before
    # the delta is an ordinary layer now: a fresh configure keeps the change
    r = run_skiff("configure", "--force")
    assert "BR2_PACKAGE_HTOP=y" in (ws_dir(root) / ".config").read_text()
    assert "set by overrides/workspaces/default (" in run_skiff("show", "BR2_PACKAGE_HTOP").stdout


def test_second_modifier_is_refused_while_a_build_runs(root):
    assert run_skiff("configure", env={"SKIFF_CONFIG": "test/board"}).returncode == 0
    env = dict(os.environ, BR_FIXTURE_DELAY="0.2")
    build = subprocess.Popen(
        [sys.executable, "-m", "skiff_tui", "compile"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        lock = root / "workspaces" / ".lock_default"
        for _ in range(100):
            if lock.exists() and lock.read_text():
                break
            time.sleep(0.05)
        r = run_skiff("configure", "--force")
        assert r.returncode == 2 and f"pid {build.pid}" in r.stderr and "compile" in r.stderr
        assert run_skiff("show", "--chain").returncode == 0  # readers are never blocked
    finally:
        build.kill()
        build.wait()


def test_clean_needs_confirmation_unless_non_interactive(root):
    assert run_skiff("configure", env={"SKIFF_CONFIG": "test/board"}).returncode == 0
    r = run_skiff("clean", env={"SKIFF_NO_INTERACTIVE": ""})
    assert r.returncode == 2 and "refusing to clean" in r.stderr and ws_dir(root).exists()
    assert run_skiff("clean").returncode == 0  # SKIFF_NO_INTERACTIVE=1 from the fixture
    assert not ws_dir(root).exists()


def test_choice_member_replaced_by_a_later_layer_is_an_override_not_a_failure(root):
    base = root / "configs" / "base" / "pre" / "buildroot" / "00-base"
    base.write_text("BR2_x86_64=y\n" + base.read_text())  # the base's default architecture
    r = run_skiff("configure", env={"SKIFF_CONFIG": "test/board"})
    assert r.returncode == 0, r.stderr
    assert "did not stick: BR2_x86_64" not in r.stdout
    assert "BR2_x86_64=y (base/pre" in r.stdout and "replaced by BR2_aarch64=y (test/board" in r.stdout
    # an override re-selecting x86_64 wins over the board, because it is written last
    (root / "overrides" / "buildroot").mkdir(parents=True)
    (root / "overrides" / "buildroot" / "arch").write_text("BR2_x86_64=y\n")
    assert run_skiff("configure").returncode == 0
    config = (ws_dir(root) / ".config").read_text()
    assert "BR2_x86_64=y" in config and "BR2_aarch64=y" not in config


def test_choice_cache_follows_edits_of_any_kconfig_file(root, tmp_path):
    import shutil

    from skiff_tui.core.builds import buildroot

    tree = tmp_path / "tree"
    shutil.copytree(FIXTURE, tree, symlinks=True)
    env = {"SKIFF_CACHE_DIR": str(tmp_path / "cache")}
    groups = buildroot.choice_groups(tree, [], env)
    arch = next(g for g in groups if "BR2_aarch64" in g)
    sourced = tree / "package" / "Config.in"
    sourced.write_text(
        sourced.read_text() + '\nchoice\n\tprompt "extra"\nconfig BR2_SKIFF_TEST_A\n\tbool "a"\n'
        'config BR2_SKIFF_TEST_B\n\tbool "b"\nendchoice\n'
    )
    assert ["BR2_SKIFF_TEST_A", "BR2_SKIFF_TEST_B"] in buildroot.choice_groups(tree, [], env)
    assert arch in buildroot.choice_groups(tree, [], env)


def test_compile_resumes_with_the_saved_extra_configs_path_and_output_link(root, tmp_path):
    extra = tmp_path / "mine"
    write_package(extra, "mine/hello", description="from an extra root", deps="test/board")
    r = run_skiff("configure", env={"SKIFF_CONFIG": "mine/hello", "SKIFF_EXTRA_CONFIGS_PATH": str(extra)})
    assert r.returncode == 0, r.stderr
    r = run_skiff("show", "--chain")  # neither variable set: both come from the workspace
    assert r.returncode == 0 and r.stdout.split() == ["test/board", "mine/hello"], r.stderr
    assert (ws_dir(root) / "output").resolve() == ws_dir(root).resolve()  # SkiffOS's output/ link


def test_reconfiguring_leaves_only_the_output_link_and_drops_a_stray_self_link(root, tmp_path):
    for args in (("configure",), ("configure", "--force"), ("configure", "--force")):
        r = run_skiff(*args, env={"SKIFF_CONFIG": "test/board"})
        assert r.returncode == 0, r.stderr
    links = sorted(p.name for p in ws_dir(root).iterdir() if p.is_symlink())
    assert links == ["output"]
    # what `ln -f -s <ws> <ws>/output` leaves once output/ exists (SkiffOS's workspace setup)
    subprocess.run(["ln", "-f", "-s", str(ws_dir(root)), str(ws_dir(root) / "output")], check=True)
    assert (ws_dir(root) / "default").is_symlink()
    r = run_skiff("configure", "--force", env={"SKIFF_CONFIG": "test/board"})
    assert r.returncode == 0, r.stderr
    assert not (ws_dir(root) / "default").exists() and not (ws_dir(root) / "default").is_symlink()
    assert (ws_dir(root) / "output").is_symlink()
    # a link of that name pointing anywhere else is the user's: kept
    (tmp_path / "elsewhere").mkdir()
    (ws_dir(root) / "default").symlink_to(tmp_path / "elsewhere")
    assert run_skiff("configure", "--force", env={"SKIFF_CONFIG": "test/board"}).returncode == 0
    assert (ws_dir(root) / "default").resolve() == tmp_path / "elsewhere"
