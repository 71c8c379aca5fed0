#!/bin/bash
# Build images/rootfs_part/modules.squashfs from target/usr/lib/modules and leave
# an empty mount point behind in the target. Safe to run again: modules already
# moved out by a previous run are kept in the staging directory.
set -euo pipefail

out="${SKIFF_BUILDROOT_DIR:?SKIFF_BUILDROOT_DIR is not set}"
target="${TARGET_DIR:-$out/target}"
images="${BINARIES_DIR:-$out/images}"
staging="$out/extra_images/modules"
image="$images/rootfs_part/modules.squashfs"
mksquashfs="$out/host/bin/mksquashfs"
[ -x "$mksquashfs" ] || mksquashfs="$(command -v mksquashfs || true)"
if [ -z "$mksquashfs" ]; then
    echo "skiff/moduleimg: mksquashfs not found (BR2_PACKAGE_HOST_SQUASHFS builds it)" >&2
    exit 1
fi

mkdir -p "$staging" "$(dirname "$image")" "$target/usr/lib/modules"
if [ -n "$(find "$target/usr/lib/modules" -mindepth 1 -maxdepth 1 ! -name MOUNTPOINT -print -quit)" ]; then
    rsync -a --delete --exclude=/MOUNTPOINT "$target/usr/lib/modules/" "$staging/"
    find "$target/usr/lib/modules" -mindepth 1 -delete
fi
echo "Kernel modules are mounted here from modules.squashfs on the rootfs partition." \
    > "$target/usr/lib/modules/MOUNTPOINT"
for f in skiff-release buildroot-release; do
    [ -f "$target/etc/$f" ] && cp "$target/etc/$f" "$staging/$f"
done
rm -f "$image"
"$mksquashfs" "$staging" "$image" -comp lz4 -noappend -quiet
echo "skiff/moduleimg: wrote $image ($(du -h "$image" | cut -f1))"
