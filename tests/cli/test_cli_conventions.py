"""CLI conventions: --version, help texts, exit codes, colour, -q/-v, --json, completion, and
Buildroot targets that are not builds. Real CLI in child processes, fixture Buildroot tree."""

from __future__ import annotations

import json
import os
import pty
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from skifftest import run_skiff, write_package

import skiff_tui

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "buildroot_tree"
ESC = "\033["


@pytest.fixture
def root(skiff_root, monkeypatch):
    c = skiff_root / "configs"
    write_package(
        c,
        "test/board",
        description="A test board",
        files={"buildroot/00-arch": "BR2_aarch64=y\n", "buildroot/10-host": 'BR2_TARGET_GENERIC_HOSTNAME="a"\n'},
    )
    write_package(
        c,
        "apps/extra",
        description="extra",
        deps="test/board",
        commands="hello Say hello\nfail Fail on purpose",
        files={
            "buildroot/x": 'BR2_PACKAGE_HTOP=y\nBR2_TARGET_GENERIC_HOSTNAME="b"\n',
            "extensions/Makefile": "hello:\n\t@echo hello\nfail:\n\t@exit 3\n",
        },
    )
    monkeypatch.setenv("SKIFF_BUILDROOT_SRC", str(FIXTURE))
    return skiff_root


def _verbs() -> dict[str, list[str]]:
    import argparse

    from skiff_tui.cli import build_parser

    def subs(parser):
        for a in parser._actions:
            if isinstance(a, argparse._SubParsersAction):
                return a.choices
        return {}

    out = {}
    for verb, p in subs(build_parser()).items():
        out[verb] = [verb]
        for sub in subs(p):
            out[f"{verb} {sub}"] = [verb, sub]
    return out


def test_version_matches_the_package():
    r = run_skiff("--version")
    assert r.returncode == 0 and r.stdout == f"skiff {skiff_tui.__version__}\n"


@pytest.mark.parametrize("verb", sorted(_verbs()))
def test_every_verb_has_a_description_and_an_example(verb):
    from skiff_tui.cli import build_parser

    words = _verbs()[verb]
    p = build_parser()
    for w in words:
        p = next(a for a in p._actions if a.__class__.__name__ == "_SubParsersAction").choices[w]
    text = p.format_help()
    assert p.description and len(p.description) > 10, verb
    assert re.search(r"^example: .*\bskiff [a-z-]", text, re.M), verb
    assert not re.search(r"SPEC|DESIGN\.md|§|issue \d", text), verb


def test_exit_codes_usage_input_and_failed_work(root):
    assert run_skiff("no-such-verb").returncode == 2  # usage
    assert run_skiff("configure", "no/such").returncode == 2  # input
    assert run_skiff("configure", "apps/extra").returncode == 0
    r = run_skiff("cmd", "apps/extra", "fail")
    assert r.returncode == 1, r.stderr  # the work failed
    assert run_skiff("cmd", "apps/extra", "hello").returncode == 0


def _stderr_on_a_tty(args: list[str], env: dict) -> str:
    master, slave = pty.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "skiff_tui", *args],
            stdout=subprocess.DEVNULL,
            stderr=slave,
            env={**os.environ, **env},
            timeout=60,
        )
    finally:
        os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.returncode == 2
    return b"".join(chunks).decode()


def test_colour_on_a_terminal_only(root):
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env["TERM"] = "xterm"
    coloured = _stderr_on_a_tty(["configure", "no/such"], {"TERM": "xterm", "NO_COLOR": ""})
    assert ESC in coloured and "unknown package" in coloured
    plain = _stderr_on_a_tty(["configure", "no/such"], {"TERM": "xterm", "NO_COLOR": "1"})
    assert ESC not in plain and "skiff: error: unknown package" in plain
    piped = run_skiff("configure", "no/such", env={"TERM": "xterm", "NO_COLOR": ""})
    assert ESC not in piped.stderr and piped.stderr.startswith("skiff: error: unknown package")


def test_quiet_and_verbose(root):
    loud = run_skiff("configure", "apps/extra")
    assert "configured workspace" in loud.stdout
    quiet = run_skiff("-q", "configure", "--force", "apps/extra")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""
    quiet_after = run_skiff("configure", "--force", "-q")
    assert quiet_after.returncode == 0 and quiet_after.stdout == ""
    verbose = run_skiff("-v", "br", "savedefconfig")
    assert verbose.returncode == 0, verbose.stderr
    assert re.search(r"running: make -C \S+ O=\S+ .* savedefconfig", verbose.stderr)


def test_json_of_show_list_check_and_logs(root):
    assert run_skiff("configure", "apps/extra").returncode == 0
    data = json.loads(run_skiff("show", "--json", "BR2_TARGET_GENERIC_HOSTNAME").stdout)
    (row,) = data["values"]
    assert row["value"] == '"b"' and row["set_by"]["layer"] == "apps/extra"
    assert row["overrides"][0]["value"] == '"a"' and row["overrides"][0]["set_by"]["layer"] == "test/board"
    assert json.loads(run_skiff("show", "--chain", "--json").stdout) == {"chain": ["test/board", "apps/extra"]}
    merged = json.loads(run_skiff("show", "--merged", "buildroot", "--json").stdout)
    assert merged["values"]["BR2_PACKAGE_HTOP"] == "y"
    over = json.loads(run_skiff("show", "--overridden", "--json").stdout)["overridden"]
    assert [o["symbol"] for o in over] == ["BR2_TARGET_GENERIC_HOSTNAME"]
    assert json.loads(run_skiff("list", "--json").stdout)["chain"] == ["test/board", "apps/extra"]
    assert "problems" in json.loads(run_skiff("check", "--packages-only", "--json").stdout)
    assert json.loads(run_skiff("logs", "--list", "--json").stdout) == {"builds": []}


def test_targets_that_do_not_build_leave_no_build_record(root):
    assert run_skiff("configure", "apps/extra").returncode == 0
    for target in ("savedefconfig", "source"):
        r = run_skiff("br", target)
        assert r.returncode == 0, r.stderr
    assert json.loads(run_skiff("logs", "--list", "--json").stdout) == {"builds": []}
    assert not (root / "workspaces" / "default" / "skiff-logs").exists()


def test_build_target_classification():
    from skiff_tui.core.builds.brtargets import is_build

    for t in (
        "graph-build",
        "graph-depends",
        "legal-info",
        "source",
        "savedefconfig",
        "show-info",
        "printvars",
        "linux-menuconfig",
        "busybox-source",
        "linux-graph-depends",
        "help",
    ):
        assert not is_build(t), t
    for t in ("all", "linux", "linux-rebuild", "busybox-reconfigure", "host-gcc", "sdk", "world"):
        assert is_build(t), t


# --- completion ----------------------------------------------------------------------------------


def _complete(*words: str) -> list[str]:
    r = run_skiff("completion", "--complete", *words)
    assert r.returncode == 0, r.stderr
    return r.stdout.split()


def test_completion_candidates(root):
    assert {"configure", "compile", "completion", "init"} <= set(_complete(""))
    assert _complete("con") == ["configure"]
    assert _complete("configure", "apps/") == ["apps/extra"]
    assert _complete("configure", "test/board,ap") == ["test/board,apps/extra"]
    assert _complete("cmd", "") == ["apps/extra"]
    assert _complete("cmd", "apps/extra", "") == ["fail", "hello"]
    assert "--json" in _complete("list", "--")
    assert _complete("flash", "l") == ["list"]
    assert _complete("show", "--merged", "k") == ["kernel"]
    assert _complete("completion", "") == ["bash", "fish", "zsh"]
    (root / "workspaces" / "lab").mkdir()
    assert _complete("-w", "") == ["lab"]
    _complete("--", "-")  # odd words never crash: _complete asserts exit 0


def _shell_env(root: Path) -> dict:
    bindir = root / "bin"
    bindir.mkdir(exist_ok=True)
    launcher = bindir / "skiff"
    launcher.write_text(f'#!/bin/sh\nexec {sys.executable} -m skiff_tui "$@"\n')
    launcher.chmod(0o755)
    return {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}"}


def test_bash_completion_script_completes_package_names(root):
    if shutil.which("bash") is None:
        pytest.skip("bash not installed (Debian package: bash)")
    env = _shell_env(root)
    script = (
        'eval "$(skiff completion bash)"\n'
        'COMP_WORDS=(skiff configure "test/board,a"); COMP_CWORD=2; _skiff\n'
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    r = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["test/board,apps/extra"]


def test_zsh_completion_script(root):
    if shutil.which("zsh") is None:
        pytest.skip("zsh not installed (Debian package: zsh)")
    env = _shell_env(root)
    script = root / "_skiff"
    script.write_text(run_skiff("completion", "zsh").stdout)
    assert subprocess.run(["zsh", "-n", str(script)], capture_output=True).returncode == 0
    # Drive the function the way compsys would: words/CURRENT set, compadd captured.
    probe = (
        f'compdef() {{ :; }}; compadd() {{ shift $(( ${{@[(i)--]}} )); print -l -- "$@"; }}\n'
        f'source {script}\nwords=(skiff cmd apps/extra ""); CURRENT=4; _skiff\n'
    )
    r = subprocess.run(["zsh", "-f", "-c", probe], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["fail", "hello"]


def test_fish_completion_script(root):
    if shutil.which("fish") is None:
        pytest.skip("fish not installed (Debian package: fish)")
    env = _shell_env(root)
    script = root / "skiff.fish"
    script.write_text(run_skiff("completion", "fish").stdout)
    assert subprocess.run(["fish", "--no-execute", str(script)], capture_output=True).returncode == 0
    r = subprocess.run(
        ["fish", "--no-config", "-c", f"source {script}; complete -C 'skiff configure apps/'"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert [line.split("\t")[0] for line in r.stdout.splitlines()] == ["apps/extra"]
