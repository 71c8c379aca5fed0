#!/bin/sh
# If a layer asked for no serial console (images/.disable-serial-console),
# drop every console= argument from the kernel command line the firmware reads.
set -eu
images="${BINARIES_DIR:-${SKIFF_BUILDROOT_DIR}/images}"
cmdline="$images/rpi-firmware/cmdline.txt"
if [ -f "$images/.disable-serial-console" ] && [ -f "$cmdline" ]; then
    kept=""
    for arg in $(cat "$cmdline"); do
        case "$arg" in
            console=*) ;;
            *) kept="${kept:+$kept }$arg" ;;
        esac
    done
    printf '%s\n' "$kept" > "$cmdline.new"
    mv "$cmdline.new" "$cmdline"
    echo "pi/common: serial console removed from cmdline.txt"
fi
