"""Which build outputs go onto which partition (docs/behaviour.md#sd-cards): the install set.

The kernel, firmware, config.txt/cmdline.txt, boot_part/, device trees, rootfs images and
skiff-init go onto BOOT; rootfs_part/ into rootfs and persist_part/ into persist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import FlashError

if TYPE_CHECKING:
    from ..session import Session

KERNELS = ("Image", "zImage", "bzImage")
ROOTFS_IMAGES = ("rootfs.cpio.lz4", "rootfs.squashfs")


@dataclass
class InstallSet:
    images: Path
    boot: dict[str, Path] = field(default_factory=dict)  # name at the BOOT root → source (file or dir)
    rootfs_dir: Path | None = None
    persist_dir: Path | None = None
    resources: dict[str, Path] = field(default_factory=dict)  # config.txt/cmdline.txt → chosen file

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


def collect_install(images: str | Path, package_dirs: Sequence[Path] = ()) -> InstallSet:
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


def workspace_install_set(session: Session, images: str | Path | None = None) -> InstallSet:
    """From a configured workspace: `images/` under its output dir, resources from its chain
    (the packages of the session's index)."""
    workspace = session.workspace
    state = workspace.load_state()
    names = (state.chain if state else None) or []
    dirs: list[Path] = []
    if names:
        index = session.index
        dirs = [index.get(name).path for name in names if name in index]
    return collect_install(images or workspace.dir / "images", dirs)
