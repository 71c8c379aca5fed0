"""Capture goldens by running SkiffOS's own scripts on the tree of make_tree.py.

Usage: python tests/compat/capture_goldens.py [SKIFFOS_DIR]   (default $SKIFFOS_DIR or /tmp/skiffos)

For each selection in SELECTIONS this builds a scratch SkiffOS root (symlinks to the checkout's
Makefile, build/, scripts/, configs/, configs-base/, resources/; its own empty overrides/ and
workspaces/; a stand-in buildroot/ whose only job is to stop after SkiffOS wrote its merged
config), then runs, with a clean environment:
  make env         -> SKIFF_CONFIG (the chain SkiffOS computed), command lists, build target
  make configure   -> $SKIFF_FINAL_CONFIG_DIR/{buildroot,kernel,busybox,uboot}/config, users,
                      pre_build.sh, post_build.sh, cflags, and the BR2_EXTERNAL it passes to make
and writes tests/compat/golden/<id>.json plus golden/_meta.json. Nothing of SkiffOS is copied
into this repository: the goldens are data produced by running it. See golden/README.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import make_tree  # noqa: E402

GOLDEN_DIR = HERE / "golden"
WORKSPACE = "compat"

# id -> (SKIFF_CONFIG, override variants). Ids starting with "differs_" are the docs/behaviour.md#resolution case: a
# dependency that ends up after its dependent in SkiffOS's chain (listed after it by the user, by
# a dependency list, or pulled in late by another package); skiff moves it before.
SELECTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "single_base": ("sys/base", ()),
    "single_docker": ("ctr/docker", ()),
    "depth5_debian": ("distro/debian", ()),
    "board_rpi4": ("rpi/4", ()),
    "rpi4_docker_8layers": ("rpi/4,ctr/docker", ()),
    "rpi4_debian": ("rpi/4,distro/debian", ()),
    "diamond_kiosk": ("ui/kiosk", ()),
    "x86_desktop_alpine": ("x86/desktop,distro/alpine", ()),
    "differs_declared_pinebk_phone": ("pinebk/phone", ()),
    "differs_user_tegra_core": ("tegra/agx,sys/core", ()),
    "differs_user_docker_runc": ("ctr/docker ctr/runc", ()),
    "odx_nonl_tmux": ("odx/xu4,tools/tmux", ()),
    "rpi_zero_flips": ("rpi/zero,tools/htop,dev/debug", ()),
    "vm_docker_buildtarget": ("vm/docker", ()),
    "mobile_crossns": ("mobile/pinephone2,net/bt", ()),
    "differs_pulled_late_drone": ("drone/voxl, fs/zfs ,sys/journal", ()),
    "docker_btrfs_flip": ("ctr/docker,fs/btrfs,distro/gentoo", ()),
    "riscv_deep_stack": ("riscv/vf2,ctr/stack", ()),
    "overrides_global": ("rpi/4,ctr/docker", ("global",)),
    "overrides_ws": ("odx/xu4,distro/debian", ("ws",)),
    "overrides_both": ("ui/kiosk,rpi/5", ("global", "ws")),
    "messy_selection": ("  rpi/3 ,, sys/users  net/wireguard,rpi/3 ", ()),
}

STANDIN_BUILDROOT = """\
# Stand-in for Buildroot, used only while capturing goldens: `make O=<ws> defconfig` makes the
# workspace; the workspace's `make defconfig` records BR2_EXTERNAL and keeps BR2_DEFCONFIG as .config.
defconfig:
\t@mkdir -p $(O)
\t@cp $(CURDIR)/workspace.mk $(O)/Makefile
\t@touch $(O)/.config
"""
STANDIN_WORKSPACE = """\
defconfig:
\t@printf '%s\\n' "$(BR2_EXTERNAL)" > br2_external
\t@cp "$(BR2_DEFCONFIG)" .config
"""
LINKED = ("Makefile", "build", "scripts", "configs", "configs-base", "resources")
ASSIGN = re.compile(r"([A-Za-z0-9_]+)=(.*)\Z")
NOT_SET = re.compile(r"# ([A-Za-z0-9_]+) is not set\Z")
FROM = re.compile(r"# Configuration from (.*)\Z")
# Symbols SkiffOS sets after every package (configs-base/post, REPLACEME_*, appended lines):
# compared as lists (overlays, patches) or not at all; our tree never sets them itself.
POST_SYMBOLS = {
    "BR2_DEFCONFIG",
    "BR2_GLOBAL_PATCH_DIR",
    "BR2_PACKAGE_BUSYBOX_CONFIG_FRAGMENT_FILES",
    "BR2_TARGET_UBOOT_CONFIG_FRAGMENT_FILES",
    "BR2_TARGET_UBOOT_PATCH",
    "BR2_LINUX_KERNEL_CONFIG_FRAGMENT_FILES",
    "BR2_LINUX_KERNEL_PATCH",
    "BR2_ROOTFS_OVERLAY",
    "BR2_ROOTFS_POST_IMAGE_SCRIPT",
    "BR2_ROOTFS_POST_BUILD_SCRIPT",
    "BR2_ROOTFS_USERS_TABLES",
    "BR2_CCACHE_DIR",
    "BR2_TARGET_OPTIMIZATION",
}


def tree_digest(tree: Path) -> str:
    """sha256 over every file (relative path, mode's exec bit, bytes) of a generated tree."""
    h = hashlib.sha256()
    for path in sorted(p for p in tree.rglob("*") if p.is_file()):
        rel = path.relative_to(tree).as_posix()
        h.update(rel.encode() + b"\0" + (b"x" if os.access(path, os.X_OK) else b"-") + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()


class Normaliser:
    """Replace the run's absolute paths with placeholders so goldens do not depend on tmp dirs."""

    def __init__(self, pairs: list[tuple[str, str]]):
        self.pairs = pairs

    def __call__(self, text: str) -> str:
        for real, token in self.pairs:
            text = text.replace(real, token)
        return text


def scratch_root(skiffos: Path, base: Path) -> Path:
    root = base / "skiffos-root"
    root.mkdir()
    for name in LINKED:
        (root / name).symlink_to(skiffos / name)
    (root / "overrides").mkdir()
    (root / "workspaces").mkdir()
    (root / "buildroot").mkdir()
    (root / "buildroot" / "Makefile").write_text(STANDIN_BUILDROOT)
    (root / "buildroot" / "workspace.mk").write_text(STANDIN_WORKSPACE)
    return root


def skiffos_env(tree: Path, config: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "TERM": "xterm",
        "LC_ALL": "C",
        "SKIFF_CONFIG": config,
        "SKIFF_EXTRA_CONFIGS_PATH": str(tree),
        "SKIFF_WORKSPACE": WORKSPACE,
    }


def run_make(root: Path, target: str, env: dict[str, str]) -> str:
    proc = subprocess.run(
        ["make", "--no-print-directory", target],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"make {target} failed ({proc.returncode}):\n{proc.stdout[-3000:]}")
    return proc.stdout


def parse_env(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        m = re.match(r"(SKIFF_[A-Za-z0-9_]+)=(.*)\Z", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def effective(text: str) -> dict[str, tuple[str | None, str]]:
    """symbol -> (value, source file) as Kconfig reads a file: the last assignment wins.

    The source is the file named by the latest '# Configuration from <file>' comment that
    SkiffOS's build_configs.sh writes before merging each fragment file.
    """
    out: dict[str, tuple[str | None, str]] = {}
    source = "?"
    for line in text.splitlines():
        m = FROM.match(line)
        if m:
            source = m.group(1)
            continue
        m = NOT_SET.match(line)
        if m:
            out.pop(m.group(1), None)
            out[m.group(1)] = (None, source)
            continue
        if line.startswith("#"):
            continue
        m = ASSIGN.match(line)
        if m:
            out.pop(m.group(1), None)
            out[m.group(1)] = (m.group(2), source)
    return out


def unquote(value: str | None) -> str:
    if value and len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value or ""


def is_ours(path: str) -> bool:
    return path.startswith(("@TREE@", "@OVERRIDES@", "@WS_OVERRIDES@"))


def capture_one(skiffos: Path, tree: Path, ident: str, config: str, variants: tuple[str, ...]) -> dict:
    with tempfile.TemporaryDirectory(prefix="skiffos-golden-") as tmp:
        root = scratch_root(skiffos, Path(tmp))
        for variant in variants:
            make_tree.write_overrides(root, variant, WORKSPACE)
        ws_over = root / "overrides" / "workspaces" / WORKSPACE
        final = root / "workspaces" / f".config_{WORKSPACE}"
        norm = Normaliser(
            [
                (f"{ws_over}/", "@WS_OVERRIDES@"),
                (str(ws_over), "@WS_OVERRIDES@"),
                (str(root / "overrides"), "@OVERRIDES@"),
                (str(tree), "@TREE@"),
                (f"{final}/", "@FINAL@/"),
                (str(final), "@FINAL@"),
                (str(root), "@SKIFFOS@"),
            ]
        )
        env = skiffos_env(tree, config)
        envout = parse_env(run_make(root, "env", env))
        chain = [c for c in envout["SKIFF_CONFIG"].split(",") if c]
        commands = {}
        for name in chain:
            full = name.upper().replace("/", "_")
            listed = envout.get(f"SKIFF_{full}_COMMAND_LIST", "").split()
            if listed:
                commands[name] = [
                    [c, envout.get(f"SKIFF_{full}_COMMAND_{c.upper().replace('-', '_')}_DESCRIP", "")] for c in listed
                ]
        log = run_make(root, "configure", env)

        fragments, sources = {}, {}
        for kind in ("buildroot", "kernel", "busybox", "uboot"):
            eff = effective(norm((final / kind / "config").read_text()))
            fragments[kind] = {s: v for s, (v, src) in eff.items() if is_ours(src) and s not in POST_SYMBOLS}
            sources[kind] = {s: src for s, (v, src) in eff.items() if is_ours(src) and s not in POST_SYMBOLS}
        br = effective(norm((final / "buildroot" / "config").read_text()))

        def path_list(symbol: str) -> list[str]:
            value = unquote(br.get(symbol, (None, ""))[0])
            return [p for p in value.split() if is_ours(p)]

        opt = br.get("BR2_TARGET_OPTIMIZATION")
        hooks = {}
        for which, script in (("pre", "pre_build.sh"), ("post", "post_build.sh")):
            lines = norm((final / script).read_text()).splitlines()
            hooks[which] = [
                m.group(2)
                for line in lines
                if (m := re.match(r'SKIFF_CURRENT_CONF_DIR="([^"]*)" (\S+)\Z', line)) and is_ours(m.group(2))
            ]
        externals = [
            p
            for p in norm((root / "workspaces" / WORKSPACE / "br2_external").read_text()).strip().split(":")
            if is_ours(p)
        ]
        users = [
            line
            for line in (final / "users").read_text().splitlines()
            if line.strip() and not line.lstrip().startswith("#")
        ]
        return {
            "id": ident,
            "expect_differs": ident.startswith("differs_"),
            "skiff_config": config,
            "overrides": list(variants),
            "workspace": WORKSPACE,
            "skiffos_chain": chain,
            "skiffos_config_paths": [norm(p) for p in envout.get("SKIFF_CONFIG_PATH", "").split()],
            "build_target_override": envout.get("SKIFF_BUILD_TARGET_OVERRIDE", ""),
            "commands": commands,
            "fragments": fragments,
            "fragment_sources": sources,
            "target_optimization": None if opt is None else unquote(opt[0]).split(),
            "cflags_file": (final / "cflags").read_text().split(),
            "overlays": path_list("BR2_ROOTFS_OVERLAY"),
            "patches": {
                "buildroot_patches": path_list("BR2_GLOBAL_PATCH_DIR"),
                "kernel_patches": path_list("BR2_LINUX_KERNEL_PATCH"),
                "uboot_patches": path_list("BR2_TARGET_UBOOT_PATCH"),
            },
            "externals": externals,
            "hooks": hooks,
            "users": users,
            "configure_log_lines": len(log.splitlines()),
        }


ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\x1b[=>]")


def capture_listing(skiffos: Path, tree: Path) -> dict:
    """`make help` with no SKIFF_CONFIG: the packages SkiffOS lists, with their descriptions."""
    names = {p.name for p in make_tree.all_packages()}
    with tempfile.TemporaryDirectory(prefix="skiffos-golden-") as tmp:
        root = scratch_root(skiffos, Path(tmp))
        env = skiffos_env(tree, "")
        del env["SKIFF_CONFIG"]
        text = ANSI.sub("", run_make(root, "help", env))
    listed = {}
    for line in text.splitlines():
        name, sep, desc = line.partition(": ")
        name = name.strip()
        if name in names:
            listed[name] = desc.strip() if sep else ""
    return {"id": "listing", "listed": dict(sorted(listed.items()))}


def main(argv: list[str]) -> int:
    skiffos = Path(argv[1] if len(argv) > 1 else os.environ.get("SKIFFOS_DIR", "/tmp/skiffos")).resolve()
    commit = subprocess.run(
        ["git", "-C", str(skiffos), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    describe = subprocess.run(
        ["git", "-C", str(skiffos), "describe", "--tags", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    GOLDEN_DIR.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="skiff-compat-tree-") as tmp:
        tree = Path(tmp).resolve() / "tree"
        make_tree.make_tree(tree)
        digest = tree_digest(tree)
        listing = capture_listing(skiffos, tree)
        (GOLDEN_DIR / "_listing.json").write_text(json.dumps(listing, indent=1, sort_keys=True) + "\n")
        print(f"listing: {len(listing['listed'])} packages of the tree listed")
        for ident, (config, variants) in SELECTIONS.items():
            golden = capture_one(skiffos, tree, ident, config, variants)
            (GOLDEN_DIR / f"{ident}.json").write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n")
            print(f"{ident}: {','.join(golden['skiffos_chain'])}")
    versions = {}
    for tool in (["bash", "--version"], ["make", "--version"]):
        versions[tool[0]] = subprocess.run(tool, capture_output=True, text=True).stdout.splitlines()[0]
    meta = {
        "skiffos_commit": commit,
        "skiffos_describe": describe,
        "tree_digest": digest,
        "selections": sorted(SELECTIONS),
        "tools": versions,
    }
    (GOLDEN_DIR / "_meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
