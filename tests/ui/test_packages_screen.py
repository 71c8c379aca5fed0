"""Packages screen driven with Pilot: what is shown, and what the engine saved."""

from __future__ import annotations

from textual.widgets import Input, OptionList, Static

from skiff_tui.ui.widgets.fileview import FileViewer


def _detail_text(app) -> str:
    """The detail pane as plain text (it holds a rich Group: text and a grid of label/value rows)."""
    import io

    from rich.console import Console

    console = Console(width=100, file=io.StringIO(), record=True, color_system=None)
    console.print(app.screen.query_one("#detail-body", Static).content)
    return console.export_text()


async def test_tree_lists_listed_packages_by_namespace(make_app, settle, visible_packages):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        assert app.screen.SECTION == "packages"
        tree = app.screen.query_one("#package-tree")
        assert [str(n.label) for n in tree.root.children] == ["apps", "board", "core"]
        assert visible_packages(app) == ["apps/lib", "apps/web", "board/alpha", "board/beta", "core/base"]
        # apps/hidden is unlisted: only behind the toggle
        await pilot.press("h")
        assert "apps/hidden" in visible_packages(app)
        await pilot.press("h")
        assert "apps/hidden" not in visible_packages(app)


async def test_filter_as_you_type_matches_names_and_descriptions(make_app, settle, visible_packages):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        await pilot.press("slash")
        assert isinstance(app.focused, Input)
        await pilot.press(*"board")
        assert visible_packages(app) == ["board/alpha", "board/beta"]
        app.screen.query_one("#filter", Input).value = ""
        await pilot.press(*"server")  # only in apps/web's description
        assert visible_packages(app) == ["apps/web"]
        app.screen.query_one("#filter", Input).value = "demo beta"  # every term must match
        await pilot.pause()
        assert visible_packages(app) == ["board/beta"]
        app.screen.query_one("#filter", Input).value = "nothing-like-this"
        await pilot.pause()
        assert visible_packages(app) == []
        assert "No package matches" in _detail_text(app)


async def test_detail_pane_shows_dependencies_needed_by_commands_and_files(make_app, settle):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#filter", Input).value = "alpha"
        await settle(app, pilot)
        text = _detail_text(app)
        assert "board/alpha" in text and "Alpha demo board" in text
        assert "core/base" in text  # depends on
        assert "format" in text and "Format the SD card" in text
        assert "buildroot, kernel, extensions" in text  # layer dirs in the documented order
        files = app.screen.query_one("#files", OptionList)
        prompts = [str(files.get_option_at_index(i).prompt) for i in range(files.option_count)]
        assert "buildroot/10-board" in prompts and "metadata/description" in prompts
        app.screen.query_one("#filter", Input).value = "common base"
        await pilot.pause()
        text = _detail_text(app)
        assert "board/alpha, board/beta" in text  # needed by (reverse dependencies)


async def test_file_of_a_package_opens_read_only(make_app, settle):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#filter", Input).value = "alpha"
        await settle(app, pilot)
        await pilot.press("o")
        files = app.screen.query_one("#files", OptionList)
        prompts = [str(files.get_option_at_index(i).prompt) for i in range(files.option_count)]
        files.highlighted = prompts.index("buildroot/10-board")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, FileViewer)
        area = app.screen.query_one("#fileview")
        assert area.text.startswith("BR2_aarch64=y")
        assert area.read_only
        await pilot.press("escape")
        assert not isinstance(app.screen, FileViewer)


async def test_add_and_remove_save_the_selection_through_the_engine(
    make_app, settle, engine_selection, skiff_root, visible_packages
):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        app.screen.query_one("#filter", Input).value = "alpha"
        await pilot.pause()
        app.screen.query_one("#package-tree").focus()
        await pilot.press("a")
        assert engine_selection(skiff_root) == ["board/alpha"]
        app.screen.query_one("#filter", Input).value = "web"
        await pilot.pause()
        app.screen.query_one("#package-tree").focus()
        await pilot.press("a")
        assert engine_selection(skiff_root) == ["board/alpha", "apps/web"]
        assert app.selection == ("board/alpha", "apps/web")
        # a pulled-in dependency is marked and cannot be removed on its own
        app.screen.query_one("#filter", Input).value = "shared library"
        await pilot.pause()
        app.screen.query_one("#package-tree").focus()
        text = _detail_text(app)
        assert "needed by apps/web" in text
        await pilot.press("d")
        assert engine_selection(skiff_root) == ["board/alpha", "apps/web"]
        app.screen.query_one("#filter", Input).value = "alpha"
        await pilot.pause()
        app.screen.query_one("#package-tree").focus()
        await pilot.press("d")
        assert engine_selection(skiff_root) == ["apps/web"]
    # a new app reads the saved selection back
    app2 = make_app()
    async with app2.run_test(size=(120, 36)) as pilot:
        await settle(app2, pilot)
        assert app2.selection == ("apps/web",)
        assert "apps/web" in str(app2.screen.query_one("#status").render())


async def test_filter_ranks_the_board_people_mean_first(make_app, settle, visible_packages, skiff_root):
    """'pi 4' puts pi/4 first and highlights it; 'rpi4' finds it through metadata/aliases."""
    from tests.ui.conftest import write_package

    configs = skiff_root / "configs"
    for name, desc in (
        ("bananapi/m2", "Banana Pi M2 (4x Cortex-A7)"),
        ("pi/4", "Raspberry Pi 4"),
        ("pi/4x32", "Raspberry Pi 4, 32-bit"),
        ("orangepi/zero", "Orange Pi Zero (4 cores)"),
    ):
        write_package(configs, name, desc, "", {})
    (configs / "pi/4/metadata/aliases").write_text("rpi4\nraspberry pi 4\n")
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        await pilot.press("slash", *"pi 4")
        await pilot.pause()
        shown = visible_packages(app)
        assert shown[:2] == ["pi/4", "pi/4x32"] and set(shown[2:]) == {"bananapi/m2", "orangepi/zero"}
        tree = app.screen.query_one("#package-tree")
        assert tree.cursor_node.data == "pi/4"
        filt = app.screen.query_one("#filter", Input)
        filt.value = ""
        await pilot.press(*"rpi4")
        await pilot.pause()
        assert visible_packages(app) == ["pi/4"]
        assert tree.cursor_node.data == "pi/4"
        assert "Also known" in _detail_text(app) and "rpi4" in _detail_text(app)
