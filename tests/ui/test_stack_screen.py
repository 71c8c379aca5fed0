"""Stack screen: order, removal, resolution errors in place, Configure through the engine."""

from __future__ import annotations

from textual.widgets import DataTable, OptionList, Static

from skifftest import wait_until, write_package


def _selection_names(app) -> list[str]:
    lst = app.screen.query_one("#selection-list", OptionList)
    return [lst.get_option_at_index(i).id for i in range(lst.option_count)]


def _chain_rows(app) -> list[tuple[str, str]]:
    table = app.screen.query_one("#chain-table", DataTable)
    return [(str(table.get_row_at(i)[1]), str(table.get_row_at(i)[2])) for i in range(table.row_count)]


async def test_chain_marks_dependencies_with_the_package_that_pulled_them(make_app, settle, save_selection):
    save_selection(["board/alpha", "apps/web"])
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await pilot.pause()
        assert app.screen.SECTION == "stack"
        assert _selection_names(app) == ["board/alpha", "apps/web"]
        assert _chain_rows(app) == [
            ("core/base", "needed by board/alpha"),
            ("board/alpha", "selected"),
            ("apps/lib", "needed by apps/web"),
            ("apps/web", "selected"),
        ]
        assert "4 packages in the chain, 2 added" in str(app.screen.query_one("#stack-messages").render())


async def test_reorder_and_remove_are_saved_by_the_engine(
    make_app, settle, save_selection, engine_selection, skiff_root
):
    save_selection(["board/alpha", "apps/web", "board/beta"])
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await pilot.pause()
        lst = app.screen.query_one("#selection-list", OptionList)
        lst.focus()
        lst.highlighted = 2
        await pilot.press("shift+up")
        assert engine_selection(skiff_root) == ["board/alpha", "board/beta", "apps/web"]
        assert _selection_names(app) == ["board/alpha", "board/beta", "apps/web"]
        assert lst.highlighted == 1
        await pilot.press("shift+up")
        assert engine_selection(skiff_root) == ["board/beta", "board/alpha", "apps/web"]
        await pilot.press("shift+up")  # already first: nothing changes
        assert engine_selection(skiff_root) == ["board/beta", "board/alpha", "apps/web"]
        await pilot.press("shift+down")
        assert engine_selection(skiff_root) == ["board/alpha", "board/beta", "apps/web"]
        await pilot.press("d")
        assert engine_selection(skiff_root) == ["board/alpha", "apps/web"]
        assert [r[0] for r in _chain_rows(app)] == ["core/base", "board/alpha", "apps/lib", "apps/web"]


async def test_unknown_package_in_saved_selection_is_shown_in_place(make_app, settle, save_selection):
    save_selection(["board/alpha", "board/gamma"])
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await pilot.pause()
        messages = app.screen.query_one("#stack-messages", Static)
        text = str(messages.render())
        assert "unknown package 'board/gamma'" in text and "did you mean" in text
        assert messages.has_class("-error")
        assert _chain_rows(app) == []
        lst = app.screen.query_one("#selection-list", OptionList)
        assert "unknown package" in str(lst.get_option_at_index(1).prompt)
        # Configure refuses with the same message instead of running
        await pilot.press("c")
        await settle(app, pilot)
        assert app.screen.query_one("#configure-result").has_class("-hidden")
        assert any("board/gamma" in n.message for n in app._notifications)


async def test_dependency_cycle_is_shown_in_place(make_app, settle, save_selection, skiff_root):
    write_package(skiff_root / "configs", "loop/a", description="Cycle A", deps="loop/b")
    write_package(skiff_root / "configs", "loop/b", description="Cycle B", deps="loop/a")
    save_selection(["loop/a"])
    app = make_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await pilot.pause()
        text = str(app.screen.query_one("#stack-messages").render())
        assert "dependency cycle: loop/a -> loop/b -> loop/a" in text


async def test_configure_runs_in_a_worker_and_shows_overrides_and_values_that_did_not_stick(
    make_app, settle, save_selection, fake_buildroot, skiff_root
):
    from skiff_tui.core.workspace import Workspace

    from textual.worker import Worker, WorkerState

    save_selection(["board/alpha", "apps/web"])
    app = make_app()
    states = []

    def hook(message) -> None:  # Harlequin-style: assert on the messages the app saw
        if isinstance(message, Worker.StateChanged) and message.worker.group == "configure":
            states.append(message.state)

    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await pilot.pause()
        await pilot.press("c")
        await settle(app, pilot)
        assert states[-1] == WorkerState.SUCCESS and WorkerState.RUNNING in states
        assert WorkerState.ERROR not in states
        body = str(app.screen.query_one("#configure-body", Static).render())
        assert "Configured workspace default" in body
        # hostname: core/base says skiff, board/alpha alpha, apps/web web (last wins)
        assert 'BR2_TARGET_GENERIC_HOSTNAME = "web"  from apps/web (buildroot/20-web:2)' in body
        assert 'overrides "alpha" from board/alpha (buildroot/10-board:2)' in body
        assert 'overrides "skiff" from core/base (buildroot/10-base:1)' in body
        assert "BR2_PACKAGE_NGINX requested y by apps/web (buildroot/20-web:1); Buildroot gives n / unset" in body
        assert str(skiff_root) not in body  # paths are shown relative to their layer
    state = Workspace(skiff_root, "default").load_state()
    assert state.chain == ["core/base", "board/alpha", "apps/lib", "apps/web"]
    assert (skiff_root / "workspaces" / "default" / ".config").is_file()


async def test_configure_failures_show_a_modal_and_the_message_in_place(
    make_app, settle, save_selection, fake_buildroot, skiff_root
):
    from skiff_tui.core.workspace import Workspace
    from skiff_tui.ui.widgets.dialogs import ErrorModal

    save_selection(["board/alpha"])
    (fake_buildroot / "Makefile").write_text("defconfig:\n\t@echo 'Config.in:3: syntax error'; exit 2\n")
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("2", "c")
        await settle(app, pilot)
        assert isinstance(app.screen, ErrorModal)
        message = str(app.screen.query_one("#error-message").render())
        assert "Buildroot defconfig failed (exit 2)" in message and "Config.in:3: syntax error" in message
        await pilot.press("escape")
        assert "Configure failed" in str(app.screen.query_one("#configure-body").render())
        # another process modifying the workspace: refused with who holds it
        lock = Workspace(skiff_root, "default").lock("skiff compile (test)").acquire()
        try:
            await pilot.press("c")
            await settle(app, pilot)
            assert isinstance(app.screen, ErrorModal)
            message = str(app.screen.query_one("#error-message").render())
            assert "is being modified by pid" in message and "skiff compile (test)" in message
        finally:
            lock.release()
    assert not (skiff_root / "workspaces" / "default" / ".config").exists()


async def test_package_commands_stream_here_or_take_the_terminal(
    make_app, settle, save_selection, skiff_root, fake_buildroot, monkeypatch
):
    from contextlib import nullcontext

    from textual.widgets import Log

    import skiff_tui.core.builds.commands as engine_commands

    write_package(
        skiff_root / "configs",
        "board/gamma",
        description="Gamma board",
        deps="core/base",
        files={
            "metadata/commands": "buildimage Write a disk image\nformat Format the SD card\n",
            "extensions/Makefile": "buildimage:\n\t@echo image for $(SKIFF_CURRENT_CONF_NAME)\n\t@echo done\n"
            "format:\n\t@echo never here\n",
        },
    )
    save_selection(["board/gamma"])
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await pilot.pause()
        screen = app.screen
        lst = screen.query_one("#commands-list", OptionList)
        labels = [str(lst.get_option_at_index(i).prompt) for i in range(lst.option_count)]
        assert labels[0].startswith("cmd/board/gamma/buildimage") and "terminal" not in labels[0]
        assert "Write a disk image" in labels[0]
        assert labels[1].startswith("cmd/board/gamma/format  ⏎ terminal")
        assert "⏎ terminal: format, install, run, exec, flashusb" in str(screen.query_one("#commands-rule").render())
        # buildimage: output in the log pane, exit status in the title
        lst.focus()
        lst.highlighted = 0
        await pilot.press("enter")
        log = screen.query_one("#command-log", Log)
        await wait_until(
            pilot, lambda: "exited" in str(screen.query_one("#command-title").render()), "the command to finish"
        )
        await wait_until(pilot, lambda: len(log.lines) == 2, "the command's output")
        assert list(log.lines) == ["image for board/gamma", "done"]
        assert "exited with 0" in str(screen.query_one("#command-title").render())
        # format: hands over the terminal (suspend) and runs the engine's run_command there
        ran = []
        monkeypatch.setattr(app, "suspend", lambda: nullcontext())
        monkeypatch.setattr(engine_commands, "run_command", lambda session, pkg, cmd: ran.append((pkg, cmd)) or 3)
        lst.highlighted = 1
        await pilot.press("exclamation_mark")
        await pilot.pause()
        assert ran == [("board/gamma", "format")]
        assert any("cmd/board/gamma/format exited with 3" in n.message for n in app._notifications)
        # the palette offers both, saying where each runs
        titles = {c.title: c.help for c in app.palette_commands(screen)}
        assert "output on the Stack screen" in titles["Run cmd/board/gamma/buildimage"]
        assert "on the terminal" in titles["Run cmd/board/gamma/format"]


async def test_package_commands_are_absent_in_read_only_mode(make_app, settle, save_selection):
    save_selection(["board/alpha"])
    app = make_app(read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await pilot.pause()
        assert not app.screen.query("#commands-list")
        assert "run_command" not in {b.binding.action for b in app.screen.active_bindings.values()}
        assert not [c for c in app.palette_commands(app.screen) if c.title.startswith("Run cmd/")]
