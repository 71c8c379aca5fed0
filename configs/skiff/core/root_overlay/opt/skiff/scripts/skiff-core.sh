#!/bin/bash
# Start skiff-core with the user's configuration on the persist partition.
# On first boot that configuration does not exist yet: it is seeded from the
# default the image ships (/opt/skiff/coreenv/defconfig.yaml, which the last
# core/* package in the chain provides). Edit the persistent copy to change
# containers or users; it is never overwritten.
set -euo pipefail

core_dir=/mnt/persist/skiff/core
config="$core_dir/config.yaml"
default=/opt/skiff/coreenv/defconfig.yaml

mkdir -p "$core_dir/tmp"
export SKIFF_CORE_WORK_DIR="$core_dir/tmp"
cd "$core_dir"

if [ ! -f "$config" ]; then
    if [ -f "$default" ]; then
        echo "skiff-core: first start, copying $default to $config"
        cp "$default" "$config"
    else
        echo "skiff-core: no default configuration in the image, asking skiff-core for one"
        /usr/bin/skiff-core --config "$config" defconfig
    fi
fi

exec /usr/bin/skiff-core --config "$config" setup --create-users
