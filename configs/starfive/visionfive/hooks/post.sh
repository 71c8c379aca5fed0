#!/bin/sh
# After the images are built: stage the boot menu for the BOOT partition, and
# make fw_payload.bin.out for the JH7100 recovery loader, which expects the
# image size as a 4-byte little-endian number in front of the image.
set -eu
"${SKIFF_CONFIGS_DIR:-$SKIFF_CURRENT_CONF_DIR/../..}/base/pre/scripts/stage-boot-files.sh" "$SKIFF_CURRENT_CONF_DIR"
images="${BINARIES_DIR:-${SKIFF_BUILDROOT_DIR}/images}"
payload="$images/fw_payload.bin"
if [ -f "$payload" ]; then
    size=$(wc -c < "$payload")
    {
        # shellcheck disable=SC2059 # the format is the 4 size bytes as octal escapes: printf's format writes raw bytes, NUL included
        printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $((size & 255)) $(((size >> 8) & 255)) $(((size >> 16) & 255)) $(((size >> 24) & 255)))"
        cat "$payload"
    } > "$payload.out"
    echo "starfive/visionfive: fw_payload.bin.out ready for the recovery loader"
fi
