"""Functional: skiff list / show / check / cmd through the real CLI process."""

import json

import pytest
from skifftest import run_skiff, tree_snapshot, write_package

from skiff_tui.core.session import Session


@pytest.fixture
def root(skiff_root):
    c = skiff_root / "configs"
    write_package(c, "base/pre", files={"buildroot/0": "BR2_A=y\n"})
    write_package(c, "apps/runc", description="runc runtime", files={"buildroot/r": "BR2_PACKAGE_RUNC=y\n"})
    write_package(
        c,
        "apps/docker",
        description="Docker engine",
        deps="apps/runc",
        files={"buildroot/d": "BR2_PACKAGE_DOCKER_ENGINE=y\n# BR2_A is not set\n"},
    )
    write_package(
        c,
        "pi/common",
        description="Pi common",
        unlisted=True,
        commands="format Format an SD card\ninstall Install to an SD card",
        files={
            "extensions/Makefile": "format:\n\t@echo formatting $(PI_SD) in $$SKIFF_WORKSPACE from "
            "$$SKIFF_CURRENT_CONF_NAME chain=$$SKIFF_CHAIN\ninstall:\n\t@exit 4\n"
        },
    )
    write_package(
        c,
        "pi/4",
        description="Raspberry Pi 4",
        deps="pi/common",
        files={"kernel/k": "CONFIG_USB=y\n", "buildroot/p": "BR2_aarch64=y\n"},
    )
    return skiff_root


def test_list_without_selection_says_how_to_select(root):
    r = run_skiff("list")
    assert r.returncode == 0, r.stderr
    assert "Workspace: default" in r.stdout and "SKIFF_CONFIG=pi/4,skiff/core make configure" in r.stdout
    lines = r.stdout.splitlines()
    pkgs = lines[lines.index("Packages:") + 1 : lines.index("Build commands:") - 1]
    assert [ln.split()[0] for ln in pkgs] == ["apps/docker", "apps/runc", "pi/4"]  # sorted, unlisted hidden
    assert "Raspberry Pi 4" in pkgs[2]


def test_list_with_selection_shows_chain_and_its_commands(root):
    r = run_skiff("list", env={"SKIFF_CONFIG": "pi/4"})
    assert "Selected chain:" in r.stdout and "(needed by pi/4)" in r.stdout
    assert "cmd/pi/common/format: Format an SD card" in r.stdout
    assert "cmd/pi/common/install: Install to an SD card" in r.stdout


def test_list_offers_only_commands_of_packages_with_extensions(root):
    # SkiffOS's own skiff/core declares `format` in metadata/commands but has no extensions/
    write_package(root / "configs", "skiff/core", description="core", commands="format Format a SD card\n")
    r = run_skiff("list", env={"SKIFF_CONFIG": "pi/4,skiff/core"})
    assert r.returncode == 0, r.stderr
    assert "cmd/pi/common/format" in r.stdout and "cmd/skiff/core/format" not in r.stdout
    data = json.loads(run_skiff("list", "--json", env={"SKIFF_CONFIG": "pi/4,skiff/core"}).stdout)
    assert next(p for p in data["packages"] if p["name"] == "skiff/core")["commands"] == []


def test_list_all_and_json(root):
    assert "pi/common" in run_skiff("list", "--all").stdout
    data = json.loads(run_skiff("list", "--json", "--all", env={"SKIFF_CONFIG": "apps/docker"}).stdout)
    assert data["chain"] == ["apps/runc", "apps/docker"]
    assert {p["name"] for p in data["packages"]} == {"apps/docker", "apps/runc", "pi/common", "pi/4"}


def test_show_chain_merged_and_symbol_provenance(root):
    env = {"SKIFF_CONFIG": "apps/docker,pi/4"}
    assert run_skiff("show", "--chain", env=env).stdout.split() == ["apps/runc", "apps/docker", "pi/common", "pi/4"]
    merged = run_skiff("show", "--merged", "kernel", env=env).stdout
    assert "CONFIG_USB=y" in merged
    r = run_skiff("show", "BR2_A", env=env)
    assert r.returncode == 0
    assert "BR2_A = n (is not set)" in r.stdout
    assert "set by apps/docker" in r.stdout and "overrides y from base/pre" in r.stdout
    r = run_skiff("show", "BR2_NOPE", env=env)
    assert r.returncode == 1 and "not set by any layer" in r.stderr


def test_show_writes_nothing(root):
    before = tree_snapshot(root)
    run_skiff("show", env={"SKIFF_CONFIG": "pi/4"})
    assert tree_snapshot(root) == before


@pytest.mark.parametrize(
    "sel,message",
    [
        ("pi/5", "unknown package 'pi/5'"),
        ("pi", "invalid package name 'pi'"),
    ],
)
def test_errors_are_one_line_exit_2_and_write_nothing(root, sel, message):
    before = tree_snapshot(root)
    r = run_skiff("configure", env={"SKIFF_CONFIG": sel})
    assert r.returncode == 2 and message in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert tree_snapshot(root) == before


def test_cycle_error_via_cli(root):
    write_package(root / "configs", "x/a", deps="x/b")
    write_package(root / "configs", "x/b", deps="x/a")
    r = run_skiff("show", "--chain", env={"SKIFF_CONFIG": "x/a"})
    assert r.returncode == 2 and "dependency cycle: x/a -> x/b -> x/a" in r.stderr


def test_check_reports_package_defects(root):
    c = root / "configs"
    write_package(c, "bad/cmds", commands="run Run it")
    write_package(c, "bad/target", commands="go Go", files={"extensions/Makefile": "other:\n"})
    write_package(c, "bad/frag", files={"buildroot/x": "BR2_OK=y\nnonsense here\n"})
    hook = write_package(c, "bad/hook", files={"hooks/post.sh": "#!/bin/sh\n"}) / "hooks" / "post.sh"
    hook.chmod(0o644)
    write_package(c, "bad/ext", files={"buildroot_ext/external.desc": "name: X\n"})
    write_package(c, "bad/dep", deps="no/such")
    r = run_skiff("check", "--packages-only")
    assert r.returncode == 1
    out = r.stdout
    assert "declares commands but has no extensions/" in out
    assert "command 'go' has no target in extensions/Makefile" in out
    assert "bad/frag/buildroot/x:2: not a Kconfig assignment" in out
    assert "hook is not executable" in out
    assert "BR2_EXTERNAL tree is missing Config.in" in out
    assert "depends on unknown package 'no/such'" in out
    assert "6 problem(s) found" in out


def test_cmd_runs_extension_target_with_environment(root):
    r = run_skiff("cmd", "pi/common", "format", env={"SKIFF_CONFIG": "pi/4", "PI_SD": "/dev/sdz"})
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "formatting /dev/sdz in default from pi/common chain=pi/common,pi/4"


def test_cmd_exit_code_and_unknown_command(root):
    r = run_skiff("cmd", "pi/common", "install")
    # the command ran and failed: 1 (make's own status, 2, would read as a usage error)
    assert r.returncode == 1 and "Error 4" in r.stderr
    r = run_skiff("cmd", "pi/common", "explode")
    assert r.returncode == 2 and "has no command 'explode' (its commands: format, install)" in r.stderr


def test_stream_command_hands_lines_to_a_pane_without_a_terminal(root):
    from skiff_tui.core.builds.commands import stream_command
    from skiff_tui.core.library.packages import discover
    from skiff_tui.core.workspace import Workspace

    lines = []
    env = {"SKIFF_CONFIG": "pi/4", "PI_SD": "/dev/sdq", "PATH": __import__("os").environ["PATH"]}
    code = stream_command(
        Session(root, env, Workspace(root, "default"), discover(root / "configs", env)),
        "pi/common",
        "format",
        lines.append,
    )
    assert code == 0 and lines == ["formatting /dev/sdq in default from pi/common chain=pi/common,pi/4"]


def test_bare_skiff_keeps_its_options_for_the_tui(root, monkeypatch):
    import sys

    from skiff_tui import cli

    seen = {}
    monkeypatch.setattr(sys, "argv", ["skiff", "-w", "lab"])
    import skiff_tui.cli.tui_cmds as tui_cmds

    monkeypatch.setattr(tui_cmds, "cmd_tui", lambda args: seen.setdefault("ws", args.workspace) and 0)
    parser_func = cli.build_parser
    monkeypatch.setattr(cli, "build_parser", lambda: _patched(parser_func(), tui_cmds.cmd_tui))
    cli.main()
    assert seen == {"ws": "lab"}


def _patched(parser, func):
    for action in parser._subparsers._group_actions:
        action.choices["tui"].set_defaults(func=func)
    return parser


def test_check_reads_users_hooks_core_yaml_and_override_layers(root):
    c = root / "configs"
    write_package(
        c,
        "bad/users",
        files={
            "users/u": "# comment\nalice -1 alice -1 =pw /home/alice /bin/sh - Alice\n"
            "bob x bob -1 =pw /home/bob /bin/sh - Bob\nshort 1 2\n"
            "carol -1 carol -1 =pw /home/carol /bin/sh -\n"
        },
    )
    write_package(c, "bad/hooksyntax", files={"hooks/pre.sh": "#!/bin/sh\nif then fi (\n"})
    write_package(
        c,
        "bad/coreyaml",
        files={
            "root_overlay/opt/skiff/coreenv/defconfig.yaml": "containers:\n  core:\n    image: debian\n"
            "users:\n  me:\n    container: nope\n"
        },
    )
    ws_layer = root / "overrides" / "workspaces" / "default"
    (ws_layer / "kernel").mkdir(parents=True)
    (ws_layer / "kernel" / "mine").write_text("CONFIG_OK=y\nnot a line\n")
    r = run_skiff("check", "--packages-only")
    out = r.stdout
    assert r.returncode == 1
    assert "bad/users/users/u:3: uid and gid must be numbers" in out
    assert "bad/users/users/u:4: users line has 3 fields" in out
    assert "bad/hooksyntax/hooks/pre.sh: shell syntax error" in out
    assert "defconfig.yaml:6: skiff-core config:" in out and "nope" in out
    assert "overrides/workspaces/default/kernel/mine:2: not a Kconfig assignment" in out


def test_buildimage_into_a_missing_directory_is_one_line(root, tmp_path):
    images = root / "workspaces" / "default" / "images"
    images.mkdir(parents=True)
    (images / "Image").write_bytes(b"kernel")
    (images / "rootfs.cpio.lz4").write_bytes(b"rootfs")
    r = run_skiff("flash", "buildimage", "--image", str(tmp_path / "nodir" / "x.img"))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"directory {tmp_path / 'nodir'} does not exist" in r.stderr


def test_flash_from_a_workspace_is_refused_while_it_is_being_modified(root, tmp_path):
    import subprocess
    import sys

    images = root / "workspaces" / "default" / "images"
    images.mkdir(parents=True)
    (images / "Image").write_bytes(b"kernel")
    (images / "rootfs.cpio.lz4").write_bytes(b"rootfs")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys,time;from pathlib import Path;"
            "from skiff_tui.core.workspace import Workspace;"
            "Workspace(Path(sys.argv[1]),'default').lock('skiff compile').acquire();"
            "print('locked',flush=True);time.sleep(60)",
            str(root),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        r = run_skiff("flash", "buildimage", "--image", str(tmp_path / "card.img"), "--size", "2G")
        assert r.returncode == 2 and f"pid {holder.pid}" in r.stderr and "skiff compile" in r.stderr
        assert not (tmp_path / "card.img").exists()
    finally:
        holder.kill()
        holder.wait()
