"""Which base layers (pre/ and post/) a build stands on: skiff's own or a SkiffOS tree's.

SKIFF_BASE picks: unset or `auto` uses SkiffOS's `configs-base/` when an extra configs root is
a SkiffOS tree's `configs/` (packages written for that base get it), else skiff's `configs/base/`;
`skiff` and `skiffos` force one; any other value containing `/` is a directory holding pre/ and
post/. The reasoning is in docs/from-skiffos.md ("Building on SkiffOS's base").
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import paths
from ..errors import LayerError
from ..library.packages import BASE_NAMESPACE, extra_roots

SKIFFOS_BASE_DIR = "configs-base"  # beside a SkiffOS tree's configs/


@dataclass(frozen=True)
class Base:
    kind: str  # "skiff" | "skiffos" | "custom"
    dir: Path  # holds pre/ and post/
    tree: Path | None  # the SkiffOS tree (its resources/), when kind is "skiffos"
    why: str  # one line for configure's notes

    @property
    def label(self) -> str:
        """Layer-name prefix, so provenance says whose base a value came from."""
        return BASE_NAMESPACE if self.kind == "skiff" else SKIFFOS_BASE_DIR


def skiffos_tree_of(root: Path) -> Path | None:
    """The SkiffOS tree an extra configs root belongs to (its parent holds configs-base/pre)."""
    parent = root.expanduser().resolve().parent
    return parent if (parent / SKIFFOS_BASE_DIR / "pre").is_dir() else None


def find_skiffos_tree(env: dict[str, str]) -> Path | None:
    for root in extra_roots(env):
        tree = skiffos_tree_of(root)
        if tree is not None:
            return tree
    return None


def choose_base(root: Path, env: dict[str, str]) -> Base:
    own = Base("skiff", paths.base_configs_dir(root) / BASE_NAMESPACE, None, "")
    wanted = env.get("SKIFF_BASE", "").strip()
    if wanted in ("", "auto"):
        tree = find_skiffos_tree(env)
        if tree is None:
            return own
        return Base(
            "skiffos",
            tree / SKIFFOS_BASE_DIR,
            tree,
            f"building on SkiffOS's base {tree / SKIFFOS_BASE_DIR} (SKIFF_EXTRA_CONFIGS_PATH points "
            "into that tree; SKIFF_BASE=skiff uses skiff's own base)",
        )
    if wanted == "skiff":
        return own
    if wanted == "skiffos":
        tree = find_skiffos_tree(env)
        if tree is None:
            raise LayerError(
                "SKIFF_BASE=skiffos, but no SKIFF_EXTRA_CONFIGS_PATH root is a SkiffOS tree's configs/",
                hint="point SKIFF_EXTRA_CONFIGS_PATH at <SkiffOS>/configs (with <SkiffOS>/configs-base "
                "beside it), or set SKIFF_BASE=<dir holding pre/ and post/>",
            )
        return Base("skiffos", tree / SKIFFOS_BASE_DIR, tree, f"building on SkiffOS's base {tree / SKIFFOS_BASE_DIR}")
    if "/" in wanted:
        path = Path(wanted).expanduser().resolve()
        if not (path / "pre").is_dir():
            raise LayerError(
                "SKIFF_BASE names a directory without a pre/ layer",
                path=path,
                hint="SKIFF_BASE takes auto, skiff, skiffos, or a directory holding pre/ and post/",
            )
        tree = path.parent if path.name == SKIFFOS_BASE_DIR else None
        return Base("skiffos" if tree else "custom", path, tree, f"building on the base layers in {path}")
    raise LayerError(
        f"SKIFF_BASE={wanted!r} is not understood",
        hint="use auto (default), skiff, skiffos, or a directory holding pre/ and post/",
    )
