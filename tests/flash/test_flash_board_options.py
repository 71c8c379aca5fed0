"""The board's blobs and layout options read from its package (for the Flash screen)."""

from __future__ import annotations

import json

import pytest
from skifftest import requires_tools

from skiff_tui.core import paths
from skiff_tui.core.errors import FlashError
from skiff_tui.core.flash.board import board_flash, parse_flash_args
from skiff_tui.core.flash.layout import Layout
from skiff_tui.core.library.packages import discover
from skiff_tui.core.session import Session
from skiff_tui.core.workspace import Workspace

MAKEFILE = """\
SKIFF_IMAGES ?= $(or $(BUILDROOT_DIR),$(SKIFF_BUILDROOT_DIR))/images
BOOTLOADER_ARGS ?= --bootloader "$(SKIFF_IMAGES)/u-boot sunxi.bin:8192" --bootloader "$(SKIFF_IMAGES)/env.bin:0x100000"
FLASH_LAYOUT_ARGS ?= --table mbr --boot-active --first-partition-start 4M
format install buildimage:
\t@echo never run by the probe
"""


def _tree(tmp_path, makefile: str | None):
    root = tmp_path / "root"
    for name, text in (("vendor/common", None), ("vendor/board", makefile)):
        pkg = root / "configs" / name
        (pkg / "metadata").mkdir(parents=True)
        (pkg / "metadata" / "description").write_text(f"{name}\n")
        if text is not None:
            (pkg / "metadata" / "commands").write_text("format Format the SD card\n")
            (pkg / "extensions").mkdir()
            (pkg / "extensions" / "Makefile").write_text(text)
    state = root / "workspaces" / ".config_default" / "state.json"
    state.parent.mkdir(parents=True)
    state.write_text(json.dumps({"selection": ["vendor/board"], "chain": ["vendor/common", "vendor/board"]}))
    env = {"SKIFF_ROOT_DIR": str(root), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    return root, env, Workspace.from_env(root, env, None), discover(paths.configs_dir(root), env)


@requires_tools("make")
def test_board_flash_reads_the_package_variables(tmp_path):
    root, env, ws, index = _tree(tmp_path, MAKEFILE)
    board = board_flash(Session(root, env, ws, index))
    assert board.package == "vendor/board"
    images = ws.dir / "images"
    assert board.blob_specs == [f"{images}/u-boot sunxi.bin:8192", f"{images}/env.bin:0x100000"]
    assert (board.table, board.first_start, board.boot_active, board.boot_type) == ("mbr", 4 * 1024**2, True, None)
    layout = board.layout(Layout())
    assert layout.table == "mbr" and layout.boot_active and layout.first_start == 4 * 1024**2
    with pytest.raises(FlashError, match="bootloader file not found"):
        board.blobs()  # not built yet: the plan says so instead of a bootless card
    images.mkdir(parents=True)
    (images / "u-boot sunxi.bin").write_bytes(b"U" * 1000)
    (images / "env.bin").write_bytes(b"E" * 100)
    assert [(b.name, b.offset) for b in board.blobs()] == [("u-boot sunxi.bin", 8192), ("env.bin", 0x100000)]
    assert board.describe() == (
        "board package vendor/board: 2 bootloader blob(s), --table mbr, --first-partition-start 4194304, --boot-active"
    )


def test_no_board_package_means_no_options(tmp_path):
    root, env, ws, index = _tree(tmp_path, None)
    assert board_flash(Session(root, env, ws, index)) is None


def test_parse_flash_args_refuses_unknown_options():
    assert parse_flash_args("x/y", "--boot-type esp").boot_type == "esp"
    with pytest.raises(FlashError, match="unknown flash option"):
        parse_flash_args("x/y", "--bootloader a.bin:0 --wipe-everything")
    with pytest.raises(FlashError, match="cannot read its flash options"):
        parse_flash_args("x/y", "--table zfs")
