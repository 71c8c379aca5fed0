#!/bin/sh
# After the images are built (odroid/common has staged the boot script): sign U-Boot with
# the Amlogic FIP tools and split it into the blobs `format` writes.
set -eu
common="${SKIFF_CONFIG_PATH_ODROID_COMMON:-$SKIFF_CURRENT_CONF_DIR/../common}"
"$common/scripts/amlogic-fip.sh" odroid-hc4
