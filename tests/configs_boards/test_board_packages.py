"""The board library in configs/: metadata, fragments, commands, hooks and resolution."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from skifftest import real_buildroot, requires_buildroot, requires_tools

sys.path.insert(0, str(Path(__file__).resolve().parent))
from board_catalog import (  # noqa: E402
    ARCH_SYMBOLS,
    BOARDS,
    CONFIGS,
    REPO,
    SD_VARS,
    board_packages,
    is_ours,
    merged,
    shared_rules_of,
)

from skiff_tui.core.config.fragments import fragment_files, read_fragment, unquote  # noqa: E402
from skiff_tui.core.errors import ResolveError  # noqa: E402
from skiff_tui.core.library.packages import discover  # noqa: E402
from skiff_tui.core.library.resolve import resolve  # noqa: E402

FRAGMENT_DIRS = ("buildroot", "kernel", "busybox", "uboot")
BOARD_NAMES = [b.name for b in BOARDS]
BY_NAME = {b.name: b for b in BOARDS}


@pytest.fixture(scope="module")
def index():
    return discover(CONFIGS, env={})


def our_packages(index):
    return [p for n, p in sorted(index.packages.items()) if is_ours(n)]


def test_every_board_exists_listed_with_a_description(index):
    missing = [n for n in BOARD_NAMES if n not in index]
    assert not missing, f"board packages missing from configs/: {missing}"
    for name in BOARD_NAMES:
        pkg = index.get(name)
        assert not pkg.unlisted, f"{name} is a supported board and must be listed"
        assert pkg.description and len(pkg.description) > 10, f"{name}: description too short"


def test_metadata_of_every_library_package_is_clean(index):
    pkgs = our_packages(index)
    assert len(pkgs) >= len(BOARDS)
    for pkg in pkgs:
        assert pkg.description, f"{pkg.name}: metadata/description missing or empty"
        assert "\n" not in pkg.description
        assert not pkg.defects, f"{pkg.name}: {pkg.defects}"
        text = (pkg.path / "metadata" / "description").read_text()
        assert len(text.strip().splitlines()) == 1, f"{pkg.name}: description must be one line"


def test_common_packages_are_unlisted(index):
    commons = [p for p in our_packages(index) if p.name.endswith("/common")]
    assert commons
    for pkg in commons:
        assert pkg.unlisted, f"{pkg.name} holds shared pieces and must be unlisted"


def test_every_fragment_line_parses(index):
    count = 0
    for pkg in our_packages(index):
        for kind in FRAGMENT_DIRS:
            for path in fragment_files(pkg.path / kind):
                assignments = read_fragment(path, layer=pkg.name, root=pkg.path)
                prefix = "BR2_" if kind == "buildroot" else "CONFIG_"
                for a in assignments:
                    assert a.symbol.startswith(prefix), f"{path}:{a.origin.line}: {a.symbol}"
                count += len(assignments)
    assert count > 0


def test_paths_named_through_config_root_exist(index):
    """Every SKIFF_CONFIG_ROOT/... file a fragment names must ship in that package."""
    token = re.compile(r"SKIFF_CONFIG_ROOT(/[^\" ]*)")
    checked = 0
    for pkg in our_packages(index):
        for kind in FRAGMENT_DIRS:
            for path in fragment_files(pkg.path / kind):
                for lineno, line in enumerate(path.read_text().splitlines(), 1):
                    if line.lstrip().startswith("#"):
                        continue
                    for rel in token.findall(line):
                        checked += 1
                        assert (pkg.path / rel.lstrip("/")).exists(), (
                            f"{path}:{lineno}: names {rel}, which {pkg.name} does not ship"
                        )
    assert checked > 0


def test_hooks_are_executable_shell_scripts(index):
    hooks = [h for p in our_packages(index) for h in (p.path / "hooks").glob("*.sh")]
    assert hooks
    tracked = {}
    if shutil.which("git") and (REPO / ".git").exists():
        out = subprocess.run(
            ["git", "-C", str(REPO), "ls-files", "-s", "--", "configs"], capture_output=True, text=True, check=False
        ).stdout
        for line in out.splitlines():
            mode, _, rest = line.partition(" ")
            tracked[REPO / rest.split("\t", 1)[1]] = mode
    for hook in hooks:
        assert hook.name in ("pre.sh", "post.sh"), f"{hook}: hooks are pre.sh or post.sh"
        assert os.access(hook, os.X_OK), f"{hook} is not executable"
        assert hook.read_text().startswith("#!/"), f"{hook} has no #! line"
        mode = tracked.get(hook.resolve())
        if mode is not None:
            assert mode == "100755", f"{hook} is committed without the executable bit"


def test_hooks_have_valid_shell_syntax(index):
    for pkg in our_packages(index):
        for hook in (pkg.path / "hooks").glob("*.sh"):
            shell = "bash" if "bash" in hook.read_text().splitlines()[0] else "sh"
            proc = subprocess.run([shell, "-n", str(hook)], capture_output=True, text=True)
            assert proc.returncode == 0, f"{hook}: {proc.stderr}"


def _make_env(extra=None):
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("SKIFF_") and not k.endswith(("_SD", "_IMAGE", "_DISK"))
    }
    for var in ("MAKEFLAGS", "MAKELEVEL", "BUILDROOT_DIR", "BINARIES_DIR", "HOST_DIR"):
        env.pop(var, None)
    env.update(extra or {})
    return env


def _dry_run(makefile: Path, target: str, variables: dict[str, str], cwd: Path, env=None):
    argv = ["make", "-n", "-s", "-f", str(makefile), target] + [f"{k}={v}" for k, v in variables.items()]
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=env or _make_env())


def _declared_targets(makefile: Path, cwd: Path) -> set[str]:
    proc = subprocess.run(
        ["make", "-pRrq", "-f", str(makefile), ":"], cwd=cwd, capture_output=True, text=True, env=_make_env()
    )
    targets = set()
    for line in proc.stdout.splitlines():
        m = re.match(r"^([A-Za-z0-9_.-]+):(?!=)", line)
        if m:
            targets.add(m.group(1))
    return targets


# Where each board's boot ROM expects its loader on the card (bytes), from SkiffOS's scripts.
SUNXI = [8192]
AMLOGIC = [0, 512]  # 444 bytes of boot code in the MBR, the rest from sector 1
ROCKCHIP = [32768, 8388608]  # idbloader.img at sector 64, u-boot.itb at sector 16384
BLOB_OFFSETS = {
    "odroid/c2": AMLOGIC,
    "odroid/c4": AMLOGIC,
    "odroid/hc4": AMLOGIC,
    "odroid/n2": AMLOGIC,
    "odroid/u": [512, 15872, 32256, 1080832],  # BL1, BL2, U-Boot, TrustZone (sectors 1/31/63/2111)
    "odroid/xu": [512, 15872, 32256, 769536],  # same, 720 KiB U-Boot slot (TrustZone at 1503)
    "pine64/book": ROCKCHIP,
    "pine64/rock64": ROCKCHIP,
    "pine64/rockpro64": ROCKCHIP,
    "pine64/book_a64": SUNXI,
    "pine64/h64": SUNXI,
    "pine64/phone": SUNXI,
    "allwinner/nezha": SUNXI,
    "allwinner/licheerv": SUNXI,
    "bananapi/m1": SUNXI,
    "bananapi/m1plus": SUNXI,
    "bananapi/m2": SUNXI,
    "bananapi/m2plus": SUNXI,
    "bananapi/m3": SUNXI,
    "orangepi/lite": SUNXI,
    "orangepi/zero": SUNXI,
    "pcduino/3": SUNXI,
    "freescale/wandboard": [1024, 70656],  # SPL at 1 KiB, u-boot-dtb.img at 69 KiB
    "usbarmory/mk2": [1024],  # u-boot.imx at 1 KiB
    "pcengines/apu2": [0, 512],  # GRUB boot code (440 bytes) and core image
}


needs_make = requires_tools("make")


@needs_make
def test_every_declared_command_has_a_make_target(index, tmp_path):
    checked = 0
    for pkg in our_packages(index):
        if not pkg.commands:
            continue
        makefile = pkg.path / "extensions" / "Makefile"
        assert makefile.is_file(), f"{pkg.name} declares commands but has no extensions/Makefile"
        targets = _declared_targets(makefile, tmp_path)
        for cmd in pkg.commands:
            assert cmd.description, f"{pkg.name}: command {cmd.name} has no description"
            assert cmd.name in targets, f"{pkg.name}: command {cmd.name} has no target in {makefile}"
            checked += 1
    assert checked > 0


@pytest.mark.parametrize("name", BOARD_NAMES)
def test_board_declares_its_commands(index, name):
    pkg = index.get(name)
    declared = {c.name for c in pkg.commands}
    missing = set(BY_NAME[name].commands) - declared
    assert not missing, f"{name} must declare {sorted(missing)} in metadata/commands"


@needs_make
@pytest.mark.parametrize("name", [b.name for b in BOARDS if b.sd_card])
def test_sd_commands_call_the_cli_with_the_device(index, name, tmp_path):
    pkg = index.get(name)
    dev_var, img_var = SD_VARS[pkg.namespace]
    makefile = pkg.path / "extensions" / "Makefile"
    variables = {
        dev_var: "/dev/sdz",
        img_var: "out/board.img",
        "SKIFF_ROOT_DIR": "/srv/skiff",
        "BUILDROOT_DIR": "/srv/ws",
    }
    for cmd in ("format", "install"):
        proc = _dry_run(makefile, cmd, variables, tmp_path)
        assert proc.returncode == 0, f"{name} {cmd}: {proc.stderr}"
        assert f'"skiff" flash {cmd} --device "/dev/sdz"' in proc.stdout, proc.stdout
        # Boot blobs: absolute paths in the workspace's images/, FILE:BYTE-OFFSET, as SkiffOS writes them.
        blobs = re.findall(r'--bootloader "([^"]*)"', proc.stdout)
        offsets = []
        for blob in blobs:
            path, _, offset = blob.rpartition(":")
            assert path.startswith("/srv/ws/images/") and offset.isdigit(), blob
            offsets.append(int(offset))
        assert offsets == BLOB_OFFSETS.get(name, []), f"{name}: boot blob offsets {offsets}"
    proc = _dry_run(makefile, "buildimage", variables, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert '"skiff" flash buildimage --image "/srv/skiff/out/board.img"' in proc.stdout, proc.stdout
    # An absolute image path is kept as given.
    proc = _dry_run(makefile, "buildimage", {img_var: "/tmp/x.img"}, tmp_path)
    assert '--image "/tmp/x.img"' in proc.stdout
    # Unset device: a clear one-line refusal naming the variable, nothing run.
    for cmd in ("format", "install"):
        proc = _dry_run(makefile, cmd, {}, tmp_path)
        assert proc.returncode != 0
        assert f"{dev_var} is not set" in proc.stderr, proc.stderr
        assert "flash" not in proc.stdout
    proc = _dry_run(makefile, "buildimage", {}, tmp_path)
    assert proc.returncode != 0 and f"{img_var} is not set" in proc.stderr


@needs_make
@pytest.mark.parametrize("name", [b.name for b in BOARDS if b.sd_card])
def test_board_makefile_finds_common_through_the_override_variable(index, name, tmp_path):
    """A board overridden elsewhere (SKIFF_CONFIG_PATH_<NS>_NAME) still finds its common rules."""
    pkg = index.get(name)
    dev_var, _ = SD_VARS[pkg.namespace]
    moved = tmp_path / "elsewhere"
    shutil.copytree(pkg.path, moved)
    rules = shared_rules_of(name)
    # skiff always sets SKIFF_CONFIGS_DIR: the shared flash rules live in its base layer.
    env = _make_env({"SKIFF_CONFIGS_DIR": str(CONFIGS)})
    if rules in index and rules != name:
        env[f"SKIFF_CONFIG_PATH_{rules.upper().replace('/', '_')}"] = str(index.get(rules).path)
    proc = _dry_run(moved / "extensions" / "Makefile", "format", {dev_var: "/dev/sdq"}, tmp_path, env)
    assert proc.returncode == 0, proc.stderr
    assert '--device "/dev/sdq"' in proc.stdout


@needs_make
def test_moved_family_rules_without_configs_dir_say_what_to_set(tmp_path):
    """A family Makefile outside the library, run by hand without SKIFF_CONFIGS_DIR: one line
    naming the variable, not make's empty success on the board's recipe-less targets."""
    moved = tmp_path / "configs" / "pcengines" / "apu2"
    shutil.copytree(CONFIGS / "pcengines" / "apu2", moved)
    proc = _dry_run(moved / "extensions" / "Makefile", "format", {"PCENGINES_SD": "/dev/sdq"}, tmp_path)
    assert proc.returncode != 0 and "flash" not in proc.stdout
    assert "set SKIFF_CONFIGS_DIR" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    env = _make_env({"SKIFF_CONFIGS_DIR": str(CONFIGS)})
    proc = _dry_run(moved / "extensions" / "Makefile", "format", {"PCENGINES_SD": "/dev/sdq"}, tmp_path, env)
    assert proc.returncode == 0 and '--device "/dev/sdq"' in proc.stdout, proc.stderr


def test_library_dependencies_inside_the_library_exist(index):
    missing = [(p.name, d) for p in our_packages(index) for d in p.dependencies if is_ours(d) and d not in index]
    assert not missing, f"dependencies on absent board-library packages: {missing}"


def _resolve_or_skip(index, selection):
    try:
        return resolve(index, selection)
    except ResolveError as exc:
        unknown = re.search(r"unknown package '([^']+)'", str(exc))
        if unknown and not is_ours(unknown.group(1)):
            pytest.skip(f"{unknown.group(1)} is not in configs/ yet (written outside the board library)")
        raise


@pytest.mark.parametrize("name", BOARD_NAMES)
def test_board_chain_resolves(index, name):
    chain = _resolve_or_skip(index, name)
    assert chain.names[-1] == name
    for pkg in chain.packages:
        before = chain.names[: chain.names.index(pkg.name)]
        assert all(dep in before for dep in pkg.dependencies), f"{pkg.name} placed before a dependency"


@pytest.mark.parametrize("name", BOARD_NAMES)
def test_board_resolves_with_skiff_core(index, name):
    if "skiff/core" not in index:
        pytest.skip("skiff/core is not in configs/ yet (written outside the board library)")
    chain = _resolve_or_skip(index, f"{name},skiff/core")
    assert name in chain.names and "skiff/core" in chain.names
    assert chain.names.index(name) < chain.names.index("skiff/core") or "skiff/core" in _deps_closure(index, name)


def _deps_closure(index, name, seen=None):
    seen = set() if seen is None else seen
    for dep in index.get(name).dependencies:
        if dep not in seen:
            seen.add(dep)
            if dep in index:
                _deps_closure(index, dep, seen)
    return seen


@pytest.mark.parametrize("name", BOARD_NAMES)
def test_board_sets_arch_kernel_and_bootloader(index, name):
    frag = merged(board_packages(index, name))
    values = frag.values()
    archs = [s for s in ARCH_SYMBOLS if values.get(s) == "y"]
    assert len(archs) == 1, f"{name}: exactly one architecture expected, got {archs}"
    # A CPU variant is set (lower-case Buildroot CPU symbols, e.g. BR2_cortex_a72, BR2_x86_x86_64_v3).
    cpus = [
        s
        for s, v in values.items()
        if v == "y" and s not in ARCH_SYMBOLS and re.match(r"BR2_(cortex_|arm\d|x86_|riscv_|neoverse)", s)
    ]
    assert cpus, f"{name}: no CPU variant symbol set"

    assert values.get("BR2_LINUX_KERNEL") == "y", f"{name}: BR2_LINUX_KERNEL not enabled"
    sources = {
        "BR2_LINUX_KERNEL_CUSTOM_VERSION": "BR2_LINUX_KERNEL_CUSTOM_VERSION_VALUE",
        "BR2_LINUX_KERNEL_CUSTOM_TARBALL": "BR2_LINUX_KERNEL_CUSTOM_TARBALL_LOCATION",
        "BR2_LINUX_KERNEL_CUSTOM_GIT": "BR2_LINUX_KERNEL_CUSTOM_REPO_URL",
    }
    chosen = [s for s in sources if values.get(s) == "y"]
    assert len(chosen) == 1, f"{name}: exactly one kernel source choice expected, got {chosen}"
    assert unquote(values.get(sources[chosen[0]])), f"{name}: {sources[chosen[0]]} is empty"
    if values.get("BR2_LINUX_KERNEL_USE_DEFCONFIG") == "y":
        assert unquote(values.get("BR2_LINUX_KERNEL_DEFCONFIG")), f"{name}: empty kernel defconfig"
    elif values.get("BR2_LINUX_KERNEL_USE_CUSTOM_CONFIG") == "y":
        cfg = unquote(values.get("BR2_LINUX_KERNEL_CUSTOM_CONFIG_FILE"))
        assert cfg and Path(cfg).is_file(), f"{name}: kernel config file {cfg!r} missing"
    else:
        assert values.get("BR2_LINUX_KERNEL_USE_ARCH_DEFAULT_CONFIG") == "y", (
            f"{name}: no kernel defconfig or config file chosen"
        )

    want = BY_NAME[name].bootloader
    if want:
        assert values.get(want) == "y", f"{name}: boot loader {want} not enabled"
    if values.get("BR2_TARGET_UBOOT") == "y":
        assert unquote(values.get("BR2_TARGET_UBOOT_BOARD_DEFCONFIG")) or unquote(
            values.get("BR2_TARGET_UBOOT_CUSTOM_CONFIG_FILE")
        ), f"{name}: U-Boot enabled without a board defconfig"


def _buildroot_symbols(tree: Path) -> tuple[set[str], set[str]]:
    defined, legacy = set(), set()
    pattern = re.compile(r"^\s*(?:menu)?config\s+(BR2_\w+)", re.M)
    for path in tree.rglob("Config.in*"):
        if "output" in path.parts or not path.is_file():
            continue
        text = path.read_text(errors="replace")
        target = legacy if path.name == "Config.in.legacy" else defined
        target.update(pattern.findall(text))
    return defined, legacy - defined


@requires_buildroot
def test_every_buildroot_symbol_exists_and_is_not_legacy(index):
    tree = real_buildroot()
    defined, legacy = _buildroot_symbols(tree)
    for pkg in our_packages(index):
        ext = pkg.path / "buildroot_ext"
        if ext.is_dir():
            defined |= _buildroot_symbols(ext)[0]
    problems = []
    for pkg in our_packages(index):
        for path in fragment_files(pkg.path / "buildroot"):
            for a in read_fragment(path, layer=pkg.name, root=pkg.path):
                if a.symbol in legacy:
                    problems.append(f"{path}:{a.origin.line}: {a.symbol} is a legacy (removed) option")
                elif a.symbol not in defined:
                    problems.append(f"{path}:{a.origin.line}: {a.symbol} is unknown to Buildroot")
    assert not problems, "\n".join(problems)


@needs_make
def test_jetson_nano_card_commands_refuse_without_device_and_call_its_script(index, tmp_path):
    pkg = index.get("jetson/nano")
    makefile = pkg.path / "extensions" / "Makefile"
    for cmd in ("format", "install"):
        proc = _dry_run(makefile, cmd, {}, tmp_path)
        assert proc.returncode != 0 and "NVIDIA_SD is not set" in proc.stderr
        proc = _dry_run(makefile, cmd, {"NVIDIA_SD": "/dev/sdy"}, tmp_path)
        assert proc.returncode == 0, proc.stderr
        assert f'scripts/nano-sd.sh" {cmd} "/dev/sdy"' in proc.stdout
    proc = _dry_run(makefile, "buildimage", {"NVIDIA_IMAGE": "n.img", "SKIFF_ROOT_DIR": "/w"}, tmp_path)
    assert 'nano-sd.sh" image "/w/n.img"' in proc.stdout
    script = CONFIGS / "jetson" / "common" / "scripts" / "nano-sd.sh"
    assert os.access(script, os.X_OK)
    proc = subprocess.run(
        ["bash", str(script), "bogus", "/nonexistent"], capture_output=True, text=True, env=_make_env()
    )
    assert proc.returncode != 0 and "unknown step" in proc.stderr
    proc = subprocess.run(
        ["bash", str(script), "format", "/nonexistent"], capture_output=True, text=True, env=_make_env()
    )
    assert proc.returncode != 0 and "BUILDROOT_DIR is not set" in proc.stderr
    proc = subprocess.run(
        ["bash", str(script), "format", str(tmp_path / "nodev")],
        capture_output=True,
        text=True,
        env=_make_env({"BUILDROOT_DIR": str(tmp_path)}),
    )
    assert proc.returncode != 0 and "is not a block device" in proc.stderr


def test_jetson_usb_flash_needs_confirmation(tmp_path):
    script = CONFIGS / "jetson" / "common" / "scripts" / "flash-usb.sh"
    env = _make_env({"BUILDROOT_DIR": str(tmp_path)})
    proc = subprocess.run(["sh", str(script), "jetson-tx2-devkit"], capture_output=True, text=True, env=env)
    assert proc.returncode != 0 and "SKIFF_NVIDIA_USB_FLASH=confirm" in proc.stderr
    env["SKIFF_NVIDIA_USB_FLASH"] = "confirm"
    proc = subprocess.run(["sh", str(script), "jetson-tx2-devkit"], capture_output=True, text=True, env=env)
    assert proc.returncode != 0 and "flash.sh missing" in proc.stderr


def test_scripts_in_library_are_executable_and_parse(index):
    scripts = [s for p in our_packages(index) for s in (p.path / "scripts").glob("*.sh")]
    assert scripts
    for script in scripts:
        assert os.access(script, os.X_OK), f"{script} is not executable"
        shell = "bash" if "bash" in script.read_text().splitlines()[0] else "sh"
        proc = subprocess.run([shell, "-n", str(script)], capture_output=True, text=True)
        assert proc.returncode == 0, f"{script}: {proc.stderr}"


@needs_make
@pytest.mark.parametrize("name", ["bananapi/m1", "orangepi/zero"])
def test_skiffos_pi_sd_variable_still_works(index, name, tmp_path):
    """SkiffOS's Banana Pi and Orange Pi scripts read PI_SD; our vendor variable falls back to it."""
    makefile = index.get(name).path / "extensions" / "Makefile"
    proc = _dry_run(makefile, "format", {"PI_SD": "/dev/sdw"}, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert '--device "/dev/sdw"' in proc.stdout


def test_supported_systems_doc_is_generated_from_the_packages(index):
    """docs/supported-systems.md must match what the generator derives from configs/ now."""
    import supported_systems

    text = supported_systems.render(index)
    for board in BOARDS:
        assert f"`{board.name}`" in text
    doc = REPO / "docs" / "supported-systems.md"
    assert doc.is_file(), "run: .venv/bin/python tests/configs_boards/supported_systems.py --write"
    assert doc.read_text() == text, (
        "docs/supported-systems.md is stale; run: .venv/bin/python tests/configs_boards/supported_systems.py --write"
    )
    # Every row shows a kernel and an architecture taken from the fragments.
    table = [line for line in text.splitlines() if line.startswith("| ") and "`" in line]
    assert len(table) == len(BOARDS)
    for line in table:
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        assert cells[2] and "?" not in cells[2].split(",")[0], line
        assert "Buildroot default" not in cells[4], line


@pytest.mark.parametrize("alias,board", [("odroid/xu4", "odroid/xu"), ("apple/intel", "apple/macbook")])
def test_skiffos_package_names_still_resolve(index, alias, board):
    """SkiffOS users' selections keep working: old names are unlisted aliases of the board."""
    pkg = index.get(alias)
    assert pkg.unlisted and pkg.dependencies == (board,)
    assert not any((pkg.path / d).exists() for d in ("buildroot", "kernel", "extensions"))
    chain = _resolve_or_skip(index, alias)
    assert chain.names[-2:] == [board, alias]


def test_voxl2_boots_busybox_init_with_init_scripts_for_skiff(tmp_path):
    """VOXL 2 cannot run systemd (its 4.19 kernel headers): its init.d scripts start skiff-init
    after eudev and skiff-core after dockerd, and stop cleanly."""
    init_d = CONFIGS / "modalai" / "voxl2" / "root_overlay" / "etc" / "init.d"
    scripts = sorted(p.name for p in init_d.iterdir())
    assert scripts == ["S11skiff-init", "S99skiff-core"]  # S10udev < S11 < S40network; S60dockerd < S99
    for name in scripts:
        script = init_d / name
        assert os.access(script, os.X_OK) and script.read_text().startswith("#!/bin/sh\n"), script
        assert subprocess.run(["sh", "-n", str(script)], capture_output=True).returncode == 0, script
        usage = subprocess.run(["sh", str(script), "bogus"], capture_output=True, text=True)
        assert usage.returncode == 1 and "Usage:" in usage.stderr
    values = merged(board_packages(discover(CONFIGS, env={}), "modalai/voxl2")).values()
    assert values.get("BR2_INIT_BUSYBOX") == "y" and values.get("BR2_INIT_SYSTEMD") is None
    assert values.get("BR2_ROOTFS_DEVICE_CREATION_DYNAMIC_EUDEV") == "y"
