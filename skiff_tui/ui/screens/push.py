"""Push the workspace's build to a running device over ssh (what `skiff push` does): the device's
address, rsync's progress and the result (`p` on the Build screen)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, ProgressBar, Static

from ...core.errors import SkiffError
from ...core.workspace import Workspace


# The address last pushed to, per app session (the form starts with it).
class PushScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape", "close", "Close", id="skiff.push.close")]

    def __init__(
        self,
        workspace: Workspace,
        *,
        target: str = "",
        ssh_options: list[str] | None = None,
        boot_dir: str | None = None,
        rootfs_dir: str | None = None,
        remember: Callable[[str], None] | None = None,
    ) -> None:
        super().__init__()
        self.workspace = workspace
        self.initial_target = target
        self.remember = remember  # told the address once a push starts (the opener keeps it)
        self.ssh_options = list(ssh_options or [])
        self.boot_dir, self.rootfs_dir = boot_dir, rootfs_dir
        self.running = False
        self.outcome: str | None = None  # "pushed" / "failed" once done

    def compose(self) -> ComposeResult:
        with Vertical(id="push-box"):
            yield Label(
                f"Push the build of workspace {self.workspace.name} to a running device",
                markup=False,
                classes="pane-title",
            )
            yield Static(
                "Kernel, rootfs image, device trees and firmware go to its boot (and rootfs) mount "
                "over ssh + rsync; persist is never touched. The device uses them after a reboot.",
                classes="push-note",
                markup=False,
            )
            yield Input(value=self.initial_target, placeholder="user@host, e.g. root@192.168.1.41", id="push-target")
            with Horizontal(id="push-options"):
                yield Input(placeholder="ssh port (22)", id="push-port", restrict=r"\d*", max_length=5)
                yield Input(placeholder="ssh key file (optional)", id="push-key")
            yield ProgressBar(total=100, show_eta=False, id="push-progress")
            yield Static("", id="push-status", markup=False)
            yield Static("", id="push-result")
            with Horizontal(classes="push-buttons"):
                yield Button("Close", id="push-close")
                yield Button("Push", id="push-go", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#push-target", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.start()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "push-go":
            self.start()
        else:
            self.action_close()

    def action_close(self) -> None:
        if self.running:
            self.notify("the push is still running; it finishes (or fails) on its own", severity="warning")
            return
        self.dismiss(None)

    def start(self) -> None:
        if self.running:
            return
        target = self.query_one("#push-target", Input).value.strip()
        port = self.query_one("#push-port", Input).value.strip()
        key = self.query_one("#push-key", Input).value.strip()
        if not target:
            self._result(Text("Type the device's address (user@host) first.", style="red"))
            return
        if self.remember is not None:
            self.remember(target)
        self.running = True
        self.outcome = None
        self.query_one("#push-go", Button).disabled = True
        self.query_one("#push-progress", ProgressBar).update(total=100, progress=0)
        self._result(Text(f"pushing to {target}…", style="dim"))
        self._push(target, int(port) if port else None, Path(key).expanduser() if key else None)

    @work(thread=True, exclusive=True, group="push", exit_on_error=False)
    def _push(self, target: str, port: int | None, identity: Path | None) -> None:
        from ...core.flash.push import DEVICE_BOOT, DEVICE_ROOTFS, push

        app = self.app
        try:
            sent = push(
                self.workspace.dir / "images",
                target,
                port=port,
                identity=identity,
                ssh_options=self.ssh_options,
                boot_dir=self.boot_dir or DEVICE_BOOT,
                rootfs_dir=self.rootfs_dir or DEVICE_ROOTFS,
                log=lambda m: app.call_from_thread(self._status, m),
                progress=lambda p: app.call_from_thread(self._progress, p),
            )
        except SkiffError as exc:
            app.call_from_thread(self._done, None, str(exc))
        except Exception as exc:  # a bug: one line, never a traceback
            app.call_from_thread(self._done, None, f"internal error: {type(exc).__name__}: {exc}")
        else:
            app.call_from_thread(self._done, len(sent), None)

    def _status(self, message: str) -> None:
        self.query_one("#push-status", Static).update(message)

    def _progress(self, progress) -> None:
        self.query_one("#push-progress", ProgressBar).update(total=100, progress=progress.percent)
        self.query_one("#push-status", Static).update(progress.line())

    def _result(self, text: Text) -> None:
        self.query_one("#push-result", Static).update(text)

    def _done(self, count: int | None, error: str | None) -> None:
        self.running = False
        self.query_one("#push-go", Button).disabled = False
        if error is not None:
            self.outcome = "failed"
            self._result(Text(f"Push failed: {error}", style="bold red"))
            self.notify(error, title="skiff: push failed", severity="error", markup=False)
            return
        self.outcome = "pushed"
        self.query_one("#push-progress", ProgressBar).update(total=100, progress=100)
        self._result(Text(f"Pushed {count} item(s). Reboot the device to use them.", style="bold green"))
        self.notify(f"pushed {count} item(s) to the device; reboot it to use them", markup=False)
