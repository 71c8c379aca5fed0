#!/bin/sh
# Amlogic boot ROMs only run a signed boot image. Wrap the freshly built
# U-Boot (u-boot.bin, the BL33 stage) with Amlogic's BL2/BL30/BL31 blobs using
# the LibreELEC FIP tools that host-amlogic-boot-fip installs in images/, and
# leave the result as images/u-boot.bin.sd.bin. The card takes its first 444
# bytes in the MBR boot-code area and the rest from sector 1, keeping the
# partition table in between; `skiff flash` gets the two pieces as
# u-boot.bin.sd.bin.head (at byte 0) and u-boot.bin.sd.bin.tail (at byte 512).
# Usage: amlogic-fip.sh <fip device name, e.g. odroid-c4>
set -eu
device="$1"
images="${BINARIES_DIR:-${SKIFF_BUILDROOT_DIR}/images}"
tools="$images/amlogic-boot-fip"
out="$images/fip"
if [ ! -x "$tools/build-fip.sh" ]; then
    echo "amlogic-fip: $tools/build-fip.sh missing (BR2_PACKAGE_HOST_AMLOGIC_BOOT_FIP)" >&2
    exit 1
fi
rm -rf "$out"
mkdir -p "$out"
(cd "$tools" && ./build-fip.sh "$device" "$images/u-boot.bin" "$out")
cp "$out/u-boot.bin.sd.bin" "$images/u-boot.bin.sd.bin"
head -c 444 "$images/u-boot.bin.sd.bin" > "$images/u-boot.bin.sd.bin.head"
tail -c +513 "$images/u-boot.bin.sd.bin" > "$images/u-boot.bin.sd.bin.tail"
echo "amlogic-fip: signed U-Boot for $device -> u-boot.bin.sd.bin"
