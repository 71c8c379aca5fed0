"""push: send the workspace's built images to a running device over ssh (OTA update)."""

from __future__ import annotations

from pathlib import Path

from .common import add_workspace_arg, context


def register(sub) -> None:
    p = sub.add_parser("push", help="send built images to a running device: skiff push root@host")
    add_workspace_arg(p)
    p.add_argument("target", metavar="USER@HOST")
    p.add_argument("--port", "-p", type=int)
    p.add_argument("--identity", "-i", type=Path, help="ssh private key")
    p.add_argument(
        "--ssh-option", "-o", action="append", default=[], metavar="OPT", help="extra ssh -o option (repeatable)"
    )
    p.add_argument("--boot-dir", default=None, help="boot mount on the device (default /mnt/boot)")
    p.add_argument("--rootfs-dir", default=None, help="rootfs mount on the device (default /mnt/rootfs)")
    p.add_argument("--dry-run", "-n", action="store_true", help="only print what would go where")
    p.set_defaults(func=cmd_push)


def cmd_push(args) -> int:
    from ..core.flash.push import DEVICE_BOOT, DEVICE_ROOTFS, push

    ctx = context(args)
    push(
        ctx.workspace.dir / "images",
        args.target,
        port=args.port,
        identity=args.identity,
        ssh_options=args.ssh_option,
        boot_dir=args.boot_dir or DEVICE_BOOT,
        rootfs_dir=args.rootfs_dir or DEVICE_ROOTFS,
        dry_run=args.dry_run,
    )
    return 0
