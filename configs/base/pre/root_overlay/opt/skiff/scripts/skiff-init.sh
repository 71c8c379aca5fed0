#!/bin/bash
# skiff-init: runs once, early at boot (skiff-init.service).
#
# The host root file system lives in RAM and is rebuilt from the image at every
# boot. This script mounts the persist partition and restores from it what must
# outlive a reboot: host name, machine id, journal, SSH host keys and config,
# root's authorized keys, NetworkManager connections and /etc overrides.
#
# Boot-time hooks, for packages (SkiffOS's directory names, so its packages work unchanged):
#   mount-all.pre.d/*.sh  sourced first, in name order; they may change the variables below
#                         (e.g. PERSIST_DEVICE=/dev/vda1, ROOTFS_MNT_FLAGS=--rbind);
#   mount-all.d/*.sh      run once persist and rootfs are mounted and /etc/skiff/env is
#                         written, in name order; a failing one is logged and skipped;
#   skiff-init.d/*.sh     run right after them, in name order (skiff's own directory).
# /etc/skiff/init.env (optional, sourced after the pre-hooks) has the last word.
set -uo pipefail

SCRIPTS_DIR=/opt/skiff/scripts
PERSIST_DEVICE="LABEL=persist"
PERSIST_MNT=/mnt/persist
ROOTFS_DEVICE="LABEL=rootfs"
ROOTFS_MNT=/mnt/rootfs
BOOT_DEVICE="LABEL=boot"
BOOT_MNT=/mnt/boot
PERSIST_MOUNT_OPTIONS="-o noatime"
PERSIST_WAIT_SECONDS=30
SKIP_MOUNT_FLAG=/etc/skiff/no-persist-mount
# Set by pre-hooks: mount flags replacing the defaults, boot partition mounting, directories
# to create as mount sources, resize opt-out, extra paths to wait for.
MOUNT_BOOT_DEVICE=""
ROOTFS_DEVICE_MKDIR=""
BOOT_DEVICE_MKDIR=""
DISABLE_RESIZE_PERSIST=""
WAIT_PATHS_EXIST=()
# Pre-hooks see this set: it tells them the system is booting (not a test run of the script).
export SKIFF_RUN_INIT_ACTIONS=true

for hook in "$SCRIPTS_DIR"/mount-all.pre.d/*.sh; do
    [ -r "$hook" ] || continue
    echo "skiff-init: sourcing $hook"
    # Exported: what a pre-hook assigns reaches the later hooks too. Not -u: a hook written for
    # a laxer shell must not end skiff-init by reading an unset variable.
    set -a +u
    # shellcheck disable=SC1090
    . "$hook"
    set +a -u
done
# shellcheck disable=SC1091 # init.env exists only on the booted system
[ -r /etc/skiff/init.env ] && . /etc/skiff/init.env

log() { echo "skiff-init: $*"; }

by_name() {
    case "$1" in
        LABEL=*) echo "/dev/disk/by-label/${1#LABEL=}" ;;
        UUID=*) echo "/dev/disk/by-uuid/${1#UUID=}" ;;
        *) echo "$1" ;;
    esac
}

# -- persist partition ----------------------------------------------------------------------
mkdir -p "$PERSIST_MNT"
device="$(by_name "$PERSIST_DEVICE")"
# A pre-hook's PERSIST_MNT_FLAGS (even empty) replaces the default options, as in SkiffOS.
persist_flags="${PERSIST_MNT_FLAGS-$PERSIST_MOUNT_OPTIONS}"
if [ -e "$SKIP_MOUNT_FLAG" ]; then
    log "$SKIP_MOUNT_FLAG exists: not mounting $PERSIST_DEVICE"
elif mountpoint -q "$PERSIST_MNT"; then
    log "$PERSIST_MNT is already mounted"
else
    udevadm settle --timeout=10 || true
    waited=0
    for path in "$device" "${WAIT_PATHS_EXIST[@]}"; do
        while [ ! -e "$path" ] && [ "$waited" -lt "$PERSIST_WAIT_SECONDS" ]; do
            sleep 1
            waited=$((waited + 1))
        done
    done
    # shellcheck disable=SC2086  # options are deliberately split into words
    if [ -e "$device" ] && mount $persist_flags "$device" "$PERSIST_MNT"; then
        log "mounted $device on $PERSIST_MNT"
        # Grow the file system to fill its partition (a no-op once done).
        if [ -z "$DISABLE_RESIZE_PERSIST" ] && [ -b "$device" ]; then
            resize2fs "$device" >/dev/null 2>&1 || true
        fi
    else
        log "no persist partition ($PERSIST_DEVICE): changes will be lost at reboot"
    fi
fi

SKIFF_PERSIST="${SKIFF_PERSIST:-$PERSIST_MNT/skiff}"
mkdir -p "$SKIFF_PERSIST"

# -- boot partition (only when a pre-hook asks: MOUNT_BOOT_DEVICE) -----------------------------
[ -n "$BOOT_DEVICE_MKDIR" ] && [ -n "${BOOT_DEVICE:-}" ] && mkdir -p "$BOOT_DEVICE"
if [ -n "$MOUNT_BOOT_DEVICE" ] && [ -n "${BOOT_DEVICE:-}" ] && [ ! -e "$SKIP_MOUNT_FLAG" ]; then
    mkdir -p "$BOOT_MNT"
    boot_device="$(by_name "$BOOT_DEVICE")"
    # shellcheck disable=SC2086
    mountpoint -q "$BOOT_MNT" || mount ${BOOT_MNT_FLAGS:-} "$boot_device" "$BOOT_MNT" && log "boot is at $BOOT_MNT"
fi

# -- rootfs partition (read-only: kernel modules image and other boot-time files) -------------
# A pre-hook may point ROOTFS_DEVICE at a directory (ROOTFS_MNT_FLAGS=--rbind) or unset it.
mkdir -p "$ROOTFS_MNT"
if [ -n "${ROOTFS_DEVICE:-}" ]; then
    [ -n "$ROOTFS_DEVICE_MKDIR" ] && mkdir -p "$ROOTFS_DEVICE"
    rootfs_device="$(by_name "$ROOTFS_DEVICE")"
    if [ ! -e "$SKIP_MOUNT_FLAG" ] && [ -e "$rootfs_device" ] && ! mountpoint -q "$ROOTFS_MNT"; then
        # shellcheck disable=SC2086
        mount ${ROOTFS_MNT_FLAGS:--o ro} "$rootfs_device" "$ROOTFS_MNT" && log "mounted $rootfs_device on $ROOTFS_MNT"
    fi
fi

# -- host name --------------------------------------------------------------------------------
saved_hostname=""
[ -s "$SKIFF_PERSIST/hostname" ] && saved_hostname="$(head -n1 "$SKIFF_PERSIST/hostname" | tr -cd 'A-Za-z0-9.-')"
if [ -n "$saved_hostname" ]; then
    old="$(cat /etc/hostname 2>/dev/null || true)"
    echo "$saved_hostname" > /etc/hostname
    if [ -n "$old" ] && [ -f /etc/hosts ]; then
        sed -i "s/\\b${old//./\\.}\\b/$saved_hostname/g" /etc/hosts || true
    fi
else
    cat /etc/hostname > "$SKIFF_PERSIST/hostname" 2>/dev/null || echo skiffos > "$SKIFF_PERSIST/hostname"
fi
hostname -F /etc/hostname || true

# -- machine id --------------------------------------------------------------------------------
if [ -s "$SKIFF_PERSIST/machine-id" ]; then
    cat "$SKIFF_PERSIST/machine-id" > /etc/machine-id
fi
machine_id="$(systemd-machine-id-setup --print 2>/dev/null || cat /etc/machine-id)"
[ -s "$SKIFF_PERSIST/machine-id" ] || echo "$machine_id" > "$SKIFF_PERSIST/machine-id"

# -- journal -----------------------------------------------------------------------------------
mkdir -p "$SKIFF_PERSIST/journal" /var/log/journal
if ! mountpoint -q /var/log/journal; then
    mount --bind "$SKIFF_PERSIST/journal" /var/log/journal
    systemd-tmpfiles --create --prefix /var/log/journal >/dev/null 2>&1 || true
fi

# -- SSH: configuration and host keys live on persist ------------------------------------------
mkdir -p "$SKIFF_PERSIST/ssh"
for f in /etc/ssh/*; do
    [ -e "$f" ] || continue
    [ -e "$SKIFF_PERSIST/ssh/$(basename "$f")" ] || cp -a "$f" "$SKIFF_PERSIST/ssh/"
done
mountpoint -q /etc/ssh || mount --bind "$SKIFF_PERSIST/ssh" /etc/ssh
ssh-keygen -A >/dev/null 2>&1 || true

# -- root's authorized keys: the image's keys plus persist/skiff/keys/*.pub --------------------
mkdir -p "$SKIFF_PERSIST/keys"
[ -e "$SKIFF_PERSIST/keys/README" ] || \
    echo "Public keys (*.pub) in this directory may log in as root." > "$SKIFF_PERSIST/keys/README"
install -d -m 0700 /root/.ssh
keys_tmp="$(mktemp)"
for key in /etc/skiff/authorized_keys/*.pub "$SKIFF_PERSIST"/keys/*.pub; do
    [ -f "$key" ] && cat "$key" >> "$keys_tmp"
done
install -m 0600 "$keys_tmp" /root/.ssh/authorized_keys
rm -f "$keys_tmp"
[ -s /root/.ssh/authorized_keys ] || log "no SSH keys installed: add *.pub files to $SKIFF_PERSIST/keys"

# -- NetworkManager connections on persist -----------------------------------------------------
connections=/etc/NetworkManager/system-connections
mkdir -p "$SKIFF_PERSIST/connections" "$connections"
if ! mountpoint -q "$connections"; then
    # Connections shipped in the image stay visible underneath the persistent ones.
    mkdir -p "$SKIFF_PERSIST/.overlay-work/connections"
    mount -t overlay overlay \
        -o "lowerdir=$connections,upperdir=$SKIFF_PERSIST/connections,workdir=$SKIFF_PERSIST/.overlay-work/connections" \
        "$connections" || mount --bind "$SKIFF_PERSIST/connections" "$connections"
fi
chown -R root:root "$connections"
find "$connections" -type f -exec chmod 0600 {} +

# -- /etc overrides -----------------------------------------------------------------------------
if [ -d "$SKIFF_PERSIST/etc" ]; then
    rsync -a --exclude=/README "$SKIFF_PERSIST/etc/" /etc/
else
    mkdir -p "$SKIFF_PERSIST/etc"
    echo "Files here are copied over /etc at every boot." > "$SKIFF_PERSIST/etc/README"
fi

# -- environment for other services and hook scripts ---------------------------------------------
# The names SkiffOS writes, so its packages' services and hooks read the same file.
mkdir -p /etc/skiff
KEYS_PERSIST="$SKIFF_PERSIST/keys"
SSH_PERSIST="$SKIFF_PERSIST/ssh"
JOURNAL_PERSIST="$SKIFF_PERSIST/journal"
SKIFF_OVERLAYS="$SKIFF_PERSIST/.overlay-work"
env_tmp="$(mktemp /etc/skiff/.env.XXXXXX)"
for name in PERSIST_MNT SKIFF_PERSIST SKIFF_OVERLAYS KEYS_PERSIST SSH_PERSIST JOURNAL_PERSIST \
            BOOT_DEVICE BOOT_MNT ROOTFS_DEVICE ROOTFS_MNT; do
    printf '%s=%s\n' "$name" "${!name:-}"
done > "$env_tmp"
mv "$env_tmp" /etc/skiff/env
export PERSIST_MNT SKIFF_PERSIST SKIFF_OVERLAYS KEYS_PERSIST SSH_PERSIST JOURNAL_PERSIST BOOT_MNT ROOTFS_MNT

for script in "$SCRIPTS_DIR"/mount-all.d/*.sh "$SCRIPTS_DIR"/skiff-init.d/*.sh; do
    [ -e "$script" ] || continue
    if [ ! -x "$script" ]; then
        log "$script is not executable; skipped"
        continue
    fi
    "$script" || log "$script failed; continuing"
done

systemctl daemon-reload || true
exit 0
