"""Compressed images (by magic bytes) and bmaps: written, verified against the decompressed
stream, refused in one line when unreadable; bmap interop with bmaptool both ways."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flash_testkit import sh  # noqa: E402

from skiff_tui.cli import main  # noqa: E402
from skiff_tui.core.errors import FlashError  # noqa: E402
from skiff_tui.core.flash import execute as flash  # noqa: E402
from skiff_tui.core.flash import plan as flash_plan
from skiff_tui.core.flash.bmap import bmap_for_file, bmap_text, find_bmap, parse_bmap, write_bmap  # noqa: E402
from skiff_tui.core.flash.image import detect_format  # noqa: E402

MIB = 1024 * 1024
TOOLS = {"xz": ["xz", "-k", "-T1"], "gzip": ["gzip", "-k"], "bzip2": ["bzip2", "-k"], "zstd": ["zstd", "-q", "-k"]}
EXT = {"xz": ".xz", "gzip": ".gz", "bzip2": ".bz2", "zstd": ".zst"}


def need(tool: str) -> None:
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} not installed (Debian package {'xz-utils' if tool == 'xz' else tool})")


def make_image(path: Path, size: int = 24 * MIB) -> Path:
    """Sparse, with data at the start, a block in the middle and an unaligned tail."""
    with open(path, "wb") as f:
        f.truncate(size)
        f.write(os.urandom(300 * 1024))
        f.seek(9 * MIB)
        f.write(os.urandom(MIB))
        f.seek(size - 5000)
        f.write(os.urandom(5000))
    return path


def compress(img: Path, fmt: str) -> Path:
    need(fmt)
    subprocess.run(TOOLS[fmt] + [str(img)], check=True)
    return img.with_name(img.name + EXT[fmt])


@pytest.mark.parametrize("fmt", list(TOOLS))
def test_compressed_image_written_and_verified_against_the_decompressed_stream(tmp_path, fmt):
    img = make_image(tmp_path / "card.img")
    packed = compress(img, fmt)
    disguised = packed.rename(tmp_path / "card.bin")  # the name says nothing: the magic does
    assert detect_format(disguised) == fmt
    out = tmp_path / "out.img"
    reports = []
    plan = flash_plan.plan_write(disguised, flash.open_target(out, create_size=0), bmap=False)
    assert any(f"{fmt}-compressed" in n for n in plan.notes)
    outcome = flash.execute(plan, progress=reports.append)
    assert outcome.verified
    assert out.read_bytes() == img.read_bytes()
    writes = [p for p in reports if p.phase.startswith("write (decompressing")]
    assert writes and writes[-1].total == disguised.stat().st_size, "progress by position in the compressed input"
    assert writes[-1].done == writes[-1].total
    assert outcome.copy.written < img.stat().st_size, "all-zero chunks of a file target stay holes"
    # and the verb that only compares
    assert flash.execute(flash_plan.plan_verify(disguised, flash.open_target(out), bmap=False)).verified


@pytest.mark.parametrize("fmt", list(TOOLS))
def test_truncated_or_corrupt_stream_is_one_line(tmp_path, fmt):
    img = make_image(tmp_path / "card.img")
    packed = compress(img, fmt)
    data = packed.read_bytes()
    truncated = tmp_path / ("t" + EXT[fmt])
    truncated.write_bytes(data[: len(data) // 2])
    corrupt = tmp_path / ("c" + EXT[fmt])
    mid = len(data) // 3
    corrupt.write_bytes(data[:mid] + bytes(b ^ 0x5A for b in data[mid : mid + 64]) + data[mid + 64 :])
    for bad in (truncated, corrupt):
        out = tmp_path / f"out-{bad.stem}.img"
        with pytest.raises(FlashError) as err:
            flash.execute(flash_plan.plan_write(bad, flash.open_target(out, create_size=0), bmap=False))
        text = str(err.value)
        assert "\n" not in text and str(bad) in text
        assert any(w in text for w in ("corrupt", "truncated")), text
    if fmt == "xz":  # its footer is checked before anything is written
        with pytest.raises(FlashError, match="truncated .*nothing was written"):
            flash_plan.plan_write(truncated, flash.open_target(tmp_path / "never.img", create_size=0))


def test_unsupported_archive_refused_by_magic(tmp_path):
    z = tmp_path / "card.img"
    z.write_bytes(b"PK\x03\x04" + os.urandom(100))
    with pytest.raises(FlashError, match="is a zip archive: skiff reads raw, .xz, .gz, .zst and .bz2"):
        flash_plan.plan_write(z, flash.open_target(tmp_path / "o.img", create_size=0))


# --- bmap ----------------------------------------------------------------------------------------
def test_bmap_round_trip_and_own_checksum(tmp_path):
    img = make_image(tmp_path / "card.img")
    out = write_bmap(img)
    assert out == tmp_path / "card.img.bmap"
    bmap = parse_bmap(out)
    assert bmap.image_size == img.stat().st_size and bmap.block_size == 4096
    assert bmap.mapped_bytes == 300 * 1024 + MIB + 8192  # the last range ends at the image's end
    assert [(r.first, r.last) for r in bmap.ranges] == [(0, 74), (2304, 2559), (6142, 6143)]
    tampered = tmp_path / "t.bmap"
    tampered.write_text(out.read_text().replace("<ImageSize>", "<ImageSize> 1", 1))
    with pytest.raises(FlashError, match=r"t\.bmap: the bmap's own checksum is wrong"):
        parse_bmap(tampered)
    broken = tmp_path / "b.bmap"
    broken.write_text("<bmap version='2.0'><ImageSize>")
    with pytest.raises(FlashError, match=r"b\.bmap:1: not a valid bmap"):
        parse_bmap(broken)


def test_bmap_beside_image_found_for_raw_and_compressed(tmp_path):
    img = make_image(tmp_path / "card.img")
    write_bmap(img)
    assert find_bmap(img) == tmp_path / "card.img.bmap"
    packed = compress(img, "xz")
    assert find_bmap(packed) == tmp_path / "card.img.bmap"
    src = flash_plan.image_source(packed)
    assert src.bmap is not None and src.size == img.stat().st_size
    assert flash_plan.image_source(packed, False).bmap is None


def _prefilled(path: Path, size: int) -> Path:
    path.write_bytes(b"\xee" * size)
    return path


def test_bmap_write_touches_only_mapped_ranges_and_checks_them(tmp_path, monkeypatch):
    """On file targets (which start as holes, like bmaptool's): only the bmap's bytes are written
    and each range's checksum is checked; a changed image or a foreign bmap is refused."""
    img = make_image(tmp_path / "card.img")
    write_bmap(img)
    packed = compress(img, "xz")
    for source in (img, packed):
        card = _prefilled(tmp_path / f"card-{source.suffix}.bin", 32 * MIB)
        target = flash.open_target(card)
        flash.check_file_overwrite(card, force=True)
        prev = card.read_bytes()
        plan = flash_plan.plan_write(source, target)
        assert any("card.img.bmap" in n for n in plan.notes)
        # a file target starts as holes (like bmaptool on files): unmapped bytes read as zeros
        outcome = flash.execute(plan)
        assert outcome.verified and outcome.copy.written == parse_bmap(tmp_path / "card.img.bmap").mapped_bytes
        data = card.read_bytes()
        assert data[: img.stat().st_size] == img.read_bytes()
        assert len(data) == len(prev)
    # the image changed after its bmap was made: refused as not matching, naming the range
    with open(img, "r+b") as f:
        f.seek(9 * MIB + 100)
        f.write(b"changed")
    with pytest.raises(FlashError, match=r"does not match its bmap .*card\.img\.bmap: blocks 2304-2559"):
        flash.execute(flash_plan.plan_write(img, flash.open_target(tmp_path / "x.img", create_size=0)))
    other = tmp_path / "other.img"
    other.write_bytes(b"\0" * 4096)
    with pytest.raises(FlashError, match="is for a 25165824-byte image"):
        flash_plan.plan_write(
            other, flash.open_target(tmp_path / "y.img", create_size=0), bmap=tmp_path / "card.img.bmap"
        )


def test_bmap_interop_with_bmaptool_both_ways(tmp_path):
    need("bmaptool")
    img = make_image(tmp_path / "card.img")
    ours = write_bmap(img)
    theirs = tmp_path / "theirs.bmap"
    sh("bmaptool", "create", "-o", str(theirs), str(img))
    a, b = parse_bmap(ours), parse_bmap(theirs)
    assert [(r.first, r.last, r.checksum) for r in a.ranges] == [(r.first, r.last, r.checksum) for r in b.ranges]
    # bmaptool reads our bmap (it checks the bmap's own checksum and each range's)
    out = tmp_path / "by-bmaptool.img"
    sh("bmaptool", "copy", "--bmap", str(ours), str(img), str(out))
    assert out.read_bytes() == img.read_bytes()
    # we read bmaptool's, also for the compressed image
    packed = compress(img, "xz")
    for source in (img, packed):
        dest = tmp_path / f"by-skiff{source.suffix}.img"
        outcome = flash.execute(flash_plan.plan_write(source, flash.open_target(dest, create_size=0), bmap=theirs))
        assert outcome.verified and dest.read_bytes() == img.read_bytes()


def test_bmap_text_is_stable_and_self_checking(tmp_path):
    img = make_image(tmp_path / "card.img")
    text = bmap_text(bmap_for_file(img), "card.img")
    assert text == bmap_text(bmap_for_file(img), "card.img")
    (tmp_path / "s.bmap").write_text(text)
    assert parse_bmap(tmp_path / "s.bmap").mapped_blocks == 75 + 256 + 2


def test_cli_write_compressed_with_bmap_and_file_overwrite_rules(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SKIFF_NO_INTERACTIVE", "1")
    img = make_image(tmp_path / "card.img")
    write_bmap(img)
    packed = compress(img, "xz")
    out = tmp_path / "new.img"
    assert main(["flash", "write", "--image", str(packed), "--device", str(out)]) == 0
    text = capsys.readouterr().out
    assert "decompressed from xz, card.img.bmap checked" in text and "identical" in text
    assert out.read_bytes() == img.read_bytes()
    # now it holds data: overwritten only with --force
    assert main(["flash", "write", "--image", str(packed), "--device", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"skiff: error: {out} is an existing file with data in it: refusing to overwrite it")
    assert main(["flash", "write", "--image", str(packed), "--device", str(out), "--force", "--no-bmap"]) == 0
    assert out.read_bytes() == img.read_bytes()
    capsys.readouterr()
    bad = tmp_path / "bad.bmap"
    bad.write_text((tmp_path / "card.img.bmap").read_text().replace("<BlockSize> 4096", "<BlockSize>  4096"))
    assert (
        main(["flash", "write", "--image", str(packed), "--device", str(tmp_path / "n2.img"), "--bmap", str(bad)]) == 2
    )
    assert "the bmap's own checksum is wrong" in capsys.readouterr().err


def test_on_a_loop_device_unmapped_bytes_keep_the_old_card_and_streams_overwrite_all(tmp_path):
    """A used card (0xEE everywhere) as a real loop device: with a bmap only mapped ranges change
    (bmaptool's behaviour); a compressed image without a bmap is written whole, zeros included."""
    if os.geteuid() != 0 or shutil.which("losetup") is None:
        pytest.skip("loop devices need root and losetup (CI runs as root)")
    from skiff_tui.core.flash import devices as dv

    img = make_image(tmp_path / "card.img")
    write_bmap(img)
    packed = compress(img, "xz")
    backing = _prefilled(tmp_path / "used-card.bin", 32 * MIB)
    proc = subprocess.run(["losetup", "-f", "--show", str(backing)], capture_output=True, text=True)
    if proc.returncode:
        pytest.skip(f"losetup failed here: {proc.stderr.strip()}")
    node = proc.stdout.strip()
    try:
        source = dv.PyudevSource()
        target = flash.open_target(node, source=source, show_all=True)
        outcome = flash.execute(flash_plan.plan_write(packed, target), source=source)
        assert outcome.verified
        with open(node, "rb") as dev:
            data = dev.read()
        bmap = parse_bmap(tmp_path / "card.img.bmap")
        want = bytearray(b"\xee" * len(data))
        raw = img.read_bytes()
        for off, n, _ in bmap.byte_ranges():
            want[off : off + n] = raw[off : off + n]
        assert data == bytes(want)
        target = flash.open_target(node, source=source, show_all=True)
        assert flash.execute(flash_plan.plan_write(packed, target, bmap=False), source=source).verified
        with open(node, "rb") as dev:
            data = dev.read()
        assert data[: len(raw)] == raw and data[len(raw) :] == b"\xee" * (len(data) - len(raw))
    finally:
        subprocess.run(["losetup", "-d", node], check=False)


def test_concatenated_xz_streams_with_padding(tmp_path):
    """Two xz streams back to back, then stream padding: one image, as xz -d reads it."""
    import lzma

    first, second = os.urandom(300_000), bytes(1 << 20) + os.urandom(5000)
    packed = tmp_path / "two.img.xz"
    packed.write_bytes(lzma.compress(first) + lzma.compress(second) + b"\0" * 8)
    out = tmp_path / "two.img"
    outcome = flash.execute(flash_plan.plan_write(packed, flash.open_target(out, create_size=0)))
    assert outcome.verified and out.read_bytes() == first + second
