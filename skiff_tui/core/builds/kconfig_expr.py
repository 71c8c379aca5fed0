"""Rebalance the `||` chains kconfiglib accumulates per symbol into balanced trees, so evaluating
them stays far inside Python's recursion limit.

kconfiglib builds a symbol's reverse dependency one `select` at a time as
``(OR, previous, new_term)`` (likewise ``imply`` and a symbol defined in several places). In
Buildroot 2026.02 ``BR2_LEGACY`` is selected ~900 times, so its ``rev_dep`` is 896 levels deep,
and ``expr_value``, ``split_expr`` and ``expr_str`` recurse once per level. Values are evaluated
lazily, so the first sweep over the menu nests such chains inside one another and overflows the
recursion limit (docs/tui.md, "Kconfig", has the measurements).

`||` is associative (max over n/m/y), so regrouping a chain of n terms as a balanced tree gives
the same value at depth log2(n) — 10 for ``BR2_LEGACY`` — and keeps the terms in order, so
``split_expr`` and ``expr_str`` list them exactly as before. Every other expression comes
straight from one Kconfig line and is shallow (at most 25 levels in Buildroot 2026.02).
"""

from __future__ import annotations

import kconfiglib
from kconfiglib import OR

# Chains up to this many terms keep kconfiglib's own shape (and identity): they cost nothing.
SHORT_CHAIN = 8

# kconfiglib's expressions (the library has no type information): a Symbol or Choice, or a
# plain tuple (operator, operand, ...) whose operator is one of its small int constants (OR, AND,
# ...). `type(x) is tuple` tells them apart (and narrows the type) as fast as kconfiglib itself.
Expr = object


def chain_terms(expr: Expr, op: int) -> list[Expr]:
    """The operands of a chain of `op` (any shape), left to right, without recursion."""
    terms: list[Expr] = []
    stack = [expr]
    while stack:
        item = stack.pop()
        if type(item) is tuple and item[0] is op:
            stack.append(item[2])
            stack.append(item[1])
        else:
            terms.append(item)
    return terms


def balanced(expr: Expr, op: int = OR) -> Expr:
    """`expr` with its top-level chain of `op` regrouped as a balanced tree; the same object when
    the chain is short."""
    if type(expr) is not tuple or expr[0] is not op:
        return expr
    terms = chain_terms(expr, op)
    if len(terms) <= SHORT_CHAIN:
        return expr
    return _build(op, terms, 0, len(terms))


def _build(op: int, terms: list[Expr], lo: int, hi: int) -> Expr:
    if hi - lo == 1:
        return terms[lo]
    mid = (lo + hi) // 2
    return (op, _build(op, terms, lo, mid), _build(op, terms, mid, hi))


def rebalance(kconf: kconfiglib.Kconfig) -> None:
    """Rebalance, in place, the accumulated chains of every symbol and choice of a parsed Kconfig:
    reverse dependencies (select), weak ones (imply) and direct dependencies (one per definition)."""
    for sym in kconf.unique_defined_syms:
        sym.rev_dep = balanced(sym.rev_dep)
        sym.weak_rev_dep = balanced(sym.weak_rev_dep)
        sym.direct_dep = balanced(sym.direct_dep)
    for choice in kconf.unique_choices:
        choice.direct_dep = balanced(choice.direct_dep)


def depth(expr: Expr) -> int:
    """How deeply `expr` nests (a symbol is 1), without recursion."""
    best = 0
    stack = [(expr, 1)]
    while stack:
        item, level = stack.pop()
        best = max(best, level)
        if type(item) is tuple:
            stack.extend((sub, level + 1) for sub in item[1:])
    return best


class BalancedKconfig(kconfiglib.Kconfig):  # type: ignore[misc]  # kconfiglib has no types: Kconfig is Any
    """kconfiglib.Kconfig whose accumulated chains are rebalanced as soon as parsing has built
    them, before kconfiglib itself walks them recursively (dependency sets, loop check)."""

    def _build_dep(self) -> None:
        rebalance(self)
        super()._build_dep()
