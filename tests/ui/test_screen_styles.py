"""Screens are styled in the app stylesheet, skiff.tcss; DEFAULT_CSS is for reusable widgets
(docs/architecture.md, Conventions)."""

from __future__ import annotations

import ast
from pathlib import Path

import skiff_tui.ui.screens

SCREENS = Path(skiff_tui.ui.screens.__file__).parent


def test_no_screen_module_carries_default_css():
    found = []
    for path in sorted(SCREENS.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ClassDef):
                for stmt in node.body:
                    targets = stmt.targets if isinstance(stmt, ast.Assign) else []
                    if isinstance(stmt, ast.AnnAssign):
                        targets = [stmt.target]
                    if any(isinstance(t, ast.Name) and t.id == "DEFAULT_CSS" for t in targets):
                        found.append(f"{path.name}:{stmt.lineno} {node.name}")
    assert found == [], f"move these rules into skiff_tui/ui/skiff.tcss: {found}"
