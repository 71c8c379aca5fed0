"""Overrides screen, driven with Pilot inside the real app: the files it writes, their modes, the
layer they land in, errors in place, the file editor, read-only."""

from __future__ import annotations

import stat

import pytest
from editors.editor_keys import ED25519, ED25519_FP, RSA
from skifftest import write_package
from textual.widgets import Input, OptionList, TextArea

from skiff_tui.core import readonly
from skiff_tui.core.editors import overrides as ov
from skiff_tui.ui.screens.overrides import OverridesScreen
from skiff_tui.ui.widgets.dialogs import PromptModal, UnsavedChangesModal

SIZE = (120, 40)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def ov_root(skiff_root, monkeypatch):
    write_package(
        skiff_root / "configs",
        "tiny/board",
        description="A tiny board",
        files={"buildroot/10-board": 'BR2_TARGET_GENERIC_HOSTNAME="board"\n'},
    )
    monkeypatch.setenv("SKIFF_CONFIG", "tiny/board")
    return skiff_root


@pytest.fixture
def make_ov_app(ov_root):
    import os

    from skiff_tui.ui.app import SkiffApp

    def make(**kwargs):
        return SkiffApp(root=ov_root, env=dict(os.environ), **kwargs)

    return make


async def open_overrides(app, pilot) -> OverridesScreen:
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.press("9")
    await pilot.pause()
    assert isinstance(app.screen, OverridesScreen), app.screen
    return app.screen


async def press(pilot, screen, selector) -> None:
    """Press a button the way a click does (Pilot clicks in quick succession land while the
    button still shows its 0.2 s 'active' effect, which ignores them)."""
    screen.query_one(selector).press()
    await pilot.pause()


def text_of(screen, selector) -> str:
    return str(screen.query_one(selector).render())


async def test_hostname_is_written_into_the_chosen_layer(make_ov_app, ov_root):
    app = make_ov_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_overrides(app, pilot)
        assert "hostname now: 'board', set by tiny/board" in text_of(screen, "#ov-host-effective")
        field = screen.query_one("#ov-hostname", Input)
        field.focus()
        field.value = "bad_name"
        await pilot.press("enter")
        assert "not a valid hostname label" in text_of(screen, "#ov-host-error")
        assert not (ov_root / "overrides" / "workspaces").exists()
        field.value = "my-pi"
        await pilot.press("enter")
        fragment = ov_root / "overrides/workspaces/default/buildroot" / ov.HOSTNAME_FRAGMENT
        assert fragment.read_text().splitlines()[-1] == 'BR2_TARGET_GENERIC_HOSTNAME="my-pi"'
        assert "hostname now: 'my-pi', set by overrides/workspaces/default" in text_of(screen, "#ov-host-effective")
        # the other layer: every workspace
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert screen.scope == "all" and field.value == ""
        field.value = "fleet"
        await press(pilot, screen, "#ov-host-save")
        assert (
            (ov_root / "overrides/buildroot" / ov.HOSTNAME_FRAGMENT)
            .read_text()
            .endswith('BR2_TARGET_GENERIC_HOSTNAME="fleet"\n')
        )
        # the workspace layer still wins
        assert "'my-pi'" in text_of(screen, "#ov-host-effective")


async def test_wifi_network_keyfile(make_ov_app, ov_root):
    app = make_ov_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_overrides(app, pilot)
        [wifi] = [c for c in app.palette_commands(screen) if c.title == "Overrides: Wi-Fi networks"]
        wifi.callback()
        await pilot.pause()
        screen.query_one("#ov-ssid", Input).value = "Home"
        screen.query_one("#ov-psk", Input).value = "short"
        await press(pilot, screen, "#ov-wifi-save")
        assert "WPA needs 8 to 63" in text_of(screen, "#ov-wifi-error")
        screen.query_one("#ov-psk", Input).value = "correct horse battery"
        screen.query_one("#ov-hidden").toggle()
        await press(pilot, screen, "#ov-wifi-save")
        keyfile = (
            ov_root
            / "overrides/workspaces/default/root_overlay/etc/NetworkManager/system-connections/Home.nmconnection"
        )
        assert mode(keyfile) == 0o600
        text = keyfile.read_text()
        for line in (
            "[wifi]",
            "ssid=Home",
            "hidden=true",
            "key-mgmt=wpa-psk",
            "psk=correct horse battery",
            "[ipv4]",
            "[ipv6]",
        ):
            assert line in text.splitlines(), line
        lst = screen.query_one("#ov-wifi-list", OptionList)
        assert lst.option_count == 1 and "Home  (Home.nmconnection, hidden)" in str(lst.get_option_at_index(0).prompt)
        assert screen.query_one("#ov-psk", Input).value == ""  # not left on screen after saving
        lst.highlighted = 0
        await pilot.pause()
        assert screen.query_one("#ov-psk", Input).value == "correct horse battery"
        await press(pilot, screen, "#ov-wifi-delete")
        assert not keyfile.exists()


async def test_ssh_keys(make_ov_app, ov_root):
    app = make_ov_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_overrides(app, pilot)
        screen.action_show_tab("ssh")
        await pilot.pause()
        area = screen.query_one("#ov-key-input", TextArea)
        area.text = "ssh-ed25519 AAAAtruncated"
        await press(pilot, screen, "#ov-key-add")
        assert "not valid base64" in text_of(screen, "#ov-key-error") or "does not hold" in text_of(
            screen, "#ov-key-error"
        )
        area.text = ED25519 + "\n" + RSA + "\n"
        await press(pilot, screen, "#ov-key-add")
        keys = ov_root / "overrides/workspaces/default/root_overlay/root/.ssh/authorized_keys"
        assert keys.read_text() == ED25519 + "\n" + RSA + "\n"
        assert mode(keys) == 0o600 and mode(keys.parent) == 0o700
        lst = screen.query_one("#ov-keys", OptionList)
        assert lst.option_count == 2 and ED25519_FP in str(lst.get_option_at_index(0).prompt)
        area.text = ED25519
        await press(pilot, screen, "#ov-key-add")
        assert keys.read_text().count("ssh-ed25519") == 1
        assert any("1 already present" in n.message for n in app._notifications)
        lst.highlighted = 0
        await press(pilot, screen, "#ov-key-remove")
        assert keys.read_text() == RSA + "\n"


async def test_file_editor_new_save_and_unsaved_prompt(make_ov_app, ov_root):
    app = make_ov_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_overrides(app, pilot)
        await pilot.press("ctrl+n")
        assert isinstance(app.screen, PromptModal)
        app.screen.query_one(Input).value = "../escape"
        await pilot.press("enter")
        assert "not a plain relative path" in str(app.screen.query_one("#prompt-error").render())
        app.screen.query_one(Input).value = "root_overlay/etc/skiff/motd.yaml"
        await pilot.press("enter")
        await pilot.pause()
        path = ov_root / "overrides/workspaces/default/root_overlay/etc/skiff/motd.yaml"
        assert path.exists() and screen.open_path == path
        editor = screen.query_one("#ov-editor", TextArea)
        assert editor.language == "yaml" and not editor.read_only and editor.has_focus
        await pilot.press(*"a: 1")
        assert screen.has_unsaved_changes()
        await pilot.press("ctrl+s")
        assert path.read_text() == "a: 1" and mode(path) == 0o644
        editor.insert("\nb: 2")
        # a guided edit meanwhile (it refreshes the file tree) keeps the unsaved text
        screen.query_one("#ov-hostname", Input).value = "pi"
        await press(pilot, screen, "#ov-host-save")
        assert editor.text == "a: 1\nb: 2" and screen.has_unsaved_changes()
        editor.focus()
        await pilot.press("escape", "escape")  # the first one leaves the editor, the second the screen: it asks first
        assert isinstance(app.screen, UnsavedChangesModal)
        await pilot.press("s")
        await pilot.pause()
        assert path.read_text() == "a: 1\nb: 2" and app.current_mode == "packages"


async def test_read_only_browses_but_writes_nothing(make_ov_app, ov_root):
    target = ov_root / "overrides/workspaces/default/root_overlay/etc/issue"
    target.parent.mkdir(parents=True)
    target.write_text("hello\n")
    app = make_ov_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_overrides(app, pilot)
        shown = {b.action for _, b, enabled, _ in screen.active_bindings.values() if b.show and enabled}
        assert "save" not in shown and "new_file" not in shown and "switch_layer" in shown
        assert screen.query_one("#ov-hostname", Input).disabled
        assert screen.query_one("#ov-host-save").disabled
        await pilot.press("ctrl+s", "ctrl+n")
        assert isinstance(app.screen, OverridesScreen)
        assert screen.open_file(target)
        editor = screen.query_one("#ov-editor", TextArea)
        assert editor.read_only and editor.text == "hello\n"
        assert not (ov_root / "overrides/workspaces/default/buildroot").exists()
        titles = [c.title for c in app.palette_commands(screen)]
        assert "Overrides: files" in titles and "Overrides: Save" not in titles


async def test_read_only_views_mask_wifi_keys_and_private_keys(make_ov_app, ov_root):
    """Someone watching over SSH (read-only) sees the files, never the secrets in them."""
    from skiff_tui.core.editors import overrides as ov
    from skiff_tui.core.masking import MASK
    from skiff_tui.core.workspace import Workspace

    layer = ov.layer(ov_root, Workspace(ov_root, "default"), "workspace")
    keyfile = ov.write_wifi(layer, ov.WifiNetwork("Home", "correct horse battery", False))
    key = ov_root / "overrides/workspaces/default/root_overlay/root/.ssh/id_ed25519"
    key.parent.mkdir(parents=True, exist_ok=True)
    key.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----\n")
    app = make_ov_app(read_only=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_overrides(app, pilot)
        screen.action_show_tab("files")
        assert screen.open_file(keyfile)
        await pilot.pause()
        editor = screen.query_one("#ov-editor", TextArea)
        assert "correct horse battery" not in editor.text and f"psk={MASK}" in editor.text
        assert "ssid=Home" in editor.text
        assert screen.open_file(key)
        assert "b3BlbnNzaC1rZXk" not in editor.text and editor.text.count("\n") == 3
        # the Wi-Fi form: the passphrase field never gets the key, and cannot be revealed
        screen.action_show_tab("wifi")
        lst = screen.query_one("#ov-wifi-list", OptionList)
        lst.highlighted = 0
        await pilot.pause()
        assert screen.query_one("#ov-ssid", Input).value == "Home"
        assert screen.query_one("#ov-psk", Input).value == MASK
        assert screen.query_one("#ov-psk-show").disabled
    # an editing session is the owner's: the file as it is
    readonly.set_read_only(False)
    app = make_ov_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_overrides(app, pilot)
        assert screen.open_file(keyfile)
        assert "psk=correct horse battery" in screen.query_one("#ov-editor", TextArea).text


async def test_read_only_file_viewer_masks_package_files(make_ov_app, ov_root):
    from skiff_tui.ui.widgets.fileview import FileViewer

    conn = ov_root / "configs/tiny/board/root_overlay/etc/NetworkManager/system-connections/lab.nmconnection"
    conn.parent.mkdir(parents=True)
    conn.write_text("[wifi]\nssid=lab\n[wifi-security]\npsk=labsecret99\n")
    for read_only, shown in ((True, False), (False, True)):
        readonly.set_read_only(False)
        app = make_ov_app(read_only=read_only)
        async with app.run_test(size=SIZE) as pilot:
            await app.workers.wait_for_complete()
            await app.push_screen(FileViewer(conn, line=4))
            await pilot.pause()
            text = app.screen.query_one(TextArea).text
            assert ("labsecret99" in text) is shown and "ssid=lab" in text
