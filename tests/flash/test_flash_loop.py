"""The same engine on real block devices: loop devices (root only; skipped with the reason otherwise)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flash_testkit import SMALL, SMALL_IMAGE, sh  # noqa: E402
from skifftest import need_tools  # noqa: E402

from skiff_tui.core.flash import devices as dv  # noqa: E402
from skiff_tui.core.flash import execute as flash  # noqa: E402
from skiff_tui.core.flash import install_set as flash_install_set
from skiff_tui.core.flash import layout as flash_layout
from skiff_tui.core.flash import plan as flash_plan
from skiff_tui.core.flash.devices import DeviceError  # noqa: E402


def _why_no_loops() -> str | None:
    if os.geteuid() != 0:
        return "loop devices need root (CI runs as root)"
    need_tools("losetup", "partx", "mount")
    return None


@pytest.fixture
def loop(tmp_path):
    why = _why_no_loops()
    if why:
        pytest.skip(why)
    attached = []

    def attach(img: Path, *extra: str) -> str:
        proc = subprocess.run(["losetup", "-f", "--show", *extra, str(img)], capture_output=True, text=True)
        if proc.returncode:
            pytest.skip(f"losetup failed here: {proc.stderr.strip()}")
        attached.append(proc.stdout.strip())
        return attached[-1]

    yield attach
    for node in attached:
        subprocess.run(["partx", "-d", node], capture_output=True, check=False)  # detach keeps them otherwise
        subprocess.run(["losetup", "-d", node], check=False)


def _blank(path: Path, size: int = SMALL_IMAGE) -> Path:
    with open(path, "wb") as f:
        f.truncate(size)
    return path


def test_format_install_on_a_loop_device(tools, loop, build_output, tmp_path):
    node = loop(_blank(tmp_path / "card.img"))
    source = dv.PyudevSource()
    with pytest.raises(DeviceError, match="is hidden: loop device"):
        flash.open_target(node, source=source)
    target = flash.open_target(node, source=source, show_all=True, min_size=SMALL.min_disk_size())
    assert target.is_device and target.info.diskseq is not None
    install = flash_install_set.collect_install(build_output["images"], build_output["layers"])
    plan = flash_plan.plan_format(target, SMALL, install=install)
    assert plan.confirm_name == os.path.basename(node)
    flash.execute(plan, source=source)
    name = os.path.basename(node)
    parts = sorted(p for p in os.listdir(f"/sys/block/{name}") if p.startswith(name + "p"))
    assert parts == [f"{name}p1", f"{name}p2", f"{name}p3"], "partx -u told the kernel"
    fsck = sh("e2fsck", "-fn", f"{node}p2", check=False)
    assert fsck.returncode == 0, fsck.stdout + fsck.stderr
    assert sh("debugfs", "-R", "cat /etc/hostname", f"{node}p2").stdout == "skiff-test\n"
    assert "::/zImage" in sh("mdir", "-b", "-i", f"{node}p1", "::/").stdout

    # mounted partition: refused at selection, and the kernel's O_EXCL backstop agrees
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    sh("mount", f"{node}p3", str(mnt))
    try:
        with pytest.raises(DeviceError, match=rf"{node} has mounted partitions \({node}p3 on {mnt}\)"):
            flash.open_target(node, source=source, show_all=True)
        with pytest.raises(OSError) as err:
            os.close(os.open(node, os.O_RDWR | os.O_EXCL))
        assert err.value.errno == 16  # EBUSY
    finally:
        sh("umount", str(mnt))


def test_read_only_loop_is_refused(loop, tmp_path):
    node = loop(_blank(tmp_path / "ro.img", 8 * dv.MIB), "-r")
    with pytest.raises(DeviceError, match=f"{node} is read-only: refusing to write it"):
        flash.open_target(node, source=dv.PyudevSource(), show_all=True)


def test_write_image_to_loop_with_o_direct(loop, tmp_path):
    img = tmp_path / "src.img"
    with open(img, "wb") as f:
        f.truncate(16 * dv.MIB)
        f.seek(3 * dv.MIB)
        f.write(os.urandom(dv.MIB))
    node = loop(_blank(tmp_path / "dst.img", 16 * dv.MIB))
    source = dv.PyudevSource()
    target = flash.open_target(node, source=source, show_all=True)
    outcome = flash.execute(flash_plan.plan_write(img, target), source=source)
    assert outcome.verified and outcome.copy.written == dv.MIB
    assert outcome.ejected == f"{node} is a loop device: nothing to eject"
    with open(img, "rb") as a, open(tmp_path / "dst.img", "rb") as b:
        a.seek(3 * dv.MIB)
        b.seek(3 * dv.MIB)
        assert a.read(dv.MIB) == b.read(dv.MIB)


def test_format_unmounts_only_with_consent(tools, loop, tmp_path):
    node = loop(_blank(tmp_path / "card.img"))
    source = dv.PyudevSource()
    target = flash.open_target(node, source=source, show_all=True)
    flash.execute(flash_plan.plan_format(target, SMALL), source=source)
    mnt = tmp_path / "persist"
    mnt.mkdir()
    sh("mount", f"{node}p3", str(mnt))
    try:
        with pytest.raises(DeviceError, match="pass --unmount"):
            flash.open_target(node, source=source, show_all=True)
        target = flash.open_target(node, source=source, show_all=True, unmount=True)
        plan = flash_plan.plan_format(target, SMALL)
        assert any(n == f"will unmount {mnt}" for n in plan.notes)
        flash.execute(plan, source=source)
        assert not os.path.ismount(mnt)
    finally:
        if os.path.ismount(mnt):
            sh("umount", str(mnt))


def test_reformat_gpt_card_as_mbr_with_a_blob_on_a_loop_device(tools, loop, tmp_path):
    """A card that held skiff's GPT layout, formatted for an Allwinner board: MBR, no GPT left
    (primary or backup) for the kernel or blkid to find, the blob at 8 KiB, partitions visible."""
    node = loop(_blank(tmp_path / "card.img"))
    source = dv.PyudevSource()
    target = flash.open_target(node, source=source, show_all=True, min_size=SMALL.min_disk_size())
    flash.execute(flash_plan.plan_format(target, SMALL), source=source)
    assert "gpt" in sh("wipefs", "-n", node).stdout
    spl = tmp_path / "u-boot-sunxi-with-spl.bin"
    spl.write_bytes(os.urandom(600_000).replace(b"\0", b"\1"))
    target = flash.open_target(node, source=source, show_all=True, min_size=SMALL.min_disk_size())
    plan = flash_plan.plan_format(target, SMALL, blobs=[flash_layout.parse_blob(f"{spl}:8K")])
    flash.execute(plan, source=source)
    signatures = sh("wipefs", "-n", node).stdout
    assert "dos" in signatures and "gpt" not in signatures and "PMBR" not in signatures, signatures
    with open(node, "rb") as f:
        f.seek(8192)
        assert f.read(600_000) == spl.read_bytes()
    name = os.path.basename(node)
    parts = sorted(p for p in os.listdir(f"/sys/block/{name}") if p.startswith(name + "p"))
    assert parts == [f"{name}p1", f"{name}p2", f"{name}p3"]
    assert sh("e2fsck", "-fn", f"{node}p3", check=False).returncode == 0
