#!/bin/sh
# Copy device trees shipped in the L4T package (kernel/dtb/) next to the
# kernel in images/, so boot files are found in one place.
# Usage: copy-l4t-dtb.sh <dtb file name>...
set -eu
images="${BINARIES_DIR:-${SKIFF_BUILDROOT_DIR}/images}"
for dtb in "$@"; do
    src="$images/linux4tegra/kernel/dtb/$dtb"
    if [ ! -f "$src" ]; then
        echo "copy-l4t-dtb: $src missing (is BR2_PACKAGE_LINUX4TEGRA built?)" >&2
        exit 1
    fi
    cp "$src" "$images/$dtb"
done
