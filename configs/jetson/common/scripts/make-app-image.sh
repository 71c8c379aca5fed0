#!/bin/sh
# Build images/skiff-app.ext4: the ext4 file system NVIDIA's flash.sh writes
# to the APP partition. It is skiff's persist partition and carries the boot
# files under /boot: kernel, device trees, the initramfs holding the system,
# and the board's boot script (boot.scr) or menu (extlinux/extlinux.conf).
# Usage: make-app-image.sh <board package directory> [size, default 1024M]
set -eu
board="$1"
size="${2:-1024M}"
images="${BINARIES_DIR:-${SKIFF_BUILDROOT_DIR}/images}"
host="${HOST_DIR:-${SKIFF_BUILDROOT_DIR}/host}"
stage="$(mktemp -d "${TMPDIR:-/tmp}/skiff-app.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/boot"
cp "$images/Image" "$images/rootfs.cpio.lz4" "$stage/boot/"
for dtb in "$images"/*.dtb; do
    [ -e "$dtb" ] && cp "$dtb" "$stage/boot/"
done
scripts="$board/resources/boot-scripts"
if [ -f "$scripts/boot.txt" ]; then
    "$host/bin/mkimage" -A arm -O linux -T script -C none -n "skiff boot script" \
        -d "$scripts/boot.txt" "$stage/boot/boot.scr"
fi
if [ -f "$scripts/extlinux.conf" ]; then
    mkdir -p "$stage/boot/extlinux"
    cp "$scripts/extlinux.conf" "$stage/boot/extlinux/extlinux.conf"
fi
for part in boot_part:boot rootfs_part:rootfs persist_part:.; do
    src="$images/${part%%:*}"
    [ -d "$src" ] && mkdir -p "$stage/${part#*:}" && cp -a "$src/." "$stage/${part#*:}/"
done
rm -f "$images/skiff-app.ext4"
"$host/sbin/mkfs.ext4" -q -F -L persist -d "$stage" "$images/skiff-app.ext4" "$size"
echo "make-app-image: images/skiff-app.ext4 ($size)"
