"""Each board's fragments, loaded by a real Buildroot 2026.02.3 tree, keep the values they ask for.

Runs only when BUILDROOT_DIR names a Buildroot tree (CI has none: it cannot download it).
The board library is checked on its own: the base layer and skiff/* packages are not merged in,
so a few settings that need them (a systemd init, glibc) are given as a fixed prelude.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from board_catalog import BOARDS, CONFIGS, board_packages, merged  # noqa: E402

from skiff_tui.core.packages import discover  # noqa: E402

BUILDROOT = os.environ.get("BUILDROOT_DIR", "")
pytestmark = [
    pytest.mark.skipif(not BUILDROOT, reason="set BUILDROOT_DIR to a Buildroot 2026.02.3 tree to run"),
    pytest.mark.skipif(shutil.which("make") is None, reason="GNU make is not installed"),
]

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
    assert (tree / "Config.in").is_file(), f"{tree} is not a Buildroot tree"
    pkgs = board_packages(index, name)
    frag = merged(pkgs)
    externals = [str(p.path / "buildroot_ext") for p in pkgs if (p.path / "buildroot_ext").is_dir()]
    out = tmp_path_factory.mktemp(name.replace("/", "_"))
    defconfig = out / "board_defconfig"
    defconfig.write_text(PRELUDE + "".join(h[-1].text + "\n" for h in frag.history.values()))
    proc = subprocess.run(
        ["make", "-s", "-C", str(tree), f"O={out}", f"BR2_EXTERNAL={' '.join(externals)}",
         "defconfig", f"BR2_DEFCONFIG={defconfig}"],
        capture_output=True, text=True, env={**os.environ, "TERM": "dumb"})
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
        problems.append(f"{sym}: asked {want if want is not None else 'n'} ({origin}), "
                        f"got {have if have is not None else 'n'}")
    assert not problems, f"{name}: values that did not stick:\n" + "\n".join(problems)
