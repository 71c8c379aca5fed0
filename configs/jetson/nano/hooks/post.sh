#!/bin/sh
# After the images are built: take the L4T device tree, which flash.sh signs
# for the boot firmware (Linux boots with the mainline one).
set -eu
common="${SKIFF_CONFIG_PATH_JETSON_COMMON:-$SKIFF_CURRENT_CONF_DIR/../common}"
"$common/scripts/copy-l4t-dtb.sh" tegra210-p3448-0000-p3449-0000-b00.dtb
