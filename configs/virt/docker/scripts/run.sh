#!/bin/bash
# Start the image as a privileged container running systemd. The container's
# /mnt/persist is $BUILDROOT_DIR/docker/persist, so its state survives a restart.
#   DOCKER_SSH_PORT  host port forwarded to the container's SSH (default 2222, empty: none)
#   DOCKER_RUN_ARGS  extra `docker run` arguments, split on spaces
set -euo pipefail
# shellcheck source=SCRIPTDIR/common.sh
. "$(dirname "$0")/common.sh"

persist="$workspace/docker/persist"
images="$workspace/images"
ssh_port="${DOCKER_SSH_PORT-2222}"
need_engine
mkdir -p "$persist"

# Replace a container left from an earlier run.
if [ "$dry_run" = 1 ]; then
    docker_cmd rm -f "$container"
elif "$docker_bin" container inspect "$container" >/dev/null 2>&1; then
    docker_cmd rm -f "$container" >/dev/null
fi

args=(
    run --detach --name "$container" --hostname "skiff-${ws_name}"
    --privileged --cgroupns=private
    --stop-signal SIGRTMIN+3
    --tmpfs /run --tmpfs /run/lock --tmpfs /tmp
    --volume "$persist:/mnt/persist"
    --volume "$images:/mnt/rootfs:ro"
    --env container=docker
)
if [ -n "$ssh_port" ]; then
    args+=(--publish "127.0.0.1:${ssh_port}:22")
fi
if [ -n "${DOCKER_RUN_ARGS:-}" ]; then
    read -r -a extra <<< "$DOCKER_RUN_ARGS"
    args+=("${extra[@]}")
fi
args+=(--entrypoint /usr/lib/systemd/systemd "$image")
if [ "$dry_run" = 1 ]; then
    docker_cmd "${args[@]}"
    exit 0
fi
docker_cmd "${args[@]}" >/dev/null
echo "virt/docker: container $container started; open a shell with: skiff cmd virt/docker exec"
