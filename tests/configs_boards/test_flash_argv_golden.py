"""Every package's format/install/buildimage/create-image runs exactly what it ran before the
flash Makefiles were factored into configs/base/pre/resources/flash-commands.mk."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from skifftest import requires_tools

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flash_argv import GOLDEN, table  # noqa: E402


@requires_tools("make")
def test_flash_commands_match_the_golden_table():
    golden = json.loads(GOLDEN.read_text())
    now = table()
    assert sorted(now) == sorted(golden), "packages/commands added or dropped: regenerate deliberately"
    changed = [key for key in golden if now[key] != golden[key]]
    assert not changed, "\n".join(f"{k}:\n  was {golden[k]}\n  now {now[k]}" for k in changed[:5])
    # The table covers the boards' SD commands and their refusals, not only successes.
    assert sum(v["rc"] == 0 for v in golden.values()) > 100
    assert any("is not set" in v["stderr"] for v in golden.values())
