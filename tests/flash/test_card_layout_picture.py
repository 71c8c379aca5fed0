"""The card layout drawn to scale on the Flash screen (a widget over core.flash.layout's
Geometry): Pilot on the real screen with a board's blob, and a snapshot of the picture."""

from __future__ import annotations

import os

from textual.app import App, ComposeResult

from skiff_tui.core.flash.layout import Extent, Layout
from skiff_tui.ui.widgets.card_layout import CardLayoutPicture, areas

GIB = 1024**3


def test_areas_cover_table_blobs_and_partitions():
    blobs = [Extent("u-boot-sunxi-with-spl.bin", 8192, 600 * 1024)]
    geo = Layout().geometry(32 * 10**9, blobs)
    found = {(a.kind, a.label) for a in areas(32 * 10**9, geo.table, geo.parts, blobs)}
    assert found == {
        ("table", "MBR"),
        ("blob", "u-boot-sunxi-with-spl.bin"),
        ("BOOT", "BOOT"),
        ("rootfs", "rootfs"),
        ("persist", "persist"),
    }


async def test_flash_screen_draws_the_format_layout(tmp_path, tools, build_output):
    from flash_testkit import SMALL, SMALL_IMAGE
    from skifftest import open_section
    from test_flash_screen import _select, flash_app, make_source, settle

    from skiff_tui.core.flash import install_set as flash_install_set
    from skiff_tui.core.flash.board import BoardFlash
    from skiff_tui.ui.screens.flash import FlashScreen

    source, _card = make_source(tmp_path, card_size=SMALL_IMAGE)
    spl = tmp_path / "u-boot-sunxi-with-spl.bin"
    spl.write_bytes(os.urandom(500_000))
    board = BoardFlash("test/board", [f"{spl}:8K"], boot_active=True)
    install = flash_install_set.collect_install(build_output["images"], build_output["layers"])
    screen = FlashScreen(source=source, rescan_interval=None, layout=SMALL, install_set=install, board=board)
    app = flash_app(tmp_path, screen)
    async with app.run_test(size=(130, 60)) as pilot:
        await open_section(app, pilot, "flash")
        await settle(app, pilot)
        picture = screen.query_one(CardLayoutPicture)
        assert not picture.display  # no card chosen: no picture
        await _select(screen, pilot, app, "sdb-card.bin")
        assert picture.display and picture.region.height > 5
        text = str(picture.render())
        assert "Card layout to scale: 100 MiB, MBR table" in text
        for label in ("u-boot-sunxi-with-spl.bin", "BOOT", "rootfs", "persist"):
            assert label in text
        assert "at byte 8,192" in text  # the blob's offset in the legend


class PictureApp(App):
    def compose(self) -> ComposeResult:
        yield CardLayoutPicture(id="pic")

    def on_mount(self) -> None:
        blobs = [Extent("idbloader.img", 32768, 200 * 1024), Extent("u-boot.itb", 8 * 1024 * 1024, 1024 * 1024)]
        geo = Layout().geometry(32 * GIB, blobs)
        self.query_one(CardLayoutPicture).show(32 * GIB, geo.table, geo.parts, blobs)


def test_card_layout_snapshot(snap_compare):
    assert snap_compare(PictureApp(), terminal_size=(100, 16))
