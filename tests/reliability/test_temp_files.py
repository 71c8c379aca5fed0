"""Temp files: never inside an overlay, and removed once their writer is gone (even when its pid
has been reused by another process)."""

from __future__ import annotations

import os
from pathlib import Path

from skiff_tui.core import atomic
from skiff_tui.core.editors import overrides
from skiff_tui.core.procs import proc_start_time
from skiff_tui.core.workspace import Workspace


def test_temp_files_are_created_in_the_tree_top_not_beside_the_target(skiff_root, monkeypatch):
    ws = Workspace(skiff_root, "default")
    layer = overrides.layer(skiff_root, ws, "workspace")
    seen = []
    real_replace = os.replace
    monkeypatch.setattr(os, "replace", lambda a, b: (seen.append(Path(a)), real_replace(a, b))[1])
    overrides.write_wifi(layer, overrides.WifiNetwork("home", "passphrase1"))
    assert seen and all(p.parent == skiff_root / "overrides" for p in seen), seen
    assert seen[0].name.startswith(".skiff-tmp.")


def test_stale_temps_go_live_ones_stay(tmp_path):
    me = os.getpid()
    live = tmp_path / f".skiff-tmp.{me}-{proc_start_time(me)}.x.abcd1234"
    reused = tmp_path / f".skiff-tmp.{me}-1.x.abcd1234"  # same pid, another process's start
    dead = tmp_path / ".skiff-tmp.4194000-5.x.abcd1234"
    old_style = tmp_path / ".home.nmconnection.k2j4h5g6.tmp"  # what older versions left
    user_file = tmp_path / "notes.tmp"
    for p in (live, reused, dead, old_style, user_file):
        p.write_text("x")
    removed = atomic.clean_stale_temps(tmp_path)
    assert sorted(removed) == sorted([reused, dead, old_style])
    assert live.exists() and user_file.exists()
