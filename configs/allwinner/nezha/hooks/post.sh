#!/bin/sh
# After the images are built: stage this board's boot script for the BOOT partition.
set -eu
SKIFF_MKIMAGE_ARCH=riscv "${SKIFF_CONFIGS_DIR:-$SKIFF_CURRENT_CONF_DIR/../..}/base/pre/scripts/stage-boot-files.sh" "$SKIFF_CURRENT_CONF_DIR"
