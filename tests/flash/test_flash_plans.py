"""format / install / buildimage on image files, checked with the real tools."""

from __future__ import annotations

import json
import os

import pytest
from flash_testkit import SMALL, SMALL_IMAGE, region_hash, sh

from skiff_tui.core.errors import FlashError
from skiff_tui.core.flash import execute as flash
from skiff_tui.core.flash import install_set as flash_install_set
from skiff_tui.core.flash import layout as flash_layout
from skiff_tui.core.flash import plan as flash_plan
from skiff_tui.core.flash import units as flash_units
from skiff_tui.core.flash.devices import GIB, MIB
from skiff_tui.core.flash.layout import Layout, sfdisk_script, skiff_partitions


def test_spec_layout_on_a_32gb_card():
    parts, note = Layout().fit(32_000_000_000)
    assert note == ""
    assert [(p.name, p.fstype) for p in parts] == [("BOOT", "vfat"), ("rootfs", "ext4"), ("persist", "ext4")]
    assert parts[0].start == MIB and parts[0].size == 8 * GIB and parts[1].size == 2 * GIB
    assert parts[2].start == MIB + 10 * GIB and parts[2].end <= 32_000_000_000 - 33 * 512
    script = sfdisk_script(parts)
    assert script.startswith("label: gpt\n") and 'name="persist"' in script and "start=2048, size=16777216" in script
    script4k = sfdisk_script(parts, 4096)  # 4Kn disks: sfdisk's sectors are 4 KiB
    assert "first-lba: 256" in script4k and "start=256, size=2097152" in script4k


def test_small_card_shrinks_and_tiny_card_is_refused():
    parts, note = Layout().fit(4 * GIB)
    assert "shrunk proportionally to 36%" in note
    assert parts[0].size == 2977 * MIB and parts[1].size == 744 * MIB and parts[2].size > 0
    assert all(p.start % MIB == 0 for p in parts)
    with pytest.raises(FlashError, match=r"disk too small for the layout: 1.0 GiB, at least 1\.4 GiB needed"):
        Layout().fit(GIB)


def test_blob_checks(tmp_path):
    blob = tmp_path / "u-boot.bin"
    blob.write_bytes(b"U" * 4096)
    parts, _ = SMALL.fit(SMALL_IMAGE)
    flash_layout.check_blobs([flash_layout.parse_blob(f"{blob}:32K")], parts, SMALL_IMAGE)
    with pytest.raises(FlashError, match="would overwrite the GPT"):
        flash_layout.check_blobs([flash_layout.parse_blob(f"{blob}:8K")], parts, SMALL_IMAGE)
    with pytest.raises(FlashError, match="overlaps partition 1"):
        flash_layout.check_blobs([flash_layout.parse_blob(f"{blob}:{MIB - 100}")], parts, SMALL_IMAGE)
    with pytest.raises(FlashError, match="expected FILE:BYTE-OFFSET"):
        flash_layout.parse_blob("u-boot.bin")
    assert flash_units.parse_size("12G") == 12 * GIB and flash_units.parse_size("0x2000") == 8192


def test_install_set_mapping(build_output):
    s = flash_install_set.collect_install(build_output["images"], build_output["layers"])
    assert sorted(s.boot) == [
        "bcm2711-rpi-4-b.dtb",
        "cmdline.txt",
        "config.txt",
        "extra.txt",
        "overlays",
        "rootfs.squashfs",
        "skiff-init",
        "start4.elf",
        "zImage",
    ]
    assert s.boot["config.txt"].read_text() == "# config from board\n"  # last layer wins
    assert "common" in str(s.boot["cmdline.txt"])  # only the first layer has it
    assert s.rootfs_dir.name == "rootfs_part" and s.persist_dir.name == "persist_part"
    (build_output["images"] / "zImage").unlink()
    with pytest.raises(FlashError, match="no kernel"):
        flash_install_set.collect_install(build_output["images"], build_output["layers"])


def _parts(img):
    return json.loads(sh("sfdisk", "-J", str(img)).stdout)["partitiontable"]


def _fat_files(img, off):
    return sh("mdir", "-b", "-/", "-i", f"{img}@@{off}", "::/").stdout


def _fsck_fat_region(img, part, tmp_path):
    region = tmp_path / "boot-region.img"
    with open(img, "rb") as src, open(region, "wb") as dst:
        src.seek(part.start)
        dst.write(src.read(part.size))
    return sh("fsck.fat", "-n", str(region), check=False)


def test_buildimage_without_root(tools, build_output, tmp_path):
    img = tmp_path / "out.img"
    install = flash_install_set.collect_install(build_output["images"], build_output["layers"])
    plan = flash_plan.plan_buildimage(img, SMALL_IMAGE, SMALL, install=install)
    assert plan.confirm_name is None and plan.erase == []
    flash.execute(plan)
    assert img.stat().st_size == SMALL_IMAGE
    assert img.stat().st_blocks * 512 < SMALL_IMAGE / 2, "the image stays sparse"
    table = _parts(img)
    assert table["label"] == "gpt"
    assert [p["name"] for p in table["partitions"]] == ["BOOT", "rootfs", "persist"]
    parts = skiff_partitions(img)
    listing = _fat_files(img, parts["BOOT"].start)
    for name in (
        "zImage",
        "config.txt",
        "cmdline.txt",
        "start4.elf",
        "overlays/vc4-kms-v3d.dtbo",
        "bcm2711-rpi-4-b.dtb",
        "rootfs.squashfs",
        "skiff-init/skiff-init-squashfs",
        "extra.txt",
    ):
        assert f"::/{name}" in listing, name
    assert sh("mtype", "-i", f"{img}@@{parts['BOOT'].start}", "::/config.txt").stdout == "# config from board\n"
    assert "Volume in drive : is BOOT" in sh("mdir", "-i", f"{img}@@{parts['BOOT'].start}", "::/").stdout
    fat = _fsck_fat_region(img, parts["BOOT"], tmp_path)
    assert fat.returncode == 0, fat.stdout + fat.stderr
    for name in ("rootfs", "persist"):
        fsck = sh("e2fsck", "-fn", f"{img}?offset={parts[name].start}", check=False)
        assert fsck.returncode == 0, fsck.stdout + fsck.stderr
        assert f"{name}:" in fsck.stdout  # the label e2fsck prints is the filesystem's
    root = f"{img}?offset={parts['rootfs'].start}"
    assert sh("debugfs", "-R", "cat /etc/hostname", root).stdout == "skiff-test\n"
    assert 'Fast link dest: "hostname"' in sh("debugfs", "-R", "stat /etc/motd", root).stdout
    persist = f"{img}?offset={parts['persist'].start}"
    assert sh("debugfs", "-R", "cat /skiff/etc/keep.conf", persist).stdout == "default from build\n"
    assert any("out.img" in s.title for s in plan.steps)


def test_format_then_install_keeps_persist_byte_identical(tools, build_output, tmp_path):
    img = tmp_path / "card.img"
    with open(img, "wb") as f:
        f.truncate(SMALL_IMAGE)
    target = flash.open_target(img)
    assert target.kind == "image"
    plan = flash_plan.plan_format(target, SMALL)
    assert plan.erase[0].startswith(f"everything on {img}") and plan.keep == ["nothing: the whole disk is rewritten"]
    flash.execute(plan)
    parts = skiff_partitions(img)
    # user data on persist: one file that persist_part also ships (must be kept), nothing else
    persist = f"{img}?offset={parts['persist'].start}"
    mine = tmp_path / "keep.conf"
    mine.write_text("edited by the user\n")
    sh("debugfs", "-w", "-R", "mkdir /skiff", persist)
    sh("debugfs", "-w", "-R", "mkdir /skiff/etc", persist)
    sh("debugfs", "-w", "-R", f"write {mine} /skiff/etc/keep.conf", persist)
    before = region_hash(img, parts["persist"].start, parts["persist"].size)

    install = flash_install_set.collect_install(build_output["images"], build_output["layers"])
    shutil_persist = install.persist_dir
    install.persist_dir = None  # first: no persist_part at all
    plan = flash_plan.plan_install(target, install)
    assert any(k.startswith("persist: untouched") for k in plan.keep)
    flash.execute(plan)
    assert region_hash(img, parts["persist"].start, parts["persist"].size) == before, "persist byte-identical"
    assert "::/zImage" in _fat_files(img, parts["BOOT"].start)
    assert sh("debugfs", "-R", "cat /etc/hostname", f"{img}?offset={parts['rootfs'].start}").stdout == "skiff-test\n"

    # second install (an update) with persist_part: only absent files are added
    (shutil_persist / "skiff" / "new.txt").write_text("new default\n")
    install.persist_dir = shutil_persist
    (build_output["images"] / "rootfs_part" / "etc" / "hostname").write_text("skiff-v2\n")
    outcome = flash.execute(flash_plan.plan_install(target, install))
    assert sh("debugfs", "-R", "cat /skiff/etc/keep.conf", persist).stdout == "edited by the user\n"
    assert sh("debugfs", "-R", "cat /skiff/new.txt", persist).stdout == "new default\n"
    assert sh("debugfs", "-R", "cat /etc/hostname", f"{img}?offset={parts['rootfs'].start}").stdout == "skiff-v2\n"
    assert any("1 already present and kept" in m for m in outcome.messages)


def test_install_refuses_a_target_without_the_layout(tools, build_output, tmp_path):
    img = tmp_path / "blank.img"
    with open(img, "wb") as f:
        f.truncate(SMALL_IMAGE)
    install = flash_install_set.collect_install(build_output["images"], build_output["layers"])
    with pytest.raises(FlashError, match="cannot read the partition table"):
        flash_plan.plan_install(flash.open_target(img), install)


def test_format_refuses_too_small_image(tools, tmp_path):
    img = tmp_path / "tiny.img"
    with open(img, "wb") as f:
        f.truncate(8 * MIB)
    with pytest.raises(FlashError, match="disk too small for the layout: 8 MiB"):
        flash_plan.plan_format(flash.open_target(img), SMALL)


def test_buildimage_with_bootloader_blob(tools, build_output, tmp_path):
    blob = tmp_path / "u-boot-sunxi.bin"
    blob.write_bytes(os.urandom(5000))
    img = tmp_path / "b.img"
    install = flash_install_set.collect_install(build_output["images"], build_output["layers"])
    plan = flash_plan.plan_buildimage(
        img, SMALL_IMAGE, SMALL, install=install, blobs=[flash_layout.parse_blob(f"{blob}:128K")]
    )
    outcome = flash.execute(plan)
    with open(img, "rb") as f:
        f.seek(128 * 1024)
        assert f.read(5000) == blob.read_bytes()
    assert _parts(img)["partitions"][0]["name"] == "BOOT", "the table survived the blob"
    assert any("u-boot-sunxi.bin at byte 131072" in m for m in outcome.messages)
