"""The Flash screen in the real SkiffApp, on captured device records (Pilot)."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

from skifftest import open_section, skiff_app
from textual.widgets import Button, DataTable, Input, Label, RadioSet, Static

from skiff_tui.core.flash import devices as dv
from skiff_tui.core.flash.devices import FakeDeviceSource
from skiff_tui.ui.screens.flash import FlashScreen

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "udev"
MIB = dv.MIB


def flash_app(tmp_path: Path, screen: FlashScreen, *, read_only: bool = False):
    """The app with `screen` (on a recorded device source) as its Flash section; the test opens
    it with open_section."""
    return skiff_app(tmp_path / "skiff", read_only=read_only, screens={"flash": lambda: screen})


def make_source(tmp_path: Path, card_size: int = 32 * MIB) -> tuple[FakeDeviceSource, Path]:
    """All fixtures; the USB SD card's node is a plain file so the write really happens."""
    source = FakeDeviceSource.from_files(sorted(FIXTURES.glob("*.json")))
    card = tmp_path / "sdb-card.bin"
    card.write_bytes(b"\xee" * card_size)
    rec = copy.deepcopy(source.record("sdb"))
    rec["device_node"] = str(card)
    rec["attributes"]["size"] = str(card_size // 512)
    source.add(rec)
    return source, card


def image(tmp_path: Path) -> Path:
    img = tmp_path / "sdcard.img"
    with open(img, "wb") as f:
        f.truncate(16 * MIB)
        f.seek(MIB)
        f.write(os.urandom(2 * MIB))
    return img


def rows(screen) -> list[list[str]]:
    table = screen.query_one("#devices", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def settle(app, pilot) -> None:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_live_list_says_why_disks_are_hidden_or_disabled(tmp_path):
    source, _ = make_source(tmp_path)
    screen = FlashScreen(source=source, rescan_interval=None)
    app = flash_app(tmp_path, screen)
    async with app.run_test(size=(130, 50)) as pilot:
        await open_section(app, pilot, "flash")
        await settle(app, pilot)
        names = [r[0] for r in rows(screen)]
        assert "/dev/sde" in names and "/dev/nvme0n1" not in names
        sde = next(r for r in rows(screen) if r[0] == "/dev/sde")
        assert sde[4].startswith("disabled: read-only")
        note = str(screen.query_one("#hidden-note", Static).render())
        assert "nvme0n1 (system disk: holds /boot/efi" in note and "sdd (no medium (empty card reader))" in note
        assert screen.selected is None and screen.query_one("#go", Button).disabled, "never auto-selected"
        # hot-unplug and re-plug
        record = source.record("sdb")
        source.remove("sdb")
        await settle(app, pilot)
        assert all("sdb" not in r[0] for r in rows(screen))
        source.add(record)
        await settle(app, pilot)
        assert any(r[0].endswith("sdb-card.bin") for r in rows(screen))
        # show hidden disks: the system disk appears, still saying why
        await pilot.press("h")
        await settle(app, pilot)
        nvme = next(r for r in rows(screen) if r[0] == "/dev/nvme0n1")
        assert nvme[4].startswith("refused: system disk")


async def _select(screen, pilot, app, node_suffix: str) -> None:
    table = screen.query_one("#devices", DataTable)
    index = next(i for i, r in enumerate(rows(screen)) if r[0].endswith(node_suffix))
    table.focus()
    table.move_cursor(row=index)
    await pilot.press("enter")
    await settle(app, pilot)


async def test_disabled_card_cannot_be_written(tmp_path):
    source, _ = make_source(tmp_path)
    screen = FlashScreen(source=source, rescan_interval=None)
    app = flash_app(tmp_path, screen)
    async with app.run_test(size=(130, 50)) as pilot:
        await open_section(app, pilot, "flash")
        await settle(app, pilot)
        await _select(screen, pilot, app, "/dev/sde")
        assert "cannot be used: read-only" in str(screen.query_one("#summary", Static).render())
        assert screen.query_one("#go", Button).disabled


async def test_write_image_flow_with_typed_confirmation_and_verification(tmp_path):
    source, card = make_source(tmp_path)
    img = image(tmp_path)
    screen = FlashScreen(source=source, rescan_interval=None)
    app = flash_app(tmp_path, screen)
    async with app.run_test(size=(130, 50)) as pilot:
        await open_section(app, pilot, "flash")
        await settle(app, pilot)
        screen.query_one("#action", RadioSet).query("RadioButton").last().value = True
        await settle(app, pilot)
        image_input = screen.query_one("#image", Input)
        image_input.value = str(img)
        await _select(screen, pilot, app, "sdb-card.bin")
        summary = str(screen.query_one("#summary", Static).render())
        assert summary.startswith("write → ") and "erased: everything on" in summary and "Type sdb below" in summary
        confirm = screen.query_one("#confirm", Input)
        confirm.focus()
        await pilot.press(*"sdc", "enter")
        await settle(app, pilot)
        assert screen.outcome is None
        assert card.read_bytes()[:16] == b"\xee" * 16, "a wrong name writes nothing"
        await pilot.press(*"sdb", "enter")
        await settle(app, pilot)
        assert screen.error is None, screen.query_one("#result", Static).render()
        assert screen.outcome is not None and screen.outcome.verified
        result = str(screen.query_one("#result", Static).render())
        assert "reads back exactly what was written" in result and "Next:" in result
        assert str(screen.query_one("#progress-text", Static).render()) == "done"
        with open(img, "rb") as a, open(card, "rb") as b:  # the mapped part; holes are not written
            a.seek(MIB)
            b.seek(MIB)
            assert a.read(2 * MIB) == b.read(2 * MIB)


async def test_card_swapped_before_write_is_refused_with_next_steps(tmp_path):
    source, card = make_source(tmp_path)
    img = image(tmp_path)
    screen = FlashScreen(source=source, rescan_interval=None)
    app = flash_app(tmp_path, screen)
    async with app.run_test(size=(130, 50)) as pilot:
        await open_section(app, pilot, "flash")
        await settle(app, pilot)
        screen.query_one("#action", RadioSet).query("RadioButton").last().value = True
        screen.query_one("#image", Input).value = str(img)
        await settle(app, pilot)
        await _select(screen, pilot, app, "sdb-card.bin")
        plan = screen.plan
        assert plan is not None
        swapped = json.loads(json.dumps(source.record("sdb")))
        swapped["properties"]["DISKSEQ"] = swapped["attributes"]["diskseq"] = "40"
        source._records["sdb"] = swapped  # the change arrives without an event (no rescan yet)
        screen.query_one("#confirm", Input).focus()
        await pilot.press(*"sdb", "enter")
        await settle(app, pilot)
        result = str(screen.query_one("#result", Static).render())
        assert "changed since it was selected (diskseq 23 → 40)" in result
        assert "select it again" in result
        assert card.read_bytes()[:16] == b"\xee" * 16


async def test_read_only_mode_explains_and_writes_nothing(tmp_path):
    source, card = make_source(tmp_path)
    img = image(tmp_path)
    screen = FlashScreen(source=source, rescan_interval=None)
    app = flash_app(tmp_path, screen, read_only=True)
    async with app.run_test(size=(130, 50)) as pilot:
        await open_section(app, pilot, "flash")
        await settle(app, pilot)
        screen.query_one("#action", RadioSet).query("RadioButton").last().value = True
        screen.query_one("#image", Input).value = str(img)
        await settle(app, pilot)
        await _select(screen, pilot, app, "sdb-card.bin")
        assert "Read-only mode: nothing will be written" in str(screen.query_one("#summary", Static).render())
        assert screen.query_one("#go", Button).disabled
        screen.query_one("#confirm", Input).focus()
        await pilot.press(*"sdb", "enter")
        await settle(app, pilot)
        assert screen.outcome is None and card.read_bytes()[:16] == b"\xee" * 16


async def test_format_and_install_flow_on_a_card_backed_by_a_file(tmp_path, tools, build_output):
    from flash_testkit import SMALL, SMALL_IMAGE, sh

    from skiff_tui.core.flash import install_set as flash_install_set
    from skiff_tui.core.flash.layout import skiff_partitions

    source, card = make_source(tmp_path, card_size=SMALL_IMAGE)
    install = flash_install_set.collect_install(build_output["images"], build_output["layers"])
    screen = FlashScreen(source=source, rescan_interval=None, layout=SMALL, install_set=install)
    app = flash_app(tmp_path, screen)
    async with app.run_test(size=(130, 50)) as pilot:
        await open_section(app, pilot, "flash")
        await settle(app, pilot)
        await _select(screen, pilot, app, "sdb-card.bin")
        summary = str(screen.query_one("#summary", Static).render())
        assert summary.startswith("format+install → ") and "kept:   nothing" in summary
        assert "copy 9 boot item(s) to BOOT (mcopy)" in summary and "persist" in summary
        screen.query_one("#confirm", Input).focus()
        await pilot.press(*"sdb", "enter")
        await settle(app, pilot)
        assert screen.error is None, screen.query_one("#result", Static).render()
        assert screen.outcome is not None
        parts = skiff_partitions(card)
        assert [p.name for p in parts.values()] == ["BOOT", "rootfs", "persist"]
        assert "::/zImage" in sh("mdir", "-b", "-i", f"{card}@@{parts['BOOT'].start}", "::/").stdout
        assert "Done." in str(screen.query_one("#result", Static).render())


async def test_swapped_card_event_drops_the_selection(tmp_path):
    source, card = make_source(tmp_path)
    img = image(tmp_path)
    screen = FlashScreen(source=source, rescan_interval=None)
    app = flash_app(tmp_path, screen)
    async with app.run_test(size=(130, 50)) as pilot:
        await open_section(app, pilot, "flash")
        await settle(app, pilot)
        screen.query_one("#action", RadioSet).query("RadioButton").last().value = True
        screen.query_one("#image", Input).value = str(img)
        await settle(app, pilot)
        await _select(screen, pilot, app, "sdb-card.bin")
        assert screen.plan is not None
        swapped = json.loads(json.dumps(source.record("sdb")))
        swapped["properties"]["DISKSEQ"] = swapped["attributes"]["diskseq"] = "41"
        source.add(swapped)  # the reader reports a media change
        await settle(app, pilot)
        assert screen.selected is None and screen.plan is None
        assert "changed (diskseq 23 → 41): select it again" in str(screen.query_one("#summary", Static).render())
        assert screen.query_one("#go", Button).disabled
        source.remove("sdb")
        await settle(app, pilot)
        assert all(not r[0].endswith("sdb-card.bin") for r in rows(screen))


async def test_in_the_app_with_nav_bar_and_the_apps_workspace(tmp_path, monkeypatch):
    """The app builds FlashScreen() itself: nav bar and status line on top, workspace and
    read-only mode taken from the app; the plan is worked out off the UI thread."""
    import threading

    from skiff_tui.core import readonly
    from skiff_tui.core.flash import execute as flash
    from skiff_tui.ui.app import SkiffApp
    from skiff_tui.ui.screens import NavBar, StatusLine

    planned_in: list[int] = []
    real_device_target = flash.device_target

    def device_target(*args, **kw):
        planned_in.append(threading.get_ident())
        return real_device_target(*args, **kw)

    monkeypatch.setattr(flash, "device_target", device_target)

    root = tmp_path / "root"
    (root / "configs").mkdir(parents=True)
    (root / "workspaces").mkdir()
    monkeypatch.setenv("SKIFF_FAKE_DEVICES", str(FIXTURES))
    for read_only in (False, True):
        app = SkiffApp(root=root, env={"SKIFF_ROOT_DIR": str(root), "HOME": str(tmp_path)}, read_only=read_only)
        try:
            async with app.run_test(size=(130, 50)) as pilot:
                await settle(app, pilot)
                await pilot.press("7")
                await settle(app, pilot)
                screen = app.screen
                assert isinstance(screen, FlashScreen), screen
                nav = str(screen.query_one(NavBar).render())
                assert "7 Flash" in nav and "1 Packages" in nav
                assert screen.query(StatusLine), "status line under the nav bar"
                assert screen.workspace is app.workspace and screen.read_only is read_only
                title = str(screen.query_one(".pane-title", Label).render())
                assert ("read-only" in title) is read_only
                assert "/dev/sdb" in [r[0] for r in rows(screen)]
                # Enter on a card: the plan comes from a worker, not the UI thread
                await _select(screen, pilot, app, "/dev/sdb")
                summary = str(screen.query_one("#summary", Static).render())
                assert "no kernel" in summary or "no build output" in summary, summary
                assert screen.plan is None and screen.query_one("#go", Button).disabled
                assert planned_in and threading.main_thread().ident not in planned_in
        finally:
            readonly.set_read_only(False)


async def test_format_writes_the_boards_blobs_and_layout(tmp_path, tools, build_output):
    """A board package's blobs and options (flash_board) go into the screen's plan: MBR, blob at
    8 KiB read back, bootable flag — the same card `make cmd/<board>/format` makes."""
    from flash_testkit import SMALL, SMALL_IMAGE, sh

    from skiff_tui.core.flash import install_set as flash_install_set
    from skiff_tui.core.flash.board import BoardFlash

    source, card = make_source(tmp_path, card_size=SMALL_IMAGE)
    spl = tmp_path / "u-boot-sunxi-with-spl.bin"
    spl.write_bytes(os.urandom(500_000).replace(b"\0", b"\1"))
    board = BoardFlash("test/board", [f"{spl}:8K"], boot_active=True)
    install = flash_install_set.collect_install(build_output["images"], build_output["layers"])
    screen = FlashScreen(source=source, rescan_interval=None, layout=SMALL, install_set=install, board=board)
    app = flash_app(tmp_path, screen)
    async with app.run_test(size=(130, 50)) as pilot:
        await open_section(app, pilot, "flash")
        await settle(app, pilot)
        await _select(screen, pilot, app, "sdb-card.bin")
        summary = str(screen.query_one("#summary", Static).render())
        assert "written: partition table: MBR (dos)" in summary
        assert f"written: bootloader {spl.name} at byte 8192 (500000 bytes" in summary
        assert "note:   board package test/board: 1 bootloader blob(s), --boot-active" in summary
        screen.query_one("#confirm", Input).focus()
        await pilot.press(*"sdb", "enter")
        await settle(app, pilot)
        assert screen.error is None, screen.query_one("#result", Static).render()
    table = json.loads(sh("sfdisk", "-J", str(card)).stdout)["partitiontable"]
    assert table["label"] == "dos" and table["partitions"][0].get("bootable") is True
    with open(card, "rb") as f:
        f.seek(8192)
        assert f.read(500_000) == spl.read_bytes()


async def test_screen_speaks_in_its_own_terms_not_cli_flags(tmp_path):
    """A mounted card: the summary points at the checkbox; hidden disks at the h key; never --all."""
    source, card = make_source(tmp_path)
    rec = copy.deepcopy(source.record("sdb"))
    rec["sys_name"], rec["device_node"] = "sdi", str(card)
    rec["devnum"] = [8, 128]
    rec["partitions"][0]["devnum"] = [8, 129]
    source.add(rec)
    source.mountinfo = "64 29 8:129 / /media/me/BOOT rw - vfat /dev/sdi1 rw"
    screen = FlashScreen(source=source, rescan_interval=None)
    app = flash_app(tmp_path, screen)
    async with app.run_test(size=(130, 50)) as pilot:
        await open_section(app, pilot, "flash")
        await settle(app, pilot)
        screen.query_one("#action", RadioSet).query("RadioButton").last().value = True
        await settle(app, pilot)
        screen.query_one("#image", Input).value = str(image(tmp_path))
        table = screen.query_one("#devices", DataTable)
        index = next(i for i, r in enumerate(rows(screen)) if r[4].startswith("ok: mounted"))
        table.move_cursor(row=index)
        await pilot.press("enter")
        await settle(app, pilot)
        summary = str(screen.query_one("#summary", Static).render())
        assert "has mounted partitions" in summary and "tick 'Unmount its mounted partitions'" in summary
        assert "--unmount" not in summary and "--all" not in summary
        note = str(screen.query_one("#hidden-note", Static).render())
        assert "Press 'h' to show them" in note and "--all" not in note


async def test_card_settings_step_writes_hostname_and_wifi_into_persist(tmp_path, tools, build_output):
    from flash_testkit import SMALL, SMALL_IMAGE, sh

    from skiff_tui.core.flash import execute as flash
    from skiff_tui.core.flash import install_set as flash_install_set
    from skiff_tui.core.flash import plan as flash_plan
    from skiff_tui.core.flash.layout import skiff_partitions

    skiff_img = tmp_path / "skiff.img"
    install = flash_install_set.collect_install(build_output["images"], build_output["layers"])
    flash.execute(flash_plan.plan_buildimage(skiff_img, SMALL_IMAGE, SMALL, install=install))
    source, card = make_source(tmp_path, card_size=SMALL_IMAGE)
    screen = FlashScreen(source=source, rescan_interval=None)
    app = flash_app(tmp_path, screen)
    async with app.run_test(size=(130, 60)) as pilot:
        await open_section(app, pilot, "flash")
        await settle(app, pilot)
        screen.query_one("#action", RadioSet).query("RadioButton").last().value = True
        await settle(app, pilot)
        screen.query_one("#image", Input).value = str(image(tmp_path))  # no persist in it
        screen.query_one("#set-hostname", Input).value = "ui-board"
        screen.query_one("#set-ssid", Input).value = "Home"
        screen.query_one("#set-psk", Input).value = "home-passphrase"
        assert screen.query_one("#set-psk", Input).password, "the passphrase is masked"
        await _select(screen, pilot, app, "sdb-card.bin")
        summary = str(screen.query_one("#summary", Static).render())
        assert "has no persist partition" in summary and screen.query_one("#go", Button).disabled
        screen.query_one("#image", Input).value = str(skiff_img)
        screen.query_one("#set-hostname", Input).focus()
        await pilot.press("enter")
        await settle(app, pilot)
        summary = str(screen.query_one("#summary", Static).render())
        assert "persist: hostname ui-board" in summary and "Wi-Fi 'Home' (passphrase stored 0600)" in summary
        assert "home-passphrase" not in summary
        screen.query_one("#confirm", Input).focus()
        await pilot.press(*"sdb", "enter")
        await settle(app, pilot)
        assert screen.outcome is not None, screen.query_one("#result", Static).render()
    persist = skiff_partitions(card)["persist"].start
    assert sh("debugfs", "-R", "cat /skiff/hostname", f"{card}?offset={persist}").stdout == "ui-board\n"
    stat = sh("debugfs", "-R", "stat /skiff/connections/Home.nmconnection", f"{card}?offset={persist}").stdout
    assert "Mode:  0600" in stat
