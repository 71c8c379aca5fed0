"""Boards against the real Buildroot 2026.02.3 tree (SKIFF_BUILDROOT_SRC; .ci/run extracts the pinned release).

Two views: the board library's own fragments through `make defconfig` (every requested value must
stick; base-layer settings they rely on, systemd and glibc, come as a fixed prelude), and the
product's `skiff check` on the whole chain (base layers included), each board alone and with
skiff/core. About 3.5 minutes on 2 cores for all 42 boards.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from board_catalog import BOARDS, CONFIGS, board_packages, merged  # noqa: E402
from skifftest import REAL_BUILDROOT, requires_buildroot, requires_tools  # noqa: E402

from skiff_tui.core.library.packages import discover  # noqa: E402

BUILDROOT = str(REAL_BUILDROOT or "")
pytestmark = [requires_buildroot, requires_tools("make", "gcc")]

# What the base layer provides and some board options depend on.
PRELUDE = """\
BR2_TOOLCHAIN_BUILDROOT_GLIBC=y
BR2_TOOLCHAIN_BUILDROOT_CXX=y
BR2_INIT_SYSTEMD=y
BR2_ROOTFS_MERGED_USR=y
BR2_TARGET_ROOTFS_CPIO=y
BR2_TARGET_ROOTFS_CPIO_LZ4=y
"""


def _read_config(path: Path) -> dict[str, str | None]:
    values: dict[str, str | None] = {}
    for line in path.read_text().splitlines():
        m = re.match(r"(BR2_\w+)=(.*)", line)
        if m:
            values[m.group(1)] = m.group(2)
            continue
        m = re.match(r"# (BR2_\w+) is not set", line)
        if m:
            values[m.group(1)] = None
    return values


@pytest.fixture(scope="module")
def index():
    return discover(CONFIGS, env={})


@pytest.mark.parametrize("name", [b.name for b in BOARDS])
def test_board_values_stick_after_defconfig(index, name, tmp_path_factory):
    tree = Path(BUILDROOT)
    pkgs = board_packages(index, name)
    frag = merged(pkgs)
    externals = [str(p.path / "buildroot_ext") for p in pkgs if (p.path / "buildroot_ext").is_dir()]
    out = tmp_path_factory.mktemp(name.replace("/", "_"))
    defconfig = out / "board_defconfig"
    defconfig.write_text(PRELUDE + "".join(h[-1].text + "\n" for h in frag.history.values()))
    proc = subprocess.run(
        [
            "make",
            "-s",
            "-C",
            str(tree),
            f"O={out}",
            f"BR2_EXTERNAL={' '.join(externals)}",
            "defconfig",
            f"BR2_DEFCONFIG={defconfig}",
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "TERM": "dumb"},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    got = _read_config(out / ".config")
    values = frag.values()
    # A symbol a later layer switched off takes its sub-options with it (U-Boot on a board
    # that boots from SPI flash, for instance): those are not expected to stick.
    disabled = [s for s, v in values.items() if v is None]
    problems = []
    for sym, want in values.items():
        have = got.get(sym)
        if want == have:
            continue
        if sym not in got and any(sym.startswith(d + "_") for d in disabled):
            continue
        origin = frag.final(sym).origin
        problems.append(
            f"{sym}: asked {want if want is not None else 'n'} ({origin}), got {have if have is not None else 'n'}"
        )
    assert not problems, f"{name}: values that did not stick:\n" + "\n".join(problems)


def _check_root(tmp_path_factory) -> Path:
    """A skiff tree whose configs/ is the repository's and whose workspaces live in tmp."""
    root = tmp_path_factory.mktemp("skiff-root")
    (root / "configs").symlink_to(CONFIGS, target_is_directory=True)
    (root / "overrides").mkdir()
    (root / "workspaces").mkdir()
    return root


@pytest.mark.parametrize("selection", [b.name for b in BOARDS] + [f"{b.name},skiff/core" for b in BOARDS])
def test_skiff_check_passes_for_board(selection, tmp_path_factory):
    """The product's own `skiff check` (whole chain, base layers included) against Buildroot."""
    index = discover(CONFIGS, env={})
    if "skiff/core" in selection and "skiff/core" not in index:
        pytest.skip("skiff/core is not in configs/ yet (written outside the board library)")
    root = _check_root(tmp_path_factory)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SKIFF_")}
    env.update(
        {
            "SKIFF_ROOT_DIR": str(root),
            "SKIFF_CONFIG": selection,
            "SKIFF_WORKSPACE": "check",
            "BUILDROOT_DIR": BUILDROOT,
            "TERM": "dumb",
        }
    )
    proc = subprocess.run(
        [sys.executable, "-m", "skiff_tui", "check"], capture_output=True, text=True, env=env, cwd=root, timeout=300
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"skiff check {selection}:\n{output[-4000:]}"
