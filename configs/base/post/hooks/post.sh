#!/bin/bash
# Runs after the images are made: leave a copy of the release file beside them
# and list what was produced, so `install` and `push` know what they are sending.
set -euo pipefail
images="${BINARIES_DIR:-${SKIFF_BUILDROOT_DIR}/images}"
target="${TARGET_DIR:-${SKIFF_BUILDROOT_DIR}/target}"
[ -d "$images" ] || exit 0
if [ -f "$target/etc/skiff-release" ]; then
    cp "$target/etc/skiff-release" "$images/skiff-release"
fi
( cd "$images" && find . -maxdepth 2 -type f ! -name MANIFEST -printf '%P\t%s\n' | sort ) > "$images/MANIFEST"
echo "base/post: $(wc -l < "$images/MANIFEST") files listed in $images/MANIFEST"
