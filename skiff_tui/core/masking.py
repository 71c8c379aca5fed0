"""Secrets in text the user can view: find them (files holding one are saved 0600) and mask
them (every read-only view shows the masked text). Over-masking is fine; a view never needs
the secret itself.

What counts: NetworkManager keyfile keys (psk=, password=, wep-key0..3=, *-password=),
wpa_supplicant psk="…", skiff-core.yaml `password:` (auth.password), and PEM private keys.
"""

from __future__ import annotations

import re

MASK = "********"
_KEY_VALUE = re.compile(r"(?im)^(?P<key>[ \t]*(?:psk|password|wep-key[0-3]|[a-z0-9-]*-password)"
                        r"[ \t]*=[ \t]*)(?P<value>\S.*?)[ \t]*$")
_YAML_PASSWORD = re.compile(r"(?im)^(?P<key>[ \t]*(?:-[ \t]+)?[\"']?password[\"']?[ \t]*:[ \t]*)"
                            r"(?P<value>[^#\s].*?)[ \t]*$")
_PRIVATE_KEY = re.compile(r"-----BEGIN (?P<kind>[A-Z0-9 ]*PRIVATE KEY)-----.*?(?:-----END (?P=kind)-----|\Z)", re.S)


def has_secrets(text: str) -> bool:
    return bool(_KEY_VALUE.search(text) or _YAML_PASSWORD.search(text) or _PRIVATE_KEY.search(text))


def _mask_key_block(m: re.Match[str]) -> str:
    """The BEGIN and END lines stay; the body becomes one masked line and blank lines, so line
    numbers in the view still match the file."""
    kind = m.group("kind")
    body_lines = m.group(0).count("\n")
    ended = m.group(0).endswith("-----") and body_lines > 0
    lines = [f"-----BEGIN {kind}-----", f"{MASK} (private key hidden)"]
    lines += [""] * max(0, body_lines - (2 if ended else 1))
    if ended:
        lines.append(f"-----END {kind}-----")
    return "\n".join(lines[: body_lines + 1])


def mask_secrets(text: str) -> str:
    """`text` with every secret value replaced by ******** (line count kept)."""
    def keep_key(m: re.Match[str]) -> str:
        return m.group("key") + MASK

    text = _PRIVATE_KEY.sub(_mask_key_block, text)
    text = _KEY_VALUE.sub(keep_key, text)
    return _YAML_PASSWORD.sub(keep_key, text)
