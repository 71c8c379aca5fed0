"""A SkiffOS-shaped package tree for compatibility tests and benchmarks (our own packages).

`make_tree(dest)` writes 109 packages in 28 namespaces: boards, container stacks, distros, apps.
Everything is deterministic (no randomness, no clock), so goldens captured from SkiffOS's scripts
on one generated tree hold for every other one written by the same generator.

What the tree exercises (each on purpose):
- Buildroot, kernel, BusyBox and U-Boot fragments that override one another across layers,
  including `# X is not set` in both directions, strings with spaces and escaped quotes, the
  `SKIFF_CONFIG_ROOT` token, a fragment whose last line has no trailing newline, file names whose
  byte-wise order differs from natural/locale order, and hidden files that must be skipped.
- cflags files (comments, several flags a line), root_overlay trees, users tables, pre/post hooks,
  BR2_EXTERNAL trees (external.desc / Config.in / external.mk), Buildroot/kernel/U-Boot patch dirs.
- metadata: dependencies separated by commas, spaces or both (with leading/trailing blanks),
  unlisted packages, commands whose last line has no trailing newline, a buildtarget, commands
  declared without extensions/ (a package defect).
- dependency depth up to 5 (distro/debian -> sys/core -> ctr/docker -> ctr/containerd -> ctr/runc
  -> sys/cgroups), a diamond (ui/kiosk -> ui/wayland, ui/browser -> ui/gfx), and packages that
  declare a dependency after one of its own dependents (pinebk/phone, like SkiffOS's pine64/phone).

`write_overrides(root, variant, workspace)` writes the override layers used by some golden
selections: "global" -> <root>/overrides/, "ws" -> <root>/overrides/workspaces/<workspace>/.

Constraints kept so SkiffOS's shell scripts read the tree as intended (documented in
golden/README.md): no tabs or newlines inside metadata/dependencies, no spaces in file names,
no '%' or '"' in cflags, every users file ends with a newline, no leading blanks on fragment lines.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

EXEC = 0o755


@dataclass
class Pkg:
    name: str
    description: str
    deps: str | None = None  # raw text of metadata/dependencies (None: no file)
    files: dict[str, str] = field(default_factory=dict)
    executable: set[str] = field(default_factory=set)
    unlisted: bool = False
    commands: str | None = None  # raw text of metadata/commands
    extensions: bool = False
    buildtarget: str | None = None
    dirs: tuple[str, ...] = ()  # empty directories to create (e.g. buildroot_patches/x)


# --- building blocks ---------------------------------------------------------------------------


def frag(*lines: str, newline: bool = True) -> str:
    return "\n".join(lines) + ("\n" if newline else "")


def external(name: str, title: str, tool: str) -> dict[str, str]:
    """A small but valid BR2_EXTERNAL tree with one package."""
    sym = f"BR2_PACKAGE_{tool.upper().replace('-', '_')}"
    return {
        "buildroot_ext/external.desc": f"name: {name}\ndesc: {title}\n",
        "buildroot_ext/Config.in": f'source "$BR2_EXTERNAL_{name}_PATH/package/{tool}/Config.in"\n',
        "buildroot_ext/external.mk": f"include $(sort $(wildcard $(BR2_EXTERNAL_{name}_PATH)/package/*/*.mk))\n",
        f"buildroot_ext/package/{tool}/Config.in": frag(
            f"config {sym}", f'\tbool "{tool}"', "\thelp", f"\t  {title}: helper tool of the test tree."
        ),
        f"buildroot_ext/package/{tool}/{tool}.mk": frag(
            f"{tool.upper().replace('-', '_')}_VERSION = 1.0",
            f"{tool.upper().replace('-', '_')}_SITE = $(BR2_EXTERNAL_{name}_PATH)/package/{tool}",
            f"{tool.upper().replace('-', '_')}_SITE_METHOD = local",
            "$(eval $(generic-package))",
        ),
    }


def patch(target: str, subject: str) -> str:
    return frag(
        "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001",
        "From: Skiff Test <test@example.invalid>",
        f"Subject: [PATCH] {subject}",
        "",
        "---",
        f"--- a/{target}",
        f"+++ b/{target}",
        "@@ -1 +1 @@",
        "-old",
        "+new",
    )


def hook(text: str) -> str:
    return frag("#!/bin/bash", "set -eo pipefail", f'echo "{text} in $SKIFF_CURRENT_CONF_DIR"')


BOARD_COMMANDS = frag(
    "format Format a SD card and install the system to it",
    "install Install the system to a formatted SD card",
    "buildimage Build a disk image from the workspace",
)
EXT_MAKEFILE = frag(
    "# Commands of this package; SKIFF_* variables come from the environment.",
    "format install buildimage run:",
    '\t@echo "$@ for $(SKIFF_CURRENT_CONF_NAME) in $(SKIFF_WORKSPACE)"',
    ".PHONY: format install buildimage run",
)


# --- the packages ------------------------------------------------------------------------------


def system_packages() -> list[Pkg]:
    pkgs = [
        Pkg(
            "sys/base",
            "Base system: hostname, login banner, common tools",
            files={
                "buildroot/00-base": frag(
                    "# base of every chain in the test tree",
                    'BR2_TARGET_GENERIC_HOSTNAME="skiff"',
                    'BR2_TARGET_GENERIC_ISSUE="Welcome to the skiff test tree"',
                    "BR2_PACKAGE_HTOP=y",
                    "# BR2_TARGET_ROOTFS_SQUASHFS is not set",
                    "BR2_TOOLCHAIN_BUILDROOT_CXX=y",
                    'BR2_SYSTEM_DHCP="eth0"',
                ),
                # Byte-wise order: "10-net" < "9-late" < "B-upper" < "a-lower" (natural order differs).
                "buildroot/9-late": frag("BR2_PACKAGE_NANO=y", 'BR2_TARGET_GENERIC_HOSTNAME="skiff-late"'),
                "buildroot/10-net": frag("BR2_PACKAGE_IPROUTE2=y", 'BR2_TARGET_GENERIC_HOSTNAME="skiff-net"'),
                "buildroot/B-upper": frag("BR2_PACKAGE_JQ=y", "# BR2_PACKAGE_NANO is not set"),
                "buildroot/a-lower": frag("BR2_PACKAGE_NANO=y", "BR2_PACKAGE_TREE=y"),
                "buildroot/.hidden": frag("BR2_PACKAGE_SHOULD_NOT_APPEAR=y"),
                "kernel/base": frag(
                    'CONFIG_LOCALVERSION="-skiff"',
                    "# CONFIG_DEBUG_INFO is not set",
                    "CONFIG_HZ_250=y",
                    "CONFIG_HZ=250",
                    "CONFIG_OVERLAY_FS=m",
                    "CONFIG_IKCONFIG=y",
                ),
                "busybox/base": frag(
                    "CONFIG_FEATURE_EDITING_HISTORY=255", "# CONFIG_HTTPD is not set", 'CONFIG_PREFIX="./_install"'
                ),
                "cflags/00-base": frag(
                    "# generic optimisation", "-O2 -pipe", "", "# stack protection", "-fstack-protector-strong"
                ),
                "root_overlay/etc/skiff/release": "skiff test tree\n",
                "scripts/helper.sh": frag("#!/bin/sh", "echo helper"),
            },
            executable={"scripts/helper.sh"},
        ),
        Pkg(
            "sys/cgroups",
            "Control groups for containers",
            files={
                "kernel/cgroups": frag(
                    "CONFIG_CGROUPS=y",
                    "CONFIG_MEMCG=y",
                    "CONFIG_CGROUP_PIDS=y",
                    "CONFIG_CGROUP_BPF=y",
                    "# CONFIG_CGROUP_DEBUG is not set",
                ),
                "buildroot/cgroups": frag("BR2_PACKAGE_CGROUPFS_V2_MOUNT=y"),
            },
        ),
        Pkg(
            "sys/init",
            "Init system and service manager",
            deps="sys/base\n",
            files={
                "buildroot/init": frag(
                    "BR2_INIT_SYSTEMD=y", "# BR2_INIT_BUSYBOX is not set", "BR2_PACKAGE_SYSTEMD_LOGIND=y"
                ),
                "kernel/init": frag("CONFIG_AUTOFS_FS=y", "CONFIG_FHANDLE=y"),
            },
        ),
        Pkg(
            "sys/journal",
            "Persistent journal",
            deps="sys/init",
            files={
                "buildroot/journal": frag(
                    "BR2_PACKAGE_SYSTEMD_JOURNAL_REMOTE=y", 'BR2_TARGET_GENERIC_ISSUE="Welcome (journal kept)"'
                ),
                "root_overlay/etc/systemd/journald.conf.d/persist.conf": frag("[Journal]", "Storage=persistent"),
            },
        ),
        Pkg(
            "sys/moduleimg",
            "Kernel modules in a separate squashfs image",
            files={
                "buildroot/moduleimg": frag(
                    "BR2_PACKAGE_SKIFF_MODULEIMG=y", "BR2_TARGET_ROOTFS_SQUASHFS=y", "BR2_TARGET_ROOTFS_SQUASHFS4_LZ4=y"
                ),
                "kernel/squashfs": frag(
                    "CONFIG_SQUASHFS=y",
                    "CONFIG_SQUASHFS_LZ4=y",
                    "CONFIG_OVERLAY_FS=y",
                    "# CONFIG_SQUASHFS_XZ is not set",
                ),
            },
        ),
        Pkg(
            "sys/users",
            "Default users table",
            unlisted=True,
            files={
                "users/00-skiff": "skiff -1 skiff -1 * /home/skiff /bin/bash docker,audio,video Skiff user\n",
                "users/10-ops": "ops -1 ops -1 =changeme /home/ops /bin/sh wheel Operator\n",
                "buildroot/users": frag("BR2_PACKAGE_SUDO=y"),
            },
        ),
        Pkg(
            "sys/core",
            "SkiffOS-style core: containers host the user environment",
            deps="ctr/docker,sys/init\n",
            files={
                "buildroot/core": frag(
                    'BR2_TARGET_GENERIC_HOSTNAME="skiff-core"', "BR2_PACKAGE_SKIFF_CORE=y", "BR2_PACKAGE_HTOP=y"
                ),
                "kernel/core": frag("CONFIG_USER_NS=y", "CONFIG_NAMESPACES=y"),
                "hooks/pre.sh": hook("core pre hook"),
                "root_overlay/etc/skiff-core/defconfig.yaml": frag(
                    "containers:", "  core:", "    image: skiffos/skiff-core-test:latest"
                ),
                "resources/skiff-core.yaml": frag("containers: {}", "users: {}"),
                **external("SKIFFTEST_CORE", "skiff core test external", "skiff-core-tool"),
            },
            executable={"hooks/pre.sh"},
        ),
    ]
    return pkgs


def container_packages() -> list[Pkg]:
    return [
        Pkg(
            "ctr/runc",
            "OCI runtime",
            deps="sys/cgroups",
            files={
                "buildroot/runc": frag("BR2_PACKAGE_RUNC=y", "BR2_PACKAGE_LIBSECCOMP=y"),
                "kernel/runc": frag("CONFIG_SECCOMP=y", "CONFIG_SECCOMP_FILTER=y", "# CONFIG_BPF_SYSCALL is not set"),
            },
        ),
        Pkg(
            "ctr/containerd",
            "Container daemon",
            deps=" ctr/runc ",
            files={
                "buildroot/containerd": frag("BR2_PACKAGE_CONTAINERD=y"),
                "kernel/containerd": frag("CONFIG_VETH=m", "CONFIG_BRIDGE=m"),
            },
        ),
        Pkg(
            "ctr/docker",
            "Docker engine",
            deps="ctr/containerd",
            files={
                "buildroot/docker": frag(
                    "BR2_PACKAGE_DOCKER_ENGINE=y",
                    "BR2_PACKAGE_DOCKER_CLI=y",
                    "# BR2_PACKAGE_DOCKER_ENGINE_DRIVER_BTRFS is not set",
                ),
                "kernel/docker": frag(
                    "CONFIG_VETH=y",
                    "CONFIG_BRIDGE=y",
                    "CONFIG_NETFILTER_XT_MATCH_ADDRTYPE=y",
                    "CONFIG_OVERLAY_FS=y",
                    "CONFIG_BPF_SYSCALL=y",
                ),
                "root_overlay/etc/docker/daemon.json": '{"storage-driver": "overlay2"}\n',
            },
        ),
        Pkg(
            "ctr/compose",
            "Docker compose plugin",
            deps="ctr/docker",
            files={"buildroot/compose": frag("BR2_PACKAGE_DOCKER_COMPOSE=y")},
        ),
        Pkg(
            "ctr/podman",
            "Podman, daemonless containers",
            deps="ctr/runc net/cni",
            files={"buildroot/podman": frag("BR2_PACKAGE_PODMAN=y", "BR2_PACKAGE_CONMON=y")},
        ),
        Pkg(
            "ctr/stack",
            "Compose stack runner (deepest dependency path)",
            deps="ctr/compose, net/cni",
            files={"buildroot/stack": frag('BR2_PACKAGE_STACK_DIR="/opt/stack"')},
        ),
    ]


def distro_packages() -> list[Pkg]:
    out = []
    distros = [
        ("debian", "Debian userland in the core container", "sys/core\n"),
        ("alpine", "Alpine userland in the core container", "sys/core,  sys/users"),
        ("ubuntu", "Ubuntu userland in the core container", "sys/core"),
        ("fedora", "Fedora userland in the core container", "sys/core ,sys/users\n"),
        ("nixos", "NixOS userland in the core container", "sys/core"),
        ("gentoo", "Gentoo userland in the core container", "sys/core dev/debug"),
    ]
    for name, desc, deps in distros:
        files = {
            "buildroot/distro": frag(f'BR2_TARGET_GENERIC_HOSTNAME="skiff-{name}"'),
            "resources/skiff-core.yaml": frag("containers:", f"  {name}:", f"    image: test/{name}:latest"),
            "root_overlay/etc/skiff-core/distro": f"{name}\n",
        }
        if name == "debian":
            files["buildroot/issue"] = frag(r'BR2_TARGET_GENERIC_ISSUE="Welcome to \"Debian\" on skiff"')
            files["hooks/pre.sh"] = hook("debian pre hook")
            files["users/core"] = "core -1 core -1 * /home/core /bin/bash docker Core container user\n"
        if name == "alpine":
            files["busybox/alpine"] = frag("CONFIG_FEATURE_EDITING_HISTORY=1024", "CONFIG_HTTPD=y")
        out.append(
            Pkg(
                f"distro/{name}",
                desc,
                deps=deps,
                files=files,
                executable={"hooks/pre.sh"} if "hooks/pre.sh" in files else set(),
            )
        )
    return out


def app_packages() -> list[Pkg]:
    return [
        Pkg("net/cni", "Container network plugins", files={"buildroot/cni": frag("BR2_PACKAGE_CNI_PLUGINS=y")}),
        Pkg(
            "net/wifi",
            "Wireless networking",
            files={
                "buildroot/wifi": frag("BR2_PACKAGE_WPA_SUPPLICANT=y", 'BR2_SYSTEM_DHCP="wlan0"'),
                "kernel/wifi": frag('CONFIG_EXTRA_FIRMWARE="regulatory.db regulatory.db.p7s"', "CONFIG_CFG80211=m"),
            },
        ),
        Pkg(
            "net/bt",
            "Bluetooth",
            deps="net/wifi",
            files={"buildroot/bt": frag("BR2_PACKAGE_BLUEZ5_UTILS=y"), "kernel/bt": frag("CONFIG_BT=m")},
        ),
        Pkg("net/modem", "Cellular modems", files={"buildroot/modem": frag("BR2_PACKAGE_MODEM_MANAGER=y")}),
        Pkg(
            "net/wireguard",
            "WireGuard VPN",
            deps="sys/base",
            files={"buildroot/wg": frag("BR2_PACKAGE_WIREGUARD_TOOLS=y"), "kernel/wg": frag("CONFIG_WIREGUARD=y")},
        ),
        Pkg(
            "dev/debug",
            "Debugging: symbols and tracing",
            deps="tools/strace,tools/perf",
            files={
                "kernel/debug": frag(
                    "CONFIG_DEBUG_INFO=y", "CONFIG_HZ_1000=y", "# CONFIG_HZ_250 is not set", "CONFIG_HZ=1000"
                ),
                "buildroot/debug": frag(
                    "BR2_ENABLE_DEBUG=y", "BR2_PACKAGE_GDB=y", "# BR2_TOOLCHAIN_BUILDROOT_CXX is not set"
                ),
                "cflags/debug": frag("-g3", "-fno-omit-frame-pointer # keep frames"),
            },
        ),
        Pkg(
            "dev/gpu",
            "GPU drivers",
            files={"buildroot/gpu": frag("BR2_PACKAGE_MESA3D=y", 'BR2_PACKAGE_MESA3D_GALLIUM_DRIVERS="panfrost v3d"')},
        ),
        Pkg("dev/i2c", "I2C tools", unlisted=True, files={"buildroot/i2c": frag("BR2_PACKAGE_I2C_TOOLS=y")}),
        Pkg("dev/serial", "Serial console tools", files={"buildroot/serial": frag("BR2_PACKAGE_PICOCOM=y")}),
        Pkg(
            "fs/btrfs",
            "Btrfs filesystem",
            files={
                "buildroot/btrfs": frag("BR2_PACKAGE_BTRFS_PROGS=y", "BR2_PACKAGE_DOCKER_ENGINE_DRIVER_BTRFS=y"),
                "kernel/btrfs": frag("CONFIG_BTRFS_FS=y"),
            },
        ),
        Pkg("fs/zfs", "ZFS filesystem", deps="sys/moduleimg", files={"buildroot/zfs": frag("BR2_PACKAGE_ZFS=y")}),
        Pkg("fs/nfs", "NFS client", files={"kernel/nfs": frag("CONFIG_NFS_FS=m", "CONFIG_NFS_V4=m")}),
        Pkg(
            "fs/squash",
            "Squashfs root filesystem",
            files={"buildroot/squash": frag("BR2_TARGET_ROOTFS_SQUASHFS=y", "BR2_TARGET_ROOTFS_SQUASHFS4_ZSTD=y")},
        ),
        Pkg(
            "ui/gfx",
            "Graphics stack base",
            deps="dev/gpu",
            files={
                "buildroot/gfx": frag("BR2_PACKAGE_LIBDRM=y", 'BR2_PACKAGE_MESA3D_GALLIUM_DRIVERS="v3d"'),
                "kernel/gfx": frag("CONFIG_DRM=y"),
            },
        ),
        Pkg("ui/fonts", "Fonts", files={"buildroot/fonts": frag("BR2_PACKAGE_DEJAVU=y")}),
        Pkg(
            "ui/wayland",
            "Wayland compositor",
            deps="ui/gfx,ui/fonts",
            files={"buildroot/wayland": frag("BR2_PACKAGE_WESTON=y", 'BR2_PACKAGE_WESTON_DEFAULT_COMPOSITOR="drm"')},
        ),
        Pkg(
            "ui/browser",
            "Web browser",
            deps="ui/gfx",
            files={"buildroot/browser": frag("BR2_PACKAGE_COG=y", 'BR2_PACKAGE_COG_PROGRAMS_HOME_URI="about:blank"')},
        ),
        Pkg(
            "ui/kiosk",
            "Kiosk: browser on a compositor (diamond on ui/gfx)",
            deps=" ui/wayland , ui/browser ",
            files={
                "buildroot/kiosk": frag(
                    'BR2_PACKAGE_COG_PROGRAMS_HOME_URI="http://localhost:8080/?a=1&b=two words"',
                    'BR2_PACKAGE_WESTON_DEFAULT_COMPOSITOR="kiosk"',
                ),
                "hooks/post.sh": hook("kiosk post hook"),
                **external("SKIFFTEST_KIOSK", "kiosk test external", "kiosk-launcher"),
            },
            executable={"hooks/post.sh"},
        ),
        Pkg("tools/htop", "Process viewer", files={"buildroot/htop": frag("BR2_PACKAGE_HTOP=y")}),
        Pkg("tools/strace", "System call tracer", files={"buildroot/strace": frag("BR2_PACKAGE_STRACE=y")}),
        Pkg(
            "tools/perf",
            "Linux perf",
            files={
                "buildroot/perf": frag("BR2_LINUX_KERNEL_TOOL_PERF=y"),
                "kernel/perf": frag("CONFIG_PERF_EVENTS=y", "# CONFIG_DEBUG_INFO is not set"),
            },
        ),
        # Commands declared without an extensions/ directory: SkiffOS ignores them, skiff check reports it.
        Pkg(
            "tools/tmux",
            "Terminal multiplexer",
            commands="attach Attach to the session\n",
            files={
                "buildroot/tmux": frag("BR2_PACKAGE_TMUX=y"),
                "busybox/tmux": frag("CONFIG_FEATURE_EDITING_HISTORY=2048"),
            },
        ),
        Pkg(
            "vm/common",
            "Virtual machine base",
            deps="sys/base",
            files={
                "buildroot/vm": frag("BR2_x86_64=y", 'BR2_TARGET_GENERIC_HOSTNAME="skiff-vm"'),
                "kernel/vm": frag("CONFIG_VIRTIO=y", "CONFIG_VIRTIO_BLK=y", "CONFIG_VIRTIO_NET=y"),
            },
        ),
        Pkg(
            "vm/qemu",
            "QEMU guest",
            deps="vm/common",
            commands="run Boot the image in QEMU\n",
            extensions=True,
            files={"buildroot/qemu": frag("BR2_TARGET_ROOTFS_EXT2=y")},
        ),
        Pkg("vm/kvm", "KVM host", deps="vm/qemu", files={"kernel/kvm": frag("CONFIG_KVM=y")}),
        Pkg(
            "vm/docker",
            "Run the system as a container",
            deps="vm/common ctr/docker",
            commands="run Run the image as a privileged container\nbuildimage Import the root filesystem\n",
            extensions=True,
            buildtarget="rootfs-tar\n",
            files={"buildroot/vmdocker": frag("BR2_TARGET_ROOTFS_TAR=y", "# BR2_LINUX_KERNEL is not set")},
        ),
    ]


@dataclass(frozen=True)
class Board:
    ns: str
    title: str
    arch: str  # Buildroot arch symbol suffix
    cpu: str  # -mcpu value
    kernel: str  # kernel version of the vendor
    uboot: bool
    boards: tuple[tuple[str, str], ...]  # (name, description)


BOARDS = (
    Board(
        "rpi",
        "Raspberry Pi",
        "aarch64",
        "cortex-a72",
        "6.6.40",
        False,
        (
            ("3", "Raspberry Pi 3"),
            ("4x64", "Raspberry Pi 4, 64-bit"),
            ("4", "Raspberry Pi 4"),
            ("5", "Raspberry Pi 5"),
            ("zero", "Raspberry Pi Zero"),
        ),
    ),
    Board(
        "odx",
        "Odroid-like boards",
        "arm",
        "cortex-a15",
        "6.1.90",
        True,
        (("xu4", "XU4 octa-core"), ("n2", "N2 with eMMC"), ("c4", "C4 quad-core")),
    ),
    Board(
        "pinebk",
        "Pine64-like devices",
        "aarch64",
        "cortex-a53",
        "6.6.41",
        True,
        (("phone", "Phone"), ("book", "Laptop"), ("a64", "A64 board")),
    ),
    Board(
        "rk",
        "Rockchip boards",
        "aarch64",
        "cortex-a76",
        "6.10.2",
        True,
        (("rk3399", "RK3399 board"), ("rk3588", "RK3588 board"), ("rock5", "Rock 5")),
    ),
    Board(
        "tegra",
        "Tegra modules",
        "aarch64",
        "cortex-a78ae",
        "5.15.148",
        False,
        (("agx", "AGX module"), ("nano", "Nano module"), ("orin", "Orin module")),
    ),
    Board(
        "x86",
        "x86 PCs",
        "x86_64",
        "x86-64-v2",
        "6.12.3",
        False,
        (("desktop", "Desktop with kiosk"), ("nuc", "Small form factor PC")),
    ),
    Board("sunxi", "Allwinner boards", "arm", "cortex-a7", "6.6.30", True, (("h3", "H3 board"), ("h5", "H5 board"))),
    Board("banana", "Banana-like boards", "arm", "cortex-a7", "6.6.31", True, (("m1", "M1"), ("m2", "M2"))),
    Board("bbone", "Beagle-like boards", "arm", "cortex-a8", "6.1.80", True, (("black", "Black"), ("ai", "AI"))),
    Board("imx", "i.MX boards", "aarch64", "cortex-a53", "6.6.20", True, (("imx8m", "i.MX8M"), ("imx6", "i.MX6"))),
    Board(
        "orange", "Orange-like boards", "aarch64", "cortex-a55", "6.6.33", True, (("pi4", "Pi 4"), ("zero2", "Zero 2"))
    ),
    Board("riscv", "RISC-V boards", "riscv", "sifive-u74", "6.11.0", True, (("vf2", "VisionFive 2"), ("d1", "D1"))),
    Board("armory", "USB armory-like", "arm", "cortex-a7", "6.1.70", True, (("mk2", "Mk II"), ("mk3", "Mk III"))),
    Board("steam", "Handheld PCs", "x86_64", "znver2", "6.12.1", False, (("deck", "Deck"), ("ctrl", "Controller box"))),
    Board(
        "mobile",
        "Mobile phones",
        "aarch64",
        "cortex-a53",
        "6.6.45",
        True,
        (("librem", "Librem-like"), ("pinephone2", "Second phone")),
    ),
    Board("appl", "Apple silicon", "aarch64", "apple-m1", "6.9.0", False, (("m1", "M1 Mac"), ("m2", "M2 Mac"))),
    Board("chipx", "Tiny ARM boards", "arm", "cortex-a8", "5.10.200", True, (("pocket", "Pocket"), ("chip", "CHIP"))),
    Board("apu", "APU network boards", "x86_64", "btver2", "6.6.50", False, (("apu2", "APU2"), ("apu4", "APU4"))),
    Board(
        "drone",
        "Flight computers",
        "aarch64",
        "cortex-a77",
        "5.4.233",
        False,
        (("voxl", "VOXL"), ("px4", "PX4 companion")),
    ),
)

# Extra dependencies of particular boards (beyond <ns>/common), raw metadata text.
BOARD_DEPS = {
    "rpi/4x64": "rpi/common",
    "rpi/4": "rpi/common,rpi/4x64",
    "rpi/5": "rpi/4x64",
    # Declares a dependency (sys/moduleimg) after one of its dependents (pinebk/common needs it):
    # SkiffOS keeps that order, skiff moves sys/moduleimg first (docs/behaviour.md#resolution; differs from SkiffOS).
    "pinebk/phone": "pinebk/common,sys/moduleimg",
    "tegra/agx": "tegra/common, sys/core",
    "x86/desktop": "x86/common,ui/kiosk",
    "mobile/pinephone2": "mobile/common pinebk/common",
    "drone/voxl": "drone/common, net/wifi,dev/serial",
    "steam/deck": "steam/common,ui/wayland",
    "rk/rock5": "rk/rk3588",
    "rk/rk3588": "rk/common",
}


def board_packages() -> list[Pkg]:
    out = []
    for b in BOARDS:
        common = f"{b.ns}/common"
        files = {
            "buildroot/00-arch": frag(f"BR2_{b.arch}=y", f"BR2_{b.cpu.replace('-', '_')}=y"),
            "buildroot/10-kernel": frag(
                "BR2_LINUX_KERNEL=y",
                "BR2_LINUX_KERNEL_CUSTOM_VERSION=y",
                f'BR2_LINUX_KERNEL_CUSTOM_VERSION_VALUE="{b.kernel}"',
                f'BR2_LINUX_KERNEL_CUSTOM_DTS_PATH="SKIFF_CONFIG_ROOT/resources/dts/{b.ns}.dts"',
                "BR2_LINUX_KERNEL_DTS_SUPPORT=y",
            ),
            "buildroot/20-system": frag(f'BR2_TARGET_GENERIC_HOSTNAME="{b.ns}"', 'BR2_SYSTEM_DHCP="end0"'),
            "kernel/00-board": frag(
                f'CONFIG_LOCALVERSION="-{b.ns}"',
                'CONFIG_CMDLINE="console=ttyS0,115200 root=/dev/mmcblk0p2 rootwait quiet"',
                "CONFIG_HZ_250=y",
                "CONFIG_HZ=250",
                "CONFIG_SQUASHFS_XZ=y",
            ),
            "cflags/board": frag(f"-mcpu={b.cpu}", f"-mtune={b.cpu}"),
            f"resources/dts/{b.ns}.dts": frag("/dts-v1/;", "/ {", f'\tmodel = "{b.title}";', "};"),
            "root_overlay/etc/skiff/board": f"{b.ns}\n",
            f"kernel_patches/0001-{b.ns}-fixup.patch": patch("drivers/soc/board.c", f"{b.ns}: board fixup"),
        }
        if b.uboot:
            files["uboot/00-common"] = frag(
                "CONFIG_BOOTDELAY=2",
                r'CONFIG_BOOTCOMMAND="run distro_bootcmd; echo \"boot failed\""',
                "CONFIG_CMD_BOOTEFI=y",
                f'CONFIG_DEFAULT_DEVICE_TREE="{b.ns}-common"',
            )
            files["buildroot/30-uboot"] = frag(
                "BR2_TARGET_UBOOT=y",
                "BR2_TARGET_UBOOT_BUILD_SYSTEM_KCONFIG=y",
                f'BR2_TARGET_UBOOT_BOARD_DEFCONFIG="{b.ns}_common"',
            )
            files["uboot_patches/0001-env.patch"] = patch("include/env_default.h", "env defaults")
        if b.ns == "rpi":
            files["buildroot/40-firmware"] = frag(
                "BR2_PACKAGE_RPI_FIRMWARE=y",
                'BR2_PACKAGE_RPI_FIRMWARE_CONFIG_FILE="SKIFF_CONFIG_ROOT/resources/config.txt"',
                'BR2_PACKAGE_RPI_FIRMWARE_CMDLINE_FILE="SKIFF_CONFIG_ROOT/resources/cmdline.txt"',
            )
            files["resources/config.txt"] = frag("arm_64bit=1", "enable_uart=1")
            files["resources/cmdline.txt"] = "console=serial0,115200 root=/dev/mmcblk0p2\n"
            files["hooks/post.sh"] = hook("rpi post hook")
            files["buildroot_patches/rpi-firmware/0001-config.patch"] = patch("config.txt", "firmware config")
            files.update(external("SKIFFTEST_RPI", "rpi test external", "rpi-helper"))
        if b.ns == "odx":
            # The last line of this fragment has no trailing newline.
            files["busybox/odx"] = frag(
                "CONFIG_FEATURE_EDITING_HISTORY=64",
                "# CONFIG_HTTPD is not set",
                "CONFIG_FEATURE_SH_MATH=y",
                newline=False,
            )
            files["buildroot/50-nonl"] = frag(
                "BR2_PACKAGE_ODROID_SCRIPTS=y", 'BR2_TARGET_GENERIC_HOSTNAME="odx-nonl"', newline=False
            )
            files["buildroot_patches/linux-firmware/6.0/0001-blobs.patch"] = patch("WHENCE", "blobs")
        if b.ns == "x86":
            files["users/x86"] = "kiosk -1 kiosk -1 * /home/kiosk /bin/sh video Kiosk user\n"
        commands = BOARD_COMMANDS if b.uboot or b.ns == "rpi" else None
        if b.ns == "rpi":
            commands = commands.rstrip("\n")  # last command line without a trailing newline
        out.append(
            Pkg(
                common,
                f"{b.title}: common board support",
                deps="sys/moduleimg",
                files=files,
                executable={"hooks/post.sh"} if "hooks/post.sh" in files else set(),
                commands=commands,
                extensions=commands is not None,
                unlisted=b.ns in ("steam", "appl"),
            )
        )
        for idx, (name, desc) in enumerate(b.boards):
            full = f"{b.ns}/{name}"
            bfiles = {
                "buildroot/board": frag(
                    f'BR2_TARGET_GENERIC_HOSTNAME="{b.ns}-{name}"', f'BR2_LINUX_KERNEL_INTREE_DTS_NAME="{b.ns}/{name}"'
                ),
                "kernel/board": frag(f'CONFIG_LOCALVERSION="-{b.ns}-{name}"'),
            }
            if idx == 0:
                # The first board of each vendor overrides more: version, HZ, is-not-set flips.
                bfiles["buildroot/board"] += frag(
                    f'BR2_LINUX_KERNEL_CUSTOM_VERSION_VALUE="{b.kernel}-{name}"',
                    f'BR2_LINUX_KERNEL_CUSTOM_DTS_PATH="SKIFF_CONFIG_ROOT/resources/{name}.dts"',
                    "# BR2_PACKAGE_HTOP is not set",
                )
                bfiles["kernel/board"] += frag(
                    "# CONFIG_HZ_250 is not set",
                    "CONFIG_HZ_1000=y",
                    "CONFIG_HZ=1000",
                    f'CONFIG_CMDLINE="console=tty1 root=/dev/{name}p2 \\"quoted\\""',
                )
                bfiles[f"resources/{name}.dts"] = frag("/dts-v1/;", f'/ {{ model = "{desc}"; }};')
                if b.uboot:
                    bfiles["uboot/board"] = frag(
                        "CONFIG_BOOTDELAY=0",
                        "# CONFIG_CMD_BOOTEFI is not set",
                        f'CONFIG_DEFAULT_DEVICE_TREE="{b.ns}-{name}"',
                    )
                bfiles["cflags/board"] = frag(f"-mcpu={b.cpu}+crypto")
            if name == "zero":
                bfiles["buildroot/small"] = frag(
                    "# BR2_PACKAGE_HTOP is not set", "# BR2_TOOLCHAIN_BUILDROOT_CXX is not set"
                )
            if full == "rpi/4":
                bfiles["buildroot/firmware"] = frag(
                    'BR2_PACKAGE_RPI_FIRMWARE_CONFIG_FILE="SKIFF_CONFIG_ROOT/resources/config-pi4.txt"'
                )
                bfiles["resources/config-pi4.txt"] = frag("arm_64bit=1", "dtoverlay=vc4-kms-v3d")
                bfiles["root_overlay/etc/skiff/board"] = "rpi4\n"
                bfiles["kernel_patches/0002-pi4.patch"] = patch("drivers/pi4.c", "pi4 fix")
            deps = BOARD_DEPS.get(full, common)
            out.append(Pkg(full, desc, deps=deps, files=bfiles))
    return out


def all_packages() -> list[Pkg]:
    return system_packages() + container_packages() + distro_packages() + app_packages() + board_packages()


# --- writing -----------------------------------------------------------------------------------


def _write(path: Path, text: str, mode: int | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if mode is not None:
        os.chmod(path, mode)


def write_package(dest: Path, pkg: Pkg) -> None:
    base = dest / pkg.name
    meta = base / "metadata"
    meta.mkdir(parents=True, exist_ok=True)
    _write(meta / "description", pkg.description + "\n")
    if pkg.deps is not None:
        _write(meta / "dependencies", pkg.deps)
    if pkg.unlisted:
        _write(meta / "unlisted", "")
    if pkg.commands is not None:
        _write(meta / "commands", pkg.commands)
    if pkg.buildtarget is not None:
        _write(meta / "buildtarget", pkg.buildtarget)
    if pkg.extensions:
        _write(base / "extensions" / "Makefile", EXT_MAKEFILE)
    for rel, text in sorted(pkg.files.items()):
        _write(base / rel, text, EXEC if rel in pkg.executable else None)
    for rel in pkg.dirs:
        (base / rel).mkdir(parents=True, exist_ok=True)


def make_tree(dest: Path) -> None:
    """Write the whole tree under dest (created if needed; must not already hold packages)."""
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for pkg in all_packages():
        write_package(dest, pkg)


# --- override layers ---------------------------------------------------------------------------

OVERRIDES = {
    "global": {
        "buildroot/50-local": frag(
            'BR2_TARGET_GENERIC_HOSTNAME="my-skiff"',
            "# BR2_PACKAGE_HTOP is not set",
            'BR2_PACKAGE_RPI_FIRMWARE_CONFIG_FILE="SKIFF_CONFIG_ROOT/rpi/config.txt"',
        ),
        "kernel/local": frag('CONFIG_LOCALVERSION="-local"', "CONFIG_DEBUG_INFO=y"),
        "busybox/local": frag("# CONFIG_FEATURE_SH_MATH is not set"),
        "cflags/local": frag("-fdiagnostics-color=never"),
        "root_overlay/etc/motd": "local override\n",
        "users/local": "guest -1 guest -1 - /home/guest /bin/sh - Guest\n",
        "hooks/post.sh": hook("overrides post hook"),
        "rpi/config.txt": frag("arm_64bit=1", "gpu_mem=128"),
    },
    "ws": {
        "buildroot/10-ws": frag(
            'BR2_TARGET_GENERIC_HOSTNAME="ws-host"',
            "BR2_PACKAGE_HTOP=y",
            'BR2_TARGET_GENERIC_ISSUE="Workspace \\"compat\\" at SKIFF_CONFIG_ROOT"',
        ),
        "kernel/ws": frag("# CONFIG_IKCONFIG is not set"),
        "uboot/ws": frag("CONFIG_BOOTDELAY=5"),
        "kernel_patches/0001-ws.patch": patch("init/main.c", "workspace tweak"),
        "hooks/pre.sh": hook("workspace pre hook"),
    },
}
HOOK_FILES = {"hooks/pre.sh", "hooks/post.sh"}


def overrides_dir(root: Path, variant: str, workspace: str) -> Path:
    base = Path(root) / "overrides"
    return base if variant == "global" else base / "workspaces" / workspace


def write_overrides(root: Path, variant: str, workspace: str = "compat") -> Path:
    """Write one override layer under a skiff (or SkiffOS) root; returns its directory."""
    target = overrides_dir(root, variant, workspace)
    for rel, text in sorted(OVERRIDES[variant].items()):
        _write(target / rel, text, EXEC if rel in HOOK_FILES else None)
    return target


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(f"usage: {argv[0]} DEST", file=sys.stderr)
        return 2
    make_tree(Path(argv[1]))
    names = [p.name for p in all_packages()]
    print(f"{len(names)} packages in {len({n.split('/')[0] for n in names})} namespaces written to {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
