#!/bin/sh
# After the images are built: put GRUB's EFI binary and our menu into
# images/boot_part/EFI/BOOT so `skiff flash install` copies them to BOOT.
# A package later in the chain can ship a hook that replaces
# boot_part/EFI/BOOT/grub.cfg with its own menu.
set -eu
images="${BINARIES_DIR:-${SKIFF_BUILDROOT_DIR}/images}"
efi="$images/efi-part/EFI/BOOT"
if [ ! -f "$efi/bootx64.efi" ]; then
    echo "intel/uefi: $efi/bootx64.efi missing (BR2_TARGET_GRUB2_X86_64_EFI)" >&2
    exit 1
fi
mkdir -p "$images/boot_part/EFI/BOOT"
cp "$efi/bootx64.efi" "$images/boot_part/EFI/BOOT/bootx64.efi"
cp "$SKIFF_CURRENT_CONF_DIR/resources/grub.cfg" "$images/boot_part/EFI/BOOT/grub.cfg"
cp "$SKIFF_CURRENT_CONF_DIR/resources/grub.cfg" "$efi/grub.cfg"
echo "intel/uefi: GRUB EFI boot files staged in boot_part/EFI/BOOT"
