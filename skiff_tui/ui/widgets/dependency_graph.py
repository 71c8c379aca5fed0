"""The selected chain's dependency graph as a text tree (`core.library.depgraph`): selected packages in
bold green, pulled-in dependencies in cyan, a package drawn earlier dimmed and not repeated."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text
from textual.widget import Widget

from ...core.library.depgraph import GraphLine


class DependencyGraph(Widget):
    DEFAULT_CSS = """
    DependencyGraph { height: auto; padding: 0 1; }
    """

    def __init__(self, lines: list[GraphLine] | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines = list(lines or [])

    def show(self, lines: list[GraphLine]) -> None:
        self.lines = list(lines)
        self.refresh(layout=True)

    def get_content_height(self, container, viewport, width: int) -> int:
        return max(1, len(self.lines) + 2)

    def render(self) -> RenderableType:
        if not self.lines:
            return Text("Nothing selected: add packages on the Packages screen (1).", style="dim")
        out = Text()
        for line in self.lines:
            out.append(line.prefix, style="dim")
            if line.missing:
                out.append(line.name + "  (unknown package)", style="bold red")
            elif line.repeat:
                out.append(line.name + "  (above)", style="dim")
            else:
                out.append(line.name, style="bold green" if line.selected else "cyan")
            out.append("\n")
        out.append(
            "bold green: selected  ·  cyan: pulled in as a dependency  ·  (above): drawn earlier", style="dim italic"
        )
        return out
