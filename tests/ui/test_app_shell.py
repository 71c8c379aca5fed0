"""App shell: navigation, help, themes, command palette, read-only mode, startup errors."""

from __future__ import annotations

import pytest
from textual.command import CommandList, CommandPalette

from skifftest import wait_until
from skiff_tui.core import readonly
from skiff_tui.core.workspace import Workspace
from skiff_tui.ui.commands import SkiffCommands
from skiff_tui.ui.screens import SECTIONS, Section
from skiff_tui.ui.screens.help import HelpScreen

MUTATING_ACTIONS = {
    "add",
    "remove",
    "move_up",
    "move_down",
    "configure",
    "create",
    "delete",
    "run_command",
    "start",
    "cancel",
    "save",
    "load_default",
    "classic_menuconfig",
    "edit_value",
    "revert_symbol",
    "new_file",
    "delete_file",
    "activate",
    "set_tristate",
}
MUTATING_TITLES = (
    "Add package",
    "Remove package",
    "Configure",
    "Create workspace",
    "Run cmd/",
    "Packages: Add",
    "Packages: Remove",
    "Stack: Move",
    "Stack: Remove",
    "Stack: Configure",
    "Stack: Run command",
    "Workspaces: New",
    "Workspaces: Delete",
    "Build: Start",
    "Build: Cancel",
    "Build: Push",
    "Kconfig: Save",
    "Kconfig: Edit value",
    "Kconfig: Undo option",
    "Kconfig: menuconfig",
    "Overrides: Save",
    "Overrides: New file",
    "Overrides: Delete file",
    "skiff-core.yaml: Save",
    "skiff-core.yaml: Package default",
)


async def _palette_titles(app, query: str = "") -> list[str]:
    provider = SkiffCommands(app.screen)
    hits = provider.search(query) if query else provider.discover()
    out = []
    async for hit in hits:
        out.append(str(getattr(hit, "text", None) or hit.display))
    return out


async def test_number_keys_switch_sections_and_missing_ones_keep_their_place(make_app, settle):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        for key, section in (("2", "stack"), ("3", "values"), ("4", "workspaces"), ("1", "packages")):
            await pilot.press(key)
            await pilot.pause()
            assert app.current_mode == section and app.screen.SECTION == section
        nav = str(app.screen.query_one("#nav").render())
        for title in (
            "Packages",
            "Stack",
            "Values",
            "Workspaces",
            "Build",
            "Logs",
            "Flash",
            "Kconfig",
            "Overrides",
            "skiff-core.yaml",
        ):
            assert title in nav


async def test_help_screen_lists_the_keys_of_the_screen_below(make_app, settle):
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        actions = [desc for _key, desc in app.screen.key_rows]
        assert {"Add", "Remove", "Unlisted", "Theme", "Help"} <= set(actions)
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_theme_toggles_between_dark_and_light(make_app, settle):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        assert app.current_theme.dark
        await pilot.press("ctrl+t")
        assert not app.current_theme.dark and app.theme == "textual-light"
        await pilot.press("ctrl+t")
        assert app.current_theme.dark


async def test_palette_offers_context_commands_and_runs_them(make_app, settle, engine_selection, skiff_root):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        titles = await _palette_titles(app, "add package")
        assert "Add package board/beta" in titles and "Add package apps/hidden" in titles
        assert "Go to Stack" in await _palette_titles(app)
        # through the real palette: type, pick the first hit
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Add package board/beta")
        hits = app.screen.query_one(CommandList)
        await wait_until(
            pilot,
            lambda: (
                hits.option_count
                and hits.highlighted is not None
                and "Add package board/beta" in str(hits.get_option_at_index(hits.highlighted).prompt)
            ),
            "the palette's hit",
        )
        await pilot.press("enter")
        await settle(app, pilot)
        assert engine_selection(skiff_root) == ["board/beta"]
        titles = await _palette_titles(app, "package")
        assert "Remove package board/beta" in titles and "Add package board/beta" not in titles


async def test_palette_lists_package_commands_of_the_chain(make_app, settle, save_selection):
    save_selection(["board/alpha"])
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        titles = await _palette_titles(app, "run cmd")
        assert "Run cmd/board/alpha/format" in titles and "Run cmd/board/alpha/install" in titles


async def test_read_only_hides_every_mutating_binding_and_palette_command(
    make_app, settle, save_selection, engine_selection, skiff_root
):
    save_selection(["board/alpha"])
    app = make_app(read_only=True)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        assert readonly.is_read_only()  # engine writes refuse too
        assert "READ-ONLY" in str(app.screen.query_one("#status").render())
        for key in ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0"):
            await pilot.press(key)
            await settle(app, pilot)
            name = type(app.screen).__name__
            actions = {b.binding.action.split("(")[0] for b in app.screen.active_bindings.values()}
            assert not actions & MUTATING_ACTIONS, (name, actions & MUTATING_ACTIONS)
            titles = await _palette_titles(app) + await _palette_titles(app, "a") + await _palette_titles(app, "e")
            assert titles, "the palette still offers the non-mutating commands"
            for word in MUTATING_TITLES:
                assert not [t for t in titles if t.startswith(word)], (name, word)
        # the keys do nothing either
        await pilot.press("1")
        await pilot.press("a", "d")
        await pilot.press("2")
        await pilot.press("c", "d", "shift+up")
        await settle(app, pilot)
        assert engine_selection(skiff_root) == ["board/alpha"]
        assert not (skiff_root / "workspaces" / "default" / ".config").exists()
        # editors are offered only when they work as viewers in read-only mode (all of skiff's do)
        nav = str(app.screen.query_one("#nav").render())
        assert "Packages" in nav
        for section in SECTIONS:
            if section.editor:
                assert section.works_read_only and app.section_offered(section)
                assert section.title in nav
        no_read_only_editor = Section(
            "x", "Editor without read-only", "x", "skiff_tui.ui.screens.help", "HelpScreen", "test double", editor=True
        )
        assert not app.section_offered(no_read_only_editor)
        assert not app.section_offered(
            Section(
                "y", "Absent", "y", "skiff_tui.ui.screens.absent_module", "AbsentScreen", "not installed", editor=True
            )
        )


async def test_unreadable_saved_state_is_a_notification_not_a_traceback(make_app, settle, skiff_root):
    ws = Workspace(skiff_root, "default")
    ws.final_dir.mkdir(parents=True)
    (ws.final_dir / "state.json").write_text("{not json")
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        assert app.is_running
        messages = [n.message for n in app._notifications]
        assert any("saved state is unreadable" in m for m in messages), messages
        assert app.index is not None  # the packages still load


async def test_workspace_argument_opens_that_workspace(make_app, settle, save_selection):
    save_selection(["board/beta"], workspace="lab")
    app = make_app(workspace="lab")
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        assert app.workspace.name == "lab" and app.selection == ("board/beta",)


async def test_broken_package_is_a_warning_and_an_error_in_place(make_app, settle, save_selection, skiff_root):
    from skifftest import write_package

    write_package(skiff_root / "configs", "apps/broken", description="Broken one", deps="not/a/valid/name")
    save_selection(["apps/broken"])
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        warnings = [n.message for n in app._notifications if n.severity == "warning"]
        assert any("apps/broken is broken" in m for m in warnings), warnings
        await pilot.press("2")
        await pilot.pause()
        text = str(app.screen.query_one("#stack-messages").render())
        assert "invalid package name 'not/a/valid/name'" in text


async def test_every_binding_of_the_main_screens_has_a_palette_command(
    make_app, settle, save_selection, save_build_record
):
    save_selection(["board/alpha"])
    save_build_record("default", "succeeded", 1_700_000_000, 1_700_000_060)  # Logs: something to open
    save_selection(["board/beta"], workspace="other")
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        for key in ("1", "2", "3", "4", "5", "6", "7", "8", "9", "0"):
            await pilot.press(key)
            await settle(app, pilot)
            screen = app.screen
            if getattr(screen, "SECTION", "") == "workspaces":  # highlight another workspace so Delete applies
                screen.query_one("#workspaces-table").move_cursor(row=1)
                await pilot.pause()
            offered = {c.action for c in app.palette_commands(screen)}
            if getattr(screen, "SECTION", "") == "packages":  # add and remove are offered by context: try both
                screen._show_detail("board/alpha")
                offered |= {c.action for c in app.palette_commands(screen)}
            wanted = {b.action.split("(")[0] for b in [*screen.BINDINGS, *app.BINDINGS]}
            wanted -= {"leave", "app.pop_screen"}  # escape (back): the palette has "Go to …" for that
            wanted -= {"error_details"}  # F2: absent from the footer (and palette) until something failed
            assert wanted <= offered, (type(screen).__name__, wanted - offered)
            titles = [c.title for c in app.palette_commands(screen)]
            assert len(titles) == len(set(titles)), type(screen).__name__


async def test_a_section_whose_screen_is_absent_keeps_its_place_with_a_message(make_app, settle):
    from skiff_tui.ui.app import MissingScreen

    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        absent = Section(
            "future", "Future", "x", "skiff_tui.ui.screens.absent_module", "FutureScreen", "a screen written later"
        )
        app.add_mode("future", lambda: app._make_screen(absent))
        app.switch_mode("future")
        await settle(app, pilot)
        assert isinstance(app.screen, MissingScreen)
        assert "not available in this installation" in str(app.screen.query_one("#missing").render())
        await pilot.press("1")
        assert app.screen.SECTION == "packages"


async def test_quit_with_a_running_build_asks_and_never_orphans_it(make_app, settle, skiff_root):
    import sys

    from skiff_tui.core.builds import build as engine
    from skiff_tui.ui.screens.build import BuildRequest
    from skiff_tui.ui.widgets.dialogs import ChoiceModal

    app = make_app()
    argv = [sys.executable, "-c", "import time\nprint('>>> demo 1 Building', flush=True)\ntime.sleep(60)"]
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        run = app.build_runs.start(app.workspace, lambda: BuildRequest(argv, chain=["board/alpha"]))
        await wait_until(pilot, lambda: run.handle is not None, "the build to start")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ChoiceModal)
        assert "still running" in str(app.screen.query_one("#choice-question").render())
        await pilot.press("w")  # keep waiting: the app and the build go on
        await pilot.pause()
        assert app.is_running and run.handle.running()
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("c")  # cancel the build, then quit
        await wait_until(pilot, lambda: not app.is_running, "the app to quit")
    assert not run.handle.running()
    assert engine.load_record(app.workspace, run.build_id).status == "cancelled"


async def test_escape_on_a_section_screen_never_pops_the_last_screen(make_app, settle, save_build_record):
    """Sections whose Back is app.pop_screen (Flash, a log) keep the app alive at the bottom of a mode."""
    save_build_record("default", "succeeded", 1_700_000_000, 1_700_000_060)
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        for key in ("7", "6"):
            await pilot.press(key)
            await settle(app, pilot)
            bottom = app.screen
            await pilot.press("escape")
            await pilot.pause()
            assert app.is_running and app.screen is bottom
        await pilot.press("enter")  # Logs: open the build's log, then back
        await pilot.pause()
        assert app.screen is not bottom
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is bottom


async def test_alt_digit_switches_sections_from_a_text_field_where_digits_type(make_app, settle):
    from textual.widgets import Input

    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        await pilot.press("slash")  # the Packages filter has the cursor
        assert isinstance(app.focused, Input)
        await pilot.press("2", "c")
        assert app.current_mode == "packages" and app.focused.value == "2c"  # digits type
        await pilot.press("alt+2")
        await settle(app, pilot)
        assert app.current_mode == "stack"
        await pilot.press("alt+1")
        await settle(app, pilot)
        assert app.current_mode == "packages"
        await pilot.press("f1")  # help: every section with both keys
        await pilot.pause()
        shown = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
        assert "2 / alt+2" in shown


@pytest.mark.parametrize("width", [100, 120, 90])
async def test_nav_bar_names_every_section_without_cutting_at_common_widths(make_app, settle, width):
    from skiff_tui.ui.screens import SECTIONS

    app = make_app()
    async with app.run_test(size=(width, 36)) as pilot:
        await settle(app, pilot)
        nav = app.screen.query_one("#nav")
        text = str(nav.render())
        assert len(text.rstrip()) <= width
        for s in SECTIONS:
            assert (
                f"{s.key} {s.title if s.mode == 'packages' else (s.short or s.title)}" in text
                or f"{s.key} {s.title}" in text
            ), (s.title, text)
        if width >= 100:
            assert "0 skiff-core.yaml" in text or "0 core.yaml" in text


async def test_palette_has_one_entry_per_action(make_app, settle):
    """The palette is built from the bindings (titled by their descriptions, as in the footer)
    plus commands with no key; Textual's own Quit/Theme/Keys are not offered beside them."""
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        titles = await _palette_titles(app)
        assert [t for t in titles if "quit" in t.lower()] == ["Quit"]
        assert sorted(t for t in titles if "theme" in t.lower()) == ["Theme", "Theme: choose…"]
        assert "Keys" not in titles and "Help" in titles
        assert len(titles) == len(set(titles))
        assert len(app.COMMANDS) == 1  # one provider: skiff's (commands.py), not Textual's system commands
        footer = {b.description for b in app.BINDINGS if b.show} | {"Packages: Add", "Packages: Filter"}
        assert footer - {"Error details"} <= set(titles)  # F2 only once something failed
        for command in app.palette_commands(app.screen):
            assert command.help, command.title  # every entry explains itself


def test_every_binding_has_a_palette_help_line_or_says_it_has_no_entry():
    """palette.HELP covers every binding id of the UI (a new binding without a help line would
    silently be missing from the palette); the section keys take their section's help."""
    import importlib
    import pkgutil

    from textual.binding import Binding
    from textual.dom import DOMNode

    import skiff_tui.ui as ui
    from skiff_tui.ui.app import SECTION_HELP, SkiffApp
    from skiff_tui.ui.palette import HELP

    ids = set()
    for info in pkgutil.walk_packages(ui.__path__, ui.__name__ + "."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, DOMNode) and value.__module__ == module.__name__:
                ids |= {b.id for b in value.BINDINGS if isinstance(b, Binding) and b.id}
    ids |= {b.id for b in SkiffApp.BINDINGS if b.id}
    assert len(ids) > 60
    missing = {i for i in ids if i not in HELP and i not in SECTION_HELP}
    assert not missing, sorted(missing)
    assert not set(HELP) - ids, "help lines of bindings that no longer exist"
