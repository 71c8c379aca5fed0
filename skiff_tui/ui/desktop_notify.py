"""Desktop notifications through terminal escape sequences (docs/tui.md, "When a build ends").

Terminals that turn an escape sequence into a desktop notification speak one of two dialects:
OSC 9 (`ESC ] 9 ; text BEL`: iTerm2, WezTerm, Windows Terminal, kitty, ghostty) and OSC 777
(`ESC ] 777 ; notify ; title ; body BEL`: foot, urxvt, VTE terminals with the notification
patch, WezTerm). Others ignore both, but some print junk, so the sequence is only sent when the
environment names a terminal that understands it; SKIFF_DESKTOP_NOTIFY=osc9|osc777|off overrides
the guess. Inside tmux the sequence is wrapped for tmux's passthrough (tmux needs
`set -g allow-passthrough on` to forward it).
"""

from __future__ import annotations

import re

OSC9_PROGRAMS = ("iTerm.app", "WezTerm", "ghostty", "iTerm2")
OSC777_TERMS = ("foot", "rxvt-unicode")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def dialect(env: dict[str, str]) -> str | None:
    """ "osc9", "osc777" or None (no known support) for the terminal described by `env`."""
    forced = env.get("SKIFF_DESKTOP_NOTIFY", "").strip().lower()
    if forced in ("off", "0", "no", "none"):
        return None
    if forced in ("osc9", "osc777"):
        return forced
    term = env.get("TERM", "")
    program = env.get("TERM_PROGRAM", "")
    if (
        program in OSC9_PROGRAMS
        or env.get("LC_TERMINAL") in OSC9_PROGRAMS
        or env.get("WT_SESSION")
        or term in ("xterm-kitty", "xterm-ghostty")
    ):
        return "osc9"
    if term.startswith(OSC777_TERMS) or env.get("VTE_VERSION"):
        return "osc777"
    return None


def _clean(text: str, limit: int = 200) -> str:
    # No control characters (they would end the sequence early or inject others).
    return _CONTROL.sub(" ", text)[:limit]


def sequence(env: dict[str, str], title: str, body: str) -> tuple[str, str] | None:
    """(dialect, escape sequence) announcing title/body, or None if the terminal can't show it."""
    kind = dialect(env)
    if kind is None:
        return None
    if kind == "osc9":
        seq = f"\x1b]9;{_clean(title)}: {_clean(body)}\x07"
    else:
        seq = f"\x1b]777;notify;{_clean(title).replace(';', ',')};{_clean(body).replace(';', ',')}\x07"
    if env.get("TMUX"):
        seq = "\x1bPtmux;" + seq.replace("\x1b", "\x1b\x1b") + "\x1b\\"
    return kind, seq
