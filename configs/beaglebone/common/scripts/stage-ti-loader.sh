#!/bin/sh
# The TI boot ROM reads MLO from the FAT boot partition; U-Boot's SPL then
# loads u-boot.img from the same place. Stage both into images/boot_part/.
set -eu
images="${BINARIES_DIR:-${SKIFF_BUILDROOT_DIR}/images}"
mkdir -p "$images/boot_part"
for f in MLO u-boot.img; do
    if [ ! -f "$images/$f" ]; then
        echo "beaglebone: $images/$f missing (U-Boot SPL build)" >&2
        exit 1
    fi
    cp "$images/$f" "$images/boot_part/$f"
done
