"""The Buildroot-shaped fixture tree (tests/fixtures/buildroot_tree), driven through `make`
exactly as skiff drives real Buildroot: `make -C <tree> O=<abs> BR2_EXTERNAL=... BR2_DEFCONFIG=...`.

These check that the test double keeps Buildroot's interface and output shapes, so that the
other suites that use it test something real."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest
from skifftest import requires_tools

TREE = Path(__file__).resolve().parents[1] / "fixtures" / "buildroot_tree"
pytestmark = requires_tools("make", "cpio")

STAMP_ERROR = re.compile(
    r"^make(\[\d+\])?: \*\*\* \[package/pkg-generic\.mk:\d+: (?P<dir>.*/build/[^/]+)/"
    r"\.stamp_(?P<step>\w+)\] Error (?P<code>\d+)$"
)
BUILD_TIME = re.compile(r"^\d+\.\d{9}:(start|end  ):(?P<step>.{20}): (?P<pkg>\S+)$")


def make_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BR_FIXTURE_", "BR2_", "MAKE", "MFLAGS"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
    env["TERM"] = "dumb"
    env["BR_FIXTURE_DELAY"] = "0"
    env.update(extra)
    return env


def make(
    out: Path, *targets: str, externals=None, defconfig: Path | None = None, env=None, cwd_tree=True, extra=()
) -> subprocess.CompletedProcess:
    """`make -C <tree> O=<out> ...`, or `make -C <out> ...` through the generated wrapper."""
    argv = ["make", "--no-print-directory", "-C", str(TREE), f"O={out}"] if cwd_tree else ["make", "-C", str(out)]
    if externals is not None:
        argv.append(f"BR2_EXTERNAL={externals}")
    if defconfig is not None:
        argv.append(f"BR2_DEFCONFIG={defconfig}")
    argv += [*extra, *targets]
    return subprocess.run(
        argv, env=make_env(**(env or {})), capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=180
    )


def config_values(path: Path) -> dict[str, str | None]:
    values: dict[str, str | None] = {}
    for line in path.read_text().splitlines():
        if line.startswith("# ") and line.endswith(" is not set"):
            values[line[2:-11]] = None
        elif "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def write_external(root: Path, name: str, *, desc: str | None = None, packages: dict[str, str] | None = None) -> Path:
    """A br2-external tree with one generic package per entry of `packages` (name -> Kconfig deps)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "external.desc").write_text(f"name: {name}\n" + (f"desc: {desc}\n" if desc else ""))
    sources = []
    for pkg, depends in (packages or {}).items():
        upper = pkg.upper().replace("-", "_")
        pdir = root / "package" / pkg
        pdir.mkdir(parents=True)
        (pdir / "Config.in").write_text(
            f'config BR2_PACKAGE_{upper}\n\tbool "{pkg}"\n' + (f"\tdepends on {depends}\n" if depends else "")
        )
        (pdir / f"{pkg}.mk").write_text(
            f"{upper}_VERSION = 0.4.2\n{upper}_SITE = https://example.org/{pkg}\n"
            f"{upper}_LICENSE = MIT\n{upper}_DEPENDENCIES = zlib\n"
            "$(eval $(generic-package))\n"
        )
        sources.append(f'source "$BR2_EXTERNAL_{name}_PATH/package/{pkg}/Config.in"\n')
    (root / "Config.in").write_text("".join(sources))
    (root / "external.mk").write_text(f"include $(sort $(wildcard $(BR2_EXTERNAL_{name}_PATH)/package/*/*.mk))\n")
    return root


def write_script(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


# --- configuration -----------------------------------------------------------------------------


def test_defconfig_with_external_resolves_full_config(tmp_path):
    ext = write_external(
        tmp_path / "ext", "SKIFF_TEST", desc="Skiff test tree", packages={"skiff-hello": "BR2_USE_MMU"}
    )
    out = tmp_path / "out"
    frag = tmp_path / "merged_defconfig"
    frag.write_text(
        "BR2_aarch64=y\nBR2_cortex_a72=y\n# BR2_TARGET_ROOTFS_TAR is not set\n"
        'BR2_TARGET_GENERIC_HOSTNAME="skiff"\nBR2_PACKAGE_SKIFF_HELLO=y\n'
    )
    r = make(out, "defconfig", externals=str(ext), defconfig=frag)
    assert r.returncode == 0, r.stderr
    assert f"  GEN     {out}/Makefile" in r.stdout
    assert f"# configuration written to {out}/.config" in r.stdout
    values = config_values(out / ".config")
    # what was asked, what Kconfig derived from it, and defaults of the rest
    assert values["BR2_aarch64"] == "y" and values["BR2_cortex_a72"] == "y"
    assert values["BR2_ARCH"] == '"aarch64"' and values["BR2_ARM_CPU_ARMV8A"] == "y"
    assert values["BR2_TARGET_ROOTFS_TAR"] is None
    assert values["BR2_TARGET_GENERIC_HOSTNAME"] == '"skiff"'
    assert values["BR2_PACKAGE_BUSYBOX"] == "y" and values["BR2_INIT_BUSYBOX"] == "y"
    assert values["BR2_PACKAGE_SKIFF_HELLO"] == "y"
    assert values["BR2_EXTERNAL_SKIFF_TEST_PATH"] == f'"{ext}"'
    # Make variables stay literal, as in a .config written by Buildroot's own conf
    assert values["BR2_DL_DIR"] == '"$(TOPDIR)/dl"'
    assert values["BR2_HOST_DIR"] == '"$(BASE_DIR)/host"'
    assert values["BR2_DEFCONFIG"] == f'"{frag}"'
    # the generated br2-external files
    mk = (out / ".br2-external.mk").read_text()
    assert f"BR2_EXTERNAL ?= {ext}\n" in mk and f"export BR2_EXTERNAL_SKIFF_TEST_PATH = {ext}\n" in mk
    assert "export BR2_EXTERNAL_SKIFF_TEST_DESC = Skiff test tree\n" in mk
    assert f"BR2_EXTERNAL_MKS += {ext}/external.mk\n" in mk
    paths = (out / ".br2-external.in.paths").read_text()
    assert f'config BR2_EXTERNAL_SKIFF_TEST_PATH\n\tstring\n\tdefault "{ext}"\n' in paths
    menus = (out / ".br2-external.in.menus").read_text()
    assert menus.endswith(
        f'menu "External options"\n\ncomment "Skiff test tree (in {ext})"\nsource "{ext}/Config.in"\n\nendmenu\n'
    )
    for kind in ("toolchains", "jpeg", "openssl", "skeleton", "init", "linux"):
        assert (out / f".br2-external.in.{kind}").read_text().startswith("#\n# Automatically generated file")
    assert "# No toolchain from: Skiff test tree" in (out / ".br2-external.in.toolchains").read_text()
    # the output-directory wrapper forwards to the tree with O= set
    assert f"MAKEARGS := -C {TREE}" in (out / "Makefile").read_text()


def test_requested_values_whose_dependencies_are_missing_do_not_stick(tmp_path):
    out = tmp_path / "out"
    frag = tmp_path / "frag"
    # uClibc (the default C library) has no threads and BusyBox init brings no udev.
    frag.write_text(
        "BR2_x86_64=y\nBR2_PACKAGE_DOCKER_ENGINE=y\nBR2_PACKAGE_NETWORK_MANAGER=y\nBR2_PACKAGE_HTOP=y\n"
        "BR2_PACKAGE_KEXEC_LITE=y\n"
    )
    assert make(out, "defconfig", defconfig=frag).returncode == 0
    values = config_values(out / ".config")
    assert values["BR2_PACKAGE_HTOP"] == "y" and values["BR2_PACKAGE_NCURSES"] == "y"  # selected
    for sym in ("BR2_PACKAGE_DOCKER_ENGINE", "BR2_PACKAGE_NETWORK_MANAGER", "BR2_PACKAGE_KEXEC_LITE"):
        assert values.get(sym) != "y", sym
    # with glibc and systemd the same requests stick and pull in what they select
    frag.write_text(
        "BR2_x86_64=y\nBR2_TOOLCHAIN_BUILDROOT_GLIBC=y\nBR2_INIT_SYSTEMD=y\n"
        "BR2_PACKAGE_DOCKER_ENGINE=y\nBR2_PACKAGE_NETWORK_MANAGER=y\n"
    )
    assert make(out, "defconfig", defconfig=frag).returncode == 0
    values = config_values(out / ".config")
    for sym in (
        "BR2_PACKAGE_DOCKER_ENGINE",
        "BR2_PACKAGE_CONTAINERD",
        "BR2_PACKAGE_RUNC",
        "BR2_PACKAGE_IPTABLES",
        "BR2_PACKAGE_NETWORK_MANAGER",
        "BR2_PACKAGE_SYSTEMD",
        "BR2_PACKAGE_HAS_UDEV",
        "BR2_PACKAGE_DBUS",
    ):
        assert values.get(sym) == "y", sym
    assert values["BR2_PACKAGE_PROVIDES_UDEV"] == '"systemd"'


def test_savedefconfig_round_trip(tmp_path):
    frag = tmp_path / "frag"
    frag.write_text(
        'BR2_arm=y\nBR2_cortex_a7=y\nBR2_LINUX_KERNEL=y\nBR2_LINUX_KERNEL_DEFCONFIG="bcm2709"\n'
        "BR2_PACKAGE_DROPBEAR=y\n# BR2_PACKAGE_DROPBEAR_SMALL is not set\nBR2_TARGET_ROOTFS_CPIO=y\n"
        "BR2_TARGET_ROOTFS_CPIO_LZ4=y\nBR2_CCACHE=y\n"
    )
    out = tmp_path / "a"
    assert make(out, "defconfig", defconfig=frag).returncode == 0
    saved = tmp_path / "saved_defconfig"
    r = make(out, "savedefconfig", defconfig=saved)
    assert r.returncode == 0, r.stderr
    minimal = saved.read_text()
    assert "BR2_DEFCONFIG=" not in minimal and "BR2_arm=y\n" in minimal and "BR2_CCACHE=y\n" in minimal
    assert "BR2_PACKAGE_BUSYBOX" not in minimal  # a default is not repeated
    assert "BR2_CCACHE_DIR" not in minimal  # nor a default string
    # loading the minimal config elsewhere gives the same configuration
    other = tmp_path / "b"
    assert make(other, "defconfig", defconfig=saved).returncode == 0
    first, second = config_values(out / ".config"), config_values(other / ".config")
    first.pop("BR2_DEFCONFIG"), second.pop("BR2_DEFCONFIG")
    assert first == second
    assert second["BR2_CCACHE_DIR"] == '"$(HOME)/.buildroot-ccache"'
    # without BR2_DEFCONFIG on the command line, the one stored in .config is used
    frag.unlink()
    assert make(out, "savedefconfig").returncode == 0 and frag.read_text() == minimal


def test_olddefconfig_and_simulated_menuconfig(tmp_path):
    out = tmp_path / "out"
    frag = tmp_path / "frag"
    frag.write_text("BR2_x86_64=y\n")
    assert make(out, "defconfig", defconfig=frag).returncode == 0
    r = make(out, "menuconfig")
    assert r.returncode == 2 and "fixture tree: no interactive menuconfig" in r.stderr
    r = make(
        out,
        "menuconfig",
        env={"BR_FIXTURE_MENUCONFIG_SET": 'BR2_PACKAGE_HTOP=y BR2_TARGET_GENERIC_HOSTNAME="a b" BR2_PACKAGE_PYTHON3=y'},
    )
    assert r.returncode == 0, r.stderr
    assert "*** End of the configuration." in r.stdout
    assert "BR2_PACKAGE_PYTHON3 is n, not y" in r.stderr  # needs threads: uClibc has none
    values = config_values(out / ".config")
    assert values["BR2_PACKAGE_HTOP"] == "y" and values["BR2_TARGET_GENERIC_HOSTNAME"] == '"a b"'
    assert values.get("BR2_PACKAGE_PYTHON3") is None
    # a hand edit that breaks a dependency is repaired by olddefconfig
    text = (out / ".config").read_text().replace("BR2_TOOLCHAIN_USES_UCLIBC=y", "")
    (out / ".config").write_text(text + "BR2_PACKAGE_CHRONY=y\n")
    assert make(out, "olddefconfig").returncode == 0
    values = config_values(out / ".config")
    assert values["BR2_TOOLCHAIN_USES_UCLIBC"] == "y" and values.get("BR2_PACKAGE_CHRONY") is None


# --- br2-external validation -------------------------------------------------------------------


def test_duplicate_external_names_are_refused(tmp_path):
    one = write_external(tmp_path / "one", "SKIFF_SAME")
    two = write_external(tmp_path / "two", "SKIFF_SAME")
    out = tmp_path / "out"
    r = make(out, "defconfig", externals=f"{one} {two}")
    assert r.returncode == 2
    assert re.search(
        rf"^Makefile:\d+: \*\*\* '{two}': name 'SKIFF_SAME' is already used in '{one}'\.  Stop\.$", r.stderr, re.M
    ), r.stderr
    assert not (out / ".config").exists()


@pytest.mark.parametrize(
    "breakage, message",
    [
        (
            "no-desc",
            "'{d}': does not have an 'external.desc'. See https://buildroot.org/manual.html#br2-external-converting",
        ),
        ("no-name", "'{d}/external.desc': does not define the name"),
        ("bad-name", "'{d}': name 'bad-name' contains invalid chars: '-'"),
        ("no-mk", "'{d}/external.mk': no such file or directory"),
        ("no-config", "'{d}/Config.in': no such file or directory"),
        ("missing", "'{d}': no such file or directory"),
    ],
)
def test_broken_externals_get_buildroot_messages(tmp_path, breakage, message):
    ext = write_external(tmp_path / "ext", "SKIFF_X")
    if breakage == "no-desc":
        (ext / "external.desc").unlink()
    elif breakage == "no-name":
        (ext / "external.desc").write_text("desc: nameless\n")
    elif breakage == "bad-name":
        (ext / "external.desc").write_text("name: bad-name\n")
    elif breakage == "no-mk":
        (ext / "external.mk").unlink()
    elif breakage == "no-config":
        (ext / "Config.in").unlink()
    else:
        shutil.rmtree(ext)
    r = make(tmp_path / "out", "defconfig", externals=str(ext))
    assert r.returncode == 2
    assert message.format(d=ext) + ".  Stop." in r.stderr


def test_colon_separated_and_emptied_externals(tmp_path):
    one = write_external(tmp_path / "one", "SKIFF_ONE", packages={"one-app": ""})
    two = write_external(tmp_path / "two", "SKIFF_TWO", desc="Second tree")
    out = tmp_path / "out"
    assert make(out, "defconfig", externals=f"{one}:{two}").returncode == 0
    menus = (out / ".br2-external.in.menus").read_text()
    assert 'menu "SKIFF_ONE"' in menus and 'menu "Second tree"' in menus and "endmenu # SKIFF_TWO" in menus
    # a later call without BR2_EXTERNAL keeps the saved list; an empty one removes it
    assert make(out, "olddefconfig").returncode == 0
    assert "BR2_EXTERNAL_SKIFF_TWO_PATH" in (out / ".config").read_text()
    assert make(out, "olddefconfig", externals="").returncode == 0
    assert "BR2_EXTERNAL" not in (out / ".config").read_text()
    assert "# No br2-external tree defined." in (out / ".br2-external.mk").read_text()


# --- show-info ---------------------------------------------------------------------------------


def test_show_info_lists_enabled_packages_with_recursive_dependencies(tmp_path):
    ext = write_external(tmp_path / "ext", "SKIFF_INFO", packages={"skiff-info": ""})
    out = tmp_path / "out"
    frag = tmp_path / "frag"
    frag.write_text(
        "BR2_aarch64=y\nBR2_PACKAGE_RSYNC=y\nBR2_PACKAGE_SKIFF_INFO=y\nBR2_TARGET_ROOTFS_CPIO=y\n"
        "BR2_TARGET_ROOTFS_CPIO_LZ4=y\n"
    )
    assert make(out, "defconfig", externals=str(ext), defconfig=frag).returncode == 0
    r = make(out, "show-info", extra=("-s",))
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    rsync = info["rsync"]
    assert rsync["type"] == "target" and rsync["name"] == "rsync" and rsync["virtual"] is False
    assert rsync["version"] == "3.4.3" and rsync["licenses"] == "GPL-3.0+"
    assert rsync["stamp_dir"] == "build/rsync-3.4.3" == rsync["build_dir"]
    assert rsync["install_target"] is True and rsync["install_staging"] is False
    assert rsync["dependencies"] == ["host-skeleton", "popt", "skeleton", "toolchain", "zlib"]
    assert rsync["downloads"][0]["source"] == "rsync-3.4.3.tar.gz"
    assert "rsync" in info["zlib"]["reverse_dependencies"]
    # recursive dependencies are listed too, host ones without install_* flags
    for name in (
        "popt",
        "zlib",
        "toolchain",
        "toolchain-buildroot",
        "host-gcc-final",
        "host-binutils",
        "uclibc",
        "linux-headers",
        "skeleton",
        "host-skeleton",
        "busybox",
    ):
        assert name in info, name
    assert info["host-gcc-final"]["type"] == "host" and "install_target" not in info["host-gcc-final"]
    assert info["toolchain"]["virtual"] is True and "version" not in info["toolchain"]
    assert info["skiff-info"]["package_dir"] == f"{ext}/package/skiff-info"
    assert info["rootfs-cpio"] == {
        "type": "rootfs",
        "image_name": "rootfs.cpio",
        "dependencies": ["host-cpio", "host-lz4", "rootfs-common"],
    }
    assert "host-lz4" in info and "rootfs-tar" in info  # tar is on by default
    # closed under dependencies, and reverse_dependencies mirror dependencies
    assert {d for e in info.values() for d in e["dependencies"]} <= set(info)
    for name, entry in info.items():
        if "reverse_dependencies" in entry:
            assert set(entry["reverse_dependencies"]) == {n for n, e in info.items() if name in e["dependencies"]}
    assert "htop" not in info and "linux" not in info


# --- builds ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One full build of a Pi-like configuration with every hook the product uses."""
    tmp = tmp_path_factory.mktemp("build")
    overlay_a, overlay_b = tmp / "overlay_a", tmp / "overlay_b"
    (overlay_a / "etc").mkdir(parents=True)
    (overlay_a / "etc" / "motd").write_text("from a\n")
    (overlay_a / "etc" / "only-a").write_text("a\n")
    (overlay_b / "etc").mkdir(parents=True)
    (overlay_b / "etc" / "motd").write_text("from b\n")
    record = tmp / "record"
    post_build = write_script(
        tmp / "post-build.sh",
        f'echo "post-build $# $1 $2 TARGET_DIR=$TARGET_DIR BINARIES_DIR=$BINARIES_DIR '
        f"HOST_DIR=$HOST_DIR BUILD_DIR=$BUILD_DIR STAGING_DIR=$STAGING_DIR BASE_DIR=$BASE_DIR "
        f'BR2_CONFIG=$BR2_CONFIG EXT=$BR2_EXTERNAL_SKIFF_BUILD_PATH" >> {record}\n'
        'test -f "$1/etc/motd" && echo hook > "$1/etc/post-build-ran"\n',
    )
    post_image = write_script(tmp / "post-image.sh", f'echo "post-image $1 $(ls "$1" | tr "\\n" " ")" >> {record}\n')
    users = tmp / "users"
    users.write_text("skiff -1 skiff -1 * /home/skiff /bin/sh - Skiff user\n")
    patches = tmp / "patches"
    (patches / "busybox").mkdir(parents=True)
    (patches / "busybox" / "0001-fix-ash.patch").write_text(
        "--- a/shell/ash.c\n+++ b/shell/ash.c\n@@ -1 +1 @@\n-x\n+y\n"
    )
    kfrag = tmp / "kernel.config"
    kfrag.write_text("CONFIG_USB=y\n# CONFIG_SOUND is not set\n")
    kfrag2 = tmp / "kernel2.config"
    kfrag2.write_text("CONFIG_SOUND=y\n")
    ext = write_external(tmp / "ext", "SKIFF_BUILD", packages={"skiff-init": ""})
    frag = tmp / "frag"
    frag.write_text(
        "\n".join(
            [
                "BR2_TOOLCHAIN_EXTERNAL=y",
                "BR2_aarch64=y",
                "BR2_cortex_a72=y",
                "BR2_LINUX_KERNEL=y",
                'BR2_LINUX_KERNEL_DEFCONFIG="bcm2711"',
                "BR2_LINUX_KERNEL_DTS_SUPPORT=y",
                'BR2_LINUX_KERNEL_INTREE_DTS_NAME="broadcom/bcm2711-rpi-4-b broadcom/bcm2711-rpi-cm4"',
                f'BR2_LINUX_KERNEL_CONFIG_FRAGMENT_FILES="{kfrag} {kfrag2}"',
                "BR2_TARGET_ROOTFS_CPIO=y",
                "BR2_TARGET_ROOTFS_CPIO_LZ4=y",
                "BR2_TARGET_ROOTFS_SQUASHFS=y",
                "BR2_PACKAGE_SKIFF_INIT=y",
                "BR2_PACKAGE_RPI_FIRMWARE=y",
                "BR2_PACKAGE_RPI_FIRMWARE_VARIANT_PI4=y",
                f'BR2_ROOTFS_OVERLAY="{overlay_a} {overlay_b}"',
                f'BR2_ROOTFS_POST_BUILD_SCRIPT="{post_build}"',
                f'BR2_ROOTFS_POST_IMAGE_SCRIPT="{post_image}"',
                f'BR2_ROOTFS_USERS_TABLES="{users}"',
                f'BR2_GLOBAL_PATCH_DIR="{patches}"',
                'BR2_TARGET_GENERIC_HOSTNAME="skiffpi"',
                "",
            ]
        )
    )
    out = tmp / "out"
    assert make(out, "defconfig", externals=str(ext), defconfig=frag).returncode == 0
    started = time.monotonic()
    r = make(out)
    return {"out": out, "run": r, "record": record, "seconds": time.monotonic() - started, "users": users, "ext": ext}


def test_build_prints_real_format_progress(built):
    r = built["run"]
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    lines = r.stdout.splitlines()
    # the first build after a configuration change re-syncs auto.conf in a sub-make first
    assert re.match(rf"^\S*make -j1 O={built['out']} HOSTCC=\"\S+\" HOSTCXX=\"\S+\" syncconfig$", lines[0]), lines[0]
    assert lines[1] == f"  GEN     {built['out']}/Makefile"
    assert (built["out"] / "build" / "buildroot-config" / "auto.conf").read_text().count("BR2_aarch64=y") == 1
    progress = [ln for ln in lines if ln.startswith(">>> ")]
    assert re.match(r"^>>> (\S*) (\S*) (.*)$", progress[0])
    assert ">>> linux 6.19.14 Downloading" in lines
    assert ">>> host-skeleton  Extracting" in lines  # no version: two spaces
    for text in (
        "Extracting",
        "Patching",
        "Configuring",
        "Building",
        "Installing to target",
        "Installing to images directory",
    ):
        assert f">>> linux 6.19.14 {text}" in lines, text
    assert ">>> toolchain-external-bootlin 2025.08-1 Installing to staging directory" in lines
    assert ">>> host-fakeroot 1.37.1.2 Installing to host directory" in lines
    # order within a package, and globals after all packages
    ordered = [ln for ln in progress if ln.startswith(">>> busybox ")]
    assert [ln.split(" ", 3)[3] for ln in ordered] == [
        "Downloading",
        "Extracting",
        "Patching",
        "Configuring",
        "Building",
        "Installing to target",
    ]
    globals_ = [ln for ln in progress if ln.startswith(">>>   ")]
    assert globals_[:2] == [">>>   Finalizing host directory", ">>>   Finalizing target directory"]
    assert ">>>   Generating filesystem image rootfs.cpio" in globals_
    assert f">>>   Executing post-image script {built['out'].parent}/post-image.sh" in globals_
    assert any(re.search(r"aarch64-buildroot-linux-gnu-gcc .* -c -o ", ln) for ln in lines)  # compiler lines
    assert "\x1b" not in r.stdout


def test_build_writes_stamps_and_build_time_log(built):
    build = built["out"] / "build"
    for pkg, stamps in {
        "busybox-1.37.0": (
            "downloaded",
            "extracted",
            "patched",
            "configured",
            "built",
            "target_installed",
            "installed",
        ),
        "linux-6.19.14": ("built", "target_installed", "images_installed", "installed"),
        "toolchain-external-bootlin-2025.08-1": ("staging_installed", "installed"),
        "host-fakeroot-1.37.1.2": ("host_installed", "installed"),
        "skiff-init-0.4.2": ("target_installed", "installed"),
        "toolchain": ("installed",),
    }.items():
        for stamp in stamps:
            assert (build / pkg / f".stamp_{stamp}").is_file(), (pkg, stamp)
    assert not (build / "busybox-1.37.0" / ".stamp_staging_installed").exists()
    log = (build / "build-time.log").read_text().splitlines()
    assert all(BUILD_TIME.match(ln) for ln in log), [ln for ln in log if not BUILD_TIME.match(ln)][:3]
    events = [(ln.split(":")[1].strip(), ln.split(":")[2].strip(), ln.split(": ", 1)[1]) for ln in log]
    assert ("start", "download", "busybox") in events and ("end", "install-target", "busybox") in events
    assert ("end", "install-image", "linux") in events and ("end", "install-host", "host-fakeroot") in events
    starts = sum(1 for e in events if e[0] == "start")
    assert starts == len(events) - starts  # every step ended


def test_build_runs_overlays_hooks_and_makes_images(built):
    out, images, target = built["out"], built["out"] / "images", built["out"] / "target"
    assert (target / "etc" / "motd").read_text() == "from b\n"  # later overlay wins
    assert (target / "etc" / "only-a").read_text() == "a\n"
    assert (target / "etc" / "post-build-ran").exists()  # ran after the overlays
    assert (target / "etc" / "hostname").read_text() == "skiffpi\n"
    assert (target / "usr" / "bin" / "skiff-init").exists()
    record = built["record"].read_text().splitlines()
    assert record[0] == (
        f"post-build 1 {target}  TARGET_DIR={target} BINARIES_DIR={images} HOST_DIR={out}/host "
        f"BUILD_DIR={out}/build STAGING_DIR={out}/host/aarch64-buildroot-linux-gnu/sysroot "
        f"BASE_DIR={out} BR2_CONFIG={out}/.config EXT={built['ext']}"
    )
    assert record[1].startswith(f"post-image {images} ")
    listed = record[1].split()
    for name in (
        "Image",
        "bcm2711-rpi-4-b.dtb",
        "bcm2711-rpi-cm4.dtb",
        "rootfs.cpio",
        "rootfs.cpio.lz4",
        "rootfs.squashfs",
        "rootfs.tar",
        "rpi-firmware",
    ):
        assert name in listed, name
    assert (images / "rpi-firmware" / "start4.elf").exists() and (images / "rpi-firmware" / "fixup4.dat").exists()
    assert not (images / "zImage").exists() and not (images / "bzImage").exists()
    with tarfile.open(images / "rootfs.tar") as tar:
        names = tar.getnames()
    assert "./etc/motd" in names and "./usr/bin/skiff-init" in names and "./etc/post-build-ran" in names
    assert (out / "build" / "buildroot-fs" / "full_users_table.txt").read_text() == built["users"].read_text()
    # kernel fragments were merged, last one wins, on top of the defconfig
    kconfig = (out / "build" / "linux-6.19.14" / ".config").read_text()
    assert "CONFIG_USB=y" in kconfig and "CONFIG_SOUND=y" in kconfig and "# CONFIG_SOUND is not set" not in kconfig
    # global patches are applied to the package they name
    stdout = built["run"].stdout
    assert (
        "Applying 0001-fix-ash.patch using patch: \npatching file shell/ash.c\n>>> busybox 1.37.0 Configuring"
    ) in stdout


def test_second_build_skips_stamped_packages_and_rebuild_redoes_one(built):
    out = built["out"]
    again = make(out)
    assert again.returncode == 0, again.stderr
    progress = [ln for ln in again.stdout.splitlines() if ln.startswith(">>> ")]
    assert all(ln.startswith(">>>   ") for ln in progress), progress  # only the global steps again
    assert "syncconfig" not in again.stdout
    assert ">>>   Finalizing target directory" in progress
    r = make(out, "busybox-rebuild")
    assert r.returncode == 0, r.stderr
    steps = [ln for ln in r.stdout.splitlines() if ln.startswith(">>> ")]
    assert steps == [">>> busybox 1.37.0 Building", ">>> busybox 1.37.0 Installing to target"]
    r = make(out, "linux-dirclean")
    assert r.returncode == 0 and f"rm -Rf {out}/build/linux-6.19.14" in r.stdout
    assert not (out / "build" / "linux-6.19.14").exists()
    r = make(out, "linux")
    assert ">>> linux 6.19.14 Downloading" in r.stdout
    assert (out / "build" / "linux-6.19.14" / ".stamp_installed").exists()


def test_build_through_output_makefile_wrapper(built):
    out = built["out"]
    r = make(out, "show-info", cwd_tree=False, extra=("-s",))
    assert r.returncode == 0 and "skiff-init" in json.loads(r.stdout)
    r = make(out, "printvars", cwd_tree=False, extra=("VARS=BUSYBOX_VERSION",))
    assert "BUSYBOX_VERSION=1.37.0" in r.stdout.splitlines()
    r = make(out, "no-such-target")
    assert r.returncode == 2 and "make: *** No rule to make target 'no-such-target'.  Stop." in r.stderr


@pytest.mark.parametrize(
    "step, stamp, code, line",
    [
        ("build", "built", 2, 273),  # the line Buildroot 2026.02.3 reports for a compile error
        ("download", "downloaded", 1, 179),  # ... and for a failed download (shared/data/buildroot-output)
        ("configure", "configured", 1, 263),
        ("install", "target_installed", 2, 364),
    ],
)
def test_fail_on_demand_ends_like_buildroot(tmp_path, step, stamp, code, line):
    out = tmp_path / "out"
    frag = tmp_path / "frag"
    frag.write_text("BR2_TOOLCHAIN_EXTERNAL=y\nBR2_x86_64=y\nBR2_PACKAGE_HTOP=y\n")
    assert make(out, "defconfig", defconfig=frag).returncode == 0
    r = make(out, env={"BR_FIXTURE_FAIL": f"htop:{step}"})
    assert r.returncode == 2
    last = r.stderr.strip().splitlines()[-1]
    match = STAMP_ERROR.match(last)
    assert match, r.stderr
    assert match["dir"] == f"{out}/build/htop-3.4.1" and match["step"] == stamp and match["code"] == str(code)
    assert f"[package/pkg-generic.mk:{line}: " in last
    assert not (out / "build" / "htop-3.4.1" / f".stamp_{stamp}").exists()
    assert (out / "build" / "ncurses-6.6" / ".stamp_installed").exists()  # its dependency was done
    if step in ("build", "install"):
        assert "make[1]: *** [Makefile:" in r.stdout  # the package's own make error comes first
    if step == "download":
        assert "wget: unable to resolve host address 'github.com'" in r.stdout
    log = (out / "build" / "build-time.log").read_text().splitlines()
    assert log[-1].split(":")[1] == "start" and log[-1].endswith(": htop")
    # the next build resumes at the failed step
    r = make(out)
    assert r.returncode == 0, r.stderr
    htop = [ln for ln in r.stdout.splitlines() if ln.startswith(">>> htop ")]
    assert htop and not any("ncurses" in ln for ln in r.stdout.splitlines() if ln.startswith(">>> "))
    if step != "download":
        assert ">>> htop 3.4.1 Extracting" not in htop


def test_wrapper_failure_adds_the_wrapper_line(tmp_path):
    out = tmp_path / "out"
    frag = tmp_path / "frag"
    frag.write_text("BR2_TOOLCHAIN_EXTERNAL=y\nBR2_x86_64=y\n# BR2_TARGET_ROOTFS_TAR is not set\n")
    assert make(out, "defconfig", defconfig=frag).returncode == 0
    r = make(out, cwd_tree=False, env={"BR_FIXTURE_FAIL": "busybox:build"})
    assert r.returncode == 2
    tail = r.stderr.strip().splitlines()[-2:]
    assert STAMP_ERROR.match(tail[0]) and tail[0].startswith("make[1]: ")
    assert tail[1] == "make: *** [Makefile:23: _all] Error 2"


def test_checks_of_missing_inputs(tmp_path):
    out = tmp_path / "out"
    frag = tmp_path / "frag"
    base = "BR2_TOOLCHAIN_EXTERNAL=y\nBR2_x86_64=y\n"
    frag.write_text(base + f'BR2_GLOBAL_PATCH_DIR="{tmp_path}/nope"\n')
    assert make(out, "defconfig", defconfig=frag).returncode == 0
    r = make(out)
    assert r.returncode == 2 and f"BR2_GLOBAL_PATCH_DIR contains nonexistent directory {tmp_path}/nope" in r.stderr
    frag.write_text(base + f'BR2_ROOTFS_USERS_TABLES="{tmp_path}/users"\n')
    assert make(out, "defconfig", defconfig=frag).returncode == 0
    r = make(out)
    assert r.returncode == 2 and f"BR2_ROOTFS_USERS_TABLES contains nonexistent file(s): {tmp_path}/users" in r.stderr
    frag.write_text(base + f'BR2_PACKAGE_BUSYBOX_CONFIG_FRAGMENT_FILES="{tmp_path}/bb.frag"\n')
    assert make(out, "defconfig", defconfig=frag).returncode == 0
    r = make(out, "busybox")
    assert r.returncode == 2
    assert f"*** Kconfig file or fragment '{tmp_path}/bb.frag' for 'busybox' does not exist.  Stop." in r.stderr
    frag.write_text(base + "BR2_LINUX_KERNEL=y\n")
    assert make(out, "defconfig", defconfig=frag).returncode == 0
    r = make(out)
    assert r.returncode == 2 and "No kernel defconfig name specified" in r.stderr
    assert make(out, "show-info").returncode == 0  # information targets still work


def test_noise_and_delay_knobs(tmp_path):
    out = tmp_path / "out"
    frag = tmp_path / "frag"
    frag.write_text("BR2_TOOLCHAIN_EXTERNAL=y\nBR2_x86_64=y\n# BR2_TARGET_ROOTFS_TAR is not set\n")
    assert make(out, "defconfig", defconfig=frag).returncode == 0
    quiet = make(out, "busybox", env={"BR_FIXTURE_NOISE": "0"})
    assert make(out, "busybox-dirclean").returncode == 0
    loud = make(out, "busybox", env={"BR_FIXTURE_NOISE": "200"})
    count = lambda r: sum(1 for ln in r.stdout.splitlines() if "-gcc " in ln and " -c -o " in ln)  # noqa: E731
    assert count(quiet) == 0 and count(loud) == 200
    # make -s: no command echoes, as with Buildroot (only ">>>" lines and tools' own output)
    silent = make(out, "busybox-rebuild", extra=("-s",), env={"BR_FIXTURE_NOISE": "20"})
    assert silent.returncode == 0 and count(silent) == 0 and "Entering directory" not in silent.stdout
    assert [ln for ln in silent.stdout.splitlines() if ln.strip()] == [
        ">>> busybox 1.37.0 Building",
        ">>> busybox 1.37.0 Installing to target",
    ]
    # with a delay per step the build can be stopped midway, leaving no stamp for the step it was in
    assert make(out, "busybox-dirclean").returncode == 0
    env = make_env(BR_FIXTURE_DELAY="1.5")  # a wide window, even on a loaded machine
    proc = subprocess.Popen(
        ["make", "-C", str(TREE), f"O={out}", "busybox"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    for line in proc.stdout:
        if line.startswith(">>> busybox 1.37.0 Extracting"):
            break
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)
    stamps = sorted(p.name for p in (out / "build" / "busybox-1.37.0").glob(".stamp_*"))
    assert stamps == [".stamp_downloaded"]


def test_uboot_custom_kernel_source_and_clean(tmp_path):
    out = tmp_path / "out"
    ufrag = tmp_path / "uboot.fragment"
    ufrag.write_text("CONFIG_BOOTDELAY=0\n")
    upatches = tmp_path / "uboot-patches"
    upatches.mkdir()
    (upatches / "0001-board.patch").write_text("--- a/board/x.c\n+++ b/board/x.c\n@@ -1 +1 @@\n-a\n+b\n")
    frag = tmp_path / "frag"
    frag.write_text(
        "\n".join(
            [
                "BR2_TOOLCHAIN_EXTERNAL=y",
                "BR2_aarch64=y",
                "BR2_LINUX_KERNEL=y",
                "BR2_LINUX_KERNEL_CUSTOM_TARBALL=y",
                'BR2_LINUX_KERNEL_CUSTOM_TARBALL_LOCATION="https://example.org/kernels/linux-6.18.7.tar.gz"',
                "BR2_LINUX_KERNEL_USE_ARCH_DEFAULT_CONFIG=y",
                "BR2_LINUX_KERNEL_IMAGEGZ=y",
                "BR2_TARGET_UBOOT=y",
                'BR2_TARGET_UBOOT_BOARD_DEFCONFIG="rpi_4"',
                f'BR2_TARGET_UBOOT_CONFIG_FRAGMENT_FILES="{ufrag}"',
                f'BR2_TARGET_UBOOT_PATCH="{upatches}"',
                "BR2_TARGET_UBOOT_FORMAT_DTB=y",
                "# BR2_TARGET_ROOTFS_TAR is not set",
                "",
            ]
        )
    )
    assert make(out, "defconfig", defconfig=frag).returncode == 0
    info = json.loads(make(out, "show-info", extra=("-s",)).stdout)
    assert info["linux"]["version"] == "custom" and info["linux"]["stamp_dir"] == "build/linux-custom"
    assert info["uboot"]["install_images"] is True and info["uboot"]["install_target"] is False
    assert info["linux"]["downloads"][0]["uris"][0] == "https+https://example.org/kernels"
    r = make(out, "source")
    assert r.returncode == 0 and ">>> linux custom Downloading" in r.stdout
    assert not any(ln.startswith(">>> linux custom Extracting") for ln in r.stdout.splitlines())
    r = make(out)
    assert r.returncode == 0, r.stderr
    assert "Applying 0001-board.patch using patch: \npatching file board/x.c\n" in r.stdout
    assert ">>> uboot 2026.01 Installing to images directory" in r.stdout
    images = sorted(p.name for p in (out / "images").iterdir())
    assert images == ["Image.gz", "u-boot.bin", "u-boot.dtb"]
    uconfig = (out / "build" / "uboot-2026.01" / ".config").read_text()
    assert "# fixture: configuration from rpi_4_defconfig" in uconfig and "CONFIG_BOOTDELAY=0" in uconfig
    r = make(out, "clean")
    assert r.returncode == 0
    assert not (out / "build").exists() and not (out / "images").exists() and (out / ".config").exists()


def test_defconfig_with_missing_file_fails_like_conf(tmp_path):
    out = tmp_path / "out"
    r = make(out, "defconfig", defconfig=tmp_path / "nope")
    assert r.returncode == 2
    assert f'*** Can\'t find default configuration "{tmp_path}/nope"!' in r.stderr
    assert not (out / ".config").exists()
    r = make(out)  # nothing configured yet
    assert r.returncode == 2 and 'Please configure Buildroot first (e.g. "make menuconfig")' in r.stderr


def test_keep_going_builds_independent_packages(tmp_path):
    out = tmp_path / "out"
    frag = tmp_path / "frag"
    frag.write_text("BR2_TOOLCHAIN_EXTERNAL=y\nBR2_x86_64=y\nBR2_PACKAGE_HTOP=y\nBR2_PACKAGE_RSYNC=y\n")
    assert make(out, "defconfig", defconfig=frag).returncode == 0
    r = make(out, extra=("-k",), env={"BR_FIXTURE_FAIL": "htop:build"})
    assert r.returncode == 2
    assert r.stderr.strip().splitlines()[-1] == "make: Target 'all' not remade because of errors."
    assert any(STAMP_ERROR.match(ln) for ln in r.stderr.splitlines())
    assert (out / "build" / "rsync-3.4.3" / ".stamp_installed").exists()
    assert not (out / "images" / "rootfs.tar").exists()


def test_named_defconfig_from_tree_or_last_external(tmp_path):
    out = tmp_path / "out"
    r = make(out, "qemu_x86_64_defconfig", externals="")
    assert r.returncode == 0, r.stderr
    values = config_values(out / ".config")
    assert values["BR2_x86_64"] == "y" and values["BR2_TARGET_ROOTFS_EXT2_4"] == "y"
    assert values["BR2_DEFCONFIG"] == f'"{TREE}/configs/qemu_x86_64_defconfig"'
    ext = write_external(tmp_path / "ext", "SKIFF_DEFS")
    (ext / "configs").mkdir()
    (ext / "configs" / "qemu_x86_64_defconfig").write_text("BR2_aarch64=y\n")
    assert make(out, "qemu_x86_64_defconfig", externals=str(ext)).returncode == 0
    assert config_values(out / ".config")["BR2_aarch64"] == "y"
    r = make(out, "no_such_defconfig")
    assert r.returncode == 2 and "Can't find no_such_defconfig" in r.stderr


def test_external_go_package_like_skiff_core(tmp_path):
    ext = tmp_path / "ext"
    pkg = ext / "package" / "skiff-go"
    pkg.mkdir(parents=True)
    (ext / "external.desc").write_text("name: SKIFF_GO\n")
    (ext / "external.mk").write_text("include $(sort $(wildcard $(BR2_EXTERNAL_SKIFF_GO_PATH)/package/*/*.mk))\n")
    (ext / "Config.in").write_text('source "$BR2_EXTERNAL_SKIFF_GO_PATH/package/skiff-go/Config.in"\n')
    (pkg / "Config.in").write_text(
        'config BR2_PACKAGE_SKIFF_GO\n\tbool "skiff-go"\n'
        "\tdepends on BR2_PACKAGE_HOST_GO_TARGET_ARCH_SUPPORTS\n"
        "\tdepends on BR2_PACKAGE_HOST_GO_TARGET_CGO_LINKING_SUPPORTS\n"
        "\tdepends on !BR2_TOOLCHAIN_USES_UCLIBC\n\tselect BR2_PACKAGE_DOCKER_ENGINE\n"
    )
    (pkg / "skiff-go.mk").write_text(
        "SKIFF_GO_VERSION = v1.2.3\n"
        "SKIFF_GO_SITE = $(call github,skiffos,skiff-go,$(SKIFF_GO_VERSION))\n"
        "SKIFF_GO_LICENSE = MIT\n$(eval $(golang-package))\n"
    )
    out = tmp_path / "out"
    frag = tmp_path / "frag"
    frag.write_text("BR2_x86_64=y\nBR2_TOOLCHAIN_BUILDROOT_GLIBC=y\nBR2_PACKAGE_SKIFF_GO=y\n")
    assert make(out, "defconfig", externals=str(ext), defconfig=frag).returncode == 0
    values = config_values(out / ".config")
    assert values["BR2_PACKAGE_SKIFF_GO"] == "y" and values["BR2_PACKAGE_DOCKER_ENGINE"] == "y"
    info = json.loads(make(out, "show-info", extra=("-s",)).stdout)
    entry = info["skiff-go"]
    assert "host-go" in entry["dependencies"] and entry["stamp_dir"] == "build/skiff-go-v1.2.3"
    assert entry["downloads"][0]["uris"][0] == "https+https://github.com/skiffos/skiff-go/archive/v1.2.3"
    assert info["host-go"]["version"] == "1.26.3"


@requires_tools("xz")
def test_host_packages_expose_the_machines_own_tools(tmp_path):
    out = tmp_path / "out"
    frag = tmp_path / "frag"
    frag.write_text("BR2_TOOLCHAIN_EXTERNAL=y\nBR2_x86_64=y\nBR2_PACKAGE_HOST_GENIMAGE=y\n")
    assert make(out, "defconfig", defconfig=frag).returncode == 0
    r = make(out, "host-xz", "host-genimage")
    assert r.returncode == 0, r.stderr
    xz = out / "host" / "bin" / "xz"
    assert xz.is_symlink() and Path(os.readlink(xz)).resolve() == Path(shutil.which("xz")).resolve()
    genimage = out / "host" / "bin" / "genimage"
    assert genimage.exists() == (shutil.which("genimage") is not None)  # never a fake tool


@requires_tools("mksquashfs", "mke2fs")
def test_real_filesystem_images_when_the_tools_exist(tmp_path):
    out = tmp_path / "out"
    frag = tmp_path / "frag"
    frag.write_text(
        "BR2_TOOLCHAIN_EXTERNAL=y\nBR2_x86_64=y\nBR2_TARGET_ROOTFS_SQUASHFS=y\n"
        'BR2_TARGET_ROOTFS_EXT2=y\nBR2_TARGET_ROOTFS_EXT2_4=y\nBR2_TARGET_ROOTFS_EXT2_SIZE="8M"\n'
        "# BR2_TARGET_ROOTFS_TAR is not set\n"
    )
    assert make(out, "defconfig", defconfig=frag).returncode == 0
    r = make(out)
    assert r.returncode == 0, r.stderr
    assert (out / "images" / "rootfs.squashfs").read_bytes()[:4] == b"hsqs"
    ext4 = (out / "images" / "rootfs.ext4").read_bytes()
    assert len(ext4) == 8 * 1024 * 1024 and ext4[1024 + 56 : 1024 + 58] == b"\x53\xef"  # ext superblock magic
    listing = subprocess.run(
        ["unsquashfs", "-l", str(out / "images" / "rootfs.squashfs")], capture_output=True, text=True
    ).stdout
    assert "squashfs-root/bin/busybox" in listing and "squashfs-root/etc/os-release" in listing
