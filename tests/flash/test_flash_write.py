"""Sparse-aware write, read-back verification, interrupted writes, and refusals right before writing."""

from __future__ import annotations

import copy
import errno
import json
import os
from pathlib import Path

import pytest

from skiff_tui.core.errors import FlashError
from skiff_tui.core.flash import devices as dv
from skiff_tui.core.flash import execute as flash
from skiff_tui.core.flash import plan as flash_plan
from skiff_tui.core.flash.bmap import mapped_ranges
from skiff_tui.core.flash.copy import FdWriter, Meter, Progress
from skiff_tui.core.flash.devices import DeviceError, FakeDeviceSource

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "udev"
MIB = dv.MIB


def sparse_image(path: Path, size: int = 64 * MIB, extents=((0, 64 * 1024), (5 * MIB, MIB), (40 * MIB + 4096, 3000))):
    with open(path, "wb") as f:
        f.truncate(size)
        for off, n in extents:
            f.seek(off)
            f.write(os.urandom(n))
    return path


def test_mapped_ranges_skip_holes(tmp_path):
    img = sparse_image(tmp_path / "a.img")
    fd = os.open(img, os.O_RDONLY)
    try:
        ranges = mapped_ranges(fd, img.stat().st_size)
    finally:
        os.close(fd)
    total = sum(n for _, n in ranges)
    assert total < 3 * MIB, ranges
    for off, n in ((0, 64 * 1024), (5 * MIB, MIB), (40 * MIB + 4096, 3000)):
        assert any(a <= off and off + n <= a + m for a, m in ranges), (off, ranges)
    assert all(a % 4096 == 0 for a, _ in ranges)


def test_write_to_file_then_verify_and_catch_a_flipped_byte(tmp_path):
    img = sparse_image(tmp_path / "a.img")
    out = tmp_path / "card.bin"
    out.write_bytes(b"\xff" * (70 * MIB))  # a used card: old data everywhere
    target = flash.open_target(out)
    seen: list[Progress] = []
    plan = flash_plan.plan_write(img, target)
    assert plan.steps[-1].title.endswith("reading each part back once it is on the medium")
    outcome = flash.execute(plan, progress=seen.append)
    assert outcome.verified is True and outcome.copy.written == outcome.copy.mapped < 3 * MIB
    assert any(p.phase == "write" and p.done == p.total for p in seen)
    assert any(p.phase == "verify" for p in seen)
    with open(img, "rb") as a, open(out, "rb") as b:
        assert a.read() == b.read(img.stat().st_size)
    # flip one byte inside a mapped range: verify must say where
    with open(out, "r+b") as f:
        f.seek(5 * MIB + 12345)
        byte = f.read(1)
        f.seek(5 * MIB + 12345)
        f.write(bytes([byte[0] ^ 0x01]))
    with pytest.raises(FlashError) as err:
        flash.execute(flash_plan.plan_verify(img, flash.open_target(out)))
    assert err.value.kind == "verify"
    assert "1 chunk(s)" in str(err.value) and "first at byte offset 5242880 (1 MiB)" in str(err.value)


class FailingWriter(FdWriter):
    """Raises after `limit` bytes, like a card pulled out mid-write or a dying reader."""

    def __init__(self, fd: int, limit: int, code: int) -> None:
        super().__init__(fd)
        self.limit, self.code, self.done = limit, code, 0

    def pwrite(self, data, offset: int) -> None:
        if self.done + len(data) > self.limit:
            raise OSError(self.code, os.strerror(self.code))
        super().pwrite(data, offset)
        self.done += len(data)


@pytest.mark.parametrize(
    "code,kind,text",
    [
        (errno.EIO, "io", "I/O error writing"),
        (errno.ENODEV, "unplugged", "disappeared after 64 KiB (unplugged or card removed): it is incomplete"),
        (errno.EROFS, "write-protected", "is write-protected"),
        (errno.ENOSPC, "no-space", "no space left on"),
    ],
)
def test_interrupted_write_is_reported_as_such(tmp_path, code, kind, text):
    img = sparse_image(tmp_path / "a.img")
    out = tmp_path / "card.bin"
    out.write_bytes(b"")
    plan = flash_plan.plan_write(img, flash.open_target(out))
    with pytest.raises(FlashError) as err:
        flash.execute(plan, writer_factory=lambda fd: FailingWriter(fd, 64 * 1024, code))
    assert err.value.kind == kind
    assert text in str(err.value)


def test_stall_is_reported(monkeypatch):
    seen: list[Progress] = []
    meter = Meter(seen.append, "write", 100, stall_after=0.05)
    try:
        meter.advance(10)
        import time

        deadline = time.monotonic() + 3
        while not any(p.stalled for p in seen) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        meter.close()
    stalled = [p for p in seen if p.stalled]
    assert stalled and "may have stalled" in stalled[0].line()


# --- refusals right before writing (fake device source) ------------------------------------------
@pytest.fixture
def source() -> FakeDeviceSource:
    return FakeDeviceSource.from_files(sorted(FIXTURES.glob("*.json")))


def _record(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def test_system_read_only_too_small_refused_at_selection(source):
    with pytest.raises(DeviceError, match="/dev/nvme0n1 is a system disk"):
        flash.device_target(source.get("nvme0n1"))
    with pytest.raises(DeviceError, match="/dev/sde is read-only: refusing to write it"):
        flash.device_target(source.get("sde"))
    with pytest.raises(DeviceError, match="/dev/sdb is too small: 29.7 GiB, at least 64.0 GiB needed"):
        flash.device_target(source.get("sdb"), min_size=64 * dv.GIB)
    mounted = FakeDeviceSource([_record("usb-sd-card")], "50 29 8:17 / /media/me/BOOT rw - vfat /dev/sdb1 rw")
    with pytest.raises(DeviceError, match=r"/dev/sdb has mounted partitions \(/dev/sdb1 on /media/me/BOOT\)"):
        flash.device_target(mounted.get("sdb"))


def test_changed_between_selection_and_write_is_refused(source, tmp_path):
    target = flash.device_target(source.get("sdb"))
    img = sparse_image(tmp_path / "a.img")
    plan = flash_plan.plan_write(img, target)
    assert plan.confirm_name == "sdb"
    assert plan.erase[0].startswith("everything on /dev/sdb (3 partition(s): sdb1 vfat 'BOOT'")
    # another card goes into the same reader: same node, new diskseq and size
    rec = _record("usb-sd-card")
    rec["properties"]["DISKSEQ"] = rec["attributes"]["diskseq"] = "31"
    rec["attributes"]["size"] = "31116288"
    source.add(rec)
    with pytest.raises(FlashError) as err:
        flash.execute(plan, source=source)
    assert err.value.kind == "changed"
    assert str(err.value).startswith(
        "/dev/sdb changed since it was selected (size 31914983424 → 15931539456, diskseq 23 → 31): refusing to write"
    )


def test_unplugged_and_mounted_after_selection_are_refused(source, tmp_path):
    target = flash.device_target(source.get("sdb"))
    plan = flash_plan.plan_write(sparse_image(tmp_path / "a.img"), target)
    mounted = FakeDeviceSource([_record("usb-sd-card")], "50 29 8:17 / /media/me/BOOT rw - vfat /dev/sdb1 rw")
    with pytest.raises(DeviceError, match="has mounted partitions"):
        flash.execute(plan, source=mounted)
    source.remove("sdb")
    with pytest.raises(FlashError, match=r"/dev/sdb is gone \(unplugged\?\): nothing was written"):
        flash.execute(plan, source=source)


def test_image_larger_than_card_is_refused(source, tmp_path):
    rec = copy.deepcopy(_record("usb-sd-card"))
    rec["attributes"]["size"] = str(32 * MIB // 512)
    small = FakeDeviceSource([rec])
    with pytest.raises(FlashError, match=r"the image \(64 MiB\) is larger than /dev/sdb \(32 MiB\)"):
        flash_plan.plan_write(sparse_image(tmp_path / "a.img"), flash.device_target(small.get("sdb")))


def test_confirm_name_matching(source):
    target = flash.device_target(source.get("sdb"))
    assert target.confirm_matches("sdb") and target.confirm_matches("/dev/sdb")
    assert not target.confirm_matches("sdc") and not target.confirm_matches("")


def test_read_only_session_refuses_to_write_but_verifies(tmp_path, monkeypatch):
    from skiff_tui.core.errors import ReadOnlyError

    img = sparse_image(tmp_path / "a.img")
    out = tmp_path / "card.bin"
    out.write_bytes(b"")
    flash.execute(flash_plan.plan_write(img, flash.open_target(out)))
    monkeypatch.setenv("SKIFF_READ_ONLY", "1")
    with pytest.raises(ReadOnlyError, match=f"flash write of {out} refused: this session is read-only"):
        flash.execute(flash_plan.plan_write(img, flash.open_target(out)))
    assert flash.execute(flash_plan.plan_verify(img, flash.open_target(out))).verified


# --- finishing: power off / eject ---------------------------------------------------------------
def _card(tmp_path, name="sdz"):
    return dv.BlockDeviceInfo(name=name, node=f"/dev/{name}", size=1 << 30, devnum=(8, 240))


class _Tools:
    """Which tools exist and what they answer, to walk every fallback (the real tools would act on
    a real reader, which no test machine has)."""

    def __init__(self, present, failing=()):
        self.present, self.failing, self.calls = set(present), set(failing), []

    def which(self, name):
        return f"/usr/bin/{name}" if name in self.present else None

    def run(self, argv, **kw):
        import subprocess

        self.calls.append(argv[0])
        code = 1 if argv[0] in self.failing else 0
        return subprocess.CompletedProcess(argv, code, "", f"{argv[0]}: failed here" if code else "")


def test_eject_mechanisms_in_order_with_clean_fallbacks(tmp_path):
    from skiff_tui.core.flash.eject import eject

    info = _card(tmp_path)
    sysfs = tmp_path / "sys"
    delete = sysfs / "block" / "sdz" / "device" / "delete"
    delete.parent.mkdir(parents=True)
    delete.write_text("")
    tools = _Tools({"udisksctl", "eject"})
    msg = eject(info, sysfs=sysfs, which=tools.which, run=tools.run, check_node=False)
    assert msg == "/dev/sdz powered off (udisksctl power-off): remove it now" and tools.calls == ["udisksctl"]
    tools = _Tools({"udisksctl", "eject"}, failing={"udisksctl"})
    msg = eject(info, sysfs=sysfs, which=tools.which, run=tools.run, check_node=False)
    assert msg == "/dev/sdz ejected (eject): remove it now" and tools.calls == ["udisksctl", "eject"]
    tools = _Tools({"udisksctl", "eject"}, failing={"udisksctl", "eject"})
    msg = eject(info, sysfs=sysfs, which=tools.which, run=tools.run, check_node=False)
    assert msg == "/dev/sdz detached by the kernel (sysfs device/delete): remove it now"
    assert delete.read_text() == "1\n"
    delete.unlink()
    msg = eject(info, sysfs=sysfs, which=_Tools(()).which, run=_Tools(()).run, check_node=False)
    assert msg.startswith("/dev/sdz stays attached (no udisksctl or eject here") and "light stops" in msg
    tools = _Tools({"eject"}, failing={"eject"})
    msg = eject(info, sysfs=sysfs, which=tools.which, run=tools.run, check_node=False)
    assert msg == "/dev/sdz stays attached (eject: eject: failed here): remove it once the reader's light stops"


def test_eject_never_acts_on_a_node_that_is_not_the_disk(tmp_path):
    from skiff_tui.core.flash.eject import eject

    tools = _Tools({"udisksctl", "eject"})
    info = _card(tmp_path)
    info.node = str(tmp_path / "plain-file")
    (tmp_path / "plain-file").write_bytes(b"x")
    assert eject(info, which=tools.which, run=tools.run).endswith("is not the block device it was: nothing ejected")
    assert tools.calls == []
    loop = _card(tmp_path, "loop7")
    assert eject(loop, which=tools.which, run=tools.run) == "/dev/loop7 is a loop device: nothing to eject"
