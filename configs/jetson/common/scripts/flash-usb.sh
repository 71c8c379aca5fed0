#!/bin/sh
# Flash a Jetson held in USB recovery mode with NVIDIA's flash.sh, using
# images/skiff-app.ext4 as the APP (system) partition.
# Usage: flash-usb.sh <flash.sh board name> [extra flash.sh options...]
# Needs root and SKIFF_NVIDIA_USB_FLASH=confirm (it rewrites the whole eMMC).
set -eu
if [ $# -lt 1 ]; then
    echo "usage: flash-usb.sh <flash.sh board name> [flash.sh options...]" >&2
    exit 1
fi
target="$1"
shift
workspace="${BUILDROOT_DIR:-${SKIFF_BUILDROOT_DIR:-}}"
if [ -z "$workspace" ]; then
    echo "flash-usb: BUILDROOT_DIR is not set; run this through 'skiff cmd'" >&2
    exit 1
fi
images="$workspace/images"
l4t="$images/linux4tegra"
if [ "${SKIFF_NVIDIA_USB_FLASH:-}" != "confirm" ]; then
    echo "flash-usb: this rewrites the board's eMMC; set SKIFF_NVIDIA_USB_FLASH=confirm to go ahead" >&2
    exit 1
fi
for need in "$l4t/flash.sh" "$images/skiff-app.ext4"; do
    if [ ! -e "$need" ]; then
        echo "flash-usb: $need missing; build first (skiff compile)" >&2
        exit 1
    fi
done
ln -sfn "$images/skiff-app.ext4" "$l4t/bootloader/system.img"
cd "$l4t"
# -r: reuse system.img instead of building one from rootfs/.
NO_RECOVERY_IMG=1 exec ./flash.sh -r "$@" "$target" mmcblk0p1
