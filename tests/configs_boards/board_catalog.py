"""What the board library must contain, and helpers to read a board's merged fragments.

Shared by the tests in this directory and by ``supported_systems.py`` (which writes
docs/supported-systems.md from the packages themselves).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from skiff_tui.core.config.fragments import MergedFragment, fragment_files, read_fragment
from skiff_tui.core.library.packages import Package, PackageIndex

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "configs"

# Namespaces owned by the board library (everything else comes from other parts of the tree).
VENDORS = (
    "allwinner",
    "apple",
    "bananapi",
    "beaglebone",
    "freescale",
    "intel",
    "jetson",
    "modalai",
    "odroid",
    "orangepi",
    "pcduino",
    "pcengines",
    "pi",
    "pine64",
    "starfive",
    "usbarmory",
    "valve",
)

# Variables naming the SD card / image file, per vendor (SkiffOS's names).
SD_VARS = {
    "allwinner": ("ALLWINNER_SD", "ALLWINNER_IMAGE"),
    "bananapi": ("BANANAPI_SD", "BANANAPI_IMAGE"),
    "beaglebone": ("BEAGLEBONE_SD", "BEAGLEBONE_IMAGE"),
    "jetson": ("NVIDIA_SD", "NVIDIA_IMAGE"),
    "intel": ("INTEL_DESKTOP_DISK", "INTEL_DESKTOP_IMAGE"),
    "apple": ("INTEL_DESKTOP_DISK", "INTEL_DESKTOP_IMAGE"),
    "valve": ("INTEL_DESKTOP_DISK", "INTEL_DESKTOP_IMAGE"),
    "pcengines": ("PCENGINES_SD", "PCENGINES_IMAGE"),
    "freescale": ("WANDBOARD_SD", "WANDBOARD_IMAGE"),
    "odroid": ("ODROID_SD", "ODROID_IMAGE"),
    "orangepi": ("ORANGEPI_SD", "ORANGEPI_IMAGE"),
    "pcduino": ("PCDUINO_SD", "PCDUINO_IMAGE"),
    "pi": ("PI_SD", "PI_IMAGE"),
    "pine64": ("PINE64_SD", "PINE64_IMAGE"),
    "starfive": ("STARFIVE_SD", "STARFIVE_IMAGE"),
    "usbarmory": ("USBARMORY_SD", "USBARMORY_IMAGE"),
}


# Boards whose command rules live in another vendor's package (default: <vendor>/common).
SHARED_RULES = {
    "intel/desktop": "intel/uefi",
    "apple/macbook": "intel/uefi",
    "valve/deck": "intel/uefi",
    "allwinner/nezha": "allwinner/d1",
    "allwinner/licheerv": "allwinner/d1",
    "freescale/wandboard": "freescale/wandboard",
    "pcengines/apu2": "pcengines/apu2",
    "pcduino/3": "pcduino/3",
}


def shared_rules_of(name: str) -> str:
    return SHARED_RULES.get(name, name.split("/", 1)[0] + "/common")


@dataclass(frozen=True)
class Board:
    name: str
    # Buildroot symbol that must be =y for the board's boot loader / boot firmware.
    bootloader: str | None
    # Commands the board must declare.
    commands: tuple[str, ...] = ("format", "install", "buildimage")
    # SD commands go through `skiff flash` (False: the board has its own card layout tool).
    cli: bool = True

    @property
    def sd_card(self) -> bool:
        return "format" in self.commands and self.cli


SD = ("format", "install", "buildimage")
UBOOT = "BR2_TARGET_UBOOT"

BOARDS: tuple[Board, ...] = (
    Board("pi/0", "BR2_PACKAGE_RPI_FIRMWARE"),
    Board("pi/1", "BR2_PACKAGE_RPI_FIRMWARE"),
    Board("pi/3", "BR2_PACKAGE_RPI_FIRMWARE"),
    Board("pi/4", "BR2_PACKAGE_RPI_FIRMWARE"),
    Board("pi/4x32", "BR2_PACKAGE_RPI_FIRMWARE"),
    Board("odroid/c2", UBOOT),
    Board("odroid/c4", UBOOT),
    Board("odroid/hc4", UBOOT),
    Board("odroid/m1", None),  # boots from the loader in its SPI flash
    Board("odroid/n2", UBOOT),
    Board("odroid/u", UBOOT),
    Board("odroid/xu", UBOOT),
    Board("pine64/book", UBOOT),
    Board("pine64/book_a64", UBOOT),
    Board("pine64/h64", UBOOT),
    Board("pine64/phone", UBOOT),
    Board("pine64/rock64", UBOOT),
    Board("pine64/rockpro64", UBOOT),
    Board("jetson/agx", "BR2_PACKAGE_LINUX4TEGRA", ("flashusb", "install")),
    Board("jetson/nano", UBOOT, cli=False),
    Board("jetson/tx2", UBOOT, ("flashusb",)),
    Board("intel/desktop", "BR2_TARGET_GRUB2_X86_64_EFI"),
    Board("apple/macbook", "BR2_TARGET_GRUB2_X86_64_EFI"),
    Board("valve/deck", "BR2_TARGET_GRUB2_X86_64_EFI"),
    Board("pcengines/apu2", "BR2_TARGET_GRUB2_I386_PC"),
    Board("allwinner/nezha", UBOOT),
    Board("allwinner/licheerv", UBOOT),
    Board("bananapi/m1", UBOOT),
    Board("bananapi/m1plus", UBOOT),
    Board("bananapi/m2", UBOOT),
    Board("bananapi/m2plus", UBOOT),
    Board("bananapi/m3", UBOOT),
    Board("beaglebone/ai", UBOOT),
    Board("beaglebone/black", UBOOT),
    Board("beaglebone/x15", UBOOT),
    Board("freescale/wandboard", UBOOT),
    Board("orangepi/lite", UBOOT),
    Board("orangepi/zero", UBOOT),
    Board("pcduino/3", UBOOT),
    Board("starfive/visionfive", UBOOT),
    Board("usbarmory/mk2", UBOOT),
    Board("modalai/voxl2", None, ("flashusb",)),  # Qualcomm XBL/ABL stay on the device
)

ARCH_SYMBOLS = ("BR2_arm", "BR2_aarch64", "BR2_x86_64", "BR2_i386", "BR2_riscv")


def is_ours(name: str) -> bool:
    return name.split("/", 1)[0] in VENDORS


def board_packages(index: PackageIndex, name: str) -> list[Package]:
    """The board and its dependencies from the board library, dependencies first."""
    out: list[Package] = []
    seen: set[str] = set()

    def visit(n: str) -> None:
        if n in seen or not is_ours(n):
            return
        seen.add(n)
        pkg = index.get(n)
        for dep in pkg.dependencies:
            visit(dep)
        out.append(pkg)

    visit(name)
    return out


def merged(packages: list[Package], kind: str = "buildroot") -> MergedFragment:
    """Merge one fragment kind over the given packages, SKIFF_CONFIG_ROOT replaced per package."""
    result = MergedFragment(kind)
    for pkg in packages:
        for path in fragment_files(pkg.path / kind):
            result.extend(read_fragment(path, layer=pkg.name, root=pkg.path))
    return result
