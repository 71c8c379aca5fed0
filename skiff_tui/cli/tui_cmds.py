"""tui: the full-screen interface (also what bare `skiff` and `make tui` open)."""

from __future__ import annotations

from .common import add_container_arg, add_workspace_arg


def register(sub) -> None:
    p = sub.add_parser("tui", help="the full-screen interface (bare `skiff` opens it too)")
    add_workspace_arg(p)
    p.add_argument(
        "--read-only",
        action="store_true",
        help="view only: no configure, compile, edit, clean or flash (for SSH forced commands)",
    )
    p.add_argument("--light", action="store_true", help="start with the light theme")
    add_container_arg(p, "builds run Buildroot in a podman/docker container (as compile --container)")
    p.set_defaults(func=cmd_tui)


def cmd_tui(args) -> int:
    import os
    import sys

    from ..core import paths, readonly
    from ..core.errors import SkiffError
    from ..core.workspace import workspace_name

    if args.read_only:
        readonly.set_read_only(True)  # before anything else runs, so every engine write refuses
    if args.container:
        os.environ["SKIFF_CONTAINER"] = args.container  # read by the Build section's compile_request
    env = dict(os.environ)
    name = workspace_name(getattr(args, "workspace", None) or env.get("SKIFF_WORKSPACE"))
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        which = "stdout" if sys.stdin.isatty() else "stdin"
        raise SkiffError(
            f"the full-screen interface needs a terminal ({which} is not one)",
            hint="run it in a terminal, or use a command such as 'skiff list' or 'skiff logs'",
        )
    from ..ui.app import LIGHT_THEME, SkiffApp  # Textual only when the TUI is wanted

    app = SkiffApp(
        root=paths.root_dir(env),
        env=env,
        workspace=name,
        read_only=args.read_only,
        theme=LIGHT_THEME if args.light else None,
    )
    app.run()
    return int(app.return_code or 0)
