"""shellcheck over every shell script in the package library (configs/): hooks, scripts/,
resources/*.sh and root_overlay scripts with a sh/bash shebang. A finding that is a false
positive carries `# shellcheck disable=SCnnnn # reason` at the line, nothing is silenced globally."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from skifftest import REPO, requires_tools

CONFIGS = REPO / "configs"
SHELL_SHEBANG = re.compile(rb"^#!\s*\S*/(?:env\s+)?(?:sh|bash|dash)\b")


def shell_scripts() -> list[Path]:
    found = []
    for path in sorted(CONFIGS.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        if path.suffix == ".sh":
            found.append(path)
            continue
        with path.open("rb") as f:
            if SHELL_SHEBANG.match(f.readline(128)):
                found.append(path)
    return found


def test_the_library_has_shell_scripts_to_check():
    scripts = shell_scripts()
    names = {p.relative_to(CONFIGS).as_posix() for p in scripts}
    # Hooks, scripts/ and an extension-less root_overlay script are all picked up.
    assert "base/pre/scripts/stage-boot-files.sh" in names
    assert "pi/common/hooks/post.sh" in names
    assert any("/root_overlay/" in n for n in names)
    assert len(scripts) > 40


@requires_tools("shellcheck")
def test_shellcheck_finds_nothing_in_configs():
    scripts = shell_scripts()
    proc = subprocess.run(["shellcheck", "--format=gcc", *map(str, scripts)], capture_output=True, text=True, cwd=REPO)
    findings = proc.stdout.replace(f"{REPO}/", "")
    assert proc.returncode == 0 and not findings.strip(), f"shellcheck:\n{findings}{proc.stderr}"
