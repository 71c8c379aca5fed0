"""User keymap: binding id -> keys, with clear errors naming the file."""

import pytest

from skiff_tui.core.settings import SettingsError, load_keymap


def env_for(tmp_path):
    return {"XDG_CONFIG_HOME": str(tmp_path)}


def write(tmp_path, text):
    (tmp_path / "skiff").mkdir(exist_ok=True)
    (tmp_path / "skiff" / "keymap.toml").write_text(text)


def test_no_file_means_no_remapping(tmp_path):
    assert load_keymap(env_for(tmp_path)) == {}


def test_keymap_entries(tmp_path):
    write(tmp_path, '[keymap]\n"skiff.packages.add" = "insert"\n"skiff.quit" = "Ctrl+C,ctrl+q"\n')
    assert load_keymap(env_for(tmp_path)) == {"skiff.packages.add": "insert", "skiff.quit": "ctrl+c,ctrl+q"}


def test_broken_toml_names_file_and_line(tmp_path):
    write(tmp_path, '[keymap]\n"a" = "x"\n"b" = \n')
    with pytest.raises(SettingsError) as err:
        load_keymap(env_for(tmp_path))
    assert str(err.value).startswith(f"{tmp_path}/skiff/keymap.toml:3: not valid TOML")


def test_bad_key_string(tmp_path):
    write(tmp_path, '[keymap]\n"skiff.quit" = 3\n')
    with pytest.raises(SettingsError, match="'skiff.quit' needs a key string"):
        load_keymap(env_for(tmp_path))
