#!/bin/sh
# Flash the VOXL 2 over USB: reboot it into fastboot (adb), write boot.img to
# the boot partition and the persist image to the system partition, reboot.
# Needs SKIFF_VOXL2_USB_FLASH=confirm (it overwrites both partitions).
set -eu
workspace="${BUILDROOT_DIR:-${SKIFF_BUILDROOT_DIR:-}}"
if [ -z "$workspace" ]; then
    echo "voxl2: BUILDROOT_DIR is not set; run this through 'skiff cmd modalai/voxl2 flashusb'" >&2
    exit 1
fi
if [ "${SKIFF_VOXL2_USB_FLASH:-}" != "confirm" ]; then
    echo "voxl2: this overwrites the boot and system partitions; set SKIFF_VOXL2_USB_FLASH=confirm to go ahead" >&2
    exit 1
fi
images="$workspace/images"
host="$workspace/host/bin"
boot="$images/voxl2-boot.img"
persist="$images/voxl2-persist.simg"
[ -f "$persist" ] || persist="$images/voxl2-persist.ext4"
for need in "$boot" "$persist"; do
    if [ ! -f "$need" ]; then
        echo "voxl2: $need missing; build first (skiff compile)" >&2
        exit 1
    fi
done
tool() { if [ -x "$host/$1" ]; then echo "$host/$1"; else command -v "$1" || { echo "voxl2: $1 not found" >&2; exit 1; }; fi; }
adb="$(tool adb)"
fastboot="$(tool fastboot)"
"$adb" reboot bootloader 2>/dev/null || echo "voxl2: adb could not reach the board; assuming it is already in fastboot"
"$fastboot" flash boot "$boot"
"$fastboot" flash system "$persist"
"$fastboot" reboot
