#!/bin/sh
# After the images are built: stage this board's boot script for the BOOT partition.
set -eu
common="${SKIFF_CONFIG_PATH_ALLWINNER_D1:-$SKIFF_CURRENT_CONF_DIR/../d1}"
SKIFF_MKIMAGE_ARCH=riscv "$common/scripts/stage-boot-files.sh" "$SKIFF_CURRENT_CONF_DIR"
