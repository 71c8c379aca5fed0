#!/bin/sh
# After the images are built: stage the shared boot script for the BOOT partition.
set -eu
common="${SKIFF_CONFIG_PATH_USBARMORY_COMMON:-$SKIFF_CURRENT_CONF_DIR/../common}"
"$common/scripts/stage-boot-files.sh" "$common"
