"""Plans, then execution: format, install, buildimage, write and verify (docs/behaviour.md#sd-cards).

A `Plan` is built first and says what will be erased and what kept; nothing touches the target
until `execute(plan)`. For a block device, `execute` re-identifies the disk (path, size, serial,
diskseq) right before writing and refuses if it changed, re-checks the safety rules, unmounts only
with consent, probes for exclusive use (O_EXCL) and holds the udev-convention flock while the
table and filesystems are made. Everything is done at byte offsets on the whole target with real
tools (sfdisk, mkfs.vfat --offset, mkfs.ext4 -E offset=, mtools, debugfs), so image files and
disks go through the same code and no mount is needed.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import shutil
import stat
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import devices as dv
from .devices import BlockDeviceInfo, DeviceIdentity, human_size
from .flash_bmap import find_bmap, parse_bmap
from .flash_copy import (CopyResult, FdWriter, ImageSource, Progress, ProgressFn, classify_os_error, copy_image,
                         image_digests, open_image, prepare_file_target, verify_target)
from .flash_layout import (GPT_TAIL, FlashError, Geometry, Layout, Part, check_extents, read_layout,
                           sfdisk_script, skiff_partitions)

__all__ = ["FlashError", "Layout", "Plan", "Target", "Blob", "InstallSet", "open_target", "device_target", "collect_install",
           "plan_format", "plan_install", "plan_buildimage", "plan_write", "plan_verify", "execute",
           "parse_blob", "parse_size", "DEFAULT_IMAGE_SIZE"]

DEFAULT_IMAGE_SIZE = 12 * 1024 ** 3          # SkiffOS's buildimage allocates 12G sparse
KERNELS = ("Image", "zImage", "bzImage")
ROOTFS_IMAGES = ("rootfs.cpio.lz4", "rootfs.squashfs")
TOOL_PACKAGES = {"sfdisk": "fdisk", "mkfs.vfat": "dosfstools", "mkfs.ext4": "e2fsprogs", "debugfs": "e2fsprogs",
                 "e2fsck": "e2fsprogs", "mcopy": "mtools", "partx": "util-linux", "umount": "mount"}
MTOOLS_ENV = {"MTOOLS_SKIP_CHECK": "1", "MTOOLS_NO_VFAT": "0"}


# --- sizes and blobs ----------------------------------------------------------------------------
_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1000, "kib": 1024, "m": 1024 ** 2, "mb": 1000 ** 2, "mib": 1024 ** 2,
          "g": 1024 ** 3, "gb": 1000 ** 3, "gib": 1024 ** 3, "t": 1024 ** 4, "tb": 1000 ** 4, "tib": 1024 ** 4,
          "s": 512}


def parse_size(text: str) -> int:
    """`12G`, `512MiB`, `8192`, `0x2000`, `16s` (sectors)."""
    value = text.strip()
    if value.lower().startswith("0x"):
        return int(value, 16)
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([A-Za-z]*)", value)
    if not m or m.group(2).lower() not in _UNITS:
        raise FlashError(f"invalid size {text!r}", hint="use a number with an optional unit: 12G, 512MiB, 8192")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


@dataclass(frozen=True)
class Blob:
    """A raw bootloader image written at a byte offset of the disk (e.g. u-boot at 8 KiB)."""
    path: Path
    offset: int

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    def describe(self) -> str:
        return f"{self.name} at byte {self.offset} ({self.size} bytes, up to byte {self.offset + self.size})"

    def data(self) -> bytes:
        return self.path.read_bytes()


def parse_blob(spec: str) -> Blob:
    path, sep, off = spec.rpartition(":")
    if not sep or not path:
        raise FlashError(f"--bootloader {spec!r}: expected FILE:BYTE-OFFSET", hint="e.g. u-boot.bin:8K")
    blob = Blob(Path(path), parse_size(off))
    if not blob.path.is_file():
        raise FlashError("bootloader file not found", path=blob.path)
    return blob


def check_blobs(blobs: list[Blob], parts: list[Part], disk_size: int, table: str | None = "gpt") -> None:
    """Refuse a blob that would land on the partition table, a partition or another blob."""
    check_extents(blobs, parts, disk_size, table)


# --- targets ------------------------------------------------------------------------------------
@dataclass
class Target:
    path: str
    kind: str                       # "device" or "image"
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


def open_target(path: str | Path, *, source: dv.DeviceSource | None = None, show_all: bool = False,
                unmount: bool = False, min_size: int = 0, create_size: int | None = None) -> Target:
    """An image file (existing, or created sparse with `create_size`) or a block device that passes
    every safety rule. A device that fails one raises DeviceError naming it and what to do."""
    if create_size is not None:
        from . import readonly
        readonly.guard(f"creating the image file {path}")
    path = str(path)
    if not os.path.isfile(path) and create_size is None:
        # a disk the device source knows (the live system, or captured records in demo/tests)
        source = source or dv.default_source()
        info = source.get(path)
        if info is not None:
            return device_target(info, show_all=show_all, unmount=unmount, min_size=min_size)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if create_size is None:
            raise FlashError(f"{path} does not exist",
                             hint="give a block device such as /dev/sdX, or an existing image file") from None
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as handle:
            handle.truncate(create_size)
        st = os.stat(path)
    if stat.S_ISREG(st.st_mode):
        if create_size is not None and st.st_size != create_size:
            with open(path, "r+b") as handle:
                handle.truncate(create_size)
        size = os.stat(path).st_size
        if min_size and size < min_size:
            raise FlashError(f"{path} is too small: {human_size(size)}, at least {human_size(min_size)} needed",
                             kind="no-space", hint="use --size to make it larger")
        return Target(path, "image", size)
    if not stat.S_ISBLK(st.st_mode):
        raise FlashError(f"{path} is neither a block device nor an image file")
    source = source or dv.default_source()
    info = source.get(path)
    if info is None:
        if _is_partition(path):
            raise FlashError(f"{path} is a partition; give the whole disk", hint="e.g. /dev/sdb, not /dev/sdb1")
        raise FlashError(f"{path}: no such disk (unplugged?)", kind="unplugged")
    return device_target(info, show_all=show_all, unmount=unmount, min_size=min_size)


def check_file_overwrite(path: str | Path, force: bool = False) -> None:
    """A regular file given as the target is erased only if it holds nothing yet (new, empty or
    all holes, like a fresh `truncate -s`) or the user said --force: it may be someone's image."""
    path = str(path)
    if force or not os.path.isfile(path):
        return
    from .flash_copy import mapped_ranges
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        holds = mapped_ranges(fd, os.fstat(fd).st_size)
    finally:
        os.close(fd)
    if holds:
        raise FlashError(f"{path} is an existing file with data in it: refusing to overwrite it",
                         hint="pass --force to replace its contents, or give a new file name")


def device_target(info: BlockDeviceInfo, *, show_all: bool = False, unmount: bool = False,
                  min_size: int = 0) -> Target:
    """A Target for a disk the device source reported, after every safety rule (DeviceError if not)."""
    dv.check_target(info, show_all=show_all, min_size=min_size, allow_mounted=unmount)
    return Target(info.node, "device", info.size, info, info.logical_block_size, show_all, unmount)


def _is_partition(path: str) -> bool:
    name = os.path.basename(os.path.realpath(path))
    return os.path.exists(f"/sys/class/block/{name}/partition")


# --- what install copies ------------------------------------------------------------------------
@dataclass
class InstallSet:
    images: Path
    boot: dict[str, Path] = field(default_factory=dict)    # name at the BOOT root → source (file or dir)
    rootfs_dir: Path | None = None
    persist_dir: Path | None = None
    resources: dict[str, Path] = field(default_factory=dict)   # config.txt/cmdline.txt → chosen file

    def boot_bytes(self) -> int:
        return sum(_tree_size(p) for p in self.boot.values())

    def describe(self) -> list[str]:
        lines = [f"BOOT ← {', '.join(sorted(self.boot))}"]
        for name, path in sorted(self.resources.items()):
            lines.append(f"{name} from {path}")
        if self.rootfs_dir:
            lines.append(f"rootfs ← {self.rootfs_dir}/ (files of the same name replaced)")
        if self.persist_dir:
            lines.append(f"persist ← {self.persist_dir}/ (only files that are absent)")
        return lines


def _tree_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def find_resources(package_dirs: list[Path]) -> dict[str, Path]:
    """config.txt / cmdline.txt from the last layer that has them under resources/ (directly or one
    directory down, e.g. resources/rpi/config.txt as in SkiffOS's pi packages)."""
    found: dict[str, Path] = {}
    for pkg in package_dirs:
        res = Path(pkg) / "resources"
        for name in ("config.txt", "cmdline.txt"):
            candidates = [res / name] + sorted(res.glob(f"*/{name}"))
            for cand in candidates:
                if cand.is_file():
                    found[name] = cand
                    break
    return found


def collect_install(images: str | Path, package_dirs: list[Path] = ()) -> InstallSet:
    """The docs/behaviour.md#sd-cards mapping of build outputs onto the three partitions. Later entries win on a name
    clash, in SkiffOS's order: kernel, firmware, config/cmdline, boot_part, dtbs, rootfs images,
    skiff-init."""
    images = Path(images)
    if not images.is_dir():
        raise FlashError(f"no build output at {images}", hint="build first ('skiff compile')")
    s = InstallSet(images)
    kernel = next((images / k for k in KERNELS if (images / k).is_file()), None)
    if kernel is None:
        raise FlashError(f"no kernel ({'/'.join(KERNELS)}) in {images}", hint="build first ('skiff compile')")
    s.boot[kernel.name] = kernel
    firmware = sorted(p for p in images.glob("*-firmware") if p.is_dir())
    for fw in firmware:
        for child in sorted(fw.iterdir()):
            s.boot[child.name] = child
    s.resources = find_resources(list(package_dirs))
    for name, path in s.resources.items():
        s.boot[name] = path
    if (images / "boot_part").is_dir():
        for child in sorted((images / "boot_part").iterdir()):
            s.boot[child.name] = child
    for dtb in sorted(images.glob("*.dtb")):
        s.boot[dtb.name] = dtb
    for name in ROOTFS_IMAGES:
        if (images / name).is_file():
            s.boot[name] = images / name
    if (images / "skiff-init").is_dir():
        s.boot["skiff-init"] = images / "skiff-init"
    if (images / "rootfs_part").is_dir():
        s.rootfs_dir = images / "rootfs_part"
    if (images / "persist_part").is_dir():
        s.persist_dir = images / "persist_part"
    return s


def workspace_install_set(workspace, env: dict[str, str] | None = None, images: str | Path | None = None) -> InstallSet:
    """From a configured workspace: `images/` under its output dir, resources from its chain."""
    from . import paths
    from .packages import discover
    state = workspace.load_state() or {}
    chain = state.get("chain") or []
    dirs: list[Path] = []
    if chain:
        index = discover(paths.package_roots(workspace.root), env)
        for name in chain:
            if name in index:
                dirs.append(index.get(name).path)
    return collect_install(images or workspace.dir / "images", dirs)


# --- tools --------------------------------------------------------------------------------------
def _classify_text(text: str, target: str, what: str) -> FlashError:
    low = text.lower()
    if "read-only" in low or "operation not permitted" in low or "write-protect" in low:
        return FlashError(f"{target} is write-protected ({what} failed)", kind="write-protected",
                          hint="slide the card's lock switch to unlocked, re-insert it and retry")
    if "no space left" in low:
        return FlashError(f"no space left on {target} ({what})", kind="no-space")
    if "no such device" in low or "no medium" in low:
        return FlashError(f"{target} disappeared during {what} (unplugged?)", kind="unplugged",
                          hint="re-insert it and start again")
    if "is mounted" in low or "busy" in low:
        return FlashError(f"{target} is in use ({what})", kind="busy", hint="unmount its partitions")
    last = [ln for ln in text.strip().splitlines() if ln.strip()]
    return FlashError(f"{what} failed on {target}: {last[-1] if last else 'no message'}", kind="error")


def run_tool(argv: list[str], *, target: str, what: str, input: str | None = None,
             env: dict[str, str] | None = None, ok_codes=(0,)) -> subprocess.CompletedProcess:
    if shutil.which(argv[0]) is None:
        pkg = TOOL_PACKAGES.get(argv[0])
        raise FlashError(f"{argv[0]} is not installed", hint=f"install the '{pkg}' package" if pkg else None)
    full_env = dict(os.environ, LC_ALL="C", **(env or {}))
    full_env.pop("LOCK_BLOCK_DEVICE", None)
    proc = subprocess.run(argv, input=input, capture_output=True, text=True, env=full_env,
                          stdin=None if input is not None else subprocess.DEVNULL)
    if proc.returncode not in ok_codes:
        raise _classify_text(proc.stderr + proc.stdout, target, what)
    return proc


def _quote(path: str) -> str:
    if '"' in path or "\n" in path:
        raise FlashError(f"cannot copy a file whose name holds a quote or newline: {path!r}")
    return f'"{path}"' if any(c.isspace() for c in path) else path


def _walk(src: Path):
    """(relative dir, [subdirs], [files and symlinks]) top-down, sorted; symlinks to dirs are files."""
    for root, dirs, files in os.walk(src):
        dirs.sort()
        real_dirs = [d for d in dirs if not (Path(root) / d).is_symlink()]
        entries = sorted(files + [d for d in dirs if d not in real_dirs])
        dirs[:] = real_dirs
        rel = Path(root).relative_to(src)
        yield ("" if str(rel) == "." else "/" + str(rel)), real_dirs, entries


def debugfs_listing(target: str, offset: int, dirs: list[str], workdir: Path) -> dict[str, set[str] | None]:
    """Names present in each directory of the ext4 at `offset` (None: the directory is absent)."""
    cmd = workdir / f"debugfs-ls-{offset}.cmds"
    cmd.write_text("".join(f"ls -p {_quote(d or '/')}\n" for d in dirs))
    proc = run_tool(["debugfs", "-f", str(cmd), f"{target}?offset={offset}"], target=target,
                    what="reading a filesystem (debugfs)")
    out: dict[str, set[str] | None] = {}
    current = None
    for line in proc.stdout.splitlines():
        if line.startswith("debugfs: ls -p "):
            current = line[len("debugfs: ls -p "):].strip().strip('"')
            current = "" if current == "/" else current
            out[current] = None
        elif current is not None and line.startswith("/"):
            fields = line.split("/")
            if len(fields) >= 6 and fields[5] not in (".", ".."):
                if out[current] is None:
                    out[current] = set()
                out[current].add(fields[5])
            elif out[current] is None:
                out[current] = set()
    return out


def debugfs_script(src: Path, present: dict[str, set[str] | None], *, overwrite: bool) -> tuple[str, int, int]:
    """Commands copying the tree `src` into an ext4 root, given what is already there. Returns
    (script, files written, files kept). `overwrite=False` writes only absent files (persist)."""
    lines, written, kept = [], 0, 0
    for base, dirs, entries in _walk(src):
        here = present.get(base) or set()
        for d in dirs:
            if d not in here:
                lines.append(f"mkdir {_quote(f'{base}/{d}')}")
        for f in entries:
            p = Path(src, base.lstrip("/"), f)
            dest = _quote(f"{base}/{f}")
            if not (p.is_symlink() or p.is_file()):
                continue
            if f in here:
                if not overwrite:
                    kept += 1
                    continue
                lines.append(f"rm {dest}")
            if p.is_symlink():
                lines.append(f"symlink {dest} {_quote(os.readlink(p))}")
            else:
                lines.append(f"write {_quote(str(p))} {dest}")
            written += 1
    return "\n".join(lines) + "\n", written, kept


def debugfs_copy(target: str, offset: int, src: Path, *, overwrite: bool, workdir: Path) -> tuple[int, int]:
    """Copy `src` into the ext4 at `offset`; returns (files written, files kept because present)."""
    dirs = [base for base, _, _ in _walk(src)]
    present = debugfs_listing(target, offset, dirs, workdir)
    script, written, kept = debugfs_script(src, present, overwrite=overwrite)
    cmd = workdir / f"debugfs-{offset}.cmds"
    cmd.write_text(script)
    proc = run_tool(["debugfs", "-w", "-f", str(cmd), f"{target}?offset={offset}"], target=target,
                    what="debugfs copy")
    errors = [ln for ln in proc.stderr.splitlines() if ln.strip() and not re.match(r"debugfs \d", ln)]
    if errors:
        raise _classify_text("\n".join(errors), target, f"copying {src.name} with debugfs")
    return written, kept


# --- plans --------------------------------------------------------------------------------------
@dataclass
class Step:
    title: str
    run: Callable[["Run"], None]
    needs_lock: bool = True       # hold the flock on the whole disk during this step


@dataclass
class Plan:
    action: str                   # format, install, format+install, buildimage, write, verify
    target: Target
    erase: list[str]
    keep: list[str]
    notes: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    min_size: int = 0
    writes: bool = True
    written: list[str] = field(default_factory=list)   # what will be written: table, partitions, blobs
    geometry: Geometry | None = None
    eject: bool = False           # power the card off / eject it when done (write, install, format+install)

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
        parts = ", ".join(f"{p.name}" + (f" {p.fstype}" if p.fstype else "") + (f" '{p.label}'" if p.label else "")
                          for p in target.info.partitions)
        return f"{len(target.info.partitions)} partition(s): {parts}"
    try:
        parts = skiff_partitions(target.path)
        return "skiff layout: " + ", ".join(f"{p.label or p.number} {human_size(p.size)}" for p in parts.values())
    except FlashError:
        return "whatever it holds"


def plan_format(target: Target, layout: Layout = Layout(), *, install: InstallSet | None = None,
                blobs: list[Blob] = (), populate: bool = False, settings=None) -> Plan:
    """Partition table (GPT, or MBR for boards whose blobs sit where a GPT would) + BOOT/rootfs/
    persist; with `install`, then the install steps; the raw blobs last, each read back.
    `populate` (image files only: buildimage) fills rootfs/persist at mkfs time with `mkfs.ext4 -d`."""
    lbs = target.logical_block_size
    geo = layout.geometry(target.size, list(blobs), lbs)
    parts, note = geo.parts, geo.note
    action = "format+install" if install else "format"
    plan = Plan(action, target,
                erase=[f"everything on {target.path} ({human_size(target.size)}; {_existing_contents(target)})"],
                keep=["nothing: the whole disk is rewritten"], min_size=layout.min_disk_size(parts[0].start),
                geometry=geo)
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
        run.tool(["sfdisk", "--wipe", "always", "--wipe-partitions", "always", "--no-reread", "--no-tell-kernel",
                  "-q", target.path], "partitioning (sfdisk)", input=sfdisk_script(parts, lbs, geo.table))
        if geo.table == "mbr":
            # an old GPT must not survive next to the new MBR: its header and entries (LBA 1–33,
            # where the blobs go next) and its backup at the end of the disk
            run.zero(lbs, min(34 * lbs, parts[0].start) - lbs)
            tail = max(GPT_TAIL, 33 * lbs)
            run.zero(target.size - tail, tail)
        for p in parts:                       # stale signatures (old btrfs, ISO) must not survive mkfs.vfat
            run.zero(p.start, min(p.size, 1024 * 1024))
    plan.steps.append(Step(f"write the {'GPT' if geo.table == 'gpt' else 'MBR (dos)'} partition table (sfdisk)",
                           partition))

    def mkfs_boot(run: Run) -> None:
        run.tool(["mkfs.vfat", "-I", "-F", "32", "-n", "BOOT", "-S", str(lbs), f"--offset={boot.start // lbs}",
                  target.path, str(boot.size // 1024)], "mkfs.vfat BOOT")
    plan.steps.append(Step(f"make FAT32 'BOOT' ({human_size(boot.size)})"
                           + (" as the EFI System partition" if layout.boot_type == "esp" else ""), mkfs_boot))

    def mkfs_ext4(part: Part, src: Path | None):
        def run_mkfs(run: Run) -> None:
            argv = ["mkfs.ext4", "-F", "-q", "-L", part.label, "-O", "^64bit", "-E", f"offset={part.start}{nodiscard}"]
            if src is not None:
                argv += ["-d", str(src)]
            run.tool(argv + [target.path, f"{part.size // 1024}k"], f"mkfs.ext4 {part.name}")
        return run_mkfs
    plan.steps.append(Step(f"make ext4 'rootfs' ({human_size(rootfs.size)})"
                           + (f" from {populate_root}" if populate_root else ""), mkfs_ext4(rootfs, populate_root)))
    plan.steps.append(Step(f"make ext4 'persist' ({human_size(persist.size)})"
                           + (f" from {populate_persist}" if populate_persist else ""),
                           mkfs_ext4(persist, populate_persist)))
    if install:
        _install_steps(plan, target, {"BOOT": boot, "rootfs": rootfs, "persist": persist}, install,
                       skip_ext4=populate)
        _settings_step(plan, settings, persist)
    if blobs:
        _blob_steps(plan, list(blobs))
    plan.eject = bool(install) and target.is_device     # a bare format is usually followed by install
    if target.is_device:
        # Last: the new partitions appear (and desktops may automount them) only when all is written.
        plan.steps.append(Step("tell the kernel about the new partitions (partx -u)",
                               lambda run: run.tell_kernel(len(parts)), needs_lock=False))
    return plan


def _install_steps(plan: Plan, target: Target, parts: dict[str, Part], install: InstallSet, *,
                   skip_ext4: bool = False) -> None:
    boot = parts["BOOT"]
    if install.boot_bytes() > boot.size:
        raise FlashError(f"the boot files ({human_size(install.boot_bytes())}) do not fit in BOOT "
                         f"({human_size(boot.size)})", kind="no-space")

    def copy_boot(run: Run) -> None:
        srcs = [str(p) for p in install.boot.values()]
        # mcopy names the copy after the source's basename; config.txt from resources/ keeps its name.
        run.tool(["mcopy", "-s", "-o", "-i", f"{target.path}@@{boot.start}", *srcs, "::/"],
                 "copying boot files (mcopy)", env=MTOOLS_ENV)
    plan.steps.append(Step(f"copy {len(install.boot)} boot item(s) to BOOT (mcopy)", copy_boot, needs_lock=False))
    if install.rootfs_dir and not skip_ext4:
        plan.steps.append(Step(f"copy {install.rootfs_dir.name}/ into rootfs (debugfs)",
                               lambda run: run.debugfs(parts["rootfs"], install.rootfs_dir, overwrite=True),
                               needs_lock=False))
    if install.persist_dir and not skip_ext4:
        plan.steps.append(Step(f"add absent files of {install.persist_dir.name}/ to persist (debugfs)",
                               lambda run: run.debugfs(parts["persist"], install.persist_dir, overwrite=False),
                               needs_lock=False))

    def fsck(run: Run) -> None:
        for name in ("rootfs", "persist"):
            run.tool(["e2fsck", "-fn", f"{target.path}?offset={parts[name].start}"], f"checking {name} (e2fsck -fn)")
    plan.steps.append(Step("check rootfs and persist (e2fsck -fn)", fsck, needs_lock=False))


def _settings_step(plan: Plan, settings, persist: Part | None) -> None:
    """Hostname, Wi-Fi and SSH keys into persist (flash_settings); `persist` None: found on the
    target once the image is on it (a compressed image's table is unknown until then)."""
    if not settings:
        return
    plan.written += [f"persist: {line}" for line in settings.describe()]

    def apply_settings(run: Run) -> None:
        from .flash_settings import apply
        part = persist
        if part is None:
            try:
                part = skiff_partitions(run.target.path)["persist"]
            except FlashError:
                raise FlashError(f"the image on {run.target.path} has no persist partition: the card settings "
                                 "(hostname, Wi-Fi, SSH keys) could not be written", kind="error",
                                 hint="write a skiff image, or leave the settings out") from None
        written = apply(run.target.path, part.start, settings, run.workdir)
        run.outcome.messages.append(f"card settings written into persist: {', '.join(written)}")
    plan.steps.append(Step("write the card settings into persist (debugfs; Wi-Fi files 0600)", apply_settings,
                           needs_lock=False))


def _blob_steps(plan: Plan, blobs: list[Blob]) -> None:
    """Raw blobs go last (after the table and filesystems, which would wipe them), each read back."""
    for b in blobs:
        def write_blob(run: Run, b=b) -> None:
            run.write_blob(b)
        plan.steps.append(Step(f"write {b.name} ({human_size(b.size)}) at byte {b.offset}, then read it back",
                               write_blob))
        plan.written.append(f"bootloader {b.describe()}")


def plan_install(target: Target, install: InstallSet, *, blobs: list[Blob] = (), settings=None) -> Plan:
    parts = skiff_partitions(target.path)
    table, all_parts = read_layout(target.path)
    check_blobs(list(blobs), all_parts, target.size, table)
    plan = Plan("install", target,
                erase=[f"BOOT: {len(install.boot)} item(s) of the same name replaced"]
                + ([f"rootfs: files also in {install.rootfs_dir.name}/ replaced"] if install.rootfs_dir else []),
                keep=["the partition table and filesystems", "other files on BOOT and rootfs",
                      "persist: untouched" + (f", except files of {install.persist_dir.name}/ that are absent there"
                                              if install.persist_dir else "")])
    plan.notes += install.describe()
    if target.info and target.info.all_mounts():
        plan.notes.append("will unmount " + ", ".join(m for _, m in target.info.all_mounts()))
    _install_steps(plan, target, parts, install)
    _settings_step(plan, settings, parts["persist"])
    if blobs:
        _blob_steps(plan, list(blobs))
    plan.eject = target.is_device
    return plan


def plan_buildimage(image: str | Path, size: int = DEFAULT_IMAGE_SIZE, layout: Layout = Layout(), *,
                    install: InstallSet, blobs: list[Blob] = ()) -> Plan:
    path = Path(image)
    if path.exists() and not path.is_file():
        raise FlashError(f"{path} exists and is not a regular file")
    if not path.parent.is_dir():
        raise FlashError(f"cannot create {path}: directory {path.parent} does not exist",
                         hint="create it first or give another --image path")
    target = Target(str(path), "image", size)
    plan = plan_format(target, layout, install=install, blobs=blobs, populate=True)
    plan.action = "buildimage"
    plan.erase = [f"{path} is replaced by a new sparse {human_size(size)} image"] if path.exists() else []
    plan.keep = []

    def create(run: Run) -> None:
        with open(path, "wb") as handle:     # a fresh all-hole file: only what we write is mapped
            handle.truncate(size)
    plan.steps.insert(0, Step(f"create sparse image {path.name} ({human_size(size)})", create))

    def bmap(run: Run) -> None:
        from .flash_bmap import write_bmap
        out = write_bmap(path)
        run.outcome.messages.append(f"block map {out.name} written beside the image (for bmaptool and skiff)")
    plan.steps.append(Step(f"write the block map {path.name}.bmap (mapped ranges and their SHA-256)", bmap,
                           needs_lock=False))
    plan.written.append(f"{path.name}.bmap beside it")
    return plan


def image_source(image: str | Path, bmap: str | Path | bool | None = None) -> ImageSource:
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
    text = (f"image {src.path} ({src.format}-compressed, {human_size(src.file_size)}; {size})"
            if src.compressed else f"image {src.path} ({size})")
    if src.bmap:
        text += (f"; bmap {src.bmap.path.name}: {human_size(src.bmap.mapped_bytes)} mapped in "
                 f"{len(src.bmap.ranges)} range(s), each checked against its SHA-256")
    elif src.compressed:
        text += "; no bmap: every decompressed block is written"
    else:
        text += "; only mapped blocks are written"
    return text


def plan_write(image: str | Path, target: Target, *, blobs: list[Blob] = (), verify: bool = True,
               bmap: str | Path | bool | None = None, settings=None) -> Plan:
    src = image_source(image, bmap)
    image = src.path
    size = src.size
    if size is not None and size > target.size and target.is_device:
        raise FlashError(f"the image ({human_size(size)}) is larger than {target.path} ({human_size(target.size)})",
                         kind="no-space", hint="use a larger card")
    table, parts = None, []
    if blobs and not src.compressed:      # the image's table matters only where blobs could land
        try:
            table, parts = read_layout(image)
        except FlashError:
            pass
    check_blobs(list(blobs), parts, max(size or 0, target.size), table)
    keep = []
    if target.is_device and size is not None and target.size > size:
        keep = [f"bytes past the image's end ({human_size(target.size - size)}) are left as they are"]
    plan = Plan("write", target, erase=[f"everything on {target.path} ({_existing_contents(target)})"],
                keep=keep, min_size=size or 0)
    plan.notes.append(_describe_source(src))
    state: dict = {}

    def write(run: Run) -> None:
        state["result"] = run.copy(src, verify=verify)
    what = "mapped blocks only" if (src.bmap or not src.compressed) else "every block"
    plan.steps.append(Step(f"write {image.name} ({'decompressing, ' if src.compressed else ''}{what})"
                           + (", reading each part back once it is on the medium" if verify else ""), write))
    if settings:
        persist = None
        if not src.compressed:      # a raw image's table is known now: refuse before writing
            try:
                persist = skiff_partitions(image)["persist"]
            except FlashError:
                raise FlashError(f"{image} has no persist partition: the card settings (hostname, Wi-Fi, "
                                 "SSH keys) have nowhere to go", hint="write a skiff image, or leave them out") from None
        _settings_step(plan, settings, persist)
        plan.notes.append("the card settings change persist after the write: 'skiff flash verify' against the "
                          "image will report persist as different")
    if blobs:
        _blob_steps(plan, list(blobs))
    plan.eject = target.is_device
    return plan


def plan_verify(image: str | Path, target: Target, *, bmap: str | Path | bool | None = None) -> Plan:
    src = image_source(image, bmap)
    plan = Plan("verify", target, erase=[], keep=[f"{target.path} is only read"], writes=False)
    plan.notes.append(_describe_source(src))
    plan.steps.append(Step(f"compare {target.path} with {src.path.name} ("
                           + ("decompressed, " if src.compressed else "") + "mapped blocks)",
                           lambda run: run.verify(image_digests(src.path, bmap=src.bmap)), needs_lock=False))
    return plan


# --- execution ----------------------------------------------------------------------------------
@dataclass
class Outcome:
    plan: Plan
    copy: CopyResult | None = None
    verified: bool | None = None
    messages: list[str] = field(default_factory=list)
    ejected: str | None = None     # how the card was powered off / ejected (or why not)


class Run:
    """What steps get: tools, raw writes and copies aimed at the plan's target, progress."""

    def __init__(self, plan: Plan, progress: ProgressFn | None, writer_factory, workdir: Path) -> None:
        self.plan, self.target = plan, plan.target
        self.progress = progress
        self.writer_factory = writer_factory or FdWriter
        self.workdir = workdir
        self.outcome = Outcome(plan)

    def tool(self, argv, what: str, **kw) -> subprocess.CompletedProcess:
        return run_tool(argv, target=self.target.path, what=what, **kw)

    def _open_write(self, direct: bool = False) -> int:
        flags = os.O_WRONLY | os.O_CLOEXEC
        if self.target.is_device:
            flags |= os.O_EXCL | (os.O_DIRECT if direct else 0)
        try:
            return os.open(self.target.path, flags)
        except OSError as exc:
            if direct and exc.errno == errno.EINVAL:     # no O_DIRECT here (tmpfs, some FUSE)
                return self._open_write(direct=False)
            raise classify_os_error(exc, self.target.path) from None

    def zero(self, offset: int, length: int) -> None:
        """Zero a region (old filesystem signatures); holes of an image file already read as zeros."""
        fd = self._open_write()
        try:
            if not self.target.is_device:
                try:
                    if os.lseek(fd, offset, os.SEEK_DATA) >= offset + length:
                        return
                except OSError as exc:
                    if exc.errno == errno.ENXIO:    # no data at or after offset
                        return
            FdWriter(fd).pwrite(bytes(length), offset)
        except OSError as exc:
            raise classify_os_error(exc, self.target.path, offset) from None
        finally:
            os.close(fd)

    def write_blob(self, blob: Blob) -> None:
        fd = self._open_write()
        try:
            writer = self.writer_factory(fd)
            writer.pwrite(blob.data(), blob.offset)
            writer.fsync()
        except OSError as exc:
            raise classify_os_error(exc, self.target.path, blob.offset) from None
        finally:
            os.close(fd)
        fd = os.open(self.target.path, os.O_RDONLY | os.O_CLOEXEC)
        try:
            if os.pread(fd, blob.size, blob.offset) != blob.data():
                raise FlashError(f"verification failed: {blob.path.name} at byte {blob.offset} of "
                                 f"{self.target.path} reads back differently", kind="verify")
        finally:
            os.close(fd)
        self.outcome.messages.append(f"wrote and read back {blob.path.name} at byte {blob.offset}")

    def tell_kernel(self, count: int, timeout: float = 3.0) -> None:
        """partx -u (BLKPG, table parsed in userspace: works where the kernel has no GPT parser),
        then wait for the partition nodes; deletion of stale ones is asynchronous, so retry once."""
        import time
        if not dv.is_block_device(self.target.path):
            return      # a disk record whose node is a plain file (demo, tests): no kernel table
        name = self.target.name
        sep = "p" if name[-1].isdigit() else ""
        wanted = [f"/sys/class/block/{name}/{name}{sep}{i}" for i in range(1, count + 1)]
        for attempt in range(2):
            self.tool(["partx", "-u", self.target.path], "partx -u", ok_codes=(0, 1))
            deadline = time.monotonic() + timeout / 2
            while time.monotonic() < deadline:
                if all(os.path.exists(w) for w in wanted):
                    return
                time.sleep(0.05)
        self.outcome.messages.append(f"the kernel does not show {self.target.path}'s new partitions yet; "
                                     "re-plug the card before using it")

    def debugfs(self, part: Part, src: Path, *, overwrite: bool) -> None:
        written, kept = debugfs_copy(self.target.path, part.start, src, overwrite=overwrite, workdir=self.workdir)
        self.outcome.messages.append(f"{part.name or part.number}: {written} file(s) written"
                                     + (f", {kept} already present and kept" if kept else ""))

    def copy(self, src: ImageSource | Path, verify: bool = False) -> CopyResult:
        if not isinstance(src, ImageSource):
            src = open_image(src)
        size = src.size
        if not self.target.is_device:
            prepare_file_target(self.target.path, size or 0)
        # O_DIRECT wants every write 4 KiB-aligned: true of a bmap's or the holes' ranges unless
        # the image's size is not (its last range then ends unaligned)
        direct = self.target.is_device and (size or 0) % 4096 == 0 and (size is not None or src.bmap is not None)
        fd = self._open_write(direct=direct)
        try:
            # Read-back runs one segment behind the write; what is left after the final flush is
            # at most one segment, so segments are an eighth of the data (4–64 MiB).
            segment = min(64 * 1024 ** 2, max(4 * 1024 ** 2, (src.mapped or 128 * 1024 ** 2) // 8))
            result = copy_image(src.path, self.writer_factory(fd), target=self.target.path, progress=self.progress,
                                target_size=self.target.size if self.target.is_device else None, verify=verify,
                                source=src, skip_zeros=not self.target.is_device, segment=segment)
            if not self.target.is_device and os.fstat(fd).st_size < result.image_size:
                os.ftruncate(fd, result.image_size)      # trailing zeros of a stream: holes
        finally:
            os.close(fd)
        self.outcome.copy = result
        how = f", decompressed from {src.format}" if src.compressed else ""
        how += f", {src.bmap.path.name} checked" if src.bmap else ""
        self.outcome.messages.append(
            f"wrote {human_size(result.written)} of a {human_size(result.image_size)} image in "
            f"{result.seconds:.1f} s{how}")
        if verify:
            self.outcome.verified = True
            self.outcome.messages.append(f"verified {human_size(result.written)} read back from the medium: identical")
        return result

    def verify(self, expected: CopyResult) -> None:
        verify_target(self.target.path, expected, progress=self.progress)
        self.outcome.verified = True
        self.outcome.messages.append(f"verified {human_size(sum(n for _, n, _ in expected.digests))} "
                                     f"read back in {expected.verify_seconds:.1f} s: identical")


def reidentify(target: Target, source: dv.DeviceSource, min_size: int = 0) -> BlockDeviceInfo:
    """The disk must still be the one the plan was made for, and still pass every rule."""
    now = source.get(target.path)
    if now is None:
        raise FlashError(f"{target.path} is gone (unplugged?): nothing was written", kind="unplugged",
                         hint="re-insert it and select it again")
    diffs = target.identity.differences(now.identity()) if target.identity else []
    if diffs:
        raise FlashError(f"{target.path} changed since it was selected ({', '.join(diffs)}): refusing to write",
                         kind="changed", hint="a different card was inserted? select the device again")
    dv.check_target(now, show_all=target.show_all, min_size=min_size, allow_mounted=target.unmount)
    return now


def _unmount(info: BlockDeviceInfo, source: dv.DeviceSource) -> None:
    for node, mnt in dv.unmountable(info):
        run_tool(["umount", mnt], target=node, what=f"unmounting {mnt}")
    again = source.get(info.node)
    if again and again.all_mounts():
        raise FlashError(f"{info.node} is still mounted ({', '.join(m for _, m in again.all_mounts())})",
                         kind="busy", hint="an automounter may have remounted it; unmount it and retry")


def execute(plan: Plan, *, progress: ProgressFn | None = None, source: dv.DeviceSource | None = None,
            writer_factory=None, workdir: Path | None = None) -> Outcome:
    """Run the plan's steps. For a device: re-identify, unmount with consent, probe O_EXCL, flock."""
    import tempfile

    from . import readonly
    if plan.writes:
        readonly.guard(f"flash {plan.action} of {plan.target.path}")
    target = plan.target
    lock_fd = None
    with tempfile.TemporaryDirectory(prefix="skiff-flash-") as tmp:
        run = Run(plan, progress, writer_factory, Path(workdir or tmp))
        try:
            if target.is_device and plan.writes:
                source = source or dv.default_source()
                info = reidentify(target, source, plan.min_size)
                if getattr(source, "fake", False) and target.path.startswith("/dev/"):
                    raise FlashError(f"{target.path} comes from captured device records (SKIFF_FAKE_DEVICES): "
                                     "not writing a real device node", kind="error")
                if info.all_mounts():
                    _unmount(info, source)
                try:   # kernel backstop: EBUSY while any partition is mounted or claimed
                    os.close(os.open(target.path, os.O_RDWR | os.O_EXCL | os.O_CLOEXEC))
                except OSError as exc:
                    raise classify_os_error(exc, target.path) from None
                lock_fd = os.open(target.path, os.O_RDONLY | os.O_CLOEXEC)
                try:
                    fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise FlashError(f"{target.path} is locked by another program (udisks, another skiff?)",
                                     kind="busy", hint="wait for it to finish") from None
            total = len(plan.steps)
            for i, step in enumerate(plan.steps):
                if lock_fd is not None and not step.needs_lock:
                    os.close(lock_fd)       # mtools/debugfs take their own locks
                    lock_fd = None
                if progress:
                    progress(Progress(step.title, i, total, message=f"step {i + 1} of {total}"))
                step.run(run)
            if target.is_device and plan.writes:
                _flush(target.path)
                if plan.eject and target.info is not None:
                    if lock_fd is not None:
                        os.close(lock_fd)
                        lock_fd = None
                    from .flash_eject import eject
                    run.outcome.ejected = eject(target.info)
                    run.outcome.messages.append(run.outcome.ejected)
            elif plan.writes and plan.action != "buildimage":
                _refresh_bmap(target.path, run.outcome)
            if progress:
                progress(Progress("done", total, total))
        finally:
            if lock_fd is not None:
                os.close(lock_fd)
    return run.outcome


def _refresh_bmap(path: str, outcome: Outcome) -> None:
    """An image file that changed (install, format, write) keeps a true block map beside it: a
    stale one would make the next write refuse the image (its ranges' checksums no longer match)."""
    from .flash_bmap import write_bmap
    beside = Path(path + ".bmap")
    if beside.is_file():
        write_bmap(path, beside)
        outcome.messages.append(f"block map {beside.name} updated")


def _flush(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise classify_os_error(exc, path) from None
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno != errno.EINVAL:
            raise classify_os_error(exc, path) from None
    finally:
        os.close(fd)
