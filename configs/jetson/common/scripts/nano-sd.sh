#!/bin/bash
# SD card steps for the Jetson Nano developer kit (L4T R32, t210).
#   nano-sd.sh format <device>   sign the boot partitions with NVIDIA's flash.sh,
#                                lay out the card as L4T expects (GPT, one
#                                partition per flash.xml entry for the SD card)
#                                and make APP (partition 1) an ext4 "persist"
#   nano-sd.sh install <device>  copy kernel, device tree, boot.scr and the
#                                initramfs into /boot on partition 1
#   nano-sd.sh image <file>      both steps on a new sparse image file (through a
#                                loop device), size NANO_IMAGE_SIZE (default 4G)
# Board parameters come from the environment (set by jetson/nano's Makefile):
#   NANO_BOARDID, NANO_FAB, NANO_TARGET, NANO_DTB, NANO_BOOT_SCRIPT
set -euo pipefail
die() { echo "nano-sd: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: nano-sd.sh format|install|image <device or file>"
step="$1"
dev="$2"
case "$step" in format|install|image) ;; *) die "unknown step $step (format, install or image)" ;; esac
workspace="${BUILDROOT_DIR:-${SKIFF_BUILDROOT_DIR:-}}"
[ -n "$workspace" ] || die "BUILDROOT_DIR is not set; run this through 'skiff cmd jetson/nano $step'"
images="$workspace/images"
host="$workspace/host"
l4t="$images/linux4tegra"
part() { if [ -b "${dev}p$1" ]; then echo "${dev}p$1"; else echo "${dev}$1"; fi; }
tool() { if [ -x "$host/sbin/$1" ]; then echo "$host/sbin/$1"; else command -v "$1" || die "$1 not found"; fi; }

format_card() {
    [ -x "$l4t/flash.sh" ] || die "$l4t/flash.sh missing; build first"
    [ -f "$images/u-boot-dtb.bin" ] || die "u-boot-dtb.bin missing; build first"
    local sgdisk signed
    sgdisk="$(tool sgdisk)"
    # Sign every boot partition image without touching a board (U-Boot is the "kernel").
    (cd "$l4t" && BOARDID="$NANO_BOARDID" FAB="$NANO_FAB" BUILD_SD_IMAGE=1 \
        kernel_image="$images/u-boot-dtb.bin" \
        ./flash.sh --no-flash --sign --no-systemimg -d "$images/$NANO_DTB" "$NANO_TARGET" mmcblk0p1)
    signed="$l4t/bootloader/signed"
    [ -f "$signed/flash.xml" ] || die "flash.sh produced no $signed/flash.xml"
    mapfile -t entries < <("$l4t/tools/nvptparser.py" "$signed/flash.xml" sdcard)
    "$sgdisk" -og "$dev"
    for entry in "${entries[@]}"; do
        local part_name="" part_num="" part_size="" part_file=""
        eval "$entry"
        [ "$part_name" = master_boot_record ] && continue
        "$sgdisk" -n "$part_num:0:+$((part_size / 512))" -c "$part_num:$part_name" -t "$part_num:8300" "$dev"
    done
    partprobe "$dev" 2>/dev/null || true
    udevadm settle 2>/dev/null || sleep 2
    for entry in "${entries[@]}"; do
        local part_name="" part_num="" part_size="" part_file="" src=""
        eval "$entry"
        [ -n "$part_file" ] || continue
        if [ -e "$signed/$part_file" ]; then src="$signed/$part_file"; elif [ -e "$l4t/bootloader/$part_file" ]; then src="$l4t/bootloader/$part_file"; fi
        [ -n "$src" ] || continue
        case "$part_name" in
            APP) ;;
            master_boot_record) dd if="$src" of="$dev" bs="$part_size" count=1 conv=notrunc,fsync status=none ;;
            *) dd if="$src" of="$(part "$part_num")" bs=1M conv=fsync status=none ;;
        esac
    done
    "$(tool mkfs.ext4)" -F -q -O ^64bit -L persist "$(part 1)"
    echo "nano-sd: $dev formatted"
}

install_card() {
    local mnt
    mnt="$(mktemp -d)"
    trap 'umount "$mnt" 2>/dev/null || true; rmdir "$mnt"' EXIT
    mount "$(part 1)" "$mnt"
    mkdir -p "$mnt/boot"
    cp "$images/Image" "$images/rootfs.cpio.lz4" "$images"/*.dtb "$mnt/boot/"
    "$host/bin/mkimage" -A arm -O linux -T script -C none -n "skiff boot script" \
        -d "$NANO_BOOT_SCRIPT" "$mnt/boot/boot.scr"
    for pair in boot_part:boot rootfs_part:rootfs persist_part:.; do
        local src="$images/${pair%%:*}" dst="$mnt/${pair#*:}" keep=""
        [ -d "$src" ] || continue
        # persist_part only seeds files that are not on the card yet.
        [ "${pair#*:}" = . ] && keep="-n"
        mkdir -p "$dst" && cp -a $keep "$src/." "$dst/"
    done
    sync
    echo "nano-sd: installed to $dev"
}

image_file() {
    local file="$dev" loop
    [ ! -e "$file" ] || die "$file exists; remove it or name another file"
    truncate -s "${NANO_IMAGE_SIZE:-4G}" "$file"
    loop="$(losetup --show -fP "$file")"
    trap 'losetup -d "$loop" 2>/dev/null || true' EXIT
    dev="$loop"
    format_card
    ( install_card )
    echo "nano-sd: image written to $file"
}

case "$step" in
    format) [ -b "$dev" ] || die "$dev is not a block device"; format_card ;;
    install) [ -b "$dev" ] || die "$dev is not a block device"; install_card ;;
    image) image_file ;;
    *) die "unknown step $step (format, install or image)" ;;
esac
