"""Where the skiff-core.yaml editor saves (an override layer's root overlay) and the text it starts
from: the layer's own copy, or what the stack would put in the image. The schema and validation
are in coreyaml."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .. import atomic, readonly
from ..config.coreyaml import LAYER_FILE, effective_file
from ..errors import SkiffError, read_user_text
from .overrides import OverrideError, OverrideLayer

if TYPE_CHECKING:
    from ..session import Session

EMPTY = "containers: {}\nusers: {}\nimages: {}\n"


@dataclass(frozen=True)
class CoreYamlPlace:
    """Where the skiff-core.yaml editor saves, and the text it starts from."""

    target: Path  # <layer>/root_overlay/opt/skiff/coreenv/defconfig.yaml
    text: str  # what the editor starts with
    origin: str  # where that text came from, for the user
    default: Path | None  # the chain's default (the last package that ships one)
    default_owner: str | None  # that package's name
    note: str = ""  # why the chain could not be used, if it could not


def _read(path: Path) -> str:
    return read_user_text(path, OverrideError, "skiff-core.yaml")


def coreyaml_place(session: Session, target_layer: OverrideLayer) -> CoreYamlPlace:
    """The layer's own copy if it has one; else what the stack would put in the image (another
    override layer's copy or the chain's default: the last package in the chain shipping one);
    else the skiff/core package's default; else an empty file."""
    from ..builds.configure import plan

    target = target_layer.path / LAYER_FILE
    default = owner = None
    effective: tuple[str, Path] | None = None
    note = ""
    try:
        stack = plan(session).stack
        names = {lay.path / LAYER_FILE: lay.name for lay in stack}
        found = effective_file([lay.path for lay in stack])
        default = effective_file([lay.path for lay in stack if lay.kind != "override"])
        if found is not None:
            effective = (names[found], found)
        if default is not None:
            owner = names[default]
    except SkiffError as exc:
        note = f"the workspace's chain is not known ({exc.message}); using skiff/core's default"
        try:
            pkg = session.index.get("skiff/core")
        except (SkiffError, AttributeError, KeyError):
            pkg = None
        if pkg is not None and (Path(pkg.path) / LAYER_FILE).is_file():
            default, owner = Path(pkg.path) / LAYER_FILE, pkg.name
            effective = (pkg.name, default)
    if target.is_file():
        return CoreYamlPlace(target, _read(target), f"your copy in {target_layer.label}", default, owner, note)
    if effective is not None:
        name, path = effective
        origin = f"{name}'s default" if path == default else f"the copy in {name}"
        return CoreYamlPlace(target, _read(path), origin, default, owner, note)
    return CoreYamlPlace(
        target, EMPTY, "an empty file (no package in the chain ships a skiff-core.yaml)", None, None, note
    )


@readonly.mutating("saving skiff-core.yaml")
def save_coreyaml(target_layer: OverrideLayer, text: str) -> Path:
    """Write the user's text (comments and all) into the layer, where the root overlay puts it
    over the package's default."""
    from ..masking import has_secrets

    # auth.password (or a key) inside: readable by its owner only, here and in the image.
    mode = 0o600 if has_secrets(text) else 0o644
    return atomic.write_text(target_layer.path / LAYER_FILE, text, within=target_layer.tree, mode=mode)
