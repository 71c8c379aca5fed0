"""skiff check: package defects, and (with a Buildroot tree) values Buildroot would not accept."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..config.fragments import fragment_files, read_fragment, unquote
from ..config.layers import FRAGMENT_KINDS, Layer, fragment_owner, read_external
from ..errors import ResolveError, SkiffError, read_user_text
from ..library.packages import Package, PackageIndex
from . import buildroot

if TYPE_CHECKING:
    import kconfiglib  # untyped: its objects are Any to mypy

    from ..session import Session

TARGET = re.compile(r"^([A-Za-z0-9_.%/-]+(?:\s+[A-Za-z0-9_.%/-]+)*)\s*::?(?!=)", re.M)


def makefile_targets(makefile: Path) -> set[str]:
    try:
        text = makefile.read_text(errors="replace")
    except OSError:
        return set()
    return {t for match in TARGET.finditer(text) for t in match.group(1).split()}


def check_users_table(path: Path) -> list[str]:
    """Buildroot makeusers lines: user uid group gid password home shell groups comment…"""
    problems = []
    for lineno, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if len(fields) < 8:
            problems.append(
                f"{path}:{lineno}: users line has {len(fields)} fields, Buildroot's makeusers "
                "needs 8 (user uid group gid password home shell groups [comment])"
            )
        elif not all(re.fullmatch(r"-?\d+", f) for f in (fields[1], fields[3])):
            problems.append(f"{path}:{lineno}: uid and gid must be numbers (-1 lets Buildroot choose)")
    return problems


def check_hook_syntax(hook: Path) -> list[str]:
    """`bash -n` on shell hooks: a syntax error otherwise surfaces an hour into a build."""
    first = hook.read_text(errors="replace").split("\n", 1)[0]
    if first.startswith("#!") and not re.search(r"\b(ba)?sh\b", first):
        return []  # not a shell script
    try:
        result = subprocess.run(["bash", "-n", str(hook)], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return []
    if result.returncode == 0:
        return []
    first_error = (result.stderr.strip().splitlines() or ["syntax error"])[0]
    return [f"{hook}: shell syntax error: {first_error.split(': ', 1)[-1]}"]


def check_core_yaml(path: Path) -> list[str]:
    from ..config import coreyaml

    try:
        text = read_user_text(path, coreyaml.CoreYamlError, "skiff-core config")
    except SkiffError as exc:
        return [str(exc)]
    problems = coreyaml.errors(coreyaml.validate_text(text, path=path))
    return [f"{path}:{p.line}: skiff-core config: {p.message}" for p in problems]


def check_layer_contents(path: Path) -> list[str]:
    """Checks that apply to packages and override layers alike."""
    from ..config.coreyaml import LAYER_FILE

    problems = []
    for file in fragment_files(path / "users"):
        problems += check_users_table(file)
    for which in ("pre", "post"):
        hook = path / "hooks" / f"{which}.sh"
        if hook.is_file():
            problems += check_hook_syntax(hook)
    core = path / LAYER_FILE
    if core.is_file():
        problems += check_core_yaml(core)
    elif core.exists() or core.is_symlink():
        problems.append(f"{core}: skiff-core config is not a regular file (a directory or a broken link?)")
    return problems


def check_package(pkg: Package, index: PackageIndex) -> list[str]:
    problems = list(pkg.defects)
    if pkg.error is not None:
        return problems
    meta = pkg.path / "metadata"
    for dep in pkg.dependencies:
        if dep not in index:
            problems.append(f"{meta / 'dependencies'}: depends on unknown package {dep!r}")
    if pkg.commands and pkg.has_extensions:
        targets = makefile_targets(pkg.path / "extensions" / "Makefile")
        for cmd in pkg.commands:
            if cmd.name not in targets:
                problems.append(f"{meta / 'commands'}: command {cmd.name!r} has no target in extensions/Makefile")
    layer = Layer(pkg.name, pkg.path, "package")
    if (pkg.path / "buildroot_ext").is_dir():
        try:
            read_external(layer)
        except SkiffError as exc:
            problems.append(str(exc))
    for kind in FRAGMENT_KINDS:
        for file in fragment_files(pkg.path / kind):
            try:
                read_fragment(file, layer=pkg.name, root=pkg.path)
            except SkiffError as exc:
                problems.append(str(exc))
    for which in ("pre", "post"):
        hook = pkg.path / "hooks" / f"{which}.sh"
        if hook.is_file() and not os.access(hook, os.X_OK):
            problems.append(f"{hook}: hook is not executable (chmod +x it)")
    return problems + check_layer_contents(pkg.path)


def dependency_cycles(index: PackageIndex) -> list[str]:
    """One line per dependency cycle among the index's packages (each reported once)."""
    from ..library.resolve import resolve

    seen: set[frozenset[str]] = set()
    out = []
    for pkg in index.packages.values():
        if pkg.error is not None:
            continue
        try:
            resolve(index, [pkg.name])
        except ResolveError as exc:
            if not exc.message.startswith("dependency cycle:"):
                continue
            members = frozenset(exc.message.split(":", 1)[1].strip().split(" -> "))
            if members not in seen:
                seen.add(members)
                first = exc.message.split(":", 1)[1].strip().split(" -> ")[0]
                out.append(
                    f"{index.packages[first].path / 'metadata' / 'dependencies'}: {exc.message} "
                    "(remove one of these dependencies)"
                )
        except SkiffError:
            continue  # unknown dependencies are reported by check_package
    return out


def check_packages(index: PackageIndex, override_layers: Sequence[Path] = ()) -> list[str]:
    problems: list[str] = []
    for pkg in index.packages.values():
        try:
            problems += check_package(pkg, index)
        except SkiffError as exc:  # one broken package is one line; the others are still checked
            problems.append(str(exc))
        except OSError as exc:
            problems.append(f"{exc.filename or pkg.path}: cannot read ({exc.strerror})")
    problems += dependency_cycles(index)
    for layer in override_layers:
        if layer.is_dir():
            for kind in FRAGMENT_KINDS:
                for file in fragment_files(layer / kind):
                    try:
                        read_fragment(file, layer=str(layer), root=layer)
                    except SkiffError as exc:
                        problems.append(str(exc))
            problems += check_layer_contents(layer)
    return problems


def _requested_matches(sym: kconfiglib.Symbol, requested: str | None) -> bool:
    import kconfiglib

    got: str = sym.str_value
    if requested is None:
        return got in ("n", "")
    if sym.orig_type in (kconfiglib.BOOL, kconfiglib.TRISTATE):
        return got == requested
    if sym.orig_type == kconfiglib.STRING:
        return got == unquote(requested)
    if sym.orig_type in (kconfiglib.INT, kconfiglib.HEX):
        try:
            return int(got, 0) == int(requested, 0)
        except ValueError:
            return got == requested
    return got == requested


def check_buildroot(session: Session, selection: list[str], notes: list[str]) -> list[str]:
    """Symbols Buildroot does not know and requested values that Kconfig resolution changes."""
    import kconfiglib

    from .configure import plan

    p = plan(session, selection)
    if p.buildroot_src is None:
        notes.append(
            "Buildroot checks skipped: no Buildroot tree (set SKIFF_BUILDROOT_SRC, or run "
            "'skiff configure' once to fetch the pinned release)"
        )
        return []
    problems = []
    with tempfile.TemporaryDirectory(prefix="skiff-check-") as tmp:
        config = Path(tmp) / "defconfig"
        config.write_text(p.merged.buildroot.render())
        kconf = buildroot.load_kconfig(
            p.buildroot_src, Path(tmp), [(e.name, e.path) for e in p.merged.externals], config
        )
    requested = p.merged.buildroot.values()
    for symbol, history in p.merged.buildroot.history.items():
        final = history[-1]
        sym = kconf.syms.get(symbol)
        if (
            sym is not None
            and sym.choice is not None
            and final.value == "y"
            and sym.choice.selection is not None
            and requested.get(sym.choice.selection.name) == "y"
        ):
            continue  # another layer picked a different member of this choice: an override
        owner = fragment_owner(symbol)
        if owner and kconf.syms.get(owner) is not None and kconf.syms[owner].str_value != "y":
            continue  # a fragment for a package the stack switched off (no kernel): nothing to configure
        where = f"{final.origin.path}:{final.origin.line}" if final.origin.path else final.origin.layer
        if sym is None or not sym.nodes:
            problems.append(
                f"{where}: {symbol} is not a Buildroot {buildroot.tree_version(p.buildroot_src) or ''} "
                "symbol (misspelt, or removed from Buildroot)"
            )
        elif not _requested_matches(sym, final.value):
            deps = kconfiglib.expr_str(sym.direct_dep)
            problems.append(
                f"{where}: {symbol} requested {final.shown_value}, Buildroot gives "
                f"{sym.str_value or 'n'} (depends on: {deps})"
            )
    notes.append(
        f"checked {len(p.merged.buildroot)} Buildroot values of {','.join(p.chain.names)} against {p.buildroot_src}"
    )
    return problems
