"""Which base layers a build stands on, and SkiffOS's REPLACEME_ placeholders filled from the stack."""

import pytest
from skifftest import write_package

from skiff_tui.core.builds.configure import defconfig_path, plan
from skiff_tui.core.config.base import choose_base
from skiff_tui.core.config.fragments import unquote
from skiff_tui.core.errors import LayerError
from skiff_tui.core.session import Session
from skiff_tui.core.workspace import Workspace
from skiff_tui.core.workspace_state import WorkspaceState

# A SkiffOS-shaped base: the same placeholders SkiffOS's configs-base uses, in our own files.
SKIFFOS_POST = (
    "BR2_DEFCONFIG=$(TOPDIR)/../.config/buildroot/config\n"
    'BR2_GLOBAL_PATCH_DIR="REPLACEME_BR_PATCHES"\n'
    'BR2_PACKAGE_BUSYBOX_CONFIG_FRAGMENT_FILES="REPLACEME_BUSYBOX_FRAGMENTS"\n'
    'BR2_TARGET_UBOOT_CONFIG_FRAGMENT_FILES="REPLACEME_UBOOT_FRAGMENTS"\n'
    'BR2_TARGET_UBOOT_PATCH="REPLACEME_UBOOT_PATCHES"\n'
    'BR2_LINUX_KERNEL_CONFIG_FRAGMENT_FILES="REPLACEME_KERNEL_FRAGMENTS"\n'
    'BR2_LINUX_KERNEL_PATCH="REPLACEME_KERNEL_PATCHES"\n'
    'BR2_ROOTFS_OVERLAY="REPLACEME_ROOTFS_OVERLAY"\n'
    'BR2_ROOTFS_POST_IMAGE_SCRIPT="REPLACEME_FINAL_CONFIG_DIR/post_build.sh"\n'
    'BR2_ROOTFS_POST_BUILD_SCRIPT="REPLACEME_FINAL_CONFIG_DIR/pre_build.sh"\n'
    'BR2_ROOTFS_USERS_TABLES="REPLACEME_FINAL_CONFIG_DIR/users"\n'
)


@pytest.fixture
def sos(skiff_root, tmp_path):
    """skiff's root with its own base, and a SkiffOS-shaped tree (configs/ + configs-base/)."""
    write_package(skiff_root / "configs", "base/pre", files={"buildroot/10": "BR2_SKIFF_BASE=y\n"})
    write_package(skiff_root / "configs", "base/post", files={"buildroot/90": "BR2_TARGET_ROOTFS_CPIO=y\n"})
    tree = tmp_path / "SkiffOS"
    write_package(
        tree / "configs-base",
        "pre",
        files={
            "buildroot/version": 'BR2_TARGET_GENERIC_HOSTNAME="skiffos-REPLACEME_SKIFF_VERSION_COMMIT"\n'
            'BR2_TARGET_GENERIC_ISSUE="Welcome to SkiffOS REPLACEME_SKIFF_VERSION!"\n',
            "buildroot_patches/e2fsprogs/0001.patch": "",
            "buildroot_ext/external.desc": "name: SOSBASE\n",
            "buildroot_ext/Config.in": "",
            "buildroot_ext/external.mk": "",
            "hooks/pre.sh": "#!/bin/sh\n",
        },
    )
    write_package(tree / "configs-base", "post", files={"buildroot/config": SKIFFOS_POST})
    write_package(
        tree / "configs",
        "board/x",
        files={
            "buildroot/t": "# BR2_TARGET_ROOTFS_CPIO is not set\n",
            "users/u": "u -1 u -1 =p /home/u /bin/sh - U\n",
            "uboot/u": "CONFIG_BOOTDELAY=0\n",
            "uboot_patches/1.patch": "",
        },
    )
    return skiff_root, tree


def test_auto_uses_the_skiffos_base_beside_the_extra_configs_root(sos):
    root, tree = sos
    base = choose_base(root, {"SKIFF_EXTRA_CONFIGS_PATH": str(tree / "configs")})
    assert (base.kind, base.dir) == ("skiffos", (tree / "configs-base").resolve())
    assert choose_base(root, {"SKIFF_EXTRA_CONFIGS_PATH": str(tree / "configs"), "SKIFF_BASE": "skiff"}).kind == "skiff"
    assert choose_base(root, {}).dir == root / "configs" / "base"


def test_skiffos_base_without_a_skiffos_tree_is_a_one_line_error(sos, tmp_path):
    root, _ = sos
    with pytest.raises(LayerError, match="no SKIFF_EXTRA_CONFIGS_PATH root is a SkiffOS tree"):
        choose_base(root, {"SKIFF_BASE": "skiffos", "SKIFF_EXTRA_CONFIGS_PATH": str(tmp_path)})
    with pytest.raises(LayerError, match="not understood"):
        choose_base(root, {"SKIFF_BASE": "bogus"})
    with pytest.raises(LayerError, match="without a pre/ layer"):
        choose_base(root, {"SKIFF_BASE": str(tmp_path)})


def test_stack_and_placeholders_with_skiffos_base(sos):
    root, tree = sos
    ws = Workspace(root, "default")
    p = plan(
        Session(root, {"SKIFF_EXTRA_CONFIGS_PATH": str(tree / "configs"), "SKIFF_VERSION_COMMIT": "abc123"}, ws),
        "board/x",
    )
    assert [ln.name for ln in p.stack][:3] == ["configs-base/pre", "board/x", "configs-base/post"]
    br = p.merged.buildroot
    assert br.value("BR2_TARGET_GENERIC_HOSTNAME") == '"skiffos-abc123"'
    assert br.value("BR2_TARGET_GENERIC_ISSUE").startswith('"Welcome to SkiffOS ') and "REPLACEME" not in br.value(
        "BR2_TARGET_GENERIC_ISSUE"
    )
    # the hostname keeps the origin of the line that asked for it
    assert br.final("BR2_TARGET_GENERIC_HOSTNAME").origin.layer == "configs-base/pre"
    assert unquote(br.value("BR2_GLOBAL_PATCH_DIR")) == str((tree / "configs-base/pre/buildroot_patches").resolve())
    assert unquote(br.value("BR2_TARGET_UBOOT_PATCH")) == str((tree / "configs/board/x/uboot_patches").resolve())
    assert unquote(br.value("BR2_TARGET_UBOOT_CONFIG_FRAGMENT_FILES")) == str(ws.final_dir / "uboot" / "config")
    assert unquote(br.value("BR2_ROOTFS_USERS_TABLES")) == str(ws.final_dir / "users")
    assert unquote(br.value("BR2_ROOTFS_POST_BUILD_SCRIPT")) == str(ws.final_dir / "pre_build.sh")
    assert unquote(br.value("BR2_DEFCONFIG")) == str(defconfig_path(ws))
    # nothing fills these: dropped, so Buildroot's empty default applies
    for symbol in ("BR2_LINUX_KERNEL_PATCH", "BR2_ROOTFS_POST_IMAGE_SCRIPT", "BR2_LINUX_KERNEL_CONFIG_FRAGMENT_FILES"):
        assert br.final(symbol) is None, symbol
    assert not any("REPLACEME_" in (v or "") for v in br.values().values())
    assert [e.name for e in p.merged.externals] == ["SOSBASE"]
    # SkiffOS's base is used, skiff's is not; the package's CPIO choice stands
    assert br.final("BR2_SKIFF_BASE") is None and br.value("BR2_TARGET_ROOTFS_CPIO") is None
    assert any("building on SkiffOS's base" in n for n in p.merged.notes)


def test_skiff_base_by_choice_keeps_its_own_layers(sos):
    root, tree = sos
    ws = Workspace(root, "default")
    p = plan(Session(root, {"SKIFF_EXTRA_CONFIGS_PATH": str(tree / "configs"), "SKIFF_BASE": "skiff"}, ws), "board/x")
    assert [ln.name for ln in p.stack][:3] == ["base/pre", "board/x", "base/post"]
    assert p.merged.buildroot.value("BR2_SKIFF_BASE") == "y"


def test_skiffs_own_base_lets_a_package_turn_the_cpio_root_off(skiff_root, tmp_path):
    """The library's base/post keeps merged /usr, but neither the cpio format nor the init system
    (base/pre's systemd stays a default a board may replace)."""
    from skifftest import REPO

    base = skiff_root / "configs" / "base"
    if base.is_dir() and not base.is_symlink() and not any(base.iterdir()):
        base.rmdir()  # the fixture's empty stand-in base
    base.symlink_to(REPO / "configs" / "base")
    write_package(tmp_path / "extra", "board/squash", files={"buildroot/t": "# BR2_TARGET_ROOTFS_CPIO is not set\n"})
    p = plan(
        Session(skiff_root, {"SKIFF_EXTRA_CONFIGS_PATH": str(tmp_path / "extra")}, Workspace(skiff_root, "default")),
        "board/squash",
    )
    br = p.merged.buildroot
    assert br.value("BR2_TARGET_ROOTFS_CPIO") is None
    assert br.final("BR2_TARGET_ROOTFS_CPIO").origin.layer == "board/squash"
    assert br.value("BR2_INIT_SYSTEMD") == "y" and br.final("BR2_INIT_SYSTEMD").origin.layer == "base/pre"
    assert br.final("BR2_ROOTFS_MERGED_USR").origin.layer == "base/post"


def test_the_base_choice_is_resumed_like_the_extra_configs_path(sos):
    from skiff_tui.core.session import with_saved_paths

    root, tree = sos
    ws = Workspace(root, "default")
    ws.save_state(
        WorkspaceState.from_dict(
            {"selection": ["board/x"], "extra_configs_path": [str(tree / "configs")], "base_setting": "skiff"}
        )
    )
    env = with_saved_paths(ws, {})
    assert env["SKIFF_BASE"] == "skiff" and choose_base(root, env).kind == "skiff"
    assert with_saved_paths(ws, {"SKIFF_BASE": "auto"})["SKIFF_BASE"] == "auto"  # yours wins
    ws.save_state(
        WorkspaceState.from_dict(
            {"selection": ["board/x"], "extra_configs_path": [str(tree / "configs")], "base_setting": ""}
        )
    )
    assert "SKIFF_BASE" not in with_saved_paths(ws, {})
