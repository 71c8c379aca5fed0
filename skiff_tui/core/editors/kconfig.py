"""The Kconfig editor's model: Buildroot's menu tree through kconfiglib, edits, search, info, save.

The TUI's Kconfig screen is a thin client of :class:`KconfigModel`; nothing here imports Textual.

Two sets of values matter:

* the **baseline**: what the merged configuration of the stack gives (the merged defconfig
  loaded into Kconfig, i.e. what ``make defconfig`` produces), and
* the **current** values: the workspace's ``.config`` (plus a delta saved after it was written),
  changed by the user's edits.

Saving writes only symbols the user changed in the editor whose value now differs from the
baseline, as a fragment in the workspace override layer (``core.editors.delta``), so the next configure
folds them in. Symbols that changed only as a consequence (selected, defaulted) are left out.

kconfiglib is not thread-safe: build the model in one worker thread, then use it from one thread.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

# kconfiglib has no type information: Kconfig, MenuNode, Symbol and Choice name its objects for
# the reader (they are Any to the type checker); text taken from them is typed where it is read.
import kconfiglib
from kconfiglib import (
    AND,
    BOOL,
    COMMENT,
    HEX,
    INT,
    MENU,
    OR,
    STRING,
    TRI_TO_STR,
    TRISTATE,
    TYPE_TO_STR,
    Choice,
    Kconfig,
    MenuNode,
    Symbol,
    expr_str,
    expr_value,
    split_expr,
)

from .. import atomic, readonly
from ..builds import buildroot, kconfig_cache
from ..config.fragments import MergedFragment, quote
from ..errors import BuildrootError, SkiffError
from ..workspace import Workspace
from .delta import delta_path, save_delta

if TYPE_CHECKING:
    from ..session import Session as EngineSession  # this module's Session is the editor's

Progress = Callable[[str], None]
# load_kconfig changes os.environ and the working directory while it parses: one load at a time
# (a reload started while another is still parsing in its thread waits for it).
_LOAD_LOCK = threading.Lock()


class KconfigLoadError(BuildrootError):
    """Buildroot's Kconfig (or an external's) could not be parsed by kconfiglib; Buildroot's own
    menuconfig may still work."""


@dataclass(frozen=True)
class LoadProblem:
    """A line of a .config or fragment that kconfiglib ignored (malformed, or a value its
    symbol's type does not allow): the user's value did not get in."""

    path: Path
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


# Where line N of the merged defconfig came from: (fragment file, line), or None.
OriginOf = Callable[[int], tuple[Path | None, int | None] | None]


class KconfigEditError(SkiffError):
    """An edit the Kconfig editor cannot make: bad int/hex/string input, out of range, bad regex."""


@dataclass(frozen=True)
class Entry:
    """One row of the menu tree."""

    node: object  # kconfiglib.MenuNode
    label: str
    expandable: bool  # has children worth showing (menu, choice, menuconfig, implicit submenu)
    visible: bool  # False for rows shown only because show-all is on
    changed: bool  # the user changed this symbol/choice in this session


@dataclass(frozen=True)
class SearchHit:
    node: object
    name: str  # symbol or choice name ("" for menus and comments)
    prompt: str
    visible: bool

    @property
    def text(self) -> str:
        if self.name and self.prompt:
            return f"{self.name} - {self.prompt}"
        return self.name or self.prompt


def delta_value(sym: Symbol) -> str | None:
    """The fragment value of a symbol: None for n ('# X is not set'), quoted text for strings."""
    if sym.orig_type in (BOOL, TRISTATE):
        return None if sym.tri_value == 0 else sym.str_value
    if sym.orig_type == STRING:
        return quote(sym.str_value)
    return sym.str_value or None


def _prompt(node: MenuNode) -> str:
    text: str = node.prompt[0] if node.prompt else ""
    return text


def _sc_name(sc: Symbol | Choice) -> str:
    name: str | None = sc.name
    return name or ""


def _value_text(sc: Symbol | Choice) -> str:
    text: str = sc.str_value
    return text


def _type_name(sc: Symbol | Choice) -> str:
    name: str = TYPE_TO_STR[sc.orig_type]
    return name


class _Baseline(NamedTuple):
    """The values and load problems of one merged defconfig, kept with its parsed tree."""

    values: dict[str, str | None]
    problems: list[LoadProblem]


class KconfigModel:
    """Menu tree, values, edits and the delta against the merged configuration."""

    def __init__(self, kconf: Kconfig, baseline: dict[str, str | None], *, source: str = "") -> None:
        self.kconf = kconf
        self.problems: list[LoadProblem] = []  # lines of the loaded files kconfiglib ignored
        self.baseline = baseline
        self.source = source  # what the current values were loaded from (for the UI)
        self.show_all = False
        self.show_name = False
        self._touched: set[Symbol] = set()
        self._search_index: list[tuple[object, str, str]] | None = None
        self._order = {sym: i for i, sym in enumerate(kconf.unique_defined_syms)}

    # --- loading ---------------------------------------------------------------------------
    @classmethod
    def load(
        cls,
        tree: Path,
        base_dir: Path,
        externals: list[tuple[str, Path]],
        *,
        baseline_config: Path | None,
        config: Path | None = None,
        overlay: Path | None = None,
        progress: Progress = lambda stage: None,
        origin_of: OriginOf | None = None,
    ) -> KconfigModel:
        """Parse `tree`'s Config.in, take the baseline from `baseline_config` (the merged
        defconfig), then load `config` (the workspace's .config) if it exists and `overlay` (a
        saved delta) if that is newer than `config`."""
        progress("Parsing Buildroot's Kconfig")
        kconf = parse(tree, base_dir, externals)
        return cls.from_parsed(
            kconf,
            baseline_config=baseline_config,
            config=config,
            overlay=overlay,
            progress=progress,
            origin_of=origin_of,
        )

    @classmethod
    def from_parsed(
        cls,
        kconf: Kconfig,
        *,
        baseline_config: Path | None,
        config: Path | None = None,
        overlay: Path | None = None,
        progress: Progress = lambda stage: None,
        origin_of: OriginOf | None = None,
        baselines: dict[str, object] | None = None,
    ) -> KconfigModel:
        """Load the values into an already parsed tree (every earlier value is replaced), then
        evaluate every value once, here, so the UI thread only reads cached ones.

        `baselines` (kept with the parsed tree) remembers the baseline of each merged defconfig
        text, so reopening over an unchanged stack loads only the .config."""
        with buildroot.gc_paused():  # allocates a lot, frees nothing
            return cls._from_parsed(
                kconf,
                baseline_config=baseline_config,
                config=config,
                overlay=overlay,
                progress=progress,
                origin_of=origin_of,
                baselines=baselines,
            )

    @classmethod
    def _from_parsed(
        cls,
        kconf: Kconfig,
        *,
        baseline_config: Path | None,
        config: Path | None,
        overlay: Path | None,
        progress: Progress,
        origin_of: OriginOf | None,
        baselines: dict[str, object] | None,
    ) -> KconfigModel:
        progress("Computing the merged configuration's values")
        loaded = config if config is not None and config.is_file() else None
        key = _text_digest(baseline_config) if baselines is not None and baseline_config is not None else None
        kept = baselines.get(key) if baselines is not None and key is not None else None
        problems: list[LoadProblem]
        if isinstance(kept, _Baseline) and loaded is not None:
            baseline, problems = dict(kept.values), list(kept.problems)
        else:
            problems = []
            if baseline_config is not None:
                problems += _load_values(kconf, baseline_config, replace=True, origin_of=origin_of)
            else:
                _reset_values(kconf)
            baseline = {sym.name: delta_value(sym) for sym in kconf.unique_defined_syms}
            if baselines is not None and key is not None:
                while len(baselines) >= BASELINES_KEPT:
                    baselines.pop(next(iter(baselines)))
                baselines[key] = _Baseline(dict(baseline), list(problems))
        source = "the merged configuration (no .config yet)" if baseline_config else "Kconfig defaults"
        if loaded is not None:
            progress("Loading the workspace's .config")
            problems += _load_values(kconf, loaded, replace=True)
            source = str(loaded)
            if overlay is not None and overlay.is_file() and overlay.stat().st_mtime > loaded.stat().st_mtime:
                problems += _load_values(kconf, overlay, replace=False)
                source += f" + {overlay.name}"
        model = cls(kconf, baseline, source=source)
        model.problems = problems
        progress("Laying out the menu")
        model.warm_up()
        return model

    def warm_up(self) -> None:
        """Evaluate every value and visibility (kconfiglib caches them) and the top menu."""
        # Reading the properties computes and caches them; the values themselves are not needed.
        for sym in self.kconf.unique_defined_syms:
            _ = sym.str_value, sym.visibility
        for choice in self.kconf.unique_choices:
            _ = choice.str_value
        self.children()

    # --- titles and labels -----------------------------------------------------------------
    @property
    def top(self) -> MenuNode:
        return self.kconf.top_node

    def title(self) -> str:
        text: str = self.kconf.mainmenu_text or "Configuration"

        def sub(match: re.Match[str]) -> str:
            sym = self.kconf.syms.get(match.group(1))
            return _value_text(sym) if sym is not None and sym.str_value else match.group(0)

        return re.sub(r"\$([A-Za-z0-9_]+)", sub, text)

    @staticmethod
    def is_visible(node: MenuNode) -> bool:
        if not node.prompt or not expr_value(node.prompt[1]):
            return False
        return not (node.item is MENU and not expr_value(node.visibility))

    def _shown(self, node: MenuNode) -> bool:
        if not node.prompt:
            return False
        if self.show_all or self.is_visible(node):
            return True
        # an invisible symbol is still listed when something under it is visible
        return node.list is not None and isinstance(node.item, Symbol) and bool(self._shown_children(node))

    def _shown_children(self, node: MenuNode) -> list[MenuNode]:
        out = []
        child = node.list
        while child is not None:
            if self._shown(child):
                out.append(child)
            child = child.next
        return out

    def children(self, node: MenuNode | None = None) -> list[Entry]:
        """The rows under `node` (the top menu if None), honouring show-all."""
        node = self.top if node is None else node
        return [self.entry(child) for child in self._shown_children(node)]

    def entry(self, node: MenuNode) -> Entry:
        item = node.item
        changed = (isinstance(item, Symbol) and item in self._touched) or (
            isinstance(item, Choice) and any(s in self._touched for s in item.syms)
        )
        return Entry(node, self.label(node), bool(self._shown_children(node)), self.is_visible(node), changed)

    def value_str(self, node: MenuNode) -> str:
        """The value column: [*] [ ] <M> {*} -*- (X) ( ) (text), as in menuconfig."""
        item = node.item
        if not isinstance(item, (Symbol, Choice)):
            return ""
        if item.type in (STRING, INT, HEX):
            return f"({item.str_value})"
        if isinstance(item, Symbol) and item.choice is not None and item.choice.tri_value == 2:
            return "(X)" if item.choice.selection is item else "( )"
        if isinstance(item, Choice):
            return ""
        tri = item.tri_value
        assignable = item.assignable
        if len(assignable) == 1:  # pinned, e.g. selected by something
            return "-*-" if tri == 2 else "-M-" if tri == 1 else "   "
        if item.type == BOOL:
            return "[*]" if tri == 2 else "[ ]"
        if assignable == (1, 2):
            return "{*}" if tri == 2 else "{M}"
        return {2: "<*>", 1: "<M>", 0: "< >"}[tri]

    def label(self, node: MenuNode) -> str:
        item = node.item
        prompt = _prompt(node)
        if item is COMMENT:
            return f"*** {prompt} ***"
        if item is MENU:
            return prompt + ("  --->" if node.list is not None else "  ----")
        value = self.value_str(node)
        text = f"{value} {prompt}" if value else prompt
        if isinstance(item, Choice):
            sel = item.selection
            if sel is not None and sel.nodes and sel.nodes[0].prompt:
                text += f" ({sel.nodes[0].prompt[0]})"
        if self.show_name and isinstance(item, (Symbol, Choice)) and item.name:
            text += f"  <{item.name}>"
        if node.is_menuconfig or isinstance(item, Choice):
            text += "  --->"
        return text

    # --- editing ---------------------------------------------------------------------------
    @staticmethod
    def kind(node: MenuNode) -> str:
        item = node.item
        if item is MENU:
            return "menu"
        if item is COMMENT:
            return "comment"
        if isinstance(item, Choice):
            return "choice"
        return _type_name(item)

    def is_changeable(self, node: MenuNode) -> bool:
        item = node.item
        if not isinstance(item, Symbol) or not self.is_visible(node):
            return False
        if item.orig_type in (STRING, INT, HEX):
            return True
        if item.choice is not None and item.choice.tri_value == 2:
            return 2 in item.assignable or item.choice.selection is item
        return len(item.assignable) > 1

    def needs_text(self, node: MenuNode) -> bool:
        return isinstance(node.item, Symbol) and node.item.orig_type in (STRING, INT, HEX)

    def _check_editable(self, node: MenuNode) -> Symbol:
        readonly.guard("changing a Kconfig option")
        item = node.item
        if not isinstance(item, Symbol):
            raise KconfigEditError(f"{_prompt(node) or 'this entry'} is not an option")
        if not self.is_changeable(node):
            raise KconfigEditError(f"{item.name} cannot be changed now{self._why_fixed(item)}")
        return item

    def _why_fixed(self, sym: Symbol) -> str:
        if sym.orig_type in (BOOL, TRISTATE) and expr_value(sym.rev_dep):
            return " (it is selected by another option)"
        if not expr_value(sym.direct_dep):
            return " (its dependencies are not met)"
        return ""

    def _mark(self, sym: Symbol) -> None:
        if sym.choice is not None:
            self._touched.update(sym.choice.syms)
        else:
            self._touched.add(sym)

    def toggle(self, node: MenuNode) -> str:
        """Space on a bool/tristate: the next assignable value (n → m → y → n); on a choice
        member: select it. Returns the new value text."""
        sym = self._check_editable(node)
        if sym.orig_type not in (BOOL, TRISTATE):
            raise KconfigEditError(f"{sym.name} is a {_type_name(sym)}; enter a value instead")
        if sym.choice is not None and sym.choice.tri_value == 2:
            sym.set_value(2)
        else:
            values = sym.assignable
            current = sym.tri_value
            later = [v for v in values if v > current]
            sym.set_value(later[0] if later else values[0])
        self._mark(sym)
        return _value_text(sym)

    def set_tristate(self, node: MenuNode, value: str) -> str:
        """n / m / y keys: set directly if assignable now."""
        sym = self._check_editable(node)
        if sym.orig_type not in (BOOL, TRISTATE):
            raise KconfigEditError(f"{sym.name} is a {_type_name(sym)}; enter a value instead")
        tri = {"n": 0, "m": 1, "y": 2}[value]
        if tri not in sym.assignable:
            allowed = "/".join(TRI_TO_STR[v] for v in sym.assignable)
            raise KconfigEditError(f"{sym.name} cannot be {value} now (possible: {allowed}){self._why_fixed(sym)}")
        sym.set_value(tri)
        self._mark(sym)
        return _value_text(sym)

    def active_range(self, sym: Symbol) -> tuple[int, int] | None:
        base = 16 if sym.orig_type == HEX else 10
        for low, high, cond in sym.ranges:
            if expr_value(cond):
                try:
                    return int(low.str_value, base), int(high.str_value, base)
                except ValueError:
                    return None
        return None

    def range_text(self, sym: Symbol) -> str:
        rng = self.active_range(sym)
        if rng is None:
            return ""
        if sym.orig_type == HEX:
            return f"0x{rng[0]:x}-0x{rng[1]:x}"
        return f"{rng[0]}-{rng[1]}"

    def check_text(self, node: MenuNode, text: str) -> str:
        """The value `text` would be stored as, or KconfigEditError saying why it is refused."""
        sym = node.item
        if not isinstance(sym, Symbol) or sym.orig_type not in (STRING, INT, HEX):
            raise KconfigEditError("not a string, int or hex option")
        if sym.orig_type == STRING:
            if "\n" in text:
                raise KconfigEditError(f"{sym.name}: a string value cannot contain a line break")
            return text
        text = text.strip()
        if sym.orig_type == INT:
            if not re.fullmatch(r"-?[0-9]+", text):
                raise KconfigEditError(f"{sym.name}: {text!r} is not a decimal integer")
            number = int(text, 10)
        else:
            if not text.lower().startswith("0x"):
                text = "0x" + text
            if not re.fullmatch(r"0[xX][0-9a-fA-F]+", text):
                raise KconfigEditError(f"{sym.name}: {text!r} is not a hexadecimal number")
            number = int(text, 16)
        rng = self.active_range(sym)
        if rng is not None and not rng[0] <= number <= rng[1]:
            raise KconfigEditError(f"{sym.name}: {text} is outside the allowed range {self.range_text(sym)}")
        return text

    def set_text(self, node: MenuNode, text: str) -> str:
        sym = self._check_editable(node)
        value = self.check_text(node, text)
        if not sym.set_value(value):
            raise KconfigEditError(f"{sym.name}: Kconfig refused {value!r}")
        self._mark(sym)
        return _value_text(sym)

    def revert(self, node: MenuNode) -> None:
        """Forget the user's value for this symbol (back to what the merged configuration gives)."""
        readonly.guard("changing a Kconfig option")
        sym = node.item
        if isinstance(sym, Symbol):
            sym.unset_value()
            self._touched.discard(sym)

    # --- what changed ----------------------------------------------------------------------
    def changes(self) -> dict[str, str | None]:
        """Symbols the user changed whose value now differs from the merged configuration."""
        out: dict[str, str | None] = {}
        for sym in sorted(self._touched, key=lambda s: self._order.get(s, 1 << 30)):
            value = delta_value(sym)
            if value != self.baseline.get(sym.name, "<absent>"):
                out[sym.name] = value
        return out

    @property
    def dirty(self) -> bool:
        return bool(self.changes())

    def save(self, workspace: Workspace) -> Path | None:
        """Fold the changes into the workspace's delta fragment; None if there was nothing."""
        readonly.guard("saving Kconfig changes")
        changes = self.changes()
        path = save_delta(workspace, changes)
        for name, value in changes.items():
            self.baseline[name] = value
        self._touched.clear()
        return path

    # --- search ----------------------------------------------------------------------------
    def _index(self) -> list[tuple[object, str, str]]:
        if self._search_index is None:
            index: list[tuple[object, str, str]] = []
            items = sorted([*self.kconf.unique_defined_syms, *self.kconf.unique_choices], key=lambda sc: sc.name or "")
            for sc in items:
                for node in sc.nodes:
                    index.append((node, _sc_name(sc), _prompt(node)))
            for node in [*self.kconf.menus, *self.kconf.comments]:
                index.append((node, "", _prompt(node)))
            self._search_index = index
        return self._search_index

    def search(self, query: str, limit: int | None = None) -> list[SearchHit]:
        """Every symbol, choice, menu and comment (hidden ones too) whose name or prompt matches
        every space-separated regex term of `query` (case-insensitive)."""
        terms: list[re.Pattern[str]] = []
        for term in query.split():
            try:
                terms.append(re.compile(term, re.IGNORECASE))
            except re.error as exc:
                raise KconfigEditError(f"bad regular expression {term!r}: {exc}") from None
        if not terms:
            return []
        hits: list[SearchHit] = []
        for node, name, prompt in self._index():
            if all(t.search(name) or t.search(prompt) for t in terms):
                hits.append(SearchHit(node, name, prompt, self.is_visible(node)))
                if limit is not None and len(hits) >= limit:
                    break
        return hits

    def find(self, name: str) -> MenuNode | None:
        """The first menu node of the symbol called `name` (None if unknown)."""
        sym = self.kconf.syms.get(name)
        if sym is None or not sym.nodes:
            return None
        return sym.nodes[0]

    def path_to(self, node: MenuNode) -> list[MenuNode]:
        """The menu nodes from the top (exclusive) down to `node`'s parent, to expand a tree."""
        chain = []
        parent = node.parent
        while parent is not None and parent is not self.top:
            chain.append(parent)
            parent = parent.parent
        return list(reversed(chain))

    def menu_path(self, node: MenuNode) -> str:
        parts = ["(Top)"] + [_prompt(n) or _sc_name(n.item) for n in self.path_to(node)]
        return " → ".join(parts)

    # --- info ------------------------------------------------------------------------------
    def _expr(self, expr: object) -> str:
        def fmt(sc: Symbol | Choice) -> str:
            if isinstance(sc, Symbol) and sc.is_constant:
                constant: str = kconfiglib.standard_sc_expr_str(sc)
                return constant
            value = sc.str_value if isinstance(sc, Symbol) else TRI_TO_STR[sc.tri_value]
            return f"{_sc_name(sc) or '<choice>'} (={value})"

        text: str = expr_str(expr, fmt)
        return text

    def _terms(self, expr: object, op: int) -> list[str]:
        return [self._expr(term) for term in split_expr(expr, op)]

    def info(self, node: MenuNode) -> str:
        """Everything known about an entry, as plain text for the info pane."""
        item = node.item
        lines: list[str] = []
        if item is MENU or item is COMMENT:
            lines.append(f"{'Menu' if item is MENU else 'Comment'}: {_prompt(node)}")
            if node.dep is not None and node.dep is not self.kconf.y:
                lines += [
                    "",
                    f"Depends on (={TRI_TO_STR[expr_value(node.dep)]}):",
                    *(f"  {t}" for t in self._terms(node.dep, AND)),
                ]
            if item is MENU and node.visibility is not self.kconf.y:
                lines.append(f"Visible if: {self._expr(node.visibility)}")
            lines += self._where(node)
            return "\n".join(lines)

        sc = item
        prompts = [n.prompt[0] for n in sc.nodes if n.prompt]
        lines.append(f"Prompt: {prompts[0]}" if prompts else "Prompt: (none; set only by defaults or select)")
        for extra in prompts[1:]:
            lines.append(f"Prompt: {extra}")
        lines.append(f"Name: {sc.name}" if sc.name else "Name: (unnamed choice)")
        lines.append(f"Type: {_type_name(sc)}")
        if isinstance(sc, Symbol):
            lines.append(f"Value: {sc.str_value}")
            base = self.baseline.get(sc.name, "<absent>")
            now = delta_value(sc)
            if sc in self._touched and now != base:
                lines.append(f"Changed here (merged configuration: {_shown(base)}; unsaved)")
            elif base != "<absent>" and now != base:
                lines.append(f"Differs from the merged configuration ({_shown(base)}) in the loaded .config")
            if sc.orig_type in (INT, HEX) and self.range_text(sc):
                lines.append(f"Range: {self.range_text(sc)}")
        else:
            sel = sc.selection
            lines.append(f"Selection: {sel.name if sel is not None else '(none)'}")
        if not self.is_visible(node):
            lines.append("Hidden: its prompt's conditions are not met" if node.prompt else "Hidden: it has no prompt")

        helps = [n.help for n in sc.nodes if n.help]
        if helps:
            lines.append("")
            lines.append("Help:")
            for text in helps:
                lines += [f"  {line}" if line else "" for line in text.rstrip().splitlines()]

        if sc.direct_dep is not self.kconf.y:
            lines += ["", f"Direct dependencies (={TRI_TO_STR[expr_value(sc.direct_dep)]}):"]
            terms = self._terms(sc.direct_dep, AND)
            lines += [f"  {'&& ' if i else ''}{t}" for i, t in enumerate(terms)]

        if sc.defaults:
            lines += ["", "Defaults:"]
            for default, cond in sc.defaults:
                target = self._expr(default) if not isinstance(default, Choice) else _sc_name(default)
                lines.append(f"  {target}" + ("" if cond is self.kconf.y else f"  if {self._expr(cond)}"))

        if isinstance(sc, Symbol):
            for title, expr in (("Selected by", sc.rev_dep), ("Implied by", sc.weak_rev_dep)):
                if expr is self.kconf.n:
                    continue
                groups: dict[int, list[str]] = {2: [], 1: [], 0: []}
                for term in split_expr(expr, OR):
                    groups[expr_value(term)].append(self._expr(term))
                lines.append("")
                for tri, label in ((2, "y"), (1, "m"), (0, "n")):
                    if groups[tri]:
                        lines.append(f"{title} ({label}):")
                        lines += [f"  - {t}" for t in groups[tri]]
            for title, entries in (("Selects", sc.selects), ("Implies", sc.implies)):
                if entries:
                    lines += ["", f"{title}:"]
                    for target, cond in entries:
                        lines.append(f"  - {target.name}" + ("" if cond is self.kconf.y else f" if {self._expr(cond)}"))

        for n in sc.nodes:
            lines += self._where(n)
        return "\n".join(lines)

    def source_file(self, filename: str) -> Path:
        """The absolute path of a Kconfig file name as kconfiglib records it (relative to $srctree)."""
        path = Path(filename)
        return path if path.is_absolute() else Path(self.kconf.srctree or ".") / path

    def shown_file(self, filename: str) -> str:
        """Buildroot's own files relative to its tree (as Buildroot names them), others absolute."""
        path = self.source_file(filename)
        try:
            return str(path.relative_to(self.kconf.srctree)) if self.kconf.srctree else str(path)
        except ValueError:
            return str(path)

    def defined_at(self, node: MenuNode) -> tuple[Path, int]:
        return self.source_file(node.filename), node.linenr

    def _where(self, node: MenuNode) -> list[str]:
        lines = ["", f"Defined at {self.shown_file(node.filename)}:{node.linenr}"]
        for filename, linenr in reversed(node.include_path):
            lines.append(f"  included from {self.shown_file(filename)}:{linenr}")
        lines.append(f"Menu path: {self.menu_path(node)}")
        return lines


_KCONFIG_ERROR = re.compile(r"(?P<prefix>.*?: )?(?P<file>[^\s:]+):(?P<line>\d+): (?:error: )?(?P<msg>.*)")


def _located(exc: BuildrootError, tree: Path) -> KconfigLoadError:
    """kconfiglib says 'system/Config.in:3: error: ...' relative to the tree: give the error its
    absolute file and line so the UI can show (and open) it."""
    match = _KCONFIG_ERROR.fullmatch(exc.message)
    if not match or exc.path is not None:
        return KconfigLoadError(exc.message, path=exc.path, line=exc.line, hint=exc.hint)
    path = Path(match["file"])
    path = path if path.is_absolute() else tree / path
    return KconfigLoadError(
        f"{(match['prefix'] or '')}{match['msg']}", path=path, line=int(match["line"]), hint=exc.hint
    )


def _shown(value: str | None) -> str:
    return "n" if value is None else "unset" if value == "<absent>" else value


# --- parsing and loading values -------------------------------------------------------------
def parse(tree: Path, base_dir: Path, externals: list[tuple[str, Path]]) -> Kconfig:
    """Buildroot's Kconfig with the externals (no values loaded); errors name file and line."""
    try:
        with _LOAD_LOCK:
            return buildroot.load_kconfig(tree, base_dir, externals)
    except BuildrootError as exc:
        raise _located(exc, tree) from None
    except OSError as exc:
        raise KconfigLoadError(
            f"Buildroot's Kconfig could not be read: {exc.strerror or exc}",
            path=exc.filename or tree / "Config.in",
            hint="use 'skiff br menuconfig' (Buildroot's own tool) instead",
        ) from None


BASELINES_KEPT = 4


def _text_digest(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


_WARNING = re.compile(r"(?P<file>.+?):(?P<line>\d+): warning: (?P<msg>.*)", re.S)
_INVALID_FOR = re.compile(r"invalid for (?P<sym>[A-Za-z0-9_]+)")


def _reset_values(kconf: Kconfig) -> None:
    kconf.unset_values()
    kconf.missing_syms = []


def _load_values(kconf: Kconfig, path: Path, *, replace: bool, origin_of: OriginOf | None = None) -> list[LoadProblem]:
    """kconf.load_config(path), with what kconfiglib ignored (it only warns) returned as problems
    and what it cannot read at all raised as a one-line error naming the file and line."""
    before = len(kconf.warnings)
    try:
        kconf.load_config(str(path), replace=replace)
    except UnicodeDecodeError:
        line = _undecodable_line(path)
        raise KconfigLoadError(
            "not a text .config (bytes that are not UTF-8)",
            path=path,
            line=line,
            hint="fix or remove that line (or the file) and reload",
        ) from None
    except OSError as exc:
        raise KconfigLoadError(
            f"cannot read it: {exc.strerror or exc}", path=path, hint="check the file's permissions and reload"
        ) from None
    except kconfiglib.KconfigError as exc:
        line = _undecodable_line(path)  # kconfiglib turns a UnicodeDecodeError into this too
        if line is not None:
            raise KconfigLoadError(
                "not a text .config (bytes that are not UTF-8)",
                path=path,
                line=line,
                hint="fix or remove that line (or the file) and reload",
            ) from None
        raise KconfigLoadError(str(exc).strip().splitlines()[0], path=path) from None
    warnings: list[str] = kconf.warnings[before:]
    del kconf.warnings[before:]  # a reused tree must not collect every session's warnings
    return [_problem(text, path, origin_of) for text in warnings]


def _problem(text: str, path: Path, origin_of: OriginOf | None) -> LoadProblem:
    match = _WARNING.fullmatch(text)
    where, line, message = (
        (Path(match["file"]), int(match["line"]), match["msg"])
        if match
        else (path, None, text.removeprefix("warning: "))
    )
    message = re.sub(r" \(defined at [^)]*\)", "", message.strip())
    if line is None:  # set_value() warns without a place: find the assignment
        sym = _INVALID_FOR.search(message)
        line = _assignment_line(path, sym["sym"]) if sym else None
    if origin_of is not None and where == path and line is not None:
        origin = origin_of(line)
        if origin is not None:
            origin_path, origin_line = origin
            if origin_path is not None:
                where, line = origin_path, origin_line
    return LoadProblem(where, line, message)


def _assignment_line(path: Path, symbol: str) -> int | None:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return None
    found = None
    for number, text in enumerate(lines, 1):
        if text.startswith(f"{symbol}="):
            found = number  # the last assignment is the one that counted
    return found


def _undecodable_line(path: Path) -> int | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    for number, raw in enumerate(data.split(b"\n"), 1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            return number
    return None


# --- the workspace entry point ------------------------------------------------------------
class Session:
    """A loaded model plus the scratch directory it needs (the rendered merged defconfig);
    close() removes the scratch directory and hands the parsed tree back for the next session."""

    def __init__(
        self, model: KconfigModel, workspace: Workspace, scratch: Path, parsed: kconfig_cache.Parsed | None = None
    ) -> None:
        self.model = model
        self.workspace = workspace
        self.scratch = scratch
        self.parsed = parsed
        self.reused = False  # the tree came from the cache (no parse)

    def save(self) -> Path | None:
        return self.model.save(self.workspace)

    def close(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)
        parsed, self.parsed = self.parsed, None
        if parsed is not None:
            kconfig_cache.give_back(parsed)


@functools.cache
def _host_facts() -> tuple[str, str]:
    return os.uname().machine, buildroot.host_gcc_version()


def tree_key(tree: Path, externals: list[tuple[str, Path]]) -> tuple[object, ...]:
    """What a parse depends on besides the Kconfig files themselves (see kconfig_cache)."""
    return (
        str(tree),
        tuple((name, str(path)) for name, path in externals),
        buildroot.tree_version(tree),
        *_host_facts(),
    )


def open_parsed(tree: Path, externals: list[tuple[str, Path]]) -> tuple[kconfig_cache.Parsed, bool]:
    """A parsed tree for (tree, externals): an idle one whose files are unchanged, else a new
    parse. True when it was reused. Give it back with kconfig_cache.give_back()."""
    key = tree_key(tree, externals)
    parsed = kconfig_cache.take(key)
    if parsed is not None:
        return parsed, True
    base = Path(tempfile.mkdtemp(prefix="skiff-kconfig-tree-"))
    try:
        kconf = parse(tree, base, externals)
    except BaseException:
        shutil.rmtree(base, ignore_errors=True)
        raise
    return kconfig_cache.Parsed(kconf, key, kconfig_cache.file_stamps(kconf, tree), base), False


def open_workspace(engine: EngineSession, *, progress: Progress = lambda stage: None) -> Session:
    """Resolve the workspace's stack, then load Buildroot's Kconfig with its externals, the merged
    configuration as the baseline and the workspace's .config as the current values.

    Writes nothing under the skiff tree (scratch files go to a temporary directory), so it works
    in read-only mode. The parsed tree is reused from an earlier session when nothing it was
    parsed from changed (core/builds/kconfig_cache.py)."""
    from ..builds.configure import plan

    progress("Resolving the package chain")
    workspace = engine.workspace
    p = plan(engine)
    if p.buildroot_src is None:
        raise BuildrootError(
            "no Buildroot tree yet", hint="run Configure once (it fetches Buildroot) or set SKIFF_BUILDROOT_SRC"
        )
    merged_fragment = p.merged.buildroot
    scratch = Path(tempfile.mkdtemp(prefix="skiff-kconfig-"))
    parsed = None
    try:
        merged = scratch / "merged-defconfig"
        atomic.write_text(merged, merged_fragment.render(), within=scratch, fsync=False)
        externals = [(e.name, e.path) for e in p.merged.externals]
        progress("Parsing Buildroot's Kconfig")
        parsed, reused = open_parsed(p.buildroot_src, externals)
        model = KconfigModel.from_parsed(
            parsed.kconf,
            baseline_config=merged,
            config=workspace.dir / ".config",
            overlay=delta_path(workspace),
            progress=progress,
            origin_of=merged_origins(merged_fragment),
            baselines=parsed.baselines,
        )
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        if parsed is not None:
            kconfig_cache.give_back(parsed)  # the tree is fine; the values were not
        raise
    session = Session(model, workspace, scratch, parsed)
    session.reused = reused
    return session


def merged_origins(fragment: MergedFragment) -> OriginOf:
    """Line N of fragment.render() -> the fragment file and line its assignment came from."""
    finals = [entries[-1] for entries in fragment.history.values()]

    def origin_of(line: int) -> tuple[Path | None, int | None] | None:
        index = line - 2  # render() starts with one header line
        if 0 <= index < len(finals):
            origin = finals[index].origin
            return origin.path, origin.line
        return None

    return origin_of


def classic_menuconfig_argv(workspace: Workspace) -> list[str]:
    """Buildroot's own menuconfig through the CLI (it saves its own delta afterwards)."""
    return [sys.executable, "-m", "skiff_tui", "br", "--workspace", workspace.name, "menuconfig"]


def run_classic_menuconfig(workspace: Workspace, env: dict[str, str] | None = None) -> int:
    """Run it on the real terminal (the TUI calls this inside App.suspend())."""
    readonly.guard("running menuconfig")
    return subprocess.run(classic_menuconfig_argv(workspace), env=dict(os.environ if env is None else env)).returncode
