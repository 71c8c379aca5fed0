"""skiff-core.yaml: a YAML editor that keeps the user's text (comments, order, formatting),
validates while typing (core.config.coreyaml, debounced), lists problems with their lines (Enter or a
click jumps there), outlines containers/users/images, starts from the chain's default and saves
into an override layer at the path the root overlay puts over the package's copy."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.document._wrapped_document import WrappedDocument
from textual.timer import Timer
from textual.widgets import Label, OptionList, Select, Static, TextArea, Tree
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from ...core.config import coreyaml
from ...core.editors import coreyaml_place as cyp
from ...core.editors import overrides as ov
from ...core.errors import SkiffError
from ...core.masking import mask_secrets
from .overrides import _shown_path
from .. import messages as msg
from . import EditorScreen


# Above this size the text is not validated while typing (a 10 MB file took ~45 s per check):
# F8 and Ctrl+S still check it, in a thread; `skiff check` checks it too.
LIVE_LIMIT = 256 * 1024


class _FrameHeight(WrappedDocument):
    """A wrapped document whose height (a sum over every line) is computed once per frame."""

    frame_height: int | None = None

    @property
    def height(self) -> int:
        if self.frame_height is not None:
            return self.frame_height
        return super().height


class YamlArea(TextArea):
    """TextArea that draws a 10 MB file without walking all of it per line drawn: per line,
    TextArea.render_line tests `self.text` (the whole document joined) for emptiness and reads
    the wrapped document's height (a sum over every line). While drawing, the first is answered
    from the document's size and the second is computed once per frame (measured: ~20 s per key
    for 600,000 lines before, see tests/editors/test_coreyaml_screen.py)."""

    _drawing = False

    def render_lines(self, crop):
        wrapped = self.wrapped_document
        if type(wrapped) is WrappedDocument:
            wrapped.__class__ = _FrameHeight
        wrapped.frame_height = WrappedDocument.height.fget(wrapped)
        try:
            return super().render_lines(crop)
        finally:
            wrapped.frame_height = None

    def render_line(self, y: int):
        self._drawing = True
        try:
            return super().render_line(y)
        finally:
            self._drawing = False

    async def _on_key(self, event) -> None:
        """Enter keeps the line's indentation, one level more after a trailing ':' (a new map)."""
        if event.key == "enter" and not self.read_only:
            row, column = self.cursor_location
            line = self.document.get_line(row)[:column]
            indent = line[: len(line) - len(line.lstrip(" "))]
            code = line.split(" #", 1)[0].rstrip()
            if code.endswith(":") and not code.lstrip().startswith("#"):
                indent += "  "  # skiff-core.yaml files indent by two
            elif code.lstrip() == "-":  # an empty list item: its content goes under it
                indent += "  "
            event.stop()
            event.prevent_default()
            self.insert("\n" + indent)
            return
        await super()._on_key(event)

    @property
    def text(self) -> str:
        document = self.document
        if self._drawing and (document.line_count > 1 or document.get_line(0)):
            return "\n"  # only tested for emptiness while drawing
        return document.text

    @text.setter
    def text(self, value: str) -> None:
        self.load_text(value)


@dataclass(frozen=True)
class Checked:
    """One validation run's result, computed off the UI thread."""

    generation: int
    text: str
    problems: list
    outline: object


class CoreYamlScreen(EditorScreen):
    SECTION = "coreyaml"
    DEBOUNCE = 0.3  # seconds of quiet typing before validating again (tests pass debounce=0)
    MUTATING = frozenset({"save", "load_default"})
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="skiff.coreyaml.save"),
        Binding("ctrl+l", "switch_layer", "Layer", id="skiff.coreyaml.layer"),
        Binding("f8", "next_problem", "Next problem", id="skiff.coreyaml.next_problem"),
        Binding("ctrl+r", "load_default", "Package default", id="skiff.coreyaml.default", show=False),
        Binding("escape", "leave", "Leave", id="skiff.coreyaml.leave", show=False),
    ]

    def __init__(
        self,
        *,
        read_only: bool | None = None,
        scope: str = "workspace",
        debounce: float | None = None,
        live_limit: int = LIVE_LIMIT,
    ) -> None:
        super().__init__(read_only=read_only)
        self.scope = scope
        self.place: cyp.CoreYamlPlace | None = None
        self.saved_text = ""
        self.problems: list[coreyaml.Problem] = []
        self._timer: Timer | None = None
        self.debounce = self.DEBOUNCE if debounce is None else debounce
        self.live_limit = live_limit
        self._generation = 0  # bumped per edit: a result for older text is dropped
        self.checked_generation = -1
        self._after_check: list = []

    @property
    def override_layer(self) -> ov.OverrideLayer:
        return ov.layer(self.app.root, self.app.workspace, self.scope)

    @property
    def editor(self) -> TextArea:
        return self.query_one("#cy-editor", TextArea)

    def has_unsaved_changes(self) -> bool:
        return not self.read_only and self.place is not None and self.editor.text != self.saved_text

    # --- layout -------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        with Horizontal(id="cy-top"):
            yield Label("Save into:")
            yield Select(
                [("all workspaces (overrides/)", "all"), ("this workspace only", "workspace")],
                value=self.scope,
                allow_blank=False,
                id="cy-layer",
                classes="layer-select",
            )
            yield Static("", id="cy-origin", markup=False)
        with Horizontal(id="cy-body"):
            yield YamlArea.code_editor("", language="yaml", id="cy-editor", read_only=self.read_only)
            with Vertical(id="cy-side"):
                yield Static("", id="cy-status", markup=False)
                yield Label("Problems", classes="cy-title")
                yield OptionList(id="cy-problems")
                yield Label("Outline", classes="cy-title")
                tree: Tree[int | None] = Tree("skiff-core.yaml", id="cy-outline")  # data: an entry's line
                tree.show_root = False
                yield tree
        yield from self.compose_bottom()

    def on_mount(self) -> None:
        super().on_mount()
        self.load_place()

    def load_place(self) -> None:
        """Find what to edit (the layer's file, or the chain's default): resolving the stack reads
        every package, so it runs in a thread; the editor is read-only until it arrives."""
        self.place = None
        self.editor.read_only = True
        self.query_one("#cy-origin", Static).update("reading the stack…")
        self._load_place(self.scope)

    @work(thread=True, exclusive=True, group="coreyaml-place", exit_on_error=False)
    def _load_place(self, scope: str) -> None:
        app = self.app
        try:
            place = cyp.coreyaml_place(app.session, ov.layer(app.root, app.workspace, scope))
        except SkiffError as exc:
            app.call_from_thread(self._place_failed, exc)
            return
        app.call_from_thread(self._show_place, place, scope)

    def _place_failed(self, exc: SkiffError) -> None:
        self.query_one("#cy-origin", Static).update(f"cannot open skiff-core.yaml: {exc}")
        self.post_message(msg.ShowError(exc))

    def _show_place(self, place, scope: str) -> None:
        if scope != self.scope:  # the layer changed again meanwhile: that load wins
            return
        self.place = place
        self.editor.read_only = self.read_only
        # a read-only session never shows auth.password (nor private keys pasted into the file)
        text = mask_secrets(place.text) if self.read_only else place.text
        # highlighting re-parses the whole document on every key: not for huge files
        self.editor.language = "yaml" if len(text) <= self.live_limit else None
        self.editor.load_text(text)
        self.saved_text = text  # only the user's edits count as unsaved
        origin = f"{_shown_path(place.target, self.app.root)}\nstarted from {place.origin}"
        if place.note:
            origin += f"  ·  {place.note}"
        self.query_one("#cy-origin", Static).update(origin)
        if self.is_current and not isinstance(self.focused, TextArea):
            self.editor.focus()  # typing edits the file (not the "Save into" selector)
        self.validate_now()

    # --- validation (in a thread: the UI never waits for it) --------------------------------
    @on(TextArea.Changed, "#cy-editor")
    def _changed(self, event: TextArea.Changed) -> None:
        self._generation += 1
        if self._timer is not None:
            self._timer.stop()
        if self.debounce > 0:
            self._timer = self.set_timer(self.debounce, self._debounced)
        else:  # no quiet period (tests): check once this change is processed
            self._timer = None
            self.call_later(self._debounced)

    def _debounced(self) -> None:
        self._timer = None
        if len(self.editor.document.text) > self.live_limit:  # measured in characters
            self._show_status_too_large()
            return
        self.validate_now()

    def _show_status_too_large(self) -> None:
        status = self.query_one("#cy-status", Static)
        status.set_class(False, "-error")
        status.set_class(False, "-ok")
        size = len(self.editor.document.text)
        status.update(f"{size // 1024} KiB: too large to check while typing; F8 or Ctrl+S checks it")

    @property
    def checked(self) -> bool:
        """True when the problems shown belong to the text in the editor."""
        return self._timer is None and self.checked_generation == self._generation

    def validate_now(self, then=None) -> None:
        """Check the editor's text in a thread; `then()` runs once the result is shown."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if then is not None:
            self._after_check.append(then)
        self.query_one("#cy-status", Static).update("checking…")
        self._check(self._generation, self.editor.text)

    @work(thread=True, exclusive=True, group="coreyaml-check", exit_on_error=False)
    def _check(self, generation: int, text: str) -> Checked:
        return Checked(generation, text, coreyaml.validate_text(text), coreyaml.outline(text))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "coreyaml-check":
            return super().on_worker_state_changed(event)
        if event.state == WorkerState.SUCCESS and isinstance(event.worker.result, Checked):
            result = event.worker.result
            if result.generation != self._generation:
                if result.text != self.editor.text:
                    return  # typed meanwhile: the debounce timer checks the new text
                if self._timer is not None:  # the change was a reload of the text just checked
                    self._timer.stop()
                    self._timer = None
            self._show_checked(result)
        elif event.state == WorkerState.ERROR:
            if event.worker.error is not None:
                self.post_message(msg.ShowError(event.worker.error))

    def _show_checked(self, result: Checked) -> None:
        self.checked_generation = self._generation
        problems = result.problems
        lst = self.query_one("#cy-problems", OptionList)
        if problems != self.problems or lst.option_count != len(problems):
            keep = lst.highlighted
            self.problems = problems
            lst.clear_options()
            for i, p in enumerate(problems):
                label = Text(f"line {p.line}: ", style="bold")
                label.append(p.message, style="red" if p.severity == coreyaml.ERROR else "yellow")
                lst.add_option(Option(label, id=str(i)))
            if keep is not None and problems:
                lst.highlighted = min(keep, len(problems) - 1)
        status = self.query_one("#cy-status", Static)
        errors = len(coreyaml.errors(self.problems))
        warnings = len(self.problems) - errors
        status.set_class(bool(errors), "-error")
        status.set_class(not self.problems, "-ok")
        if not self.problems:
            status.update("No problems: skiff-core will read every key.")
        else:
            status.update(
                f"{errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''}"
            )
        self._fill_outline(result.outline)
        pending, self._after_check = self._after_check, []
        for then in pending:
            then()

    def _fill_outline(self, outline) -> None:
        tree = self.query_one("#cy-outline", Tree)
        tree.clear()
        for section in ("containers", "users", "images"):
            entries = outline.section(section)
            branch = tree.root.add(f"{section} ({len(entries)})", expand=True)
            for entry in entries:
                label = Text(f"{entry.name}" + (f"  → {entry.detail}" if entry.detail else ""))
                branch.add_leaf(label, data=entry.line)  # YAML text: never markup
        if not outline.complete:
            tree.root.add_leaf(Text("(read line by line: the YAML is broken)", style="dim"))

    def goto_line(self, line: int, column: int | None = None) -> None:
        editor = self.editor
        row = max(0, min(line - 1, editor.document.line_count - 1))
        editor.move_cursor((row, max(0, (column or 1) - 1)), center=True)
        editor.focus()

    @on(OptionList.OptionSelected, "#cy-problems")
    def _problem_selected(self, event: OptionList.OptionSelected) -> None:
        p = self.problems[event.option_index]
        self.goto_line(p.line, p.column)

    @on(Tree.NodeSelected, "#cy-outline")
    def _outline_selected(self, event: Tree.NodeSelected) -> None:
        if isinstance(event.node.data, int):
            self.goto_line(event.node.data)

    def action_next_problem(self) -> None:
        if not self.checked:
            self.validate_now(then=self._next_problem)
            return
        self._next_problem()

    def _next_problem(self) -> None:
        if not self.problems:
            self.notify("No problems")
            return
        row = self.editor.cursor_location[0] + 1
        later = [p for p in self.problems if p.line > row]
        p = later[0] if later else self.problems[0]
        self.goto_line(p.line, p.column)
        self.notify(f"line {p.line}: {p.message}", severity="error" if p.severity == coreyaml.ERROR else "warning")

    # --- layer, save, default -----------------------------------------------------------------
    @on(Select.Changed, "#cy-layer")
    def _layer_changed(self, event: Select.Changed) -> None:
        self.layer_select_changed(event.select, self.load_place)

    def action_save(self) -> None:
        if self.read_only or self.place is None:
            return
        if not self.checked:
            self.validate_now(then=self._save_checked)
            return
        self._save_checked()

    def _save_checked(self) -> None:
        errors = coreyaml.errors(self.problems)
        if errors:
            from ..widgets.dialogs import ConfirmModal

            def answered(yes: bool | None) -> None:
                if yes:
                    self._write()

            first = errors[0]
            self.app.push_screen(
                ConfirmModal(
                    f"{len(errors)} problem{'s' if len(errors) != 1 else ''} (first: line {first.line}: {first.message}). "
                    "skiff-core ignores unknown keys and fails on broken YAML. Save anyway?",
                    "Save anyway",
                ),
                answered,
            )
            return
        self._write()

    def _write(self) -> bool:
        text = self.editor.text
        try:
            path = cyp.save_coreyaml(self.override_layer, text)
        except SkiffError as exc:
            self.notify(str(exc), severity="error")
            return False
        except OSError as exc:  # e.g. a directory where the file should be: one line, the app stays
            where = _shown_path(exc.filename or self.override_layer.path, self.app.root)
            self.notify(
                f"cannot save skiff-core.yaml: {where}: {exc.strerror or exc}; move it aside and save again",
                severity="error",
            )
            return False
        self.saved_text = text
        self.notify(f"Saved {path}; the next build puts it in the image")
        return True

    def action_load_default(self) -> None:
        if self.read_only or self.place is None:
            return
        if self.place.default is None:
            self.notify("No package in the chain ships a skiff-core.yaml", severity="warning")
            return
        try:
            text = self.place.default.read_text()
        except OSError as exc:
            self.notify(f"cannot read {self.place.default}: {exc.strerror}", severity="error")
            return
        self.editor.load_text(text)
        self.validate_now()
        self.notify(f"Loaded {self.place.default_owner}'s default; save to use it")

    def unsaved_description(self) -> tuple[str, str]:
        return "skiff-core.yaml", ""

    def save_edits(self) -> bool:
        return bool(self._write())

    def discard_edits(self) -> None:
        self.load_place()

    # --- bindings and palette -----------------------------------------------------------------
