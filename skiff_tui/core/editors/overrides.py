"""Guided edits of the override layers (docs/behaviour.md#layers-and-merging): hostname, Wi-Fi
networks, SSH keys, any file.

Two layers can be written: ``overrides/`` (every workspace) and ``overrides/workspaces/<ws>/``
(this workspace only); both come last in the stack, so what is written here wins over packages.
Every write goes through ``readonly.guard`` and ``atomic``; nothing here imports Textual.

Where things go inside a layer (the package layout, so Buildroot picks them up):

* hostname: ``buildroot/50-skiff-hostname`` holding ``BR2_TARGET_GENERIC_HOSTNAME="…"``
* Wi-Fi: ``root_overlay/etc/NetworkManager/system-connections/<name>.nmconnection`` (0600;
  NetworkManager ignores keyfiles readable by others)
* SSH: ``root_overlay/root/.ssh/authorized_keys`` (0600, ``.ssh`` 0700; ``root/`` is created 0700
  because the overlay's directory modes are copied onto the target)
"""

from __future__ import annotations

import base64
import binascii
import configparser
import hashlib
import os
import re
import stat
import struct
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from .. import atomic, paths, readonly, safepath
from ..config.fragments import LINE_BREAKS, parse_lines, quote, unquote
from ..errors import SkiffError
from ..workspace import Workspace

if TYPE_CHECKING:
    from ..session import Session

HOSTNAME_SYMBOL = "BR2_TARGET_GENERIC_HOSTNAME"
HOSTNAME_FRAGMENT = "50-skiff-hostname"
NM_DIR = PurePosixPath("root_overlay/etc/NetworkManager/system-connections")
AUTHORIZED_KEYS = PurePosixPath("root_overlay/root/.ssh/authorized_keys")
# A stable namespace so rewriting a network keeps its connection UUID.
_WIFI_NS = uuid.UUID("6f2d0b4e-5b7c-4c55-9d55-2f1b3c8a9e10")


class OverrideError(SkiffError):
    """Input the override editors refuse (bad hostname, SSID, PSK, key, path)."""


@dataclass(frozen=True)
class OverrideLayer:
    scope: str  # "all" (every workspace) or "workspace"
    name: str  # layer name as the stack shows it
    path: Path

    @property
    def label(self) -> str:
        return "all workspaces (overrides/)" if self.scope == "all" else f"this workspace ({self.name}/)"

    @property
    def tree(self) -> Path:
        """overrides/: no write into either layer may follow a link out of it."""
        return self.path if self.scope == "all" else self.path.parents[1]


def layers(root: Path, workspace: Workspace) -> list[OverrideLayer]:
    return [
        OverrideLayer("all", "overrides", paths.overrides_dir(root)),
        OverrideLayer("workspace", f"overrides/workspaces/{workspace.name}", workspace.overrides_dir),
    ]


def layer(root: Path, workspace: Workspace, scope: str) -> OverrideLayer:
    for candidate in layers(root, workspace):
        if candidate.scope == scope:
            return candidate
    raise OverrideError(f"unknown override layer {scope!r} (expected 'all' or 'workspace')")


def _fix_dir_modes(layer: OverrideLayer, rel_dirs: dict[str, int]) -> None:
    """Create directories of the layer with the given modes (only when this call creates them),
    never through a link out of overrides/."""
    for rel, mode in rel_dirs.items():
        d = safepath.within(layer.path / rel, layer.tree)
        if not d.exists():
            d.mkdir(parents=True, exist_ok=True)
            os.chmod(d, mode)


def _unlink(layer: OverrideLayer, path: Path) -> None:
    """Remove a file of the layer (the file itself if it is a link; never through a linked dir)."""
    safepath.within(path.parent, layer.tree)
    path.unlink()


# --- hostname ------------------------------------------------------------------------------
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\Z")


def validate_hostname(name: str) -> str:
    """RFC 1123: dot-separated labels of 1-63 letters, digits and '-', not starting or ending
    with '-'; 253 characters at most."""
    name = name.strip()
    if not name:
        raise OverrideError("the hostname is empty")
    if len(name) > 253:
        raise OverrideError(f"the hostname is {len(name)} characters long; 253 at most")
    for part in name.split("."):
        if not part:
            raise OverrideError(f"{name!r} has an empty label (two dots, or a dot at either end)")
        if len(part) > 63:
            raise OverrideError(f"label {part[:20]!r}… is {len(part)} characters long; 63 at most")
        if not _LABEL.match(part):
            raise OverrideError(
                f"{part!r} is not a valid hostname label: use letters, digits and '-', not at the start or end"
            )
    return name


def hostname_path(layer: OverrideLayer) -> Path:
    return layer.path / "buildroot" / HOSTNAME_FRAGMENT


def read_hostname(layer: OverrideLayer) -> str | None:
    path = hostname_path(layer)
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    values = [a.value for a in parse_lines(text, path=path, layer=layer.name) if a.symbol == HOSTNAME_SYMBOL]
    return unquote(values[-1]) if values and values[-1] is not None else None


@readonly.mutating("setting the hostname")
def write_hostname(layer: OverrideLayer, name: str) -> Path:
    name = validate_hostname(name)
    text = f"# Hostname set with skiff's Overrides editor ({layer.label}).\n{HOSTNAME_SYMBOL}={quote(name)}\n"
    return atomic.write_text(hostname_path(layer), text, within=layer.tree, mode=0o644)


@readonly.mutating("removing the hostname override")
def remove_hostname(layer: OverrideLayer) -> bool:
    try:
        _unlink(layer, hostname_path(layer))
        return True
    except FileNotFoundError:
        return False


# --- Wi-Fi (NetworkManager keyfiles) -------------------------------------------------------
@dataclass(frozen=True)
class WifiNetwork:
    ssid: str
    psk: str
    hidden: bool = False
    name: str = ""  # connection id and file name stem; derived from the SSID when empty

    @property
    def file_stem(self) -> str:
        return self.name or connection_name(self.ssid)


def validate_ssid(ssid: str) -> str:
    size = len(ssid.encode("utf-8"))
    if size == 0:
        raise OverrideError("the SSID is empty")
    if size > 32:
        raise OverrideError(f"the SSID is {size} bytes long; 32 at most")
    if LINE_BREAKS.search(ssid):
        raise OverrideError("the SSID cannot contain line breaks or NUL")
    return ssid


def validate_psk(psk: str) -> str:
    """WPA-PSK: a passphrase of 8-63 printable ASCII characters, or 64 hex digits (the raw key)."""
    if len(psk) == 64 and re.fullmatch(r"[0-9A-Fa-f]{64}", psk):
        return psk
    if len(psk) == 64:
        raise OverrideError("a 64-character key must be 64 hexadecimal digits")
    if not 8 <= len(psk) <= 63:
        raise OverrideError(
            f"the passphrase is {len(psk)} characters long; WPA needs 8 to 63 (or exactly 64 hex digits)"
        )
    if not all(" " <= ch <= "~" for ch in psk):
        raise OverrideError("the passphrase may only hold printable ASCII characters")
    return psk


def connection_name(ssid: str) -> str:
    """A file-name-safe connection name for an SSID."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", ssid).strip("._") or "wifi"
    return name[:64]


def _keyfile_escape(value: str) -> str:
    """GKeyFile value escaping: backslash, control characters, spaces at either end."""
    out = value.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    lead = len(out) - len(out.lstrip(" "))
    out = "\\s" * lead + out[lead:]
    trail = len(out) - len(out.rstrip(" "))
    if trail:
        out = out[: len(out) - trail] + "\\s" * trail
    return out


def _keyfile_unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"s": " ", "n": "\n", "t": "\t", "r": "\r"}.get(m.group(1), m.group(1)), value)


def _ssid_value(ssid: str) -> str:
    """Plain text when NetworkManager reads it back unchanged, else the byte list form (b;b;…;)."""
    plain = (
        all(" " < ch <= "~" or ch == " " for ch in ssid)
        and ";" not in ssid
        and "\\" not in ssid
        and ssid == ssid.strip()
        and not re.fullmatch(r"[0-9;]+", ssid)
    )
    if plain:
        return ssid
    return "".join(f"{b};" for b in ssid.encode("utf-8"))


def _ssid_from_value(value: str) -> str:
    if re.fullmatch(r"(?:\d{1,3};)+\d{0,3}", value):
        return bytes(int(b) for b in value.split(";") if b).decode("utf-8", errors="replace")
    return _keyfile_unescape(value)


def keyfile_text(net: WifiNetwork) -> str:
    ssid = validate_ssid(net.ssid)
    psk = validate_psk(net.psk)
    conn_id = net.name or ssid
    lines = [
        "# Wi-Fi network written by skiff's Overrides editor.",
        "[connection]",
        f"id={_keyfile_escape(conn_id)}",
        f"uuid={uuid.uuid5(_WIFI_NS, net.file_stem)}",
        "type=wifi",
        "autoconnect=true",
        "",
        "[wifi]",
        "mode=infrastructure",
        f"ssid={_ssid_value(ssid)}",
    ]
    if net.hidden:
        lines.append("hidden=true")
    lines += [
        "",
        "[wifi-security]",
        "key-mgmt=wpa-psk",
        f"psk={_keyfile_escape(psk)}",
        "",
        "[ipv4]",
        "method=auto",
        "",
        "[ipv6]",
        "addr-gen-mode=stable-privacy",
        "method=auto",
        "",
    ]
    return "\n".join(lines)


def wifi_dir(layer: OverrideLayer) -> Path:
    return layer.path / NM_DIR


def wifi_path(layer: OverrideLayer, net: WifiNetwork) -> Path:
    return wifi_dir(layer) / f"{net.file_stem}.nmconnection"


@readonly.mutating("saving a Wi-Fi network")
def write_wifi(layer: OverrideLayer, net: WifiNetwork) -> Path:
    text = keyfile_text(net)
    if net.name and connection_name(net.name) != net.name:
        raise OverrideError(f"connection name {net.name!r} may only hold letters, digits, '.', '_' and '-'")
    _fix_dir_modes(layer, {str(NM_DIR): 0o755})
    return atomic.write_text(wifi_path(layer, net), text, within=layer.tree, mode=0o600)


class _KeyfileParser(configparser.RawConfigParser):
    def optionxform(self, optionstr: str) -> str:
        return optionstr  # keyfile keys are case-sensitive


def read_wifi(path: Path) -> WifiNetwork:
    parser = _KeyfileParser(strict=False, interpolation=None, delimiters=("=",), comment_prefixes=("#",))
    try:
        parser.read_string(path.read_text(errors="replace"), source=str(path))
    except configparser.Error as exc:
        raise OverrideError(f"not a NetworkManager keyfile: {exc.message.splitlines()[0]}", path=path) from exc

    def get(section: str, key: str) -> str:
        return parser.get(section, key, fallback="")

    return WifiNetwork(
        ssid=_ssid_from_value(get("wifi", "ssid")),
        psk=_keyfile_unescape(get("wifi-security", "psk")),
        hidden=get("wifi", "hidden").lower() == "true",
        name=path.stem,
    )


def list_wifi(layer: OverrideLayer) -> list[tuple[Path, WifiNetwork | OverrideError]]:
    out: list[tuple[Path, WifiNetwork | OverrideError]] = []
    try:
        files = sorted(p for p in wifi_dir(layer).iterdir() if p.suffix == ".nmconnection" and p.is_file())
    except (FileNotFoundError, NotADirectoryError):
        return []
    for path in files:
        try:
            out.append((path, read_wifi(path)))
        except OverrideError as exc:
            out.append((path, exc))
    return out


@readonly.mutating("removing a Wi-Fi network")
def delete_wifi(layer: OverrideLayer, name: str) -> bool:
    if connection_name(name) != name:
        raise OverrideError(f"invalid connection name {name!r}")
    try:
        _unlink(layer, wifi_dir(layer) / f"{name}.nmconnection")
        return True
    except FileNotFoundError:
        return False


# --- SSH authorized_keys -------------------------------------------------------------------
KEY_TYPES = (
    "ssh-ed25519",
    "ssh-rsa",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com",
)


@dataclass(frozen=True)
class AuthorizedKey:
    options: str
    type: str
    blob: str  # base64
    comment: str

    @property
    def line(self) -> str:
        return " ".join(p for p in (self.options, self.type, self.blob, self.comment) if p)

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256(base64.b64decode(self.blob)).digest()
        return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")

    @property
    def identity(self) -> tuple[str, str]:
        return self.type, self.blob


def parse_key(line: str) -> AuthorizedKey:
    """One authorized_keys line: [options] type base64 [comment]; the blob must decode and name
    the same key type inside (catches truncated or mis-pasted keys)."""
    text = line.strip()
    if not text:
        raise OverrideError("the key is empty")
    if text.startswith("ssh-dss"):
        raise OverrideError("DSA keys (ssh-dss) are refused by current OpenSSH; use an ed25519 key")
    tokens = text.split()
    idx = next((i for i, tok in enumerate(tokens) if tok in KEY_TYPES), None)
    if idx is None:
        if text.startswith("-----BEGIN"):
            raise OverrideError("this is a private key or PEM file; paste the public key (the .pub file)")
        raise OverrideError(f"no key type found (expected one of {', '.join(KEY_TYPES[:3])}, …)")
    options = text.split(tokens[idx], 1)[0].strip() if idx else ""
    if idx + 1 >= len(tokens):
        raise OverrideError(f"{tokens[idx]} key without its base64 data")
    key_type, blob = tokens[idx], tokens[idx + 1]
    try:
        raw = base64.b64decode(blob, validate=True)
    except (binascii.Error, ValueError):
        raise OverrideError(f"the {key_type} key data is not valid base64 (truncated when pasted?)") from None
    try:
        (size,) = struct.unpack(">I", raw[:4])
        inner = raw[4 : 4 + size].decode("ascii")
    except (struct.error, UnicodeDecodeError):
        inner = None
    if inner != key_type:
        raise OverrideError(f"the key data does not hold a {key_type} key (truncated or mixed up when pasted?)")
    comment = " ".join(tokens[idx + 2 :])
    return AuthorizedKey(options, key_type, blob, comment)


def authorized_keys_path(layer: OverrideLayer) -> Path:
    return layer.path / AUTHORIZED_KEYS


def read_keys(layer: OverrideLayer) -> list[AuthorizedKey]:
    try:
        text = authorized_keys_path(layer).read_text(errors="replace")
    except FileNotFoundError:
        return []
    keys = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            try:
                keys.append(parse_key(line))
            except OverrideError:
                continue  # kept in the file as it is, not listed
    return keys


def _write_keys_file(layer: OverrideLayer, lines: list[str]) -> Path:
    _fix_dir_modes(layer, {"root_overlay": 0o755, "root_overlay/root": 0o700, "root_overlay/root/.ssh": 0o700})
    ssh_dir = authorized_keys_path(layer).parent
    os.chmod(ssh_dir, 0o700)
    return atomic.write_text(
        authorized_keys_path(layer), "".join(ln + "\n" for ln in lines), within=layer.tree, mode=0o600
    )


@readonly.mutating("adding SSH keys")
def add_keys(layer: OverrideLayer, text: str) -> tuple[list[AuthorizedKey], list[AuthorizedKey]]:
    """Add every key line of `text` (one or many, e.g. a pasted .pub file). Returns (added,
    already present). Refuses all of them if any line is not a valid public key."""
    new: list[AuthorizedKey] = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            new.append(parse_key(line))
        except OverrideError as exc:
            raise OverrideError(f"line {lineno}: {exc.message}" if len(text.splitlines()) > 1 else exc.message) from exc
    if not new:
        raise OverrideError("no public key given")
    path = authorized_keys_path(layer)
    try:
        existing_lines = path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        existing_lines = []
    seen = {k.identity for k in read_keys(layer)}
    added, dupes = [], []
    for key in new:
        if key.identity in seen:
            dupes.append(key)
        else:
            seen.add(key.identity)
            added.append(key)
    if added or not path.exists():
        _write_keys_file(layer, existing_lines + [k.line for k in added])
    return added, dupes


@readonly.mutating("removing an SSH key")
def remove_key(layer: OverrideLayer, fingerprint: str) -> bool:
    path = authorized_keys_path(layer)
    try:
        lines = path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return False
    kept, removed = [], False
    for line in lines:
        try:
            key = parse_key(line) if line.strip() and not line.lstrip().startswith("#") else None
        except OverrideError:
            key = None
        if key is not None and key.fingerprint == fingerprint:
            removed = True
            continue
        kept.append(line)
    if removed:
        _write_keys_file(layer, kept)
    return removed


# --- files of a layer ----------------------------------------------------------------------
SYNTAX_BY_SUFFIX = {
    ".yaml": "yaml",
    ".yml": "yaml",
    ".sh": "bash",
    ".bash": "bash",
    ".json": "json",
    ".toml": "toml",
    ".py": "python",
    ".md": "markdown",
    ".xml": "xml",
    ".html": "html",
    ".css": "css",
    ".js": "javascript",
    ".sql": "sql",
    ".rs": "rust",
    ".go": "go",
    ".java": "java",
}
MAX_EDIT_BYTES = 2 * 1024 * 1024


def syntax_for(path: str | Path) -> str | None:
    """The editor's highlighting language for a file (None: plain text, e.g. Kconfig fragments)."""
    p = Path(path)
    if p.suffix.lower() in SYNTAX_BY_SUFFIX:
        return SYNTAX_BY_SUFFIX[p.suffix.lower()]
    if p.parent.name == "hooks" or p.name.endswith("rc"):
        return "bash"
    return None


def is_own_path(layer: OverrideLayer, path: Path) -> bool:
    """False for other layers nested inside this one (overrides/workspaces/ inside overrides/)."""
    try:
        rel = path.relative_to(layer.path)
    except ValueError:
        return False
    return not (layer.scope == "all" and rel.parts[:1] == ("workspaces",))


def resolve_in_layer(layer: OverrideLayer, rel: str | Path) -> Path:
    """`rel` (relative to the layer, or an absolute path inside it) as an absolute path; refuses
    anything that leaves the layer (.., symlinks out) or lands in another workspace's layer."""
    raw = Path(rel)
    if raw.is_absolute():
        try:
            raw = raw.relative_to(layer.path)
        except ValueError:
            raise OverrideError(f"{rel} is outside {layer.label}") from None
    parts = raw.parts
    if not parts or any(p in ("", ".", "..") for p in parts):
        raise OverrideError(f"{str(rel)!r} is not a plain relative path inside the layer")
    path = layer.path / raw
    try:
        safepath.within(path, layer.tree)  # a link out of overrides/ is named in the error
    except SkiffError as exc:
        raise OverrideError(exc.message, hint=exc.hint) from exc
    base = layer.path.resolve()
    try:
        path.resolve().relative_to(base)
    except ValueError:
        raise OverrideError(f"{rel} leads outside {layer.label} (symbolic link?)") from None
    if not is_own_path(layer, path):
        raise OverrideError(f"{rel} belongs to a workspace layer; pick 'this workspace' instead")
    return path


def read_text_file(layer: OverrideLayer, rel: str | Path) -> str:
    path = resolve_in_layer(layer, rel)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise OverrideError("no such file", path=path) from None
    if not stat.S_ISREG(st.st_mode):
        raise OverrideError("not a regular file", path=path)
    if st.st_size > MAX_EDIT_BYTES:
        raise OverrideError(f"too large to edit here ({st.st_size} bytes)", path=path)
    data = path.read_bytes()
    if b"\0" in data:
        raise OverrideError("binary file; not editable as text", path=path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise OverrideError("not UTF-8 text; not editable here", path=path) from None


@readonly.mutating("writing an override file")
def write_text_file(layer: OverrideLayer, rel: str | Path, text: str) -> Path:
    """Write a file of the layer atomically, keeping an existing file's mode (new files: 0644,
    or 0755 for hooks/*.sh)."""
    path = resolve_in_layer(layer, rel)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        rel_parts = path.relative_to(layer.path).parts
        mode = 0o755 if rel_parts[:1] == ("hooks",) and path.suffix == ".sh" else 0o644
    return atomic.write_text(path, text, within=layer.tree, mode=mode)


@readonly.mutating("deleting an override file")
def delete_file(layer: OverrideLayer, rel: str | Path) -> None:
    path = resolve_in_layer(layer, rel)
    if not path.is_file():
        raise OverrideError("not a file", path=path)
    _unlink(layer, path)


def ensure_layer(layer: OverrideLayer) -> Path:
    """Create the layer's directory (for browsing an empty layer); refused in read-only mode."""
    if not layer.path.is_dir():
        readonly.guard("creating an override layer")
        safepath.mkdir(layer.path, base=layer.tree)
    return layer.path


def effective_hostname(session: Session) -> tuple[str, str] | None:
    """The hostname the whole stack gives the session's workspace and who set it (None: Buildroot's default)."""
    from ..builds.configure import plan

    final = plan(session).merged.buildroot.final(HOSTNAME_SYMBOL)
    if final is None or final.value is None:
        return None
    return unquote(final.value), str(final.origin)
