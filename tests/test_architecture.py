"""Project rules that a reviewer would otherwise have to remember."""

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import skiff_tui.core

CORE = Path(skiff_tui.core.__file__).parent
PACKAGE = CORE.parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


# The same rules as the import-linter contracts in pyproject.toml (`make lint`), checked here too
# so the suite enforces them where lint-imports is not installed.
UI_LIBRARIES = {"textual", "rich"}


def _relative_targets(path: Path, package: str) -> set[str]:
    """Absolute names of the skiff_tui modules `path` imports with relative imports."""
    parts = package.split(".")
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = parts[: len(parts) - node.level + 1]
            names.add(".".join([*base, *(node.module.split(".") if node.module else [])]))
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
    return names


def test_engine_never_imports_textual_or_rich_statically():
    offenders = [str(p.relative_to(CORE)) for p in CORE.rglob("*.py") if UI_LIBRARIES & _imports(p)]
    assert offenders == []


def test_cli_imports_the_ui_only_in_the_tui_verb():
    offenders = []
    for path in (PACKAGE / "cli").glob("*.py"):
        targets = _relative_targets(path, "skiff_tui.cli")
        if (
            any(
                t == "skiff_tui.ui" or t.startswith("skiff_tui.ui.") or t.split(".")[0] in UI_LIBRARIES for t in targets
            )
            and path.name != "tui_cmds.py"
        ):
            offenders.append(path.name)
    assert offenders == []


def test_importing_every_engine_module_loads_no_textual():
    modules = [m.name for m in pkgutil.walk_packages([str(CORE)], "skiff_tui.core.")]
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "assert not [m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')], 'textual/rich imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_no_shell_true_anywhere():
    hits = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.keyword) and node.arg == "shell" and getattr(node.value, "value", False) is True:
                hits.append(f"{path}:{node.lineno}")
    assert hits == []


def test_cli_startup_does_not_import_textual_or_pyudev():
    """`skiff list` must stay fast: heavy UI/device libraries load only for the verbs that use them."""
    code = (
        "import sys\nfrom skiff_tui.cli import build_parser\nbuild_parser()\n"
        "heavy = [m for m in sys.modules\n"
        "         if m.split('.')[0] in ('textual', 'pyudev', 'kconfiglib', 'yaml', 'asyncio')\n"
        "         or m in ('skiff_tui.core.flash.devices', 'skiff_tui.core.flash.execute')]\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_source_cites_only_documents_in_the_repository():
    """Comments and docstrings point at docs/ (e.g. docs/behaviour.md#sd-cards), never at the
    project's planning documents or issue numbers, which a reader of this repository can't open."""
    import re

    pattern = re.compile(r"SPEC §|SPEC's|DESIGN\.md|\bissue \d+|notes/[a-z-]+\.md|notes §")
    roots = [PACKAGE, PACKAGE.parent / "bench", PACKAGE.parent / "configs", PACKAGE.parent / "scripts"]
    hits = []
    for top in roots:
        for path in top.rglob("*"):
            if path.is_file() and path.suffix in (".py", ".sh", ".tcss", ".mk", "") and not path.is_symlink():
                try:
                    text = path.read_text()
                except (UnicodeDecodeError, OSError):
                    continue
                hits += [f"{path}:{n}" for n, line in enumerate(text.splitlines(), 1) if pattern.search(line)]
    assert hits == []
