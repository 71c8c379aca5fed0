"""Deep `select` chains (Buildroot's BR2_LEGACY is selected ~900 times) are rebalanced after
parsing: same values, same listing order, no RecursionError however deep the caller's stack."""

from __future__ import annotations

import sys

import kconfiglib
import pytest
from kconfiglib import OR, expr_str, split_expr

from skiff_tui.core.builds.kconfig_expr import BalancedKconfig, balanced, chain_terms, depth

SELECTORS = 3000


def deep_tree(path, count=SELECTORS):
    """LEGACY selected by `count` options, every third one on; THREADS selected by a few."""
    lines = ["config LEGACY\n\tbool\n", "config THREADS\n\tbool\n"]
    for i in range(count):
        lines.append(
            f'config OPT_{i}\n\tbool "option {i}"\n\tdefault {"y" if i % 3 == 0 else "n"}\n'
            f"\tselect LEGACY if OPT_{(i + 1) % count}\n"
        )
        if i % 500 == 0:
            lines.append(f'config USES_{i}\n\tbool "uses {i}"\n\tselect THREADS\n')
    (path / "Kconfig").write_text("".join(lines))
    return path / "Kconfig"


def nested(levels: int, fn):
    """Call fn() `levels` Python frames deeper than here (like a handler deep inside an app)."""
    if levels == 0:
        return fn()
    return nested(levels - 1, fn)


def test_balanced_keeps_order_and_value_and_is_shallow(tmp_path):
    kconf = BalancedKconfig(str(deep_tree(tmp_path)), warn_to_stderr=False)
    legacy = kconf.syms["LEGACY"]
    assert depth(legacy.rev_dep) <= 16
    terms = split_expr(legacy.rev_dep, OR)
    assert [t[1].name for t in terms] == [f"OPT_{i}" for i in range(SELECTORS)]  # definition order
    # value: OPT_i selects when OPT_i and OPT_{i+1} are both y; i=3k and 3k+1 are never both y ...
    assert legacy.str_value == "n"
    kconf.syms["OPT_1"].set_value(2)  # ... until OPT_0 and OPT_1 are
    assert legacy.str_value == "y"
    assert expr_str(legacy.rev_dep).startswith("(OPT_0 && OPT_1) || (OPT_1 && OPT_2) || ")


def test_rebalanced_values_and_text_match_kconfiglib_on_a_chain_it_can_still_handle(tmp_path):
    path = deep_tree(tmp_path, count=600)
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(5000)  # plain kconfiglib needs it for a 600-deep chain
    try:
        plain = kconfiglib.Kconfig(str(path), warn_to_stderr=False)
        plain_text = expr_str(plain.syms["LEGACY"].rev_dep)
        plain_values = {s.name: s.str_value for s in plain.unique_defined_syms}
    finally:
        sys.setrecursionlimit(old)
    ours = BalancedKconfig(str(path), warn_to_stderr=False)
    assert expr_str(ours.syms["LEGACY"].rev_dep) == plain_text
    assert {s.name: s.str_value for s in ours.unique_defined_syms} == plain_values


def test_deep_chain_evaluates_from_a_deep_caller(tmp_path):
    """Parsing and a first evaluation 700 frames down (a Textual handler runs ~100 deep)."""
    path = deep_tree(tmp_path)
    kconf = nested(700, lambda: BalancedKconfig(str(path), warn_to_stderr=False))
    assert nested(700, lambda: kconf.syms["LEGACY"].tri_value) == 0
    with pytest.raises(RecursionError):  # what kconfiglib alone does with the same file
        nested(700, lambda: kconfiglib.Kconfig(str(path), warn_to_stderr=False))


def test_short_chains_keep_kconfiglibs_shape():
    a, b, c = (kconfiglib.Symbol() for _ in range(3))
    short = (OR, (OR, a, b), c)
    assert balanced(short) is short
    assert chain_terms(short, OR) == [a, b, c]
    assert balanced(a) is a
    long = a
    for _ in range(40):
        long = (OR, long, b)
    flat = balanced(long)
    assert chain_terms(flat, OR) == chain_terms(long, OR) and depth(flat) == 7
