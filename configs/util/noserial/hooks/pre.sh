#!/bin/bash
# Mask the serial login prompt Buildroot configured, and leave a marker in the
# images directory that board packages read to drop console= from the kernel
# command line (pi/common does).
set -euo pipefail
out="${SKIFF_BUILDROOT_DIR:?SKIFF_BUILDROOT_DIR is not set}"
target="${TARGET_DIR:-$out/target}"
images="${BINARIES_DIR:-$out/images}"
config="${BR2_CONFIG:-$out/.config}"

port="$(sed -n 's/^BR2_TARGET_GENERIC_GETTY_PORT="\(.*\)"$/\1/p' "$config" 2>/dev/null | head -n1)"
rm -f "$target/usr/lib/systemd/system/serial-getty@.service.d/buildroot-console.conf"
if [ -n "$port" ] && [ "$port" != console ]; then
    mkdir -p "$target/etc/systemd/system"
    ln -sfn /dev/null "$target/etc/systemd/system/serial-getty@${port}.service"
    echo "util/noserial: serial login on $port masked"
fi
mkdir -p "$images"
touch "$images/.disable-serial-console"
