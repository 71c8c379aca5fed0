#!/bin/sh
# After the images are built: stage the boot script / menu of the selected board
# (the chain's package with resources/boot-scripts/, e.g. beaglebone/black) for the BOOT partition.
# One hook here for every board of the family: it runs because each board depends on beaglebone/common.
set -eu
"${SKIFF_CONFIGS_DIR:-$SKIFF_CURRENT_CONF_DIR/../..}/base/pre/scripts/stage-boot-files.sh" --chain
"$SKIFF_CURRENT_CONF_DIR/scripts/stage-ti-loader.sh"
