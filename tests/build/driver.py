#!/usr/bin/env python3
"""Runs one build the way `skiff compile` does (lock held, run_build), for out-of-process tests.

driver.py ROOT WORKSPACE TOTAL -- ARGV...
"""

import sys
from pathlib import Path

from skiff_tui.core.builds.build import run_build
from skiff_tui.core.workspace import Workspace

root, name, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
argv = sys.argv[sys.argv.index("--") + 1 :]
ws = Workspace(Path(root), name)
ws.dir.mkdir(parents=True, exist_ok=True)
with ws.lock("driver test build"):
    rec = run_build(ws, argv, env={}, chain=["test/chain"], target="all", total=total)
print(rec.status, flush=True)
sys.exit(0 if rec.status == "succeeded" else 1)
