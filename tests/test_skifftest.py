"""The test suite's own host-tool and Buildroot lookups: a missing tool skips with the Debian
package to install, and fails instead under SKIFF_CI_NO_TOOL_SKIPS (CI installs everything)."""

from __future__ import annotations

import pytest
import skifftest


def test_missing_tool_skips_naming_the_debian_package(monkeypatch):
    monkeypatch.delenv(skifftest.STRICT_ENV, raising=False)
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(skifftest, "_SBIN", "/nonexistent")
    with pytest.raises(pytest.skip.Exception, match=r"needs cpio, mkfs.ext4 \(apt-get install cpio e2fsprogs\)"):
        skifftest.need_tools("cpio", "mkfs.ext4")


def test_missing_tool_fails_under_ci(monkeypatch):
    monkeypatch.setenv(skifftest.STRICT_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="no-such-tool.*SKIFF_CI_NO_TOOL_SKIPS"):
        skifftest.need_tools("no-such-tool")


def test_present_tools_pass_and_sbin_is_searched(monkeypatch):
    monkeypatch.setenv(skifftest.STRICT_ENV, "1")
    skifftest.need_tools("sh")
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(skifftest, "_SBIN", "/bin:/usr/bin")
    assert skifftest.which("sh")


def test_real_buildroot_is_told_from_the_fixture_tree(monkeypatch, tmp_path):
    monkeypatch.setenv("SKIFF_BUILDROOT_SRC", str(skifftest.FIXTURE_BUILDROOT))
    monkeypatch.delenv("BUILDROOT_DIR", raising=False)
    assert skifftest._buildroot_from_env() is None
    monkeypatch.setenv(skifftest.STRICT_ENV, "1")
    monkeypatch.setattr(skifftest, "REAL_BUILDROOT", None)
    with pytest.raises(pytest.fail.Exception, match="SKIFF_BUILDROOT_SRC"):
        skifftest.real_buildroot()
