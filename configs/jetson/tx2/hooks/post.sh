#!/bin/sh
# After the images are built: take the L4T device tree (flash.sh writes it for
# the boot firmware; Linux gets the mainline one) and pack the APP
# partition image flash.sh writes.
set -eu
common="${SKIFF_CONFIG_PATH_JETSON_COMMON:-$SKIFF_CURRENT_CONF_DIR/../common}"
"$common/scripts/copy-l4t-dtb.sh" tegra186-quill-p3310-1000-c03-00-base.dtb
"$common/scripts/make-app-image.sh" "$SKIFF_CURRENT_CONF_DIR" 1024M
