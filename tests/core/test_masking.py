"""Secrets hidden in read-only views: Wi-Fi keys, passwords, private keys; lines kept in place."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from skiff_tui.core.masking import MASK, has_secrets, mask_secrets

KEYFILE = """\
[connection]
id=Home
type=wifi
[wifi]
ssid=Home
[wifi-security]
key-mgmt=wpa-psk
psk=correct horse battery
wep-key0=0123456789
[802-1x]
password=hunter2
private-key-password=pkpass
"""


def test_networkmanager_keyfile_keys_are_masked_and_the_rest_kept():
    out = mask_secrets(KEYFILE)
    assert "correct horse battery" not in out and "0123456789" not in out
    assert "hunter2" not in out and "pkpass" not in out
    for line in (
        "ssid=Home",
        "key-mgmt=wpa-psk",
        f"psk={MASK}",
        f"wep-key0={MASK}",
        f"password={MASK}",
        f"private-key-password={MASK}",
    ):
        assert line in out.splitlines(), line
    assert out.count("\n") == KEYFILE.count("\n")


def test_wpa_supplicant_and_hostapd_forms():
    text = 'network={\n  ssid="x"\n  psk="s3cret pass"\n}\nwpa_passphrase=hostsecret\n'
    out = mask_secrets(text)
    assert "s3cret" not in out and "hostsecret" not in out and 'ssid="x"' in out


def test_skiff_core_auth_password_is_masked_comment_kept():
    text = (
        'users:\n  core:\n    container: core\n    auth:\n      password: "p4ss"  # login\n      copyRootKeys: true\n'
    )
    out = mask_secrets(text)
    assert "p4ss" not in out
    assert f"      password: {MASK}  # login" in out.splitlines()
    assert "copyRootKeys: true" in out and "container: core" in out


def test_private_key_body_is_hidden_line_for_line():
    text = (
        "ssh-ed25519 AAAAC3Nza pub@host\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
        "QyNTUxOQAAACD\n-----END OPENSSH PRIVATE KEY-----\n"
        "-----BEGIN RSA PRIVATE KEY----- MIIEabc -----END RSA PRIVATE KEY-----\n"
    )
    out = mask_secrets(text)
    assert "b3Blbn" not in out and "QyNTUx" not in out and "MIIEabc" not in out
    assert out.splitlines()[0] == "ssh-ed25519 AAAAC3Nza pub@host"  # public keys are not secret
    assert out.count("\n") == text.count("\n")
    assert has_secrets(text) and not has_secrets("ssid=Home\nhostname=x\n")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.text(
            st.characters(
                blacklist_categories=("Cs",), blacklist_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
            ),
            max_size=30,
        ),
        max_size=8,
    ),
    st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=20),
)
def test_any_psk_value_is_gone_and_the_line_count_kept(lines, secret):
    text = "\n".join(lines + [f"psk={secret}"] + lines) + "\n"
    out = mask_secrets(text)
    assert out.count("\n") == text.count("\n")
    assert out.splitlines()[len(lines)] == f"psk={MASK}"
