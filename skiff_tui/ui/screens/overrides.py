"""Overrides: guided editors for the hostname, Wi-Fi networks and SSH keys, and a file browser +
editor over the override layers. A layer selector chooses where everything is written:
``overrides/`` (all workspaces) or ``overrides/workspaces/<ws>/`` (this workspace). Every write
goes through core.editors.overrides (validated, atomic, refused in read-only mode)."""

from __future__ import annotations

from functools import partial

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import (
    Button,
    Checkbox,
    DirectoryTree,
    Input,
    Label,
    OptionList,
    Select,
    Static,
    TabbedContent,
    TabPane,
    TextArea,
)
from textual.widgets.option_list import Option

from ...core.editors import overrides as ov
from ...core.errors import SkiffError
from ...core.masking import MASK, mask_secrets
from ..widgets.dialogs import PromptModal
from ..widgets.editor_files import LayerFileTree
from ..palette import PaletteCommand
from . import EditorScreen

TABS = ("hostname", "wifi", "ssh", "files")


def _shown_path(path: str | Path, root: Path) -> str:
    """A path inside the skiff tree relative to it (shorter, and what the user knows), else absolute."""
    try:
        return str(Path(path).relative_to(root))
    except ValueError:
        return str(path)


class OverridesScreen(EditorScreen):
    SECTION = "overrides"
    MUTATING = frozenset({"save", "new_file", "delete_file"})
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="skiff.overrides.save"),
        Binding("ctrl+l", "switch_layer", "Layer", id="skiff.overrides.layer"),
        Binding("ctrl+n", "new_file", "New file", id="skiff.overrides.new_file"),
        Binding("ctrl+d", "delete_file", "Delete file", id="skiff.overrides.delete_file", show=False),
        Binding("escape", "leave", "Leave", id="skiff.overrides.leave", show=False),
    ]

    def __init__(self, *, read_only: bool | None = None, scope: str = "workspace") -> None:
        super().__init__(read_only=read_only)
        self.scope = scope
        self.open_path: Path | None = None
        self.open_text = ""
        self._keep_focus = False

    # --- state --------------------------------------------------------------------------------
    @property
    def override_layer(self) -> ov.OverrideLayer:
        return ov.layer(self.app.root, self.app.workspace, self.scope)

    def has_unsaved_changes(self) -> bool:
        if self.open_path is None or self.read_only:
            return False
        return self.query_one("#ov-editor", TextArea).text != self.open_text

    # --- layout -------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        ro = self.read_only
        yield from self.compose_top()
        with Horizontal(id="ov-top"):
            yield Label("Save into:")
            yield Select(
                [("all workspaces (overrides/)", "all"), ("this workspace only", "workspace")],
                value=self.scope,
                allow_blank=False,
                id="ov-layer",
                classes="layer-select",
            )
            yield Static("", id="ov-layer-path", markup=False)
        with TabbedContent(id="ov-tabs", initial="hostname"):
            with TabPane("Hostname", id="hostname"):
                with VerticalScroll(classes="ov-form"):
                    yield Static("", id="ov-host-effective", classes="ov-note", markup=False)
                    yield Static("", id="ov-host-layer", markup=False)
                    yield Input(placeholder="e.g. skiff-pi (letters, digits, '-')", id="ov-hostname", disabled=ro)
                    yield Static("", id="ov-host-error", classes="ov-error", markup=False)
                    with Horizontal(classes="ov-buttons"):
                        yield Button("Save hostname", id="ov-host-save", variant="primary", disabled=ro)
                        yield Button("Remove from this layer", id="ov-host-remove", disabled=ro)
            with TabPane("Wi-Fi", id="wifi"):
                with VerticalScroll(classes="ov-form"):
                    yield Static(
                        "NetworkManager keyfiles in root_overlay/etc/NetworkManager/system-connections/ "
                        "(mode 0600). Pick one to edit it.",
                        classes="ov-note",
                        markup=False,
                    )
                    yield OptionList(id="ov-wifi-list")
                    yield Input(placeholder="SSID (network name, up to 32 bytes)", id="ov-ssid", disabled=ro)
                    yield Input(
                        placeholder="passphrase: 8-63 characters, or 64 hex digits",
                        password=True,
                        id="ov-psk",
                        disabled=ro,
                    )
                    yield Checkbox("Hidden network (does not broadcast its SSID)", id="ov-hidden", disabled=ro)
                    yield Static("", id="ov-wifi-error", classes="ov-error", markup=False)
                    with Horizontal(classes="ov-buttons"):
                        yield Button("Save network", id="ov-wifi-save", variant="primary", disabled=ro)
                        yield Button("Delete selected", id="ov-wifi-delete", disabled=ro)
                        yield Button("Show passphrase", id="ov-psk-show", disabled=ro)
            with TabPane("SSH keys", id="ssh"):
                with VerticalScroll(classes="ov-form"):
                    yield Static(
                        "Public keys allowed to log in as root (root_overlay/root/.ssh/authorized_keys, mode 0600).",
                        classes="ov-note",
                        markup=False,
                    )
                    yield OptionList(id="ov-keys")
                    yield TextArea("", id="ov-key-input", read_only=ro, soft_wrap=True)
                    yield Static(
                        "Paste one or more public keys (the .pub file), one per line.", classes="ov-note", markup=False
                    )
                    yield Static("", id="ov-key-error", classes="ov-error", markup=False)
                    with Horizontal(classes="ov-buttons"):
                        yield Button("Add keys", id="ov-key-add", variant="primary", disabled=ro)
                        yield Button("Remove selected", id="ov-key-remove", disabled=ro)
            with TabPane("Files", id="files"):
                with Horizontal(id="ov-files-body"):
                    with Vertical(id="ov-files-left"):
                        yield Static("", id="ov-files-empty", classes="ov-note", markup=False)
                    with Vertical(id="ov-files-right"):
                        yield Static("no file open", id="ov-file-title", markup=False)
                        yield TextArea.code_editor("", id="ov-editor", read_only=True)
        yield from self.compose_bottom()

    def on_mount(self) -> None:
        super().on_mount()
        self.refresh_layer()
        self.focus_tab_field("hostname")

    # The first field of each tab: where the cursor goes when the tab opens (no Tab presses
    # through the layer selector and the tab row first).
    FIRST_FIELD = {"hostname": "#ov-hostname", "wifi": "#ov-wifi-list", "ssh": "#ov-keys", "files": "#ov-files"}

    def focus_tab_field(self, tab: str) -> None:
        selector = self.FIRST_FIELD.get(tab, "")
        if tab == "hostname" and self.read_only:
            return  # nothing to type: the tab row keeps the focus
        for widget in self.query(selector):
            if widget.focusable:
                widget.focus()
                return

    @on(TabbedContent.TabActivated, "#ov-tabs")
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if self._keep_focus:
            self._keep_focus = False
            return
        self.focus_tab_field(event.pane.id or "")

    # --- per-layer contents -------------------------------------------------------------------
    def refresh_layer(self) -> None:
        layer = self.override_layer
        self.query_one("#ov-layer-path", Static).update(_shown_path(layer.path, self.app.root) + "/")
        self._refresh_hostname()
        self._refresh_wifi()
        self._refresh_keys()
        self._refresh_files(close=True)

    @work(thread=True, exclusive=True, group="overrides-hostname", exit_on_error=False)
    def _refresh_effective_hostname(self) -> None:
        """What the whole stack sets (resolving it reads every package: in a thread)."""
        app = self.app
        try:
            effective = ov.effective_hostname(app.session)
            note = (
                f"The image's hostname now: {effective[0]!r}, set by {effective[1].replace(str(app.root) + '/', '')}"
                if effective
                else "The image's hostname now: Buildroot's default (no layer sets it)"
            )
        except SkiffError as exc:
            note = f"The stack's hostname is unknown here ({exc.message})"
        app.call_from_thread(self.query_one("#ov-host-effective", Static).update, note)

    def _refresh_hostname(self) -> None:
        layer = self.override_layer
        self.query_one("#ov-host-effective", Static).update("The image's hostname now: reading the stack…")
        self._refresh_effective_hostname()
        current = ov.read_hostname(layer)
        self.query_one("#ov-host-layer", Static).update(
            f"In {layer.label}: {current!r}" if current else f"{layer.label} does not set a hostname"
        )
        self.query_one("#ov-hostname", Input).value = current or ""
        self.query_one("#ov-host-error", Static).update("")

    def _refresh_wifi(self) -> None:
        lst = self.query_one("#ov-wifi-list", OptionList)
        lst.clear_options()
        self.wifi_entries = ov.list_wifi(self.override_layer)
        for path, net in self.wifi_entries:
            if isinstance(net, ov.OverrideError):
                lst.add_option(Option(Text(f"{path.name}: {net.message}", style="red"), id=path.stem))
            else:
                lst.add_option(
                    Option(Text(f"{net.ssid}  ({path.name}{', hidden' if net.hidden else ''})"), id=path.stem)
                )
        if not self.wifi_entries:
            lst.add_option(Option(Text("no networks in this layer", style="dim"), id="", disabled=True))

    def _refresh_keys(self) -> None:
        lst = self.query_one("#ov-keys", OptionList)
        lst.clear_options()
        self.keys = ov.read_keys(self.override_layer)
        for key in self.keys:
            lst.add_option(Option(Text(f"{key.type}  {key.fingerprint}  {key.comment}"), id=key.fingerprint))
        if not self.keys:
            lst.add_option(Option(Text("no keys in this layer", style="dim"), id="", disabled=True))

    def _refresh_files(self, *, close: bool = False) -> None:
        """Show the layer's files (after a write, a new layer directory appears); `close` also
        closes the open file (on a layer switch, after the unsaved-changes question)."""
        layer = self.override_layer
        left = self.query_one("#ov-files-left", Vertical)
        empty = self.query_one("#ov-files-empty", Static)
        trees = list(left.query(LayerFileTree))
        hide = ("workspaces",) if layer.scope == "all" else ()
        if layer.path.is_dir():
            empty.display = False
            if trees:
                tree = trees[0]
                tree.hide_top = set(hide)
                tree.display = True
                if Path(tree.path) != layer.path:
                    tree.path = layer.path
                else:
                    tree.reload()
            else:
                left.mount(LayerFileTree(layer.path, hide_top=hide, id="ov-files"))
        else:
            for tree in trees:
                tree.display = False
            empty.display = True
            empty.update(f"{layer.label} has no files yet." + ("" if self.read_only else " Ctrl+N creates one."))
        if close or (self.open_path is not None and not self.open_path.exists()):
            self._close_file()

    # --- layer selector -----------------------------------------------------------------------
    @on(Select.Changed, "#ov-layer")
    def _layer_changed(self, event: Select.Changed) -> None:
        self.layer_select_changed(event.select, self.refresh_layer)

    def action_show_tab(self, tab: str) -> None:
        if tab in TABS:
            self.query_one(TabbedContent).active = tab

    # --- hostname -----------------------------------------------------------------------------
    def _save_hostname(self) -> None:
        error = self.query_one("#ov-host-error", Static)
        try:
            path = ov.write_hostname(self.override_layer, self.query_one("#ov-hostname", Input).value)
        except SkiffError as exc:
            error.update(exc.message)
            return
        self.notify(f"Hostname saved to {path}; Configure applies it")
        self._refresh_hostname()
        self._refresh_files()

    def _remove_hostname(self) -> None:
        try:
            removed = ov.remove_hostname(self.override_layer)
        except SkiffError as exc:
            self.query_one("#ov-host-error", Static).update(exc.message)
            return
        self.notify("Hostname removed from this layer" if removed else "This layer did not set a hostname")
        self._refresh_hostname()

    # --- Wi-Fi --------------------------------------------------------------------------------
    def _wifi_form(self) -> ov.WifiNetwork:
        return ov.WifiNetwork(
            self.query_one("#ov-ssid", Input).value,
            self.query_one("#ov-psk", Input).value,
            self.query_one("#ov-hidden", Checkbox).value,
        )

    def _save_wifi(self) -> None:
        error = self.query_one("#ov-wifi-error", Static)
        try:
            path = ov.write_wifi(self.override_layer, self._wifi_form())
        except SkiffError as exc:
            error.update(exc.message)
            return
        error.update("")
        self.notify(f"Wi-Fi network saved to {path} (mode 0600)")
        self.query_one("#ov-psk", Input).value = ""
        self._refresh_wifi()
        self._refresh_files()

    @on(OptionList.OptionHighlighted, "#ov-wifi-list")
    def _wifi_picked(self, event: OptionList.OptionHighlighted) -> None:
        for path, net in getattr(self, "wifi_entries", []):
            if path.stem == event.option.id and isinstance(net, ov.WifiNetwork):
                self.query_one("#ov-ssid", Input).value = net.ssid
                self.query_one("#ov-psk", Input).value = MASK if self.read_only else net.psk
                self.query_one("#ov-hidden", Checkbox).value = net.hidden

    def _delete_wifi(self) -> None:
        lst = self.query_one("#ov-wifi-list", OptionList)
        if lst.highlighted is None:
            return
        name = lst.get_option_at_index(lst.highlighted).id
        if not name:
            return
        try:
            ov.delete_wifi(self.override_layer, name)
        except SkiffError as exc:
            self.query_one("#ov-wifi-error", Static).update(exc.message)
            return
        self.notify(f"Removed Wi-Fi network {name}")
        self._refresh_wifi()

    # --- SSH keys -----------------------------------------------------------------------------
    def _add_keys(self) -> None:
        area = self.query_one("#ov-key-input", TextArea)
        error = self.query_one("#ov-key-error", Static)
        try:
            added, dupes = ov.add_keys(self.override_layer, area.text)
        except SkiffError as exc:
            error.update(exc.message)
            return
        error.update("")
        area.text = ""
        parts = [f"added {len(added)} key{'s' if len(added) != 1 else ''}"]
        if dupes:
            parts.append(f"{len(dupes)} already present")
        self.notify("SSH keys: " + ", ".join(parts))
        self._refresh_keys()
        self._refresh_files()

    def _remove_key(self) -> None:
        lst = self.query_one("#ov-keys", OptionList)
        if lst.highlighted is None:
            return
        fingerprint = lst.get_option_at_index(lst.highlighted).id
        if not fingerprint:
            return
        try:
            ov.remove_key(self.override_layer, fingerprint)
        except SkiffError as exc:
            self.query_one("#ov-key-error", Static).update(exc.message)
            return
        self.notify(f"Removed key {fingerprint}")
        self._refresh_keys()

    # --- files --------------------------------------------------------------------------------
    @on(DirectoryTree.FileSelected, "#ov-files")
    def _file_selected(self, event: DirectoryTree.FileSelected) -> None:
        path = Path(event.path)
        if path == self.open_path:
            return
        self.confirm_leave(lambda: self.open_file(path))

    def open_file(self, path: Path) -> bool:
        try:
            text = ov.read_text_file(self.override_layer, path)
        except SkiffError as exc:
            self.notify(str(exc), severity="error")
            return False
        editor = self.query_one("#ov-editor", TextArea)
        language = ov.syntax_for(path)
        # Only the grammars skiff depends on are installed (see pyproject.toml); others: plain text.
        editor.language = language if language in editor.available_languages else None
        # a read-only session never shows Wi-Fi keys, passwords or private keys
        editor.load_text(mask_secrets(text) if self.read_only else text)
        editor.read_only = self.read_only
        self.open_path, self.open_text = path, text
        rel = path.relative_to(self.override_layer.path)
        self.query_one("#ov-file-title", Static).update(
            f"{rel}  ({self.override_layer.label})" + ("  · read-only" if self.read_only else "")
        )
        return True

    def _close_file(self) -> None:
        editor = self.query_one("#ov-editor", TextArea)
        editor.load_text("")
        editor.read_only = True
        self.open_path, self.open_text = None, ""
        self.query_one("#ov-file-title", Static).update("no file open")

    def _save_file(self) -> bool:
        if self.open_path is None:
            self.notify("Open a file first (or Ctrl+N for a new one)", severity="warning")
            return False
        text = self.query_one("#ov-editor", TextArea).text
        try:
            path = ov.write_text_file(self.override_layer, self.open_path, text)
        except SkiffError as exc:
            self.notify(str(exc), severity="error")
            return False
        self.open_text = text
        self.notify(f"Saved {path}")
        return True

    def action_new_file(self) -> None:
        if self.read_only:
            return
        layer = self.override_layer

        def check(raw: str) -> str:
            raw = raw.strip()
            path = ov.resolve_in_layer(layer, raw)
            if path.exists():
                raise ov.OverrideError(f"{raw} already exists; pick it in the tree to edit it")
            return raw

        def create(rel: str | None) -> None:
            if not rel:
                return
            try:
                path = ov.write_text_file(layer, rel, "")
            except SkiffError as exc:
                self.notify(str(exc), severity="error")
                return
            self._refresh_files()
            self.open_file(path)
            # the new file's editor gets the cursor, not the tree (when the switch fires an event)
            self._keep_focus = self.query_one(TabbedContent).active != "files"
            self.action_show_tab("files")
            self.query_one("#ov-editor", TextArea).focus()

        self.confirm_leave(
            lambda: self.app.push_screen(
                PromptModal(
                    f"New file in {layer.label}",
                    check,
                    note="A path inside the layer, e.g. root_overlay/etc/motd or buildroot/60-extra",
                ),
                create,
            )
        )

    def action_delete_file(self) -> None:
        if self.read_only or self.open_path is None:
            return
        path = self.open_path
        from ..widgets.dialogs import ConfirmModal

        def done(yes: bool | None) -> None:
            if not yes:
                return
            try:
                ov.delete_file(self.override_layer, path)
            except SkiffError as exc:
                self.notify(str(exc), severity="error")
                return
            self.notify(f"Deleted {path}")
            self._refresh_files()

        self.app.push_screen(ConfirmModal(f"Delete {path}?", "Delete"), done)

    # --- save / leave -------------------------------------------------------------------------
    def action_save(self) -> None:
        if self.read_only:
            return
        tab = self.query_one(TabbedContent).active
        if tab == "hostname":
            self._save_hostname()
        elif tab == "wifi":
            self._save_wifi()
        elif tab == "ssh":
            self._add_keys()
        else:
            self._save_file()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {
            "ov-host-save": self._save_hostname,
            "ov-host-remove": self._remove_hostname,
            "ov-wifi-save": self._save_wifi,
            "ov-wifi-delete": self._delete_wifi,
            "ov-key-add": self._add_keys,
            "ov-key-remove": self._remove_key,
            "ov-psk-show": self._toggle_psk,
        }
        action = actions.get(event.button.id or "")
        if action is not None:
            event.stop()
            action()

    def _toggle_psk(self) -> None:
        if self.read_only:
            return
        psk = self.query_one("#ov-psk", Input)
        psk.password = not psk.password

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self.read_only:
            return
        if event.input.id == "ov-hostname":
            self._save_hostname()
        elif event.input.id in ("ov-ssid", "ov-psk"):
            self._save_wifi()

    def unsaved_description(self) -> tuple[str, str]:
        return (self.open_path.name if self.open_path else "The file"), ""

    def save_edits(self) -> bool:
        return bool(self._save_file())

    def discard_edits(self) -> None:
        self._close_file()

    # --- bindings and palette -----------------------------------------------------------------
    def check_action(self, action: str, parameters) -> bool | None:
        if action in self.MUTATING and self.read_only:
            return False
        if action == "delete_file" and self.open_path is None:
            return None
        return True

    def palette_extras(self) -> list[PaletteCommand]:
        """Each tab by name (no key of their own: the tabs are clicked or reached with tab)."""
        return [
            PaletteCommand(title, help_text, partial(self.action_show_tab, tab))
            for title, tab, help_text in (
                ("Overrides: hostname", "hostname", "set the hostname of the image"),
                ("Overrides: Wi-Fi networks", "wifi", "NetworkManager Wi-Fi keyfiles (WPA-PSK)"),
                ("Overrides: SSH keys", "ssh", "public keys for root's authorized_keys"),
                ("Overrides: files", "files", "browse and edit any file of the override layer"),
            )
        ]
