"""Configuration packages: discovery from the three sources, metadata, precedence
(docs/behaviour.md#configuration-packages)."""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import PackageError, ResolveError

NAME_PART = re.compile(r"[A-Za-z0-9_]+\Z")
COMMAND_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*\Z")
ENV_PREFIX = "SKIFF_CONFIG_PATH_"
# Namespace of the repository's base layers (configs/base/pre, configs/base/post): never selectable.
BASE_NAMESPACE = "base"

# Directories a package (or override layer) may contribute, in the order shown to users.
LAYER_DIRS = (
    "buildroot",
    "kernel",
    "busybox",
    "uboot",
    "cflags",
    "buildroot_ext",
    "buildroot_patches",
    "kernel_patches",
    "uboot_patches",
    "root_overlay",
    "users",
    "hooks",
    "extensions",
    "resources",
    "scripts",
)


def is_valid_name(name: str) -> bool:
    parts = name.split("/")
    return len(parts) == 2 and all(NAME_PART.match(p) for p in parts)


def check_name(name: str, *, where: str | Path | None = None) -> str:
    if not is_valid_name(name):
        raise PackageError(
            f"invalid package name {name!r}: expected <namespace>/<name> using letters, digits and _", path=where
        )
    return name


def env_var_for(name: str) -> str:
    """SKIFF_CONFIG_PATH_<NS>_<NAME> for a package name, as SkiffOS spells it."""
    return ENV_PREFIX + name.upper().replace("/", "_")


@dataclass(frozen=True)
class Command:
    name: str
    description: str


@dataclass
class Package:
    name: str
    path: Path
    source: str  # "configs", "extra:<root>" or "env:<VAR>"
    description: str = ""
    dependencies: tuple[str, ...] = ()
    commands: tuple[Command, ...] = ()
    unlisted: bool = False
    buildtarget: str | None = None
    # Other names users search for (metadata/aliases): "rpi4", "raspberry pi 4".
    aliases: tuple[str, ...] = ()
    defects: list[str] = field(default_factory=list)
    # Set when the metadata could not be read: the package is listed as broken and using it
    # raises this error (one broken package must not take every other one down with it).
    error: PackageError | None = None

    @property
    def namespace(self) -> str:
        return self.name.split("/", 1)[0]

    @property
    def has_extensions(self) -> bool:
        return (self.path / "extensions").is_dir()

    @property
    def runnable_commands(self) -> tuple[Command, ...]:
        """Commands that can run: only a package with extensions/ has them (as SkiffOS lists them)."""
        return self.commands if self.has_extensions else ()

    def layer_dirs(self) -> list[str]:
        return [d for d in LAYER_DIRS if (self.path / d).exists()]


def _read_metadata(path: Path) -> str | None:
    """Text of a metadata file, or None if absent. Garbage bytes are an error naming the file."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise PackageError("metadata entry is a directory, expected a text file", path=path) from None
    except OSError as exc:
        raise PackageError(f"cannot read metadata: {exc.strerror}", path=path) from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad_line = data[: exc.start].count(b"\n") + 1
        raise PackageError("not valid UTF-8 text; fix or delete the file", path=path, line=bad_line) from exc
    for lineno, line in enumerate(text.splitlines(), 1):
        if any(ord(c) < 32 and c not in "\t\r" for c in line):
            raise PackageError("control characters in metadata; fix or delete the file", path=path, line=lineno)
    return text


def split_names(text: str) -> list[str]:
    """Names separated by commas and/or whitespace; blanks ignored."""
    return [t for t in re.split(r"[,\s]+", text) if t]


def split_aliases(text: str) -> tuple[str, ...]:
    """Search aliases: one per line and/or comma-separated; inner spaces kept ("rpi 4")."""
    out = []
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        for alias in line.split(","):
            alias = " ".join(alias.split())
            if alias and alias not in out:
                out.append(alias)
    return tuple(out)


def load_package(name: str, path: Path, source: str) -> Package:
    meta = path / "metadata"
    pkg = Package(name=name, path=path, source=source)
    text = _read_metadata(meta / "description")
    if text is not None:
        pkg.description = text.strip().splitlines()[0].strip() if text.strip() else ""
    text = _read_metadata(meta / "dependencies")
    if text is not None:
        deps = split_names(text)
        for dep in deps:
            check_name(dep, where=meta / "dependencies")
        pkg.dependencies = tuple(deps)
    text = _read_metadata(meta / "commands")
    if text is not None:
        commands = []
        # splitlines() keeps a last line without a trailing newline (SkiffOS drops it: differs).
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cmd, _, desc = line.strip().partition(" ")
            if not COMMAND_NAME.match(cmd):
                raise PackageError(f"invalid command name {cmd!r}", path=meta / "commands", line=lineno)
            commands.append(Command(cmd, desc.strip()))
        pkg.commands = tuple(commands)
        if commands and not pkg.has_extensions:
            pkg.defects.append(f"{meta / 'commands'}: declares commands but has no extensions/ directory")
    pkg.unlisted = (meta / "unlisted").exists()
    text = _read_metadata(meta / "aliases")
    if text is not None:
        pkg.aliases = split_aliases(text)
    text = _read_metadata(meta / "buildtarget")
    if text is not None and text.strip():
        pkg.buildtarget = text.strip().split()[0]
    return pkg


def _is_dir(entry: os.DirEntry[str], warnings: list[str]) -> bool:
    """entry.is_dir(), with a link loop or an unreadable entry a warning instead of a traceback."""
    try:
        return entry.is_dir()
    except OSError as exc:
        warnings.append(f"{entry.path}: {exc.strerror.lower() if exc.strerror else exc}; ignored")
        return False


def _scan_root(root: Path, warnings: list[str]) -> dict[str, Path]:
    """name -> directory for every <ns>/<name> under root. Unreadable roots only warn."""
    found: dict[str, Path] = {}
    try:
        namespaces = sorted(os.scandir(root), key=lambda e: e.name)
    except FileNotFoundError:
        warnings.append(f"{root}: configs path does not exist; ignored")
        return found
    except OSError as exc:
        warnings.append(f"{root}: cannot read configs path ({exc.strerror}); ignored")
        return found
    for ns in namespaces:
        if ns.name.startswith(".") or not _is_dir(ns, warnings):
            continue
        try:
            entries = sorted(os.scandir(ns.path), key=lambda e: e.name)
        except OSError as exc:
            warnings.append(f"{ns.path}: cannot read ({exc.strerror}); ignored")
            continue
        for entry in entries:
            if entry.name.startswith(".") or not _is_dir(entry, warnings):
                continue
            name = f"{ns.name}/{entry.name}"
            if not is_valid_name(name):
                warnings.append(f"{entry.path}: invalid package name {name!r}; ignored (use letters, digits and _)")
                continue
            found[name] = Path(entry.path)
    return found


@dataclass
class PackageIndex:
    packages: dict[str, Package]
    roots: list[Path]
    warnings: list[str] = field(default_factory=list)
    # SKIFF_CONFIG_PATH_<NS>_<NAME> variables that name no package in any root: as in SkiffOS,
    # selecting <ns>/<name> then finds the package through the variable alone.
    env_only: dict[str, Path] = field(default_factory=dict)

    def __contains__(self, name: str) -> bool:
        return name in self.packages

    def get(self, name: str, *, needed_by: str | None = None) -> Package:
        pkg = self.packages.get(name)
        if pkg is None and is_valid_name(name) and env_var_for(name) in self.env_only:
            path = self.env_only[env_var_for(name)]
            if not path.is_dir():
                raise PackageError(f"{env_var_for(name)} names a directory that does not exist", path=path)
            pkg = self.packages[name] = load_package(name, path.resolve(), f"env:{env_var_for(name)}")
        if pkg is not None:
            if pkg.error is not None:
                raise pkg.error
            return pkg
        check_name(name)
        close = difflib.get_close_matches(name, list(self.packages), n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}?" if close else "run 'skiff list --all' to see every package"
        who = f" (needed by {needed_by})" if needed_by else ""
        raise ResolveError(f"unknown package {name!r}{who}", hint=hint)

    def listed(self, include_unlisted: bool = False) -> list[Package]:
        return [p for n, p in sorted(self.packages.items()) if include_unlisted or not p.unlisted]


def extra_roots(env: dict[str, str]) -> list[Path]:
    value = env.get("SKIFF_EXTRA_CONFIGS_PATH", "")
    return [Path(p).expanduser() for p in value.split(":") if p.strip()]


def discover(configs_dirs: Path | list[Path], env: dict[str, str] | None = None) -> PackageIndex:
    """Every package, first definition winning: env var, then extra roots in order, then the
    configs directories in order (the project's, then the library: see paths.package_roots)."""
    env = dict(os.environ) if env is None else env
    own = [configs_dirs] if isinstance(configs_dirs, Path) else list(configs_dirs)
    warnings: list[str] = []
    sources: dict[str, tuple[Path, str]] = {}
    roots = extra_roots(env) + own
    for root in roots:
        label = "configs" if root in own else f"extra:{root}"
        for name, path in _scan_root(root, warnings).items():
            if root in own and name.split("/")[0] == BASE_NAMESPACE:
                continue
            sources.setdefault(name, (path, label))

    by_var: dict[str, str] = {}
    for name in sources:
        var = env_var_for(name)
        if var in by_var:
            raise PackageError(
                f"packages {by_var[var]!r} and {name!r} both map to {var}; rename one of them", path=sources[name][0]
            )
        by_var[var] = name
    env_only: dict[str, Path] = {}
    for var, value in env.items():
        if not var.startswith(ENV_PREFIX) or not value:
            continue
        path = Path(value).expanduser()
        named = by_var.get(var)
        if named is None:
            env_only[var] = path  # resolved by name when selected (the variable alone can't say it)
            continue
        if not path.is_dir():
            raise PackageError(f"{var} names a directory that does not exist", path=path)
        sources[named] = (path, f"env:{var}")

    packages = {}
    for name, (path, label) in sorted(sources.items()):
        try:
            packages[name] = load_package(name, path.resolve(), label)
        except PackageError as exc:
            packages[name] = Package(
                name=name,
                path=path.resolve(),
                source=label,
                description="(broken: see skiff check)",
                defects=[str(exc)],
                error=exc,
            )
            warnings.append(f"{name} is broken: {exc}")
    return PackageIndex(packages=packages, roots=roots, warnings=warnings, env_only=env_only)
