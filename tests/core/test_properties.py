"""Invariants of resolution and merging over generated package graphs and fragments (hypothesis)."""

from itertools import pairwise

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skiff_tui.core.config.fragments import MergedFragment, parse_lines
from skiff_tui.core.errors import ResolveError
from skiff_tui.core.library.packages import Package, PackageIndex
from skiff_tui.core.library.resolve import resolve

NAMES = [f"ns{i // 4}/p{i}" for i in range(12)]


@st.composite
def graphs(draw):
    """An index whose dependency lists may contain cycles and repeats, plus a selection."""
    deps = {n: draw(st.lists(st.sampled_from(NAMES), max_size=4)) for n in NAMES}
    selection = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=5, unique=True))
    packages = {
        n: Package(name=n, path=__import__("pathlib").Path("/x") / n, source="configs", dependencies=tuple(d))
        for n, d in deps.items()
    }
    return PackageIndex(packages=packages, roots=[]), deps, selection


def reachable(deps, start):
    seen, todo = set(), list(start)
    while todo:
        n = todo.pop()
        if n not in seen:
            seen.add(n)
            todo += deps[n]
    return seen


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_chain_invariants_or_a_cycle_error(graph):
    index, deps, selection = graph
    try:
        chain = resolve(index, selection)
    except ResolveError as exc:
        assert "dependency cycle:" in str(exc)
        cycle = str(exc).split("dependency cycle: ", 1)[1].split(" (")[0].split(" -> ")
        assert cycle[0] == cycle[-1]
        for a, b in pairwise(cycle):
            assert b in deps[a]  # every printed edge is a real dependency
        return
    names = chain.names
    assert len(names) == len(set(names))  # each package once
    assert set(names) == reachable(deps, selection)  # exactly the closure
    position = {n: i for i, n in enumerate(names)}
    for n in names:  # after all of its dependencies
        assert all(position[d] < position[n] for d in deps[n] if d != n)
    assert resolve(index, selection).names == names  # deterministic


symbols = st.sampled_from(["BR2_A", "BR2_B", "BR2_C", "BR2_D"])
values = st.one_of(st.none(), st.sampled_from(["y", "n", '"s p"', "0x10", "3"]))


@given(st.lists(st.lists(st.tuples(symbols, values), max_size=6), max_size=5))
def test_last_assignment_wins_and_render_round_trips(layers):
    merged = MergedFragment("buildroot")
    expected = {}
    for i, layer in enumerate(layers):
        text = "".join(f"# {s} is not set\n" if v is None else f"{s}={v}\n" for s, v in layer)
        merged.extend(parse_lines(text, path=None, layer=f"layer{i}"))
        for s, v in layer:
            expected[s] = v
    assert merged.values() == expected
    reparsed = MergedFragment("buildroot")
    reparsed.extend(parse_lines(merged.render(), path=None, layer="again"))
    assert reparsed.values() == expected
    for final, earlier in merged.overridden():
        assert all(a.value != final.value for a in earlier) and earlier
