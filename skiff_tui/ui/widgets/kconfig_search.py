"""Jump-to dialog of the Kconfig screen: space-separated regex terms over every symbol, choice,
menu and comment (hidden ones too), incremental, with the info of the highlighted result."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ...core.editors.kconfig import KconfigModel, SearchHit
from ...core.errors import SkiffError
from .kconfig_info import KconfigInfo

# Rows built per keystroke: a few screens of results (building an OptionList row costs about
# 0.2 ms, so 400 rows took most of a search's time); the status line says to narrow the query.
SHOWN_RESULTS = 120


class KconfigSearchModal(ModalScreen[object | None]):
    """Returns the chosen menu node, or None."""

    DEFAULT_CSS = """
    KconfigSearchModal { align: center middle; }
    KconfigSearchModal > Vertical { width: 95%; height: 90%; border: thick $primary; background: $surface; }
    KconfigSearchModal #kc-search-help { color: $text-muted; padding: 0 1; height: auto; }
    KconfigSearchModal #kc-search-status { padding: 0 1; height: 1; }
    KconfigSearchModal #kc-search-status.-error { color: $error; }
    KconfigSearchModal #kc-search-panes { height: 1fr; }
    KconfigSearchModal #kc-search-results { width: 1fr; }
    KconfigSearchModal #kc-search-info { width: 1fr; border-left: solid $primary 50%; padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape", "close", "Close", id="skiff.kconfig.search.close"),
        Binding("down", "to_results", "Results", id="skiff.kconfig.search.results", show=False),
    ]

    def __init__(self, model: KconfigModel, query: str = "") -> None:
        super().__init__()
        self.model = model
        self.query_text = query
        self.hits: list[SearchHit] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label("Jump to a symbol, choice, menu or comment")
            yield Static(
                "Space-separated regular expressions, all must match the name or the prompt "
                "(case-insensitive); hidden entries are included.",
                id="kc-search-help",
            )
            yield Input(value=self.query_text, placeholder="e.g.  python  or  ^br2_package_.*ssl", id="kc-search-input")
            yield Static("", id="kc-search-status", markup=False)  # error messages quote the regex
            with Horizontal(id="kc-search-panes"):
                yield OptionList(id="kc-search-results")
                with VerticalScroll(id="kc-search-info"):
                    yield KconfigInfo(id="kc-search-info-text")

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        if self.query_text:
            self.run_search(self.query_text)

    def run_search(self, query: str) -> None:
        status = self.query_one("#kc-search-status", Static)
        results = self.query_one("#kc-search-results", OptionList)
        results.clear_options()
        status.remove_class("-error")
        try:
            self.hits = self.model.search(query)
        except SkiffError as exc:
            self.hits = []
            status.add_class("-error")
            status.update(exc.message)
            return
        shown = self.hits[:SHOWN_RESULTS]
        options = []
        for i, hit in enumerate(shown):
            text = Text(hit.text)
            if not hit.visible:
                text.append("  (hidden)", style="dim")
                text.stylize("italic")
            options.append(Option(text, id=str(i)))
        results.add_options(options)
        if not query.strip():
            status.update("")
        elif len(self.hits) > SHOWN_RESULTS:
            status.update(f"{len(self.hits)} matches, the first {SHOWN_RESULTS} shown: add a term to narrow")
        else:
            status.update(f"{len(self.hits)} match{'es' if len(self.hits) != 1 else ''}")
        if shown:
            results.highlighted = 0
            self._show_info(0)
        else:
            self.query_one("#kc-search-info-text", KconfigInfo).show("")

    def _show_info(self, index: int | None) -> None:
        if index is None or index >= len(self.hits):
            return
        self.query_one("#kc-search-info-text", KconfigInfo).show(self.model.info(self.hits[index].node))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.run_search(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        results = self.query_one("#kc-search-results", OptionList)
        if results.highlighted is not None and self.hits:
            self.dismiss(self.hits[results.highlighted].node)

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self._show_info(event.option_index)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.hits[event.option_index].node)

    def action_to_results(self) -> None:
        results = self.query_one("#kc-search-results", OptionList)
        if self.focused is not results and results.option_count:
            results.focus()

    def action_close(self) -> None:
        self.dismiss(None)
