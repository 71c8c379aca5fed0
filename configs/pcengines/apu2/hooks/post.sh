#!/bin/sh
# After the images are built: GRUB's MBR code (boot.img, not installed by the
# grub2 package) is copied next to its core image (grub.img), and the menu goes
# to /boot/grub on the boot partition, where the core image looks for it
# (prefix (hd0,msdos1)/boot/grub).
set -eu
images="${BINARIES_DIR:-${SKIFF_BUILDROOT_DIR}/images}"
build="${BUILD_DIR:-${SKIFF_BUILDROOT_DIR}/build}"
for found in "$build"/grub2-*/build-i386-pc/grub-core/boot.img; do
    [ -f "$found" ] && cp "$found" "$images/boot.img"
done
# Only the boot code (first 440 bytes) of boot.img goes to the card: the rest of
# the sector is the partition table.
if [ -f "$images/boot.img" ]; then
    head -c 440 "$images/boot.img" > "$images/boot-mbr.img"
fi
for blob in boot-mbr.img grub.img; do
    if [ ! -f "$images/$blob" ]; then
        echo "pcengines/apu2: $images/$blob missing (BR2_TARGET_GRUB2_I386_PC)" >&2
        exit 1
    fi
done
mkdir -p "$images/boot_part/boot/grub"
cp "$SKIFF_CURRENT_CONF_DIR/resources/grub.cfg" "$images/boot_part/boot/grub/grub.cfg"
