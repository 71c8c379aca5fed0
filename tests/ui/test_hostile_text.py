"""User text is never markup: every screen, fed a tree whose package text, values, file names,
commands, YAML, Wi-Fi names and build logs are made of markup-like fragments (hypothesis), keeps
running and shows the text as it is (docs/tui.md, "User text is never markup").

Each example builds its own tree, starts the real app, visits one screen through the app's own
goto action and reads what the screen draws (the compositor's lines), not widget internals.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from skifftest import write_package

from skiff_tui.core import readonly
from skiff_tui.core.workspace_state import WorkspaceState

SIZE = (220, 60)
PKG = "aaa/hostile"  # sorts first: the Packages screen highlights it on start

MARKUP_BITS = [
    "[/]",
    "[b]",
    "[/b]",
    "[@click=app.quit]",
    "[link=http://x]",
    "[$x]",
    "[on red]",
    "[",
    "]",
    "[[",
    "[bold red]",
    "[/bold red]",
    "[reverse]",
    "[=]",
    "[dim",
    "\\[",
    "[i]x[/i]",
]
SAFE_CHARS = st.characters(min_codepoint=33, max_codepoint=126) | st.sampled_from("éß→✓ ")


def hostile(*, forbid: str = "", longest: int = 36) -> st.SearchStrategy[str]:
    """A short line of markup fragments and plain characters that holds at least one '['."""
    bits = [b for b in MARKUP_BITS if not any(c in b for c in forbid)]
    piece = st.sampled_from(bits) | st.text(SAFE_CHARS, min_size=1, max_size=4)
    return (
        st.lists(piece, min_size=1, max_size=5)
        .map("".join)
        .map(lambda s: "".join(c for c in s if c not in forbid).strip())
        .filter(lambda s: "[" in s and len(s) <= longest)
    )


@dataclass(frozen=True)
class Hostile:
    description: str  # package description (one line)
    command: str  # a package command's description
    value: str  # a Buildroot string value (short: the table cuts long ones)
    filename: str  # a file name in a package and in an override layer
    log: str  # a build log line, the build's target and next action
    yaml_key: str  # a container name in skiff-core.yaml


HOSTILE = st.builds(
    Hostile,
    description=hostile(),
    command=hostile(),
    value=hostile(forbid='"\\$', longest=24),
    filename=hostile(forbid="/\\"),
    log=hostile(),
    yaml_key=hostile(),
)
CLASSIC = Hostile(
    "desc [/] closes nothing",
    "cmd [b]bold?[/b] [/]",
    "v[/]x",
    "[@click=app.quit]f",
    "error: [$x] [/] failed",
    "[/]core",
)


def make_tree(root: Path, h: Hostile) -> dict[str, str]:
    configs = root / "configs"
    (configs / "base").mkdir(parents=True)  # a self-contained tree: no library base, few values
    write_package(configs, "core/base", description="plain base", files={"buildroot/10-base": "BR2_arm=y\n"})
    write_package(
        configs,
        PKG,
        description=h.description,
        deps="core/base",
        files={
            "buildroot/20-hostile": f'BR2_TARGET_GENERIC_ISSUE="{h.value}"\n',
            "metadata/commands": f"probe {h.command}\n",
            "extensions/Makefile": "probe:\n\t@echo probing\n",
            f"root_overlay/{h.filename}": "x\n",
        },
    )
    from skiff_tui.core.builds.build import BuildRecord
    from skiff_tui.core.builds.buildlog import BuildFailure
    from skiff_tui.core.editors import overrides as ov
    from skiff_tui.core.workspace import Workspace

    ws = Workspace(root, "default")
    ws.save_state(WorkspaceState.from_dict({"selection": [PKG]}))
    layer = ov.layer(root, ws, "workspace")
    (layer.path / "root_overlay").mkdir(parents=True, exist_ok=True)
    (layer.path / "root_overlay" / h.filename).write_text("x\n")
    from skiff_tui.core.config.coreyaml import LAYER_FILE

    (layer.path / LAYER_FILE).parent.mkdir(parents=True, exist_ok=True)
    (layer.path / LAYER_FILE).write_text(f"containers:\n  {json.dumps(h.yaml_key)}:\n    image: debian:bookworm\n")
    ws.logs_dir.mkdir(parents=True, exist_ok=True)
    log = ws.logs_dir / "20261126-050000-abcd.log"
    log.write_text(f">>> {PKG} 1.0 Building\n{h.log}\nmake: *** [x] Error 2\n")
    BuildRecord(
        id="20261126-050000-abcd",
        workspace="default",
        pid=None,
        command=["make", h.log],
        target=h.log,
        chain=[PKG],
        started=1.0e9,
        ended=1.0e9 + 5,
        status="failed",
        exit_code=2,
        package=PKG,
        step="build",
        done=0,
        total=1,
        log_path=str(log),
        failure=BuildFailure.from_dict(
            {"package": PKG, "step": "build", "lines": [h.log], "make_error": h.log, "next_actions": [h.log]}
        ),
    ).save()
    return {
        "SKIFF_ROOT_DIR": str(root),
        "HOME": str(root / "home"),
        "SKIFF_CACHE_DIR": str(root / "cache"),
        "PATH": "/usr/bin:/bin",
    }


def screen_text(app) -> str:
    """Every line the screen draws right now, as plain text."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


async def settle(app, pilot) -> None:
    """Until the app's workers are done; a DirectoryTree's loader lives as long as the tree and is
    not waited for (workers.wait_for_complete would wait for it forever)."""
    from textual.widgets import DirectoryTree

    idle = 0
    for _ in range(400):
        await pilot.pause(0.05)
        busy = any(w.is_running and not isinstance(w.node, DirectoryTree) for w in app.workers)
        idle = 0 if busy else idle + 1
        if idle >= 4:  # quiet for a while: results rendered, no follow-up worker started
            break
    await pilot.pause()


async def visit(mode: str, h: Hostile, check, *, read_only: bool = False) -> None:
    from skiff_tui.ui.app import SkiffApp

    readonly.set_read_only(False)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "skiff"
        env = make_tree(root, h)
        app = SkiffApp(root=root, env=env, read_only=read_only)
        async with app.run_test(size=SIZE) as pilot:
            await settle(app, pilot)
            await app.run_action(f"goto('{mode}')")
            await settle(app, pilot)
            assert app.current_mode == mode
            await check(app, pilot)
            assert app.is_running
            errors = [n.message for n in app._notifications if "internal error" in n.message or "Markup" in n.message]
            assert not errors, errors
    readonly.set_read_only(False)


def hostile_examples(test):
    """Every per-screen test: the classic '[/]' case and a few generated ones."""
    return settings(
        max_examples=3,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )(example(CLASSIC)(given(HOSTILE)(test)))


@hostile_examples
def test_packages_screen_and_palette_show_package_text_literally(h: Hostile):
    async def check(app, pilot):
        text = screen_text(app)
        assert h.description in text  # tree label and detail pane
        assert h.command in text  # the commands row of the detail pane
        await settle(app, pilot)
        assert h.filename in screen_text(app)  # the package's files
        await pilot.press("ctrl+p")
        await pilot.press(*"hostile")
        await pilot.pause(0.3)
        assert h.description in screen_text(app)  # the palette's help line of "Remove package …"
        await pilot.press("escape")

    asyncio.run(visit("packages", h, check))


@hostile_examples
def test_stack_screen_shows_descriptions_and_commands_literally(h: Hostile):
    async def check(app, pilot):
        text = screen_text(app)
        assert h.description in text
        assert h.command in text

    asyncio.run(visit("stack", h, check))


@hostile_examples
def test_values_screen_shows_values_literally(h: Hostile):
    async def check(app, pilot):
        assert h.value in screen_text(app)

    asyncio.run(visit("values", h, check))


@hostile_examples
def test_workspaces_screen_with_a_hand_edited_selection(h: Hostile):
    async def check(app, pilot):
        from skiff_tui.core.workspace import Workspace

        Workspace(app.root, "other").save_state(WorkspaceState.from_dict({"selection": [h.description]}))
        await app.screen.run_action("refresh")
        await settle(app, pilot)
        assert h.description in screen_text(app)

    asyncio.run(visit("workspaces", h, check))


@hostile_examples
def test_build_screen_shows_target_and_failure_lines_literally(h: Hostile):
    async def check(app, pilot):
        text = screen_text(app)
        assert f"· {h.log} · chain" in text  # the title names the target
        assert f"  {h.log}" in text  # the failure panel's log line

    asyncio.run(visit("build", h, check))


@hostile_examples
def test_logs_screen_and_log_view_show_log_text_literally(h: Hostile):
    async def check(app, pilot):
        assert h.log in screen_text(app)  # target column and failure in the detail
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.pause(0.3)
        assert h.log in screen_text(app)  # the log viewer and its title
        await pilot.press("slash")
        await pilot.press(*"[/]")
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.pause(0.7)  # the status line refreshes twice a second
        assert "/[/]" in screen_text(app)  # the status line names the search regex

    asyncio.run(visit("logs", h, check))


@hostile_examples
def test_overrides_screen_shows_file_names_literally(h: Hostile):
    async def check(app, pilot):
        app.screen.action_show_tab("files")
        await settle(app, pilot)
        tree = app.screen.query_one("#ov-files")
        tree.root.expand_all()
        await settle(app, pilot)
        await pilot.pause(0.3)
        assert h.filename in screen_text(app)

    asyncio.run(visit("overrides", h, check))


@hostile_examples
def test_coreyaml_screen_shows_yaml_names_literally(h: Hostile):
    async def check(app, pilot):
        await settle(app, pilot)
        assert h.yaml_key in screen_text(app)  # the outline lists the container

    asyncio.run(visit("coreyaml", h, check))


@pytest.mark.parametrize("mode", ["flash", "kconfig"])
def test_screens_without_package_text_still_run_in_a_hostile_tree(mode):
    async def check(app, pilot):
        assert app.screen.query("*")

    asyncio.run(visit(mode, CLASSIC, check))


@pytest.mark.parametrize("mode", ["packages", "stack", "values", "logs", "overrides", "coreyaml"])
def test_the_read_only_viewer_shows_hostile_text_literally_too(mode):
    """The SSH viewer (read-only) draws the same screens with fewer actions: same guarantee."""
    wanted = {
        "packages": CLASSIC.description,
        "stack": CLASSIC.description,
        "values": CLASSIC.value,
        "logs": CLASSIC.log,
        "overrides": "",
        "coreyaml": CLASSIC.yaml_key,
    }[mode]

    async def check(app, pilot):
        assert app.read_only
        assert wanted in screen_text(app)

    asyncio.run(visit(mode, CLASSIC, check, read_only=True))
