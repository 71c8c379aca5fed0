"""Finding a package by what users type: ranked matches over names, aliases and descriptions.

A query is space-separated terms; a package matches when every term occurs in its name, its
aliases (`metadata/aliases`) or its description. Matches are ranked (docs/packages.md):

  0. exact: the query is the package's name or one of its aliases, ignoring case, spaces and
     the `/`, `-`, `_` separators ("pi 4" and "PI/4" are pi/4, "rpi4" is an alias of it), or
     every term is the namespace or the name itself;
  1. name: every term occurs in the name or an alias;
  2. description: some term only occurs in the description.

Ties go to the package where more terms equal a part of the name, then by name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

_SEPARATORS = re.compile(r"[\s/_-]+")

EXACT, NAME, DESCRIPTION = 0, 1, 2


def compact(text: str) -> str:
    """Lower case without spaces and name separators: what "the same name" compares."""
    return _SEPARATORS.sub("", text.lower())


class Searchable(Protocol):
    """What the search reads of a package (`aliases` is optional)."""

    @property
    def name(self) -> str: ...
    @property
    def description(self) -> str | None: ...


@dataclass(frozen=True)
class _Entry:
    name: str
    parts: tuple[str, str]  # namespace, short name (lower case)
    names: str  # name and aliases, lower case, one string
    everything: str  # names and description
    exact: frozenset[str]  # compacted name and aliases


def _entry(pkg: Searchable) -> _Entry:
    aliases = tuple(a.lower() for a in getattr(pkg, "aliases", ()) or ())
    name = pkg.name.lower()
    namespace, _, short = name.partition("/")
    names = " ".join((name, *aliases))
    return _Entry(
        pkg.name,
        (namespace, short),
        names,
        f"{names} {(pkg.description or '').lower()}",
        frozenset(compact(n) for n in (name, *aliases)),
    )


class PackageSearch:
    """Ranked search over a set of packages (anything with name, description, aliases)."""

    def __init__(self, packages: Iterable[Searchable]) -> None:
        self._entries = [_entry(p) for p in packages]

    def rank(self, query: str) -> list[tuple[str, int]] | None:
        """(name, tier) of every matching package, best first; None when the query is empty."""
        terms = query.lower().split()
        if not terms:
            return None
        whole = compact(query)
        scored = []
        for e in self._entries:
            exact = whole in e.exact
            if not exact and not all(t in e.everything for t in terms):
                continue
            on_parts = sum(1 for t in terms if t in e.parts)
            if exact or on_parts == len(terms):
                tier = EXACT
            elif all(t in e.names for t in terms):
                tier = NAME
            else:
                tier = DESCRIPTION
            scored.append((tier, -on_parts, e.name))
        scored.sort()
        return [(name, tier) for tier, _parts, name in scored]

    def names(self, query: str) -> list[str] | None:
        ranked = self.rank(query)
        return None if ranked is None else [name for name, _tier in ranked]
