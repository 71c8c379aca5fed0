"""Which packages took a build's time: horizontal bars of the top N packages from Buildroot's
build-time.log (`core.builds.build.record_durations`), as wide as the widget."""

from __future__ import annotations

from rich.console import RenderableType
from rich.text import Text
from textual.widget import Widget

EIGHTHS = " ▏▎▍▌▋▊▉"


def duration_text(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


def bar(fraction: float, width: int) -> str:
    """A bar `fraction` of `width` cells long, in eighths of a cell."""
    eighths = max(0, round(fraction * width * 8))
    full, part = divmod(eighths, 8)
    return "█" * full + (EIGHTHS[part] if part else "")


def top(durations: dict[str, float], n: int) -> tuple[list[tuple[str, float]], float, int]:
    """(the n longest packages, longest first; seconds of the rest; how many the rest are)."""
    ranked = sorted(durations.items(), key=lambda kv: (-kv[1], kv[0]))
    rest = ranked[n:]
    return ranked[:n], sum(v for _k, v in rest), len(rest)


class BuildTimeChart(Widget):
    """`show(durations)`: package -> seconds; the `limit` longest as bars."""

    DEFAULT_CSS = """
    BuildTimeChart { height: auto; padding: 0 1; }
    """

    def __init__(self, durations: dict[str, float] | None = None, *, limit: int = 20, id: str | None = None) -> None:
        super().__init__(id=id)
        self.durations = dict(durations or {})
        self.limit = limit

    def show(self, durations: dict[str, float]) -> None:
        self.durations = dict(durations)
        self.refresh(layout=True)

    def get_content_height(self, container, viewport, width: int) -> int:
        shown, _rest, more = top(self.durations, self.limit)
        return max(1, len(shown)) + 2 + (1 if more else 0)

    def render(self) -> RenderableType:
        if not self.durations:
            return Text(
                "No package times for this build (Buildroot writes build/build-time.log as "
                "packages finish their steps).",
                style="dim",
            )
        shown, rest, more = top(self.durations, self.limit)
        total = sum(self.durations.values())
        width = max(30, self.content_region.width or 80)
        name_w = min(28, max(len(name) for name, _ in shown))
        bar_w = max(5, width - name_w - 8 - 6 - 3)
        longest = shown[0][1] or 1.0
        out = Text()
        out.append(
            f"Time per package: {duration_text(total)} over {len(self.durations)} packages "
            f"(the {len(shown)} longest)\n",
            style="bold",
        )
        for name, secs in shown:
            out.append(f"{name[:name_w]:<{name_w}} ")
            out.append(f"{bar(secs / longest, bar_w):<{bar_w}}", style="cyan")
            share = secs / total if total else 0
            out.append(f" {duration_text(secs):>7} {share:>5.0%}\n", style="")
        if more:
            out.append(f"{more} more packages: {duration_text(rest)} together\n", style="dim")
        return out
