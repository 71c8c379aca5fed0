# Shared by the virt/docker scripts (sourced, not run).
# shellcheck shell=bash disable=SC2034  # the variables are used by the scripts that source this
#   DOCKER            docker client to use (default: docker)
#   DOCKER_IMAGE      image name (default: skiff/<workspace>:latest)
#   DOCKER_CONTAINER  container name (default: skiff-<workspace>)
#   DOCKER_DRY_RUN=1  print each docker command instead of running it

die() { echo "virt/docker: $*" >&2; exit 1; }

workspace="${BUILDROOT_DIR:-${SKIFF_WORKSPACE_DIR:-}}"
[ -n "$workspace" ] || die "BUILDROOT_DIR is not set; run this through 'skiff cmd virt/docker ...'"
ws_name="${SKIFF_WORKSPACE:-$(basename "$workspace")}"
ws_name="$(printf '%s' "$ws_name" | tr '[:upper:]' '[:lower:]' | tr -c 'a-z0-9_.-' '-')"
docker_bin="${DOCKER:-docker}"
image="${DOCKER_IMAGE:-skiff/${ws_name}:latest}"
container="${DOCKER_CONTAINER:-skiff-${ws_name}}"
dry_run="${DOCKER_DRY_RUN:-0}"

# Run (or, in a dry run, print) one docker command given as separate words.
docker_cmd() {
    if [ "$dry_run" = 1 ]; then
        printf '%q ' "$docker_bin" "$@"
        printf '\n'
        return 0
    fi
    "$docker_bin" "$@"
}

# One clear line and exit 1 when no Docker engine answers.
need_engine() {
    [ "$dry_run" = 1 ] && return 0
    if ! command -v "$docker_bin" >/dev/null 2>&1; then
        die "the docker client ($docker_bin) is not installed"
    fi
    if ! "$docker_bin" info >/dev/null 2>&1; then
        die "no Docker engine is reachable (is dockerd running, and may this user use it?)"
    fi
}
