"""The bad-input corpus: each hostile or broken file gives a one-line error naming the file (and
line where there is one), no traceback, and nothing half-written (the workspace is unchanged)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from skifftest import FIXTURE_BUILDROOT, run_skiff, tree_snapshot, write_package

SEPARATORS = {
    "CR": "\r",
    "VT": "\x0b",
    "FF": "\x0c",
    "FS": "\x1c",
    "GS": "\x1d",
    "RS": "\x1e",
    "NEL": "\x85",
    "LS": "\u2028",
    "PS": "\u2029",
    "NUL": "\0",
}


@pytest.fixture
def root(skiff_root, monkeypatch):
    c = skiff_root / "configs"
    write_package(c, "test/board", description="board", files={"buildroot/00-arch": "BR2_aarch64=y\n"})
    write_package(c, "test/other", description="still loads", files={"buildroot/x": "BR2_PACKAGE_HTOP=y\n"})
    monkeypatch.setenv("SKIFF_BUILDROOT_SRC", str(FIXTURE_BUILDROOT))
    return skiff_root


def pkg(root: Path, name: str = "test/board") -> Path:
    return root / "configs" / name


def one_line_error(r, *needles: str) -> None:
    assert r.returncode != 0, (r.stdout, r.stderr)
    assert "Traceback" not in r.stderr, r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def configure_refused(root: Path, *needles: str, selection: str = "test/board") -> None:
    before = tree_snapshot(root / "workspaces")
    r = run_skiff("configure", selection)
    one_line_error(r, *needles)
    assert tree_snapshot(root / "workspaces") == before, "configure wrote something before refusing"


@pytest.mark.parametrize("sep", list(SEPARATORS))
def test_line_separator_in_a_fragment_value(root, sep):
    frag = pkg(root) / "buildroot" / "10-evil"
    frag.write_text(f'BR2_TARGET_GENERIC_ISSUE="x{SEPARATORS[sep]}BR2_PACKAGE_DROPBEAR=y"\n', newline="")
    configure_refused(root, f"{frag}:1:")


@pytest.mark.parametrize("sep", ["LS", "VT", "NUL"])
def test_line_separator_in_cflags(root, sep):
    f = pkg(root) / "cflags" / "opt"
    f.parent.mkdir()
    f.write_text(f"-O2{SEPARATORS[sep]}BR2_PACKAGE_DROPBEAR=y\n")
    configure_refused(root, f"{f}:1:")


@pytest.mark.parametrize("sep", ["LS", "CR", "NEL"])
def test_line_separator_in_a_saved_delta_is_refused(root, sep):
    from skiff_tui.core.editors.delta import delta_path, save_delta
    from skiff_tui.core.errors import FragmentError
    from skiff_tui.core.workspace import Workspace

    ws = Workspace(root, "default")
    with pytest.raises(FragmentError, match="one line"):
        save_delta(ws, {"BR2_TARGET_GENERIC_ISSUE": f'"x{SEPARATORS[sep]}BR2_PACKAGE_DROPBEAR=y"'})
    assert not delta_path(ws).exists()


def test_environment_value_with_a_newline(root):
    before = tree_snapshot(root / "workspaces")
    r = run_skiff("configure", "test/board", env={"BR2_DL_DIR": "/tmp/dl\nBR2_PACKAGE_DROPBEAR=y"})
    one_line_error(r, "line break")
    assert tree_snapshot(root / "workspaces") == before


def test_fragment_not_utf8(root):
    frag = pkg(root) / "buildroot" / "10-latin1"
    frag.write_bytes(b'BR2_aarch64=y\nBR2_TARGET_GENERIC_ISSUE="caf\xe9"\n')
    configure_refused(root, f"{frag}:2:", "UTF-8")


def test_symlink_loop_in_a_fragment_dir(root):
    loop = pkg(root) / "buildroot" / "loop"
    loop.symlink_to(loop)
    configure_refused(root, str(loop), "symbolic links")


def test_symlink_loop_under_configs_still_lists_the_other_packages(root):
    ns = root / "configs" / "loop"
    ns.mkdir()
    (ns / "a").symlink_to(ns / "b")
    (ns / "b").symlink_to(ns / "a")
    r = run_skiff("list")
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert "test/other" in r.stdout and "test/board" in r.stdout
    assert "loop/a" in r.stdout + r.stderr  # named, not silently dropped


def test_dependency_cycle(root):
    (pkg(root) / "metadata" / "dependencies").write_text("test/other\n")
    (pkg(root, "test/other") / "metadata" / "dependencies").write_text("test/board\n")
    configure_refused(root, "dependency cycle", "test/board -> test/other -> test/board")
    r = run_skiff("check")
    assert "Traceback" not in r.stderr
    assert "dependency cycle" in r.stdout + r.stderr and "No problems" not in r.stdout


def test_control_characters_in_metadata(root):
    dep = pkg(root) / "metadata" / "description"
    dep.write_text("fine\nbad\x1b[31m\n")
    r = run_skiff("configure", "test/board")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("skiff: error:")]
    assert len(errors) == 1 and f"{dep}:2:" in errors[0], r.stderr


def test_users_table_not_utf8(root):
    users = pkg(root) / "users" / "table"
    users.parent.mkdir()
    users.write_bytes(b"user -1 user -1 =pass\xff /home/user /bin/sh - User\n")
    configure_refused(root, str(users), "UTF-8")


def test_bad_external_name(root):
    ext = pkg(root) / "buildroot_ext"
    ext.mkdir()
    (ext / "external.desc").write_text("name: bad-name\n")
    (ext / "Config.in").write_text("")
    (ext / "external.mk").write_text("")
    configure_refused(root, f"{ext / 'external.desc'}:1:")


def test_unknown_package(root):
    configure_refused(root, "test/nope", selection="test/nope")


def test_huge_value_is_not_echoed_in_full(root):
    frag = pkg(root) / "buildroot" / "10-huge"
    frag.write_text('BR2_TARGET_GENERIC_ISSUE="' + "x" * 5_000_000 + '\u2028"\n')
    configure_refused(root, str(frag))
    r = run_skiff("configure", "test/board")
    assert len(r.stderr) < 2000


CORE_FILE = Path("root_overlay/opt/skiff/coreenv/defconfig.yaml")


@pytest.mark.parametrize("case", ["tag", "python-tag", "not-utf8", "directory"])
def test_bad_skiff_core_yaml_is_a_check_problem_and_load_is_one_line(root, case):
    from skiff_tui.core.config import coreyaml
    from skiff_tui.core.errors import SkiffError

    path = pkg(root) / CORE_FILE
    path.parent.mkdir(parents=True)
    if case == "tag":
        path.write_text("containers: !weird {}\nusers: {}\nimages: {}\n")
    elif case == "python-tag":
        path.write_text("containers: {}\nusers: {}\nimages: !!python/object/apply:os.system ['true']\n")
    elif case == "not-utf8":
        path.write_bytes(b"containers: {}\nusers: {}\n# \xff\nimages: {}\n")
    else:
        path.mkdir()
    r = run_skiff("check")
    assert "Traceback" not in r.stderr
    assert str(path) in r.stdout + r.stderr and "No problems" not in r.stdout
    with pytest.raises(SkiffError) as err:
        coreyaml.load(path)
    assert "\n" not in str(err.value) and str(path) in str(err.value)


def test_merge_keys_in_skiff_core_yaml_load(root):
    from skiff_tui.core.config import coreyaml

    path = pkg(root) / CORE_FILE
    path.parent.mkdir(parents=True)
    path.write_text("containers:\n  a: &base\n    image: x\n  b:\n    <<: *base\nusers: {}\nimages: {}\n")
    assert coreyaml.load(path)["containers"]["b"] == {"image": "x"}


def test_skiff_core_yaml_with_a_password_is_saved_0600(root):
    from skiff_tui.core.editors import coreyaml_place as cyp
    from skiff_tui.core.editors import overrides
    from skiff_tui.core.workspace import Workspace

    ws = Workspace(root, "default")
    layer = overrides.layer(root, ws, "workspace")
    path = cyp.save_coreyaml(layer, "users:\n  core:\n    container: c\n    auth:\n      password: hunter2\n")
    assert os.stat(path).st_mode & 0o777 == 0o600
    path = cyp.save_coreyaml(layer, "containers: {}\nusers: {}\nimages: {}\n")
    assert os.stat(path).st_mode & 0o777 == 0o644


def test_secrets_are_masked_for_read_only_views():
    from skiff_tui.core.masking import MASK, mask_secrets

    text = (
        "[wifi-security]\nkey-mgmt=wpa-psk\npsk=correct horse\n"
        "users:\n  core:\n    auth:\n      password: hunter2\n"
        "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\nBBBB\n-----END OPENSSH PRIVATE KEY-----\n"
    )
    masked = mask_secrets(text)
    for secret in ("correct horse", "hunter2", "AAAA", "BBBB"):
        assert secret not in masked
    assert masked.count(MASK) == 4 and len(masked.splitlines()) == len(text.splitlines())  # a line per key line
    assert "key-mgmt=wpa-psk" in masked


VERBS = [
    ["list"],
    ["show", "BR2_aarch64"],
    ["check"],
    ["logs", "--list"],
    ["--help"],
    ["configure", "--help"],
    ["list", "--help"],
    ["configure", "test/board"],
]


@pytest.mark.parametrize("verb", VERBS, ids=lambda v: " ".join(v))
def test_output_into_a_closed_pipe_ends_quietly(root, verb):
    read_end, write_end = os.pipe()
    os.close(read_end)
    env = dict(os.environ, SKIFF_CONFIG="test/board")
    proc = subprocess.run(
        [sys.executable, "-m", "skiff_tui", *verb],
        stdout=write_end,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
        timeout=120,
    )
    os.close(write_end)
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr
    assert proc.returncode in (0, 141), proc.stderr


def test_the_tui_without_a_terminal_refuses_in_one_line(root):
    r = subprocess.run(
        [sys.executable, "-m", "skiff_tui"], stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60
    )
    one_line_error(r, "needs a terminal")
    assert r.stdout == ""


def test_a_huge_value_that_does_not_stick_is_reported_in_a_short_line(root):
    frag = pkg(root) / "buildroot" / "10-huge"
    frag.write_text('BR2_NOT_A_SYMBOL="' + "y" * 2_000_000 + '"\n')
    r = run_skiff("configure", "test/board")
    assert r.returncode == 0, r.stderr
    line = next(ln for ln in r.stdout.splitlines() if "BR2_NOT_A_SYMBOL" in ln)
    assert len(line) < 1000 and "more characters" in line
