"""skiff-core.yaml screen, driven with Pilot inside the real app: starts from the chain's default,
validates while typing with line numbers, outline, jumps, saves the user's text as it is."""

from __future__ import annotations

import pytest
from skifftest import wait_until, write_package
from textual.widgets import OptionList, Tree

from skiff_tui.core.config.coreyaml import LAYER_FILE
from skiff_tui.core.workspace import Workspace
from skiff_tui.core.workspace_state import WorkspaceState
from skiff_tui.ui.screens.coreyaml import CoreYamlScreen
from skiff_tui.ui.widgets.dialogs import ConfirmModal, UnsavedChangesModal

SIZE = (120, 40)

SKIFF_CORE_DEFAULT = """\
# default of skiff/core
containers:
  core:
    image: skiffos/skiff-core-debian:latest   # the distro
users:
  core:
    container: core
"""

DEBIAN_DEFAULT = """\
# default of core/debian
containers:
  debian:
    image: debian:bookworm
    mounts:
      - /mnt:/mnt
users:
  core:
    container: debian
    auth:
      copyRootKeys: true
images:
  debian:bookworm:
    pull:
      pullPolicy: always
"""


@pytest.fixture
def cy_root(skiff_root, monkeypatch):
    configs = skiff_root / "configs"
    write_package(configs, "skiff/core", description="skiff-core", files={str(LAYER_FILE): SKIFF_CORE_DEFAULT})
    write_package(
        configs, "core/debian", description="Debian", deps="skiff/core", files={str(LAYER_FILE): DEBIAN_DEFAULT}
    )
    write_package(configs, "board/x", description="a board", files={"buildroot/1": "BR2_arm=y\n"})
    monkeypatch.setenv("SKIFF_CONFIG", "board/x,core/debian")
    return skiff_root


@pytest.fixture
def make_cy_app(cy_root):
    import os

    from skiff_tui.ui.app import SkiffApp

    def make(**kwargs):
        return SkiffApp(root=cy_root, env=dict(os.environ), **kwargs)

    return make


async def open_coreyaml(app, pilot) -> CoreYamlScreen:
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.press("0")
    await checked(app, pilot)
    assert isinstance(app.screen, CoreYamlScreen), app.screen
    screen = app.screen
    # The stack resolves in a worker: edits made before its text arrives would be replaced by it.
    await wait_until(pilot, lambda: screen.place is not None, "the file to load")
    return screen


async def checked(app, pilot) -> None:
    """Wait for the screen's workers (the place, then the check in a thread) and their results."""
    for _ in range(4):
        await app.workers.wait_for_complete()
        await pilot.pause()


def problem_texts(screen) -> list[str]:
    lst = screen.query_one("#cy-problems", OptionList)
    return [str(lst.get_option_at_index(i).prompt) for i in range(lst.option_count)]


def outline_labels(screen) -> list[str]:
    tree = screen.query_one("#cy-outline", Tree)
    return [str(n.label) for section in tree.root.children for n in [section, *section.children]]


async def test_starts_from_the_last_package_default_with_outline(make_cy_app, cy_root):
    app = make_cy_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_coreyaml(app, pilot)
        assert screen.editor.text == DEBIAN_DEFAULT
        assert screen.editor.language == "yaml"
        assert "started from core/debian's default" in str(screen.query_one("#cy-origin").render())
        assert problem_texts(screen) == []
        assert "No problems" in str(screen.query_one("#cy-status").render())
        assert outline_labels(screen) == [
            "containers (1)",
            "debian  → debian:bookworm",
            "users (1)",
            "core  → debian",
            "images (1)",
            "debian:bookworm  → pull",
        ]
        assert not screen.has_unsaved_changes()


async def test_invalid_yaml_shows_the_line_and_jumps_there(make_cy_app):
    app = make_cy_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_coreyaml(app, pilot)
        screen.editor.load_text("containers:\n  core:\n    image: [unclosed\nusers: {}\n")
        screen.validate_now()
        await checked(app, pilot)
        [problem] = problem_texts(screen)
        assert problem.startswith("line 4: YAML syntax error")
        lst = screen.query_one("#cy-problems", OptionList)
        lst.focus()
        lst.highlighted = 0
        await pilot.press("enter")
        assert app.focused is screen.editor and screen.editor.cursor_location[0] == 3
        assert "(read line by line: the YAML is broken)" in outline_labels(screen)


async def test_typing_validates_after_a_pause_and_flags_unknown_keys(make_cy_app):
    app = make_cy_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_coreyaml(app, pilot)
        editor = screen.editor
        editor.focus()
        editor.move_cursor((3, 0))
        screen.debounce = 0.0  # injected: no waiting on the clock
        editor.insert("    policy: always\n")
        await checked(app, pilot)
        [problem] = problem_texts(screen)
        assert problem.startswith("line 4: unknown container key 'policy'")
        await pilot.press("ctrl+home", "f8")  # next problem
        assert editor.cursor_location[0] == 3


async def test_typing_does_not_check_until_the_quiet_period_ends_but_f8_does(make_cy_app):
    app = make_cy_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_coreyaml(app, pilot)
        screen.debounce = 3600.0  # the quiet period never ends in this test
        editor = screen.editor
        editor.focus()
        editor.move_cursor((3, 0))
        editor.insert("    policy: always\n")
        await checked(app, pilot)
        assert problem_texts(screen) == [] and not screen.checked
        editor.move_cursor((0, 0))
        await pilot.press("f8")  # checks the pending text, then jumps
        await checked(app, pilot)
        assert screen.checked
        [problem] = problem_texts(screen)
        assert problem.startswith("line 4: unknown container key 'policy'")
        assert editor.cursor_location[0] == 3


async def test_save_keeps_the_text_and_comments(make_cy_app, cy_root):
    app = make_cy_app()
    target = cy_root / "overrides/workspaces/default" / LAYER_FILE
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_coreyaml(app, pilot)
        screen.editor.move_cursor((0, 0))
        screen.editor.insert("# my own setup  \n")
        assert screen.has_unsaved_changes()
        await pilot.press("ctrl+s")
        await checked(app, pilot)  # saving checks the text first, in a thread
        assert target.read_text() == "# my own setup  \n" + DEBIAN_DEFAULT
        assert not screen.has_unsaved_changes()
        # problems ask first; Cancel writes nothing
        screen.editor.load_text(DEBIAN_DEFAULT.replace("pullPolicy", "policy"))
        await pilot.press("ctrl+s")
        await checked(app, pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("escape")
        assert target.read_text().startswith("# my own setup")
        await pilot.press("ctrl+s")
        await checked(app, pilot)
        await pilot.press("y")
        assert "      policy: always" in target.read_text()
    # the next session starts from the user's copy
    app = make_cy_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_coreyaml(app, pilot)
        assert "policy: always" in screen.editor.text
        assert "started from your copy in this workspace" in str(screen.query_one("#cy-origin").render())


async def test_read_only_shows_but_does_not_save(make_cy_app, cy_root):
    app = make_cy_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_coreyaml(app, pilot)
        assert screen.editor.read_only and screen.editor.text == DEBIAN_DEFAULT
        shown = {b.action for _, b, enabled, _ in screen.active_bindings.values() if b.show and enabled}
        assert "save" not in shown and "next_problem" in shown
        await pilot.press("ctrl+s")
        assert not (cy_root / "overrides" / "workspaces").exists()
        assert [c.title for c in app.palette_commands(screen) if c.title.startswith("skiff-core.yaml:")] == [
            "skiff-core.yaml: Layer",
            "skiff-core.yaml: Next problem",
        ]


# --- unsaved edits are never lost silently (quit, workspace switch) ---


async def edit_then_leave_the_screen(app, pilot) -> CoreYamlScreen:
    screen = await open_coreyaml(app, pilot)
    screen.editor.move_cursor((0, 0))
    screen.editor.insert("# mine\n")
    assert screen.has_unsaved_changes()
    await pilot.press("alt+1")  # on another section: the edit is out of sight
    await pilot.pause()
    assert app.current_mode == "packages"
    return screen


async def test_quit_asks_about_unsaved_edits_of_a_hidden_screen(make_cy_app, cy_root):
    app = make_cy_app()
    target = cy_root / "overrides/workspaces/default" / LAYER_FILE
    async with app.run_test(size=SIZE) as pilot:
        screen = await edit_then_leave_the_screen(app, pilot)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, UnsavedChangesModal)
        assert "skiff-core.yaml has unsaved changes" in str(app.screen.query_one("#choice-question").render())
        asking = app.screen
        await pilot.press("ctrl+q")  # pressed again: still the one question
        await pilot.pause()
        assert app.screen is asking and len(app.screen_stack) == 2
        await pilot.press("escape")  # stay: nothing lost, still running
        await pilot.pause()
        assert app.is_running and screen.has_unsaved_changes() and not target.exists()
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("s")  # save, then quit
        await pilot.pause()
    assert target.read_text().startswith("# mine\n")
    assert app.return_code == 0


async def test_workspace_switch_asks_first_and_discard_switches(make_cy_app, cy_root):
    Workspace(cy_root, "other").save_state(WorkspaceState.from_dict({"selection": []}))
    app = make_cy_app()
    target = cy_root / "overrides/workspaces/default" / LAYER_FILE
    async with app.run_test(size=SIZE) as pilot:
        await edit_then_leave_the_screen(app, pilot)
        assert app.switch_workspace("other")
        await pilot.pause()
        assert isinstance(app.screen, UnsavedChangesModal)
        assert app.workspace.name == "default"  # not yet: the question comes first
        await pilot.press("escape")
        await pilot.pause()
        assert app.workspace.name == "default"
        app.switch_workspace("other")
        await pilot.pause()
        await pilot.press("d")  # discard
        await pilot.pause()
        assert app.workspace.name == "other"
        assert not target.exists()
        await app.workers.wait_for_complete()
        await pilot.press("alt+0")  # the editor was rebuilt for the new workspace
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, CoreYamlScreen) and not app.screen.has_unsaved_changes()
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert not app.is_running


async def test_resolving_the_stack_happens_off_the_ui_thread(make_cy_app, monkeypatch):
    """Opening skiff-core.yaml and Overrides resolves the stack (reads every package): in workers."""
    import threading

    from skiff_tui.core.editors import coreyaml_place as cyp
    from skiff_tui.core.editors import overrides as ov

    on_main = []
    for module, name in ((cyp, "coreyaml_place"), (ov, "effective_hostname")):
        real = getattr(module, name)

        def spy(*args, _real=real, _name=name, **kwargs):
            on_main.append((_name, threading.current_thread() is threading.main_thread()))
            return _real(*args, **kwargs)

        monkeypatch.setattr(module, name, spy)
    app = make_cy_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_coreyaml(app, pilot)
        assert screen.editor.text == DEBIAN_DEFAULT and not screen.editor.read_only
        await pilot.press("alt+9")  # the editor has the cursor: digits would type
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "The image's hostname now" in str(app.screen.query_one("#ov-host-effective").render())
        assert "reading the stack" not in str(app.screen.query_one("#ov-host-effective").render())
    assert sorted(on_main) == [("coreyaml_place", False), ("effective_hostname", False)]


async def test_a_huge_file_is_not_checked_while_typing_and_typing_stays_quick(make_cy_app, cy_root):
    """10 MB of YAML: typing never runs the check (over the live limit); F8 checks it in a thread."""
    import time

    big = cy_root / "overrides/workspaces/default" / LAYER_FILE
    big.parent.mkdir(parents=True)
    body = "".join(f"  c{i}:\n    image: debian:bookworm\n" for i in range(300_000))
    big.write_text("containers:\n" + body)
    assert big.stat().st_size > 10_000_000
    app = make_cy_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_coreyaml(app, pilot)
        screen.debounce = 0.0
        calls = []
        real = screen._check

        def counting(*args):
            calls.append(1)
            return real(*args)

        screen._check = counting
        editor = screen.editor
        editor.focus()
        started = time.monotonic()
        for ch in "# note":
            await pilot.press(ch if ch != " " else "space")
        await checked(app, pilot)
        took = time.monotonic() - started
        assert calls == []  # no live check above the limit
        assert "too large to check while typing" in str(screen.query_one("#cy-status").render())
        assert took / 6 < 10, took  # was 20-45 s per key on this machine
        await pilot.press("f8")
        assert calls == [1]


async def test_save_onto_a_directory_is_a_one_line_error_and_the_app_stays(make_cy_app, cy_root):
    target = cy_root / "overrides/workspaces/default" / LAYER_FILE
    app = make_cy_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_coreyaml(app, pilot)
        target.mkdir(parents=True)  # something made a directory of it meanwhile
        screen.editor.move_cursor((0, 0))
        screen.editor.insert("# mine\n")
        await pilot.press("ctrl+s")
        await checked(app, pilot)
        assert app.is_running and isinstance(app.screen, CoreYamlScreen)
        [note] = [n for n in app._notifications if n.severity == "error"]
        assert "\n" not in note.message and "skiff-core.yaml" in note.message
        assert screen.has_unsaved_changes() and target.is_dir()


async def test_focus_starts_in_the_editor_and_enter_keeps_the_indentation(make_cy_app):
    app = make_cy_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_coreyaml(app, pilot)
        assert app.focused is screen.editor  # typing edits the file, not the layer selector
        editor = screen.editor
        editor.load_text("containers:\n  core:\n    image: x\n")
        editor.move_cursor((1, 7))  # after "  core:"
        await pilot.press("enter")
        await pilot.press(*"mounts:")
        await pilot.press("enter")
        await pilot.press(*"- /a:/a")
        await pilot.press("enter")
        await pilot.press(*"- /b:/b")
        assert editor.text.splitlines()[:5] == [
            "containers:",
            "  core:",
            "    mounts:",
            "      - /a:/a",
            "      - /b:/b",
        ]


async def test_long_problem_messages_wrap_instead_of_being_cut(make_cy_app):
    app = make_cy_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_coreyaml(app, pilot)
        screen.editor.load_text(
            "containers:\n  core:\n    image: x\n    thisisaveryveryverylongunknownkeyname_end: 1\n"
        )
        screen.validate_now()
        await checked(app, pilot)
        [problem] = problem_texts(screen)
        shown = "".join(strip.text.strip() for strip in app.screen._compositor.render_strips())
        last_word = problem.split()[-1]
        assert len(problem) > 50 and last_word in shown, (problem, shown)
