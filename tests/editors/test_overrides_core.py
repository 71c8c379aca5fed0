"""core.editors.overrides: hostname fragment, NetworkManager keyfiles, authorized_keys, layer files."""

from __future__ import annotations

import configparser
import os
import stat

import pytest
from editors.editor_keys import ECDSA, ED25519, ED25519_FP, RSA
from skifftest import write_package

from skiff_tui.core import readonly
from skiff_tui.core.config.fragments import read_fragment
from skiff_tui.core.editors import coreyaml_place as cyp
from skiff_tui.core.editors import overrides as ov
from skiff_tui.core.errors import ReadOnlyError
from skiff_tui.core.session import Session
from skiff_tui.core.workspace import Workspace


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def ws(skiff_root):
    return Workspace(skiff_root, "dev")


@pytest.fixture
def both(skiff_root, ws):
    return ov.layer(skiff_root, ws, "all"), ov.layer(skiff_root, ws, "workspace")


def test_layers(skiff_root, ws):
    all_, mine = ov.layers(skiff_root, ws)
    assert (all_.path, all_.name) == (skiff_root / "overrides", "overrides")
    assert (mine.path, mine.name) == (skiff_root / "overrides" / "workspaces" / "dev", "overrides/workspaces/dev")
    with pytest.raises(ov.OverrideError):
        ov.layer(skiff_root, ws, "configs")


# --- hostname ------------------------------------------------------------------------------
@pytest.mark.parametrize("good", ["skiff", "pi-4", "a", "x" * 63, "host.example.org", "0day"])
def test_valid_hostnames(good):
    assert ov.validate_hostname(f" {good} ") == good


@pytest.mark.parametrize(
    "bad,why",
    [
        ("", "empty"),
        ("-pi", "not a valid"),
        ("pi-", "not a valid"),
        ("pi_4", "not a valid"),
        ("a..b", "empty label"),
        ("x" * 64, "63 at most"),
        ("a." * 127 + "ab", "253 at most"),
        ("my host", "not a valid"),
    ],
)
def test_invalid_hostnames(bad, why):
    with pytest.raises(ov.OverrideError, match=why):
        ov.validate_hostname(bad)


def test_hostname_fragment_is_merged_last(skiff_root, ws, both, monkeypatch):
    write_package(skiff_root / "configs", "board/x", files={"buildroot/10": 'BR2_TARGET_GENERIC_HOSTNAME="board"\n'})
    env = {"SKIFF_CONFIG": "board/x"}
    assert ov.effective_hostname(Session(skiff_root, env, ws))[0] == "board"
    all_, mine = both
    path = ov.write_hostname(all_, "everywhere")
    assert path == skiff_root / "overrides" / "buildroot" / ov.HOSTNAME_FRAGMENT
    assert [a.text for a in read_fragment(path, layer="overrides")] == ['BR2_TARGET_GENERIC_HOSTNAME="everywhere"']
    assert mode(path) == 0o644
    assert ov.effective_hostname(Session(skiff_root, env, ws)) == ("everywhere", f"overrides ({path}:2)")
    ov.write_hostname(mine, "only-dev")
    assert ov.effective_hostname(Session(skiff_root, env, ws))[0] == "only-dev"
    assert ov.read_hostname(mine) == "only-dev" and ov.read_hostname(all_) == "everywhere"
    assert ov.remove_hostname(mine) and ov.read_hostname(mine) is None
    with pytest.raises(ov.OverrideError):
        ov.write_hostname(mine, "bad_name")
    assert not ov.hostname_path(mine).exists()


# --- Wi-Fi ---------------------------------------------------------------------------------
def test_wifi_keyfile_content_and_mode(both):
    _, mine = both
    path = ov.write_wifi(mine, ov.WifiNetwork("Home Net", "correct horse"))
    assert path == mine.path / "root_overlay/etc/NetworkManager/system-connections/Home_Net.nmconnection"
    assert mode(path) == 0o600
    parser = configparser.RawConfigParser()
    parser.read_string(path.read_text())
    assert parser.sections() == ["connection", "wifi", "wifi-security", "ipv4", "ipv6"]
    assert dict(parser["connection"])["type"] == "wifi" and parser["connection"]["id"] == "Home Net"
    assert parser["wifi"]["ssid"] == "Home Net" and parser["wifi"]["mode"] == "infrastructure"
    assert parser["wifi-security"]["key-mgmt"] == "wpa-psk" and parser["wifi-security"]["psk"] == "correct horse"
    assert parser["ipv4"]["method"] == "auto" and parser["ipv6"]["method"] == "auto"
    uuid_before = parser["connection"]["uuid"]
    ov.write_wifi(mine, ov.WifiNetwork("Home Net", "another passphrase", hidden=True))
    parser.read_string(path.read_text())
    assert parser["connection"]["uuid"] == uuid_before and parser["wifi"]["hidden"] == "true"
    [(listed_path, net)] = ov.list_wifi(mine)
    assert listed_path == path and net == ov.WifiNetwork("Home Net", "another passphrase", True, "Home_Net")


def test_wifi_escaping_round_trips(both):
    _, mine = both
    odd = ov.WifiNetwork(" café;net ", "  pass\\word  ")
    path = ov.write_wifi(mine, odd)
    text = path.read_text()
    assert "ssid=32;99;97;102;195;169;59;110;101;116;32;" in text  # byte list form
    assert "psk=\\s\\spass\\\\word\\s\\s" in text
    [(_, back)] = ov.list_wifi(mine)
    assert (back.ssid, back.psk) == (odd.ssid, odd.psk)


@pytest.mark.parametrize(
    "ssid,psk,why",
    [
        ("", "12345678", "SSID is empty"),
        ("x" * 33, "12345678", "33 bytes"),
        ("é" * 17, "12345678", "34 bytes"),
        ("net", "short", "5 characters long"),
        ("net", "x" * 64, "64 hexadecimal"),
        ("net", "pässword", "printable ASCII"),
        ("net", "y" * 65, "65 characters"),
    ],
)
def test_wifi_validation(both, ssid, psk, why):
    _, mine = both
    with pytest.raises(ov.OverrideError, match=why):
        ov.write_wifi(mine, ov.WifiNetwork(ssid, psk))
    assert not ov.wifi_dir(mine).exists()


def test_wifi_raw_hex_key_and_delete(both):
    all_, _ = both
    key = "0123456789abcdef" * 4
    path = ov.write_wifi(all_, ov.WifiNetwork("lab", key, name="lab-5g"))
    assert path.name == "lab-5g.nmconnection" and f"psk={key}" in path.read_text()
    assert ov.delete_wifi(all_, "lab-5g") and not path.exists()
    with pytest.raises(ov.OverrideError):
        ov.delete_wifi(all_, "../../etc/passwd")


# --- SSH keys ------------------------------------------------------------------------------
def test_parse_keys_and_fingerprint():
    key = ov.parse_key(ED25519)
    assert (key.type, key.comment, key.fingerprint) == ("ssh-ed25519", "me@laptop", ED25519_FP)
    assert ov.parse_key(ECDSA).type == "ecdsa-sha2-nistp256"
    opts = ov.parse_key('from="10.0.0.0/8",no-pty ' + ED25519)
    assert opts.options == 'from="10.0.0.0/8",no-pty' and opts.line == 'from="10.0.0.0/8",no-pty ' + ED25519


@pytest.mark.parametrize(
    "text,why",
    [
        ("", "empty"),
        ("hello world", "no key type"),
        ("ssh-ed25519", "without its base64"),
        ("ssh-ed25519 AAAA!!notbase64", "not valid base64"),
        (ED25519.replace("ssh-ed25519", "ssh-rsa", 1), "does not hold a ssh-rsa key"),
        ("ssh-ed25519 " + RSA.split()[1], "does not hold a ssh-ed25519 key"),
        ("ssh-dss AAAAB3NzaC1kc3MAAACBAP", "DSA keys"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----", "private key"),
    ],
)
def test_bad_keys(text, why):
    with pytest.raises(ov.OverrideError, match=why):
        ov.parse_key(text)


def test_add_keys_dedupes_and_sets_modes(both):
    _, mine = both
    added, dupes = ov.add_keys(mine, ED25519 + "\n\n# a comment\n" + RSA + "\n")
    assert [k.type for k in added] == ["ssh-ed25519", "ssh-rsa"] and dupes == []
    path = mine.path / "root_overlay/root/.ssh/authorized_keys"
    assert path.read_text() == ED25519 + "\n" + RSA + "\n"
    assert mode(path) == 0o600 and mode(path.parent) == 0o700 and mode(path.parent.parent) == 0o700
    # the same key with another comment is the same key
    added, dupes = ov.add_keys(mine, ED25519.replace("me@laptop", "other") + "\n" + ECDSA)
    assert [k.type for k in added] == ["ecdsa-sha2-nistp256"] and [k.type for k in dupes] == ["ssh-ed25519"]
    assert [k.type for k in ov.read_keys(mine)] == ["ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256"]
    assert ov.remove_key(mine, ED25519_FP)
    assert [k.type for k in ov.read_keys(mine)] == ["ssh-rsa", "ecdsa-sha2-nistp256"]
    assert mode(path) == 0o600
    assert not ov.remove_key(mine, ED25519_FP)


def test_add_keys_refuses_all_if_one_line_is_bad(both):
    _, mine = both
    with pytest.raises(ov.OverrideError, match="line 2: no key type"):
        ov.add_keys(mine, ED25519 + "\nnot a key\n")
    assert not ov.authorized_keys_path(mine).exists()


def test_existing_comments_are_kept(both):
    _, mine = both
    path = ov.authorized_keys_path(mine)
    path.parent.mkdir(parents=True)
    path.write_text("# team keys\n" + RSA + "\n")
    ov.add_keys(mine, ED25519)
    assert path.read_text() == "# team keys\n" + RSA + "\n" + ED25519 + "\n"


# --- files ---------------------------------------------------------------------------------
def test_files_stay_inside_their_layer(both, tmp_path):
    all_, mine = both
    path = ov.write_text_file(all_, "root_overlay/etc/motd", "hello\n")
    assert path == all_.path / "root_overlay/etc/motd" and mode(path) == 0o644
    assert ov.read_text_file(all_, path) == "hello\n"
    hook = ov.write_text_file(mine, "hooks/post.sh", "#!/bin/sh\n")
    assert mode(hook) == 0o755
    os.chmod(path, 0o600)
    ov.write_text_file(all_, "root_overlay/etc/motd", "bye\n")
    assert mode(path) == 0o600 and path.read_text() == "bye\n"  # the existing mode is kept
    for bad in ("../configs/x", "/etc/passwd", "", "a/../../b", "workspaces/dev/buildroot/x"):
        with pytest.raises(ov.OverrideError):
            ov.write_text_file(all_, bad, "x")
    (all_.path / "link").symlink_to(tmp_path)
    with pytest.raises(ov.OverrideError, match="outside"):
        ov.write_text_file(all_, "link/escape", "x")
    (mine.path / "blob").write_bytes(b"\x00\x01")
    with pytest.raises(ov.OverrideError, match="binary"):
        ov.read_text_file(mine, "blob")
    ov.delete_file(all_, "root_overlay/etc/motd")
    assert not path.exists()


def test_syntax_for():
    assert ov.syntax_for("a/skiff-core.yaml") == "yaml"
    assert ov.syntax_for("hooks/post.sh") == "bash"
    assert ov.syntax_for("buildroot/50-skiff-hostname") is None


def test_read_only_refuses_every_write(both):
    all_, mine = both
    readonly.set_read_only(True)
    calls = [
        lambda: ov.write_hostname(mine, "x"),
        lambda: ov.write_wifi(mine, ov.WifiNetwork("n", "12345678")),
        lambda: ov.add_keys(mine, ED25519),
        lambda: ov.write_text_file(all_, "a", "b"),
        lambda: ov.remove_key(mine, ED25519_FP),
        lambda: ov.delete_wifi(mine, "n"),
        lambda: ov.ensure_layer(mine),
        lambda: ov.remove_hostname(mine),
    ]
    for call in calls:
        with pytest.raises(ReadOnlyError):
            call()
    assert not mine.path.exists() and not any(all_.path.iterdir())


# --- skiff-core.yaml -----------------------------------------------------------------------
def test_coreyaml_place_and_save(skiff_root, ws, both):
    from skiff_tui.core.config.coreyaml import LAYER_FILE

    all_, mine = both
    configs = skiff_root / "configs"
    # nothing ships one: an empty skeleton
    empty = cyp.coreyaml_place(Session(skiff_root, {}, ws), mine)
    assert empty.default is None and "empty file" in empty.origin and "the workspace's chain is not known" in empty.note
    write_package(configs, "skiff/core", files={str(LAYER_FILE): "# skiff\ncontainers: {}\n"})
    write_package(configs, "core/alpine", deps="skiff/core", files={str(LAYER_FILE): "# alpine\ncontainers: {}\n"})
    # no chain selected: skiff/core's default
    place = cyp.coreyaml_place(Session(skiff_root, {}, ws), mine)
    assert place.text.startswith("# skiff") and place.default_owner == "skiff/core"
    # the chain's last package that ships one
    env = {"SKIFF_CONFIG": "core/alpine"}
    place = cyp.coreyaml_place(Session(skiff_root, env, ws), mine)
    assert (place.text, place.origin, place.default_owner) == (
        "# alpine\ncontainers: {}\n",
        "core/alpine's default",
        "core/alpine",
    )
    assert place.target == mine.path / LAYER_FILE
    # a copy in the all-workspaces layer is what the image gets; the workspace layer starts from it
    path = cyp.save_coreyaml(all_, "# fleet  \ncontainers: {}  # keep\n")
    assert path.read_text() == "# fleet  \ncontainers: {}  # keep\n" and mode(path) == 0o644
    place = cyp.coreyaml_place(Session(skiff_root, env, ws), mine)
    assert place.text.startswith("# fleet") and place.origin == "the copy in overrides"
    assert place.default_owner == "core/alpine"
    readonly.set_read_only(True)
    with pytest.raises(ReadOnlyError):
        cyp.save_coreyaml(mine, "x: 1\n")
    assert not (mine.path / LAYER_FILE).exists()
