"""`skiff flash …` end to end in-process: listing, image targets, confirmation and refusals (exit 2)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flash_testkit import SMALL_IMAGE, region_hash, sh  # noqa: E402

from skiff_tui.cli import main  # noqa: E402
from skiff_tui.core.flash.layout import skiff_partitions  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "udev"
SCALE = ["--layout-scale", str(1 / 128)]


@pytest.fixture
def env(tmp_path, monkeypatch, build_output):
    """A skiff tree with two pi layers providing config.txt, a workspace whose chain lists them,
    captured udev records as the device source, and no terminal."""
    root = tmp_path / "root"
    for name, text in (("common", "# common\n"), ("4", "# pi 4\n")):
        res = root / "configs" / "pi" / name / "resources" / "rpi"
        res.mkdir(parents=True)
        (res / "config.txt").write_text(text)
    (root / "configs" / "pi" / "common" / "resources" / "rpi" / "cmdline.txt").write_text("console=tty1\n")
    state = root / "workspaces" / ".config_default" / "state.json"
    state.parent.mkdir(parents=True)
    state.write_text(json.dumps({"selection": ["pi/4"], "chain": ["pi/common", "pi/4"]}))
    images = root / "workspaces" / "default" / "images"
    images.parent.mkdir(parents=True)
    build_output["images"].rename(images)
    monkeypatch.setenv("SKIFF_ROOT_DIR", str(root))
    monkeypatch.setenv("SKIFF_FAKE_DEVICES", str(FIXTURES))
    monkeypatch.setenv("SKIFF_NO_INTERACTIVE", "1")
    monkeypatch.delenv("SKIFF_WORKSPACE", raising=False)
    for var in ("PI_SD", "PI_IMAGE"):
        monkeypatch.delenv(var, raising=False)
    return {"root": root, "images": images, "tmp": tmp_path}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_list_says_why_disks_are_hidden_or_disabled(env, capsys):
    code, out, _ = run(capsys, "flash", "list")
    assert code == 0
    lines = out.splitlines()
    assert any(ln.startswith("/dev/sdb ") and ln.endswith(" ok") for ln in lines)
    assert any(ln.startswith("/dev/sde ") and "disabled: read-only" in ln for ln in lines)
    assert any(ln.startswith("/dev/sdc ") and "unusually large" in ln for ln in lines)
    assert not any(ln.startswith("/dev/nvme0n1") for ln in lines)
    assert "nvme0n1: system disk: holds /boot/efi" in lines[-1] and "sdd: no medium (empty card reader)" in lines[-1]
    code, out, _ = run(capsys, "flash", "list", "--all", "--json")
    data = {d["name"]: d for d in json.loads(out)}
    assert data["nvme0n1"]["verdict"] == "hidden" and data["nvme0n1"]["system"]
    assert data["mmcblk0"]["selectable"] is True and data["sdd"]["selectable"] is False
    assert data["loop0"]["selectable"] is False and data["loop0"]["reasons"][-1].startswith("too small: 64 MiB")


@pytest.mark.parametrize(
    "argv,message",
    [
        (["flash", "format", "--device", "/dev/nvme0n1"], "skiff: error: /dev/nvme0n1 is a system disk: holds"),
        (["flash", "write", "--device", "/dev/sde", "--image", "IMG"], "skiff: error: /dev/sde is read-only: refusing"),
        (["flash", "install", "--device", "/dev/sdd"], "skiff: error: /dev/sdd has no medium (empty card reader)"),
        (
            ["flash", "format", "--device", "/dev/sdb"],
            "skiff: error: refusing to write /dev/sdb without confirmation "
            "(run it in a terminal, or pass --yes --confirm sdb)",
        ),
        (
            ["flash", "format", "--device", "/dev/sdb", "--yes"],
            "skiff: error: refusing to write /dev/sdb: --yes needs --confirm sdb",
        ),
        (
            ["flash", "format", "--device", "/dev/sdb", "--yes", "--confirm", "sdc"],
            "skiff: error: refusing to write /dev/sdb: --yes needs --confirm sdb",
        ),
        (
            ["flash", "format", "--device", "/dev/sdb", "--yes", "--confirm", "sdb"],
            "skiff: error: /dev/sdb comes from captured device records (SKIFF_FAKE_DEVICES): "
            "not writing a real device node",
        ),
        (["flash", "format"], "skiff: error: no target given: pass --device (or set PI_SD)"),
    ],
)
def test_refusals_are_one_line_and_exit_2(env, capsys, argv, message):
    img = env["tmp"] / "x.img"
    img.write_bytes(b"\0" * 4096)
    argv = [str(img) if a == "IMG" else a for a in argv]
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert err.startswith(message), err
    assert err.count("\n") == 1, "one line, no traceback"


def test_buildimage_format_install_write_verify_on_files(tools, env, capsys):
    img = env["tmp"] / "skiff.img"
    code, out, err = run(capsys, "flash", "buildimage", "--image", str(img), "--size", "100M", *SCALE)
    assert code == 0, err
    assert "done: write it to a card" in out
    from skiff_tui.core.flash.bmap import bmap_for_file, parse_bmap

    bmap = parse_bmap(env["tmp"] / "skiff.img.bmap")  # beside every image buildimage makes
    assert [(r.first, r.last, r.checksum) for r in bmap.ranges] == [
        (r.first, r.last, r.checksum) for r in bmap_for_file(img).ranges
    ]
    boot = skiff_partitions(img)["BOOT"].start
    assert sh("mtype", "-i", f"{img}@@{boot}", "::/config.txt").stdout == "# pi 4\n"  # last layer of the chain
    assert sh("mtype", "-i", f"{img}@@{boot}", "::/cmdline.txt").stdout == "console=tty1\n"

    card = env["tmp"] / "card.img"
    with open(card, "wb") as f:
        f.truncate(SMALL_IMAGE)
    code, out, err = run(capsys, "flash", "format", "--device", str(card), *SCALE)
    assert code == 0, err
    assert f"erased: everything on {card}" in out
    persist = skiff_partitions(card)["persist"]
    before = region_hash(card, persist.start, persist.size)
    (env["images"] / "persist_part").rename(env["tmp"] / "persist_part.off")
    code, out, err = run(capsys, "flash", "install", "--device", str(card))
    assert code == 0, err
    assert "kept:   persist: untouched" in out
    assert region_hash(card, persist.start, persist.size) == before
    assert "::/zImage" in sh("mdir", "-b", "-i", f"{card}@@{skiff_partitions(card)['BOOT'].start}", "::/").stdout

    out_card = env["tmp"] / "out.bin"
    out_card.write_bytes(b"")
    code, out, err = run(capsys, "flash", "write", "--image", str(img), "--device", str(out_card))
    assert code == 0, err
    assert "identical" in out and "skiff.img.bmap checked" in out
    with open(out_card, "r+b") as f:
        f.seek(boot + 1000)
        b = f.read(1)
        f.seek(boot + 1000)
        f.write(bytes([b[0] ^ 0xFF]))
    code, out, err = run(capsys, "flash", "verify", "--image", str(img), "--device", str(out_card))
    assert code == 2 and "verification failed: 1 chunk(s)" in err


def test_pi_sd_and_pi_image_habits(tools, env, capsys, monkeypatch):
    img = env["tmp"] / "habit.img"
    monkeypatch.setenv("PI_IMAGE", str(img))
    code, _, err = run(capsys, "flash", "buildimage", "--size", "100M", *SCALE)
    assert code == 0, err and img.is_file()
    monkeypatch.setenv("PI_SD", "/dev/nvme0n1")
    code, _, err = run(capsys, "flash", "install")
    assert code == 2 and "/dev/nvme0n1 is a system disk" in err


def test_interactive_confirmation_needs_the_name_typed_back(env, capsys, monkeypatch):
    from skiff_tui.cli import flash_cmds

    monkeypatch.setattr(flash_cmds, "_interactive", lambda: True)
    answers = iter(["sdc"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    code, out, err = run(capsys, "flash", "format", "--device", "/dev/sdb")
    assert code == 2 and "erased: everything on /dev/sdb" in out
    assert err == "skiff: error: 'sdc' is not sdb: nothing was written to /dev/sdb\n"
    answers = iter(["sdb"])
    code, _, err = run(capsys, "flash", "format", "--device", "/dev/sdb")
    # the typed name passed; the engine then refuses because the record is a capture, not a disk
    assert code == 2 and "comes from captured device records" in err


def test_mounted_card_asks_before_unmounting(env, capsys, monkeypatch, tmp_path):
    from skiff_tui.cli import flash_cmds

    fixtures = tmp_path / "devs"
    fixtures.mkdir()
    rec = json.loads((FIXTURES / "usb-sd-card.json").read_text())
    rec["mountinfo"] = ["50 29 8:17 / /media/me/BOOT rw - vfat /dev/sdb1 rw"]
    (fixtures / "sdb.json").write_text(json.dumps(rec))
    monkeypatch.setenv("SKIFF_FAKE_DEVICES", str(fixtures))
    code, _, err = run(capsys, "flash", "install", "--device", "/dev/sdb")
    assert code == 2 and err.startswith(
        "skiff: error: /dev/sdb has mounted partitions (/dev/sdb1 on /media/me/BOOT) (unmount them, or pass --unmount"
    )
    monkeypatch.setattr(flash_cmds, "_interactive", lambda: True)
    monkeypatch.setattr("builtins.input", lambda prompt="": "n")
    code, _, err = run(capsys, "flash", "install", "--device", "/dev/sdb")
    assert code == 2 and "mounted partitions" in err


def test_cli_default_image_size_matches_the_engine():
    """flash_cmds names the default size without importing the engine at startup."""
    from skiff_tui.cli import flash_cmds
    from skiff_tui.core.flash import plan as flash_plan

    assert flash_cmds.DEFAULT_IMAGE_GIB * 1024**3 == flash_plan.DEFAULT_IMAGE_SIZE
    from skiff_tui.core.flash import copy as flash_copy

    assert flash_cmds.PROGRESS_PHASES == flash_copy.PROGRESS_PHASES


def test_progress_lines_for_a_decompressing_write(tmp_path, monkeypatch, capsys):
    """Not on a terminal: the byte phases print their final line, step titles print once."""
    import lzma

    monkeypatch.setenv("SKIFF_NO_INTERACTIVE", "1")
    raw = tmp_path / "a.img"
    raw.write_bytes(b"\0" * (1 << 20) + bytes(range(256)) * 4096)
    packed = tmp_path / "a.img.xz"
    packed.write_bytes(lzma.compress(raw.read_bytes()))
    assert main(["flash", "write", "--image", str(packed), "--device", str(tmp_path / "out.img")]) == 0
    err = capsys.readouterr().err.splitlines()
    assert any(ln.startswith("finishing writes (flush): ") for ln in err)
    assert any(ln.startswith("verify: 1 MiB / 1 MiB") for ln in err)
    assert sum(ln.startswith("write (decompressing xz): ") for ln in err) == 1, err
    assert sum(ln.startswith("skiff: write a.img.xz (decompressing, every block)") for ln in err) == 1
    assert (tmp_path / "out.img").read_bytes() == raw.read_bytes()
