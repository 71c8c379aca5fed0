"""Plans: what format, install, buildimage, write and verify will erase, keep and write, and the
steps that do it (docs/behaviour.md#sd-cards). Nothing here touches the target: the steps run
only inside `flash.execute(plan)`.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from ..errors import FlashError, FlashErrorKind
from .bmap import find_bmap, parse_bmap
from .copy import CopyResult, ImageSource, image_digests, open_image
from .devices import BlockDeviceInfo, DeviceIdentity
from .install_set import InstallSet
from .layout import GPT_TAIL, Blob, Geometry, Layout, Part, check_blobs, read_layout, sfdisk_script, skiff_partitions
from .units import human_size

if TYPE_CHECKING:
    from .settings import CardSettings

DEFAULT_IMAGE_SIZE = 12 * 1024**3  # SkiffOS's buildimage allocates 12G sparse
DEFAULT_LAYOUT = Layout()  # frozen: one shared default is safe
MTOOLS_ENV = {"MTOOLS_SKIP_CHECK": "1", "MTOOLS_NO_VFAT": "0"}
# Which bmap a write or verify uses: None the one beside the image if any, False none, a path that one.
BmapChoice = str | Path | Literal[False] | None


# --- what a plan is for -------------------------------------------------------------------------
@dataclass
class Target:
    """A disk or an image file; `flash.open_target()` / `flash.device_target()` make one after the safety rules."""

    path: str
    kind: str  # "device" or "image"
    size: int
    info: BlockDeviceInfo | None = None
    logical_block_size: int = 512
    show_all: bool = False
    unmount: bool = False

    @property
    def is_device(self) -> bool:
        return self.kind == "device"

    @property
    def name(self) -> str:
        return self.info.name if self.info else os.path.basename(self.path)

    @property
    def identity(self) -> DeviceIdentity | None:
        return self.info.identity() if self.info else None

    def describe(self) -> str:
        if self.info:
            i = self.info
            bits = [human_size(i.size), i.description, i.bus, f"serial {i.serial}" if i.serial else ""]
            return f"{i.node} ({', '.join(b for b in bits if b)})"
        return f"image file {self.path} ({human_size(self.size)})"

    def confirm_matches(self, typed: str) -> bool:
        typed = typed.strip()
        return bool(typed) and typed in (self.name, self.path, f"/dev/{self.name}")


# --- plans --------------------------------------------------------------------------------------
class Run(Protocol):
    """What a step gets while `flash.execute(plan)` runs it: tools, raw writes and copies aimed at
    the plan's target, a scratch directory, and a place for what the user is told afterwards.
    Declared here, next to the steps that use it, so plans need nothing from the executor."""

    @property
    def target(self) -> Target: ...

    @property
    def workdir(self) -> Path: ...

    def tool(
        self,
        argv: list[str],
        what: str,
        *,
        input: str | None = None,
        env: dict[str, str] | None = None,
        ok_codes: tuple[int, ...] = (0,),
    ) -> subprocess.CompletedProcess[str]: ...

    def zero(self, offset: int, length: int) -> None: ...

    def write_blob(self, blob: Blob) -> None: ...

    def tell_kernel(self, count: int, timeout: float = 3.0) -> None: ...

    def debugfs(self, part: Part, src: Path, *, overwrite: bool) -> None: ...

    def copy(self, src: ImageSource | Path, verify: bool = False) -> CopyResult: ...

    def verify(self, expected: CopyResult) -> None: ...

    def note(self, message: str) -> None:
        """A line for the outcome's messages (what was written, read back, kept)."""


@dataclass
class Step:
    title: str
    run: Callable[[Run], None]
    needs_lock: bool = True  # hold the flock on the whole disk during this step


@dataclass
class Plan:
    action: str  # format, install, format+install, buildimage, write, verify
    target: Target
    erase: list[str]
    keep: list[str]
    notes: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    min_size: int = 0
    writes: bool = True
    written: list[str] = field(default_factory=list)  # what will be written: table, partitions, blobs
    geometry: Geometry | None = None
    eject: bool = False  # power the card off / eject it when done (write, install, format+install)

    @property
    def confirm_name(self) -> str | None:
        """The name the user types back before a device is written (None for image files)."""
        return self.target.name if self.target.is_device and self.writes else None

    def summary(self) -> str:
        lines = [f"{self.action} → {self.target.describe()}"]
        lines += [f"  erased: {e}" for e in self.erase] or ["  erased: nothing"]
        lines += [f"  kept:   {k}" for k in self.keep] or ["  kept:   nothing"]
        lines += [f"  written: {w}" for w in self.written]
        lines += [f"  note:   {n}" for n in self.notes]
        lines += [f"  step {i}: {s.title}" for i, s in enumerate(self.steps, 1)]
        if self.eject:
            lines.append("  then:   power the card off / eject it (udisksctl, eject or the kernel's sysfs)")
        return "\n".join(lines)


def _existing_contents(target: Target) -> str:
    if target.info and target.info.partitions:
        listed = ", ".join(
            f"{p.name}" + (f" {p.fstype}" if p.fstype else "") + (f" '{p.label}'" if p.label else "")
            for p in target.info.partitions
        )
        return f"{len(target.info.partitions)} partition(s): {listed}"
    try:
        parts = skiff_partitions(target.path)
        return "skiff layout: " + ", ".join(f"{p.label or p.number} {human_size(p.size)}" for p in parts.values())
    except FlashError:
        return "whatever it holds"


def plan_format(
    target: Target,
    layout: Layout = DEFAULT_LAYOUT,
    *,
    install: InstallSet | None = None,
    blobs: Sequence[Blob] = (),
    populate: bool = False,
    settings: CardSettings | None = None,
) -> Plan:
    """Partition table (GPT, or MBR for boards whose blobs sit where a GPT would) + BOOT/rootfs/
    persist; with `install`, then the install steps; the raw blobs last, each read back.
    `populate` (image files only: buildimage) fills rootfs/persist at mkfs time with `mkfs.ext4 -d`."""
    lbs = target.logical_block_size
    geo = layout.geometry(target.size, list(blobs), lbs)
    parts, note = geo.parts, geo.note
    action = "format+install" if install else "format"
    plan = Plan(
        action,
        target,
        erase=[f"everything on {target.path} ({human_size(target.size)}; {_existing_contents(target)})"],
        keep=["nothing: the whole disk is rewritten"],
        min_size=layout.min_disk_size(parts[0].start),
        geometry=geo,
    )
    plan.written += geo.describe()
    if note:
        plan.notes.append(note)
    if target.info and target.info.all_mounts():
        plan.notes.append("will unmount " + ", ".join(f"{m}" for _, m in target.info.all_mounts()))
    boot, rootfs, persist = parts
    populate_root = install.rootfs_dir if (install and populate) else None
    populate_persist = install.persist_dir if (install and populate) else None
    nodiscard = ",nodiscard" if target.is_device else ""

    def partition(run: Run) -> None:
        run.tool(
            [
                "sfdisk",
                "--wipe",
                "always",
                "--wipe-partitions",
                "always",
                "--no-reread",
                "--no-tell-kernel",
                "-q",
                target.path,
            ],
            "partitioning (sfdisk)",
            input=sfdisk_script(parts, lbs, geo.table),
        )
        if geo.table == "mbr":
            # an old GPT must not survive next to the new MBR: its header and entries (LBA 1–33,
            # where the blobs go next) and its backup at the end of the disk
            run.zero(lbs, min(34 * lbs, parts[0].start) - lbs)
            tail = max(GPT_TAIL, 33 * lbs)
            run.zero(target.size - tail, tail)
        for p in parts:  # stale signatures (old btrfs, ISO) must not survive mkfs.vfat
            run.zero(p.start, min(p.size, 1024 * 1024))

    plan.steps.append(
        Step(f"write the {'GPT' if geo.table == 'gpt' else 'MBR (dos)'} partition table (sfdisk)", partition)
    )

    def mkfs_boot(run: Run) -> None:
        run.tool(
            [
                "mkfs.vfat",
                "-I",
                "-F",
                "32",
                "-n",
                "BOOT",
                "-S",
                str(lbs),
                f"--offset={boot.start // lbs}",
                target.path,
                str(boot.size // 1024),
            ],
            "mkfs.vfat BOOT",
        )

    plan.steps.append(
        Step(
            f"make FAT32 'BOOT' ({human_size(boot.size)})"
            + (" as the EFI System partition" if layout.boot_type == "esp" else ""),
            mkfs_boot,
        )
    )

    def mkfs_ext4(part: Part, src: Path | None) -> Callable[[Run], None]:
        def run_mkfs(run: Run) -> None:
            argv = ["mkfs.ext4", "-F", "-q", "-L", part.label, "-O", "^64bit", "-E", f"offset={part.start}{nodiscard}"]
            if src is not None:
                argv += ["-d", str(src)]
            run.tool(argv + [target.path, f"{part.size // 1024}k"], f"mkfs.ext4 {part.name}")

        return run_mkfs

    plan.steps.append(
        Step(
            f"make ext4 'rootfs' ({human_size(rootfs.size)})" + (f" from {populate_root}" if populate_root else ""),
            mkfs_ext4(rootfs, populate_root),
        )
    )
    plan.steps.append(
        Step(
            f"make ext4 'persist' ({human_size(persist.size)})"
            + (f" from {populate_persist}" if populate_persist else ""),
            mkfs_ext4(persist, populate_persist),
        )
    )
    if install:
        _install_steps(plan, target, {"BOOT": boot, "rootfs": rootfs, "persist": persist}, install, skip_ext4=populate)
        _settings_step(plan, settings, persist)
    if blobs:
        _blob_steps(plan, list(blobs))
    plan.eject = bool(install) and target.is_device  # a bare format is usually followed by install
    if target.is_device:
        # Last: the new partitions appear (and desktops may automount them) only when all is written.
        plan.steps.append(
            Step(
                "tell the kernel about the new partitions (partx -u)",
                lambda run: run.tell_kernel(len(parts)),
                needs_lock=False,
            )
        )
    return plan


def _install_steps(
    plan: Plan, target: Target, parts: dict[str, Part], install: InstallSet, *, skip_ext4: bool = False
) -> None:
    boot = parts["BOOT"]
    if install.boot_bytes() > boot.size:
        raise FlashError(
            f"the boot files ({human_size(install.boot_bytes())}) do not fit in BOOT ({human_size(boot.size)})",
            kind=FlashErrorKind.NO_SPACE,
        )

    def copy_boot(run: Run) -> None:
        srcs = [str(p) for p in install.boot.values()]
        # mcopy names the copy after the source's basename; config.txt from resources/ keeps its name.
        run.tool(
            ["mcopy", "-s", "-o", "-i", f"{target.path}@@{boot.start}", *srcs, "::/"],
            "copying boot files (mcopy)",
            env=MTOOLS_ENV,
        )

    plan.steps.append(Step(f"copy {len(install.boot)} boot item(s) to BOOT (mcopy)", copy_boot, needs_lock=False))
    if install.rootfs_dir and not skip_ext4:
        plan.steps.append(
            Step(
                f"copy {install.rootfs_dir.name}/ into rootfs (debugfs)",
                _debugfs_copy(parts["rootfs"], install.rootfs_dir, overwrite=True),
                needs_lock=False,
            )
        )
    if install.persist_dir and not skip_ext4:
        plan.steps.append(
            Step(
                f"add absent files of {install.persist_dir.name}/ to persist (debugfs)",
                _debugfs_copy(parts["persist"], install.persist_dir, overwrite=False),
                needs_lock=False,
            )
        )

    def fsck(run: Run) -> None:
        for name in ("rootfs", "persist"):
            run.tool(["e2fsck", "-fn", f"{target.path}?offset={parts[name].start}"], f"checking {name} (e2fsck -fn)")

    plan.steps.append(Step("check rootfs and persist (e2fsck -fn)", fsck, needs_lock=False))


def _debugfs_copy(part: Part, src: Path, *, overwrite: bool) -> Callable[[Run], None]:
    def copy(run: Run) -> None:
        run.debugfs(part, src, overwrite=overwrite)

    return copy


def _settings_step(plan: Plan, settings: CardSettings | None, persist: Part | None) -> None:
    """Hostname, Wi-Fi and SSH keys into persist (flash_settings); `persist` None: found on the
    target once the image is on it (a compressed image's table is unknown until then)."""
    if not settings:
        return
    plan.written += [f"persist: {line}" for line in settings.describe()]

    def apply_settings(run: Run) -> None:
        from .settings import apply

        part = persist
        if part is None:
            try:
                part = skiff_partitions(run.target.path)["persist"]
            except FlashError:
                raise FlashError(
                    f"the image on {run.target.path} has no persist partition: the card settings "
                    "(hostname, Wi-Fi, SSH keys) could not be written",
                    hint="write a skiff image, or leave the settings out",
                ) from None
        written = apply(run.target.path, part.start, settings, run.workdir)
        run.note(f"card settings written into persist: {', '.join(written)}")

    plan.steps.append(
        Step("write the card settings into persist (debugfs; Wi-Fi files 0600)", apply_settings, needs_lock=False)
    )


def _blob_steps(plan: Plan, blobs: list[Blob]) -> None:
    """Raw blobs go last (after the table and filesystems, which would wipe them), each read back."""
    for b in blobs:

        def write_blob(run: Run, b: Blob = b) -> None:
            run.write_blob(b)

        plan.steps.append(
            Step(f"write {b.name} ({human_size(b.size)}) at byte {b.offset}, then read it back", write_blob)
        )
        plan.written.append(f"bootloader {b.describe()}")


def plan_install(
    target: Target, install: InstallSet, *, blobs: Sequence[Blob] = (), settings: CardSettings | None = None
) -> Plan:
    parts = skiff_partitions(target.path)
    table, all_parts = read_layout(target.path)
    check_blobs(list(blobs), all_parts, target.size, table)
    plan = Plan(
        "install",
        target,
        erase=[f"BOOT: {len(install.boot)} item(s) of the same name replaced"]
        + ([f"rootfs: files also in {install.rootfs_dir.name}/ replaced"] if install.rootfs_dir else []),
        keep=[
            "the partition table and filesystems",
            "other files on BOOT and rootfs",
            "persist: untouched"
            + (f", except files of {install.persist_dir.name}/ that are absent there" if install.persist_dir else ""),
        ],
    )
    plan.notes += install.describe()
    if target.info and target.info.all_mounts():
        plan.notes.append("will unmount " + ", ".join(m for _, m in target.info.all_mounts()))
    _install_steps(plan, target, parts, install)
    _settings_step(plan, settings, parts["persist"])
    if blobs:
        _blob_steps(plan, list(blobs))
    plan.eject = target.is_device
    return plan


def plan_buildimage(
    image: str | Path,
    size: int = DEFAULT_IMAGE_SIZE,
    layout: Layout = DEFAULT_LAYOUT,
    *,
    install: InstallSet,
    blobs: Sequence[Blob] = (),
) -> Plan:
    path = Path(image)
    if path.exists() and not path.is_file():
        raise FlashError(f"{path} exists and is not a regular file")
    if not path.parent.is_dir():
        raise FlashError(
            f"cannot create {path}: directory {path.parent} does not exist",
            hint="create it first or give another --image path",
        )
    target = Target(str(path), "image", size)
    plan = plan_format(target, layout, install=install, blobs=blobs, populate=True)
    plan.action = "buildimage"
    plan.erase = [f"{path} is replaced by a new sparse {human_size(size)} image"] if path.exists() else []
    plan.keep = []

    def create(run: Run) -> None:
        with open(path, "wb") as handle:  # a fresh all-hole file: only what we write is mapped
            handle.truncate(size)

    plan.steps.insert(0, Step(f"create sparse image {path.name} ({human_size(size)})", create))

    def bmap(run: Run) -> None:
        from .bmap import write_bmap

        out = write_bmap(path)
        run.note(f"block map {out.name} written beside the image (for bmaptool and skiff)")

    plan.steps.append(
        Step(f"write the block map {path.name}.bmap (mapped ranges and their SHA-256)", bmap, needs_lock=False)
    )
    plan.written.append(f"{path.name}.bmap beside it")
    return plan


def image_source(image: str | Path, bmap: BmapChoice = None) -> ImageSource:
    """The image to write and how: its format by magic bytes, and a bmap (`None`: the one beside
    the image if any, `False`: none, a path: that one, checked against its own checksum)."""
    image = Path(image)
    if not image.is_file():
        raise FlashError("image file not found", path=image)
    if bmap is None:
        found = find_bmap(image)
        parsed = parse_bmap(found) if found else None
    elif bmap is False:
        parsed = None
    else:
        if not Path(bmap).is_file():
            raise FlashError("bmap file not found", path=bmap)
        parsed = parse_bmap(bmap)
    return open_image(image, parsed)


def _describe_source(src: ImageSource) -> str:
    size = human_size(src.size) if src.size is not None else "size known once decompressed"
    text = (
        f"image {src.path} ({src.format}-compressed, {human_size(src.file_size)}; {size})"
        if src.compressed
        else f"image {src.path} ({size})"
    )
    if src.bmap:
        text += (
            f"; bmap {src.bmap.name}: {human_size(src.bmap.mapped_bytes)} mapped in "
            f"{len(src.bmap.ranges)} range(s), each checked against its SHA-256"
        )
    elif src.compressed:
        text += "; no bmap: every decompressed block is written"
    else:
        text += "; only mapped blocks are written"
    return text


def plan_write(
    image: str | Path,
    target: Target,
    *,
    blobs: Sequence[Blob] = (),
    verify: bool = True,
    bmap: BmapChoice = None,
    settings: CardSettings | None = None,
) -> Plan:
    src = image_source(image, bmap)
    image = src.path
    size = src.size
    if size is not None and size > target.size and target.is_device:
        raise FlashError(
            f"the image ({human_size(size)}) is larger than {target.path} ({human_size(target.size)})",
            kind=FlashErrorKind.NO_SPACE,
            hint="use a larger card",
        )
    table: str | None = None
    parts: list[Part] = []
    if blobs and not src.compressed:  # the image's table matters only where blobs could land
        try:
            table, parts = read_layout(image)
        except FlashError:
            pass
    check_blobs(list(blobs), parts, max(size or 0, target.size), table)
    keep = []
    if target.is_device and size is not None and target.size > size:
        keep = [f"bytes past the image's end ({human_size(target.size - size)}) are left as they are"]
    plan = Plan(
        "write",
        target,
        erase=[f"everything on {target.path} ({_existing_contents(target)})"],
        keep=keep,
        min_size=size or 0,
    )
    plan.notes.append(_describe_source(src))

    def write(run: Run) -> None:
        run.copy(src, verify=verify)

    what = "mapped blocks only" if (src.bmap or not src.compressed) else "every block"
    plan.steps.append(
        Step(
            f"write {image.name} ({'decompressing, ' if src.compressed else ''}{what})"
            + (", reading each part back once it is on the medium" if verify else ""),
            write,
        )
    )
    if settings:
        persist = None
        if not src.compressed:  # a raw image's table is known now: refuse before writing
            try:
                persist = skiff_partitions(image)["persist"]
            except FlashError:
                raise FlashError(
                    f"{image} has no persist partition: the card settings (hostname, Wi-Fi, "
                    "SSH keys) have nowhere to go",
                    hint="write a skiff image, or leave them out",
                ) from None
        _settings_step(plan, settings, persist)
        plan.notes.append(
            "the card settings change persist after the write: 'skiff flash verify' against the "
            "image will report persist as different"
        )
    if blobs:
        _blob_steps(plan, list(blobs))
    plan.eject = target.is_device
    return plan


def plan_verify(image: str | Path, target: Target, *, bmap: BmapChoice = None) -> Plan:
    src = image_source(image, bmap)
    plan = Plan("verify", target, erase=[], keep=[f"{target.path} is only read"], writes=False)
    plan.notes.append(_describe_source(src))
    plan.steps.append(
        Step(
            f"compare {target.path} with {src.path.name} ("
            + ("decompressed, " if src.compressed else "")
            + "mapped blocks)",
            lambda run: run.verify(image_digests(src.path, bmap=src.bmap)),
            needs_lock=False,
        )
    )
    return plan
