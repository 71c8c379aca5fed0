#!/bin/bash
# Runs after Buildroot has populated the target directory, before images are made.
# Writes the release files and prepares mount points and DNS for the read-only host.
set -euo pipefail

target="${TARGET_DIR:-${SKIFF_BUILDROOT_DIR}/target}"
images="${BINARIES_DIR:-${SKIFF_BUILDROOT_DIR}/images}"
version="${SKIFF_VERSION:-unknown}"
commit="${SKIFF_VERSION_COMMIT:-${version}}"
build_date="$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
builder="${USER:-$(id -un)}@$(hostname 2>/dev/null || echo unknown)"

mkdir -p "$target/etc" "$images"

# Keep Buildroot's own release file once, for reference.
if [ -f "$target/etc/os-release" ] && [ ! -f "$target/etc/buildroot-release" ]; then
    cp -L "$target/etc/os-release" "$target/etc/buildroot-release"
fi

release="$target/etc/skiff-release"
{
    printf 'NAME=SkiffOS\n'
    printf 'ID=skiff\n'
    printf 'VERSION=%s\n' "$version"
    printf 'VERSION_ID=%s\n' "$commit"
    printf 'PRETTY_NAME="SkiffOS %s"\n' "$version"
    printf 'HOME_URL="https://github.com/skiffos/SkiffOS"\n'
    printf 'BUILD_DATE="%s"\n' "$build_date"
    printf 'BUILD_USER="%s"\n' "$builder"
    printf 'BUILD_CONFIG="%s"\n' "${SKIFF_CONFIG:-}"
} > "$release"

# os-release is the same minus the package list (which can be long and is not
# an os-release field); the images directory keeps the full copy.
rm -f "$target/etc/os-release" "$target/usr/lib/os-release"
grep -v '^BUILD_CONFIG=' "$release" > "$target/usr/lib/os-release"
ln -s ../usr/lib/os-release "$target/etc/os-release"
cp "$release" "$images/skiff-release"

# Mount points for the partitions skiff-init mounts at boot.
mkdir -p "$target/mnt/persist" "$target/mnt/rootfs" "$target/mnt/boot"

# NetworkManager writes resolv.conf at run time; the image holds a placeholder file
# (not a link into /run) so containers that bind-mount it always find one.
rm -f "$target/etc/resolv.conf"
printf '# Written by NetworkManager at run time.\n' > "$target/etc/resolv.conf"
