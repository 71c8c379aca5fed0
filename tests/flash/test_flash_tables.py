"""Per-board layouts: MBR or GPT from the raw blobs, p1 after the last blob, boot type and flag.

Image files only (no root): `buildimage` through the engine and the CLI, checked with sfdisk,
fsck.fat/e2fsck and the raw bytes. Sizes are the test scale (1/128 of the default card layout).
"""

from __future__ import annotations

import json
import os
import struct
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flash_testkit import SMALL, SMALL_IMAGE, region_hash, sh  # noqa: E402

from skiff_tui.cli import main  # noqa: E402
from skiff_tui.core.flash import execute as flash  # noqa: E402
from skiff_tui.core.flash import install_set as flash_install_set
from skiff_tui.core.flash import layout as flash_layout
from skiff_tui.core.flash import plan as flash_plan
from skiff_tui.core.flash.devices import MIB  # noqa: E402
from skiff_tui.core.flash.layout import (
    TYPE_BASIC_DATA,
    TYPE_ESP,
    Extent,
    FlashError,
    Layout,
    check_extents,
    skiff_partitions,
)

SCALE = ["--layout-scale", str(1 / 128)]


def _blob(tmp_path: Path, name: str, size: int) -> Path:
    p = tmp_path / "images" / name
    p.parent.mkdir(parents=True, exist_ok=True)
    data = os.urandom(size).replace(b"\0", b"\1")  # no zero byte: any clobbering shows
    p.write_bytes(data)
    return p


def _table(img: Path) -> dict:
    return json.loads(sh("sfdisk", "-J", str(img)).stdout)["partitiontable"]


def _raw(img: Path, offset: int, size: int) -> bytes:
    with open(img, "rb") as f:
        f.seek(offset)
        return f.read(size)


def _mbr_entries(img: Path) -> list[tuple[int, int, int, int]]:
    """(status, type, first LBA, sectors) of the four primary entries at bytes 446–510."""
    sector0 = _raw(img, 0, 512)
    assert sector0[510:512] == b"\x55\xaa", "MBR boot signature"
    out = []
    for i in range(4):
        e = sector0[446 + 16 * i : 462 + 16 * i]
        status, ptype = e[0], e[4]
        lba, count = struct.unpack("<II", e[8:16])
        if ptype:
            out.append((status, ptype, lba, count))
    return out


def _assert_clean_filesystems(img: Path, tmp_path: Path) -> dict:
    parts = skiff_partitions(img)
    region = tmp_path / "fat-region.img"
    region.write_bytes(_raw(img, parts["BOOT"].start, parts["BOOT"].size))
    fat = sh("fsck.fat", "-n", str(region), check=False)
    assert fat.returncode == 0, fat.stdout + fat.stderr
    assert "::/zImage" in sh("mdir", "-b", "-/", "-i", f"{img}@@{parts['BOOT'].start}", "::/").stdout
    for name in ("rootfs", "persist"):
        fsck = sh("e2fsck", "-fn", f"{img}?offset={parts[name].start}", check=False)
        assert fsck.returncode == 0, fsck.stdout + fsck.stderr
        assert f"{name}:" in fsck.stdout  # the ext4 label is the partition's role
    return parts


def _build(tmp_path, build_output, blobs, layout=SMALL, size=SMALL_IMAGE, name="card.img"):
    img = tmp_path / name
    install = flash_install_set.collect_install(build_output["images"], build_output["layers"])
    plan = flash_plan.plan_buildimage(
        img, size, layout, install=install, blobs=[flash_layout.parse_blob(f"{p}:{off}") for p, off in blobs]
    )
    outcome = flash.execute(plan)
    return img, plan, outcome


# --- (a) Allwinner: SPL + U-Boot at 8 KiB --------------------------------------------------------
def test_allwinner_blob_at_8k_gets_mbr_and_survives(tools, build_output, tmp_path):
    spl = _blob(tmp_path, "u-boot-sunxi-with-spl.bin", 700_000)
    img, plan, outcome = _build(tmp_path, build_output, [(spl, 8192)])
    table = _table(img)
    assert table["label"] == "dos"
    assert _raw(img, 8192, 700_000) == spl.read_bytes(), "blob bytes intact at 8192 after formatting"
    first = table["partitions"][0]["start"] * 512
    assert first >= 8192 + 700_000 and first % MIB == 0
    assert [p["type"] for p in table["partitions"]] == ["c", "83", "83"]
    _assert_clean_filesystems(img, tmp_path)
    text = plan.summary()
    assert "written: partition table: MBR (dos) (chosen because u-boot-sunxi-with-spl.bin" in text
    assert "written: p1 FAT32 'BOOT' from byte 1048576 (1 MiB)" in text
    assert "written: bootloader u-boot-sunxi-with-spl.bin at byte 8192 (700000 bytes, up to byte 708192)" in text
    assert "wrote and read back u-boot-sunxi-with-spl.bin at byte 8192" in outcome.messages
    # an update (install) on the MBR card rewrites the blob and leaves persist byte-identical
    parts = skiff_partitions(img)
    before = region_hash(img, parts["persist"].start, parts["persist"].size)
    spl2 = _blob(tmp_path, "u-boot-sunxi-with-spl.bin", 650_000)
    install = flash_install_set.collect_install(build_output["images"], build_output["layers"])
    install.persist_dir = None
    flash.execute(
        flash_plan.plan_install(flash.open_target(img), install, blobs=[flash_layout.parse_blob(f"{spl2}:8K")])
    )
    assert _raw(img, 8192, 650_000) == spl2.read_bytes()
    assert region_hash(img, parts["persist"].start, parts["persist"].size) == before
    assert _table(img)["partitions"] == table["partitions"]


# --- (b) Rockchip: idbloader at 32 KiB, u-boot.itb at 8 MiB -------------------------------------
def test_rockchip_p1_starts_after_u_boot_itb(tools, build_output, tmp_path):
    idb = _blob(tmp_path, "idbloader.img", 150_000)
    itb = _blob(tmp_path, "u-boot.itb", 900_000)
    img, plan, _ = _build(tmp_path, build_output, [(idb, 32768), (itb, 8 * MIB)], size=120 * MIB)
    table = _table(img)
    assert table["label"] == "gpt", "both blobs lie past the GPT: the Pi's table type stays"
    first = table["partitions"][0]["start"] * 512
    assert first >= 8 * MIB + 900_000 and first == 9 * MIB  # end of u-boot.itb, 1 MiB aligned
    assert [p["name"] for p in table["partitions"]] == ["BOOT", "rootfs", "persist"]
    assert _raw(img, 32768, 150_000) == idb.read_bytes()
    assert _raw(img, 8 * MIB, 900_000) == itb.read_bytes()
    assert "p1 starts at 9 MiB: after u-boot.itb, which ends at byte 9288608" in plan.summary()
    _assert_clean_filesystems(img, tmp_path)


# --- (c) Amlogic: 444-byte head at 0, tail at 512 -------------------------------------------------
def test_amlogic_head_and_tail_keep_the_mbr_entries(tools, build_output, tmp_path):
    head = _blob(tmp_path, "u-boot.bin.sd.bin.head", 444)
    tail = _blob(tmp_path, "u-boot.bin.sd.bin.tail", 1_100_000)
    img, plan, _ = _build(tmp_path, build_output, [(head, 0), (tail, 512)])
    table = _table(img)
    assert table["label"] == "dos"
    assert _raw(img, 0, 444) == head.read_bytes(), "boot code area written"
    assert _raw(img, 512, 1_100_000) == tail.read_bytes()
    entries = _mbr_entries(img)  # the raw entries at 446–510 are the table we made
    parts = plan.geometry.parts
    assert entries == [
        (0, 0x0C, parts[0].start // 512, parts[0].size // 512),
        (0, 0x83, parts[1].start // 512, parts[1].size // 512),
        (0, 0x83, parts[2].start // 512, parts[2].size // 512),
    ]
    assert parts[0].start == 2 * MIB, "p1 after the tail (ends at 1100512), 1 MiB aligned"
    _assert_clean_filesystems(img, tmp_path)


def test_a_full_sector_at_0_is_refused(tmp_path):
    boot = _blob(tmp_path, "boot.img", 512)
    with pytest.raises(FlashError) as refused:
        SMALL.geometry(SMALL_IMAGE, [flash_layout.parse_blob(f"{boot}:0")])
    assert refused.value.message == (
        "bootloader boot.img (512 bytes at byte 0) would overwrite the MBR partition table (bytes 446–512)"
    )
    assert "first 440 bytes" in refused.value.hint


# --- (d) (e) boot type and active flag, through the CLI ------------------------------------------
@pytest.fixture
def cli(tmp_path, monkeypatch, build_output):
    root = tmp_path / "root"
    (root / "configs").mkdir(parents=True)
    monkeypatch.setenv("SKIFF_ROOT_DIR", str(root))
    monkeypatch.setenv("SKIFF_NO_INTERACTIVE", "1")
    for var in ("SKIFF_WORKSPACE", "PI_SD", "PI_IMAGE"):
        monkeypatch.delenv(var, raising=False)

    def run(capsys, *argv):
        code = main(["flash", "buildimage", "--images", str(build_output["images"]), "--size", "100M", *SCALE, *argv])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_boot_type_esp_on_gpt_and_mbr(tools, cli, capsys, tmp_path):
    gpt = tmp_path / "esp-gpt.img"
    code, out, err = cli(capsys, "--image", str(gpt), "--boot-type", "esp")
    assert code == 0, err
    table = _table(gpt)
    assert table["label"] == "gpt" and table["partitions"][0]["type"] == TYPE_ESP
    assert table["partitions"][1]["type"] != TYPE_ESP
    assert "p1 FAT32 'BOOT' from byte 1048576 (1 MiB), 64 MiB, EFI System" in out
    assert f"type={TYPE_ESP}" in sh("sfdisk", "--dump", str(gpt)).stdout
    mbr = tmp_path / "esp-mbr.img"
    code, out, err = cli(capsys, "--image", str(mbr), "--boot-type", "esp", "--table", "mbr")
    assert code == 0, err
    assert _table(mbr)["partitions"][0]["type"] == "ef"
    assert "partition table: MBR (dos) (--table mbr)" in out
    plain = tmp_path / "plain.img"
    assert cli(capsys, "--image", str(plain))[0] == 0
    assert _table(plain)["partitions"][0]["type"] == TYPE_BASIC_DATA, "FAT32 basic data by default"


def test_boot_active_sets_the_bootable_flag(tools, cli, capsys, tmp_path):
    img = tmp_path / "bbb.img"
    code, out, err = cli(capsys, "--image", str(img), "--table", "mbr", "--boot-active")
    assert code == 0, err
    flags = [p.get("bootable", False) for p in _table(img)["partitions"]]
    assert flags == [True, False, False]
    assert _mbr_entries(img)[0][0] == 0x80
    assert "type 0x0c, bootable" in out
    assert "bootable" not in sh("sfdisk", "--dump", str(tmp_path / "bbb.img")).stdout.split("\n")[-2]
    gpt = tmp_path / "gpt-active.img"  # on GPT the same option sets the legacy BIOS bootable attribute
    code, out, err = cli(capsys, "--image", str(gpt), "--boot-active")
    assert code == 0, err
    parts = _table(gpt)["partitions"]
    assert parts[0].get("attrs") == "LegacyBIOSBootable" and "attrs" not in parts[1]
    assert "Microsoft basic data, legacy BIOS bootable" in out


def test_first_partition_start_override(tools, cli, capsys, tmp_path):
    img = tmp_path / "rk.img"
    code, out, err = cli(capsys, "--image", str(img), "--size", "120M", "--first-partition-start", "16M")
    assert code == 0, err
    assert _table(img)["partitions"][0]["start"] * 512 == 16 * MIB
    assert "p1 starts at byte 16777216 (--first-partition-start)" in out


# --- (f) refusals --------------------------------------------------------------------------------
def test_overlapping_blob_is_refused_in_one_line(tools, cli, capsys, tmp_path):
    itb = _blob(tmp_path, "u-boot.itb", 900_000)
    img = tmp_path / "x.img"
    code, out, err = cli(capsys, "--image", str(img), "--first-partition-start", "4M", "--bootloader", f"{itb}:8M")
    assert code == 2 and not img.exists(), "refused before anything is written"
    line = err.strip().splitlines()[0]
    assert line == (
        "skiff: error: bootloader u-boot.itb (879 KiB, 900000 bytes at byte 8388608) overlaps "
        "partition 1 (BOOT, bytes 4194304–71303168) (leave --first-partition-start out, "
        "or give one after the blob's end)"
    )
    spl = _blob(tmp_path, "spl.bin", 30_000)
    code, _, err = cli(capsys, "--image", str(img), "--table", "gpt", "--bootloader", f"{spl}:8K")
    assert code == 2 and "bootloader spl.bin (29 KiB, 30000 bytes at byte 8192) would overwrite the GPT" in err


def test_blobs_overlapping_each_other_or_the_end():
    a, b = Extent("a.bin", 8192, 40_000), Extent("b.bin", 32768, 1000)
    with pytest.raises(FlashError, match=r"bootloader a.bin .* overlaps bootloader b.bin"):
        SMALL.geometry(SMALL_IMAGE, [a, b])
    with pytest.raises(FlashError, match="runs past the end of the target"):
        check_extents([Extent("big.bin", SMALL_IMAGE - 100, 1000)], [], SMALL_IMAGE, "mbr")
    with pytest.raises(FlashError, match="unknown partition table 'msdos'"):
        Layout(table="msdos")


def test_table_choice_rules():
    assert Layout().choose_table([])[0] == "gpt"
    assert Layout().choose_table([Extent("idbloader.img", 32768, 100_000)])[0] == "gpt"
    for off in (0, 512, 1024, 8192, 17407):
        assert Layout().choose_table([Extent("x", off, 100)])[0] == "mbr", off
    # Exynos 4412 (ODROID-U3): bl1 at 512 … tzsw at 1080832 (256 KiB): MBR, p1 at 2 MiB
    g = Layout().geometry(
        16 * 1024**3,
        [
            Extent("bl1", 512, 15360),
            Extent("bl2", 15872, 14336),
            Extent("u-boot-dtb.bin", 32256, 700_000),
            Extent("tzsw", 1080832, 262144),
        ],
    )
    assert g.table == "mbr" and g.parts[0].start == 2 * MIB
    # Raspberry Pi: docs/behaviour.md#sd-cards unchanged
    g = Layout().geometry(32_000_000_000)
    assert g.table == "gpt" and g.parts[0].start == MIB and [p.name for p in g.parts] == ["BOOT", "rootfs", "persist"]
    # an MBR cannot address past 2 TiB: the rest is left unused, and the plan says so
    g = Layout(table="mbr").geometry(3 * 1024**4)
    assert g.parts[-1].end <= 2**32 * 512 and "reaches 2 TiB" in g.note
