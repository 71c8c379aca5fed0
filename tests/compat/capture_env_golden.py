"""Capture the environment SkiffOS gives a package command and a build hook (golden/_env.json).

Usage: python tests/compat/capture_env_golden.py [SKIFFOS_DIR]   (a SkiffOS git checkout)

Writes the small tree of `env_tree()` (our packages: envt/dep, envt/app depending on it, with a
command and a pre hook that both dump their environment), then in a scratch SkiffOS root (as
capture_goldens.py makes one) runs, with a clean environment:
  make cmd/envt/app/dump   -> the command's environment, written by extensions/Makefile
  make compile             -> the stand-in Buildroot runs $SKIFF_FINAL_CONFIG_DIR/pre_build.sh,
                              as Buildroot's post-build step would; the hook dumps its environment
Every variable that was not in the input environment is recorded, with paths replaced by
placeholders. Nothing of SkiffOS is copied: the golden is data produced by running it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import capture_goldens as cg  # noqa: E402

GOLDEN = HERE / "golden" / "_env.json"
SELECTION = "envt/app"
# Variables of the capturing process or of make itself, not SkiffOS's.
NOISE = {
    "PATH",
    "HOME",
    "TERM",
    "LC_ALL",
    "PWD",
    "OLDPWD",
    "SHLVL",
    "_",
    "MAKEFLAGS",
    "MAKELEVEL",
    "MFLAGS",
    "MAKE_TERMOUT",
    "MAKE_TERMERR",
    "DUMP",
    "SKIFF_CONFIG",
    "SKIFF_EXTRA_CONFIGS_PATH",
    "SKIFF_WORKSPACE",
}
RUN_HOOK = """
runhook:
\t@$(SKIFF_FINAL_CONFIG_DIR)/pre_build.sh
"""


def env_tree(dest: Path) -> None:
    """Two packages: envt/app (command `dump`, a pre hook, buildtarget runhook) needs envt/dep."""
    files = {
        "envt/dep/metadata/description": "Dependency of the env capture package.\n",
        "envt/dep/buildroot/10-dep": "BR2_PACKAGE_ENVT_DEP=y\n",
        "envt/app/metadata/description": "Dumps the environment of commands and hooks.\n",
        "envt/app/metadata/dependencies": "envt/dep\n",
        "envt/app/metadata/commands": "dump Print the environment a command gets\n",
        "envt/app/metadata/buildtarget": "runhook\n",
        "envt/app/extensions/Makefile": 'dump:\n\t@env > "$(DUMP)/command.env"\n',
        "envt/app/hooks/pre.sh": '#!/bin/sh\nenv > "$DUMP/hook.env"\n',
    }
    for rel, text in files.items():
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (dest / "envt/app/hooks/pre.sh").chmod(0o755)


def read_env(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        name, sep, value = line.partition("=")
        if sep and name.isidentifier():
            out[name] = value
    return out


def main(argv: list[str]) -> int:
    skiffos = Path(argv[1] if len(argv) > 1 else os.environ.get("SKIFFOS_DIR", "/tmp/skiffos")).resolve()
    commit = subprocess.run(
        ["git", "-C", str(skiffos), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="skiffos-env-") as tmp:
        tmp_path = Path(tmp).resolve()
        tree, dump = tmp_path / "tree", tmp_path / "dump"
        env_tree(tree)
        dump.mkdir()
        root = cg.scratch_root(skiffos, tmp_path)
        with open(root / "buildroot" / "workspace.mk", "a") as mk:
            mk.write(RUN_HOOK)
        env = dict(cg.skiffos_env(tree, SELECTION), DUMP=str(dump))
        cg.run_make(root, "configure", env)
        cg.run_make(root, f"cmd/{SELECTION}/dump", env)
        cg.run_make(root, "compile", env)
        final = root / "workspaces" / f".config_{cg.WORKSPACE}"
        norm = cg.Normaliser(
            [
                (f"{final}/", "@FINAL@/"),
                (str(final), "@FINAL@"),
                (str(tree), "@TREE@"),
                (str(root / "buildroot"), "@BUILDROOT@"),
                (str(skiffos), "@SKIFFOS_CHECKOUT@"),
                (str(root), "@SKIFFOS@"),
            ]
        )
        golden = {"skiffos_commit": commit, "selection": SELECTION, "workspace": cg.WORKSPACE}
        for which in ("command", "hook"):
            seen = read_env(dump / f"{which}.env")
            golden[which] = {k: norm(v) for k, v in sorted(seen.items()) if k not in NOISE}
    GOLDEN.write_text(json.dumps(golden, indent=1, sort_keys=True) + "\n")
    print(f"command: {len(golden['command'])} variables, hook: {len(golden['hook'])} variables")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
