#!/bin/sh
# After the images are built: pack the APP partition image flash.sh writes.
set -eu
common="${SKIFF_CONFIG_PATH_JETSON_COMMON:-$SKIFF_CURRENT_CONF_DIR/../common}"
"$common/scripts/make-app-image.sh" "$SKIFF_CURRENT_CONF_DIR" 1024M
