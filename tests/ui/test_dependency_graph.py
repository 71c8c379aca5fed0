"""The selected chain's dependency graph (Stack screen, g): the engine's drawing, Pilot and a snapshot."""

from __future__ import annotations

from skiff_tui.core.library.depgraph import dependency_lines
from skiff_tui.core.library.packages import discover
from skiff_tui.ui.screens.dependency_graph import DependencyGraphScreen
from skiff_tui.ui.widgets.dependency_graph import DependencyGraph


def test_tree_of_the_selection_with_repeats_marked(skiff_root):
    index = discover(skiff_root / "configs", env={})
    lines = dependency_lines(index, ["board/alpha", "apps/web", "board/beta", "nope/missing"])
    assert [l.text for l in lines] == [
        "board/alpha",
        "└── core/base",
        "apps/web",
        "└── apps/lib",
        "board/beta",
        "└── core/base  (above)",
        "nope/missing  (unknown package)",
    ]
    assert [l.selected for l in lines] == [True, False, True, False, True, False, True]


async def test_stack_screen_g_shows_the_graph(make_app, settle, save_selection):
    save_selection(["board/alpha", "apps/web"])
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        await pilot.press("g")
        assert isinstance(app.screen, DependencyGraphScreen)
        text = str(app.screen.query_one(DependencyGraph).render())
        assert text.startswith("board/alpha\n└── core/base\napps/web\n└── apps/lib\n")
        await pilot.press("escape")
        assert app.screen.SECTION == "stack"
        assert any(c.title == "Stack: Graph" for c in app.palette_commands(app.screen))


def test_dependency_graph_snapshot(snap_compare, make_app, save_selection):
    save_selection(["board/alpha", "apps/web", "board/beta"])

    async def run_before(pilot):
        app = pilot.app
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("2")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("g")
        await pilot.pause()
        app.clear_notifications()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=(100, 20), run_before=run_before)
