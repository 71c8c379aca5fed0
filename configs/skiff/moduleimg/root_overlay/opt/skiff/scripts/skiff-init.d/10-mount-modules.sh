#!/bin/bash
# Mount the kernel modules image from the rootfs partition over /usr/lib/modules,
# then let udev load the drivers of devices found so far.
set -eu
image="${ROOTFS_MNT:-/mnt/rootfs}/modules.squashfs"
target=/usr/lib/modules
if mountpoint -q "$target"; then
    exit 0
fi
if [ ! -f "$image" ]; then
    echo "skiff/moduleimg: $image not found; kernel modules unavailable" >&2
    exit 1
fi
mount -o loop,ro "$image" "$target"
echo "skiff/moduleimg: mounted $image on $target"
udevadm trigger --action=add >/dev/null 2>&1 || true
