"""Packages: a tree by namespace, filter-as-you-type over names, aliases and descriptions (best
match first, see core.library.search), a detail pane
(description, dependencies, "needed by", commands, layer dirs, files) and add/remove."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.widgets import Input, Label, OptionList, Static, Tree
from textual.widgets.option_list import Option
from rich.text import Text

from ...core.errors import SkiffError
from ..widgets.fasttree import FastTree
from .. import messages as msg
from . import SkiffScreen

if TYPE_CHECKING:
    from ...core.library.search import PackageSearch

MAX_FILES = 400
MARK_SELECTED = "●"
MARK_CHAIN = "◦"
# Above this many visible packages the namespaces start collapsed (the tree stays quick to draw).
EXPAND_LIMIT = 300


# Shown while the workspace has nothing selected (a first run): what to do first.
FIRST_RUN = (
    "First steps: pick your board — press / and type its name (e.g. pi 4), Enter, then a "
    "to add it; add skiff/core and any apps the same way. Then 2 (Stack) and c configures; "
    "5 (Build) compiles; 7 (Flash) writes the SD card. ? lists every key."
)


def match_terms(haystacks: dict[str, str], query: str) -> set[str] | None:
    """Names whose "name description" text holds every space-separated term (None: no filter)."""
    terms = query.lower().split()
    if not terms:
        return None
    return {name for name, hay in haystacks.items() if all(t in hay for t in terms)}


class PackagesScreen(SkiffScreen):
    SECTION = "packages"
    MUTATING = frozenset({"add", "remove"})
    BINDINGS = [
        Binding("slash", "focus_filter", "Filter", id="skiff.packages.filter"),
        Binding("a", "add", "Add", id="skiff.packages.add"),
        Binding("d", "remove", "Remove", id="skiff.packages.remove"),
        Binding("h", "toggle_unlisted", "Unlisted", id="skiff.packages.unlisted"),
        Binding("o", "focus_files", "Files", id="skiff.packages.files"),
    ]

    show_unlisted = reactive(False, init=False)

    def __init__(self) -> None:
        super().__init__()
        self._search: PackageSearch | None = None  # over the index's packages
        self._needed_by: dict[str, list[str]] = {}
        self._chain: set[str] = set()
        self._pulled_by: dict[str, str] = {}
        self._shown: list[str] | None = None
        self._current: str | None = None
        self._file_paths: list = []
        self._labels: dict[str, Text] = {}

    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        yield Static(FIRST_RUN, id="first-run", markup=False)
        yield Input(placeholder="Filter packages by name or description (space-separated terms)", id="filter")
        with Horizontal(id="packages-body"):
            tree: FastTree[str | None] = FastTree("Packages", id="package-tree")
            tree.show_root = False
            tree.guide_depth = 2
            yield tree
            with Vertical(id="package-detail"):
                with VerticalScroll(id="detail-scroll"):
                    yield Static("Loading packages…", id="detail-body")
                yield Label("Files (enter opens)", id="files-label")
                yield OptionList(id="files")
        yield from self.compose_bottom()

    def on_mount(self) -> None:
        super().on_mount()
        self.watch(self.app, "index", self._index_changed, init=True)
        self.watch(self.app, "selection", self._selection_changed, init=False)
        self.query_one("#package-tree", Tree).focus()

    # --- data ---------------------------------------------------------------------------------
    def _index_changed(self, index) -> None:
        self.query_one("#first-run", Static).display = False
        if index is None:
            if not self.app.loading and self.app.load_error is not None:
                self.query_one("#detail-body", Static).update(Text(str(self.app.load_error), style="red"))
            return
        from ...core.library.search import PackageSearch

        self._search = PackageSearch(index.packages.values())
        needed: dict[str, list[str]] = {}
        for pkg in index.packages.values():
            for dep in pkg.dependencies:
                needed.setdefault(dep, []).append(pkg.name)
        self._needed_by = needed
        self._labels.clear()
        self._compute_chain()
        self._show_first_run()
        self._apply_filter(self.query_one("#filter", Input).value, force=True)

    def _show_first_run(self) -> None:
        index = self.app.index
        self.query_one("#first-run", Static).display = index is not None and not self.app.selection

    def _selection_changed(self, _selection) -> None:
        self._show_first_run()
        self._labels.clear()
        self._compute_chain()
        self._relabel()
        self._show_detail(self._current)

    def _compute_chain(self) -> None:
        from ...core.library.resolve import resolve

        index = self.app.index
        self._chain, self._pulled_by = set(), {}
        if index is None or not self.app.selection:
            return
        try:
            chain = resolve(index, list(self.app.selection))
        except SkiffError:
            return  # the Stack screen shows the error in place
        self._chain = set(chain.names)
        self._pulled_by = dict(chain.pulled_by)

    def _label(self, pkg) -> Text:
        label = self._labels.get(pkg.name)
        if label is None:
            label = self._labels[pkg.name] = self._make_label(pkg)
        return label

    def _make_label(self, pkg) -> Text:
        short = pkg.name.split("/", 1)[1]
        if pkg.name in self.app.selection:
            mark = (MARK_SELECTED + " ", "bold green")
        elif pkg.name in self._chain:
            mark = (MARK_CHAIN + " ", "cyan")
        else:
            mark = ("  ", "")
        label = Text.assemble(mark, (short, "bold"))
        if pkg.unlisted:
            label.append(" (unlisted)", style="italic dim")
        if pkg.description:
            label.append("  " + pkg.description, style="dim")
        return label

    # --- the tree -----------------------------------------------------------------------------
    def _apply_filter(self, query: str, force: bool = False) -> None:
        index = self.app.index
        if index is None or self._search is None:
            return
        ranked = self._search.names(query)  # best first (core.library.search)
        if ranked is None:
            visible = index.listed(include_unlisted=self.show_unlisted)
        else:
            shown = {p.name for p in index.listed(include_unlisted=self.show_unlisted)}
            visible = [index.packages[n] for n in ranked if n in shown]
        key = [p.name for p in visible]
        if not force and key == self._shown:
            return
        self._shown = key
        # With a query the best match gets the cursor; namespaces follow their best package.
        self._build_tree(visible, expand_all=len(visible) <= EXPAND_LIMIT, prefer=key[0] if ranked and key else None)

    def _build_tree(self, packages, expand_all: bool, prefer: str | None = None) -> None:
        tree = self.query_one("#package-tree", FastTree)
        keep = prefer or self._current
        tree.clear()
        target = None
        groups: dict[str, list] = {}
        for pkg in packages:  # grouped by namespace, in order of each one's first package
            groups.setdefault(pkg.namespace, []).append(pkg)
        with tree.batch():
            for ns, members in groups.items():
                ns_node = tree.root.add(Text(ns, style="bold"), data=None, expand=expand_all)
                for pkg in members:
                    leaf = ns_node.add_leaf(self._label(pkg), data=pkg.name)
                    if pkg.name == keep or target is None and keep is None:
                        target = leaf
        if target is not None and target.parent is not None and not expand_all:
            target.parent.expand()
        if target is None and packages:
            target = tree.root.children[0].children[0] if tree.root.children else None
        if target is not None:
            self.call_after_refresh(tree.move_cursor, target)
            self._show_detail(target.data)
        else:
            self._show_detail(None)
        empty = "No package matches the filter." if packages == [] else ""
        if empty:
            self.query_one("#detail-body", Static).update(empty)

    def _relabel(self) -> None:
        index = self.app.index
        if index is None:
            return
        tree = self.query_one("#package-tree", Tree)
        for ns_node in tree.root.children:
            for leaf in ns_node.children:
                pkg = index.packages.get(leaf.data) if leaf.data is not None else None
                if pkg is not None:
                    leaf.set_label(self._label(pkg))

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._apply_filter(event.value)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        self.query_one("#package-tree", Tree).focus()

    def on_key(self, event) -> None:
        focused = self.focused
        if isinstance(focused, Input) and focused.id == "filter":
            if event.key == "down":
                self.query_one("#package-tree", Tree).focus()
                event.stop()
            elif event.key == "escape":
                focused.value = ""
                self.query_one("#package-tree", Tree).focus()
                event.stop()

    @on(Tree.NodeHighlighted, "#package-tree")
    def _highlighted(self, event: Tree.NodeHighlighted) -> None:
        if event.node.data is not None:
            self._show_detail(event.node.data)

    # --- detail pane --------------------------------------------------------------------------
    def _show_detail(self, name: str | None) -> None:
        self._current = name
        body = self.query_one("#detail-body", Static)
        files = self.query_one("#files", OptionList)
        index = self.app.index
        pkg = index.packages.get(name) if index is not None and name else None
        if pkg is None:
            body.update("No package highlighted." if index is not None else "Loading packages…")
            files.clear_options()
            self._file_paths = []
            return
        t = Text()
        t.append(pkg.name, style="bold")
        if pkg.name in self.app.selection:
            t.append(f"   {MARK_SELECTED} selected", style="bold green")
        elif pkg.name in self._pulled_by:
            t.append(f"   {MARK_CHAIN} in the chain, needed by {self._pulled_by[pkg.name]}", style="cyan")
        elif pkg.name in self._chain:
            t.append(f"   {MARK_CHAIN} in the chain", style="cyan")
        t.append("\n")
        t.append((pkg.description or "(no description)") + "\n")

        from rich.console import Group
        from rich.table import Table

        grid = Table.grid(padding=(0, 1))  # long values wrap under their value, not the label
        grid.add_column(style="bold", width=12, no_wrap=True)
        grid.add_column()

        def row(label: str, value: str, label_style: str = "bold") -> None:
            grid.add_row(Text(label, style=label_style), Text(value))  # package text: never markup

        if pkg.aliases:
            row("Also known", ", ".join(pkg.aliases))
        row("Depends on", ", ".join(pkg.dependencies) or "—")
        row("Needed by", ", ".join(sorted(self._needed_by.get(pkg.name, []))) or "—")
        row("Layer dirs", ", ".join(pkg.layer_dirs()) or "—")
        row("Source", pkg.source.split(":", 1)[0] if pkg.source.startswith("extra:") else pkg.source)
        if pkg.buildtarget:
            row("Build target", pkg.buildtarget)
        if pkg.unlisted:
            row("Unlisted", "yes (hidden from listings, still selectable)")
        if pkg.runnable_commands:
            row("Commands", "")
            for cmd in pkg.runnable_commands:
                row(f"  {cmd.name}", cmd.description or "", "cyan")
        tail = Text()
        for defect in pkg.defects:
            tail.append(f"defect: {defect}\n", style="red")
        body.update(Group(t, grid, tail))
        self._fill_files(pkg)

    def _fill_files(self, pkg) -> None:
        self.query_one("#files", OptionList).clear_options()
        self._file_paths = []
        self._list_files(pkg.name, pkg.path)

    @work(thread=True, exclusive=True, group="files", exit_on_error=False)
    def _list_files(self, name: str, path) -> None:
        """A package's files, listed by the engine off the UI thread (overlays can be large)."""
        from ...core.config.layers import Layer, input_files

        paths = input_files([Layer(name, path, "package")])[:MAX_FILES]
        self.app.call_from_thread(self._show_files, name, path, paths)

    def _show_files(self, name: str, root, paths) -> None:
        if name != self._current:
            return  # the cursor moved on meanwhile
        files = self.query_one("#files", OptionList)
        self._file_paths = paths
        files.clear_options()
        files.add_options([Option(Text(str(p.relative_to(root))), id=str(i)) for i, p in enumerate(paths)])

    @on(OptionList.OptionSelected, "#files")
    def _open_file(self, event: OptionList.OptionSelected) -> None:
        from ..widgets.fileview import FileViewer

        path = self._file_paths[event.option_index]
        self.app.push_screen(FileViewer(path, title=f"{self._current}/{event.option.prompt}"))

    # --- actions ------------------------------------------------------------------------------
    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_focus_files(self) -> None:
        self.query_one("#files", OptionList).focus()

    def action_toggle_unlisted(self) -> None:
        self.show_unlisted = not self.show_unlisted

    def watch_show_unlisted(self, value: bool) -> None:
        self.notify("Showing unlisted packages" if value else "Hiding unlisted packages")
        self._apply_filter(self.query_one("#filter", Input).value, force=True)

    def action_add(self) -> None:
        if self._current and not self.read_only:
            self.post_message(msg.AddPackage(self._current))

    def action_remove(self) -> None:
        if not self._current or self.read_only:
            return
        if self._current not in self.app.selection and self._current in self._pulled_by:
            self.notify(
                f"{self._current} is needed by {self._pulled_by[self._current]}; remove that package instead",
                severity="warning",
            )
            return
        self.post_message(msg.RemovePackage(self._current))
