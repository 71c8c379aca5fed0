"""Command palette provider: the one source of the palette's entries (skiff offers no other).

The list comes from `SkiffApp.palette_commands(screen)`: the active bindings plus a few commands
with no key (ui/palette.py), without those refused in read-only mode, so the palette and the
bindings agree on what a session may do. Titles and help carry package names and descriptions:
they go to the palette as Content, never as markup.
"""

from __future__ import annotations

from textual.command import DiscoveryHit, Hit, Hits, Matcher, Provider
from textual.content import Content

from .host import SkiffHost
from .palette import PaletteCommand


def highlighted(matcher: Matcher, title: str) -> Content:
    """The title as plain text with the fuzzy match's letters styled (Matcher.highlight would
    parse the title as markup)."""
    content = Content(title)
    _score, offsets = matcher.fuzzy_search.match(matcher.query, title)
    for offset in offsets:
        if not title[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


class SkiffCommands(Provider):
    def _commands(self) -> list[PaletteCommand]:
        app = self.app
        return app.palette_commands(self.screen) if isinstance(app, SkiffHost) else []

    async def discover(self) -> Hits:
        for cmd in self._commands():
            if cmd.discover:
                yield DiscoveryHit(
                    Content(cmd.title),
                    cmd.callback,
                    text=cmd.title,
                    # Content, not str: shown as given, never parsed as markup
                    help=Content(cmd.help) if cmd.help else None,  # type: ignore[arg-type]
                )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for cmd in self._commands():
            score = matcher.match(cmd.title)
            if score > 0:
                yield Hit(
                    score,
                    highlighted(matcher, cmd.title),
                    cmd.callback,
                    text=cmd.title,
                    help=Content(cmd.help) if cmd.help else None,  # type: ignore[arg-type]
                )
