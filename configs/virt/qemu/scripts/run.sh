#!/bin/bash
# Boot the workspace's kernel and initramfs in QEMU, console on this terminal.
#
#   QEMU_MEMORY      guest memory (default 2G)
#   QEMU_CPUS        virtual CPUs (default: host CPUs, at most 8)
#   QEMU_EXTRA_ARGS  extra QEMU arguments, split on spaces
#   QEMU_DISK_SIZE   size of the persist disk when it is first created (default 32G)
#   QEMU_DRY_RUN=1   print the QEMU command line instead of running it
#
# The persist disk ($BUILDROOT_DIR/qemu/persist.qcow2) is created on first run
# and kept; the guest formats it. $BUILDROOT_DIR/qemu/shared appears in the
# guest as /mnt/shared. Leave QEMU with Ctrl-A X.
set -euo pipefail

die() { echo "virt/qemu: $*" >&2; exit 1; }

workspace="${BUILDROOT_DIR:-${SKIFF_WORKSPACE_DIR:-}}"
[ -n "$workspace" ] || die "BUILDROOT_DIR is not set; run this through 'skiff cmd virt/qemu run'"
images="$workspace/images"
config="$workspace/.config"
state="$workspace/qemu"
disk="$state/persist.qcow2"
shared="$state/shared"
memory="${QEMU_MEMORY:-2G}"
if [ -n "${QEMU_CPUS:-}" ]; then
    cpus="$QEMU_CPUS"
else
    cpus="$(nproc 2>/dev/null || echo 2)"
    [ "$cpus" -le 8 ] || cpus=8
fi
disk_size="${QEMU_DISK_SIZE:-32G}"
dry_run="${QEMU_DRY_RUN:-0}"

# -- guest architecture from the Buildroot configuration -----------------------------------
arch=x86_64
if [ -f "$config" ]; then
    if grep -q '^BR2_aarch64=y' "$config"; then arch=aarch64
    elif grep -q '^BR2_arm=y' "$config"; then arch=arm
    elif grep -q '^BR2_riscv=y' "$config" && grep -q '^BR2_RISCV_64=y' "$config"; then arch=riscv64
    elif grep -q '^BR2_i386=y' "$config"; then arch=i386
    fi
fi
case "$arch" in
    x86_64|i386) machine=q35; console=ttyS0; kernels="bzImage" ;;
    aarch64)     machine=virt; console=ttyAMA0; kernels="Image" ;;
    arm)         machine=virt; console=ttyAMA0; kernels="zImage" ;;
    riscv64)     machine=virt; console=ttyS0; kernels="Image" ;;
esac

# -- images ---------------------------------------------------------------------------------
kernel=""
for k in $kernels bzImage Image zImage; do
    if [ -f "$images/$k" ]; then kernel="$images/$k"; break; fi
done
[ -n "$kernel" ] || die "no kernel image in $images (build first: skiff compile)"
initrd="$images/rootfs.cpio.lz4"
[ -f "$initrd" ] || die "no $initrd (the base layer builds it; run skiff compile)"

# -- QEMU binary: the one Buildroot built, else the system's -------------------------------
qemu="$workspace/host/bin/qemu-system-$arch"
if [ ! -x "$qemu" ]; then
    qemu="$(command -v "qemu-system-$arch" || true)"
fi
if [ -z "$qemu" ]; then
    if [ "$dry_run" = 1 ]; then
        qemu="qemu-system-$arch"
    else
        die "qemu-system-$arch not found (install QEMU or enable BR2_PACKAGE_HOST_QEMU)"
    fi
fi
qemu_img="$workspace/host/bin/qemu-img"
[ -x "$qemu_img" ] || qemu_img="qemu-img"

# -- acceleration: KVM when the guest matches the host and /dev/kvm is usable --------------
host_arch="$(uname -m)"
accel=(-accel tcg -cpu max)
if [ "$host_arch" = "$arch" ] || { [ "$host_arch" = x86_64 ] && [ "$arch" = i386 ]; }; then
    if [ -r /dev/kvm ] && [ -w /dev/kvm ] && [ "${QEMU_NO_KVM:-0}" != 1 ]; then
        accel=(-accel kvm -cpu host)
    fi
fi

# -- persistent disk and shared folder ------------------------------------------------------
mkdir -p "$state" "$shared"
if [ ! -f "$disk" ]; then
    if [ "$dry_run" = 1 ]; then
        echo "virt/qemu: would create $disk ($disk_size) with $qemu_img" >&2
    else
        echo "virt/qemu: creating the persist disk $disk ($disk_size, grows as used)"
        "$qemu_img" create -q -f qcow2 "$disk" "$disk_size"
    fi
fi

# shellcheck disable=SC2054  # the commas belong to QEMU option values
argv=(
    "$qemu"
    -machine "$machine"
    "${accel[@]}"
    -m "$memory"
    -smp "$cpus"
    -kernel "$kernel"
    -initrd "$initrd"
    -append "console=$console root=/dev/ram0 ro net.ifnames=0"
    -drive "file=$disk,if=virtio,format=qcow2"
    -netdev user,id=net0
    -device virtio-net-pci,netdev=net0
    -device virtio-rng-pci
    -virtfs "local,path=$shared,mount_tag=host0,security_model=mapped-xattr,id=host0"
    -display none
    -serial mon:stdio
)
if [ -n "${QEMU_EXTRA_ARGS:-}" ]; then
    # Deliberately split on whitespace: these are extra command-line words.
    read -r -a extra <<< "$QEMU_EXTRA_ARGS"
    argv+=("${extra[@]}")
fi

if [ "$dry_run" = 1 ]; then
    printf '%q ' "${argv[@]}"
    printf '\n'
    exit 0
fi
echo "virt/qemu: starting $(basename "$qemu") ($arch, ${accel[1]}, $memory, $cpus CPUs); quit with Ctrl-A X"
exec "${argv[@]}"
