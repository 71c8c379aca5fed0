"""Fixtures for the TUI tests: a small package tree in tmp_path (never the repo's configs/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from skiff_tui.core.workspace_state import WorkspaceState

# name -> (description, dependencies, extra files {relative path: text})
PACKAGES = {
    "core/base": (
        "Common base settings",
        "",
        {
            "buildroot/10-base": 'BR2_TARGET_GENERIC_HOSTNAME="skiff"\nBR2_PACKAGE_BUSYBOX=y\n',
            "busybox/10-shell": "CONFIG_ASH=y\n",
        },
    ),
    "board/alpha": (
        "Alpha demo board",
        "core/base",
        {
            "buildroot/10-board": 'BR2_aarch64=y\nBR2_TARGET_GENERIC_HOSTNAME="alpha"\n',
            "kernel/10-kernel": "CONFIG_USB=y\n# CONFIG_SOUND is not set\n",
            "metadata/commands": "format Format the SD card\ninstall Install the build\n",
            "extensions/Makefile": "format:\n\t@echo formatting\n",
        },
    ),
    "board/beta": (
        "Beta demo board",
        "core/base",
        {
            "buildroot/10-board": "BR2_arm=y\n",
        },
    ),
    "apps/web": (
        "Web server app",
        "apps/lib",
        {
            "buildroot/20-web": 'BR2_PACKAGE_NGINX=y\nBR2_TARGET_GENERIC_HOSTNAME="web"\n',
        },
    ),
    "apps/lib": (
        "Shared library for apps",
        "",
        {
            "buildroot/10-lib": "BR2_PACKAGE_ZLIB=y\n",
        },
    ),
    "apps/hidden": ("Hidden helper package", "", {"metadata/unlisted": ""}),
}


def write_package(configs: Path, name: str, description: str, deps: str, files: dict[str, str]) -> Path:
    pkg = configs / name
    (pkg / "metadata").mkdir(parents=True, exist_ok=True)
    (pkg / "metadata" / "description").write_text(description + "\n")
    if deps:
        (pkg / "metadata" / "dependencies").write_text(deps + "\n")
    for rel, text in files.items():
        path = pkg / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return pkg


def make_tree(root: Path) -> Path:
    configs = root / "configs"
    for name, (desc, deps, files) in PACKAGES.items():
        write_package(configs, name, desc, deps, files)
    (root / "workspaces").mkdir(parents=True, exist_ok=True)
    (configs / "base").mkdir()  # its own (empty) base layer: the library shipping with skiff stays out
    return root


@pytest.fixture
def skiff_root(tmp_path: Path) -> Path:
    return make_tree(tmp_path / "skiff")


@pytest.fixture
def skiff_env(skiff_root: Path, tmp_path: Path) -> dict[str, str]:
    return {
        "SKIFF_ROOT_DIR": str(skiff_root),
        "HOME": str(tmp_path / "home"),
        "SKIFF_CACHE_DIR": str(tmp_path / "cache"),
        "PATH": "/usr/bin:/bin",
    }


@pytest.fixture
def make_app(skiff_root: Path, skiff_env: dict[str, str]):
    from skiff_tui.ui.app import SkiffApp

    def make(**kwargs) -> SkiffApp:
        kwargs.setdefault("root", skiff_root)
        kwargs.setdefault("env", skiff_env)
        return SkiffApp(**kwargs)

    return make


async def _settle(app, pilot) -> None:
    """Let thread workers finish and their results render (Pilot's idle wait alone can miss a
    thread worker's result); results may start
    further workers (the index starts the Values merge), so repeat until none is left."""
    from textual.worker import WorkerFailed

    for _ in range(5):
        try:
            await app.workers.wait_for_complete()
        except WorkerFailed:
            pass  # the app reports worker errors itself; tests assert on what it shows
        await pilot.pause()
        if not any(w.is_running for w in app.workers):
            break


def _saved_selection(root: Path, workspace: str = "default") -> list[str] | None:
    """What the engine stored for the workspace, read back through the engine."""
    from skiff_tui.core.builds.configure import saved_selection as engine_saved
    from skiff_tui.core.workspace import Workspace

    return engine_saved(Workspace(root, workspace))


def _visible_packages(app) -> list[str]:
    tree = app.screen.query_one("#package-tree")
    return [leaf.data for ns in tree.root.children for leaf in ns.children]


@pytest.fixture
def settle():
    return _settle


@pytest.fixture
def engine_selection():
    return _saved_selection


@pytest.fixture
def visible_packages():
    return _visible_packages


FAKE_BUILDROOT_MAKEFILE = """\
# Test double for Buildroot's top-level Makefile (UI tests only): `defconfig` copies BR2_DEFCONFIG
# to O/.config the way Kconfig would for known symbols, and drops BR2_PACKAGE_NGINX as Kconfig does
# when a dependency of a symbol is missing, so "did not stick" can be shown.
defconfig:
\t@mkdir -p $(O)
\t@grep -v '^BR2_PACKAGE_NGINX=' $(BR2_DEFCONFIG) > $(O)/.config || true
\t@echo '# BR2_PACKAGE_NGINX is not set' >> $(O)/.config
"""


@pytest.fixture
def fake_buildroot(tmp_path: Path, skiff_env: dict[str, str]) -> Path:
    tree = tmp_path / "buildroot"
    (tree / "package").mkdir(parents=True)
    (tree / "Config.in").write_text('mainmenu "test double"\n')
    (tree / "Makefile").write_text(FAKE_BUILDROOT_MAKEFILE)
    skiff_env["SKIFF_BUILDROOT_SRC"] = str(tree)
    return tree


@pytest.fixture
def save_selection(skiff_root: Path):
    """Store a selection for a workspace through the engine, as an earlier session would have."""
    from skiff_tui.core.workspace import Workspace

    def save(names: list[str], workspace: str = "default", **extra) -> None:
        Workspace(skiff_root, workspace).save_state(WorkspaceState.from_dict({"selection": list(names), **extra}))

    return save


@pytest.fixture
def save_build_record(skiff_root: Path):
    """A finished build's record, written by the engine's BuildRecord (fixed times, UTC)."""
    from skiff_tui.core.builds.build import BuildRecord
    from skiff_tui.core.workspace import Workspace

    def save(workspace: str, status: str, started: float, ended: float) -> None:
        ws = Workspace(skiff_root, workspace)
        ws.logs_dir.mkdir(parents=True, exist_ok=True)
        rec = BuildRecord(
            id="20261126-050000-abcd",
            workspace=workspace,
            pid=None,
            command=["make"],
            target="all",
            chain=[],
            started=started,
            ended=ended,
            status=status,
            exit_code=0 if status == "succeeded" else 2,
            package=None,
            step=None,
            done=1,
            total=1,
            log_path=str(ws.logs_dir / "20261126-050000-abcd.log"),
            failure=None,
        )
        rec.save()

    return save
