#!/bin/bash
# Mount the host folder QEMU shares over 9p (tag "host0") on /mnt/shared.
set -eu
mkdir -p /mnt/shared
if ! mountpoint -q /mnt/shared; then
    mount -t 9p -o trans=virtio,version=9p2000.L host0 /mnt/shared 2>/dev/null || \
        echo "virt/qemu: no shared folder from the host"
fi
