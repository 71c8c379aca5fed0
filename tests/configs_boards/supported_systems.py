#!/usr/bin/env python3
"""Write docs/supported-systems.md from the board packages themselves.

Every cell comes from a package: the description (metadata/description), the
architecture, CPU, boot loader and kernel (the merged Buildroot fragments of
the board and its board-library dependencies) and the commands
(metadata/commands). Run from the repository root:

    .venv/bin/python tests/configs_boards/supported_systems.py          # print
    .venv/bin/python tests/configs_boards/supported_systems.py --write  # update the doc
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from board_catalog import BOARDS, CONFIGS, REPO, board_packages, merged  # noqa: E402

from skiff_tui.core.config.fragments import unquote  # noqa: E402
from skiff_tui.core.library.packages import PackageIndex, discover  # noqa: E402

DOC = REPO / "docs" / "supported-systems.md"

ARCH_NAMES = {
    "BR2_aarch64": "arm64",
    "BR2_arm": "arm (32-bit)",
    "BR2_x86_64": "x86-64",
    "BR2_i386": "x86",
    "BR2_riscv": "RISC-V",
}
CPU_SPECIAL = {
    "BR2_arm1176jzf_s": "ARM1176JZF-S",
    "BR2_x86_x86_64": "x86-64 (baseline)",
    "BR2_riscv_g": "RV64GC",
    "BR2_x86_zen2": "AMD Zen 2",
    "BR2_x86_jaguar": "AMD Jaguar",
}


def cpu_name(symbol: str) -> str:
    if symbol in CPU_SPECIAL:
        return CPU_SPECIAL[symbol]
    m = re.fullmatch(r"BR2_cortex_(a\d+)(?:_(a\d+))?", symbol)
    if m:
        return "Cortex-" + m.group(1).upper() + (f"/{m.group(2).upper()}" if m.group(2) else "")
    return symbol.removeprefix("BR2_")


def source_name(values: dict[str, str | None], kind: str) -> str:
    """Version or archive name of the kernel (kind LINUX_KERNEL) or U-Boot (TARGET_UBOOT)."""
    if values.get(f"BR2_{kind}_CUSTOM_VERSION") == "y":
        return unquote(values.get(f"BR2_{kind}_CUSTOM_VERSION_VALUE"))
    if values.get(f"BR2_{kind}_CUSTOM_TARBALL") == "y":
        location = unquote(values.get(f"BR2_{kind}_CUSTOM_TARBALL_LOCATION"))
        return re.sub(r"\.tar\.(gz|xz|bz2)$", "", location.rsplit("/", 1)[-1])
    if values.get(f"BR2_{kind}_CUSTOM_GIT") == "y":
        return unquote(values.get(f"BR2_{kind}_CUSTOM_REPO_VERSION"))[:12]
    return "Buildroot default"


def kernel_cell(values: dict[str, str | None]) -> str:
    version = source_name(values, "LINUX_KERNEL")
    if values.get("BR2_LINUX_KERNEL_USE_DEFCONFIG") == "y":
        config = unquote(values.get("BR2_LINUX_KERNEL_DEFCONFIG")) + "_defconfig"
    elif values.get("BR2_LINUX_KERNEL_USE_CUSTOM_CONFIG") == "y":
        config = "own config file"
    else:
        config = "arch defconfig"
    return f"{version} ({config})"


def bootloader_cell(values: dict[str, str | None]) -> str:
    parts = []
    if values.get("BR2_PACKAGE_RPI_FIRMWARE") == "y":
        parts.append("Raspberry Pi GPU firmware")
    if values.get("BR2_TARGET_OPENSBI") == "y":
        parts.append("OpenSBI")
    if values.get("BR2_TARGET_ARM_TRUSTED_FIRMWARE") == "y":
        platform = unquote(values.get("BR2_TARGET_ARM_TRUSTED_FIRMWARE_PLATFORM"))
        parts.append(f"TF-A ({platform})" if platform else "TF-A")
    if values.get("BR2_TARGET_UBOOT") == "y":
        board = unquote(values.get("BR2_TARGET_UBOOT_BOARD_DEFCONFIG"))
        parts.append(f"U-Boot {source_name(values, 'TARGET_UBOOT')} ({board})")
    if values.get("BR2_TARGET_GRUB2") == "y":
        flavours = [
            n
            for s, n in (("BR2_TARGET_GRUB2_X86_64_EFI", "UEFI"), ("BR2_TARGET_GRUB2_I386_PC", "BIOS"))
            if values.get(s) == "y"
        ]
        parts.append("GRUB 2 (" + ", ".join(flavours) + ")")
    for symbol, text in (
        ("BR2_PACKAGE_LINUX4TEGRA_R36", "NVIDIA UEFI from L4T R36.2"),
        ("BR2_PACKAGE_LINUX4TEGRA_R32_T186", "NVIDIA cboot from L4T R32.7.4"),
        ("BR2_PACKAGE_LINUX4TEGRA_R32_T210", "NVIDIA boot firmware from L4T R32.7.4"),
    ):
        if values.get(symbol) == "y":
            parts.insert(0, text)
    return " + ".join(parts) if parts else "on the device (not built)"


BLOB = re.compile(r'--bootloader "\$\(SKIFF_IMAGES\)/([^":]+):(\d+)"')


def human_offset(offset: int) -> str:
    if offset and offset % (1024 * 1024) == 0:
        return f"{offset // (1024 * 1024)} MiB"
    if offset and offset % 1024 == 0:
        return f"{offset // 1024} KiB"
    return f"byte {offset}"


def blobs_cell(pkg) -> str:
    """Raw boot blobs the board's SD commands write, read from its extensions/Makefile."""
    makefile = pkg.path / "extensions" / "Makefile"
    if not makefile.is_file():
        return ""
    commands = {c.name for c in pkg.commands}
    if "format" not in commands:
        return "none (flashed over USB)"
    text = makefile.read_text()
    if "flash format" not in text and "include" not in text:
        return "L4T layout (own card script)"
    found = BLOB.findall(text)
    return "<br>".join(f"{name} @ {human_offset(int(off))}" for name, off in found) or "none (files on BOOT)"


INIT_NAMES = {"BR2_INIT_BUSYBOX": "BusyBox init", "BR2_INIT_OPENRC": "OpenRC", "BR2_INIT_SYSV": "SysV init"}


def other_inits(index: PackageIndex) -> list[str]:
    """Boards whose own fragments pick another init than the base layer's systemd, each with the
    reason the comment at the top of that fragment file gives."""
    out = []
    for board in BOARDS:
        frag = merged(board_packages(index, board.name))
        for symbol, init in INIT_NAMES.items():
            chosen = frag.final(symbol)
            if chosen is None or chosen.value != "y" or chosen.origin.path is None:
                continue
            comment = []
            for line in Path(chosen.origin.path).read_text().splitlines():
                if not line.startswith("# ") or re.match(r"# BR2_\w+ is not set", line):
                    break
                comment.append(line[2:])
            reason = " ".join(comment) or "(no reason given in its fragment)"
            out.append(f"- `{board.name}` boots {init}: {reason}")
    return out


def rows(index: PackageIndex) -> list[list[str]]:
    out = []
    for board in BOARDS:
        pkg = index.get(board.name)
        values = merged(board_packages(index, board.name)).values()
        arch = next((ARCH_NAMES[s] for s in ARCH_NAMES if values.get(s) == "y"), "?")
        cpus = [
            cpu_name(s)
            for s, v in values.items()
            if v == "y" and s not in ARCH_NAMES and re.match(r"BR2_(cortex_|arm\d|x86_|riscv_)", s)
        ]
        commands = ", ".join(f"`{c.name}`" for c in pkg.commands)
        out.append(
            [
                pkg.description.rstrip("."),
                f"`{pkg.name}`",
                f"{arch}, {' / '.join(cpus)}",
                bootloader_cell(values),
                kernel_cell(values),
                blobs_cell(pkg),
                commands,
            ]
        )
    return out


def render(index: PackageIndex) -> str:
    head = ["System", "Package", "Architecture, CPU", "Boot loader", "Kernel", "Raw blobs on the card", "Commands"]
    lines = [
        "# Supported systems",
        "",
        "<!-- Generated by tests/configs_boards/supported_systems.py from the packages in",
        "     configs/; do not edit by hand (a test fails when this file is out of date). -->",
        "",
        f"{len(BOARDS)} boards. Select one with `SKIFF_CONFIG=<package>` (plus a core, e.g. "
        "`skiff/core`). SD card boards take the device in their vendor's variable, as in SkiffOS "
        "(`PI_SD`, `ODROID_SD`, `PINE64_SD`, ...): `make cmd/<package>/format`, then `install`; "
        "`buildimage` writes an image file instead.",
        "",
        "Every board boots the same way: the kernel, its device tree(s) and the initramfs holding the "
        "whole system (`rootfs.cpio.lz4`) sit on the FAT `BOOT` partition next to the boot script "
        "(`boot.scr`) or menu (`extlinux/extlinux.conf`, `EFI/BOOT/grub.cfg`) that the board's hook "
        "stages in `images/boot_part/`. Raw blobs are written outside the partitions: a blob that "
        "starts below 17 KiB needs an MBR partition table (a GPT lives there), and the first "
        "partition must start after the last blob ends.",
        "",
        "Every board boots systemd (from `configs/base/pre`) except:",
        "",
        *(other_inits(index) or ["- none"]),
        "",
        "| " + " | ".join(head) + " |",
        "|" + "|".join("---" for _ in head) + "|",
    ]
    for row in rows(index):
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate docs/supported-systems.md")
    parser.add_argument("--write", action="store_true", help=f"write {DOC.relative_to(REPO)}")
    args = parser.parse_args(argv)
    text = render(discover(CONFIGS, env={}))
    if args.write:
        tmp = DOC.with_name(DOC.name + ".tmp")
        tmp.write_text(text)
        tmp.replace(DOC)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
