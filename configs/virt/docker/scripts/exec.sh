#!/bin/bash
# Open a login shell in the running container.
set -euo pipefail
# shellcheck source=SCRIPTDIR/common.sh
. "$(dirname "$0")/common.sh"
need_engine
tty_flags=(-i)
[ -t 0 ] && [ -t 1 ] && tty_flags=(-it)
if [ "$dry_run" = 1 ]; then
    docker_cmd exec "${tty_flags[@]}" "$container" /bin/bash -l
    exit 0
fi
"$docker_bin" container inspect "$container" >/dev/null 2>&1 || \
    die "container $container is not running; start it with: skiff cmd virt/docker run"
exec "$docker_bin" exec "${tty_flags[@]}" "$container" /bin/bash -l
