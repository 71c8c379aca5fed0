#!/bin/bash
# Pick Docker's image store at every boot, before docker.service starts.
#
# Docker keeps images either in its own graph-driver store (<data-root>/image/overlay2,
# the classic layout) or in containerd's snapshotters (the "containerd-snapshotter"
# feature). Each layout hides the other's images. SkiffOS turns the containerd store
# on unless the persist partition already holds graph-driver images; skiff makes the
# same choice so a card moved from SkiffOS (or from an older skiff) shows the images
# it already has. A daemon.json that chooses for itself is left alone.
set -uo pipefail

daemon_json="${DOCKER_DAEMON_JSON:-/etc/docker/daemon.json}"
log() { echo "apps/docker: $*"; }

[ -f "$daemon_json" ] || { log "no $daemon_json; nothing to choose"; exit 0; }
if ! jq -e 'type == "object"' "$daemon_json" >/dev/null 2>&1; then
    log "$daemon_json is not a JSON object; image store left to Docker's default"
    exit 0
fi
if jq -e 'has("storage-driver") or has("containerd-snapshotter") or ((.features // {}) | type == "object" and has("containerd-snapshotter"))' \
        "$daemon_json" >/dev/null; then
    log "$daemon_json chooses the image store itself; left as it is"
    exit 0
fi

data_root="$(jq -r '."data-root" // "/var/lib/docker"' "$daemon_json")"
# Graph-driver images: image metadata or layer metadata files, or a non-empty repositories.json.
graph_images() {
    local image_dir="$data_root/image" repos
    [ -d "$image_dir" ] || return 1
    find "$image_dir" \( -path '*/imagedb/content/sha256/*' -o -path '*/layerdb/sha256/*' \) -type f \
        -print -quit 2>/dev/null | grep -q . && return 0
    for repos in "$image_dir"/*/repositories.json; do
        [ -f "$repos" ] && jq -e '(.Repositories // .) | length > 0' "$repos" >/dev/null 2>&1 && return 0
    done
    return 1
}

if graph_images; then
    log "$data_root holds graph-driver images: keeping Docker's own image store so they stay visible"
    exit 0
fi
tmp="$(mktemp "$daemon_json.XXXXXX")" || exit 0
if jq 'if (.features | type) == "object" or .features == null
       then .features = ((.features // {}) + {"containerd-snapshotter": true}) else . end' \
        "$daemon_json" > "$tmp" && mv "$tmp" "$daemon_json"; then
    log "image store: containerd snapshotter (set in $daemon_json)"
else
    rm -f "$tmp"
fi
exit 0
