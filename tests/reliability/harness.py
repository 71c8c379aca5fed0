"""The kill -9 harness: run real skiff processes, SIGKILL them at seeded random points, and check
what a kill may leave behind. Used by test_kill.py (bounded for CI) and bench/reliability.py
(more rounds, and the same rounds against an older checkout for a baseline).

Invariants checked after every kill:
* the lock is released and the lock file is a plain file;
* state.json is valid JSON (old or new, never half);
* no temp file inside any layer's root_overlay/ (Buildroot copies those into the image);
* "up to date" is true: whatever the next configure says, the files on disk (.config, env.sh,
  merged fragments) are the ones of the selection it names, and a compile builds that selection.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from skifftest import FIXTURE_BUILDROOT, write_package  # noqa: E402

# Two boards that differ in architecture, kernel and fragments: a mix-up shows in every file.
BOARDS = {
    "pi/3": {
        "buildroot/00-arch": "BR2_arm=y\nBR2_cortex_a53=y\n",
        "kernel/board": "CONFIG_BCM2835=y\n",
        "root_overlay/etc/board": "pi3\n",
    },
    "pi/4": {
        "buildroot/00-arch": "BR2_aarch64=y\nBR2_cortex_a72=y\n",
        "buildroot/10-kernel": "BR2_LINUX_KERNEL=y\nBR2_LINUX_KERNEL_USE_DEFCONFIG=y\n"
        'BR2_LINUX_KERNEL_DEFCONFIG="bcm2711"\n',
        "kernel/board": "CONFIG_BCM2711=y\n",
        "root_overlay/etc/board": "pi4\n",
    },
}
SELECTIONS = {"pi/3": "BR2_arm=y", "pi/4,skiff/core": "BR2_aarch64=y"}


def make_tree(root: Path) -> Path:
    for d in ("configs", "overrides", "workspaces"):
        (root / d).mkdir(parents=True, exist_ok=True)
    for name, files in BOARDS.items():
        write_package(root / "configs", name, description=name, files=files)
    write_package(
        root / "configs",
        "skiff/core",
        description="core",
        files={"buildroot/core": "BR2_PACKAGE_HTOP=y\n", "kernel/core": "CONFIG_CGROUPS=y\n"},
    )
    return root


def skiff_env(root: Path, buildroot: Path | None = None, code: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SKIFF_", "BR2_"))}
    env.update(
        SKIFF_ROOT_DIR=str(root),
        SKIFF_CACHE_DIR=str(root.parent / "cache"),
        SKIFF_BUILDROOT_SRC=str(buildroot or FIXTURE_BUILDROOT),
        SKIFF_NO_INTERACTIVE="1",
    )
    if code is not None:  # run another checkout's skiff (the baseline)
        env["PYTHONPATH"] = str(code)
    return env


def skiff_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "skiff_tui", *args]


def run(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        skiff_argv(*args), env=env, capture_output=True, text=True, timeout=timeout, cwd=env["SKIFF_ROOT_DIR"]
    )  # not the checkout: `-m` would import it first


@dataclass
class Stats:
    kills: int = 0
    held: int = 0
    failures: list[str] = field(default_factory=list)

    def record(self, problems: list[str], what: str) -> None:
        self.kills += 1
        if problems:
            self.failures.append(f"{what}: {'; '.join(problems)}")
        else:
            self.held += 1


def lock_released(root: Path, ws: str = "default") -> list[str]:
    path = root / "workspaces" / f".lock_{ws}"
    if path.is_symlink():
        return ["lock file became a symlink"]
    if not path.exists():
        return []
    # A child the killed skiff was starting shares its descriptors between fork and exec (exec
    # closes them): on a loaded machine that lasts a moment, so allow a short grace period.
    deadline = time.monotonic() + 2.0
    fd = os.open(path, os.O_RDONLY)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return []
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return ["lock still held after the holder was killed"]
                time.sleep(0.05)
    finally:
        os.close(fd)


def temps_in_overlays(root: Path) -> list[str]:
    found = []
    for top in (root / "configs", root / "overrides"):
        for dirpath, _, files in os.walk(top):
            if "root_overlay" in Path(dirpath).parts:
                found += [
                    str(Path(dirpath) / f) for f in files if f.startswith(".") and (".tmp" in f or ".skiff-tmp" in f)
                ]
    return [f"temp file in an overlay: {f}" for f in found]


def state_ok(root: Path, ws: str = "default") -> list[str]:
    path = root / "workspaces" / f".config_{ws}" / "state.json"
    try:
        json.loads(path.read_text())
    except FileNotFoundError:
        return []
    except ValueError as exc:
        return [f"state.json half-written: {exc}"]
    return []


def files_match(root: Path, selection: str, ws: str = "default") -> list[str]:
    """The files a build reads are the ones of `selection`."""
    problems = []
    wsdir = root / "workspaces" / ws
    final = root / "workspaces" / f".config_{ws}"
    config = (wsdir / ".config").read_text() if (wsdir / ".config").exists() else ""
    if SELECTIONS[selection] not in config:
        problems.append(f".config is not {selection}'s ({SELECTIONS[selection]} missing)")
    env_sh = (final / "env.sh").read_text() if (final / "env.sh").exists() else ""
    if f"export SKIFF_CONFIG={selection}\n" not in env_sh.replace("'", ""):
        problems.append(f"env.sh is not {selection}'s")
    kernel = (final / "kernel" / "config").read_text() if (final / "kernel" / "config").exists() else ""
    want = "CONFIG_BCM2835=y" if selection == "pi/3" else "CONFIG_BCM2711=y"
    if want not in kernel:
        problems.append(f"merged kernel fragment is not {selection}'s")
    return problems


def kill_after(argv: list[str], env: dict[str, str], delay: float, watch: Path | None = None) -> int:
    """Start argv, SIGKILL it after `delay` s, or (watch given) as soon as `watch` changes,
    right after a write. Returns the return code (-9 when the kill landed)."""
    before = watch.stat().st_mtime_ns if watch is not None and watch.exists() else None
    proc = subprocess.Popen(
        argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=env["SKIFF_ROOT_DIR"]
    )
    deadline = time.monotonic() + delay
    while proc.poll() is None and time.monotonic() < deadline:
        if watch is not None:
            try:
                if watch.stat().st_mtime_ns != before:
                    break
            except FileNotFoundError:
                pass
            time.sleep(0.0005)
        else:
            time.sleep(min(0.002, max(0.0, deadline - time.monotonic())))
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
    return proc.wait()


# A loaded machine must still try enough kills to mean something: past the budget, go on
# until MIN_ROUNDS, but never past OVERRUN times the budget.
MIN_ROUNDS = 4
OVERRUN = 4


def keep_going(start: float, budget: float, rounds: int, max_rounds: int) -> bool:
    elapsed = time.monotonic() - start
    if rounds >= max_rounds or elapsed >= budget * OVERRUN:
        return False
    return elapsed < budget or rounds < MIN_ROUNDS


def kill_configure_rounds(
    root: Path, env: dict[str, str], *, seed: int, budget: float, max_rounds: int = 1000
) -> Stats:
    """Configure A; kill a configure of B at a random point (or right after .config changes);
    configure a random one of A/B and check the invariants, and that a second configure says
    'up to date' only with that selection's files on disk."""
    rng = random.Random(seed)
    stats = Stats()
    sels = list(SELECTIONS)
    start = time.monotonic()
    t0 = time.monotonic()
    r = run(env, "configure", sels[0])
    assert r.returncode == 0, r.stderr
    full = max(0.2, time.monotonic() - t0) * 1.3
    current = sels[0]
    rounds = 0
    while keep_going(start, budget, rounds, max_rounds):
        rounds += 1
        other = sels[1] if current == sels[0] else sels[0]
        watch = root / "workspaces" / "default" / ".config" if rng.random() < 0.3 else None
        code = kill_after(skiff_argv("configure", other), env, rng.uniform(0, full), watch)
        problems = lock_released(root) + state_ok(root) + temps_in_overlays(root)
        if code == 0:
            current = other
        nxt = rng.choice(sels)
        r = run(env, "configure", nxt)
        if r.returncode != 0:
            problems.append(f"configure {nxt} after the kill failed: {r.stderr.strip()[-200:]}")
        else:
            problems += files_match(root, nxt)
            again = run(env, "configure", nxt)
            if "up to date" not in again.stdout:
                problems.append("a second configure of the same selection was not 'up to date'")
            problems += files_match(root, nxt)
            current = nxt
        how = "after .config changed" if watch else "at random"
        stats.record(problems, f"round {rounds} (kill {how}, exit {code})")
    return stats


def kill_compile_rounds(root: Path, env: dict[str, str], *, seed: int, budget: float, max_rounds: int = 200) -> Stats:
    """Kill compile (configure + make) at random points; the next compile of the other selection
    must build that selection (its .config) and succeed, with no make of the killed run left."""
    rng = random.Random(seed)
    stats = Stats()
    sels = list(SELECTIONS)
    start = time.monotonic()
    rounds = 0
    while keep_going(start, budget, rounds, max_rounds):
        rounds += 1
        sel = rng.choice(sels)
        e = dict(env, SKIFF_CONFIG=sel)
        code = kill_after(skiff_argv("compile"), e, rng.uniform(0, 2.5))
        problems = lock_released(root) + state_ok(root) + temps_in_overlays(root)
        nxt = rng.choice(sels)
        r = run(dict(env, SKIFF_CONFIG=nxt), "compile")
        if r.returncode != 0:
            problems.append(f"compile {nxt} after the kill failed: {(r.stderr.strip() or r.stdout.strip())[-300:]}")
        else:
            problems += files_match(root, nxt)
        stats.record(problems, f"compile round {rounds} (exit {code})")
    return stats


SAVER = r"""
import sys
from pathlib import Path
from skiff_tui.core.editors import coreyaml_place, overrides
from skiff_tui.core.workspace import Workspace
root = Path(sys.argv[1]); ws = Workspace(root, "default")
layer = overrides.layer(root, ws, "workspace")
i = 0
while True:
    i += 1
    net = overrides.WifiNetwork(ssid="home", psk=("old-passphrase" if i % 2 else "new-passphrase"))
    overrides.write_wifi(layer, net)
    coreyaml_place.save_coreyaml(layer, "containers: {}\nusers: {}\nimages: {}\n# save %d\n" % (i % 2))
"""


def kill_save_rounds(root: Path, env: dict[str, str], *, seed: int, budget: float, max_rounds: int = 200) -> Stats:
    """Kill a process saving Wi-Fi and skiff-core.yaml in a loop; each file must be the old or
    the new text, no temp file in the overlay, and the next configure leaves no temp file at all."""
    rng = random.Random(seed)
    stats = Stats()
    start = time.monotonic()
    rounds = 0
    while keep_going(start, budget, rounds, max_rounds):
        rounds += 1
        kill_after([sys.executable, "-c", SAVER, str(root)], env, rng.uniform(0.05, 0.6))
        problems = temps_in_overlays(root)
        layer = root / "overrides" / "workspaces" / "default"
        for f in layer.rglob("*.nmconnection"):
            text = f.read_text()
            if not ("psk=old-passphrase" in text or "psk=new-passphrase" in text) or text.count("psk=") != 1:
                problems.append(f"{f.name} is neither the old nor the new file")
        core = layer / "root_overlay" / "opt" / "skiff" / "coreenv" / "defconfig.yaml"
        if core.exists() and not core.read_text().startswith("containers: {}\nusers: {}\nimages: {}\n# save "):
            problems.append("skiff-core.yaml half-written")
        r = run(env, "configure", "pi/3")
        if r.returncode != 0:
            problems.append(f"configure after the kill failed: {r.stderr.strip()[-200:]}")
        leftover = [p for top in (root / "overrides", root / "workspaces") for p in top.rglob(".skiff-tmp.*")]
        if leftover:
            problems.append(f"temp files left after the next configure: {[str(p) for p in leftover]}")
        stats.record(problems, f"save round {rounds}")
    return stats
