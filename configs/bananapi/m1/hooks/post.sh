#!/bin/sh
# After the images are built: stage this board's boot script / menu for the BOOT partition.
set -eu
"${SKIFF_CONFIGS_DIR:-$SKIFF_CURRENT_CONF_DIR/../..}/base/pre/scripts/stage-boot-files.sh" "$SKIFF_CURRENT_CONF_DIR"
