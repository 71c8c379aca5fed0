"""Block devices: discovery through udev, and the safety classification of docs/behaviour.md#sd-cards.

Everything the rest of skiff knows about a disk is a `BlockDeviceInfo`. Two sources produce them
from the same *record* shape (`DiskRecord`, a JSON object: what `capture_record` writes):

- `PyudevSource` reads the live system: pyudev (sysfs attributes, udev properties when udevd
  runs, the ancestors walk for bus/hotplug), `/proc/self/mountinfo`, `/proc/swaps`, holders;
- `FakeDeviceSource` replays captured records (tests, the UI in demo mode).

`classify()` puts every disk in one of three classes, from what it is and what it holds, never
from flags: REFUSED (system disks: /, /boot, /usr, /var, /home, swap, dm/md on it, anything
/etc/fstab mounts; and non-disks), HIDDEN (loop devices, internal readers and non-removable
disks: a target only when the user asks to see hidden disks) and OFFERED (cards, USB disks).
`assess()` adds what blocks a write (empty reader, read-only, too small) and warnings (very
large, mounted partitions). The flashing engine calls `check_target()`, which raises
`DeviceError` for anything that must not be written; `unmountable()` is the unmount gate.
"""

from __future__ import annotations

import asyncio
import enum
import json
import os
import re
import stat
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypedDict

from ..errors import SkiffError

# sizes re-exported: callers that speak about disks take them from here
from .units import GIB as GIB
from .units import MIB as MIB
from .units import SECTOR
from .units import human_size as human_size

LARGE_DISK = 128 * 1000**3  # "unusually large" for an SD card (> 128 GB)
SYSTEM_MOUNTS = ("/", "/boot", "/boot/efi", "/boot/firmware", "/efi", "/usr", "/var", "/home")
HOTPLUG_SUBSYSTEMS = {"usb", "ieee1394", "pcmcia", "mmc", "ccw", "memstick"}
# Whole-disk names that are never flash targets (RAM disks, optical, stacked devices, eMMC boot
# areas). Loop devices are separate: they are hidden unless asked for, tests use them.
NOT_A_TARGET = re.compile(r"(ram|zram|sr|dm-|md|nbd|fd|zd)\d|mmcblk\d+(boot\d+|rpmb)\Z")
LOOP = re.compile(r"loop\d+\Z")


class DeviceError(SkiffError):
    """A disk that must not (or cannot) be written: wrong kind, changed, busy, gone."""


# --- data ---------------------------------------------------------------------------------------
@dataclass
class PartitionInfo:
    name: str
    node: str
    number: int
    start: int  # bytes
    size: int  # bytes
    devnum: tuple[int, int] = (0, 0)
    fstype: str = ""
    label: str = ""
    mountpoints: list[str] = field(default_factory=list)
    swap: bool = False
    holders: list[str] = field(default_factory=list)


@dataclass
class BlockDeviceInfo:
    name: str  # kernel name: sdb, mmcblk0, loop3
    node: str  # /dev/sdb
    size: int  # bytes (sysfs size is in 512-byte units)
    devnum: tuple[int, int] = (0, 0)
    ro: bool = False
    removable: bool = False
    hotplug: bool = False  # removable flag or a usb/mmc/... ancestor (lsblk's HOTPLUG)
    bus: str = ""  # usb, mmc, nvme, ata, scsi, virtio, loop
    mmc_type: str = ""  # SD / MMC / SDIO for mmc devices
    vendor: str = ""
    model: str = ""
    serial: str = ""
    diskseq: int | None = None
    logical_block_size: int = SECTOR
    partitions: list[PartitionInfo] = field(default_factory=list)
    mountpoints: list[str] = field(default_factory=list)  # the whole disk itself mounted
    swap: bool = False
    holders: list[str] = field(default_factory=list)
    backing_file: str = ""  # loop devices
    sys_path: str = ""
    fstab: tuple[str, ...] = ()  # mount points /etc/fstab mounts at boot (they make a system disk)

    @property
    def is_loop(self) -> bool:
        return bool(LOOP.match(self.name))

    @property
    def description(self) -> str:
        words = " ".join(w for w in (self.vendor, self.model) if w)
        if not words and self.is_loop:
            words = f"loop on {self.backing_file}" if self.backing_file else "loop device"
        return words or "unknown model"

    def all_mounts(self) -> list[tuple[str, str]]:
        """(node, mountpoint) for the disk and each partition."""
        out = [(self.node, m) for m in self.mountpoints]
        for part in self.partitions:
            out += [(part.node, m) for m in part.mountpoints]
        return out

    def identity(self) -> DeviceIdentity:
        return DeviceIdentity(self.node, self.size, self.serial, self.diskseq, self.devnum)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["devnum"] = list(self.devnum)
        return data


@dataclass(frozen=True)
class DeviceIdentity:
    """What must still match right before writing: the card the user picked, not another one."""

    node: str
    size: int
    serial: str
    diskseq: int | None
    devnum: tuple[int, int]

    def differences(self, other: DeviceIdentity) -> list[str]:
        diffs = []
        for name in ("node", "size", "serial", "diskseq", "devnum"):
            a, b = getattr(self, name), getattr(other, name)
            if a != b:
                diffs.append(f"{name} {a} → {b}")
        return diffs


# --- classification -----------------------------------------------------------------------------
class DeviceClass(enum.Enum):
    """What a disk is, before any flag is read. Flags never move a disk between classes:
    `--all` (the UI's "show hidden") only makes HIDDEN disks targets, and nothing makes a
    REFUSED one a target; `--unmount` only unmounts what a target may have mounted."""

    REFUSED = "refused"  # system disks (/, /boot, /usr, /var, /home, swap, dm/md, fstab mounts), non-disks
    HIDDEN = "hidden"  # loop devices, internal readers and non-removable disks: allowed with --all
    OFFERED = "offered"  # removable cards and USB disks


class Verdict(enum.Enum):
    OK = "ok"  # selectable
    WARN = "warn"  # selectable, with warnings to read
    DISABLED = "disabled"  # shown, cannot be selected (read-only, too small)
    HIDDEN = "hidden"  # not shown unless show_all; then selectable only if `allowed_with_all`


@dataclass
class Assessment:
    device: BlockDeviceInfo
    verdict: Verdict
    reasons: list[str] = field(default_factory=list)  # why hidden / disabled / refused
    warnings: list[str] = field(default_factory=list)
    device_class: DeviceClass = DeviceClass.OFFERED
    blocked: bool = False  # read-only, too small or empty: no flag makes it a target

    @property
    def system(self) -> bool:
        return self.device_class is DeviceClass.REFUSED

    @property
    def allowed_with_all(self) -> bool:
        """Hidden, but show-all (plus the typed name) makes it a target."""
        return self.device_class is DeviceClass.HIDDEN and not self.blocked

    @property
    def selectable(self) -> bool:
        return self.verdict in (Verdict.OK, Verdict.WARN)

    def selectable_with(self, show_all: bool) -> bool:
        return self.selectable or (show_all and self.verdict is Verdict.HIDDEN and self.allowed_with_all)

    @property
    def status(self) -> str:
        """One word for listings: ok, hidden, disabled or refused (a system disk, never written)."""
        if self.device_class is DeviceClass.REFUSED:
            return "refused"
        return {"ok": "ok", "warn": "ok"}.get(self.verdict.value, self.verdict.value)

    @property
    def reason(self) -> str:
        return "; ".join(self.reasons or self.warnings)


# Mount points a running system needs. A card's own filesystems are mounted elsewhere (/media,
# /run/media, /mnt, a temp dir); anything below these, or listed in /etc/fstab, is the system's.
SYSTEM_TREES = ("/boot", "/efi", "/usr", "/var", "/home", "/opt", "/srv", "/root", "/etc", "/nix", "/snap")


def is_system_mount(mountpoint: str, fstab: Iterable[str] = ()) -> bool:
    mnt = mountpoint.rstrip("/") or "/"
    if mnt in SYSTEM_MOUNTS or mnt in fstab:
        return True
    return any(mnt == t or mnt.startswith(t + "/") for t in SYSTEM_TREES)


def system_uses(info: BlockDeviceInfo, fstab: Iterable[str] = ()) -> list[str]:
    """Why a disk counts as a system disk: the system mounts, swap and stacked devices on it."""
    fstab = tuple(fstab)
    uses = []
    for node, mnt in info.all_mounts():
        if is_system_mount(mnt, fstab):
            uses.append(f"{mnt} ({node})")
    if info.swap or any(p.swap for p in info.partitions):
        uses.append("swap")
    stacked = list(info.holders) + [h for p in info.partitions for h in p.holders]
    for holder in stacked:
        uses.append(f"{holder} (device-mapper/md on it)")
    return uses


def classify(info: BlockDeviceInfo) -> tuple[DeviceClass, str]:
    """The disk's class and why, from what it is and what it holds (never from flags)."""
    if NOT_A_TARGET.match(info.name):
        return DeviceClass.REFUSED, f"{info.name} is not a disk you can flash"
    uses = system_uses(info, info.fstab)
    if uses:
        return DeviceClass.REFUSED, f"system disk: holds {', '.join(uses)}"
    if info.is_loop:
        return DeviceClass.HIDDEN, "loop device (for testing)"
    if info.mmc_type == "MMC" or not (info.hotplug or info.removable):
        kind = "eMMC" if info.mmc_type == "MMC" else (info.bus or "internal")
        return DeviceClass.HIDDEN, f"internal non-removable disk ({kind})"
    return DeviceClass.OFFERED, ""


def assess(info: BlockDeviceInfo, *, min_size: int = 0) -> Assessment:
    """The class, then what blocks writing (empty, read-only, too small), then warnings."""
    klass, why = classify(info)
    if klass is DeviceClass.REFUSED:
        return Assessment(info, Verdict.HIDDEN, [why], device_class=klass, blocked=True)
    if info.size == 0:
        what = "loop device with no backing file" if info.is_loop else "no medium (empty card reader)"
        return Assessment(info, Verdict.HIDDEN, [what], device_class=klass, blocked=True)
    if klass is DeviceClass.HIDDEN:
        a = Assessment(info, Verdict.HIDDEN, [why], device_class=klass)
    else:
        a = Assessment(info, Verdict.OK, device_class=klass)
    blocker = None
    if info.ro:
        blocker = "read-only (the card's write-protect switch is on?)"
    elif min_size and info.size < min_size:
        blocker = f"too small: {human_size(info.size)}, at least {human_size(min_size)} needed"
    if blocker:
        # Hidden stays hidden (with both reasons); a shown disk is shown disabled.
        if a.verdict is Verdict.HIDDEN:
            a.reasons.append(blocker)
        else:
            a.verdict, a.reasons = Verdict.DISABLED, [blocker]
        a.blocked = True
        return a
    if info.size > LARGE_DISK:
        a.warnings.append(f"unusually large for an SD card ({info.size / 1000**3:.0f} GB): make sure this is the card")
    mounts = info.all_mounts()
    if mounts:
        a.warnings.append(
            "mounted: " + ", ".join(f"{n} on {m}" for n, m in mounts) + " (unmounted only with your consent)"
        )
    if a.verdict is Verdict.OK and a.warnings:
        a.verdict = Verdict.WARN
    return a


def visible(assessments: Iterable[Assessment], show_all: bool = False) -> list[Assessment]:
    return [a for a in assessments if show_all or a.verdict is not Verdict.HIDDEN]


class HiddenDeviceError(DeviceError):
    """A hidden (not refused) disk picked without show-all. `needs` names the consent that would
    let it through ("all"), so the CLI can say --all and the TUI its h key."""

    needs = "all"


class MountedDeviceError(DeviceError):
    """A target with mounted partitions and no consent to unmount them (`needs` "unmount")."""

    needs = "unmount"


def check_target(
    info: BlockDeviceInfo, *, show_all: bool = False, min_size: int = 0, allow_mounted: bool = False
) -> Assessment:
    """Raise DeviceError (one line naming the device and what to do) unless `info` may be written.
    The order matters: a system disk is refused before any flag is looked at."""
    a = assess(info, min_size=min_size)
    node = info.node
    if a.device_class is DeviceClass.REFUSED:
        if a.reasons[0].startswith("system disk"):
            raise DeviceError(
                f"{node} is a {a.reasons[0]}: refusing to write it, whatever the options",
                hint="pick the SD card instead ('skiff flash list')",
            )
        raise DeviceError(f"{node}: {a.reasons[0]}")
    if a.blocked:
        what = a.reasons[-1]
        if what.startswith("read-only"):
            raise DeviceError(
                f"{node} is read-only: refusing to write it",
                hint="slide the card's lock switch to unlocked and re-insert it",
            )
        if "empty card reader" in what:
            raise DeviceError(f"{node} has no medium (empty card reader)", hint="insert a card and retry")
        if what.startswith("too small"):
            raise DeviceError(f"{node} is {what}", hint="use a larger card")
        raise DeviceError(f"{node}: {what}")
    if a.verdict is Verdict.HIDDEN and not show_all:
        raise HiddenDeviceError(
            f"{node} is hidden: {a.reasons[0]}", hint="pass --all and type the device name if you really mean it"
        )
    mounts = info.all_mounts()
    if mounts and not allow_mounted:
        listed = ", ".join(f"{n} on {m}" for n, m in mounts)
        raise MountedDeviceError(
            f"{node} has mounted partitions ({listed})",
            hint="unmount them, or pass --unmount to let skiff unmount them",
        )
    return a


def unmountable(info: BlockDeviceInfo) -> list[tuple[str, str]]:
    """The (node, mountpoint) pairs skiff may unmount for the user: never a system mount (a disk
    holding one is refused before this is asked; this is the second lock on the same door)."""
    bad = [m for _, m in info.all_mounts() if is_system_mount(m, info.fstab)]
    if bad or system_uses(info, info.fstab):
        raise DeviceError(
            f"{info.node} holds system filesystems ({', '.join(bad) or 'swap/dm/md'}): skiff never unmounts those"
        )
    return info.all_mounts()


# --- records → info -----------------------------------------------------------------------------
class AncestorRecord(TypedDict, total=False):
    """A parent device (USB device, MMC host, PCI controller…) of a disk."""

    subsystem: str
    sys_name: str
    driver: str | None
    device_type: str | None
    attributes: dict[str, str]


class _Named(TypedDict):
    sys_name: str  # kernel name: sdb, sdb1


class PartitionRecord(_Named, total=False):
    """A partition as udev sees it; captured fixtures may leave any key but the name out."""

    device_node: str | None
    devnum: list[int]  # [major, minor]
    properties: dict[str, str]  # udev properties (ID_FS_TYPE, …; few when udevd does not run)
    attributes: dict[str, str]  # sysfs attributes, by path under the device's directory
    holders: list[str]


class DiskRecord(PartitionRecord, total=False):
    """A whole disk: what `capture_record` writes and tests/fixtures/udev/*.json hold."""

    sys_path: str
    ancestors: list[AncestorRecord]
    partitions: list[PartitionRecord]


def _int(value: object, default: int = 0) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return default


def _clean(value: str | None) -> str:
    return value.strip().replace("_", " ") if value else ""


def _devnum(record: PartitionRecord) -> tuple[int, int]:
    pair = record.get("devnum")
    if pair and len(pair) == 2:
        return pair[0], pair[1]
    props = record.get("properties", {})
    return _int(props.get("MAJOR")), _int(props.get("MINOR"))


def parse_mountinfo(text: str) -> list[tuple[tuple[int, int], str, str, str]]:
    """(devnum, mountpoint, fstype, source) per line of /proc/self/mountinfo."""
    out = []
    for line in text.splitlines():
        fields = line.split()
        if "-" not in fields or len(fields) < 7:
            continue
        sep = fields.index("-")
        try:
            major, minor = (int(x) for x in fields[2].split(":"))
        except ValueError:
            continue
        mnt = fields[4].replace("\\040", " ").replace("\\011", "\t").replace("\\134", "\\")
        fstype = fields[sep + 1] if len(fields) > sep + 1 else ""
        source = fields[sep + 2] if len(fields) > sep + 2 else ""
        out.append(((major, minor), mnt, fstype, source))
    return out


def parse_fstab(text: str) -> tuple[str, ...]:
    """Mount points /etc/fstab mounts at boot (noauto entries are the user's, swap is not a mount)."""
    out = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 2 or fields[0].startswith("#") or not fields[1].startswith("/"):
            continue
        if "noauto" in (fields[3].split(",") if len(fields) > 3 else []):
            continue
        out.append(fields[1].replace("\\040", " ").rstrip("/") or "/")
    return tuple(out)


def parse_swaps(text: str) -> list[str]:
    return [line.split()[0] for line in text.splitlines()[1:] if line.strip()]


class MountTable:
    def __init__(self, mountinfo: str = "", swaps: str = "", fstab: str = "") -> None:
        self.mounts = parse_mountinfo(mountinfo)
        self.swaps = parse_swaps(swaps)
        self.fstab = parse_fstab(fstab)

    def mountpoints(self, devnum: tuple[int, int], node: str) -> list[str]:
        return [m for d, m, _, src in self.mounts if (d == devnum and d[0] != 0) or src == node]

    def is_swap(self, node: str) -> bool:
        return node in self.swaps


def _bus(record: DiskRecord) -> str:
    props = record.get("properties", {})
    if record.get("sys_name", "").startswith("loop"):
        return "loop"
    if props.get("ID_BUS"):
        return props["ID_BUS"]
    subsystems = [a.get("subsystem") for a in record.get("ancestors", [])]
    for sub in ("usb", "mmc", "memstick", "nvme", "virtio", "ata", "scsi", "ieee1394", "pcmcia"):
        if sub in subsystems:
            return sub
    return ""


def _usb_device(record: DiskRecord) -> dict[str, str]:
    for anc in record.get("ancestors", []):
        if anc.get("subsystem") == "usb" and anc.get("device_type") == "usb_device":
            return anc.get("attributes", {})
    return {}


def info_from_record(record: DiskRecord, mounts: MountTable) -> BlockDeviceInfo:
    props = record.get("properties", {})
    attrs = record.get("attributes", {})
    name = record["sys_name"]
    node = record.get("device_node") or f"/dev/{name}"
    devnum = _devnum(record)
    usb = _usb_device(record)
    subsystems = {a.get("subsystem") for a in record.get("ancestors", [])}
    serial = (
        props.get("ID_SERIAL_SHORT") or attrs.get("device/serial") or attrs.get("serial") or usb.get("serial") or ""
    ).strip()
    diskseq = props.get("DISKSEQ") or attrs.get("diskseq")
    partitions: list[PartitionInfo] = []
    for p in sorted(record.get("partitions", []), key=lambda p: _int(p.get("attributes", {}).get("partition"))):
        pa, pp = p.get("attributes", {}), p.get("properties", {})
        pnode = p.get("device_node") or f"/dev/{p['sys_name']}"
        pdev = _devnum(p)
        partitions.append(
            PartitionInfo(
                name=p["sys_name"],
                node=pnode,
                number=_int(pa.get("partition") or pp.get("PARTN")),
                start=_int(pa.get("start")) * SECTOR,
                size=_int(pa.get("size")) * SECTOR,
                devnum=pdev,
                fstype=pp.get("ID_FS_TYPE", ""),
                label=pp.get("ID_FS_LABEL", ""),
                mountpoints=mounts.mountpoints(pdev, pnode),
                swap=mounts.is_swap(pnode),
                holders=list(p.get("holders", [])),
            )
        )
    return BlockDeviceInfo(
        name=name,
        node=node,
        size=_int(attrs.get("size")) * SECTOR,
        devnum=devnum,
        ro=_int(attrs.get("ro")) == 1,
        removable=_int(attrs.get("removable")) == 1,
        hotplug=_int(attrs.get("removable")) == 1 or bool(subsystems & HOTPLUG_SUBSYSTEMS),
        bus=_bus(record),
        mmc_type=(attrs.get("device/type") or "").strip() if "mmc" in subsystems else "",
        vendor=_clean(props.get("ID_VENDOR") or attrs.get("device/vendor") or usb.get("manufacturer")),
        model=_clean(
            props.get("ID_MODEL") or attrs.get("device/model") or attrs.get("device/name") or usb.get("product")
        ),
        serial=serial,
        diskseq=_int(diskseq) if diskseq not in (None, "") else None,
        logical_block_size=_int(attrs.get("queue/logical_block_size"), SECTOR) or SECTOR,
        partitions=partitions,
        mountpoints=mounts.mountpoints(devnum, node),
        swap=mounts.is_swap(node),
        holders=list(record.get("holders", [])),
        backing_file=(attrs.get("loop/backing_file") or "").strip(),
        sys_path=record.get("sys_path", ""),
        fstab=mounts.fstab,
    )


# --- sources -----------------------------------------------------------------------------------
DevicesCallback = Callable[[list[BlockDeviceInfo]], None]  # the disks after a change


class DeviceSource(Protocol):
    def scan(self) -> list[BlockDeviceInfo]: ...

    def get(self, name_or_node: str) -> BlockDeviceInfo | None: ...

    def watch(self, loop: asyncio.AbstractEventLoop, callback: DevicesCallback, debounce: float = 0.3) -> Watch: ...


def _match(info: BlockDeviceInfo, name_or_node: str) -> bool:
    wanted = name_or_node
    if wanted.startswith("/dev/") and os.path.islink(wanted):
        wanted = os.path.realpath(wanted)
    return wanted in (info.name, info.node)


class Watch:
    """A live subscription; `close()` stops it."""

    def __init__(self, close: Callable[[], None]) -> None:
        self._close: Callable[[], None] | None = close

    def close(self) -> None:
        if self._close is not None:
            self._close()
            self._close = None


ATTRS = (
    "size",
    "removable",
    "ro",
    "diskseq",
    "serial",
    "queue/logical_block_size",
    "queue/rotational",
    "device/vendor",
    "device/model",
    "device/type",
    "device/name",
    "device/serial",
    "device/cid",
    "loop/backing_file",
)
PART_ATTRS = ("partition", "start", "size", "ro")
ANCESTOR_ATTRS = ("idVendor", "idProduct", "manufacturer", "product", "serial", "type", "name")


class _UdevAttributes(Protocol):
    def get(self, key: str) -> object: ...  # bytes, or None when absent


class _UdevDevice(Protocol):
    """What skiff reads from a pyudev.Device (pyudev has no type information)."""

    @property
    def sys_name(self) -> str: ...
    @property
    def sys_path(self) -> str: ...
    @property
    def device_node(self) -> str | None: ...
    @property
    def device_number(self) -> int: ...
    @property
    def device_type(self) -> str | None: ...
    @property
    def subsystem(self) -> str | None: ...
    @property
    def driver(self) -> str | None: ...
    @property
    def properties(self) -> Mapping[str, str]: ...
    @property
    def attributes(self) -> _UdevAttributes: ...
    @property
    def ancestors(self) -> Iterable[_UdevDevice]: ...
    @property
    def children(self) -> Iterable[_UdevDevice]: ...


def _attrs(device: _UdevDevice, names: Iterable[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key in names:
        try:
            value = device.attributes.get(key)
        except Exception:  # noqa: BLE001 — odd sysfs files (permission, EIO) are just absent
            value = None
        if value is not None:
            out[key] = value.decode(errors="replace").strip() if isinstance(value, bytes) else str(value)
    return out


def _sysfs_list(sys_path: str, sub: str) -> list[str]:
    try:
        return sorted(os.listdir(os.path.join(sys_path, sub)))
    except OSError:
        return []


def capture_record(device: _UdevDevice) -> DiskRecord:
    """The JSON-able record of one pyudev disk; fixtures under tests/fixtures/udev have this shape."""
    partitions: list[PartitionRecord] = [
        {
            "sys_name": child.sys_name,
            "device_node": child.device_node,
            "devnum": [os.major(child.device_number), os.minor(child.device_number)],
            "properties": dict(child.properties),
            "attributes": _attrs(child, PART_ATTRS),
            "holders": _sysfs_list(child.sys_path, "holders"),
        }
        for child in device.children
        if child.subsystem == "block" and child.device_type == "partition"
    ]
    ancestors: list[AncestorRecord] = [
        {
            "subsystem": a.subsystem,
            "sys_name": a.sys_name,
            "driver": a.driver,
            "device_type": a.device_type,
            "attributes": _attrs(a, ANCESTOR_ATTRS),
        }
        for a in device.ancestors
        if a.subsystem
    ]
    return {
        "sys_name": device.sys_name,
        "sys_path": device.sys_path,
        "device_node": device.device_node,
        "devnum": [os.major(device.device_number), os.minor(device.device_number)],
        "properties": dict(device.properties),
        "attributes": _attrs(device, ATTRS),
        "ancestors": ancestors,
        "holders": _sysfs_list(device.sys_path, "holders"),
        "partitions": partitions,
    }


def _read(path: str) -> str:
    try:
        with open(path) as handle:
            return handle.read()
    except OSError:
        return ""


class PyudevSource:
    """The live system. `allow_loop` is not needed here: classification hides loops, not the scan."""

    def __init__(
        self,
        mountinfo_path: str = "/proc/self/mountinfo",
        swaps_path: str = "/proc/swaps",
        fstab_path: str = "/etc/fstab",
    ) -> None:
        import pyudev  # local: the engine imports cleanly where libudev is absent

        self._pyudev = pyudev
        self.context = pyudev.Context()
        self.mountinfo_path, self.swaps_path, self.fstab_path = mountinfo_path, swaps_path, fstab_path

    def _mounts(self) -> MountTable:
        return MountTable(_read(self.mountinfo_path), _read(self.swaps_path), _read(self.fstab_path))

    def records(self) -> list[DiskRecord]:
        return [capture_record(d) for d in self.context.list_devices(subsystem="block", DEVTYPE="disk")]

    def scan(self) -> list[BlockDeviceInfo]:
        mounts = self._mounts()
        return sorted((info_from_record(r, mounts) for r in self.records()), key=lambda i: i.name)

    def get(self, name_or_node: str) -> BlockDeviceInfo | None:
        name = os.path.basename(os.path.realpath(name_or_node)) if "/" in name_or_node else name_or_node
        try:
            device = self._pyudev.Devices.from_name(self.context, "block", name)
        except Exception:  # noqa: BLE001 — pyudev raises DeviceNotFound* variants
            return None
        if device.device_type != "disk":
            return None
        return info_from_record(capture_record(device), self._mounts())

    def watch(self, loop: asyncio.AbstractEventLoop, callback: DevicesCallback, debounce: float = 0.3) -> Watch:
        """Kernel uevents (udevd may not run) → debounce → one idempotent full rescan."""
        monitor = self._pyudev.Monitor.from_netlink(self.context, source="kernel")
        monitor.filter_by("block")
        monitor.start()
        fd = monitor.fileno()
        pending: list[asyncio.TimerHandle] = []

        def rescan() -> None:
            pending.clear()
            callback(self.scan())

        def drain() -> None:
            got = False
            while monitor.poll(timeout=0) is not None:
                got = True
            if got:
                for handle in pending:
                    handle.cancel()
                pending[:] = [loop.call_later(debounce, rescan)]

        loop.add_reader(fd, drain)

        def close() -> None:
            loop.remove_reader(fd)
            for handle in pending:
                handle.cancel()

        return Watch(close)


class FakeDeviceSource:
    """Captured records replayed; `add`/`remove` simulate hot-plug for tests. The flashing engine
    refuses to write a /dev node that only a fake source vouches for."""

    fake = True

    def __init__(
        self, records: Iterable[DiskRecord] = (), mountinfo: str = "", swaps: str = "", fstab: str = ""
    ) -> None:
        self._records: dict[str, DiskRecord] = {}
        self.mountinfo, self.swaps, self.fstab = mountinfo, swaps, fstab
        self._watchers: list[DevicesCallback] = []
        for record in records:
            self._records[record["sys_name"]] = record

    @classmethod
    def from_files(cls, paths: Iterable[str | Path]) -> FakeDeviceSource:
        """Fixture files hold one record, plus optional `mountinfo`/`swaps`/`fstab` lines of that machine."""
        records: list[DiskRecord] = []
        mountinfo: list[str] = []
        swaps: list[str] = []
        fstab: list[str] = []
        for path in paths:
            data = json.loads(Path(path).read_text())
            mountinfo += data.pop("mountinfo", [])
            swaps += data.pop("swaps", [])
            fstab += data.pop("fstab", [])
            data.pop("comment", None)
            records.append(data)
        return cls(
            records, "\n".join(mountinfo), "Filename Type Size Used Priority\n" + "\n".join(swaps), "\n".join(fstab)
        )

    def scan(self) -> list[BlockDeviceInfo]:
        mounts = MountTable(self.mountinfo, self.swaps, self.fstab)
        return sorted((info_from_record(r, mounts) for r in self._records.values()), key=lambda i: i.name)

    def get(self, name_or_node: str) -> BlockDeviceInfo | None:
        return next((i for i in self.scan() if _match(i, name_or_node)), None)

    def record(self, name: str) -> DiskRecord:
        return self._records[name]

    def _notify(self) -> None:
        infos = self.scan()
        for watcher in list(self._watchers):
            watcher(infos)

    def add(self, record: DiskRecord) -> None:
        self._records[record["sys_name"]] = record
        self._notify()

    def remove(self, name: str) -> None:
        self._records.pop(name, None)
        self._notify()

    def watch(self, loop: asyncio.AbstractEventLoop, callback: DevicesCallback, debounce: float = 0.0) -> Watch:
        def deliver(infos: list[BlockDeviceInfo]) -> None:
            loop.call_soon(callback, infos)

        self._watchers.append(deliver)
        return Watch(lambda: self._watchers.remove(deliver))


def default_source() -> DeviceSource:
    """The live system, or captured fixtures when SKIFF_FAKE_DEVICES names a directory of them."""
    fake = os.environ.get("SKIFF_FAKE_DEVICES")
    if fake:
        return FakeDeviceSource.from_files(sorted(Path(fake).glob("*.json")))
    try:
        return PyudevSource()
    except (ImportError, OSError) as exc:
        raise DeviceError(
            f"cannot list block devices: {exc}", hint="install pyudev and libudev1 (Debian: python3-pyudev)"
        ) from None


def is_block_device(path: str | Path) -> bool:
    try:
        return stat.S_ISBLK(os.stat(path).st_mode)
    except OSError:
        return False
