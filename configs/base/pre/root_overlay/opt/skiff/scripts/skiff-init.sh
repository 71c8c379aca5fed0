#!/bin/bash
# skiff-init: runs once, early at boot (skiff-init.service).
#
# The host root file system lives in RAM and is rebuilt from the image at every
# boot. This script mounts the persist partition and restores from it what must
# outlive a reboot: host name, machine id, journal, SSH host keys and config,
# root's authorized keys, NetworkManager connections and /etc overrides.
#
# Files in /etc/skiff/init.env (optional, sourced) may change the variables below,
# e.g. PERSIST_DEVICE=/dev/vda1 for a virtual machine.
set -uo pipefail

PERSIST_DEVICE="LABEL=persist"
PERSIST_MNT=/mnt/persist
ROOTFS_DEVICE="LABEL=rootfs"
ROOTFS_MNT=/mnt/rootfs
PERSIST_MOUNT_OPTIONS="-o noatime"
PERSIST_WAIT_SECONDS=30
SKIP_MOUNT_FLAG=/etc/skiff/no-persist-mount
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
if [ -e "$SKIP_MOUNT_FLAG" ]; then
    log "$SKIP_MOUNT_FLAG exists: not mounting $PERSIST_DEVICE"
elif mountpoint -q "$PERSIST_MNT"; then
    log "$PERSIST_MNT is already mounted"
else
    udevadm settle --timeout=10 || true
    waited=0
    while [ ! -e "$device" ] && [ "$waited" -lt "$PERSIST_WAIT_SECONDS" ]; do
        sleep 1
        waited=$((waited + 1))
    done
    # shellcheck disable=SC2086  # options are deliberately split into words
    if [ -e "$device" ] && mount $PERSIST_MOUNT_OPTIONS "$device" "$PERSIST_MNT"; then
        log "mounted $device on $PERSIST_MNT"
        # Grow the file system to fill its partition (a no-op once done).
        resize2fs "$device" >/dev/null 2>&1 || true
    else
        log "no persist partition ($PERSIST_DEVICE): changes will be lost at reboot"
    fi
fi

SKIFF_PERSIST="$PERSIST_MNT/skiff"
mkdir -p "$SKIFF_PERSIST"

# -- rootfs partition (read-only: kernel modules image and other boot-time files) -------------
mkdir -p "$ROOTFS_MNT"
rootfs_device="$(by_name "$ROOTFS_DEVICE")"
if [ ! -e "$SKIP_MOUNT_FLAG" ] && [ -e "$rootfs_device" ] && ! mountpoint -q "$ROOTFS_MNT"; then
    mount -o ro "$rootfs_device" "$ROOTFS_MNT" && log "mounted $rootfs_device on $ROOTFS_MNT (read-only)"
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
mkdir -p /etc/skiff
printf 'PERSIST_MNT=%s\nSKIFF_PERSIST=%s\nROOTFS_MNT=%s\n' "$PERSIST_MNT" "$SKIFF_PERSIST" "$ROOTFS_MNT" > /etc/skiff/env

for script in /opt/skiff/scripts/skiff-init.d/*.sh; do
    [ -x "$script" ] || continue
    "$script" || log "$script failed; continuing"
done

systemctl daemon-reload || true
exit 0
