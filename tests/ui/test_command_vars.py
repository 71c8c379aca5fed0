"""Package commands get the variables they need (PI_SD, …) from a small form in the TUI, found by
asking make (a dry run stops at `skiff_need`'s "VAR is not set"); values are kept for the session."""

from __future__ import annotations

from textual.widgets import Input, Log, OptionList

from skifftest import write_package
from skiff_tui.ui.widgets.command_vars_form import CommandVariablesModal
from skiff_tui.core.session import Session

MAKEFILE = """\
skiff_need = $(if $(strip $($(1))),,$(error $(1) is not set: $(2)))
greet:
\t$(call skiff_need,GREET_NAME,say who to greet as GREET_NAME=someone)
\t$(call skiff_need,GREET_TIMES,say how often as GREET_TIMES=1)
\t@echo hello $(GREET_NAME) x$(GREET_TIMES)
plain:
\t@echo no variables needed
"""


def gamma(skiff_root):
    write_package(
        skiff_root / "configs",
        "board/gamma",
        description="Gamma board",
        deps="core/base",
        files={"metadata/commands": "greet Say hello\nplain Needs nothing\n", "extensions/Makefile": MAKEFILE},
    )


def test_engine_finds_each_needed_variable(skiff_root, skiff_env, fake_buildroot, save_selection):
    from skiff_tui.core.builds.command_vars import needed_variables
    from skiff_tui.core.library.packages import discover
    from skiff_tui.core.workspace import Workspace

    gamma(skiff_root)
    save_selection(["board/gamma"])
    index = discover(skiff_root / "configs", skiff_env)
    ws = Workspace(skiff_root, "default")
    needed = needed_variables(Session(skiff_root, skiff_env, ws, index), "board/gamma", "greet")
    assert [(v.name, v.help) for v in needed] == [
        ("GREET_NAME", "say who to greet as GREET_NAME=someone"),
        ("GREET_TIMES", "say how often as GREET_TIMES=1"),
    ]
    given = dict(skiff_env, GREET_NAME="x")  # set in the caller's environment: not asked
    assert [v.name for v in needed_variables(Session(skiff_root, given, ws, index), "board/gamma", "greet")] == [
        "GREET_TIMES"
    ]
    assert needed_variables(Session(skiff_root, skiff_env, ws, index), "board/gamma", "plain") == []


async def test_form_before_the_command_and_values_kept(make_app, settle, save_selection, skiff_root, fake_buildroot):
    gamma(skiff_root)
    save_selection(["board/gamma"])
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await pilot.pause()
        screen = app.screen
        lst = screen.query_one("#commands-list", OptionList)
        lst.focus()
        lst.highlighted = 0  # cmd/board/gamma/greet
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, CommandVariablesModal)
        assert "say who to greet as GREET_NAME=someone" in str(app.screen.query(".var-help").first().render())
        await pilot.press("escape")  # cancelled: nothing runs
        await pilot.pause()
        assert any("not run" in n.message for n in app._notifications)
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press(*"world", "enter")  # next field
        await pilot.press("enter")  # GREET_TIMES empty: refused, says which
        assert "GREET_TIMES: a value is needed" in str(app.screen.query_one("#vars-error").render())
        await pilot.press("3", "enter")
        await settle(app, pilot)
        await pilot.pause(0.3)
        log = screen.query_one("#command-log", Log)
        assert list(log.lines) == ["hello world x3"]
        # again: the form starts with this session's values
        lst.focus()
        await pilot.press("enter")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, CommandVariablesModal)
        assert [i.value for i in form.query(Input).results()] == ["world", "3"]
        await pilot.press("escape")
        lst.highlighted = 1  # plain: no form, runs at once
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.pause(0.3)
        assert not isinstance(app.screen, CommandVariablesModal)
        assert list(log.lines) == ["no variables needed"]
