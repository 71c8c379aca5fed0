"""Which Buildroot make targets are builds. Only builds get a build record, a log under
skiff-logs/ and a place in `skiff logs --list` and the TUI's history; the others (graphs,
legal-info, source downloads, config helpers, information) just run in the terminal."""

from __future__ import annotations

# Whole-tree targets that build nothing into the images.
NOT_BUILDS = frozenset(
    {
        "source",
        "external-deps",
        "legal-info",
        "graph-depends",
        "graph-build",
        "graph-size",
        "savedefconfig",
        "update-defconfig",
        "show-info",
        "show-targets",
        "show-vars",
        "printvars",
        "help",
        "list-defconfigs",
        "defconfig",
        "olddefconfig",
        "oldconfig",
        "syncconfig",
        "alldefconfig",
        "allyesconfig",
        "allnoconfig",
        "randconfig",
        "menuconfig",
        "nconfig",
        "xconfig",
        "gconfig",
        "manual",
        "manual-html",
        "manual-pdf",
        "manual-text",
        "manual-epub",
        "check-package",
        "clean",
        "distclean",
        "br2-external",
    }
)
# Per-package targets (`<pkg>-<suffix>`) of the same kind.
NOT_BUILD_SUFFIXES = (
    "-source",
    "-legal-info",
    "-graph-depends",
    "-graph-rdepends",
    "-show-info",
    "-show-depends",
    "-show-rdepends",
    "-show-recursive-depends",
    "-show-recursive-rdepends",
    "-show-version",
    "-menuconfig",
    "-nconfig",
    "-xconfig",
    "-gconfig",
    "-savedefconfig",
    "-update-defconfig",
    "-update-config",
    "-diff-config",
    "-external-deps",
    "-dirclean",
)


def is_build(target: str) -> bool:
    """True for targets that build (`all`, `<pkg>`, `<pkg>-rebuild`, `linux-reconfigure`, …)."""
    target = target.strip()
    if target in NOT_BUILDS or target.startswith(("printvars", "VARS=")):
        return False
    return not target.endswith(NOT_BUILD_SUFFIXES)
