"""Every device class against every flag combination (--all, --unmount, --yes, --confirm).

Refused (system disks, non-disks) and blocked (empty, read-only) disks are never written, whatever
the flags; hidden ones (loop, internal) only with --all; a mounted card only with --unmount; and
nothing without --yes --confirm NAME when no terminal asks. First on captured udev records (where
"accepted" means the engine got as far as refusing to write a /dev node that only captured records
vouch for), then on real loop devices, where accepted combinations really write.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from flash_testkit import sh  # noqa: E402

from skiff_tui.cli import main  # noqa: E402
from skiff_tui.core.flash import devices as dv  # noqa: E402
from skiff_tui.core.flash.devices import DeviceClass  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "udev"
FLAGS = list(itertools.product((False, True), repeat=4))  # all, unmount, yes, confirm


def _rec(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def _records() -> dict[str, dict]:
    """One record per case; `mountinfo`/`fstab` ride along as the machine's classification inputs."""
    sd = _rec("usb-sd-card")  # sdb: a USB card, p1..p3 at 8:17..8:19
    loop = _rec("loop-device")  # loop0, p1 259:2, p2 259:3

    def variant(base: dict, name: str, **extra) -> dict:
        r = copy.deepcopy(base)
        old = r["sys_name"]
        r["sys_name"], r["device_node"] = name, f"/dev/{name}"
        for p in r["partitions"]:
            p["sys_name"] = p["sys_name"].replace(old, name)
            p["device_node"] = f"/dev/{p['sys_name']}"
        r.update(extra)
        return r

    cases = {
        "system-root": _rec("nvme-system"),
        "system-virtio": _rec("virtio-system"),
        "system-dm-member": variant(sd, "sdf"),
        "system-var-mount": variant(sd, "sdg", mountinfo=["61 29 8:98 / /var/lib/docker rw - ext4 /dev/sdg2 rw"]),
        "system-fstab-mount": variant(
            sd,
            "sdh",
            mountinfo=["62 29 8:114 / /data rw - ext4 /dev/sdh2 rw"],
            fstab=["LABEL=data /data ext4 defaults 0 2"],
        ),
        # the case of the report: a loop device whose filesystem is one the system needs
        "system-loop-mounted": variant(
            loop, "loop5", mountinfo=["63 29 259:53 / /usr/local rw - ext4 /dev/loop5p2 rw"]
        ),
        "not-a-disk": variant(loop, "zram0"),
        "empty-reader": _rec("empty-reader"),
        "read-only": _rec("write-protected"),
        "hidden-loop": _rec("loop-device"),
        "hidden-internal": variant(_rec("usb-ssd"), "sda", ancestors=[{"subsystem": "ata", "sys_name": "ata1"}]),
        "offered-card": sd,
        "offered-card-mounted": variant(sd, "sdi", mountinfo=["64 29 8:129 / /media/me/BOOT rw - vfat /dev/sdi1 rw"]),
    }
    cases["system-dm-member"]["partitions"][2]["holders"] = ["dm-0"]
    cases["hidden-internal"]["properties"].pop("ID_BUS", None)
    cases["hidden-internal"]["attributes"]["removable"] = "0"
    for r in (cases["system-var-mount"], cases["system-fstab-mount"], cases["offered-card-mounted"]):
        base = {"sdg": 96, "sdh": 112, "sdi": 128}[r["sys_name"]]
        r["devnum"] = [8, base]
        for i, p in enumerate(r["partitions"], 1):
            p["devnum"] = [8, base + i]
    loop5 = cases["system-loop-mounted"]
    loop5["devnum"] = [7, 5]
    for i, p in enumerate(loop5["partitions"], 1):
        p["devnum"] = [259, 51 + i]
    return cases


EXPECTED_CLASS = {
    "system": DeviceClass.REFUSED,
    "not": DeviceClass.REFUSED,
    "empty": DeviceClass.OFFERED,
    "read": DeviceClass.OFFERED,
    "hidden": DeviceClass.HIDDEN,
    "offered": DeviceClass.OFFERED,
}


def expected(case: str, all_: bool, unmount: bool, yes: bool, confirm: bool) -> str:
    """The first refusal a user must meet, in the engine's order (class, blockers, show-all,
    mounts, confirmation); "accepted" when every rule lets the write through."""
    if case.startswith("system"):
        return "is a system disk"
    if case == "not-a-disk":
        return "is not a disk you can flash"
    if case == "empty-reader":
        return "has no medium"
    if case == "read-only":
        return "is read-only"
    if case.startswith("hidden") and not all_:
        return "is hidden"
    if case.endswith("mounted") and not unmount:
        return "has mounted partitions"
    if not yes:
        return "without confirmation"
    if not confirm:
        return "--yes needs --confirm"
    return "accepted"


@pytest.fixture
def captured(tmp_path, monkeypatch):
    d = tmp_path / "udev"
    d.mkdir()
    cases = _records()
    for name, rec in cases.items():
        (d / f"{name}.json").write_text(json.dumps(rec))
    monkeypatch.setenv("SKIFF_FAKE_DEVICES", str(d))
    monkeypatch.setenv("SKIFF_NO_INTERACTIVE", "1")
    img = tmp_path / "small.img"
    img.write_bytes(os.urandom(64 * 1024))
    return {name: rec["sys_name"] for name, rec in cases.items()}, img


def _argv(device: str, img: Path, all_, unmount, yes, confirm, name: str) -> list[str]:
    argv = ["flash", "write", "--image", str(img), "--device", device]
    argv += ["--all"] * all_ + ["--unmount"] * unmount + ["--yes"] * yes + ["--confirm", name] * confirm
    return argv


@pytest.mark.parametrize("case", list(_records()))
def test_class_of_each_captured_case(case):
    rec = _records()[case]
    source = dv.FakeDeviceSource([rec], "\n".join(rec.get("mountinfo", [])), "", "\n".join(rec.get("fstab", [])))
    a = dv.assess(source.get(rec["sys_name"]))
    assert a.device_class is EXPECTED_CLASS[case.split("-")[0]], a.reasons
    if case != "offered-card":
        assert a.reason, "every other case says why it is refused, hidden or blocked, or warns"


@pytest.mark.parametrize(
    "flags",
    FLAGS,
    ids=lambda f: "+".join(n for n, on in zip(("all", "unmount", "yes", "confirm"), f, strict=True) if on) or "none",
)
def test_every_captured_class_against_every_flag_combination(captured, capsys, flags):
    names, img = captured
    for case, name in names.items():
        code = main(_argv(f"/dev/{name}", img, *flags, name))
        err = capsys.readouterr().err
        want = expected(case, *flags)
        assert code == 2, (case, err)
        assert err.count("\n") == 1, (case, err)
        if want == "accepted":  # every rule passed; only the captured-records backstop stopped it
            assert "comes from captured device records" in err, (case, err)
        else:
            assert want in err, (case, flags, err)
            assert "captured device records" not in err


def test_list_all_shows_system_disks_as_refused(captured, capsys):
    assert main(["flash", "list", "--all", "--json"]) == 0
    data = {d["name"]: d for d in json.loads(capsys.readouterr().out)}
    assert data["loop5"]["class"] == "refused" and data["loop5"]["selectable"] is False
    assert "/usr/local (/dev/loop5p2)" in data["loop5"]["reasons"][0]
    assert data["sdh"]["class"] == "refused", "a mount /etc/fstab makes at boot is the system's"
    assert data["sdi"]["class"] == "offered" and data["sdi"]["selectable"] is True
    assert main(["flash", "list", "--all"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(ln.startswith("/dev/loop5 ") and " refused: system disk" in ln for ln in lines)


def test_unmount_gate_never_lets_a_system_mount_through():
    rec = _records()["system-loop-mounted"]
    info = dv.FakeDeviceSource([rec], "\n".join(rec["mountinfo"])).get("loop5")
    with pytest.raises(dv.DeviceError, match="skiff never unmounts those"):
        dv.unmountable(info)
    card = _records()["offered-card-mounted"]
    info = dv.FakeDeviceSource([card], "\n".join(card["mountinfo"])).get("sdi")
    assert dv.unmountable(info) == [("/dev/sdi1", "/media/me/BOOT")]


@pytest.mark.parametrize(
    "mnt,fstab,system",
    [
        ("/", "", True),
        ("/boot/firmware", "", True),
        ("/var/lib/docker", "", True),
        ("/home", "", True),
        ("/usr/local", "", True),
        ("/media/me/BOOT", "", False),
        ("/run/media/me/rootfs", "", False),
        ("/mnt/card", "", False),
        ("/tmp/pytest-of-root/x", "", False),
        ("/data", "UUID=1 /data ext4 defaults 0 2", True),
        ("/mnt/card", "/dev/sdb1 /mnt/card vfat noauto,user 0 0", False),
        ("/homework", "", False),
    ],
)
def test_what_counts_as_a_system_mount(mnt, fstab, system):
    assert dv.is_system_mount(mnt, dv.parse_fstab(fstab)) is system


# --- real loop devices ----------------------------------------------------------------------------
def _why_no_loops() -> str | None:
    if os.geteuid() != 0:
        return "loop devices need root (CI runs as root)"
    for tool in ("losetup", "mount", "mkfs.ext4"):
        if not shutil.which(tool):
            return f"{tool} not installed (Debian: mount, e2fsprogs)"
    return None


@pytest.mark.parametrize("case", ["hidden-loop", "loop-user-mount", "loop-system-mount", "loop-fstab-mount"])
def test_every_real_loop_class_against_every_flag_combination(case, tmp_path, monkeypatch, capsys):
    """A real loop device; its filesystem really mounted in a temp dir for the mount cases. The
    system cases add what the machine would say (a mountinfo line at /usr/local, or an fstab
    entry for the temp mount) through the classification inputs, never by touching real mounts."""
    why = _why_no_loops()
    if why:
        pytest.skip(why)
    monkeypatch.setenv("SKIFF_NO_INTERACTIVE", "1")
    monkeypatch.delenv("SKIFF_FAKE_DEVICES", raising=False)
    backing = tmp_path / "card.img"
    with open(backing, "wb") as f:
        f.truncate(8 * dv.MIB)
    sh("mkfs.ext4", "-q", "-F", str(backing))
    proc = subprocess.run(["losetup", "-f", "--show", str(backing)], capture_output=True, text=True)
    if proc.returncode:
        pytest.skip(f"losetup failed here: {proc.stderr.strip()}")
    node = proc.stdout.strip()
    name = os.path.basename(node)
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    mountinfo, fstab = tmp_path / "mountinfo", tmp_path / "fstab"
    fstab.write_text(f"{node} {mnt} ext4 defaults 0 2\n" if case == "loop-fstab-mount" else "")
    img = tmp_path / "small.img"
    img.write_bytes(os.urandom(256 * 1024))

    def remount() -> None:
        if case != "hidden-loop" and not os.path.ismount(mnt):
            sh("mount", node, str(mnt))
        text = Path("/proc/self/mountinfo").read_text()
        if case == "loop-system-mount":
            st = os.stat(node).st_rdev
            text += f"999 1 {os.major(st)}:{os.minor(st)} / /usr/local rw - ext4 {node} rw\n"
        mountinfo.write_text(text)

    # the live table where skiff may unmount (it re-reads it after umount), a copy plus one line where not
    info_path = str(mountinfo) if case == "loop-system-mount" else "/proc/self/mountinfo"
    monkeypatch.setattr(dv, "default_source", lambda: dv.PyudevSource(mountinfo_path=info_path, fstab_path=str(fstab)))
    try:
        for flags in FLAGS:
            remount()
            code = main(_argv(node, img, *flags, name))
            err = capsys.readouterr().err
            klass = {
                "hidden-loop": "hidden-loop",
                "loop-user-mount": "hidden-loop-mounted",
                "loop-system-mount": "system",
                "loop-fstab-mount": "system",
            }[case]
            want = expected(klass, *flags)
            if want == "accepted":
                assert code == 0, (flags, err)
                with open(node, "rb") as dev:
                    assert dev.read(256 * 1024) == img.read_bytes(), "the loop device holds the image"
                assert not os.path.ismount(mnt), "unmounted with consent"
                sh("mkfs.ext4", "-q", "-F", node)  # a filesystem again for the next round
            else:
                assert code == 2 and want in err, (flags, err)
                with open(node, "rb") as dev:
                    assert dev.read(256 * 1024) != img.read_bytes(), f"{flags}: nothing was written"
                if klass == "system":
                    assert os.path.ismount(mnt), f"{flags}: a system disk's filesystem stays mounted"
    finally:
        if os.path.ismount(mnt):
            subprocess.run(["umount", str(mnt)], check=False)
        subprocess.run(["losetup", "-d", node], check=False)
