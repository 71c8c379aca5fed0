#!/bin/sh
# After the images are built: stage the shared boot script for the BOOT partition.
set -eu
common="${SKIFF_CONFIG_PATH_USBARMORY_COMMON:-$SKIFF_CURRENT_CONF_DIR/../common}"
"${SKIFF_CONFIGS_DIR:-$SKIFF_CURRENT_CONF_DIR/../..}/base/pre/scripts/stage-boot-files.sh" "$common"
