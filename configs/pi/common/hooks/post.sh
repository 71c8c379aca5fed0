#!/bin/sh
# If a layer asked for no serial console (images/.disable-serial-console),
# write a cmdline.txt without any console= argument to images/boot_part/,
# which `skiff flash install` copies to the BOOT partition after (and so over)
# the firmware's and the packages' copies.
set -eu
images="${BINARIES_DIR:-${SKIFF_BUILDROOT_DIR}/images}"
cmdline="$images/rpi-firmware/cmdline.txt"
if [ -f "$images/.disable-serial-console" ] && [ -f "$cmdline" ]; then
    kept=""
    # cmdline.txt is one line of space-separated arguments: split it into words, no globbing.
    set -f
    args=$(cat "$cmdline")
    for arg in $args; do
        case "$arg" in
            console=*) ;;
            *) kept="${kept:+$kept }$arg" ;;
        esac
    done
    mkdir -p "$images/boot_part"
    printf '%s\n' "$kept" > "$images/boot_part/cmdline.txt"
    echo "pi/common: serial console removed from the kernel command line"
fi
