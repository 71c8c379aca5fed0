"""KconfigTree: Buildroot's menu tree, filled lazily from a `core.editors.kconfig.KconfigModel`.

Only the rows of expanded menus exist (the whole Buildroot tree is ~11,000 nodes: 0.85 s to build
eagerly, 0.06 s for the top level). After every edit `refresh_rows()` re-labels the
expanded part and rebuilds only the menus whose set of shown children changed, keeping the cursor
on the same entry.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from ...core.editors.kconfig import Entry, KconfigModel


class KconfigTree(Tree):
    """Space toggles (or opens a menu), n/m/y set a value, Enter opens menus or edits."""

    DEFAULT_CSS = """
    KconfigTree { scrollbar-gutter: stable; }
    """
    BINDINGS = [
        Binding("space", "activate('toggle')", "Toggle", id="skiff.kconfig.toggle"),
        Binding("n", "set_tristate('n')", "n", id="skiff.kconfig.set_n", show=False),
        Binding("m", "set_tristate('m')", "m", id="skiff.kconfig.set_m", show=False),
        Binding("y", "set_tristate('y')", "y", id="skiff.kconfig.set_y", show=False),
    ]
    MUTATING = frozenset({"activate", "set_tristate"})

    @dataclass
    class Activated(Message):
        """Space (how='toggle') or Enter (how='select') on a row."""

        tree: "KconfigTree"
        menu_node: object
        how: str

    @dataclass
    class SetTristate(Message):
        tree: "KconfigTree"
        menu_node: object
        value: str

    def __init__(self, *, id: str | None = None, read_only: bool = False) -> None:
        super().__init__("(not loaded)", id=id)
        self.show_root = False
        self.auto_expand = False
        self.guide_depth = 3
        self.read_only = read_only
        self.model: KconfigModel | None = None
        self._filled: set[int] = set()

    # --- filling ------------------------------------------------------------------------------
    def load(self, model: KconfigModel) -> None:
        self.model = model
        self.clear()
        self._filled.clear()
        self.root.data = model.top
        self.root.set_label(Text(model.title()))  # the mainmenu prompt: never markup
        self.populate(self.root)
        self.root.expand()
        self.move_cursor_to_line(0)

    def unload(self) -> None:
        """Forget the model (its tree goes back for reuse and must not be read from here)."""
        self.model = None
        self.clear()
        self._filled.clear()

    def _label(self, entry: Entry) -> Text:
        text = Text(entry.label)
        if not entry.visible:
            text.stylize("dim italic")
        if entry.changed:
            text.stylize("bold")
            text.append(" ●", style="bold yellow")
        return text

    def populate(self, tnode: TreeNode) -> None:
        """Add the rows under `tnode` once (lazy: called when it is first expanded)."""
        if tnode.id in self._filled or self.model is None:
            return
        self._filled.add(tnode.id)
        for entry in self.model.children(tnode.data):
            tnode.add(self._label(entry), data=entry.node, allow_expand=entry.expandable)

    def _on_tree_node_expanded(self, event: Tree.NodeExpanded) -> None:
        if event.node.tree is self:
            self.populate(event.node)

    # --- refreshing after edits -----------------------------------------------------------
    def refresh_rows(self) -> None:
        """Bring labels and shown rows up to date with the model (values, visibility, show-all)."""
        if self.model is None:
            return
        current = self.cursor_node.data if self.cursor_node is not None else None
        self._sync(self.root)
        if current is not None:
            self.reveal(current, quiet=True)

    def _sync(self, tnode: TreeNode) -> None:
        if tnode.id not in self._filled or self.model is None:
            return
        entries = self.model.children(tnode.data)
        children = list(tnode.children)
        if [e.node for e in entries] == [c.data for c in children]:
            for entry, child in zip(entries, children):
                child.set_label(self._label(entry))
                child.allow_expand = entry.expandable
                if child.is_expanded and not entry.expandable:
                    child.collapse()
                self._sync(child)
            return
        # the shown set changed: rebuild this level, re-opening what was open
        expanded = {c.data for c in children if c.is_expanded}
        for child in children:
            self._forget(child)
        tnode.remove_children()
        for entry in entries:
            child = tnode.add(self._label(entry), data=entry.node, allow_expand=entry.expandable)
            if entry.node in expanded and entry.expandable:
                self.populate(child)
                child.expand()
                self._sync(child)

    def _forget(self, tnode: TreeNode) -> None:
        self._filled.discard(tnode.id)
        for child in tnode.children:
            self._forget(child)

    # --- finding rows --------------------------------------------------------------------------
    def tree_node_for(self, menu_node) -> TreeNode | None:
        """The row of `menu_node`, expanding its menus on the way; None if it is not shown."""
        if self.model is None:
            return None
        tnode = self.root
        for step in [*self.model.path_to(menu_node), menu_node]:
            self.populate(tnode)
            match = next((c for c in tnode.children if c.data is step), None)
            if match is None:
                return None
            if step is not menu_node:
                self.populate(match)
                match.expand()
            tnode = match
        return tnode

    def reveal(self, menu_node, *, quiet: bool = False) -> bool:
        tnode = self.tree_node_for(menu_node)
        if tnode is None:
            return False
        self._tree_lines  # expanding invalidated the line numbers: rebuild them before moving
        self.move_cursor(tnode, animate=False)
        if not quiet:
            self.scroll_to_node(tnode, animate=False)
        return True

    @property
    def current(self):
        node = self.cursor_node
        return None if node is None or node is self.root else node.data

    # --- actions ------------------------------------------------------------------------------
    def check_action(self, action: str, parameters) -> bool | None:
        if action in self.MUTATING and self.read_only:
            return False
        return True

    def action_activate(self, how: str) -> None:
        if self.current is not None:
            self.post_message(self.Activated(self, self.current, how))

    def action_set_tristate(self, value: str) -> None:
        if self.current is not None:
            self.post_message(self.SetTristate(self, self.current, value))

    def action_select_cursor(self) -> None:
        if self.current is not None:
            self.post_message(self.Activated(self, self.current, "select"))
