"""Device discovery and docs/behaviour.md#sd-cards classification, on captured udev records and on this machine."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import subprocess
from pathlib import Path

import pytest
from skifftest import need_tools

from skiff_tui.core.flash import devices as dv
from skiff_tui.core.flash.devices import DeviceError, FakeDeviceSource, Verdict

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "udev"
ALL = sorted(FIXTURES.glob("*.json"))


@pytest.fixture
def source() -> FakeDeviceSource:
    return FakeDeviceSource.from_files(ALL)


def by_name(source, name):
    info = source.get(name)
    assert info is not None, name
    return info


def test_fixture_records_parse_into_infos(source):
    names = [i.name for i in source.scan()]
    assert names == ["loop0", "mmcblk0", "nvme0n1", "sdb", "sdc", "sdd", "sde", "vda"]
    sdb = by_name(source, "/dev/sdb")
    assert sdb.size == 62333952 * 512
    assert (sdb.bus, sdb.removable, sdb.hotplug, sdb.serial, sdb.diskseq) == (
        "usb",
        True,
        True,
        "20121112761000000",
        23,
    )
    assert sdb.vendor == "Generic-" and sdb.model == "SD MMC"
    assert [(p.number, p.label, p.start) for p in sdb.partitions] == [
        (1, "BOOT", 2048 * 512),
        (2, "rootfs", 16779264 * 512),
        (3, "persist", 20973568 * 512),
    ]
    mmc = by_name(source, "mmcblk0")
    assert (mmc.bus, mmc.removable, mmc.hotplug, mmc.mmc_type, mmc.serial) == ("mmc", False, True, "SD", "0x5c1a9e21")
    nvme = by_name(source, "nvme0n1")
    assert nvme.partitions[1].mountpoints == ["/"] and nvme.partitions[2].swap
    loop = by_name(source, "loop0")
    assert loop.bus == "loop" and loop.backing_file.endswith("card.img") and len(loop.partitions) == 2


@pytest.mark.parametrize(
    "name,verdict,reason",
    [
        ("sdb", Verdict.OK, ""),
        ("mmcblk0", Verdict.OK, ""),
        ("nvme0n1", Verdict.HIDDEN, "system disk: holds /boot/efi (/dev/nvme0n1p1), / (/dev/nvme0n1p2), swap"),
        ("vda", Verdict.HIDDEN, "system disk: holds / (/dev/vda)"),
        ("sdc", Verdict.WARN, "unusually large for an SD card (500 GB)"),
        ("sdd", Verdict.HIDDEN, "no medium (empty card reader)"),
        ("sde", Verdict.DISABLED, "read-only (the card's write-protect switch is on?)"),
        ("loop0", Verdict.HIDDEN, "loop device (for testing)"),
    ],
)
def test_classification_has_a_reason(source, name, verdict, reason):
    a = dv.assess(by_name(source, name), min_size=dv.GIB)
    assert a.verdict is verdict
    assert a.reason.startswith(reason)
    if verdict in (Verdict.HIDDEN, Verdict.DISABLED):
        assert a.reasons, "every hidden or disabled disk says why"


def test_internal_non_removable_and_emmc_hidden(source):
    rec = copy.deepcopy(source.record("sdc"))
    rec["ancestors"] = [{"subsystem": "scsi", "sys_name": "0:0:0:0"}, {"subsystem": "ata", "sys_name": "ata1"}]
    rec["properties"]["ID_BUS"] = "ata"
    rec["sys_name"] = "sda"
    info = dv.info_from_record(rec, dv.MountTable())
    a = dv.assess(info)
    assert a.verdict is Verdict.HIDDEN and a.reason == "internal non-removable disk (ata)"
    emmc = copy.deepcopy(source.record("mmcblk0"))
    emmc["attributes"]["device/type"] = "MMC"
    assert dv.assess(dv.info_from_record(emmc, dv.MountTable())).reason == "internal non-removable disk (eMMC)"


def test_too_small_and_show_all(source):
    sdb = by_name(source, "sdb")
    a = dv.assess(sdb, min_size=64 * dv.GIB)
    assert a.verdict is Verdict.DISABLED and a.reason.startswith("too small: 29.7 GiB")
    shown = [x.device.name for x in dv.visible(dv.assess(i) for i in source.scan())]
    assert shown == ["mmcblk0", "sdb", "sdc", "sde"]
    everything = [x.device.name for x in dv.visible((dv.assess(i) for i in source.scan()), show_all=True)]
    assert len(everything) == 8
    loop = dv.assess(by_name(source, "loop0"))
    assert not loop.selectable and loop.selectable_with(True)
    empty = dv.assess(by_name(source, "sdd"))
    assert not empty.selectable_with(True)


@pytest.mark.parametrize(
    "name,show_all,message",
    [
        (
            "nvme0n1",
            False,
            "/dev/nvme0n1 is a system disk: holds /boot/efi (/dev/nvme0n1p1), / (/dev/nvme0n1p2), swap: refusing",
        ),
        (
            "nvme0n1",
            True,
            "/dev/nvme0n1 is a system disk: holds /boot/efi (/dev/nvme0n1p1), / (/dev/nvme0n1p2), swap: refusing",
        ),
        ("sde", False, "/dev/sde is read-only: refusing to write it"),
        ("sde", True, "/dev/sde is read-only: refusing to write it"),
        ("sdd", False, "/dev/sdd has no medium (empty card reader)"),
        ("loop0", False, "/dev/loop0 is hidden: loop device"),
    ],
)
def test_check_target_refusals(source, name, show_all, message):
    with pytest.raises(DeviceError) as err:
        dv.check_target(by_name(source, name), show_all=show_all)
    assert str(err.value).startswith(message)
    assert err.value.hint


def test_check_target_mounted_and_too_small(source):
    rec = copy.deepcopy(source.record("sdb"))
    src = FakeDeviceSource([rec], "50 29 8:17 / /media/me/BOOT rw - vfat /dev/sdb1 rw")
    info = src.get("sdb")
    assert dv.assess(info).verdict is Verdict.WARN
    with pytest.raises(DeviceError, match=r"/dev/sdb has mounted partitions \(/dev/sdb1 on /media/me/BOOT\)"):
        dv.check_target(info)
    assert dv.check_target(info, allow_mounted=True).selectable
    with pytest.raises(DeviceError, match=r"/dev/sdb is too small: 29.7 GiB, at least 64.0 GiB needed"):
        dv.check_target(info, min_size=64 * dv.GIB)
    # loops: accepted with show_all, unless too small for the purpose
    assert dv.check_target(source.get("loop0"), show_all=True).device.name == "loop0"
    with pytest.raises(DeviceError, match=r"/dev/loop0 is too small: 64 MiB"):
        dv.check_target(source.get("loop0"), show_all=True, min_size=dv.GIB)


def test_stacked_device_is_system():
    rec = json.loads((FIXTURES / "usb-sd-card.json").read_text())
    rec["partitions"][2]["holders"] = ["dm-0"]
    info = dv.info_from_record(rec, dv.MountTable())
    a = dv.assess(info)
    assert a.system and "dm-0" in a.reason


def test_mountinfo_parsing_escapes_and_anonymous_devices():
    text = (
        "36 35 98:0 /mnt1 /mnt/my\\040card rw,noatime master:1 - ext4 /dev/sdb3 rw\n"
        "40 29 0:45 / /srv rw - btrfs /dev/sdb2 rw\n"
    )
    table = dv.MountTable(text)
    assert table.mountpoints((98, 0), "/dev/x") == ["/mnt/my card"]
    assert table.mountpoints((0, 45), "/dev/sdb2") == ["/srv"]  # matched by source path
    assert table.mountpoints((0, 45), "/dev/other") == []  # anonymous numbers never match


def test_identity_differences(source):
    a = by_name(source, "sdb").identity()
    rec = copy.deepcopy(source.record("sdb"))
    rec["properties"]["DISKSEQ"] = "24"
    b = dv.info_from_record(rec, dv.MountTable()).identity()
    assert a.differences(b) == ["diskseq 23 → 24"]
    assert a.differences(a) == []


async def test_fake_watch_delivers_rescans(source):
    seen = []
    loop = asyncio.get_running_loop()
    watch = source.watch(loop, lambda infos: seen.append([i.name for i in infos]))
    source.remove("sdb")
    await asyncio.sleep(0)
    assert seen and "sdb" not in seen[-1]
    watch.close()
    source.add(json.loads((FIXTURES / "usb-sd-card.json").read_text()))
    await asyncio.sleep(0)
    assert len(seen) == 1


def test_live_scan_classifies_this_machine():
    try:
        live = dv.PyudevSource()
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"pyudev/libudev unavailable: {exc}")
    infos = live.scan()
    assert infos, "sysfs lists at least one disk"
    root_dev = os.stat("/").st_dev
    root = next(
        (
            i
            for i in infos
            if i.devnum == (os.major(root_dev), os.minor(root_dev))
            or any(p.devnum == (os.major(root_dev), os.minor(root_dev)) for p in i.partitions)
        ),
        None,
    )
    if root is None:
        pytest.skip("/ is not on a plain block device here (overlay/dm)")
    a = dv.assess(root)
    assert a.system and a.verdict is Verdict.HIDDEN
    with pytest.raises(DeviceError, match="system disk"):
        dv.check_target(root)


def _can_loop() -> str | None:
    if os.geteuid() != 0:
        return "loop devices need root"
    need_tools("losetup")
    return None


async def test_live_monitor_sees_loop_attach(tmp_path):
    why = _can_loop()
    if why:
        pytest.skip(why)
    live = dv.PyudevSource()
    img = tmp_path / "m.img"
    img.write_bytes(b"\0" * (4 * dv.MIB))
    got = asyncio.Event()
    seen = []

    def on_change(infos):
        seen.append(infos)
        got.set()

    watch = live.watch(asyncio.get_running_loop(), on_change, debounce=0.05)
    try:
        proc = subprocess.run(["losetup", "-f", "--show", str(img)], capture_output=True, text=True)
        if proc.returncode:
            pytest.skip(f"losetup failed: {proc.stderr.strip()}")
        node = proc.stdout.strip()
        try:
            await asyncio.wait_for(got.wait(), 5)
            assert any(i.node == node and i.size == 4 * dv.MIB for i in seen[-1])
        finally:
            subprocess.run(["losetup", "-d", node], check=False)
    finally:
        watch.close()
