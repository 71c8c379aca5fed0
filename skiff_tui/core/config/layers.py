"""The layer stack and everything merged from it (docs/behaviour.md#layers-and-merging).

Order: base/pre, the chain, base/post, overrides/, overrides/workspaces/<ws>/. (base/post sits
before the override layers so a user's overrides always have the last word.) The base layers are
skiff's `configs/base/` or a SkiffOS tree's `configs-base/` (core/config/base.py).
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .. import paths
from ..atomic import is_temp_name
from ..errors import LayerError, read_user_text
from ..library.packages import BASE_NAMESPACE, PackageIndex
from ..library.resolve import Chain
from ..workspace import Workspace
from .base import Base
from .fragments import (
    LINE_BREAKS,
    Assignment,
    MergedFragment,
    Origin,
    fragment_files,
    quote,
    read_fragment,
    split_lines,
)

FRAGMENT_KINDS = ("buildroot", "kernel", "busybox", "uboot")
# Where each merged non-Buildroot fragment is referenced from the Buildroot config.
FRAGMENT_SYMBOLS = {
    "kernel": "BR2_LINUX_KERNEL_CONFIG_FRAGMENT_FILES",
    "busybox": "BR2_PACKAGE_BUSYBOX_CONFIG_FRAGMENT_FILES",
    "uboot": "BR2_TARGET_UBOOT_CONFIG_FRAGMENT_FILES",
}
# The package each fragment configures. With it off (virt/docker builds no kernel) Buildroot drops
# the fragment-files symbol: nothing is left to configure, so that is not a value that failed.
FRAGMENT_OWNERS = {"kernel": "BR2_LINUX_KERNEL", "busybox": "BR2_PACKAGE_BUSYBOX", "uboot": "BR2_TARGET_UBOOT"}


def fragment_owner(symbol: str) -> str | None:
    """BR2_LINUX_KERNEL for BR2_LINUX_KERNEL_CONFIG_FRAGMENT_FILES, and so on; None for other symbols."""
    for kind, fragment_symbol in FRAGMENT_SYMBOLS.items():
        if symbol == fragment_symbol:
            return FRAGMENT_OWNERS[kind]
    return None


PATCH_SYMBOLS = {
    "buildroot_patches": "BR2_GLOBAL_PATCH_DIR",
    "kernel_patches": "BR2_LINUX_KERNEL_PATCH",
    "uboot_patches": "BR2_TARGET_UBOOT_PATCH",
}
HOOK_SYMBOLS = {"pre": "BR2_ROOTFS_POST_BUILD_SCRIPT", "post": "BR2_ROOTFS_POST_IMAGE_SCRIPT"}
GENERATED = "skiff"  # layer name of values the engine computes from the stack
# SkiffOS's base leaves REPLACEME_<WHAT> tokens in Buildroot values for the configure step to fill.
PLACEHOLDER = "REPLACEME_"
EXTERNAL_FILES = ("external.desc", "Config.in", "external.mk")


@dataclass(frozen=True)
class Layer:
    name: str
    path: Path
    kind: str  # "base" | "package" | "override"


@dataclass(frozen=True)
class External:
    name: str
    path: Path
    layer: str


@dataclass
class MergedConfig:
    layers: list[Layer]
    final_dir: Path
    fragments: dict[str, MergedFragment]
    cflags: list[tuple[str, Origin]] = field(default_factory=list)
    externals: list[External] = field(default_factory=list)
    overlays: list[Path] = field(default_factory=list)
    patches: dict[str, list[Path]] = field(default_factory=dict)
    users: list[tuple[Path, str]] = field(default_factory=list)  # (file, text)
    hooks: dict[str, list[tuple[Layer, Path]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def buildroot(self) -> MergedFragment:
        return self.fragments["buildroot"]

    # Files configure writes into the final-config directory, relative names -> text.
    def fragment_path(self, kind: str) -> Path:
        return self.final_dir / kind / "config"

    @property
    def users_path(self) -> Path:
        return self.final_dir / "users"

    def hook_path(self, which: str) -> Path:
        return self.final_dir / ("pre_build.sh" if which == "pre" else "post_image.sh")

    @property
    def env_path(self) -> Path:
        return self.final_dir / "env.sh"


def build_stack(
    root: Path, index: PackageIndex, chain: Chain, workspace: Workspace, base: Base | None = None
) -> list[Layer]:
    base_dir = paths.base_configs_dir(root) / BASE_NAMESPACE if base is None else base.dir
    label = BASE_NAMESPACE if base is None else base.label
    stack: list[Layer] = []
    if (base_dir / "pre").is_dir():
        stack.append(Layer(f"{label}/pre", base_dir / "pre", "base"))
    stack += [Layer(p.name, p.path, "package") for p in chain.packages]
    if (base_dir / "post").is_dir():
        stack.append(Layer(f"{label}/post", base_dir / "post", "base"))
    overrides = paths.overrides_dir(root)
    if overrides.is_dir():
        stack.append(Layer("overrides", overrides, "override"))
    if workspace.overrides_dir.is_dir():
        stack.append(Layer(f"overrides/workspaces/{workspace.name}", workspace.overrides_dir, "override"))
    return stack


def read_external(layer: Layer) -> External:
    ext = layer.path / "buildroot_ext"
    for name in EXTERNAL_FILES:
        if not (ext / name).is_file():
            raise LayerError(
                f"BR2_EXTERNAL tree is missing {name}",
                path=ext,
                hint="an external tree needs external.desc (name:), Config.in and external.mk",
            )
    desc = ext / "external.desc"
    for lineno, line in enumerate(desc.read_text(errors="replace").splitlines(), 1):
        match = re.match(r"\s*name\s*:\s*(\S*)\s*$", line)
        if match:
            name = match.group(1)
            if not re.fullmatch(r"[A-Za-z0-9_]+", name):
                raise LayerError(f"invalid external name {name!r} (letters, digits and _ only)", path=desc, line=lineno)
            return External(name, ext, layer.name)
    raise LayerError("external.desc has no 'name:' line", path=desc)


def read_cflags(path: Path, layer: str) -> list[tuple[str, Origin]]:
    out = []
    for lineno, line in enumerate(split_lines(read_user_text(path, LayerError, "cflags file")), 1):
        bad = LINE_BREAKS.search(line)
        if bad:
            raise LayerError(f"cflags line contains {bad.group()!r}; flags must be plain text", path=path, line=lineno)
        text = line.strip()
        if text and not text.startswith("#"):
            out.append((text, Origin(layer, path, lineno)))
    return out


def merge(stack: list[Layer], final_dir: Path) -> MergedConfig:
    fragments = {kind: MergedFragment(kind) for kind in FRAGMENT_KINDS}
    merged = MergedConfig(
        layers=stack,
        final_dir=final_dir,
        fragments=fragments,
        patches={k: [] for k in PATCH_SYMBOLS},
        hooks={"pre": [], "post": []},
    )
    seen_externals: dict[str, External] = {}
    for layer in stack:
        for kind in FRAGMENT_KINDS:
            for file in fragment_files(layer.path / kind):
                fragments[kind].extend(read_fragment(file, layer=layer.name, root=layer.path, skipped=merged.notes))
        for file in fragment_files(layer.path / "cflags"):
            merged.cflags += read_cflags(file, layer.name)
        if (layer.path / "buildroot_ext").is_dir():
            ext = read_external(layer)
            if ext.name in seen_externals:
                raise LayerError(
                    f"external name {ext.name!r} is also used by {seen_externals[ext.name].layer}",
                    path=ext.path / "external.desc",
                    hint="each BR2_EXTERNAL tree needs a unique name:",
                )
            seen_externals[ext.name] = ext
            merged.externals.append(ext)
        for dirname in PATCH_SYMBOLS:
            if (layer.path / dirname).is_dir():
                merged.patches[dirname].append(layer.path / dirname)
        if (layer.path / "root_overlay").is_dir():
            merged.overlays.append(layer.path / "root_overlay")
        for file in fragment_files(layer.path / "users"):
            merged.users.append((file, read_user_text(file, LayerError, "users table")))
        for which in ("pre", "post"):
            hook = layer.path / "hooks" / f"{which}.sh"
            if hook.is_file():
                merged.hooks[which].append((layer, hook))
    _apply_generated(merged)
    return merged


def _apply_generated(merged: MergedConfig) -> None:
    """Set the Buildroot symbols the stack implies; provenance names the engine ("skiff")."""
    br = merged.buildroot

    def gen(symbol: str, value: str, why: str) -> None:
        br.set(symbol, value, Origin(GENERATED, None, None) if not why else Origin(f"{GENERATED}: {why}", None, None))

    for kind, symbol in FRAGMENT_SYMBOLS.items():
        if len(merged.fragments[kind]):
            gen(symbol, quote(str(merged.fragment_path(kind))), f"merged {kind} fragment")
    if merged.cflags:
        optimization = br.final("BR2_TARGET_OPTIMIZATION")
        if optimization is not None:
            first = optimization.origin
            merged.notes.append(
                f"BR2_TARGET_OPTIMIZATION set by {first} is replaced by the cflags/ files; "
                "move those flags into a cflags/ file"
            )
        gen("BR2_TARGET_OPTIMIZATION", quote(" ".join(f for f, _ in merged.cflags)), "cflags/")
    for dirname, symbol in PATCH_SYMBOLS.items():
        if merged.patches[dirname]:
            gen(symbol, quote(" ".join(map(str, merged.patches[dirname]))), f"{dirname}/")
    if merged.overlays:
        gen("BR2_ROOTFS_OVERLAY", quote(" ".join(map(str, merged.overlays))), "root_overlay/")
    if merged.users:
        gen("BR2_ROOTFS_USERS_TABLES", quote(str(merged.users_path)), "users/")
    for which, symbol in HOOK_SYMBOLS.items():
        if merged.hooks[which]:
            gen(symbol, quote(str(merged.hook_path(which))), f"hooks/{which}.sh")
    # A placeholder in a symbol skiff generates, with nothing in the stack to fill it (no U-Boot
    # patches, say), is dropped so Buildroot's empty default applies; skiff's own value above has
    # already replaced every placeholder that had something to fill it.
    generated = [
        *FRAGMENT_SYMBOLS.values(),
        *PATCH_SYMBOLS.values(),
        *HOOK_SYMBOLS.values(),
        "BR2_ROOTFS_OVERLAY",
        "BR2_ROOTFS_USERS_TABLES",
    ]
    for symbol in generated:
        final = br.final(symbol)
        if final is not None and PLACEHOLDER in (final.value or ""):
            del br.history[symbol]


def placeholder_values(merged: MergedConfig, version: str, commit: str) -> dict[str, str]:
    """What each REPLACEME_<WHAT> token stands for, as SkiffOS's configure step fills them."""

    def joined(items: Iterable[object]) -> str:
        return " ".join(map(str, items))

    return {
        # Longest first: REPLACEME_SKIFF_VERSION is a prefix of REPLACEME_SKIFF_VERSION_COMMIT.
        "REPLACEME_SKIFF_VERSION_COMMIT": commit,
        "REPLACEME_SKIFF_VERSION": version,
        "REPLACEME_FINAL_CONFIG_DIR": str(merged.final_dir),
        "REPLACEME_BR_PATCHES": joined(merged.patches["buildroot_patches"]),
        "REPLACEME_KERNEL_PATCHES": joined(merged.patches["kernel_patches"]),
        "REPLACEME_UBOOT_PATCHES": joined(merged.patches["uboot_patches"]),
        "REPLACEME_BUSYBOX_FRAGMENTS": str(merged.fragment_path("busybox")),
        "REPLACEME_KERNEL_FRAGMENTS": str(merged.fragment_path("kernel")),
        "REPLACEME_UBOOT_FRAGMENTS": str(merged.fragment_path("uboot")),
        "REPLACEME_ROOTFS_OVERLAY": joined(merged.overlays),
    }


def fill_placeholders(merged: MergedConfig, version: str, commit: str) -> None:
    """Replace REPLACEME_ tokens left in Buildroot values (host name, issue…). The value keeps
    its origin: the file and line that asked for the substitution."""
    tokens = placeholder_values(merged, version, commit)
    history = merged.buildroot.history
    for symbol, entries in history.items():
        final = entries[-1]
        if final.value is None or PLACEHOLDER not in final.value:
            continue
        value = final.value
        for token, text in tokens.items():
            value = value.replace(token, text.replace("\\", "\\\\").replace('"', '\\"'))
        entries[-1] = Assignment(symbol, value, final.origin)


def users_table(merged: MergedConfig) -> str:
    parts = []
    for file, text in merged.users:
        parts.append(f"# from {file}\n{text}" + ("" if text.endswith("\n") or not text else "\n"))
    return "".join(parts)


def hook_wrapper(merged: MergedConfig, which: str) -> str:
    """A script that sources the env file and runs each layer's hook in order, stopping at the first failure."""
    lines = [
        "#!/bin/bash",
        f"# {which} hooks of every layer, generated by skiff; do not edit.",
        "set -e",
        f". {shlex.quote(str(merged.env_path))}",
        'cd "$BUILDROOT_DIR"',
    ]
    for layer, hook in merged.hooks[which]:
        lines.append(f"echo {shlex.quote(f'skiff: running {which} hook of {layer.name}')}")
        lines.append(
            f"SKIFF_CURRENT_CONF_DIR={shlex.quote(str(layer.path))} "
            f'SKIFF_CURRENT_CONF_NAME={shlex.quote(layer.name)} {shlex.quote(str(hook))} "$@"'
        )
    return "\n".join(lines) + "\n"


def output_files(merged: MergedConfig) -> dict[Path, tuple[str, int | None]]:
    """Every file configure writes from the merge: path -> (text, mode)."""
    files: dict[Path, tuple[str, int | None]] = {
        merged.fragment_path(kind): (merged.fragments[kind].render(), None) for kind in FRAGMENT_KINDS
    }
    if merged.users:
        files[merged.users_path] = (users_table(merged), None)
    for which in ("pre", "post"):
        if merged.hooks[which]:
            files[merged.hook_path(which)] = (hook_wrapper(merged, which), 0o755)
    return files


def input_files(stack: list[Layer]) -> list[Path]:
    """Every file that can change the merge or the build: the digest covers all of them."""
    out: list[Path] = []
    for layer in stack:
        for dirpath, dirnames, filenames in os.walk(layer.path):
            dirnames.sort()
            if layer.kind == "override" and Path(dirpath) == layer.path and "workspaces" in dirnames:
                dirnames.remove("workspaces")  # other workspaces' layers are not inputs of this one
            for name in sorted(filenames):
                if not is_temp_name(name):  # a save in progress is not an input (yet)
                    out.append(Path(dirpath) / name)
    return out
