"""What every screen may read of the app: its shared state (docs/architecture.md, "Screens and the app").

`SkiffApp` (app.py) is the one subclass; screens are typed against this class, so they read
`app.workspace`, `app.index`, `app.selection` … without importing app.py (which imports the
screens). Screens change nothing here: they post the requests of messages.py instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import App
from textual.reactive import reactive

from ..core.errors import SkiffError
from ..core.session import Session
from ..core.workspace import Workspace

if TYPE_CHECKING:
    from textual.screen import Screen

    from ..core.library.packages import PackageIndex
    from .buildruns import BuildRuns
    from .failures import Failure
    from .palette import PaletteCommand


class SkiffHost(App[None]):
    """The app's state as the screens see it; SkiffApp sets it and changes it."""

    workspace: reactive[Workspace] = reactive(Workspace(Path("."), "default"), init=False)
    index: reactive[PackageIndex | None] = reactive(None, init=False, always_update=True)
    selection: reactive[tuple[str, ...]] = reactive((), init=False)
    loading = reactive(True, init=False)
    builds_running = reactive(0, init=False, always_update=True)  # the status line's build mark

    root: Path
    env: dict[str, str]
    read_only: bool
    load_error: SkiffError | None
    failures: list[Failure]
    build_runs: BuildRuns
    command_variables: dict[str, str]  # package command variables given in forms this session

    @property
    def session(self) -> Session:
        """The engine session of the app's state (the index once loaded; else discovered on use)."""
        return Session(self.root, self.env, self.workspace, self.index)

    def palette_commands(self, screen: Screen[object]) -> list[PaletteCommand]:
        """Every command the palette offers on `screen` right now (SkiffApp builds them)."""
        return []

    def status_text(self) -> Text:
        """The status line under the navigation bar: workspace, selection, read-only, builds."""
        sel = ", ".join(self.selection) if self.selection else "nothing selected"
        text = Text.assemble("workspace ", (self.workspace.name, "bold"), f"  ·  selection: {sel}")
        if self.read_only:
            text.append("  ")
            text.append(" READ-ONLY ", style="bold reverse")
        if self.builds_running:
            from .build_announce import running_mark

            mark = running_mark(self.build_runs.active())
            if mark:
                text.append("  ")
                text.append(mark, style="bold reverse yellow")
        return text
