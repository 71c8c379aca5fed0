#!/bin/sh
# After the images are built: stage this board's boot script / menu for the BOOT partition.
set -eu
common="${SKIFF_CONFIG_PATH_ORANGEPI_COMMON:-$SKIFF_CURRENT_CONF_DIR/../common}"
"$common/scripts/stage-boot-files.sh" "$SKIFF_CURRENT_CONF_DIR"
