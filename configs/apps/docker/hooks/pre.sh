#!/bin/bash
# Merge Docker daemon.json fragments into the image's /etc/docker/daemon.json.
#
# Any package in the chain may ship resources/docker/daemon.json.d/*.json. They are
# merged, in chain order and then file-name order, over the daemon.json this
# package's root_overlay put in the target: objects merge key by key, any other
# value is replaced, so a later package's fragment wins.
set -euo pipefail

target="${1:-${TARGET_DIR:-${SKIFF_BUILDROOT_DIR}/target}}"
daemon_json="$target/etc/docker/daemon.json"
# The build host's jq (BR2_PACKAGE_HOST_JQ) first, then any jq on PATH.
jq="${HOST_DIR:-${SKIFF_BUILDROOT_DIR:-}/host}/bin/jq"
[ -x "$jq" ] || jq="$(command -v jq || true)"

fragments=()
for dir in ${SKIFF_CONFIG_PATH:-}; do
    for fragment in "$dir"/resources/docker/daemon.json.d/*.json; do
        [ -f "$fragment" ] && fragments+=("$fragment")
    done
done
[ "${#fragments[@]}" -gt 0 ] || exit 0
if [ -z "$jq" ]; then
    echo "apps/docker: jq is needed to merge ${fragments[*]} (enable BR2_PACKAGE_HOST_JQ)" >&2
    exit 1
fi

mkdir -p "$(dirname "$daemon_json")"
[ -s "$daemon_json" ] || echo '{}' > "$daemon_json"
for fragment in "${fragments[@]}"; do
    if ! "$jq" -e 'type == "object"' "$fragment" >/dev/null 2>&1; then
        echo "$fragment: not a JSON object; fix or remove it" >&2
        exit 1
    fi
    echo "apps/docker: merging ${fragment#"${SKIFF_ROOT_DIR:-}"/} into /etc/docker/daemon.json"
    "$jq" -s '.[0] * .[1]' "$daemon_json" "$fragment" > "$daemon_json.tmp"
    mv "$daemon_json.tmp" "$daemon_json"
done
