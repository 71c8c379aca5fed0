"""Kconfig screen, driven with Pilot inside the real app: load in a worker, navigate, toggle, search,
edit values, save the delta, unsaved-changes prompt, read-only and Kconfig-error states."""

from __future__ import annotations

import contextlib

from skiff_tui.core.editors.delta import DELTA_NAME
from skiff_tui.ui.screens import kconfig as kconfig_screen
from skiff_tui.ui.screens.kconfig import KconfigScreen
from skiff_tui.ui.widgets.dialogs import PromptModal, UnsavedChangesModal
from skiff_tui.ui.widgets.kconfig_search import KconfigSearchModal
from skiff_tui.ui.widgets.kconfig_tree import KconfigTree

SIZE = (120, 40)


def delta_file(root):
    return root / "overrides" / "workspaces" / "default" / "buildroot" / DELTA_NAME


def delta_lines(root):
    return [
        l
        for l in delta_file(root).read_text().splitlines()
        if not l.startswith("# Changes") and not l.startswith("# Edit")
    ]


async def open_kconfig(app, pilot, settled) -> KconfigScreen:
    await settled(app, pilot)
    await pilot.press("8")
    await settled(app, pilot)
    screen = app.screen
    assert isinstance(screen, KconfigScreen), screen
    return screen


def cursor_label(screen) -> str:
    return str(screen.query_one(KconfigTree).cursor_node.label)


def shown_bindings(screen) -> dict[str, str]:
    return {b.action: b.description for _, b, enabled, _ in screen.active_bindings.values() if b.show and enabled}


async def test_navigate_toggle_and_save_writes_the_delta(make_app, settled, kconfig_root):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_kconfig(app, pilot, settled)
        tree = screen.query_one(KconfigTree)
        assert tree.has_focus
        assert [str(c.label) for c in tree.root.children] == [
            "Target options  --->",
            "Build options  --->",
            "System configuration  --->",
            "Target packages  --->",
            "External options  --->",
        ]
        assert "values: the merged configuration (no .config yet)" in str(screen.query_one("#kc-header").render())
        await pilot.press("down", "down", "down", "enter")  # open Target packages
        assert cursor_label(screen) == "Target packages  --->"
        await pilot.press("down", "down", "down")
        assert cursor_label(screen) == "[ ] python3  --->"
        assert "Prompt: python3" in str(screen.query_one("#kc-info-text").render())
        await pilot.press("space")
        assert cursor_label(screen).startswith("[*] python3")
        # the consequence (select) is shown, and the menuconfig symbol's submenu can now be opened
        labels = [str(c.label) for c in tree.cursor_node.parent.children]
        assert "-*- libffi" in labels
        assert "● 1 unsaved change" in str(screen.query_one("#kc-header").render())
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert delta_lines(kconfig_root) == ["BR2_PACKAGE_PYTHON3=y"]
        assert "no unsaved changes" in str(screen.query_one("#kc-header").render())
        assert not any((kconfig_root / "configs" / "tiny" / "board" / "buildroot").glob("zz-*"))
        # every action is in the command palette too
        commands = {c.title: c for c in app.palette_commands(screen)}
        assert {"Kconfig: Search", "Kconfig: Save", "Kconfig: Show all"} <= set(commands)
        commands["Kconfig: Show all"].callback()
        assert screen.model.show_all


async def test_search_jumps_to_symbol_and_turns_show_all_on_for_hidden_ones(make_app, settled):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_kconfig(app, pilot, settled)
        await pilot.press("slash")
        assert isinstance(app.screen, KconfigSearchModal)
        modal = app.screen
        modal.query_one("#kc-search-input").value = "host name"  # both terms must match
        await pilot.pause()
        assert [h.name for h in modal.hits] == ["BR2_TARGET_GENERIC_HOSTNAME"]
        assert "Menu path: (Top) → System configuration" in str(modal.query_one("#kc-search-info-text").render())
        await pilot.press("enter")
        assert app.screen is screen
        assert cursor_label(screen) == "(buildroot) System hostname"
        # python3's ssl option is hidden while python3 is n: jumping there switches show-all on
        await pilot.press("slash")
        app.screen.query_one("#kc-search-input").value = "python3_ssl"
        await pilot.press("enter")
        assert screen.model.show_all
        assert cursor_label(screen) == "[ ] ssl"
        assert "[show-all]" in str(screen.query_one("#kc-header").render())
        # a bad regex is reported in the dialog instead of results
        await pilot.press("slash", *"(py")
        assert "bad regular expression" in str(app.screen.query_one("#kc-search-status").render())
        await pilot.press("escape")
        assert app.screen is screen


async def test_int_value_dialog_checks_the_range(make_app, settled, kconfig_root):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_kconfig(app, pilot, settled)
        screen.jump_to(screen.model.find("BR2_JLEVEL"))
        await pilot.pause()
        assert cursor_label(screen).startswith("(2) Number of jobs")
        await pilot.press("enter")
        assert isinstance(app.screen, PromptModal)
        await pilot.press("end", "ctrl+u", "9", "9", "enter")
        assert "outside the allowed range 0-64" in str(app.screen.query_one("#prompt-error").render())
        await pilot.press("ctrl+u", "7", "enter")
        assert app.screen is screen
        assert cursor_label(screen).startswith("(7) Number of jobs")
        await pilot.press("C")  # show names
        assert "<BR2_JLEVEL>" in cursor_label(screen)
        await pilot.press("ctrl+s")
        assert delta_lines(kconfig_root) == ["BR2_JLEVEL=7"]


async def test_unsaved_changes_prompt_on_leave(make_app, settled, kconfig_root):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_kconfig(app, pilot, settled)
        screen.jump_to(screen.model.find("BR2_PACKAGE_BUSYBOX"))
        await pilot.press("space")
        assert screen.has_unsaved_changes()
        await pilot.press("escape")
        assert isinstance(app.screen, UnsavedChangesModal)
        await pilot.press("escape")  # stay
        assert app.screen is screen and screen.has_unsaved_changes()
        await pilot.press("escape", "d")  # discard, then leave
        await settled(app, pilot)
        assert app.current_mode == "packages"
        assert not delta_file(kconfig_root).exists()
        assert not screen.has_unsaved_changes()  # reloaded from disk
        await pilot.press("8")
        await settled(app, pilot)
        screen.jump_to(screen.model.find("BR2_PACKAGE_BUSYBOX"))
        await pilot.press("space", "escape", "s")  # save, then leave
        await settled(app, pilot)
        assert app.current_mode == "packages"
        assert delta_lines(kconfig_root) == ["# BR2_PACKAGE_BUSYBOX is not set"]


async def test_read_only_has_no_mutating_bindings_and_writes_nothing(make_app, settled, kconfig_root):
    app = make_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_kconfig(app, pilot, settled)
        bindings = shown_bindings(screen)
        assert "search" in bindings and "toggle_show_all" in bindings
        assert "save" not in bindings and "classic_menuconfig" not in bindings
        assert "activate('toggle')" not in bindings
        screen.jump_to(screen.model.find("BR2_PACKAGE_BUSYBOX"))
        await pilot.press("space", "y", "n", "ctrl+s")
        assert cursor_label(screen) == "[*] BusyBox"
        assert not screen.has_unsaved_changes()
        assert not delta_file(kconfig_root).exists()
        titles = [c.title for c in app.palette_commands(screen)]
        assert "Kconfig: Search" in titles and "Kconfig: Save" not in titles


async def test_kconfig_error_offers_make_menuconfig(make_app, settled, kconfig_tree, monkeypatch):
    (kconfig_tree / "system" / "Config.in").write_text('menu "System configuration"\nconfig BR2_X\n\tbogus\nendmenu\n')
    calls = []
    monkeypatch.setattr(
        kconfig_screen, "run_classic_menuconfig", lambda workspace, env: calls.append(workspace.name) or 0
    )
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_kconfig(app, pilot, settled)
        text = str(screen.query_one("#kc-error-text").render())
        assert f"{kconfig_tree / 'system' / 'Config.in'}:3" in text and "bogus" in text
        assert screen.query_one("#kc-error").display and not screen.query_one("#kc-body").display
        # headless: there is no terminal to hand over, which is said in a notification
        screen.query_one("#kc-classic").press()
        await pilot.pause()
        assert any("cannot run make menuconfig here" in n.message for n in app._notifications)
        assert calls == []
        monkeypatch.setattr(app, "suspend", contextlib.nullcontext)  # as if there were a terminal
        screen.query_one("#kc-classic").press()
        await settled(app, pilot)
        assert calls == ["default"]


async def test_no_chain_selected_is_shown_without_the_menuconfig_button(make_app, settled, monkeypatch):
    import os

    env = dict(os.environ)
    env.pop("SKIFF_CONFIG")
    app = make_app(env=env)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_kconfig(app, pilot, settled)
        assert "no configuration selected" in str(screen.query_one("#kc-error-text").render())
        assert not screen.query_one("#kc-classic").display
