#!/bin/sh
# After the images are built: stage this board's boot script / menu for the BOOT partition.
set -eu
common="${SKIFF_CONFIG_PATH_ODROID_COMMON:-$SKIFF_CURRENT_CONF_DIR/../common}"
"${SKIFF_CONFIGS_DIR:-$SKIFF_CURRENT_CONF_DIR/../..}/base/pre/scripts/stage-boot-files.sh" "$SKIFF_CURRENT_CONF_DIR"
"$common/scripts/amlogic-fip.sh" odroid-n2-plus
