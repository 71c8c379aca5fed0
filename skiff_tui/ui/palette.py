"""The command palette's entries, from one source (docs/tui.md, "Command palette").

Every key binding active on the current screen (the app's, the screen's and those of the focused
widget, as the footer shows them) becomes an entry titled by the binding's description and
explained by HELP below; a few commands with no key (add or remove each package, switch to each
workspace, run each package command, choose a theme…) are added by the app and by screens
(`SkiffScreen.palette_extras`). A binding refused in read-only mode (check_action) is not active,
so its entry is absent too; extras that change files say `mutating` and vanish the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from inspect import isawaitable
from typing import Any, NamedTuple

from textual.actions import parse
from textual.app import App
from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import Screen


class PaletteCommand(NamedTuple):
    title: str
    help: str
    callback: Callable[[], object]
    mutating: bool = False
    discover: bool = True  # listed before anything is typed (not the one-per-package entries)
    action: str = ""  # the binding's action, when the entry is a binding's


# The help line of each binding's entry, by binding id (the ids users remap in keymap.toml).
# None: the binding has no entry (a way back or out; the palette's "Go to …" does that).
HELP: dict[str, str | None] = {
    "skiff.help": "every key of this screen and of the app, and the screens",
    "skiff.theme": "switch between skiff's dark and light themes",
    "skiff.error_details": "what failed last in this session, with its details",
    "skiff.quit": "leave the TUI (asks first about unsaved edits and running builds)",
    # sections
    "skiff.packages.filter": "focus the filter box",
    "skiff.packages.add": "append the highlighted package to the workspace's selection",
    "skiff.packages.remove": "drop the highlighted package from the workspace's selection",
    "skiff.packages.unlisted": "show or hide packages marked unlisted",
    "skiff.packages.files": "the files of the highlighted package; enter opens one read-only",
    "skiff.stack.move_up": "the highlighted package earlier in the selection",
    "skiff.stack.move_down": "the highlighted package later in the selection",
    "skiff.stack.remove": "drop the highlighted package from the selection",
    "skiff.stack.configure": "merge the chain and run Buildroot defconfig",
    "skiff.stack.run_command": "run the highlighted package command (prompting ones take the terminal)",
    "skiff.stack.graph": "each selected package's dependencies as a tree",
    "skiff.values.filter": "filter by symbol, value or layer",
    "skiff.values.open": "open the file that sets the highlighted value, at its line (read-only)",
    "skiff.values.next_kind": "the next merged fragment: Buildroot, kernel, busybox, u-boot",
    "skiff.values.prev_kind": "the previous merged fragment",
    "skiff.values.reload": "merge the layers again",
    "skiff.workspaces.switch": "show and edit the highlighted workspace",
    "skiff.workspaces.create": "create a workspace and switch to it",
    "skiff.workspaces.delete": "remove the highlighted workspace's build output and saved state",
    "skiff.workspaces.refresh": "reread every workspace's state",
    "skiff.build.start": "compile the workspace (what `skiff compile` runs)",
    "skiff.build.cancel": "asks first; SIGINT to the build, then SIGTERM/SIGKILL",
    "skiff.build.latest": "follow the newest build of this workspace",
    "skiff.build.times": "which packages took the shown build's time (build-time.log)",
    "skiff.build.push": "what `skiff push` does: ssh + rsync to a running device's boot mount",
    "skiff.logs.open": "the highlighted build's log in the log viewer",
    "skiff.logs.refresh": "reread the build records",
    "skiff.logs.open_file": "any file in the log viewer (search, copy lines)",
    "skiff.logs.times": "which packages took the highlighted build's time (build-time.log)",
    "skiff.flash.show_all": "also list system, internal, empty and too small disks, each saying why",
    "skiff.flash.rescan": "list the block devices again",
    "skiff.kconfig.search": "jump to any symbol, choice, menu or comment (regex terms)",
    "skiff.kconfig.save": "write what you changed as a delta fragment in the workspace override layer",
    "skiff.kconfig.show_all": "also list options whose dependencies are not met",
    "skiff.kconfig.show_name": "show BR2_… names beside the prompts",
    "skiff.kconfig.edit": "string, int or hex input of the current option, with range check",
    "skiff.kconfig.revert": "the current option back to the merged configuration's value",
    "skiff.kconfig.classic": "Buildroot's own `make menuconfig` in the terminal",
    "skiff.kconfig.reload": "parse Buildroot's Kconfig again (unsaved changes are lost)",
    "skiff.overrides.save": "save the hostname, network, keys or file being edited",
    "skiff.overrides.layer": "where edits are written: all workspaces or this workspace",
    "skiff.overrides.new_file": "create a file in the override layer",
    "skiff.overrides.delete_file": "remove the open file from the override layer",
    "skiff.coreyaml.save": "write the file into the override layer (comments kept)",
    "skiff.coreyaml.layer": "where the file is written: all workspaces or this workspace",
    "skiff.coreyaml.next_problem": "jump to the next line with a problem",
    "skiff.coreyaml.default": "replace the text with the chain's default (not saved until you save)",
    "skiff.kconfig.toggle": "the current option on or off, or into its menu",
    "skiff.kconfig.set_n": "the current option to n (not built)",
    "skiff.kconfig.set_m": "the current option to m (a module)",
    "skiff.kconfig.set_y": "the current option to y (built in)",
    # the log viewer (Build screen, a log, a log file)
    "skiff.logview.follow": "keep showing new lines as they arrive",
    "skiff.logview.first_error": "the first error line of the log",
    "skiff.logview.problems": "only error and warning lines (again: all lines)",
    "skiff.logview.next_match": "the next line matching the search",
    "skiff.logview.previous_match": "the previous line matching the search",
    "skiff.logview.top": "the first line",
    "skiff.logview.bottom": "the last line",
    "skiff.logview.copy_lines": "a range of lines to the clipboard or into a file",
    "skiff.logview.search": "regex, smart case; n / N go to the next / previous match",
    "skiff.livepane.follow": "keep showing new output as it arrives",
    # ways back or out: no entry
    "skiff.flash.back": None,
    "skiff.kconfig.leave": None,
    "skiff.overrides.leave": None,
    "skiff.coreyaml.leave": None,
    "skiff.log.back": None,
    "skiff.logfile.back": None,
    "skiff.buildtimes.back": None,
    "skiff.depgraph.back": None,
    "skiff.help.close": None,
    "skiff.push.close": None,
    "skiff.fileview.close": None,
    "skiff.logview.close_search": None,
    "skiff.kconfig.search.close": None,
    "skiff.kconfig.search.results": None,
    "skiff.dialog.close": None,
    "skiff.dialog.cancel": None,
    "skiff.dialog.yes": None,
    "skiff.dialog.back": None,
}


def binding_commands(
    app: App[Any], screen: Screen[object], group: str, more_help: Mapping[str, str]
) -> list[PaletteCommand]:
    """One entry per binding active on `screen` (as its footer shows them), in the footer's order.

    Bindings of the screen and of its focused widgets are titled "<group>: <description>", the
    app's by their description alone. A binding the footer shows disabled (nothing to cancel yet)
    keeps its entry, which then says so; one with no help line (HELP, or `more_help`: the app's
    section keys) has none.
    """
    candidates: list[tuple[DOMNode, Binding]] = [(a.node, a.binding) for a in screen.active_bindings.values()]
    # The screen's and the app's bindings whose key a focused widget takes (enter on a table)
    # still have their entry: the palette runs the action, not the key.
    for holder in (screen, app):
        for binding in holder.BINDINGS:
            if isinstance(binding, Binding):
                _namespace, name, params = parse(binding.action)
                if holder.check_action(name, params) is not False:
                    candidates.append((holder, binding))
    out: list[PaletteCommand] = []
    seen: set[str] = set()
    for node, binding in candidates:
        if not binding.id or binding.id in seen:
            continue
        seen.add(binding.id)
        help_text = more_help.get(binding.id) or HELP.get(binding.id)
        if help_text is None:
            continue
        title = binding.description if node is app else f"{group}: {binding.description}"
        out.append(
            PaletteCommand(
                title,
                help_text,
                _runner(app, binding.action, node, title),
                action=binding.action.split("(")[0],
            )
        )
    return out


def _runner(app: App[Any], action: str, node: DOMNode, title: str) -> Callable[[], object]:
    """Run the binding's action on the node that holds the binding, as its key would; one the
    footer shows disabled (nothing to cancel yet) says so instead."""
    namespace, name, params = parse(action)

    def run() -> None:
        target = app if namespace == "app" else node
        if not target.check_action(name, params):
            app.notify(f"{title}: not available right now", severity="warning", markup=False)
            return
        result = getattr(target, f"action_{name}")(*params)
        if isawaitable(result):  # an async action (Quit): let the app await it
            app.call_later(lambda: result)

    return run


__all__ = ["HELP", "PaletteCommand", "binding_commands"]
