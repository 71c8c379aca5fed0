"""The first Buildroot fetch shows git's progress (`git clone --progress`), parsed into events:
for the CLI's bar, the TUI's Build screen and the log lines of a non-terminal run."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import pytest

from skiff_tui.core.builds import buildroot, gitprogress
from skiff_tui.core.errors import BuildrootError
from skiff_tui.core.workspace_state import WorkspaceState


def mirror(tmp_path: Path, files: int = 40) -> Path:
    """A git repository tagged like the pinned release (its commit is not Buildroot's)."""
    repo = tmp_path / "mirror"
    (repo / "package").mkdir(parents=True)
    (repo / "Config.in").write_text("")
    (repo / "Makefile").write_text("export BR2_VERSION := 2026.02.3\n")
    for i in range(files):
        (repo / "package" / f"p{i}.mk").write_bytes(os.urandom(2048))
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "not buildroot"], check=True)
    subprocess.run([*git, "tag", buildroot.VERSION], check=True)
    return repo


def test_parse_git_progress_lines():
    p = gitprogress.parse("Receiving objects:  45% (1234/2741), 3.20 MiB | 1.10 MiB/s")
    assert (p.phase, p.percent, p.done, p.total, p.detail) == (
        "Receiving objects",
        45,
        1234,
        2741,
        "3.20 MiB | 1.10 MiB/s",
    )
    p = gitprogress.parse("remote: Counting objects: 100% (9/9), done.")
    assert (p.phase, p.percent, p.detail) == ("Counting objects", 100, "")
    assert gitprogress.parse("Cloning into '/tmp/x'...") is None
    assert gitprogress.parse("fatal: repository not found") is None


def test_real_clone_reports_progress(tmp_path):
    repo = mirror(tmp_path)
    events: list[gitprogress.GitProgress] = []
    code, other = gitprogress.run(
        ["git", "clone", "--progress", "--depth", "1", f"file://{repo}", str(tmp_path / "clone")], events.append
    )
    assert code == 0, other
    receiving = [e for e in events if e.phase == "Receiving objects"]
    assert receiving and receiving[-1].percent == 100 and receiving[-1].done == receiving[-1].total
    assert any(line.startswith("Cloning into") for line in other)


def test_obtain_reports_progress_then_verifies_the_commit(tmp_path):
    repo = mirror(tmp_path)
    env = {"SKIFF_CACHE_DIR": str(tmp_path / "cache"), "SKIFF_BUILDROOT_GIT_URL": f"file://{repo}"}
    events = []
    with pytest.raises(BuildrootError, match="refusing it"):
        buildroot.obtain(env, log=lambda m: None, progress=events.append)
    assert any(e.phase == "Receiving objects" and e.percent == 100 for e in events)
    lines: list[str] = []  # without a progress callback: a few log lines
    with pytest.raises(BuildrootError):
        buildroot.obtain(env, log=lines.append)
    fetch_lines = [ln for ln in lines if ln.startswith("skiff: fetching Buildroot: ")]
    assert any("Receiving objects: 100%" in ln for ln in fetch_lines) and len(fetch_lines) < 20


def test_cli_progress_bar_on_a_terminal():
    from skiff_tui.cli.build_cmds import fetch_progress_bar

    class Tty(io.StringIO):
        def isatty(self):
            return True

    out = Tty()
    show = fetch_progress_bar(out, width=10)
    show(gitprogress.parse("Receiving objects:  50% (5/10), 1.00 MiB | 2.00 MiB/s"))
    show(gitprogress.parse("Receiving objects: 100% (10/10), 2.00 MiB | 2.00 MiB/s"))
    show(gitprogress.parse("Resolving deltas: 100% (3/3)"))
    text = out.getvalue()
    assert "\rskiff: fetching Buildroot [#####-----] Receiving objects: 50% (5/10)" in text
    assert "[##########] Resolving deltas: 100% (3/3)" in text
    assert fetch_progress_bar(io.StringIO()) is None


async def test_tui_build_shows_the_fetch_progress(tmp_path, monkeypatch):
    from skiff_tui.core.builds.buildroot import missing_host_tools
    from skiff_tui.core.workspace import Workspace
    from skiff_tui.ui.app import SkiffApp
    from tests.ui.conftest import make_tree

    if missing_host_tools("/usr/bin:/bin"):
        pytest.skip(f"host tools missing for the build's first check: {missing_host_tools('/usr/bin:/bin')}")
    root = make_tree(tmp_path / "skiff")
    Workspace(root, "default").save_state(WorkspaceState.from_dict({"selection": ["board/alpha"]}))
    repo = mirror(tmp_path)
    env = {
        "SKIFF_ROOT_DIR": str(root),
        "HOME": str(tmp_path / "home"),
        "SKIFF_CACHE_DIR": str(tmp_path / "cache"),
        "PATH": "/usr/bin:/bin",
        "SKIFF_BUILDROOT_GIT_URL": f"file://{repo}",
    }
    app = SkiffApp(root=root, env=env)
    async with app.run_test(size=(120, 36)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("5")
        await pilot.pause()
        screen = app.screen
        shown: list[tuple[str, float | None]] = []
        original = screen.show_fetch_progress

        def spy(progress) -> None:
            original(progress)
            shown.append((str(screen.query_one("#build-info").render()), screen.query_one("#build-progress").progress))

        screen.show_fetch_progress = spy
        await pilot.press("s")
        for _ in range(200):
            if any("refusing it" in n.message for n in app._notifications):
                break
            await pilot.pause(0.05)
        assert any(
            info.startswith("fetching Buildroot (once): Receiving objects: 100%") and progress == 100
            for info, progress in shown
        ), shown
