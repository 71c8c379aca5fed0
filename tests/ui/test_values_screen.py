"""Values screen: merged values with provenance, filter, assignment chain, open at line."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Static

from skifftest import real_buildroot, requires_buildroot, write_package
from skiff_tui.ui.widgets.fileview import FileViewer
from skiff_tui.core.session import Session


def _symbols(app) -> list[str]:
    return list(app.screen._symbols)


def _row(app, symbol) -> list[str]:
    table = app.screen.query_one("#values-table", DataTable)
    return [str(c) for c in table.get_row_at(_symbols(app).index(symbol))]


async def _open(app, pilot, settle):
    await settle(app, pilot)
    await pilot.press("3")
    await settle(app, pilot)
    assert app.screen.SECTION == "values"


async def test_merged_values_with_layer_file_and_line(make_app, settle, save_selection, skiff_root):
    save_selection(["board/alpha", "apps/web"])
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _open(app, pilot, settle)
        assert _row(app, "BR2_TARGET_GENERIC_HOSTNAME") == [
            "BR2_TARGET_GENERIC_HOSTNAME",
            '"web"',
            "apps/web · buildroot/20-web:2",
            "+2",
        ]
        assert _row(app, "BR2_PACKAGE_ZLIB")[2] == "apps/lib · buildroot/10-lib:1"
        # engine-generated values name the engine, paths inside the tree are abbreviated
        frag = _row(app, "BR2_LINUX_KERNEL_CONFIG_FRAGMENT_FILES")
        assert frag[2] == "skiff: merged kernel fragment" and str(skiff_root) not in frag[1]
        # the chain of assignments of the highlighted symbol
        table = app.screen.query_one("#values-table", DataTable)
        table.move_cursor(row=_symbols(app).index("BR2_TARGET_GENERIC_HOSTNAME"))
        await pilot.pause()
        history = str(app.screen.query_one("#history-body", Static).render())
        lines = [l.strip() for l in history.splitlines()]
        assert lines[2].startswith('1. "skiff"') and lines[2].endswith("core/base (buildroot/10-base:1)")
        assert lines[3].startswith('2. "alpha"') and lines[3].endswith("board/alpha (buildroot/10-board:2)")
        assert lines[4].startswith('3. "web"') and lines[4].endswith("apps/web (buildroot/20-web:2)")


async def test_filter_by_symbol_or_layer_and_kind_tabs(make_app, settle, save_selection):
    save_selection(["board/alpha", "apps/web"])
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _open(app, pilot, settle)
        app.screen.query_one("#values-filter", Input).value = "zlib"
        await pilot.pause()
        assert _symbols(app) == ["BR2_PACKAGE_ZLIB"]
        app.screen.query_one("#values-filter", Input).value = "board/alpha"  # by layer
        await pilot.pause()
        assert _symbols(app) == ["BR2_aarch64"]
        assert "1 of" in str(app.screen.query_one("#values-message").render())
        app.screen.query_one("#values-filter", Input).value = ""
        app.screen.query_one("#values-table").focus()
        await pilot.press("right_square_bracket")  # kernel
        await pilot.pause()
        assert app.screen.kind == "kernel"
        assert _symbols(app) == ["CONFIG_USB", "CONFIG_SOUND"]
        assert _row(app, "CONFIG_SOUND")[1] == "n (is not set)"
        await pilot.press("right_square_bracket")  # busybox
        await pilot.pause()
        assert _symbols(app) == ["CONFIG_ASH"]
        assert _row(app, "CONFIG_ASH")[2] == "core/base · busybox/10-shell:1"


async def test_open_at_line_shows_the_file_read_only_at_that_line(make_app, settle, save_selection):
    save_selection(["board/alpha", "apps/web"])
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _open(app, pilot, settle)
        table = app.screen.query_one("#values-table", DataTable)
        table.focus()
        table.move_cursor(row=_symbols(app).index("BR2_TARGET_GENERIC_HOSTNAME"))
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, FileViewer)
        area = app.screen.query_one("#fileview")
        assert area.read_only
        assert area.cursor_location[0] == 1  # line 2, zero-based
        assert area.selected_text.startswith('BR2_TARGET_GENERIC_HOSTNAME="web"')
        assert "apps/web: buildroot/20-web:2" in str(app.screen.query_one("#fileview-title").render())
        await pilot.press("escape")
        # a value the engine generated has no file: a notification says so
        table.move_cursor(row=_symbols(app).index("BR2_LINUX_KERNEL_CONFIG_FRAGMENT_FILES"))
        await pilot.press("o")
        assert not isinstance(app.screen, FileViewer)
        assert any("no file to open" in n.message for n in app._notifications)


async def test_values_after_configure_show_what_did_not_stick(make_app, settle, save_selection, fake_buildroot):
    save_selection(["board/alpha", "apps/web"])
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("2", "c")
        await settle(app, pilot)
        await pilot.press("3")
        await settle(app, pilot)
        assert _row(app, "BR2_PACKAGE_NGINX")[1] == "y → n (is not set)"
        assert _row(app, "BR2_PACKAGE_ZLIB")[1] == "y"


async def test_resolution_error_is_shown_instead_of_values(make_app, settle, save_selection):
    save_selection(["board/alpha", "board/gamma"])
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _open(app, pilot, settle)
        assert _symbols(app) == []
        assert "unknown package 'board/gamma'" in str(app.screen.query_one("#values-message").render())


async def test_bad_fragment_line_is_shown_with_its_file_and_line(make_app, settle, save_selection, skiff_root):
    """The engine leaves a malformed line out (as Kconfig does) with a note: shown beside the values."""
    (skiff_root / "configs" / "apps" / "lib" / "buildroot" / "20-bad").write_text("BR2_OK=y\nthis is not kconfig\n")
    save_selection(["apps/lib"])
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _open(app, pilot, settle)
        text = str(app.screen.query_one("#values-message").render())
        assert "configs/apps/lib/buildroot/20-bad:2: not a Kconfig assignment" in text
        assert str(skiff_root) not in text
        assert "BR2_OK" in _symbols(app)


async def test_hidden_values_screen_merges_again_when_shown(
    make_app, settle, save_selection, engine_selection, skiff_root
):
    save_selection(["apps/lib"])
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await _open(app, pilot, settle)
        assert "BR2_PACKAGE_NGINX" not in _symbols(app)
        await pilot.press("1")
        await settle(app, pilot)
        assert app.add_package("apps/web")
        await settle(app, pilot)
        assert engine_selection(skiff_root) == ["apps/lib", "apps/web"]
        await pilot.press("3")
        await settle(app, pilot)
        assert "BR2_PACKAGE_NGINX" in _symbols(app)


@requires_buildroot
async def test_values_screen_and_configure_report_agree_on_what_did_not_stick(
    make_app, settle, save_selection, skiff_root, skiff_env
):
    """Against real Buildroot: a choice member another layer replaced (x86_64 by aarch64) and the
    kernel fragment of a stack with no kernel are not failures; an unknown symbol is. The screen
    marks exactly the values the configure report counts."""
    from skiff_tui.core.builds.configure import configure
    from skiff_tui.core.workspace import Workspace

    configs = skiff_root / "configs"
    write_package(
        configs, "arch/default", description="default architecture", files={"buildroot/10-arch": "BR2_x86_64=y\n"}
    )
    write_package(
        configs,
        "board/nokernel",
        description="a container board",
        deps="arch/default",
        files={
            "buildroot/10-board": "BR2_aarch64=y\n# BR2_LINUX_KERNEL is not set\nBR2_NO_SUCH_SYMBOL=y\n",
            "kernel/10-kernel": "CONFIG_USB=y\n",
        },
    )
    skiff_env["SKIFF_BUILDROOT_SRC"] = str(real_buildroot())
    save_selection(["board/nokernel"])
    result = configure(Session(skiff_root, skiff_env, Workspace(skiff_root, "default")))
    assert [a.symbol for a, _ in result.not_stuck] == ["BR2_NO_SUCH_SYMBOL"]
    app = make_app()
    async with app.run_test(size=(140, 40)) as pilot:
        await _open(app, pilot, settle)
        marked = [s for s in _symbols(app) if "→" in _row(app, s)[1]]
        assert marked == ["BR2_NO_SUCH_SYMBOL"]
        assert _row(app, "BR2_x86_64")[1] == "y"
        assert "→" not in _row(app, "BR2_LINUX_KERNEL_CONFIG_FRAGMENT_FILES")[1]
