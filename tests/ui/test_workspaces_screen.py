"""Workspaces screen: list with chain and status, switch, create (validated), delete (confirmed)."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Static

from skiff_tui.core.workspace import Workspace, list_workspaces
from skiff_tui.ui.widgets.dialogs import ConfirmModal, PromptModal

T_CONF = 1_795_000_000.0  # 2026-11-18 11:06 UTC
T_BUILD = 1_795_003_600.0  # an hour later


def _rows(app) -> list[list[str]]:
    table = app.screen.query_one("#workspaces-table", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def _open(app, pilot, settle):
    await settle(app, pilot)
    await pilot.press("4")
    await settle(app, pilot)
    assert app.screen.SECTION == "workspaces"


async def test_lists_every_workspace_with_chain_and_status(make_app, settle, save_selection, save_build_record):
    save_selection(["board/alpha"], chain=["core/base", "board/alpha"], configured_at=T_CONF)
    save_selection(["board/beta"], workspace="beta")
    save_build_record("default", "succeeded", T_BUILD - 600, T_BUILD)
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await _open(app, pilot, settle)
        rows = _rows(app)
        assert [r[1] for r in rows] == ["beta", "default"]
        assert rows[1] == [
            "▶",
            "default",
            "board/alpha  +1 dep",
            "2026-11-18 11:06 UTC",
            "succeeded 2026-11-18 12:06 UTC",
        ]
        assert rows[0][2:] == ["board/beta", "never", "never"]


async def test_switch_reloads_the_selection_of_the_other_workspace(make_app, settle, save_selection):
    save_selection(["board/alpha"])
    save_selection(["board/beta", "apps/web"], workspace="beta")
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await _open(app, pilot, settle)
        table = app.screen.query_one("#workspaces-table", DataTable)
        table.move_cursor(row=0)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.workspace.name == "beta"
        assert app.selection == ("board/beta", "apps/web")
        assert _rows(app)[0][0] == "▶"
        assert "workspace beta" in str(app.screen.query_one("#status").render())


async def test_create_checks_the_name_then_creates_and_switches(make_app, settle, skiff_root, engine_selection):
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await _open(app, pilot, settle)
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, PromptModal)
        await pilot.press(*"-bad", "enter")
        assert isinstance(app.screen, PromptModal)  # refused, dialog stays
        assert "invalid workspace name" in str(app.screen.query_one("#prompt-error", Static).render())
        app.screen.query_one(Input).value = "Pi4-Test"
        await pilot.press("enter")
        await settle(app, pilot)
        assert not isinstance(app.screen, PromptModal)
        assert app.workspace.name == "pi4-test"  # lower-cased by the engine's rule
        assert "pi4-test" in list_workspaces(skiff_root)
        assert engine_selection(skiff_root, "pi4-test") is None  # empty selection saved
        assert Workspace(skiff_root, "pi4-test").load_state().selection == []
        assert "pi4-test" in [r[1] for r in _rows(app)]


async def test_delete_asks_first_and_keeps_the_override_layer(make_app, settle, save_selection, skiff_root):
    save_selection(["board/alpha"])
    save_selection(["board/beta"], workspace="old")
    ws = Workspace(skiff_root, "old")
    (ws.dir / "build").mkdir(parents=True)
    ws.overrides_dir.mkdir(parents=True)
    (ws.overrides_dir / "keep-me").write_text("user data\n")
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await _open(app, pilot, settle)
        table = app.screen.query_one("#workspaces-table", DataTable)
        table.move_cursor(row=[r[1] for r in _rows(app)].index("old"))
        await pilot.press("ctrl+d")
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("escape")  # cancelled: nothing removed
        assert ws.final_dir.exists() and ws.dir.exists()
        await pilot.press("ctrl+d")
        await pilot.click("#confirm")
        await settle(app, pilot)
        assert not ws.dir.exists() and not ws.final_dir.exists()
        assert (ws.overrides_dir / "keep-me").read_text() == "user data\n"
        assert "old" not in list_workspaces(skiff_root)
        assert [r[1] for r in _rows(app)] == ["default"]
        # the current workspace cannot be deleted from under the session
        await pilot.press("ctrl+d")
        assert not isinstance(app.screen, ConfirmModal)


async def test_switch_leaves_screens_in_place_and_they_follow(make_app, settle, save_selection):
    """Every section follows the app's workspace: a switch rebuilds no screen, and the Build and
    Logs screens show the new workspace."""
    save_selection(["board/beta"], workspace="beta")
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        await pilot.press("5")  # Build, showing workspace 'default'
        await settle(app, pilot)
        first = app.screen
        assert "workspace default" in str(first.query_one("#build-title").render())
        await pilot.press("6")
        await settle(app, pilot)
        logs = app.screen
        await pilot.press("4")
        await settle(app, pilot)
        table = app.screen.query_one("#workspaces-table", DataTable)
        table.move_cursor(row=[r[1] for r in _rows(app)].index("beta"))
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("5")
        await settle(app, pilot)
        assert app.current_mode == "build"
        assert app.screen is first
        assert app.screen.workspace.name == "beta"
        assert "workspace beta" in str(app.screen.query_one("#build-title").render())
        await pilot.press("6")
        await settle(app, pilot)
        assert app.screen is logs
        assert "workspace beta" in str(logs.query_one("#logs-title").render())
