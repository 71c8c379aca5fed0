"""Command palette provider: every action of the app and of the current screen, in context.

The list comes from `SkiffApp.palette_commands(screen)`, which drops mutating commands in
read-only mode, so the palette and the bindings agree on what a session may do.
"""

from __future__ import annotations

from textual.command import DiscoveryHit, Hit, Hits, Provider


class SkiffCommands(Provider):
    def _commands(self):
        getter = getattr(self.app, "palette_commands", None)
        return list(getter(self.screen)) if getter else []

    async def discover(self) -> Hits:
        for cmd in self._commands():
            if cmd.discover:
                yield DiscoveryHit(cmd.title, cmd.callback, help=cmd.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for cmd in self._commands():
            score = matcher.match(cmd.title)
            if score > 0:
                yield Hit(score, matcher.highlight(cmd.title), cmd.callback, help=cmd.help)
