"""Kconfig (menuconfig): Buildroot's Config.in with the chain's externals and the workspace's
.config, through kconfiglib (core.editors.kconfig). A thin client: the model does every lookup,
edit, search and save; this screen lays it out and routes keys.

Saving writes only what the user changed against the merged configuration, as the fragment
overrides/workspaces/<ws>/buildroot/zz-buildroot-menuconfig-delta (never configs/ or Buildroot).
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, LoadingIndicator, Static, Tree
from textual.worker import Worker, WorkerState

from ...core.editors.kconfig import KconfigLoadError, KconfigModel, Session, open_workspace, run_classic_menuconfig
from ...core.errors import SkiffError
from .. import messages as msg
from ..failures import summary_of
from ..widgets.dialogs import PromptModal
from ..widgets.kconfig_info import KconfigInfo
from ..widgets.kconfig_search import KconfigSearchModal
from ..widgets.kconfig_tree import KconfigTree
from . import EditorScreen

LOAD_GROUP = "kconfig-load"
LOAD_WHAT = "Loading Buildroot's Kconfig"


class KconfigScreen(EditorScreen):
    SECTION = "kconfig"
    MUTATING = frozenset({"save", "classic_menuconfig", "edit_value", "revert_symbol"})
    BINDINGS = [
        Binding("slash", "search", "Search", id="skiff.kconfig.search"),
        Binding("ctrl+s", "save", "Save", id="skiff.kconfig.save"),
        Binding("h", "toggle_show_all", "Show all", id="skiff.kconfig.show_all"),
        Binding("C", "toggle_show_name", "Names", id="skiff.kconfig.show_name"),
        Binding("e", "edit_value", "Edit value", id="skiff.kconfig.edit", show=False),
        Binding("u", "revert_symbol", "Undo option", id="skiff.kconfig.revert", show=False),
        Binding("M", "classic_menuconfig", "menuconfig", id="skiff.kconfig.classic"),
        Binding("r", "reload", "Reload", id="skiff.kconfig.reload", show=False),
        Binding("escape", "leave", "Leave", id="skiff.kconfig.leave", show=False),
    ]

    def __init__(self, *, read_only: bool | None = None) -> None:
        super().__init__(read_only=read_only)
        self.session: Session | None = None
        self.load_error: SkiffError | None = None

    # --- state --------------------------------------------------------------------------------
    @property
    def model(self) -> KconfigModel | None:
        return self.session.model if self.session else None

    def has_unsaved_changes(self) -> bool:
        return bool(self.model and self.model.dirty)

    # --- layout -------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        with Vertical(id="kc-loading"):
            yield LoadingIndicator()
            yield Static("Starting…", id="kc-stage", markup=False)
        with Vertical(id="kc-error", classes="-hidden"):
            yield Static("", id="kc-error-text", markup=False)
            yield Static(
                "Buildroot's own menuconfig (make menuconfig) can still edit this workspace; "
                "its changes are saved as the same delta fragment.",
                markup=False,
            )
            with Horizontal(id="kc-error-buttons"):
                yield Button("Run make menuconfig in the terminal", id="kc-classic", variant="primary")
                yield Button("Details", id="kc-details")
                yield Button("Retry", id="kc-retry")
        with Horizontal(id="kc-body", classes="-hidden"):
            with Vertical(id="kc-left"):
                yield Static("", id="kc-header", markup=False)
                yield Static("", id="kc-problems", markup=False, classes="-hidden")
                yield KconfigTree(id="kc-tree", read_only=self.read_only)
            with VerticalScroll(id="kc-info"):
                yield KconfigInfo(id="kc-info-text")
        yield from self.compose_bottom()

    def on_mount(self) -> None:
        super().on_mount()
        self.start_loading()

    def on_unmount(self) -> None:
        if self.session is not None:
            self.session.close()

    def _show(self, part: str) -> None:
        for name in ("kc-loading", "kc-error", "kc-body"):
            self.query_one(f"#{name}").set_class(name != part, "-hidden")

    # --- loading (thread worker) --------------------------------------------------------------
    def start_loading(self) -> None:
        # hand the tree back first, so the new load can reuse it instead of parsing again
        self.query_one(KconfigTree).unload()
        if self.session is not None:
            self.session.close()
            self.session = None
        self._show("kc-loading")
        self.query_one("#kc-stage", Static).update("Starting…")
        self._load(self.app.session.with_env(dict(self.app.env)))

    @work(thread=True, exclusive=True, group=LOAD_GROUP, exit_on_error=False, name=LOAD_WHAT)
    def _load(self, engine) -> Session:
        def progress(stage: str) -> None:
            # post, not call_from_thread: the load must not wait for the UI to draw each stage
            self.post_message(self.Stage(stage))

        return open_workspace(engine, progress=progress)

    class Stage(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def on_kconfig_screen_stage(self, message: KconfigScreen.Stage) -> None:
        self.query_one("#kc-stage", Static).update(f"{message.text}…")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != LOAD_GROUP:
            return  # SkiffScreen's handler reports other workers' failures
        event.prevent_default()  # shown here, in place
        if event.state == WorkerState.SUCCESS and isinstance(event.worker.result, Session):
            self._loaded(event.worker.result)
        elif event.state == WorkerState.ERROR:
            self._failed(event.worker.error)

    def _loaded(self, session: Session) -> None:
        if self.session is not None:
            self.session.close()
        self.session = session
        self.load_error = None
        tree = self.query_one(KconfigTree)
        try:
            tree.load(session.model)
        except Exception as exc:  # noqa: BLE001 - a failure here must not take the app down
            self.session = None
            tree.unload()
            session.close()
            self._failed(exc)
            return
        self._show_problems(session.model.problems)
        self._show("kc-body")
        self._update_header()
        tree.focus()
        self._update_info()

    def _show_problems(self, problems) -> None:
        line = self.query_one("#kc-problems", Static)
        if problems:
            more = (
                f"  (and {len(problems) - 1} more line{'s' if len(problems) > 2 else ''})" if len(problems) > 1 else ""
            )
            line.update(f"⚠ ignored {problems[0]}{more}")
        line.set_class(not problems, "-hidden")

    def _failed(self, error: BaseException | None) -> None:
        if error is not None:
            self.post_message(msg.ReportFailure(LOAD_WHAT, error, notify=False))
        if isinstance(error, SkiffError):
            self.load_error = error
            text = str(error)
        else:
            summary = summary_of(error) if error is not None else "unknown error"
            self.load_error = SkiffError(f"internal error: {summary}")
            text = self.load_error.message
        self.query_one("#kc-error-text", Static).update(f"The Kconfig editor could not load: {text}")
        # Buildroot's own menuconfig helps when kconfiglib cannot parse the tree, not when the
        # workspace has no chain or no Buildroot yet
        self.query_one("#kc-classic", Button).display = isinstance(error, KconfigLoadError) and not self.read_only
        self.query_one("#kc-details", Button).display = error is not None and not isinstance(error, SkiffError)
        self._show("kc-error")
        self.query_one("#kc-retry", Button).focus()

    # --- header and info ----------------------------------------------------------------------
    def _update_header(self) -> None:
        model = self.model
        if model is None:
            return
        flags = [f for f, on in (("show-all", model.show_all), ("names", model.show_name)) if on]
        changes = len(model.changes())
        from .overrides import _shown_path

        source = _shown_path(model.source, self.app.root) if isinstance(model.source, (str, Path)) else model.source
        parts = [model.title(), f"values: {source}"]
        if flags:
            parts.append(" ".join(f"[{f}]" for f in flags))
        parts.append(f"● {changes} unsaved change{'s' if changes != 1 else ''}" if changes else "no unsaved changes")
        if self.read_only:
            parts.append("read-only")
        self.query_one("#kc-header", Static).update("  ·  ".join(parts))

    def _update_info(self, menu_node=None) -> None:
        model = self.model
        if model is None:
            return
        node = menu_node if menu_node is not None else self.query_one(KconfigTree).current
        text = model.info(node) if node is not None else ""
        self.query_one("#kc-info-text", KconfigInfo).show(text)

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        if event.node.data is not None and event.node.tree is self.query_one(KconfigTree):
            self._update_info(event.node.data)

    def _after_edit(self) -> None:
        tree = self.query_one(KconfigTree)
        tree.refresh_rows()
        self._update_header()
        self._update_info()

    # --- editing ------------------------------------------------------------------------------
    def _report(self, exc: SkiffError) -> None:
        self.notify(exc.message if not exc.path else str(exc), severity="error", timeout=6)

    def on_kconfig_tree_activated(self, event: KconfigTree.Activated) -> None:
        model = self.model
        if model is None:
            return
        node = event.menu_node
        tree = self.query_one(KconfigTree)
        kind = model.kind(node)
        toggles = kind in ("bool", "tristate") and model.is_changeable(node)
        if (
            event.how == "select"
            and tree.cursor_node is not None
            and tree.cursor_node.allow_expand
            and not model.needs_text(node)
        ):
            # Enter opens a menu (and a menuconfig symbol's submenu), as in menuconfig
            tree.populate(tree.cursor_node)
            tree.cursor_node.toggle()
            return
        if self.read_only:
            return
        if toggles:
            try:
                model.toggle(node)
            except SkiffError as exc:
                self._report(exc)
                return
            self._after_edit()
        elif model.needs_text(node):
            self.action_edit_value()
        elif tree.cursor_node is not None and tree.cursor_node.allow_expand:
            tree.populate(tree.cursor_node)
            tree.cursor_node.toggle()
        elif kind in ("bool", "tristate"):
            try:
                model.toggle(node)  # explains why it cannot change
            except SkiffError as exc:
                self._report(exc)

    def on_kconfig_tree_set_tristate(self, event: KconfigTree.SetTristate) -> None:
        if self.read_only or self.model is None:
            return
        try:
            self.model.set_tristate(event.menu_node, event.value)
        except SkiffError as exc:
            self._report(exc)
            return
        self._after_edit()

    def action_edit_value(self) -> None:
        model = self.model
        node = self.query_one(KconfigTree).current if model else None
        if model is None or node is None or not model.needs_text(node):
            return
        if not model.is_changeable(node):
            self.notify(f"{node.item.name} cannot be changed now (its prompt is hidden)", severity="warning")
            return
        sym = node.item
        rng = model.range_text(sym)
        note = f"{sym.name} ({model.kind(node)}{', range ' + rng if rng else ''})"

        def done(value: str | None) -> None:
            if value is None:
                return
            try:
                model.set_text(node, value)
            except SkiffError as exc:
                self._report(exc)
                return
            self._after_edit()

        self.app.push_screen(
            PromptModal(
                node.prompt[0] if node.prompt else sym.name,
                partial(model.check_text, node),
                value=sym.str_value,
                note=note,
            ),
            done,
        )

    def action_revert_symbol(self) -> None:
        model = self.model
        node = self.query_one(KconfigTree).current if model else None
        if model is None or node is None:
            return
        try:
            model.revert(node)
        except SkiffError as exc:
            self._report(exc)
            return
        self._after_edit()

    # --- toggles, search ----------------------------------------------------------------------
    def action_toggle_show_all(self) -> None:
        if self.model is not None:
            self.model.show_all = not self.model.show_all
            self._after_edit()

    def action_toggle_show_name(self) -> None:
        if self.model is not None:
            self.model.show_name = not self.model.show_name
            self._after_edit()

    def action_search(self) -> None:
        if self.model is None:
            return
        self.app.push_screen(KconfigSearchModal(self.model), self.jump_to)

    def jump_to(self, menu_node) -> None:
        """Put the cursor on `menu_node`, switching show-all on if it is hidden."""
        if menu_node is None or self.model is None:
            return
        tree = self.query_one(KconfigTree)
        if not tree.reveal(menu_node):
            if not self.model.show_all:
                self.model.show_all = True
                self._after_edit()
                self.notify("Show-all is on: the entry you jumped to is hidden")
            if not tree.reveal(menu_node):
                self.notify(
                    "That entry has no place in the menu tree (no prompt); its info is shown", severity="warning"
                )
        tree.focus()
        self._update_info(menu_node)

    # --- save, leave --------------------------------------------------------------------------
    def action_save(self) -> bool:
        if self.session is None:
            return False
        try:
            path = self.session.save()
        except SkiffError as exc:
            self.post_message(msg.ShowError(exc))
            return False
        if path is None:
            self.notify("No changes to save")
        else:
            self.notify(f"Saved to {path}; Configure applies it to the workspace", title="Kconfig")
        self._after_edit()
        return True

    def unsaved_description(self) -> tuple[str, str]:
        count = len(self.model.changes()) if self.model else 0
        return "The Kconfig editor", f"{count} option{'s' if count != 1 else ''} changed, not saved yet."

    def save_edits(self) -> bool:
        return bool(self.action_save())

    def discard_edits(self) -> None:
        self.start_loading()  # back to what is on disk

    def action_reload(self) -> None:
        if self.has_unsaved_changes() and not self.read_only:
            self.confirm_leave(lambda: None)
        else:
            self.start_loading()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "kc-retry":
            self.start_loading()
        elif event.button.id == "kc-details":
            self.post_message(msg.ShowErrorDetails())
        elif event.button.id == "kc-classic":
            self.action_classic_menuconfig()

    def action_classic_menuconfig(self) -> None:
        """Buildroot's own menuconfig on the real terminal, then load again (it saved a delta)."""
        if self.read_only:
            return
        if self.has_unsaved_changes():
            self.notify("Save or undo your changes here first", severity="warning")
            return
        try:
            with self.app.suspend():
                code = run_classic_menuconfig(self.app.workspace, dict(self.app.env))
        except SkiffError as exc:
            self._report(exc)
            return
        except Exception as exc:  # SuspendNotSupported (no terminal), OSError
            self.notify(f"cannot run make menuconfig here: {exc or type(exc).__name__}", severity="error")
            return
        self.notify(f"make menuconfig exited with {code}", severity="information" if code == 0 else "error")
        self.start_loading()

    # --- bindings and palette -----------------------------------------------------------------
    def check_action(self, action: str, parameters) -> bool | None:
        if action in self.MUTATING and self.read_only:
            return False
        if (
            action in ("save", "edit_value", "revert_symbol", "toggle_show_all", "toggle_show_name", "search")
            and self.model is None
        ):
            return None  # shown disabled until the tree is loaded
        return True
