"""buildlog: `>>>` parsing, build-time.log, and failure summaries of the real Buildroot logs."""

from pathlib import Path

import pytest

from skiff_tui.core.builds import buildlog

DATA = Path(__file__).parent / "data"  # copies of shared/data/buildroot-output/*.log

EXPECTED = {
    "A-offline-first-error.log": ("host-pkgconf", "download", "unable to resolve host address"),
    "B-offline-keep-going.log": ("host-python3", "download", "unable to resolve host address"),
    "C-offline-keep-going-end.log": ("linux", "download", "unable to resolve host address"),
    "D-external-tree-compile-error.log": ("host-demo-broken", "build", "error: ‘undefined_symbol’ undeclared"),
    "E-compile-error-via-o-makefile.log": ("host-demo-broken", "build", None),
    "F-dirclean-rebuild.log": None,
}


def test_every_sample_log_is_covered():
    assert sorted(p.name for p in DATA.glob("*.log")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_failure_summary_of_real_logs(name):
    summary = buildlog.summarize_log_file(DATA / name)
    expected = EXPECTED[name]
    if expected is None:
        assert summary is None
        return
    package, step, error_text = expected
    assert summary.package == package
    assert summary.step == step
    assert summary.make_error.startswith(("make: ***", "make[1]: ***"))
    assert ".stamp_" in summary.make_error
    if name.split("-")[1] == "offline":  # no network: say what helps, not dirclean/rebuild
        assert summary.next_actions == [
            f"make br/{package}-source (once online)",
            "skiff br source (on a connected machine; copy its download directory here)",
        ]
        assert "BR2_DL_DIR" in summary.hint and package in summary.hint
    else:
        assert summary.next_actions[:2] == [f"make br/{package}-dirclean", f"make br/{package}-rebuild"]
        assert summary.hint is None
    if error_text:
        assert any(error_text in line for line in summary.lines), summary.lines
    assert not any(line.startswith("make: ***") for line in summary.lines)
    assert summary.lines, "some context lines are always shown"


def test_compile_error_lines_are_the_compiler_diagnostics():
    summary = buildlog.summarize_log_file(DATA / "D-external-tree-compile-error.log")
    assert summary.lines == [
        "broken.c:2:33: error: ‘undefined_symbol’ undeclared (first use in this function)",
        "broken.c:2:60: error: expected ‘;’ before ‘}’ token",
    ]
    assert summary.make_chain == [
        "make[1]: *** [Makefile:3: broken] Error 1",
        "make: *** [package/pkg-generic.mk:273: "
        "/home/user/ws/demo/output/build/host-demo-broken-1.0/.stamp_built] Error 2",
    ]


def test_keep_going_lists_every_failure():
    text = (DATA / "B-offline-keep-going.log").read_text() + (DATA / "C-offline-keep-going-end.log").read_text()
    summary = buildlog.summarize_failure(text.splitlines())
    assert summary.failures == [
        buildlog.FailedStep("host-python3", "download"),
        buildlog.FailedStep("linux", "download"),
    ]
    assert summary.package == "linux"
    # The linux error text must not be borrowed from host-python3's failure above it.
    assert all("python" not in line.lower() for line in summary.lines)


def test_stamp_dirs_map_wins_over_guessing():
    lines = ["make: *** [package/pkg-generic.mk:273: /o/build/linux-custom/.stamp_configured] Error 2"]
    assert buildlog.summarize_failure(lines).package == "linux"
    summary = buildlog.summarize_failure(lines, stamp_dirs={"linux-custom": "linux-headers"})
    assert summary.package == "linux-headers"
    assert summary.step == "configure"


def test_failure_without_stamp_uses_last_progress_line():
    lines = [
        ">>> busybox 1.37.0 Installing to target",
        "cp: cannot stat 'x': No such file or directory",
        "make: *** [Makefile:100: busybox-install] Error 1",
    ]
    summary = buildlog.summarize_failure(lines)
    assert summary.package == "busybox"
    assert summary.step == "install-target"
    assert summary.lines == ["cp: cannot stat 'x': No such file or directory"]


def test_target_finalize_failure_is_not_blamed_on_the_last_package():
    lines = [
        ">>> busybox 1.37.0 Installing to target",
        ">>>   Finalizing target directory",
        "cp: cannot stat 'x': No such file or directory",
        "make: *** [Makefile:100: target-finalize] Error 1",
    ]
    summary = buildlog.summarize_failure(lines)
    assert summary.package is None
    assert summary.step == "finalizing the target (overlays, post-build scripts)"
    assert summary.lines == ["cp: cannot stat 'x': No such file or directory"]


@pytest.mark.parametrize(
    "line,expected",
    [
        (">>> host-pkgconf 2.3.0 Downloading", ("host-pkgconf", "2.3.0", "Downloading", "download")),
        (">>> host-skeleton  Extracting", ("host-skeleton", "", "Extracting", "extract")),
        (">>>   Finalizing target directory", ("", "", "Finalizing target directory", "")),
        (
            ">>> host-demo-lib 1.0 Installing to host directory\n",
            ("host-demo-lib", "1.0", "Installing to host directory", "install-host"),
        ),
        ("\x1b[7m>>> busybox 1.37.0 Building\x1b[27m", ("busybox", "1.37.0", "Building", "build")),
        (">>> linux 6.18.7 Building kernel module(s)", ("linux", "6.18.7", "Building kernel module(s)", "build")),
    ],
)
def test_parse_progress(line, expected):
    ev = buildlog.parse_progress(line)
    assert (ev.name, ev.version, ev.text, ev.step) == expected


def test_parse_progress_rejects_other_lines():
    assert buildlog.parse_progress("make[1]: Entering directory '/x'") is None
    assert buildlog.parse_progress(">>>") is None


BUILD_TIME = """\
1795666977.959014194:start:download            : host-demo-broken
1795666978.000043980:end  :download            : host-demo-broken
1795666978.022989552:start:extract             : host-demo-broken
1795666978.036458538:end  :extract             : host-demo-broken
1795666978.145536043:start:build               : host-demo-broken
1795667268.897548962:start:build               : host-demo-broken
garbage line
"""


def test_build_time_log():
    events = buildlog.parse_build_time(BUILD_TIME)
    assert len(events) == 6
    assert events[0] == buildlog.TimeEvent(1795666977.959014194, "start", "download", "host-demo-broken")
    durations = buildlog.package_durations(events)
    assert durations["host-demo-broken"] == pytest.approx(0.041029 + 0.013469, abs=1e-4)
    assert buildlog.open_step(events) == ("host-demo-broken", "build")
    closed = events[:4]
    assert buildlog.open_step(closed) is None


def test_failed_post_build_hook_is_blamed_on_the_hook_not_the_last_package():
    from skiff_tui.core.builds.buildlog import summarize_failure

    lines = [
        ">>> skiff-core 1.15.0 Installing to target",
        "install -m 0755 skiff-core /target/usr/bin",
        ">>>   Finalizing target directory",
        "skiff: running pre hook of pi/common",
        "mkimage: command not found",
        "make[1]: *** [Makefile:165: target-finalize] Error 1",
        "make: *** [Makefile:23: _all] Error 2",
    ]
    summary = summarize_failure(lines)
    assert summary.package is None
    assert summary.step == "post-build hook of pi/common"
    assert summary.lines == ["mkimage: command not found"]
    assert summary.next_actions == []
