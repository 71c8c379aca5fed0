"""What every package's flash commands run: `make -n` of format/install/buildimage/create-image
in three situations (the package's own variables set, only SkiffOS's PI_SD/PI_IMAGE set,
nothing set), as one table. The golden copy beside this file was written from the Makefiles
before they were factored; `python tests/configs_boards/flash_argv.py > FILE` writes it anew."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from board_catalog import CONFIGS, SD_VARS  # noqa: E402

GOLDEN = Path(__file__).resolve().parent / "flash_argv_golden.json"
COMMANDS = ("format", "install", "buildimage", "create-image")
COMMON = {"SKIFF_ROOT_DIR": "/srv/skiff", "BUILDROOT_DIR": "/srv/ws"}
# Make's "file:line: " before an $(error) names where the rule lives, which factoring moves.
MAKE_LOCATION = re.compile(r"^\S+?:\d+: (?=\*\*\*)", re.M)


def _env() -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("SKIFF_") and not k.endswith(("_SD", "_IMAGE", "_DISK"))
    }
    for var in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS", "BUILDROOT_DIR", "BINARIES_DIR", "HOST_DIR"):
        env.pop(var, None)
    return env


def _targets(makefile: Path, cwd: str) -> set[str]:
    proc = subprocess.run(
        ["make", "-pRrq", "-f", str(makefile), ":"], cwd=cwd, capture_output=True, text=True, env=_env()
    )
    return {m.group(1) for m in re.finditer(r"^([A-Za-z0-9_.-]+):(?!=)", proc.stdout, re.M)}


def _dry_run(makefile: Path, target: str, variables: dict[str, str], cwd: str) -> dict:
    argv = ["make", "-n", "-s", "-f", str(makefile), target] + [f"{k}={v}" for k, v in variables.items()]
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, env=_env())
    clean = lambda text: MAKE_LOCATION.sub("", text.replace(str(CONFIGS), "<configs>"))  # noqa: E731
    return {"rc": proc.returncode, "stdout": clean(proc.stdout), "stderr": clean(proc.stderr)}


def situations(namespace: str) -> dict[str, dict[str, str]]:
    dev, img = SD_VARS.get(namespace, ("PI_SD", "PI_IMAGE"))
    return {
        "own": {**COMMON, dev: "/dev/sdz", img: "out/board.img"},
        "skiffos": {**COMMON, "PI_SD": "/dev/sdy", "PI_IMAGE": "/tmp/pi.img"},
        "unset": dict(COMMON),
    }


def table() -> dict[str, dict]:
    out: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as cwd:
        for makefile in sorted(CONFIGS.glob("*/*/extensions/Makefile")):
            name = f"{makefile.parents[2].name}/{makefile.parents[1].name}"
            targets = _targets(makefile, cwd)
            for command in COMMANDS:
                if command not in targets:
                    continue
                for label, variables in situations(name.split("/", 1)[0]).items():
                    out[f"{name} {command} {label}"] = _dry_run(makefile, command, variables, cwd)
    return out


if __name__ == "__main__":
    json.dump(table(), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
