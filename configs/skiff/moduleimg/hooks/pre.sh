#!/bin/bash
# After the target directory is complete: move its kernel modules into a
# squashfs image for the rootfs partition (images/rootfs_part/modules.squashfs).
set -euo pipefail
config="${BR2_CONFIG:-${SKIFF_BUILDROOT_DIR}/.config}"
if grep -q '^BR2_LINUX_KERNEL=y' "$config" 2>/dev/null; then
    exec "${SKIFF_CURRENT_CONF_DIR}/scripts/make-modules-image.sh"
fi
echo "skiff/moduleimg: no kernel in this build, no modules image"
