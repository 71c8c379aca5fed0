"""list, show, check: read-only views of packages, the chain and the merged values."""

from __future__ import annotations

import json
import sys

from .common import Context, add_workspace_arg, context

BUILD_COMMANDS = (
    ("configure", "merge the selected packages into the workspace's Buildroot configuration"),
    ("compile", "build the workspace (configures first when any input changed)"),
    ("br/<target>", "run a Buildroot target in the workspace (br/menuconfig saves a delta)"),
    ("cmd/<ns>/<name>/<command>", "run a package command"),
    ("check", "report package defects and values Buildroot would not accept"),
    ("shell / env", "a shell in the workspace's environment / print that environment"),
    ("graph", "Buildroot's dependency graph and build-time charts, as files"),
    ("legal-info", "licenses and sources of everything in the image"),
    ("clean", "remove the workspace's build output"),
    ("tui", "the full-screen interface"),
)


def register(sub) -> None:
    p = sub.add_parser("list", help="packages, the selected chain and commands (what plain `make` shows)")
    add_workspace_arg(p)
    p.add_argument(
        "query",
        nargs="*",
        metavar="WORDS",
        help="only packages matching these words (name, alias or description), best match first",
    )
    p.add_argument("--all", action="store_true", help="include unlisted packages")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("show", help="merged values with the layer, file and line that set them")
    add_workspace_arg(p)
    p.add_argument("symbols", nargs="*", metavar="SYMBOL")
    p.add_argument("--merged", choices=("buildroot", "kernel", "busybox", "uboot"), help="print the merged fragment")
    p.add_argument("--chain", action="store_true", help="print the resolved chain, one per line")
    p.add_argument("--overridden", action="store_true", help="list every value a later layer redefined")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser(
        "check",
        help="package defects; with Buildroot: its check-package on buildroot_ext/, "
        "unknown symbols and values that do not stick",
    )
    add_workspace_arg(p)
    p.add_argument("--packages-only", action="store_true", help="skip the Buildroot checks")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_check)


def _current_selection(ctx: Context) -> list[str]:
    from ..core.builds.configure import saved_selection
    from ..core.library.resolve import parse_selection

    chosen = parse_selection(ctx.env.get("SKIFF_CONFIG", ""))
    if chosen or ctx.project is None:
        return chosen or []
    return saved_selection(ctx.workspace) or []


def cmd_list(args) -> int:
    from ..core.library.resolve import resolve

    ctx = context(args, need_project=False)  # the library can be listed before any project exists
    index = ctx.index
    selection = _current_selection(ctx)
    workspace = ctx.workspace.name if ctx.project is not None else None
    chain = resolve(index, selection) if selection else None
    packages = index.listed(include_unlisted=args.all)
    query = " ".join(getattr(args, "query", None) or [])
    if query.strip():
        from ..core.library.search import PackageSearch

        by_name = {p.name: p for p in packages}
        packages = [by_name[n] for n in PackageSearch(packages).names(query) or () if n in by_name]
    if args.json:
        json.dump(
            {
                "workspace": workspace,
                "project": str(ctx.project) if ctx.project is not None else None,
                "selection": selection,
                "chain": chain.names if chain else [],
                "pulled_by": chain.pulled_by if chain else {},
                "notes": chain.notes if chain else [],
                "packages": [
                    {
                        "name": p.name,
                        "description": p.description,
                        "dependencies": list(p.dependencies),
                        "unlisted": p.unlisted,
                        "aliases": list(p.aliases),
                        "source": p.source,
                        "path": str(p.path),
                        "commands": [{"name": c.name, "description": c.description} for c in p.runnable_commands],
                    }
                    for p in packages
                ],
            },
            sys.stdout,
            indent=2,
        )
        print()
        return 0
    out = [
        f"Workspace: {workspace}"
        if workspace
        else "No skiff project here: 'skiff init' makes one (packages below are skiff's library).",
        "",
    ]
    if chain:
        out.append("Selected chain:")
        width = max(len(n) for n in chain.names)
        for pkg in chain.packages:
            why = f"  (needed by {chain.pulled_by[pkg.name]})" if pkg.name in chain.pulled_by else ""
            out.append(f"  {pkg.name:<{width}}  {pkg.description}{why}")
        out += [f"  note: {n}" for n in chain.notes]
    else:
        out.append("No configuration selected. Choose packages, for example:")
        out.append("  SKIFF_CONFIG=pi/4,skiff/core make configure")
    out += ["", f"Packages matching {query!r} (best first):" if query.strip() else "Packages:"]
    if not packages:
        out.append("  none; try fewer or shorter words")
    width = max((len(p.name) for p in packages), default=0)
    out += [f"  {p.name:<{width}}  {p.description}" for p in packages]
    out += ["", "Build commands:"]
    out += [f"  {name:<28} {desc}" for name, desc in BUILD_COMMANDS]
    if chain:
        cmds = [(f"cmd/{p.name}/{c.name}", c.description) for p in chain.packages for c in p.runnable_commands]
        if cmds:
            out += ["", "Commands of the chain:"]
            out += [f"  {name}: {desc}" for name, desc in cmds]
    from .output import paint

    headings = ("Selected chain:", "Packages:", "Build commands:", "Commands of the chain:")
    print("\n".join(paint(line, "bold") if line in headings else line for line in out))
    return 0


def _origin(origin) -> dict:
    return {"layer": origin.layer, "path": str(origin.path) if origin.path else None, "line": origin.line}


def _assignment(kind: str, final, earlier) -> dict:
    return {
        "symbol": final.symbol,
        "kind": kind,
        "value": final.value,
        "set_by": _origin(final.origin),
        "overrides": [{"value": a.value, "set_by": _origin(a.origin)} for a in reversed(earlier)],
    }


def _dump(data) -> None:
    json.dump(data, sys.stdout, indent=2)
    print()


def cmd_show(args) -> int:
    from ..core.builds import buildroot
    from ..core.builds.configure import plan, stick_report

    ctx = context(args)
    p = plan(ctx.session)
    if args.chain:
        if args.json:
            _dump({"chain": p.chain.names})
        else:
            print("\n".join(p.chain.names))
        return 0
    if args.merged:
        fragment = p.merged.fragments[args.merged]
        if args.json:
            _dump({"kind": args.merged, "values": fragment.values()})
        else:
            sys.stdout.write(fragment.render())
        return 0
    final_config = buildroot.read_config(ctx.workspace.dir / ".config")
    if args.overridden or not args.symbols:
        rows = [
            (kind, final, earlier) for kind, frag in p.merged.fragments.items() for final, earlier in frag.overridden()
        ]
        if args.json:
            _dump({"overridden": [_assignment(kind, final, earlier) for kind, final, earlier in rows]})
            return 0
        if not rows:
            print("No value is redefined by a later layer.")
        for _kind, final, earlier in rows:
            print(f"{final.symbol}={final.value if final.value is not None else 'n'}  set by {final.origin}")
            for a in earlier:
                print(f"    overrides {a.shown_value} from {a.origin}")
        return 0
    status = 0
    not_stuck = {a.symbol: got for a, got in stick_report(p, final_config, ctx.env)[0]} if final_config else {}
    found_rows: list[dict] = []
    for symbol in args.symbols:
        found = False
        for kind, frag in p.merged.fragments.items():
            history = frag.history.get(symbol)
            if not history:
                continue
            found = True
            final = history[-1]
            row = _assignment(kind, final, history[:-1])
            if kind == "buildroot" and symbol in not_stuck:
                row["after_kconfig"] = not_stuck[symbol]
            found_rows.append(row)
            if args.json:
                continue
            print(f"{symbol} = {final.shown_value}   [{kind}]")
            print(f"    set by {final.origin}")
            for a in reversed(history[:-1]):
                print(f"    overrides {a.shown_value} from {a.origin}")
            if "after_kconfig" in row:
                print(f"    after Kconfig: {row['after_kconfig'] or 'n'} (did not stick)")
        if not found:
            if symbol in final_config:
                found_rows.append(
                    {
                        "symbol": symbol,
                        "kind": "buildroot",
                        "value": final_config[symbol],
                        "set_by": None,
                        "overrides": [],
                    }
                )
                if not args.json:
                    print(f"{symbol} = {final_config[symbol] or 'n'}   (Buildroot default; no layer sets it)")
            else:
                print(f"{symbol}: not set by any layer", file=sys.stderr)
                status = 1
    if args.json:
        _dump({"values": found_rows})
    return status


def _check_package(ctx: Context, notes: list[str]) -> list[str]:
    """Buildroot's utils/check-package over the packages' buildroot_ext/ (when a tree is at hand)."""
    from ..core.builds import buildroot, checkpackage

    tree = buildroot.locate(ctx.env)
    if tree is None:
        notes.append("check-package skipped: no Buildroot tree (set SKIFF_BUILDROOT_SRC)")
        return []
    return checkpackage.run(tree, ctx.index, notes)


def cmd_check(args) -> int:
    from ..core.builds.check import check_buildroot, check_packages
    from ..core.paths import overrides_dir

    ctx = context(args)
    problems = check_packages(ctx.index, [overrides_dir(ctx.root), ctx.workspace.overrides_dir])
    notes: list[str] = []
    if not args.packages_only:
        problems += _check_package(ctx, notes)
        selection = _current_selection(ctx)
        if selection:
            problems += check_buildroot(ctx.session, selection, notes)
        else:
            notes.append("Buildroot checks skipped: no configuration selected (set SKIFF_CONFIG)")
    if args.json:
        json.dump({"problems": problems, "notes": notes}, sys.stdout, indent=2)
        print()
    else:
        for line in notes:
            print(f"note: {line}")
        for line in problems:
            print(line)
        print(f"{len(problems)} problem(s) found" if problems else "No problems found.")
    return 1 if problems else 0
