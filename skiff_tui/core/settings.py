"""User settings read from $XDG_CONFIG_HOME/skiff/ (default ~/.config/skiff/).

keymap.toml remaps the TUI's key bindings by binding id (every binding has one; docs/tui.md
lists them), Posting-style:

    [keymap]
    "skiff.packages.add" = "insert"
    "skiff.quit" = "ctrl+c,ctrl+q"

settings.toml holds what the TUI remembers between sessions (written by skiff itself):

    theme = "textual-light"
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path

from . import readonly
from .errors import SkiffError

KEY = re.compile(r"[a-z0-9_+\-]+(,[a-z0-9_+\-]+)*\Z")


class SettingsError(SkiffError):
    """A settings file that cannot be used."""


def config_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or str(Path(env.get("HOME", "/root")) / ".config")
    return Path(base) / "skiff"


def load_keymap(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """binding id -> key string(s); empty when there is no keymap file."""
    path = config_dir(env) / "keymap.toml"
    try:
        data = tomllib.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _line_of(str(exc))
        raise SettingsError(f"not valid TOML: {str(exc).split(' (at', 1)[0]}", path=path, line=line) from exc
    except OSError as exc:
        raise SettingsError(f"cannot read keymap: {exc.strerror}", path=path) from exc
    table = data.get("keymap", {})
    if not isinstance(table, dict):
        raise SettingsError('[keymap] must be a table of binding id = "keys"', path=path)
    keymap = {}
    for binding_id, keys in table.items():
        if not isinstance(keys, str) or not KEY.match(keys.strip().lower()):
            raise SettingsError(
                f'keymap entry {binding_id!r} needs a key string like "ctrl+s" or "f2,ctrl+s"', path=path
            )
        keymap[binding_id] = keys.strip().lower()
    return keymap


def _line_of(message: str) -> int | None:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else None


THEME = re.compile(r"[A-Za-z0-9_\-]{1,64}\Z")


def load_theme(env: dict[str, str] | None = None) -> str | None:
    """The theme chosen in an earlier session; None when none was saved or the file is unusable
    (a preference is not worth an error at startup)."""
    path = config_dir(env) / "settings.toml"
    try:
        theme = tomllib.loads(path.read_text()).get("theme")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    return theme if isinstance(theme, str) and THEME.match(theme) else None


@readonly.mutating("remembering the theme")
def save_theme(theme: str, env: dict[str, str] | None = None) -> Path:
    """Remember the theme (other keys of settings.toml are kept)."""
    from . import atomic

    if not THEME.match(theme):
        raise SettingsError(f"not a theme name: {theme!r}")
    path = config_dir(env) / "settings.toml"
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        data = {}
    data["theme"] = theme
    lines = [f"{key} = {_toml_value(value)}" for key, value in data.items() if _toml_value(value) is not None]
    try:
        return atomic.write_text(path, "\n".join(lines) + "\n", within=path.parent)
    except OSError as exc:
        raise SettingsError(f"cannot save settings: {exc.strerror}", path=path) from exc


def _toml_value(value: object) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return None  # tables and arrays are not written by skiff: left out
