"""The user's keymap file remaps bindings by id; a broken file is an error message, not a crash."""

from skiff_tui.ui.app import SkiffApp


async def test_keymap_file_remaps_a_binding(skiff_root, tmp_path):
    (tmp_path / "xdg" / "skiff").mkdir(parents=True)
    (tmp_path / "xdg" / "skiff" / "keymap.toml").write_text('[keymap]\n"skiff.help" = "f9"\n')
    app = SkiffApp(root=skiff_root, env={"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "SKIFF_NO_INTERACTIVE": "1"})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app._keymap.get("skiff.help") == "f9"


async def test_broken_keymap_is_reported(skiff_root, tmp_path):
    (tmp_path / "xdg" / "skiff").mkdir(parents=True)
    (tmp_path / "xdg" / "skiff" / "keymap.toml").write_text('[keymap]\n"skiff.help" = \n')
    app = SkiffApp(root=skiff_root, env={"XDG_CONFIG_HOME": str(tmp_path / "xdg"), "SKIFF_NO_INTERACTIVE": "1"})
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert not app._keymap
        assert any("keymap.toml:2: not valid TOML" in str(n.message) for n in app._notifications)
