"""Flash: the guided SD-card flow (docs/behaviour.md#sd-cards) over the engine in skiff_tui.core.flash.execute.

Choose the card from a live list that says why any disk is hidden or disabled; choose format +
install, install (update) or write an image; read what is erased and what is kept; type the
device name; optionally give the card's own hostname, Wi-Fi network and SSH key (written into
persist, as `skiff flash write --hostname/--wifi/--ssh-key` does); watch progress with speed and
ETA; read the verification result and what to do next.
The engine enforces every rule (it re-identifies the card, refuses changed or mounted disks);
this screen only explains. Plans (which read the card's table with sfdisk and collect the build
output) are worked out in a thread, never on the UI thread. Like every section it reads the
workspace, read-only mode and environment from the app; what it takes at construction is only
where devices come from and how a card is laid out (tests give a recorded device source).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Checkbox, DataTable, Input, Label, ProgressBar, RadioButton, RadioSet, Static
from textual.worker import Worker, WorkerState

from ...core.flash import devices as dv
from ...core.flash import execute as flash, install_set as flash_install_set, plan as flash_plan
from ...core.errors import SkiffError
from ...core.flash.copy import PROGRESS_PHASES, Progress
from ...core.errors import FlashError, FlashErrorKind
from ...core.flash.layout import Layout
from ...core.flash.units import human_size
from ...core.workspace import Workspace
from ..widgets.card_layout import CardLayoutPicture
from ..widgets.datatable import RedrawingDataTable
from . import SkiffScreen

if TYPE_CHECKING:
    from ...core.flash.board import BoardFlash

ACTIONS = (
    ("format", "Format + install (erases the card)"),
    ("install", "Install (update; persist kept)"),
    ("write", "Write an image file"),
)

NEXT_STEPS = {
    FlashErrorKind.UNPLUGGED: "Re-insert the card and start again: what was written is incomplete.",
    FlashErrorKind.WRITE_PROTECTED: "Slide the card's lock switch to unlocked, re-insert it and start again.",
    FlashErrorKind.NO_SPACE: "Use a larger card, or a smaller image.",
    FlashErrorKind.CHANGED: "A different card is in the reader now: select it again from the list.",
    FlashErrorKind.VERIFY: "The card did not read back what was written: write again, or try another card.",
    FlashErrorKind.BUSY: "Unmount the card's partitions (or tick 'unmount') and close programs using it.",
    FlashErrorKind.IO: "The card or reader failed: try another reader or card.",
}


class DevicesChanged(Message):
    def __init__(self, infos: list[dv.BlockDeviceInfo]) -> None:
        super().__init__()
        self.infos = infos


class FlashProgress(Message):
    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self.progress = progress


@dataclass(frozen=True)
class PlanRequest:
    """What the plan is for, read from the widgets on the UI thread; the plan is built in a thread."""

    generation: int
    info: dv.BlockDeviceInfo
    action: str
    unmount: bool
    image: str
    show_all: bool
    hostname: str = ""
    wifi_ssid: str = ""
    wifi_psk: str = ""
    ssh_key: str = ""


class FlashScreen(SkiffScreen):
    SECTION = "flash"
    BINDINGS = [
        Binding("h", "toggle_all", "Show hidden", id="skiff.flash.show_all"),
        Binding("r", "rescan", "Rescan", id="skiff.flash.rescan"),
        Binding("escape", "app.pop_screen", "Back", id="skiff.flash.back", show=False),
    ]

    def __init__(
        self,
        *,
        source: dv.DeviceSource | None = None,
        layout: Layout = Layout(),
        rescan_interval: float | None = 2.0,
        install_set: flash_install_set.InstallSet | None = None,
        board: BoardFlash | None = None,
    ) -> None:
        """The app builds `FlashScreen()`: the machine's devices, the skiff layout, the install set
        and board package of the app's workspace. Given here, they stay fixed (tests)."""
        super().__init__()
        self.card_layout = layout
        self.rescan_interval = rescan_interval
        self._source = source
        self._given_install_set = install_set
        self._given_board = board
        self._install_set = install_set
        self._board_flash = board  # the board package's blobs and layout options (flash_board)
        self._board_known = board is not None
        self.show_all = False
        self.infos: list[dv.BlockDeviceInfo] = []
        self.rows: list[dv.Assessment] = []
        self.selected: dv.Assessment | None = None
        self.plan: flash_plan.Plan | None = None
        self.outcome: flash.Outcome | None = None
        self.error: SkiffError | None = None
        self._watch: dv.Watch | None = None
        self._plan_generation = 0
        self._plan_pending = False  # a plan worker is running for the current generation

    @property
    def workspace(self) -> Workspace:
        return self.app.workspace

    @property
    def env(self) -> dict[str, str]:
        return self.app.env

    def load(self) -> None:
        """Another workspace: its install set, board package and image file."""
        self._install_set = self._given_install_set
        self._board_flash = self._given_board
        self._board_known = self._given_board is not None
        image = self.query_one("#image", Input)
        image.value = self._default_image()
        self._refresh_plan()

    # --- layout -------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield from self.compose_top()
        with VerticalScroll(id="flash-body"):
            yield Label(
                "Flash an SD card" + ("  (read-only: nothing can be written)" if self.read_only else ""),
                classes="pane-title",
            )
            yield RedrawingDataTable(id="devices", cursor_type="row", zebra_stripes=True)
            yield Static("", id="hidden-note")
            with Horizontal(id="choices"):
                with RadioSet(id="action"):
                    for i, (_key, label) in enumerate(ACTIONS):
                        yield RadioButton(label, value=(i == 0))
                with Vertical(id="options"):
                    yield Input(placeholder="image file to write", id="image", value=self._default_image())
                    yield Checkbox("Unmount its mounted partitions (consent)", id="unmount")
            yield Label(
                "Card settings (optional; written into persist, read by the image at boot; Enter applies):",
                id="card-settings-title",
            )
            with Horizontal(id="card-settings"):
                yield Input(placeholder="hostname", id="set-hostname")
                yield Input(placeholder="Wi-Fi SSID", id="set-ssid")
                yield Input(placeholder="Wi-Fi passphrase", id="set-psk", password=True)
                yield Input(placeholder="SSH public key file (.pub)", id="set-key")
            yield Static("Select a card above (Enter).", id="summary")
            yield CardLayoutPicture(id="card-layout")
            with Horizontal(id="confirm-row"):
                yield Input(placeholder="type the device name to confirm", id="confirm")
                yield Button("Write", id="go", variant="error", disabled=True)
            yield ProgressBar(id="progress", show_eta=False)
            yield Static("", id="progress-text")
            yield Static("", id="result")
        yield from self.compose_bottom()

    def _default_image(self) -> str:
        img = Path(self.workspace.dir) / "images" / "sdcard.img"
        return str(img) if img.is_file() else ""

    @property
    def source(self) -> dv.DeviceSource:
        if self._source is None:
            self._source = dv.default_source()
        return self._source

    def on_mount(self) -> None:
        super().on_mount()
        self.follow_app("workspace")
        table = self.query_one("#devices", DataTable)
        table.add_columns("Device", "Size", "Model", "Bus", "Status")
        self.query_one("#image", Input).display = False

        def changed(infos: list[dv.BlockDeviceInfo]) -> None:
            self.post_message(DevicesChanged(infos))

        try:
            self._watch = self.source.watch(asyncio.get_running_loop(), changed)
        except Exception as exc:  # noqa: BLE001 — no netlink: the timer rescan still works
            self.log.warning(f"no live device events: {exc!r}")
        if self.rescan_interval:  # a hidden Flash screen does not scan (live events still arrive)
            self.set_interval(self.rescan_interval, self._rescan_if_shown)
        self.action_rescan()
        table.focus()

    def _rescan_if_shown(self) -> None:
        if self.is_current:
            self.action_rescan()

    def on_unmount(self) -> None:
        if self._watch:
            self._watch.close()

    # --- device list --------------------------------------------------------------------------
    def action_rescan(self) -> None:
        self.run_worker(self._scan, thread=True, group="flash-scan", exclusive=True, exit_on_error=False)

    def _scan(self) -> list[dv.BlockDeviceInfo]:
        return self.source.scan()

    def action_toggle_all(self) -> None:
        self.show_all = not self.show_all
        self._fill()
        self._refresh_plan()

    def on_devices_changed(self, message: DevicesChanged) -> None:
        self.infos = message.infos
        self._fill()

    def _fill(self) -> None:
        assessed = [dv.assess(i, min_size=self._min_size()) for i in self.infos]
        self.rows = dv.visible(assessed, self.show_all)
        table = self.query_one("#devices", DataTable)
        keep = self.selected.device.name if self.selected else None
        table.clear()
        for a in self.rows:
            i = a.device
            if a.selectable_with(self.show_all):
                style = "yellow" if a.warnings or a.verdict is dv.Verdict.HIDDEN else "green"
                status = Text(a.status + (f": {a.reason}" if a.reason else ""), style=style)
            else:
                status = Text(f"{a.status}: {a.reason}", style="dim red")
            table.add_row(
                Text(i.node), human_size(i.size), Text(i.description), Text(i.bus or "-"), status, key=i.name
            )  # device text from sysfs: never markup
        hidden = [a for a in assessed if a.verdict is dv.Verdict.HIDDEN]
        note = self.query_one("#hidden-note", Static)
        if not self.rows:
            note.update(Text("No SD card found: insert one. " + self._hidden_text(hidden)))
        else:
            note.update(Text(self._hidden_text(hidden)) if not self.show_all else "Showing hidden disks ('h' to hide).")
        names = [a.device.name for a in self.rows]
        selected = self.selected
        if selected is not None and keep in names:  # never auto-select: only keep the user's own choice
            table.move_cursor(row=names.index(keep))
            now = self.rows[names.index(keep)]
            diffs = selected.device.identity().differences(now.device.identity())
            if diffs:  # another card in the same reader: the choice was about the old one
                self.selected, self.plan = None, None
                self._explain(
                    Text(
                        f"The card in {now.device.node} changed ({', '.join(diffs)}): select it again (Enter).",
                        style="yellow",
                    )
                )
                return
            changed = now.device.all_mounts() != selected.device.all_mounts()
            self.selected = now
            if changed or (self.plan is None and not self._plan_pending):
                self._refresh_plan()
        elif keep is not None:
            self.selected, self.plan = None, None
            self._explain("The selected card is gone (unplugged?). Select a card above (Enter).")

    @staticmethod
    def _hidden_text(hidden: list[dv.Assessment]) -> str:
        if not hidden:
            return ""
        refused = [a for a in hidden if a.device_class is dv.DeviceClass.REFUSED]
        others = [a for a in hidden if a not in refused]
        parts = []
        if others:
            parts.append("Hidden: " + "; ".join(f"{a.device.name} ({a.reasons[0]})" for a in others) + ".")
        if refused:
            parts.append("Never written: " + "; ".join(f"{a.device.name} ({a.reasons[0]})" for a in refused) + ".")
        return " ".join(parts) + " Press 'h' to show them."

    def _min_size(self) -> int:
        return self.card_layout.min_disk_size() if self._action() == "format" else 0

    @on(DataTable.RowSelected, "#devices")
    def _row(self, event) -> None:
        """Only an explicit choice (Enter or click) selects: never auto-select a target."""
        if event.cursor_row is None or event.cursor_row >= len(self.rows):
            return
        self.selected = self.rows[event.cursor_row]
        self._refresh_plan()

    @on(RadioSet.Changed, "#action")
    def _action_changed(self, _event) -> None:
        self.query_one("#image", Input).display = self._action() == "write"
        self._fill()
        self._refresh_plan()

    @on(Checkbox.Changed, "#unmount")
    @on(Input.Submitted, "#image")
    @on(Input.Submitted, "#card-settings Input")
    def _options_changed(self, _event) -> None:
        self._refresh_plan()

    def _action(self) -> str:
        try:
            index = self.query_one("#action", RadioSet).pressed_index
        except Exception:  # noqa: BLE001 — before compose finished
            index = 0
        return ACTIONS[max(index, 0)][0]

    # --- plan ---------------------------------------------------------------------------------
    def _explain(self, text: str | Text) -> None:
        self.query_one("#summary", Static).update(text)
        self.query_one(CardLayoutPicture).clear()
        self.query_one("#go", Button).disabled = True

    def _refresh_plan(self) -> None:
        """Ask for a new plan: checks that need no I/O here, the plan itself in a thread worker."""
        self.plan = None
        self._plan_generation += 1
        self._plan_pending = False
        a = self.selected
        if a is None:
            self._explain("Select a card above (Enter).")
            return
        if not a.selectable_with(self.show_all):
            self._explain(Text(f"{a.device.node} cannot be used: {a.reason}", style="red"))
            return

        def value(wid: str) -> str:
            return self.query_one(wid, Input).value

        request = PlanRequest(
            self._plan_generation,
            a.device,
            self._action(),
            self.query_one("#unmount", Checkbox).value,
            self.query_one("#image", Input).value.strip(),
            self.show_all,
            value("#set-hostname").strip(),
            value("#set-ssid"),
            value("#set-psk"),
            value("#set-key").strip(),
        )
        self._explain(Text(f"Working out what {request.action} would do on {a.device.node}…", style="dim"))
        self._plan_pending = True
        self.run_worker(partial(self._build_plan, request), thread=True, group="flash-plan", exit_on_error=False)

    def _build_plan(self, request: PlanRequest) -> tuple[int, flash_plan.Plan | None, SkiffError | None]:
        """In a thread: the plan, or the engine's refusal (which the summary shows)."""
        try:
            return request.generation, self._make_plan(request), None
        except SkiffError as exc:
            return request.generation, None, self._in_screen_terms(exc)

    @staticmethod
    def _in_screen_terms(exc: SkiffError) -> SkiffError:
        """The engine's hints name CLI flags; here the same consent is a key or a checkbox."""
        hint = {
            "all": "press h to show hidden disks, then select it again",
            "unmount": "tick 'Unmount its mounted partitions' below",
        }.get(getattr(exc, "needs", ""))
        if hint:
            exc.hint = hint
        return exc

    def _plan_ready(self, generation: int, plan: flash_plan.Plan | None, error: SkiffError | None) -> None:
        a = self.selected
        if generation != self._plan_generation or a is None:
            return  # the card or the choices changed meanwhile: a newer plan is coming
        self._plan_pending = False
        if error is not None or plan is None:
            self._explain(Text(str(error), style="red"))
            return
        self.plan = plan
        text = Text(plan.summary())
        for w in a.warnings:
            text.append(f"\n  warning: {w}", style="yellow")
        if self.read_only:
            text.append("\nRead-only mode: nothing will be written.", style="bold")
        else:
            text.append(f"\nType {plan.confirm_name} below and press Write.", style="bold")
        self.query_one("#summary", Static).update(text)
        self._show_card_layout(plan)
        self.query_one("#go", Button).disabled = self.read_only

    def _show_card_layout(self, plan: flash_plan.Plan) -> None:
        """The layout a format writes, drawn to scale (with the board's blobs when it has any)."""
        picture = self.query_one(CardLayoutPicture)
        if plan.geometry is None:
            picture.clear()
            return
        try:
            board = self._board_flash
            blobs = board.blobs() if board else []
        except SkiffError:
            blobs = []
        picture.show(plan.target.size, plan.geometry.table, plan.geometry.parts, blobs)

    def _install(self) -> flash_install_set.InstallSet:
        if self._install_set is None:
            self._install_set = flash_install_set.workspace_install_set(self.app.session)
        return self._install_set

    def _board(self) -> BoardFlash | None:
        """The selected board's raw blobs and layout options (read from its package with make),
        None before the packages are read or without a board package with a `format` command.
        In the worker thread."""
        if not self._board_known:
            from ...core.flash.board import board_flash

            index = self.app.index
            if index is None:
                return None  # asked again once the packages are read
            self._board_flash = board_flash(self.app.session)
            self._board_known = True
        return self._board_flash

    @staticmethod
    def _settings(request: PlanRequest):
        """The card settings typed in the screen (validated here, in the plan worker)."""
        from ...core.flash.settings import settings_from_args

        wifi = [f"{request.wifi_ssid}:{request.wifi_psk}"] if (request.wifi_ssid or request.wifi_psk) else []
        return settings_from_args(request.hostname or None, wifi, [], [request.ssh_key] if request.ssh_key else [])

    def _make_plan(self, request: PlanRequest) -> flash_plan.Plan:
        min_size = self.card_layout.min_disk_size() if request.action == "format" else 0
        settings = self._settings(request)
        target = flash.device_target(
            request.info, show_all=request.show_all, unmount=request.unmount, min_size=min_size
        )
        if request.action in ("format", "install"):
            board = self._board()
            blobs = board.blobs() if board else []
            if request.action == "format":
                layout = board.layout(self.card_layout) if board else self.card_layout
                plan = flash_plan.plan_format(target, layout, install=self._install(), blobs=blobs, settings=settings)
            else:
                plan = flash_plan.plan_install(target, self._install(), blobs=blobs, settings=settings)
            if board:
                plan.notes.append(board.describe())
            return plan
        if not request.image:
            raise FlashError("type the image file to write, then press Enter")
        return flash_plan.plan_write(request.image, target, settings=settings)

    # --- run ----------------------------------------------------------------------------------
    @on(Input.Submitted, "#confirm")
    @on(Button.Pressed, "#go")
    def _go(self, _event) -> None:
        if self.read_only:
            self.notify("read-only mode: nothing is written", severity="warning")
            return
        plan = self.plan
        if plan is None:
            return
        typed = self.query_one("#confirm", Input).value
        if not plan.target.confirm_matches(typed):
            self.query_one("#confirm", Input).value = ""
            self.notify(f"{typed.strip()!r} is not {plan.confirm_name}: nothing was written", severity="warning")
            return
        self.outcome, self.error = None, None
        self.query_one("#go", Button).disabled = True
        self.query_one("#confirm", Input).value = ""
        self.query_one("#result", Static).update("")
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=100, progress=0)
        self.run_worker(
            lambda: self._execute(plan), thread=True, group="flash-run", exclusive=True, exit_on_error=False
        )

    def _execute(self, plan: flash_plan.Plan) -> flash.Outcome:
        def progress(p: Progress) -> None:
            self.post_message(FlashProgress(p))

        return flash.execute(plan, progress=progress, source=self.source)

    def on_flash_progress(self, message: FlashProgress) -> None:
        p = message.progress
        bar = self.query_one("#progress", ProgressBar)
        text = self.query_one("#progress-text", Static)
        if p.phase in PROGRESS_PHASES or p.phase.startswith("write (decompressing"):
            bar.update(total=max(p.total, 1), progress=p.done)
            text.update(Text(p.line(), style="yellow" if p.stalled else ""))
        else:
            bar.update(total=max(p.total, 1), progress=p.done)
            text.update(Text(f"{p.phase} ({p.message})" if p.message else p.phase))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        group = event.worker.group
        if group.startswith("flash-"):
            event.prevent_default()  # shown here, in place: not also as SkiffScreen's notification
        if group == "flash-plan":
            if event.state == WorkerState.SUCCESS and event.worker.result is not None:
                self._plan_ready(*event.worker.result)
            elif event.state == WorkerState.ERROR:
                self._plan_pending = False
                self._explain(Text(f"cannot work out the plan: {event.worker.error}", style="red"))
        elif group == "flash-scan":
            if event.state == WorkerState.SUCCESS:
                self.post_message(DevicesChanged(event.worker.result or []))
            elif event.state == WorkerState.ERROR:
                self.query_one("#hidden-note", Static).update(
                    Text(f"cannot list disks: {event.worker.error}", style="red")
                )
        elif group == "flash-run":
            if event.state == WorkerState.SUCCESS:
                self.outcome = event.worker.result
                self._show_outcome()
            elif event.state == WorkerState.ERROR:
                self._show_failure(event.worker.error)

    def _show_outcome(self) -> None:
        o = self.outcome
        if o is None:
            return
        text = Text("Done.", style="bold green")
        for msg in o.messages:
            text.append(f"\n  {msg}")
        if o.verified:
            text.append("\nVerification: the card reads back exactly what was written.", style="green")
        if o.ejected and "remove it now" in o.ejected:
            text.append("\nNext: take the card out, put it in the board and power on.")
        else:
            text.append(
                f"\nNext: wait until the reader's light stops, remove {o.plan.target.path}, "
                "put it in the board and power on."
            )
        self.query_one("#result", Static).update(text)
        self.notify(f"{o.plan.action} of {o.plan.target.path} finished")

    def _show_failure(self, error: BaseException | None) -> None:
        self.error = error if isinstance(error, SkiffError) else None
        kind = error.kind if isinstance(error, FlashError) else FlashErrorKind.ERROR
        text = Text(
            ("Verification failed: " if kind is FlashErrorKind.VERIFY else "Failed: ") + str(error), style="bold red"
        )
        if kind in NEXT_STEPS:
            text.append(f"\nNext: {NEXT_STEPS[kind]}")
        self.query_one("#result", Static).update(text)
        self._refresh_plan()
