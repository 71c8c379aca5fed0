"""Read-only is structural: every engine function that writes is guarded before its first write.

The scan below reads the engine's source (skiff_tui/core) and finds every function that calls a
write primitive, directly or through a module-private helper. Each public one must be decorated
with @readonly.mutating or call readonly.guard() before its first write; a new writer added
without a guard fails this test. Every registered function is then called in read-only mode and
must refuse before touching anything, whatever its arguments.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import pkgutil
from pathlib import Path

import pytest
from skifftest import FIXTURE_BUILDROOT, run_skiff, tree_snapshot, write_package

import skiff_tui.core as core_pkg
from skiff_tui.core import readonly
from skiff_tui.core.errors import ReadOnlyError
from skiff_tui.core.session import Session

CORE = Path(core_pkg.__file__).parent
# Calls that change files, processes or devices: methods whose name says so, and os/shutil/
# subprocess functions (qualified, so str.replace or list.remove do not count).
WRITE_METHODS = {
    "write_text",
    "write_bytes",
    "write_if_changed",
    "unlink",
    "rmtree",
    "mkdir",
    "symlink_to",
    "chmod",
    "open_nofollow",
    "run_make",
    "save_state",
    "touch",
    "start_build",
    "copytree",
    "copyfile",
    "copy2",
}
WRITE_QUALIFIED = (
    {
        ("os", n)
        for n in (
            "replace",
            "rename",
            "remove",
            "unlink",
            "rmdir",
            "makedirs",
            "chmod",
            "truncate",
            "killpg",
            "symlink",
            "link",
        )
    }
    | {("shutil", n) for n in ("rmtree", "move", "copy", "copy2", "copyfile", "copytree")}
    | {("subprocess", "Popen")}
)
# Functions that write only into a temporary directory they create themselves (so a read-only
# session may use them), or whose writes are the guarded caller's: name -> why.
EXEMPT = {
    "atomic:write_text": "the primitive itself; its callers are guarded",
    "atomic:write_bytes": "the primitive itself",
    "atomic:write_if_changed": "the primitive itself",
    "atomic:clean_stale_temps": "called by configure (guarded) only",
    "safepath:open_nofollow": "the primitive itself",
    "safepath:mkdir": "the primitive itself",
    "procs:stop_group": "ends a process; called by guarded configure/start_build only",
    "builds.buildroot:run_make": "runs make; called by guarded configure only",
    "builds.buildroot:write_external_includes": "writes into a scratch dir its caller created",
    "builds.buildroot:load_kconfig": "writes into a scratch dir its caller created",
    "builds.buildroot:choice_groups": "a cache outside every tree (SKIFF_CACHE_DIR), no user data",
    "builds.check:check_buildroot": "writes only into its own TemporaryDirectory",
    "builds.check:check_hook_syntax": "runs bash -n (reads only)",
    "builds.commands:command_argv_env": "builds argv, runs nothing",
    "editors.kconfig:open_workspace": "writes only into its own mkdtemp scratch dir",
    "editors.kconfig:KconfigModel.load": "writes only into its scratch dir",
    "editors.kconfig:Session.save": "calls KconfigModel.save, which guards",
    "editors.kconfig:Session.close": "removes its own scratch dir",
    "builds.build:BuildRecord.save": "called by guarded start_build, and by _settle only when not read-only",
    "builds.build:BuildHandle.wait": "the build of a guarded start_build",
    "builds.build:BuildHandle.cancel": "signals the build of a guarded start_build",
    "builds.build:end_orphaned_builds": "called by guarded configure/start_build only",
    "builds.build:run_build": "calls start_build (guarded) before anything else",
    "builds.configure:end_orphans": "called by guarded configure only",
    "workspace:WorkspaceLock.release": "releases a lock acquire() (guarded) took",
    "builds.logindex:LogIndex.close": "closes its own descriptor",
    "paths:library_dir": (
        "unpacks skiff's own shipped library into the cache (no user data): "
        "a read-only viewer needs it to read packages"
    ),
    "builds.kconfig_cache:take": "an in-memory pool of parsed trees; removes only scratch dirs it made",
    "builds.kconfig_cache:give_back": "an in-memory pool of parsed trees; removes only scratch dirs it made",
    "builds.kconfig_cache:clear": "an in-memory pool of parsed trees; removes only scratch dirs it made",
    "editors.kconfig:open_parsed": "parses into its own mkdtemp scratch dir",
    "builds.gitprogress:run": "runs the git command of buildroot.obtain (guarded) only",
    "builds.container:mounts": "creates the download/ccache dirs for container.wrap (guarded) only",
}
# The flash modules and devices are the flash helper's: flash.execute() guards every plan and
# open_target() guards creating an image; their internal steps run only inside execute().
SKIP_MODULES = {
    "flash.execute",
    "flash.copy",
    "flash.layout",
    "flash.board",
    "flash.units",
    "flash.devices",
    # steps of execute() too: block maps beside images, ejecting, decompressing (a
    # zstd child reading the image), per-card settings written into persist
    "flash.bmap",
    "flash.eject",
    "flash.image",
    "flash.settings",
    # split out of flash: plans, the install set, tool runs and debugfs scripts
    "flash.plan",
    "flash.install_set",
    "flash.tools",
    "flash.debugfs",
}


def _call_name(node: ast.Call) -> str | None:
    f = node.func
    if isinstance(f, ast.Attribute):
        return f.attr
    if isinstance(f, ast.Name):
        return f.id
    return None


def _is_write(node: ast.Call, private_writers: set[str]) -> bool:
    f = node.func
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and (f.value.id, f.attr) in WRITE_QUALIFIED:
        return True
    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id in ("os", "shutil", "subprocess"):
        return False
    name = _call_name(node)
    return name in WRITE_METHODS or name in private_writers


def _is_guard(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and _call_name(node) == "guard"


def _decorated(fn: ast.FunctionDef) -> bool:
    for d in fn.decorator_list:
        target = d.func if isinstance(d, ast.Call) else d
        if isinstance(target, ast.Attribute) and target.attr == "mutating":
            return True
        if isinstance(target, ast.Name) and target.id == "mutating":
            return True
    return False


def _functions(tree: ast.Module):
    """(qualname, node) of every function and method (nested functions belong to their parent)."""
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield node.name, node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    yield f"{node.name}.{item.name}", item


def _first_write_line(fn: ast.AST, private_writers: set[str]) -> int | None:
    lines = []
    for node in ast.walk(fn):
        if isinstance(node, ast.Call) and _is_write(node, private_writers):
            lines.append(node.lineno)
    return min(lines) if lines else None


def _guard_line(fn: ast.AST) -> int | None:
    lines = [n.lineno for n in ast.walk(fn) if _is_guard(n)]
    return min(lines) if lines else None


def scan(core: Path = CORE) -> tuple[list[str], list[str]]:
    """(unguarded public writers, guarded ones) over skiff_tui/core."""
    unguarded, guarded = [], []
    for path in sorted(core.rglob("*.py")):
        module = ".".join(path.relative_to(core).with_suffix("").parts)
        if module in SKIP_MODULES or path.name == "__init__.py":
            continue
        tree = ast.parse(path.read_text())
        funcs = dict(_functions(tree))
        # Private helpers that write, to a fixed point (a helper calling a writing helper writes).
        private: set[str] = set()
        changed = True
        while changed:
            changed = False
            for qual, fn in funcs.items():
                short = qual.split(".")[-1]
                if (
                    short.startswith("_")
                    and short not in private
                    and not short.startswith("__")
                    and _first_write_line(fn, private) is not None
                    and not _decorated(fn)
                ):
                    private.add(short)
                    changed = True
        for qual, fn in funcs.items():
            short = qual.split(".")[-1]
            if short.startswith("_") and not short.startswith("__"):
                continue
            first = _first_write_line(fn, private)
            if first is None:
                continue
            name = f"{module}:{qual}"
            if _decorated(fn):
                guarded.append(name)
                continue
            g = _guard_line(fn)
            if g is not None and g <= first:
                guarded.append(name)
            elif name not in EXEMPT:
                unguarded.append(f"{name} (first write at line {first})")
    return unguarded, guarded


def test_every_public_engine_writer_is_guarded_before_its_first_write():
    unguarded, guarded = scan()
    assert not unguarded, (
        "engine functions that write without a read-only guard first "
        f"(decorate them with @readonly.mutating): {unguarded}"
    )
    assert len(guarded) >= 20, guarded  # the scan found the known writers


def test_the_scan_catches_a_new_unguarded_writer(tmp_path):
    (tmp_path / "newthing.py").write_text(
        "import os\nfrom . import atomic, readonly\n"
        "def _helper(p):\n    atomic.write_text(p, 'x', within=None)\n"
        "def public_writer(p):\n    _helper(p)\n"
        "def late_guard(p):\n    os.replace(p, p)\n    readonly.guard('x')\n"
        "@readonly.mutating('fine')\ndef fine(p):\n    os.unlink(p)\n"
        "def reader(p):\n    return 'a'.replace('a', 'b')\n"
    )
    unguarded, guarded = scan(tmp_path)
    assert sorted(u.split(" ")[0] for u in unguarded) == ["newthing:late_guard", "newthing:public_writer"]
    assert guarded == ["newthing:fine"]


def test_exemptions_still_exist():
    """An exemption for a function that no longer exists is dead weight: remove it."""
    for name in EXEMPT:
        module, _, qual = name.partition(":")
        obj = importlib.import_module(f"skiff_tui.core.{module}")
        for part in qual.split("."):
            obj = getattr(obj, part)


def _import_all_core():
    for info in pkgutil.walk_packages([str(CORE)], "skiff_tui.core."):
        importlib.import_module(info.name)


def test_every_registered_writer_refuses_in_read_only_mode_before_its_body(monkeypatch):
    _import_all_core()
    assert len(readonly.MUTATING) >= 15, sorted(readonly.MUTATING)
    monkeypatch.setenv("SKIFF_READ_ONLY", "1")
    for _name, fn in sorted(readonly.MUTATING.items()):
        # Bogus arguments: the guard runs before the body, so they are never looked at.
        with pytest.raises(ReadOnlyError, match="read-only"):
            fn(object(), object(), object()) if fn.__code__.co_argcount == 0 else fn(*[object()] * 6)


@pytest.fixture
def tree(skiff_root, monkeypatch):
    write_package(
        skiff_root / "configs",
        "test/board",
        description="board",
        files={"buildroot/arch": "BR2_aarch64=y\n"},
        commands="hello say hello\n",
    )
    ext = skiff_root / "configs" / "test" / "board" / "extensions"
    ext.mkdir()
    (ext / "Makefile").write_text("hello:\n\ttouch $(SKIFF_ROOT_DIR)/ran-hello\n")
    monkeypatch.setenv("SKIFF_BUILDROOT_SRC", str(FIXTURE_BUILDROOT))
    return skiff_root


def test_configure_locked_refuses_before_writing(tree, monkeypatch):
    from skiff_tui.core.builds.configure import configure
    from skiff_tui.core.workspace import Workspace

    monkeypatch.setenv("SKIFF_READ_ONLY", "1")
    before = tree_snapshot(tree)
    with pytest.raises(ReadOnlyError):
        configure(Session(tree, dict(os.environ), Workspace(tree, "default")), "test/board", locked=True)
    assert tree_snapshot(tree) == before


@pytest.mark.parametrize("how", ["env", "flag"])
@pytest.mark.parametrize(
    "verb",
    [
        ["configure", "test/board"],
        ["compile"],
        ["cmd", "test/board", "hello"],
        ["clean", "--yes"],
        ["br", "savedefconfig"],
    ],
)
def test_cli_verbs_refuse_in_read_only_mode(tree, verb, how):
    env = {"SKIFF_CONFIG": "test/board"}
    args = list(verb)
    if how == "env":
        env["SKIFF_READ_ONLY"] = "1"
    else:
        args = ["--read-only", *args]
    before = tree_snapshot(tree)
    r = run_skiff(*args, env=env)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert "read-only" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert tree_snapshot(tree) == before
    assert not (tree / "ran-hello").exists()


def test_engine_writers_named_in_the_report_refuse(tree, monkeypatch, tmp_path):
    from skiff_tui.core.builds import build, buildroot
    from skiff_tui.core.flash import execute as flash
    from skiff_tui.core.workspace import Workspace

    ws = Workspace(tree, "default")
    monkeypatch.setenv("SKIFF_READ_ONLY", "1")
    with pytest.raises(ReadOnlyError):
        build.prune(ws, keep=1)
    with pytest.raises(ReadOnlyError):
        buildroot.obtain({"SKIFF_CACHE_DIR": str(tmp_path / "cache")}, log=lambda m: None)
    assert not (tmp_path / "cache").exists()
    (ws.dir).mkdir(parents=True)
    (ws.dir / ".config").write_text("BR2_aarch64=y\n")
    with pytest.raises(ReadOnlyError):
        build.show_info(ws, ["false"], {})
    with pytest.raises(ReadOnlyError):
        flash.open_target(tmp_path / "new.img", create_size=1 << 20)
    assert not (tmp_path / "new.img").exists()


def test_logs_list_does_not_rewrite_records_in_read_only_mode(tree):
    from skiff_tui.core.workspace import Workspace

    ws = Workspace(tree, "default")
    ws.logs_dir.mkdir(parents=True)
    rec = {
        "id": "20260101-000000-abcd",
        "workspace": "default",
        "pid": 999999,
        "command": ["make"],
        "target": "all",
        "chain": ["test/board"],
        "started": 1.0,
        "ended": None,
        "status": "running",
        "exit_code": None,
        "package": None,
        "step": None,
        "done": 0,
        "total": None,
        "log_path": str(ws.logs_dir / "20260101-000000-abcd.log"),
        "failure": None,
        "owner_pid": 999999,
        "owner_start": 1,
    }
    path = ws.logs_dir / "20260101-000000-abcd.json"
    path.write_text(json.dumps(rec))
    (ws.logs_dir / "20260101-000000-abcd.log").write_text("log\n")
    before = path.read_bytes()
    r = run_skiff("logs", "--list", env={"SKIFF_READ_ONLY": "1"})
    assert r.returncode == 0, r.stderr
    assert "interrupted" in r.stdout  # the answer is still right…
    assert path.read_bytes() == before  # …and nothing was rewritten
    r = run_skiff("logs", "--list")
    assert json.loads(path.read_text())["status"] == "interrupted"  # a writable session settles it
