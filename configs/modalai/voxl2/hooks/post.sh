#!/bin/sh
# After the images are built:
#  - voxl2-boot.img: the gzip kernel with its device tree appended, and the
#    system initramfs as ramdisk, in an Android boot image for ABL;
#  - voxl2-persist.ext4 (and a sparse .simg if img2simg exists): the file
#    system for the system partition, which skiff mounts as /mnt/persist.
set -eu
images="${BINARIES_DIR:-${SKIFF_BUILDROOT_DIR}/images}"
host="${HOST_DIR:-${SKIFF_BUILDROOT_DIR}/host}"
python="$host/bin/python3"
[ -x "$python" ] || python=python3
cat "$images/Image.gz" "$images/m0054-qrb5165-iot-rb5.dtb" > "$images/Image.gz+dtb"
cmdline="root=/dev/ram0 ro earlycon=msm_geni_serial,0xa90000 console=ttyMSM0,115200n8 androidboot.hardware=qcom androidboot.console=ttyMSM0 androidboot.usbcontroller=a600000.dwc3 lpm_levels.sleep_disabled=1 msm_rtb.filter=0x237 service_locator.enable=1 swiotlb=2048 cgroup.memory=nokmem,nosocket reboot=panic_warm audit=0 net.ifnames=0 fsck.repair=yes"
"$python" "$SKIFF_CURRENT_CONF_DIR/scripts/mkbootimg.py" \
    --kernel "$images/Image.gz+dtb" --ramdisk "$images/rootfs.cpio.lz4" \
    --pagesize 4096 --base 0x80000000 --kernel_offset 0x8000 \
    --ramdisk_offset 0x01000000 --second_offset 0x00f00000 --tags_offset 0x01900000 \
    --cmdline "$cmdline" -o "$images/voxl2-boot.img"
stage="$(mktemp -d "${TMPDIR:-/tmp}/voxl2-persist.XXXXXX")"
trap 'rm -rf "$stage"' EXIT
[ -d "$images/persist_part" ] && cp -a "$images/persist_part/." "$stage/"
rm -f "$images/voxl2-persist.ext4" "$images/voxl2-persist.simg"
"$host/sbin/mkfs.ext4" -q -F -b 4096 -L persist -d "$stage" "$images/voxl2-persist.ext4" 1G
if [ -x "$host/bin/img2simg" ]; then
    "$host/bin/img2simg" "$images/voxl2-persist.ext4" "$images/voxl2-persist.simg" 4096
fi
echo "voxl2: voxl2-boot.img and the persist image are ready for 'flashusb'"
