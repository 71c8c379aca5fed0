"""Focus and layout: open-at-line starts at column 0, Overrides starts in the hostname field,
the Logs list keeps Result and Duration in view at 120 columns, first-run hint, theme remembered."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.widgets import DataTable, Input, TextArea

from skiff_tui.ui.widgets.fileview import FileViewer


async def test_open_at_line_starts_at_column_0_of_a_long_line(tmp_path: Path):
    path = tmp_path / "10-board"
    path.write_text("# header\n" * 20 + 'BR2_TARGET_GENERIC_ISSUE="' + "x" * 300 + '"\n' + "BR2_arm=y\n" * 20)

    class Host(App):
        pass

    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        await app.push_screen(FileViewer(path, line=21))
        await pilot.pause()
        area = app.screen.query_one(TextArea)
        assert area.cursor_location == (20, 0)
        assert area.selected_text.startswith("BR2_TARGET_GENERIC_ISSUE=")  # the line is marked
        assert area.scroll_offset.x == 0  # line 1 is not blank


async def test_overrides_starts_in_the_hostname_field_and_tabs_focus_their_first_field(make_app, settle):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("9")
        await settle(app, pilot)
        assert isinstance(app.focused, Input) and app.focused.id == "ov-hostname"
        await pilot.press(*"pi-kitchen")
        assert app.focused.value == "pi-kitchen"
        app.screen.action_show_tab("wifi")
        await pilot.pause()
        assert app.focused.id == "ov-wifi-list"


async def test_logs_list_keeps_result_and_duration_in_view_at_120_columns(make_app, settle, save_build_record):
    save_build_record("default", "succeeded", 1_700_000_000, 1_700_000_754)
    from skiff_tui.core.builds.build import list_builds
    from skiff_tui.core.workspace import Workspace

    rec = list_builds(Workspace(make_app().root, "default"))[0]
    rec.chain = [f"vendor{i}/board_with_a_long_name{i}" for i in range(8)]
    rec.save()
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        await pilot.press("6")
        await settle(app, pilot)
        table = app.screen.query_one(DataTable)
        shown = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
        assert "succeeded" in shown and "12:34" in shown
        assert table.region.right <= 120


async def test_first_run_hint_on_an_empty_selection_goes_once_something_is_added(make_app, settle):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        hint = app.screen.query_one("#first-run")
        assert hint.display
        shown = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
        assert "First steps: pick your board" in shown
        await pilot.press("a")  # add the highlighted package
        await settle(app, pilot)
        assert app.selection and not hint.display


async def test_first_run_hint_absent_when_a_selection_exists(make_app, settle, save_selection):
    save_selection(["board/alpha"])
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        assert not app.screen.query_one("#first-run").display


async def test_the_chosen_theme_is_remembered_for_the_next_session(make_app, settle, skiff_env):
    from skiff_tui.core.settings import config_dir, load_theme

    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert app.theme == "textual-dark"
        await pilot.press("ctrl+t")
        await pilot.pause()
    assert load_theme(skiff_env) == "textual-light"
    assert 'theme = "textual-light"' in (config_dir(skiff_env) / "settings.toml").read_text()
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert app.theme == "textual-light"
    # a read-only session shows the saved theme and writes nothing
    (config_dir(skiff_env) / "settings.toml").write_text('theme = "nord"\n')
    app = make_app(read_only=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert app.theme == "nord"
        await pilot.press("ctrl+t")
        await pilot.pause()
    assert load_theme(skiff_env) == "nord"


def test_unusable_settings_file_falls_back_quietly(skiff_env):
    from skiff_tui.core.settings import config_dir, load_theme, save_theme

    path = config_dir(skiff_env) / "settings.toml"
    path.parent.mkdir(parents=True)
    path.write_text("theme = [broken\n")
    assert load_theme(skiff_env) is None
    save_theme("textual-light", skiff_env)
    assert load_theme(skiff_env) == "textual-light"
