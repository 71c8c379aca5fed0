"""docs/behaviour.md#layers-and-merging: the layer stack and every merged output, in layer order, with provenance."""

import os
import subprocess

import pytest
from skifftest import write_package

from skiff_tui.core.config.layers import build_stack, hook_wrapper, merge, output_files
from skiff_tui.core.errors import LayerError
from skiff_tui.core.library.packages import discover
from skiff_tui.core.library.resolve import resolve
from skiff_tui.core.workspace import Workspace

EXT = {"buildroot_ext/external.desc": "name: {n}\n", "buildroot_ext/Config.in": "", "buildroot_ext/external.mk": ""}


def ext(name):
    return {k: v.format(n=name) for k, v in EXT.items()}


@pytest.fixture
def tree(skiff_root):
    c = skiff_root / "configs"
    write_package(
        c,
        "base/pre",
        files={
            "buildroot/base": 'BR2_A=y\nBR2_TARGET_GENERIC_HOSTNAME="skiff"\n',
            "hooks/pre.sh": "#!/bin/sh\necho base-pre\n",
        },
    )
    write_package(c, "base/post", files={"buildroot/post": "BR2_POST=y\n"})
    write_package(
        c,
        "lib/one",
        files={
            "buildroot/10-one": 'BR2_A=m\nBR2_B="SKIFF_CONFIG_ROOT/res"\n',
            "kernel/k": "CONFIG_X=y\n",
            "cflags/a": "# comment\n-O2\n-pipe\n",
            "root_overlay/etc/one": "1",
            "buildroot_patches/p/x.patch": "",
            "users/u": "user1 -1 user1 -1 =pw /home/user1 /bin/sh - User",
            **ext("ONE"),
            "hooks/post.sh": '#!/bin/sh\necho one-post "$@"\n',
        },
    )
    write_package(
        c,
        "board/two",
        deps="lib/one",
        files={
            "buildroot/2": "# BR2_A is not set\n",
            "buildroot/1": "BR2_C=y\n",
            "kernel/k": "# CONFIG_X is not set\n",
            "busybox/b": "CONFIG_FEATURE_X=y\n",
            "uboot/u": "CONFIG_BOOTDELAY=0\n",
            "cflags/b": "-mcpu=cortex-a72\n",
            "root_overlay/etc/two": "2",
            "kernel_patches/1.patch": "",
            "uboot_patches/1.patch": "",
            "users/v": "user2 -1 user2 -1 =pw /home/user2 /bin/sh - User\n",
            **ext("TWO"),
            "hooks/pre.sh": "#!/bin/sh\necho two-pre\n",
        },
    )
    (skiff_root / "overrides" / "buildroot").mkdir(parents=True)
    (skiff_root / "overrides" / "buildroot" / "mine").write_text("BR2_C=n\n")
    ws = Workspace(skiff_root, "default")
    (ws.overrides_dir / "root_overlay").mkdir(parents=True)
    return skiff_root, ws


def merged_for(root, ws, sel="board/two"):
    index = discover(root / "configs", env={})
    stack = build_stack(root, index, resolve(index, sel), ws)
    return stack, merge(stack, ws.final_dir)


def test_stack_order(tree):
    root, ws = tree
    stack, _ = merged_for(root, ws)
    assert [ln.name for ln in stack] == [
        "base/pre",
        "lib/one",
        "board/two",
        "base/post",
        "overrides",
        "overrides/workspaces/default",
    ]


def test_values_provenance_and_overrides(tree):
    root, ws = tree
    _, m = merged_for(root, ws)
    br = m.buildroot
    assert br.value("BR2_A") is None and br.final("BR2_A").origin.layer == "board/two"
    assert [a.origin.layer for a in br.history["BR2_A"]] == ["base/pre", "lib/one", "board/two"]
    assert br.value("BR2_C") == "n" and br.final("BR2_C").origin.layer == "overrides"
    assert br.value("BR2_B") == f'"{root / "configs" / "lib" / "one"}/res"'
    assert br.final("BR2_B").origin.line == 2
    assert m.fragments["kernel"].value("CONFIG_X") is None
    assert m.fragments["busybox"].value("CONFIG_FEATURE_X") == "y"


def test_generated_symbols_in_layer_order(tree):
    root, ws = tree
    _, m = merged_for(root, ws)
    br = m.buildroot
    one, two = root / "configs" / "lib" / "one", root / "configs" / "board" / "two"
    assert br.value("BR2_TARGET_OPTIMIZATION") == '"-O2 -pipe -mcpu=cortex-a72"'
    assert br.value("BR2_ROOTFS_OVERLAY") == f'"{one}/root_overlay {two}/root_overlay {ws.overrides_dir}/root_overlay"'
    assert br.value("BR2_GLOBAL_PATCH_DIR") == f'"{one}/buildroot_patches"'
    assert br.value("BR2_LINUX_KERNEL_PATCH") == f'"{two}/kernel_patches"'
    assert br.value("BR2_TARGET_UBOOT_PATCH") == f'"{two}/uboot_patches"'
    assert br.value("BR2_LINUX_KERNEL_CONFIG_FRAGMENT_FILES") == f'"{ws.final_dir}/kernel/config"'
    assert br.value("BR2_PACKAGE_BUSYBOX_CONFIG_FRAGMENT_FILES") == f'"{ws.final_dir}/busybox/config"'
    assert br.value("BR2_TARGET_UBOOT_CONFIG_FRAGMENT_FILES") == f'"{ws.final_dir}/uboot/config"'
    assert br.value("BR2_ROOTFS_USERS_TABLES") == f'"{ws.final_dir}/users"'
    assert br.value("BR2_ROOTFS_POST_BUILD_SCRIPT") == f'"{ws.final_dir}/pre_build.sh"'
    assert br.value("BR2_ROOTFS_POST_IMAGE_SCRIPT") == f'"{ws.final_dir}/post_image.sh"'
    assert [e.name for e in m.externals] == ["ONE", "TWO"]
    files = output_files(m)
    users = files[m.users_path][0]
    assert users.index("user1") < users.index("user2") and "user1 -1 user1 -1 =pw /home/user1 /bin/sh - User\n" in users


def test_cflags_replace_a_fragment_value_with_a_note(tree):
    root, ws = tree
    (root / "overrides" / "buildroot" / "opt").write_text('BR2_TARGET_OPTIMIZATION="-O3"\n')
    _, m = merged_for(root, ws)
    assert m.buildroot.value("BR2_TARGET_OPTIMIZATION") == '"-O2 -pipe -mcpu=cortex-a72"'
    assert any("cflags/" in n and "BR2_TARGET_OPTIMIZATION" in n for n in m.notes)


def test_hook_wrapper_runs_layers_in_order_with_env_and_stops_at_first_failure(tree, tmp_path):
    root, ws = tree
    _, m = merged_for(root, ws)
    ws.dir.mkdir(parents=True)
    m.env_path.parent.mkdir(parents=True)
    m.env_path.write_text(f"export BUILDROOT_DIR={ws.dir}\n")
    for which in ("pre", "post"):
        path = m.hook_path(which)
        path.write_text(hook_wrapper(m, which))
        path.chmod(0o755)
    out = subprocess.run([str(m.hook_path("pre")), "/target"], capture_output=True, text=True)
    assert out.returncode == 0
    assert [ln for ln in out.stdout.splitlines() if not ln.startswith("skiff:")] == ["base-pre", "two-pre"]
    out = subprocess.run([str(m.hook_path("post")), "/images"], capture_output=True, text=True)
    assert "one-post /images" in out.stdout
    # a failing hook stops the chain
    (root / "configs" / "base" / "pre" / "hooks" / "pre.sh").write_text("#!/bin/sh\nexit 3\n")
    out = subprocess.run([str(m.hook_path("pre"))], capture_output=True, text=True)
    assert out.returncode == 3 and "two-pre" not in out.stdout


def test_hook_wrapper_sets_current_conf_dir(tree):
    root, ws = tree
    _, m = merged_for(root, ws)
    text = hook_wrapper(m, "pre")
    assert f"SKIFF_CURRENT_CONF_DIR={root / 'configs' / 'board' / 'two'}" in text
    assert "SKIFF_CURRENT_CONF_NAME=board/two" in text


@pytest.mark.parametrize("missing", ["external.desc", "Config.in", "external.mk"])
def test_malformed_external_names_missing_file(tree, missing):
    root, ws = tree
    os.unlink(root / "configs" / "lib" / "one" / "buildroot_ext" / missing)
    with pytest.raises(LayerError, match=f"missing {missing}"):
        merged_for(root, ws)


def test_external_without_name_and_duplicate_names(tree):
    root, ws = tree
    desc = root / "configs" / "lib" / "one" / "buildroot_ext" / "external.desc"
    desc.write_text("desc: nothing\n")
    with pytest.raises(LayerError, match="no 'name:' line"):
        merged_for(root, ws)
    desc.write_text("name: TWO\n")
    with pytest.raises(LayerError, match="external name 'TWO' is also used by lib/one"):
        merged_for(root, ws)


def test_other_workspaces_overrides_are_not_layers(tree):
    root, ws = tree
    other = Workspace(root, "other")
    (other.overrides_dir / "buildroot").mkdir(parents=True)
    (other.overrides_dir / "buildroot" / "x").write_text("BR2_OTHER=y\n")
    _, m = merged_for(root, ws)
    assert m.buildroot.value("BR2_OTHER") is None and "BR2_OTHER" not in m.buildroot.history


def test_malformed_fragment_line_is_ignored_with_a_note_like_kconfig(tree):
    """SkiffOS's own trees hold a few bare symbol lines; Kconfig skips them, so merging must too."""
    root, ws = tree
    frag = root / "configs" / "board" / "two" / "kernel" / "k"
    frag.write_text("# CONFIG_X is not set\nCONFIG_MAC80211_STA_HASH_MAX_SIZE\nCONFIG_Y=y\n")
    _, m = merged_for(root, ws)
    assert m.fragments["kernel"].value("CONFIG_Y") == "y"
    assert m.notes == [
        f"ignored {frag}:2: not a Kconfig assignment: 'CONFIG_MAC80211_STA_HASH_MAX_SIZE' "
        "(expected SYMBOL=value or '# SYMBOL is not set')"
    ]
