"""`skiff tui` for real: the CLI verb under a pseudo-terminal, read-only and --workspace."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import termios
import time


def _clean_environ() -> dict[str, str]:
    """The test process's environment without any SKIFF_* or Buildroot settings of the developer."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SKIFF_") and k not in ("BUILDROOT_DIR", "BR2_DL_DIR", "BR2_CCACHE_DIR")
    }


def run_tui(args: list[str], env: dict[str, str], marker: bytes, timeout: float = 30.0) -> tuple[bytes, int | None]:
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 36, 120, 0, 0))
    proc = subprocess.Popen(
        [sys.executable, "-m", "skiff_tui", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        close_fds=True,
        start_new_session=True,
    )
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    try:
        while marker not in out and time.monotonic() < deadline and proc.poll() is None:
            if select.select([master], [], [], 0.1)[0]:
                try:
                    out += os.read(master, 65536)
                except OSError:
                    break
        os.write(master, b"\x11")  # ctrl+q
        end = time.monotonic() + 15
        while proc.poll() is None and time.monotonic() < end:
            if select.select([master], [], [], 0.1)[0]:
                try:
                    out += os.read(master, 65536)
                except OSError:
                    break
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    return out, proc.returncode


def test_tui_verb_opens_the_workspace_read_only_and_quits_cleanly(skiff_env, save_selection):
    save_selection(["board/beta"], workspace="lab")
    env = {**_clean_environ(), **skiff_env, "TERM": "xterm-256color"}
    out, code = run_tui(["tui", "--read-only", "-w", "lab"], env, b"READ-ONLY")
    assert b"READ-ONLY" in out, out[-2000:]
    assert b"board/beta" in out
    assert code == 0
    assert b"Traceback" not in out


def test_bad_workspace_name_is_one_line_not_a_traceback(skiff_env):
    env = {**_clean_environ(), **skiff_env}
    result = subprocess.run(
        [sys.executable, "-m", "skiff_tui", "tui", "-w", "Bad Name!"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "invalid workspace name" in result.stderr and "Traceback" not in result.stderr
