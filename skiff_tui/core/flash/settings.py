"""Per-card settings written at flash time: hostname, Wi-Fi networks, SSH public keys.

They go into the persist partition in the layout the image's skiff-init reads at boot
(configs/base/pre/root_overlay/opt/skiff/scripts/skiff-init.sh):

- `/skiff/hostname`: first line replaces /etc/hostname;
- `/skiff/connections/<name>.nmconnection`: NetworkManager keyfiles (the upper layer of
  /etc/NetworkManager/system-connections), 0600 because they hold the Wi-Fi passphrase;
- `/skiff/keys/<name>.pub`: added to root's authorized_keys.

Written with debugfs into the ext4 at its byte offset, like `format` and `install`: no mount,
so image files and cards go through the same code. Owner root, modes set explicitly. A user
password is not offered: the image reads none from persist (root logs in with SSH keys).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..editors.overrides import (
    OverrideError,
    WifiNetwork,
    keyfile_text,
    parse_key,
    validate_hostname,
    validate_psk,
    validate_ssid,
)
from ..errors import FlashError

PERSIST_DIR = "/skiff"


@dataclass
class CardSettings:
    hostname: str | None = None
    wifi: list[WifiNetwork] = field(default_factory=list)
    ssh_keys: list[str] = field(default_factory=list)  # authorized_keys lines

    def __bool__(self) -> bool:
        return bool(self.hostname or self.wifi or self.ssh_keys)

    def describe(self) -> list[str]:
        out = []
        if self.hostname:
            out.append(f"hostname {self.hostname}")
        for net in self.wifi:
            out.append(f"Wi-Fi {net.ssid!r} (passphrase stored 0600)")
        for line in self.ssh_keys:
            key = parse_key(line)
            out.append(f"SSH key {key.type} {key.fingerprint}" + (f" ({key.comment})" if key.comment else ""))
        return out

    def files(self) -> list[tuple[str, bytes, int]]:
        """(path inside persist, content, mode) of every file to write."""
        out: list[tuple[str, bytes, int]] = []
        if self.hostname:
            out.append((f"{PERSIST_DIR}/hostname", (self.hostname + "\n").encode(), 0o644))
        for net in self.wifi:
            out.append(
                (
                    f"{PERSIST_DIR}/connections/{net.file_stem}.nmconnection",
                    keyfile_text(net).replace("skiff's Overrides editor", "skiff flash").encode(),
                    0o600,
                )
            )
        for i, line in enumerate(self.ssh_keys, 1):
            key = parse_key(line)
            out.append((f"{PERSIST_DIR}/keys/skiff-flash-{i}.pub", (key.line + "\n").encode(), 0o644))
        return out


def _fail(exc: OverrideError, where: str) -> FlashError:
    return FlashError(f"{where}: {exc.message}")


def parse_hostname(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return validate_hostname(text.strip())
    except OverrideError as exc:
        raise _fail(exc, f"--hostname {text!r}") from None


def parse_wifi(spec: str, where: str = "--wifi") -> WifiNetwork:
    """`SSID:PSK`, split at the first ':' (or at a tab, which no SSID typed in a shell holds)."""
    sep = "\t" if "\t" in spec else ":"
    ssid, found, psk = spec.partition(sep)
    if not found:
        raise FlashError(f"{where}: expected SSID:PASSPHRASE", hint="e.g. --wifi 'Home WLAN:secret-pass'")
    try:
        return WifiNetwork(validate_ssid(ssid), validate_psk(psk))
    except OverrideError as exc:
        raise _fail(exc, f"{where} (network {ssid!r})") from None


def _content_lines(path: Path, what: str) -> list[tuple[int, str]]:
    """(line number, line) of a small user file, blank lines and # comments left out."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FlashError(f"cannot read {what} {path}: {getattr(exc, 'strerror', None) or exc}") from None
    return [
        (number, line)
        for number, line in enumerate(text.splitlines(), 1)
        if line.strip() and not line.lstrip().startswith("#")
    ]


def read_wifi_file(path: str | Path) -> list[WifiNetwork]:
    """One network per line, `SSID:PASSPHRASE` or `SSID<TAB>PASSPHRASE`; # comments; errors name file:line."""
    path = Path(path)
    nets = []
    for number, line in _content_lines(path, "the Wi-Fi file"):
        nets.append(parse_wifi(line.rstrip("\r\n"), f"{path}:{number}"))
    if not nets:
        raise FlashError(f"{path}: no networks (one 'SSID:PASSPHRASE' per line)")
    return nets


def read_ssh_key(path: str | Path) -> list[str]:
    """The public keys in a .pub or authorized_keys file; a private key is refused."""
    path = Path(path)
    lines = []
    for number, line in _content_lines(path, "the SSH key"):
        if line.startswith("-----BEGIN"):
            raise FlashError(f"{path}:{number}: this is a private key; give the public one ({path.name}.pub)")
        try:
            lines.append(parse_key(line).line)
        except OverrideError as exc:
            raise _fail(exc, f"{path}:{number}") from None
    if not lines:
        raise FlashError(f"{path}: no public key in it")
    return lines


def settings_from_args(
    hostname: str | None, wifi: list[str], wifi_files: list[str], ssh_keys: list[str]
) -> CardSettings:
    s = CardSettings(parse_hostname(hostname))
    s.wifi = [parse_wifi(w) for w in wifi]
    for f in wifi_files:
        s.wifi += read_wifi_file(f)
    for k in ssh_keys:
        s.ssh_keys += read_ssh_key(k)
    names = [n.file_stem for n in s.wifi]
    dup = next((n for n in names if names.count(n) > 1), None)
    if dup:
        raise FlashError(
            f"two Wi-Fi networks would share the connection file {dup}.nmconnection", hint="give each SSID once"
        )
    return s


def _q(path: str) -> str:
    if '"' in path or "\n" in path:
        raise FlashError(f"cannot write a path holding a quote or newline: {path!r}")
    return f'"{path}"'


def apply(target: str, offset: int, settings: CardSettings, workdir: Path) -> list[str]:
    """Write `settings` into the ext4 at `offset` of `target` (a card or image file); returns
    the paths written. Existing files of the same name are replaced, others are kept."""
    from .debugfs import debugfs_listing
    from .tools import run_tool

    files = settings.files()
    dirs = sorted({os.path.dirname(p) for p, _, _ in files})
    present = debugfs_listing(target, offset, ["", PERSIST_DIR] + dirs, workdir)
    staging = workdir / "card-settings"
    staging.mkdir(mode=0o700, exist_ok=True)
    lines = []
    if present.get("") is None or "skiff" not in (present.get("") or set()):
        lines.append(f"mkdir {PERSIST_DIR}")
    for d in dirs:
        if d != PERSIST_DIR and present.get(d) is None:
            lines.append(f"mkdir {_q(d)}")
    for i, (path, data, mode) in enumerate(files):
        local = staging / f"f{i}"
        fd = os.open(local, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        if os.path.basename(path) in (present.get(os.path.dirname(path)) or set()):
            lines.append(f"rm {_q(path)}")
        lines += [
            f"write {_q(str(local))} {_q(path)}",
            f"set_inode_field {_q(path)} mode 0{0o100000 | mode:o}",
            f"set_inode_field {_q(path)} uid 0",
            f"set_inode_field {_q(path)} gid 0",
        ]
    script = workdir / f"card-settings-{offset}.cmds"
    script.write_text("\n".join(lines) + "\n")
    try:
        proc = run_tool(
            ["debugfs", "-w", "-f", str(script), f"{target}?offset={offset}"],
            target=target,
            what="writing the card settings (debugfs)",
        )
    finally:
        for child in staging.iterdir():  # the Wi-Fi passphrases do not stay in the temp dir
            child.unlink()
    errors = [ln for ln in proc.stderr.splitlines() if ln.strip() and not re.match(r"debugfs \d", ln)]
    if errors:
        raise FlashError(f"writing the card settings into persist on {target} failed: {errors[-1]}")
    return [p for p, _, _ in files]
