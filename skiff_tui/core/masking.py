"""Hide secrets in text shown by read-only views (the TUI's read-only sessions, the CLI); the
same test decides which files are saved 0600. (Not `secrets.py`: that name is the standard library's.)

What counts as a secret: Wi-Fi keys in NetworkManager keyfiles and wpa_supplicant/hostapd
configs (`psk=`, `wep-key0=`…, `password=`, `wpa_passphrase=`), skiff-core's `auth.password`
(any YAML `password:` key), and the body of PEM private keys. Values are replaced by a mark of
fixed length (the length of a passphrase is a hint too); lines are never added or removed, so
line numbers in the masked text still point at the file (docs/tui.md, "Read-only sessions").
"""

from __future__ import annotations

import re

MASK = "••••••••"

# key=value lines: NetworkManager keyfiles (psk, wep-key0..3, password, *-password for 802.1x),
# wpa_supplicant (psk="…", password="…") and hostapd (wpa_passphrase, wpa_psk).
_ASSIGNMENT = re.compile(
    r"^(?P<lead>\s*(?:psk|wep-key\d*|password|[\w-]*-password|wpa_passphrase|wpa_psk|sae_password)"
    r"\s*=\s*)(?P<value>.*?)(?P<trail>\s*)$",
    re.IGNORECASE,
)
# YAML `password: value` (skiff-core's users.<name>.auth.password, and any other password key)
_YAML_PASSWORD = re.compile(
    r"^(?P<lead>\s*(?:-\s+)?[\"']?(?:password|passwd|psk)[\"']?\s*:\s+)(?P<value>[^#\s].*?)(?P<trail>\s*(?:#.*)?)$",
    re.IGNORECASE,
)
_PEM_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")
_PEM_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY( BLOCK)?-----")


def mask_line(line: str) -> str:
    """One line with a secret value replaced (unchanged when it holds none)."""
    for pattern in (_ASSIGNMENT, _YAML_PASSWORD):
        match = pattern.match(line)
        if match and match.group("value"):
            return match.group("lead") + MASK + match.group("trail")
    return line


def mask_secrets(text: str) -> str:
    """`text` with every secret value hidden; the same number of lines, the same line endings."""
    out = []
    in_key = False
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        ending = line[len(body) :]
        if in_key:
            if _PEM_END.search(body):
                in_key = False
                out.append(line)
            else:
                out.append(MASK + ending)
            continue
        begin = _PEM_BEGIN.search(body)
        if begin:
            # a one-line key (BEGIN … END on one line) is hidden whole
            end = _PEM_END.search(body, begin.end())
            if end:
                out.append(body[: begin.end()] + MASK + body[end.start() :] + ending)
            else:
                in_key = True
                out.append(line)
            continue
        out.append(mask_line(body) + ending)
    return "".join(out)


def has_secrets(text: str) -> bool:
    return mask_secrets(text) != text
