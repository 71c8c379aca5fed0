#!/bin/bash
# Turn the build's root file system tarball into a Docker image.
set -euo pipefail
# shellcheck source=SCRIPTDIR/common.sh
. "$(dirname "$0")/common.sh"

tarball="$workspace/images/rootfs.tar"
[ -f "$tarball" ] || die "no $tarball (build first: skiff compile)"
need_engine
docker_cmd import \
    --change 'ENV container=docker' \
    --change 'STOPSIGNAL SIGRTMIN+3' \
    --change 'ENTRYPOINT ["/usr/lib/systemd/systemd"]' \
    --message "skiff workspace ${ws_name}" \
    "$tarball" "$image"
[ "$dry_run" = 1 ] || echo "virt/docker: image $image ready; start it with: skiff cmd virt/docker run"
