"""skiff flash list|format|install|buildimage|write|verify — SD cards and images (docs/behaviour.md#sd-cards).

Every safety rule lives in the engine (skiff_tui.core.flash.devices / flash); this module only asks.
A device target is written only after its name is typed back, or with `--yes --confirm NAME`
where NAME is the device's name. SkiffOS habits: PI_SD names the device and PI_IMAGE the image
when --device/--image are not given.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING

from ..core.errors import FlashError
from ..core.flash.layout import Layout
from .common import add_workspace_arg, context

if TYPE_CHECKING:  # the engine (asyncio, udev glue) loads only when a flash verb runs
    from ..core.flash import install_set as flash_install_set
    from ..core.flash import layout as flash_layout
    from ..core.flash import plan as flash_plan
    from ..core.flash.copy import Progress
    from ..core.flash.settings import CardSettings

PROGRESS_PHASES = ("write", "verify", "finishing writes (flush)")  # == flash_copy.PROGRESS_PHASES
DEFAULT_IMAGE_GIB = 12  # == flash_plan.DEFAULT_IMAGE_SIZE (a test keeps them equal)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("flash", help="list SD cards, format/install them, build and write images")
    verbs = p.add_subparsers(dest="flash_verb", metavar="SUBVERB")

    def show_help(args: argparse.Namespace) -> int:
        p.print_help()
        return 0

    p.set_defaults(func=show_help)

    v = verbs.add_parser("list", help="disks you can flash, and why others are hidden or disabled")
    v.add_argument(
        "--all", action="store_true", help="also list hidden disks (internal, loop) and the refused system disks"
    )
    v.add_argument("--json", action="store_true", help="machine-readable output")
    v.set_defaults(func=cmd_list)

    for name, help_text in (
        (
            "format",
            "partition table (GPT, or MBR for boards with raw blobs there) and "
            "BOOT/rootfs/persist; --install also installs",
        ),
        ("install", "copy the build output onto a formatted card; persist untouched"),
    ):
        v = verbs.add_parser(name, help=help_text)
        add_workspace_arg(v)
        _device_args(v)
        if name == "format":
            v.add_argument("--install", action="store_true", help="install the build output after formatting")
            v.add_argument(
                "--force", action="store_true", help="erase an existing regular file with data in it given as --device"
            )
        _install_args(v)
        _settings_args(v)
        _layout_arg(v, table=name == "format")
        v.set_defaults(func=cmd_format if name == "format" else cmd_install)

    v = verbs.add_parser("buildimage", help="format+install into a sparse image file (no root needed)")
    add_workspace_arg(v)
    v.add_argument("--image", default=os.environ.get("PI_IMAGE"), help="output image file (default: $PI_IMAGE)")
    v.add_argument("--size", default=None, help=f"image size (default: {DEFAULT_IMAGE_GIB}G)")
    _install_args(v)
    _layout_arg(v, table=True)
    v.set_defaults(func=cmd_buildimage)

    v = verbs.add_parser("write", help="write an image file to a card: mapped blocks only, then read back")
    _device_args(v)
    v.add_argument(
        "--image",
        default=os.environ.get("PI_IMAGE"),
        help="image file, raw or compressed (.xz .gz .zst .bz2, told by its content) (default: $PI_IMAGE)",
    )
    _bmap_args(v)
    v.add_argument("--force", action="store_true", help="overwrite an existing regular file given as --device")
    v.add_argument("--no-verify", action="store_true", help="skip the read-back verification")
    _settings_args(v)
    v.add_argument(
        "--bootloader",
        action="append",
        default=[],
        metavar="FILE:OFFSET",
        help="also write a raw bootloader blob at a byte offset (repeatable)",
    )
    v.set_defaults(func=cmd_write)

    v = verbs.add_parser("verify", help="compare a card (or file) with an image, over the image's mapped blocks")
    v.add_argument("--device", default=os.environ.get("PI_SD"), help="device or image file (default: $PI_SD)")
    v.add_argument("--image", default=os.environ.get("PI_IMAGE"), help="image file (default: $PI_IMAGE)")
    _bmap_args(v)
    v.add_argument("--all", action="store_true", help="allow hidden disks")
    v.set_defaults(func=cmd_verify)


def _settings_args(v: argparse.ArgumentParser) -> None:
    g = v.add_argument_group("card settings (written into persist, read by the image at boot)")
    g.add_argument("--hostname", help="the board's hostname")
    g.add_argument(
        "--wifi",
        action="append",
        default=[],
        metavar="SSID:PASSPHRASE",
        help="a Wi-Fi network (repeatable; the passphrase shows in 'ps': prefer --wifi-file)",
    )
    g.add_argument(
        "--wifi-file",
        action="append",
        default=[],
        metavar="FILE",
        help="Wi-Fi networks, one 'SSID:PASSPHRASE' per line (repeatable)",
    )
    g.add_argument(
        "--ssh-key",
        action="append",
        default=[],
        metavar="FILE",
        help="a public key file allowed to log in as root (repeatable)",
    )


def _settings(args: argparse.Namespace) -> CardSettings | None:
    from ..core.flash.settings import settings_from_args

    return settings_from_args(args.hostname, args.wifi, args.wifi_file, args.ssh_key)


def _bmap_args(v: argparse.ArgumentParser) -> None:
    g = v.add_mutually_exclusive_group()
    g.add_argument(
        "--bmap",
        metavar="FILE",
        help="bmaptool block map to use (default: IMAGE.bmap beside the image, also for IMAGE.xz)",
    )
    g.add_argument("--no-bmap", action="store_true", help="ignore a bmap beside the image")


def _bmap_choice(args: argparse.Namespace) -> flash_plan.BmapChoice:
    return False if args.no_bmap else (args.bmap or None)


def _device_args(v: argparse.ArgumentParser) -> None:
    v.add_argument(
        "--device",
        default=os.environ.get("PI_SD"),
        help="the card, e.g. /dev/sdb (default: $PI_SD); a regular file is written as an image",
    )
    v.add_argument(
        "--all",
        action="store_true",
        help="allow hidden disks (internal, loop; never a system disk); still asks the name",
    )
    v.add_argument("--yes", action="store_true", help="do not ask; requires --confirm with the device's name")
    v.add_argument("--confirm", metavar="DEVNAME", help="the device's name, e.g. sdb (with --yes)")
    v.add_argument(
        "--unmount", action="store_true", help="unmount the card's mounted partitions first (never a system disk's)"
    )
    v.add_argument(
        "--no-eject",
        action="store_true",
        help="leave the card attached when done (default: power it off / eject it after "
        "write, install and format --install)",
    )


def _install_args(v: argparse.ArgumentParser) -> None:
    if not any(a.dest == "bootloader" for a in v._actions):
        v.add_argument(
            "--bootloader",
            action="append",
            default=[],
            metavar="FILE:OFFSET",
            help="also write a raw bootloader blob at a byte offset (repeatable)",
        )
    v.add_argument("--images", help="build output directory (default: the workspace's images/)")


def _layout_arg(v: argparse.ArgumentParser, table: bool = False) -> None:
    # Test-only: shrink the default card layout so tests work on megabyte-sized files. Not in --help.
    v.add_argument("--layout-scale", type=float, default=None, help=argparse.SUPPRESS)
    if not table:
        return
    v.add_argument(
        "--table",
        choices=("gpt", "mbr"),
        default=None,
        help="partition table (default: MBR when a --bootloader blob lies below byte 17408, else GPT)",
    )
    v.add_argument(
        "--first-partition-start",
        metavar="SIZE",
        default=None,
        help="where p1 starts, e.g. 16M (default: 1 MiB, or after the last blob, 1 MiB aligned)",
    )
    v.add_argument(
        "--boot-type",
        choices=("fat32", "esp"),
        default=None,
        help="BOOT's partition type: fat32 (MBR 0x0c / GPT basic data, default) or esp (EFI System: UEFI PCs)",
    )
    v.add_argument(
        "--boot-active",
        action="store_true",
        help="set the MBR bootable flag on BOOT (GPT: the legacy BIOS bootable attribute)",
    )


def _layout(args: argparse.Namespace) -> Layout:
    scale = getattr(args, "layout_scale", None)
    layout = Layout().scaled(scale) if scale else Layout()
    start = getattr(args, "first_partition_start", None)
    if start is not None:
        from ..core.flash.units import parse_size

        start = parse_size(start)
    return layout.with_options(
        table=getattr(args, "table", None),
        first_start=start,
        boot_type=getattr(args, "boot_type", None),
        boot_active=getattr(args, "boot_active", False) or None,
    )


def _need(value: str | None, flag: str, env: str) -> str:
    if not value:
        raise FlashError(f"no target given: pass {flag} (or set {env})")
    return value


def _interactive() -> bool:
    return not os.environ.get("SKIFF_NO_INTERACTIVE") and sys.stdin.isatty()


# --- list ---------------------------------------------------------------------------------------
def cmd_list(args: argparse.Namespace) -> int:
    from ..core.flash import devices as dv

    source = dv.default_source()
    assessed = [dv.assess(i, min_size=Layout().min_disk_size()) for i in source.scan()]
    shown = dv.visible(assessed, args.all)
    if args.json:
        json.dump(
            [
                {
                    **a.device.to_json(),
                    "verdict": a.verdict.value,
                    "reasons": a.reasons,
                    "warnings": a.warnings,
                    "system": a.system,
                    "class": a.device_class.value,
                    "selectable": a.selectable_with(args.all),
                }
                for a in shown
            ],
            sys.stdout,
            indent=2,
        )
        print()
        return 0
    if not shown:
        print("no SD card or USB disk found: insert one (skiff flash list --all shows every disk)")
    for a in shown:
        i = a.device
        status = a.status
        line = f"{i.node:<16} {dv.human_size(i.size):>10}  {i.description[:28]:<28} {i.bus or '-':<7} {status}"
        if a.reason:
            line += f": {a.reason}"
        print(line)
    hidden = [a for a in assessed if a.verdict is dv.Verdict.HIDDEN]
    if hidden and not args.all:
        groups: dict[str, list[str]] = {}
        for a in hidden:
            groups.setdefault(a.reasons[0], []).append(a.device.name)
        parts = [
            f"{names[0]}: {reason}" if len(names) == 1 else f"{len(names)} × {reason} ({', '.join(names)})"
            for reason, names in groups.items()
        ]
        print(f"{len(hidden)} disk(s) hidden ({'; '.join(parts)}): --all lists them")
    return 0


# --- confirmation -------------------------------------------------------------------------------
def _confirm(plan: flash_plan.Plan, args: argparse.Namespace) -> None:
    """Print the plan; for a device, the name typed back (or --yes --confirm NAME) is required."""
    if getattr(args, "no_eject", False):
        plan.eject = False
    print(plan.summary())
    name = plan.confirm_name
    if name is None:
        return
    target = plan.target
    if getattr(args, "yes", False):
        if not args.confirm or not target.confirm_matches(args.confirm):
            raise FlashError(
                f"refusing to write {target.path}: --yes needs --confirm {name} (the device's name, repeated)"
            )
        return
    if not _interactive():
        raise FlashError(
            f"refusing to write {target.path} without confirmation",
            hint=f"run it in a terminal, or pass --yes --confirm {name}",
        )
    try:
        typed = input(f"This erases what is listed above on {target.path}. Type the device name ({name}) to go on: ")
    except EOFError:
        typed = ""
    if not target.confirm_matches(typed):
        raise FlashError(f"{typed.strip()!r} is not {name}: nothing was written to {target.path}")


def _open_device(args: argparse.Namespace, *, min_size: int = 0, create_size: int | None = None) -> flash_plan.Target:
    from ..core.flash import execute as flash
    from ..core.flash.devices import MountedDeviceError

    path = _need(args.device, "--device", "PI_SD")
    try:
        return flash.open_target(
            path, show_all=args.all, unmount=args.unmount, min_size=min_size, create_size=create_size
        )
    except MountedDeviceError as exc:
        if not _interactive():
            raise
        answer = input(f"{exc.message}. Unmount them? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            raise
        args.unmount = True
        return flash.open_target(path, show_all=args.all, unmount=True, min_size=min_size)


def _install_set(args: argparse.Namespace) -> flash_install_set.InstallSet:
    from ..core.flash import install_set as flash_install_set

    ctx = context(args)
    return flash_install_set.workspace_install_set(ctx.session, args.images)


def _blobs(args: argparse.Namespace) -> list[flash_layout.Blob]:
    from ..core.flash import layout as flash_layout

    return [flash_layout.parse_blob(spec) for spec in args.bootloader]


class _Printer:
    """Progress on stderr: one rewritten line on a terminal, step titles otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last_phase: str | None = None

    def __call__(self, p: Progress) -> None:
        if p.phase in PROGRESS_PHASES or p.phase.startswith("write (decompressing"):
            if self.tty:
                print("\r" + p.line().ljust(70), end="", file=sys.stderr, flush=True)
            elif p.stalled or p.done == p.total:
                print(p.line(), file=sys.stderr)
            return
        if self.tty:
            print(file=sys.stderr)
        if p.phase != self.last_phase and p.phase != "done":
            print(f"skiff: {p.phase}", file=sys.stderr)
        self.last_phase = p.phase


def _run(plan: flash_plan.Plan, args: argparse.Namespace | None = None) -> int:
    """Execute the plan; one that copies the workspace's build output holds the workspace lock,
    so a compile can't rewrite images/ mid-copy (docs/behaviour.md#workspaces: flashing from a
    workspace modifies it)."""
    from ..core.flash import execute as flash

    if args is not None and getattr(args, "images", None) is None:
        with context(args).workspace.lock(f"skiff flash {plan.action} {plan.target.path}"):
            outcome = flash.execute(plan, progress=_Printer())
    else:
        outcome = flash.execute(plan, progress=_Printer())
    for msg in outcome.messages:
        print(msg)
    print(_next_steps(plan))
    return 0


def _next_steps(plan: flash_plan.Plan) -> str:
    if plan.action == "verify":
        return f"{plan.target.path} matches the image."
    if plan.target.is_device:
        if plan.eject:
            return "done: put the card in the board and power on."
        return (
            f"done: {plan.target.path} can be removed once your desktop shows no activity; "
            "put it in the board and power on."
        )
    if plan.action == "buildimage":
        return f"done: write it to a card with 'skiff flash write --image {plan.target.path} --device /dev/sdX'."
    return f"done: {plan.target.path}"


# --- verbs --------------------------------------------------------------------------------------
def cmd_format(args: argparse.Namespace) -> int:
    from ..core.flash import execute as flash
    from ..core.flash import plan as flash_plan

    layout = _layout(args)
    flash.check_file_overwrite(_need(args.device, "--device", "PI_SD"), args.force)
    target = _open_device(args, min_size=layout.min_disk_size())
    install = _install_set(args) if args.install else None
    settings = _settings(args)
    if settings and not install:
        raise FlashError(
            "card settings (--hostname, --wifi, --ssh-key) need --install: a bare format leaves "
            "persist empty for 'skiff flash install' to fill"
        )
    plan = flash_plan.plan_format(target, layout, install=install, blobs=_blobs(args), settings=settings)
    _confirm(plan, args)
    return _run(plan, args if install else None)


def cmd_install(args: argparse.Namespace) -> int:
    from ..core.flash import plan as flash_plan

    target = _open_device(args)
    plan = flash_plan.plan_install(target, _install_set(args), blobs=_blobs(args), settings=_settings(args))
    _confirm(plan, args)
    return _run(plan, args)


def cmd_buildimage(args: argparse.Namespace) -> int:
    from ..core.flash import plan as flash_plan
    from ..core.flash import units as flash_units

    image = _need(args.image, "--image", "PI_IMAGE")
    if os.path.exists(image) and not os.path.isfile(image):
        raise FlashError(
            f"{image} is not a regular file: buildimage writes image files only",
            hint="use 'skiff flash format --install --device …' for a card",
        )
    size = flash_units.parse_size(args.size) if args.size else flash_plan.DEFAULT_IMAGE_SIZE
    plan = flash_plan.plan_buildimage(image, size, _layout(args), install=_install_set(args), blobs=_blobs(args))
    print(plan.summary())
    return _run(plan, args)


def cmd_write(args: argparse.Namespace) -> int:
    from ..core.flash import execute as flash
    from ..core.flash import plan as flash_plan

    image = _need(args.image, "--image", "PI_IMAGE")
    source = flash_plan.image_source(image, _bmap_choice(args))
    device = _need(args.device, "--device", "PI_SD")
    flash.check_file_overwrite(device, args.force)
    # a new file (not under /dev) is created; a regular file grows to the image's size; a disk
    # must already be large enough
    new_file = not os.path.exists(device) and not device.startswith("/dev/")
    target = _open_device(
        args,
        min_size=0 if new_file or os.path.isfile(device) else (source.size or 0),
        create_size=0 if new_file else None,
    )
    plan = flash_plan.plan_write(
        image, target, blobs=_blobs(args), verify=not args.no_verify, bmap=_bmap_choice(args), settings=_settings(args)
    )
    _confirm(plan, args)
    return _run(plan)


def cmd_verify(args: argparse.Namespace) -> int:
    from ..core.flash import execute as flash
    from ..core.flash import plan as flash_plan

    image = _need(args.image, "--image", "PI_IMAGE")
    path = _need(args.device, "--device", "PI_SD")
    target = flash.open_target(path, show_all=args.all, unmount=True)
    plan = flash_plan.plan_verify(image, target, bmap=_bmap_choice(args))
    return _run(plan)
