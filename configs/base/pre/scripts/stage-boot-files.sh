#!/bin/sh
# Put a board's boot configuration into images/boot_part/, which `skiff flash
# install` copies to the BOOT partition:
#   resources/boot-scripts/boot.txt      -> boot_part/boot.scr (U-Boot script image)
#   resources/boot-scripts/extlinux.conf -> boot_part/extlinux/extlinux.conf
# Shared by every U-Boot board package (base layer, so every build has it); called from
# hooks/post.sh through $SKIFF_CONFIGS_DIR (set by skiff for hooks).
# Usage: stage-boot-files.sh <board package directory>
#        stage-boot-files.sh --chain
# --chain stages every package of the chain that has resources/boot-scripts/ (the chain's
# SKIFF_CONFIG_PATH_VAR names the SKIFF_CONFIG_PATH_* variable of each package, in order): a
# board family's common package calls it once for whichever of its boards was selected.
set -eu
images="${BINARIES_DIR:-${SKIFF_BUILDROOT_DIR}/images}"
host="${HOST_DIR:-${SKIFF_BUILDROOT_DIR}/host}"
# util/noserial leaves images/.disable-serial-console: then serial consoles
# (console=ttyS0, ttyAML0, ttymxc1, ...) are dropped from the kernel arguments;
# console=tty0/tty1 (the screen) stay.
strip_serial() {
    if [ -f "$images/.disable-serial-console" ]; then
        sed -E 's/ ?console=tty(S|AMA|AML|SAC|mxc|MSM|THS|TCU|GS)[^ "]*//g' "$1"
    else
        cat "$1"
    fi
}
stage() {
    scripts="$1/resources/boot-scripts"
    mkdir -p "$images/boot_part"
    if [ -f "$scripts/boot.txt" ]; then
        strip_serial "$scripts/boot.txt" > "$images/boot_part/boot.txt"
        mkimage="$host/bin/mkimage"
        [ -x "$mkimage" ] || mkimage=mkimage
        # The script image's architecture field: arm unless the board says otherwise.
        "$mkimage" -A "${SKIFF_MKIMAGE_ARCH:-arm}" -O linux -T script -C none -n "skiff boot script" \
            -d "$images/boot_part/boot.txt" "$images/boot_part/boot.scr"
        echo "boot script: $scripts/boot.txt -> boot_part/boot.scr"
    fi
    if [ -f "$scripts/extlinux.conf" ]; then
        mkdir -p "$images/boot_part/extlinux"
        strip_serial "$scripts/extlinux.conf" > "$images/boot_part/extlinux/extlinux.conf"
        echo "boot menu: $scripts/extlinux.conf -> boot_part/extlinux/extlinux.conf"
    fi
}

if [ "${1:-}" = --chain ]; then
    for var in ${SKIFF_CONFIG_PATH_VAR:?"is not set: run this hook through skiff (it lists the chain)"}; do
        dir=$(printenv "$var") || continue
        if [ -d "$dir/resources/boot-scripts" ]; then
            stage "$dir"
        fi
    done
else
    stage "${1:?"usage: stage-boot-files.sh <board package directory> | --chain"}"
fi
