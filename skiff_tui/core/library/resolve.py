"""SKIFF_CONFIG -> the chain: every package once, each after all of its dependencies (docs/behaviour.md#resolution)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import ResolveError
from .packages import BASE_NAMESPACE, Package, PackageIndex, check_name, split_names


def parse_selection(text: str | None) -> list[str]:
    """The user's list: commas and/or spaces, blanks ignored, duplicates keep the first."""
    seen: dict[str, None] = {}
    for name in split_names(text or ""):
        check_name(name, where="SKIFF_CONFIG")
        if name.split("/")[0] == BASE_NAMESPACE:
            raise ResolveError(f"{name!r} is a base layer every build gets; it cannot be selected")
        seen.setdefault(name, None)
    return list(seen)


@dataclass
class Chain:
    selection: list[str]
    packages: list[Package]
    # For packages the user did not select: the package that first pulled it in.
    pulled_by: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.packages]

    def __str__(self) -> str:
        return ",".join(self.names)


def resolve(index: PackageIndex, selection: list[str] | str) -> Chain:
    """Depth-first, dependencies in declared order, each package after all of its dependencies.

    Differs from SkiffOS on purpose: a dependency the user listed after its dependent is moved
    before it (SkiffOS leaves it after, so the dependency silently overrides its dependent).
    """
    if isinstance(selection, str):
        selection = parse_selection(selection)
    order: list[Package] = []
    placed: set[str] = set()
    pulled_by: dict[str, str] = {}
    notes: list[str] = []
    stack: list[str] = []
    user_selected = set(selection)

    def visit_list(names: list[str] | tuple[str, ...], owner: str | None) -> None:
        # Any later name of this list that gets placed while visiting an earlier one was listed
        # after something that depends on it: it moves before, and we say so
        # (docs/behaviour.md#resolution; differs from SkiffOS).
        for i, name in enumerate(names):
            first_new = len(order)
            visit(name, owner)
            moved = {p.name for p in order[first_new:]}
            for later in names[i + 1 :]:
                note = f"{later} moved before {name}, which depends on it"
                if later in moved and later != name and note not in notes:
                    notes.append(note)

    def visit(name: str, parent: str | None) -> None:
        if name in placed:
            return
        if name in stack:
            cycle = stack[stack.index(name) :] + [name]
            raise ResolveError(
                "dependency cycle: " + " -> ".join(cycle),
                hint="remove one of these dependencies from its metadata/dependencies",
            )
        pkg = index.get(name, needed_by=parent)
        if parent is not None and name not in user_selected:
            pulled_by.setdefault(name, parent)
        stack.append(name)
        visit_list(pkg.dependencies, name)
        stack.pop()
        placed.add(name)
        order.append(pkg)

    visit_list(selection, None)
    return Chain(selection=list(selection), packages=order, pulled_by=pulled_by, notes=notes)
