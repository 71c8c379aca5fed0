"""Failures of background work never freeze or end the app: the Kconfig load (RecursionError,
any other exception, a failure while filling the tree), another screen's worker and the app's own
load each give one line naming what failed, the details on F2 (scrollable, capped), and the app
stays usable. Input kconfiglib ignores or cannot read is named by file and line on the screen."""

from __future__ import annotations

from skiff_tui.ui import failures
from skiff_tui.ui.screens import kconfig as kconfig_screen
from skiff_tui.ui.screens.kconfig import KconfigScreen
from skiff_tui.ui.widgets.error_details import ErrorDetailsModal
from skiff_tui.ui.widgets.kconfig_tree import KconfigTree

SIZE = (120, 40)


async def open_kconfig(app, pilot, settled) -> KconfigScreen:
    await settled(app, pilot)
    await pilot.press("8")
    await settled(app, pilot)
    assert isinstance(app.screen, KconfigScreen), app.screen
    return app.screen


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector).render())


def recurse(n: int):
    return recurse(n + 1)


def deep_recursion_error() -> RecursionError:
    try:
        recurse(0)
    except RecursionError as exc:
        return exc
    raise AssertionError("no RecursionError")


async def test_a_recursion_error_in_the_load_is_one_line_with_capped_details(make_app, settled, monkeypatch):
    real_open = kconfig_screen.open_workspace

    def broken(*args, **kwargs):
        raise deep_recursion_error()

    monkeypatch.setattr(kconfig_screen, "open_workspace", broken)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_kconfig(app, pilot, settled)
        line = text_of(screen, "#kc-error-text")
        assert line == (
            "The Kconfig editor could not load: internal error: RecursionError: maximum recursion depth exceeded"
        )
        assert screen.query_one("#kc-details").display
        assert app.failures[-1].what == "Loading Buildroot's Kconfig"
        # details on request: a scrollable view of the traceback, capped
        screen.query_one("#kc-details").press()
        await pilot.pause()
        assert isinstance(app.screen, ErrorDetailsModal)
        details = str(app.screen.query_one("#error-details").render())
        assert "Traceback (most recent call last)" in details and "in recurse" in details
        assert len(app.failures[-1].details.splitlines()) <= failures.DETAIL_LINES + 1
        assert len(app.failures[-1].details.encode()) <= failures.DETAIL_BYTES + 100
        await pilot.press("escape")
        assert app.screen is screen
        # the app is still usable: another section, then back and retry with a working loader
        await pilot.press("1")
        await settled(app, pilot)
        assert app.current_mode == "packages"
        monkeypatch.setattr(kconfig_screen, "open_workspace", real_open)
        await pilot.press("8")
        screen.query_one("#kc-retry").press()
        await settled(app, pilot)
        assert screen.model is not None and screen.query_one("#kc-body").display


async def test_any_other_exception_in_the_load_and_f2_from_anywhere(make_app, settled, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("the first line\nand a second one")

    monkeypatch.setattr(kconfig_screen, "open_workspace", broken)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_kconfig(app, pilot, settled)
        assert text_of(screen, "#kc-error-text").endswith("internal error: ValueError: the first line")
        await pilot.press("1")
        await settled(app, pilot)
        await pilot.press("f2")  # F2 works on any screen
        assert isinstance(app.screen, ErrorDetailsModal)
        assert "and a second one" in str(app.screen.query_one("#error-details").render())
        await pilot.press("escape")
        assert app.current_mode == "packages"


async def test_a_failure_while_filling_the_tree_is_shown_in_place(make_app, settled, monkeypatch):
    def broken(self, model):
        raise RecursionError("maximum recursion depth exceeded while calling a Python object")

    monkeypatch.setattr(KconfigTree, "load", broken)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_kconfig(app, pilot, settled)
        assert "RecursionError: maximum recursion depth exceeded" in text_of(screen, "#kc-error-text")
        assert screen.session is None and app.is_running


async def test_other_workers_failures_reach_the_one_handler(make_app, settled, monkeypatch):
    """The app's own load (package library) and a screen's worker (Values) fail with a bug."""
    from skiff_tui.core.builds import configure
    from skiff_tui.core.library import packages

    real_discover = packages.discover

    def broken_discover(*args, **kwargs):
        raise KeyError("metadata")

    monkeypatch.setattr(packages, "discover", broken_discover)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(app, pilot)
        messages = [n.message for n in app._notifications]
        assert any(
            m.startswith("Reading the package library and the workspace failed: KeyError: 'metadata'")
            and m.endswith("(F2: details)")
            for m in messages
        ), messages
        assert not app.loading and app.is_running
    monkeypatch.setattr(packages, "discover", real_discover)
    monkeypatch.setattr(configure, "plan", lambda *a, **k: 1 / 0)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settled(app, pilot)
        await pilot.press("3")
        await settled(app, pilot)
        assert app.failures[-1].summary == "ZeroDivisionError: division by zero"
        assert sum("ZeroDivisionError" in n.message for n in app._notifications) == 1  # reported once
        await pilot.press("f2")
        assert "ZeroDivisionError" in str(app.screen.query_one("#error-details").render())


def test_cap_keeps_head_and_tail():
    text = "\n".join(f"line {i}" for i in range(1000))
    capped = failures.cap(text)
    rows = capped.splitlines()
    assert rows[0] == "line 0" and rows[-1] == "line 999" and len(rows) == failures.DETAIL_LINES + 1
    assert "800 lines left out" in capped
    wide = failures.cap("x" * 200_000)
    assert len(wide.encode()) < failures.DETAIL_BYTES + 100 and "bytes left out" in wide


# --- bad input -----------------------------------------------------------------------------
async def test_malformed_config_lines_are_named_by_file_and_line(make_app, settled, kconfig_root):
    config = kconfig_root / "workspaces" / "default" / ".config"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("BR2_arm=y\nBR2_JLEVEL=3\nthis is not kconfig\nBR2_PACKAGE_BUSYBOX=maybe\n")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_kconfig(app, pilot, settled)
        assert screen.query_one("#kc-body").display  # the rest loaded
        line = text_of(screen, "#kc-problems")
        assert line.startswith(
            f"⚠ ignored {config}:3: warning: ignoring malformed line 'this is not kconfig'"
        ) or line.startswith(f"⚠ ignored {config}:3: ignoring malformed line 'this is not kconfig'"), line
        assert line.endswith("(and 1 more line)")
        assert [(p.path, p.line) for p in screen.model.problems] == [(config, 3), (config, 4)]
        assert screen.model.kconf.syms["BR2_JLEVEL"].str_value == "3"


async def test_a_fragment_value_kconfig_refuses_names_the_fragment(make_app, settled, kconfig_root):
    fragment = kconfig_root / "configs" / "tiny" / "board" / "buildroot" / "10-board"
    fragment.write_text("BR2_arm=y\nBR2_JLEVEL=lots\n")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_kconfig(app, pilot, settled)
        line = text_of(screen, "#kc-problems")
        assert line.startswith(f"⚠ ignored {fragment}:2: the value 'lots' is invalid for BR2_JLEVEL"), line
        assert "\n" not in line


async def test_an_unreadable_config_is_one_line_with_file_and_line(make_app, settled, kconfig_root):
    config = kconfig_root / "workspaces" / "default" / ".config"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_bytes(b'BR2_arm=y\nBR2_JLEVEL=3\nBR2_TARGET_GENERIC_HOSTNAME="\xff\xfe"\n')
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_kconfig(app, pilot, settled)
        text = text_of(screen, "#kc-error-text")
        assert text == (
            f"The Kconfig editor could not load: {config}:3: not a text .config "
            "(bytes that are not UTF-8) (fix or remove that line (or the file) and reload)"
        ), text
        await pilot.press("1")
        await settled(app, pilot)
        assert app.current_mode == "packages"
