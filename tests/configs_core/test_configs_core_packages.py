"""The base layers and the skiff/, core/, apps/, util/, virt/ and browser/ packages of configs/."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from skifftest import real_buildroot, requires_buildroot, requires_tools

from skiff_tui.core.config import coreyaml
from skiff_tui.core.config.fragments import fragment_files, read_fragment
from skiff_tui.core.library.packages import discover
from skiff_tui.core.library.resolve import resolve

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "configs"

CORE_DISTROS = [
    "core/alpine",
    "core/debian",
    "core/fedora",
    "core/gentoo",
    "core/ubuntu",
    "core/dietpi",
    "core/nasa_cfs",
    "core/nasa_fprime",
    "core/nixos",
    "core/nixos_xfce",
]
PACKAGES = [
    "skiff/core",
    "skiff/moduleimg",
    "skiff/noserial",
    "util/rootlogin",
    "util/noserial",
    "apps/runc",
    "apps/containerd",
    "apps/docker",
    "apps/podman",
    "virt/qemu",
    "virt/docker",
    "virt/virtualbox",
    "virt/wsl",
    "browser/v86",
    *CORE_DISTROS,
]
UNLISTED = {"skiff/moduleimg", "skiff/noserial", "util/rootlogin"}
BASE_LAYERS = [CONFIGS / "base" / "pre", CONFIGS / "base" / "post"]
FRAGMENT_KINDS = ("buildroot", "kernel", "busybox", "uboot")
DEFAULT_CORE_YAML = coreyaml.LAYER_FILE
EXPECTED_COMMANDS = {
    "virt/qemu": {"run"},
    "virt/docker": {"buildimage", "run", "exec"},
    "virt/virtualbox": {"run"},
}


@pytest.fixture(scope="module")
def index():
    return discover(CONFIGS, env={})


def package_dirs() -> list[tuple[str, Path]]:
    return [(name, CONFIGS / name) for name in PACKAGES] + [(f"base/{p.name}", p) for p in BASE_LAYERS]


# -- metadata ----------------------------------------------------------------------------------


def test_every_package_is_discovered_with_a_one_line_description(index):
    assert index.warnings == []
    for name in PACKAGES:
        pkg = index.get(name)
        assert pkg.source == "configs"
        text = (pkg.path / "metadata" / "description").read_text()
        assert text.strip(), name
        assert len(text.strip().splitlines()) == 1, f"{name}: description must be one line"
        assert pkg.description == text.strip()
        assert pkg.defects == [], (name, pkg.defects)
        assert pkg.unlisted == (name in UNLISTED), name


def test_listing_shows_the_packages_users_pick(index):
    listed = {p.name for p in index.listed()}
    for name in PACKAGES:
        assert (name in listed) == (name not in UNLISTED), name


def test_base_layers_are_not_packages(index):
    assert not any(name.startswith("base/") for name in index.packages)
    for layer in BASE_LAYERS:
        assert (layer / "buildroot").is_dir(), layer


# -- fragments ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name, path", package_dirs(), ids=[n for n, _ in package_dirs()])
def test_fragments_parse(name, path):
    count = 0
    for kind in FRAGMENT_KINDS:
        for file in fragment_files(path / kind):
            assignments = read_fragment(file, layer=name, root=path)
            prefix = "BR2_" if kind == "buildroot" else "CONFIG_"
            for a in assignments:
                assert a.symbol.startswith(prefix), f"{file}:{a.origin.line}: {a.symbol}"
                if a.value is not None and a.value.startswith('"'):
                    assert a.value.endswith('"') and len(a.value) >= 2, f"{file}:{a.origin.line}"
                # A layer-relative path must point at a file the layer ships.
                if a.value and str(path) in a.value:
                    target = Path(a.value.strip('"'))
                    assert target.exists(), f"{file}:{a.origin.line}: {target} missing"
            count += len(assignments)
    cflags = fragment_files(path / "cflags")
    aliases = {"skiff/noserial"}  # only pulls in util/noserial
    assert count or cflags or (path / "root_overlay").is_dir() or name in aliases, f"{name} contributes nothing"


def test_base_layers_choose_systemd_and_an_in_ram_root():
    merged: dict[str, str | None] = {}
    for layer in BASE_LAYERS:
        for file in fragment_files(layer / "buildroot"):
            for a in read_fragment(file, layer=layer.name, root=layer):
                merged[a.symbol] = a.value
    assert merged["BR2_INIT_SYSTEMD"] == "y"
    assert merged["BR2_TARGET_ROOTFS_CPIO"] == "y"
    assert merged["BR2_TARGET_ROOTFS_CPIO_LZ4"] == "y"
    assert merged["BR2_TOOLCHAIN_BUILDROOT_GLIBC"] == "y"
    assert merged["BR2_PACKAGE_NETWORK_MANAGER"] == "y"
    assert merged["BR2_PACKAGE_OPENSSH"] == "y"
    # The engine generates these; a base layer setting them would fight it.
    for generated in (
        "BR2_ROOTFS_OVERLAY",
        "BR2_LINUX_KERNEL_CONFIG_FRAGMENT_FILES",
        "BR2_GLOBAL_PATCH_DIR",
        "BR2_ROOTFS_POST_BUILD_SCRIPT",
        "BR2_ROOTFS_POST_IMAGE_SCRIPT",
        "BR2_ROOTFS_USERS_TABLES",
    ):
        assert generated not in merged
    assert not any("REPLACEME" in (v or "") for v in merged.values())
    busybox = [a for f in fragment_files(CONFIGS / "base/pre/busybox") for a in read_fragment(f, layer="base/pre")]
    assert ("CONFIG_TC", None) in [(a.symbol, a.value) for a in busybox]


def _buildroot_symbols(tree: Path) -> set[str]:
    symbols: set[str] = set()
    pattern = re.compile(r"^\s*(?:menu)?config\s+(BR2_\w+)", re.M)
    for root, _dirs, files in os.walk(tree):
        if "/output" in root or "/.git" in root:
            continue
        for f in files:
            if f.startswith("Config.in"):
                symbols.update(pattern.findall(Path(root, f).read_text(errors="replace")))
    return symbols


@requires_buildroot
def test_buildroot_symbols_exist_in_the_pinned_buildroot():
    known = _buildroot_symbols(real_buildroot())
    for _name, path in package_dirs():
        known |= _buildroot_symbols(path / "buildroot_ext") if (path / "buildroot_ext").is_dir() else set()
    unknown = []
    for name, path in package_dirs():
        for file in fragment_files(path / "buildroot"):
            for a in read_fragment(file, layer=name, root=path):
                if a.symbol not in known:
                    unknown.append(f"{file}:{a.origin.line}: {a.symbol}")
    assert unknown == []


def test_buildroot_externals_are_complete_and_uniquely_named():
    names = {}
    for name, path in package_dirs():
        ext = path / "buildroot_ext"
        if not ext.is_dir():
            continue
        for required in ("external.desc", "Config.in", "external.mk"):
            assert (ext / required).is_file(), f"{ext}/{required}"
        match = re.search(r"^name:\s*(\S+)", (ext / "external.desc").read_text(), re.M)
        assert match, ext
        assert match.group(1) not in names, (name, names.get(match.group(1)))
        names[match.group(1)] = name
        for sourced in re.findall(r'source\s+"\$BR2_EXTERNAL_\w+_PATH/([^"]+)"', (ext / "Config.in").read_text()):
            assert (ext / sourced).is_file(), sourced
    assert names == {"SKIFF_CORE": "skiff/core"}


# -- commands, hooks, executables ----------------------------------------------------------------


def _make_targets(makefile: Path) -> set[str]:
    targets = set()
    for line in makefile.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\- ]+?)\s*:(?![=:])", line)
        if m and not line.startswith("\t"):
            targets.update(t for t in m.group(1).split() if not t.startswith("."))
    return targets


def test_declared_commands_have_make_targets(index):
    for name in PACKAGES:
        pkg = index.get(name)
        declared = {c.name for c in pkg.commands}
        assert declared == EXPECTED_COMMANDS.get(name, set()), name
        if not declared:
            continue
        makefile = pkg.path / "extensions" / "Makefile"
        assert declared <= _make_targets(makefile), name
        assert all(c.description for c in pkg.commands), name


@requires_tools("make")
@pytest.mark.parametrize("name", sorted(EXPECTED_COMMANDS))
def test_command_targets_call_executable_scripts(index, name, tmp_path):
    pkg = index.get(name)
    for command in sorted(EXPECTED_COMMANDS[name]):
        env = {"PATH": os.environ["PATH"], "SKIFF_CURRENT_CONF_DIR": str(pkg.path), "BUILDROOT_DIR": str(tmp_path)}
        result = subprocess.run(
            ["make", "-n", "-s", "-f", str(pkg.path / "extensions/Makefile"), command],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
        )
        assert result.returncode == 0, result.stderr
        script = Path(result.stdout.strip().strip('"'))
        assert script.parent == pkg.path / "scripts", result.stdout
        assert os.access(script, os.X_OK), script


def _git_modes() -> dict[str, str] | None:
    if shutil.which("git") is None:
        return None
    result = subprocess.run(["git", "-C", str(REPO), "ls-files", "-s", "--", "configs"], capture_output=True, text=True)
    if result.returncode != 0:
        return None
    modes = {}
    for line in result.stdout.splitlines():
        meta, _, path = line.partition("\t")
        modes[path] = meta.split()[0]
    return modes


def _executables(path: Path) -> list[Path]:
    found = [h for h in (path / "hooks").glob("*.sh")]
    found += list((path / "scripts").glob("*.sh")) if (path / "scripts").is_dir() else []
    found += [p for p in (path / "root_overlay").rglob("*.sh") if not p.is_symlink()]
    return found


def test_hooks_and_scripts_are_executable():
    modes = _git_modes()
    checked = 0
    for _name, path in package_dirs():
        for file in _executables(path):
            if file.name == "common.sh":  # sourced by the other virt/docker scripts
                continue
            assert os.access(file, os.X_OK), file
            assert file.read_text().startswith("#!/bin/"), f"{file}: no #! line"
            rel = str(file.relative_to(REPO))
            if modes is not None and rel in modes:
                assert modes[rel] == "100755", f"{rel}: git mode {modes[rel]}"
            checked += 1
    assert checked >= 12


@requires_tools("bash")
def test_shell_scripts_have_valid_syntax():
    for _name, path in package_dirs():
        for file in _executables(path) + list(path.rglob("init.env")):
            result = subprocess.run(["bash", "-n", str(file)], capture_output=True, text=True)
            assert result.returncode == 0, f"{file}: {result.stderr}"


# -- skiff-core.yaml defaults ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["skiff/core", *CORE_DISTROS])
def test_core_packages_ship_a_valid_skiff_core_yaml(name):
    path = CONFIGS / name / DEFAULT_CORE_YAML
    text = path.read_text()
    assert coreyaml.validate_text(text, path=path) == []
    data = coreyaml.load(path)
    assert data["containers"] and data["users"] and data["images"]
    for user in data["users"].values():
        assert user["container"] in data["containers"]
    for container in data["containers"].values():
        assert any(m.startswith("/mnt/persist/") for m in container["mounts"])
        # Containers run their own init: it must be told how to stop.
        assert container["stopSignal"] == "RTMIN+3"
    for ref, image in data["images"].items():
        assert ref in {c["image"] for c in data["containers"].values()}
        source = (image.get("build") or {}).get("source")
        if source:
            # The build directory is shipped by this package or by skiff/core.
            rel = Path("root_overlay") / source.lstrip("/")
            assert (CONFIGS / name / rel / "Dockerfile").is_file() or (
                CONFIGS / "skiff/core" / rel / "Dockerfile"
            ).is_file(), (name, source)


def test_each_core_distro_has_its_own_default():
    texts = {name: (CONFIGS / name / DEFAULT_CORE_YAML).read_text() for name in CORE_DISTROS}
    images = {name: coreyaml.outline(t).containers[0].detail for name, t in texts.items()}
    assert len(set(images.values())) >= len(CORE_DISTROS) - 1  # core/debian repeats skiff/core's image
    assert images["core/alpine"] == "skiffos/skiff-core-alpine:latest"


# -- resolution ----------------------------------------------------------------------------------


def test_skiff_core_pulls_in_the_container_runtime(index):
    assert resolve(index, "skiff/core").names == ["apps/runc", "apps/containerd", "apps/docker", "skiff/core"]


@pytest.mark.parametrize("name", CORE_DISTROS)
def test_core_distros_resolve_after_skiff_core(index, name):
    names = resolve(index, name).names
    assert names[:4] == ["apps/runc", "apps/containerd", "apps/docker", "skiff/core"]
    assert names[-1] == name
    # The distro's defconfig.yaml must override skiff/core's: its layer comes later.
    assert names.index(name) > names.index("skiff/core")


@pytest.mark.parametrize("name", PACKAGES)
def test_every_package_resolves_alone_and_with_skiff_core(index, name):
    alone = resolve(index, name).names
    assert alone[-1] == name and len(alone) == len(set(alone))
    both = resolve(index, f"{name},skiff/core").names
    assert name in both and "skiff/core" in both and len(both) == len(set(both))


def test_spec_example_chain(index):
    if "pi/4" not in index:
        pytest.skip("pi/4 is not in configs/ yet (board packages are written separately)")
    assert resolve(index, "pi/4,skiff/core").names == [
        "skiff/moduleimg",
        "pi/common",
        "pi/4x64",
        "pi/4",
        "apps/runc",
        "apps/containerd",
        "apps/docker",
        "skiff/core",
    ]
