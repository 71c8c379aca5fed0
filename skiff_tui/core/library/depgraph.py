"""The selected chain's dependencies as a drawing: one tree per selected package, each package's
dependencies under it in declared order; a package reached again is named and marked instead of
drawn twice (the graph is a DAG), so the drawing stays as long as the chain."""

from __future__ import annotations

from dataclasses import dataclass

from .packages import PackageIndex


@dataclass(frozen=True)
class GraphLine:
    prefix: str  # the tree drawing before the name ("│   ├── ")
    name: str
    selected: bool  # the user selected it (else a dependency pulled in)
    repeat: bool  # drawn earlier: its dependencies are not repeated
    missing: bool = False  # not in the index (resolving reports it too)

    @property
    def text(self) -> str:
        tail = "  (above)" if self.repeat else "  (unknown package)" if self.missing else ""
        return f"{self.prefix}{self.name}{tail}"


def dependency_lines(index: PackageIndex, selection: list[str]) -> list[GraphLine]:
    selected = set(selection)
    drawn: set[str] = set()
    out: list[GraphLine] = []

    def deps_of(name: str) -> tuple[str, ...]:
        pkg = index.packages.get(name)
        return pkg.dependencies if pkg is not None and pkg.error is None else ()

    def visit(name: str, lead: str, branch: str, path: tuple[str, ...]) -> None:
        repeat = name in drawn or name in path
        missing = name not in index.packages
        out.append(GraphLine(lead + branch, name, name in selected, repeat, missing))
        if repeat or missing:
            return
        drawn.add(name)
        deps = deps_of(name)
        below = lead + ("" if not branch else "    " if branch.startswith("└") else "│   ")
        for i, dep in enumerate(deps):
            visit(dep, below, "└── " if i == len(deps) - 1 else "├── ", path + (name,))

    for name in selection:
        visit(name, "", "", ())
    return out
