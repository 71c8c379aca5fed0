"""skiff push against a real sshd on loopback, with a throw-away key and a directory layout
standing in for the device's boot/rootfs mounts."""

import getpass
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
from skifftest import requires_tools, run_skiff, which

from skiff_tui.core.flash.push import PushError, plan_push

SSHD = which("sshd") or "/usr/sbin/sshd"
pytestmark = requires_tools("sshd", "ssh", "rsync")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def sshd(tmp_path):
    d = tmp_path / "sshd"
    d.mkdir()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / "host_key")], check=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / "user_key")], check=True)
    shutil.copy(d / "user_key.pub", d / "authorized_keys")
    port = free_port()
    (d / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {d / 'host_key'}\nPidFile {d / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {d / 'authorized_keys'}\nStrictModes no\nUsePAM no\nPermitRootLogin yes\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
    )
    if os.geteuid() == 0:
        os.makedirs("/run/sshd", exist_ok=True)  # privilege-separation dir sshd insists on
    proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(d / "sshd_config")], stderr=subprocess.PIPE)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail(f"sshd did not start: {proc.stderr.read().decode()[-500:]}")
    yield {"port": port, "key": d / "user_key", "target": f"{getpass.getuser()}@127.0.0.1", "pid": proc.pid}
    proc.terminate()
    proc.wait(timeout=10)


def make_images(ws_dir: Path, kernel: bytes = b"new kernel " * 1000) -> Path:
    images = ws_dir / "images"
    (images / "rpi-firmware" / "overlays").mkdir(parents=True)
    (images / "Image").write_bytes(kernel)
    (images / "rootfs.cpio.lz4").write_bytes(b"rootfs")
    (images / "bcm2711-rpi-4-b.dtb").write_bytes(b"dtb")
    (images / "rpi-firmware" / "start4.elf").write_bytes(b"fw")
    (images / "rpi-firmware" / "overlays" / "disable-bt.dtbo").write_bytes(b"ov")
    (images / "rootfs_part" / "etc").mkdir(parents=True)
    (images / "rootfs_part" / "etc" / "marker").write_text("rootfs part")
    return images


def device(tmp_path):
    dev = tmp_path / "device"
    for part in ("boot", "rootfs", "persist"):
        (dev / part).mkdir(parents=True)
    (dev / "persist" / "keep").write_text("user data")
    (dev / "boot" / "config.txt").write_text("user's config.txt")
    return dev


def push_args(sshd, dev):
    return [
        "push",
        sshd["target"],
        "-p",
        str(sshd["port"]),
        "-i",
        str(sshd["key"]),
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "--boot-dir",
        str(dev / "boot"),
        "--rootfs-dir",
        str(dev / "rootfs"),
    ]


def test_plan_maps_images_to_boot_and_rootfs(tmp_path):
    images = make_images(tmp_path / "ws")
    got = {(t.dest, t.name) for t in plan_push(images)}
    assert got == {
        ("boot", "rootfs.cpio.lz4"),
        ("boot", "Image"),
        ("boot", "bcm2711-rpi-4-b.dtb"),
        ("boot", "start4.elf"),
        ("boot", "overlays"),
        ("rootfs", ""),
    }


def test_plan_refuses_without_build_output(tmp_path):
    (tmp_path / "images").mkdir()
    with pytest.raises(PushError, match="neither a kernel nor a root filesystem"):
        plan_push(tmp_path / "images")


def test_push_over_real_ssh(skiff_root, sshd, tmp_path):
    make_images(skiff_root / "workspaces" / "default")
    dev = device(tmp_path)
    r = run_skiff(*push_args(sshd, dev))
    assert r.returncode == 0, r.stderr
    assert (dev / "boot" / "Image").read_bytes() == b"new kernel " * 1000
    assert (dev / "boot" / "rootfs.cpio.lz4").read_bytes() == b"rootfs"
    assert (dev / "boot" / "overlays" / "disable-bt.dtbo").read_bytes() == b"ov"
    assert (dev / "boot" / "start4.elf").exists() and (dev / "rootfs" / "etc" / "marker").exists()
    assert (dev / "boot" / "config.txt").read_text() == "user's config.txt"
    assert (dev / "persist" / "keep").read_text() == "user data"
    assert "reboot the device" in r.stdout


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                ppid = int(open(f"/proc/{entry}/stat").read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _transfer_started(tmpdir: Path) -> bool:
    try:
        # rsync writes into hidden temp files (.Image.XXXXXX), moved aside under --delay-updates
        return any(f.name.startswith(".") and f.is_file() and f.stat().st_size for f in tmpdir.iterdir())
    except OSError:  # not there yet, or a file renamed away while we looked
        return False


def test_dropped_connection_leaves_previous_kernel_intact(skiff_root, sshd, tmp_path):
    ws = skiff_root / "workspaces" / "default"
    make_images(ws, kernel=os.urandom(8 << 20))
    dev = device(tmp_path)
    old = b"old kernel that boots"
    (dev / "boot" / "Image").write_bytes(old)
    # Throttle the transfer, then cut the connection by killing sshd's session mid-way.
    import threading

    from skiff_tui.core.flash import push as push_mod

    def cut():
        # wait until rsync is mid-transfer (its temp files exist), so the cut is never too early
        deadline = time.time() + 60
        tmpdir = dev / "boot"
        while time.time() < deadline and not _transfer_started(tmpdir):
            time.sleep(0.05)
        # only the sessions of this test's sshd: every descendant of its daemon
        for pid in _descendants(sshd["pid"]):
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass

    threading.Thread(target=cut, daemon=True).start()
    with pytest.raises(PushError, match="the device keeps its previous files"):
        push_mod.push(
            ws / "images",
            sshd["target"],
            port=sshd["port"],
            identity=sshd["key"],
            ssh_options=["StrictHostKeyChecking=no", "UserKnownHostsFile=/dev/null"],
            boot_dir=str(dev / "boot"),
            rootfs_dir=str(dev / "rootfs"),
            bwlimit=1000,
            log=lambda m: None,
        )
    assert (dev / "boot" / "Image").read_bytes() == old
    assert (dev / "persist" / "keep").read_text() == "user data"


def test_bad_target_and_dry_run(skiff_root, tmp_path):
    make_images(skiff_root / "workspaces" / "default")
    r = run_skiff("push", "root@host;rm -rf /")
    assert r.returncode == 2 and "not a device address" in r.stderr
    r = run_skiff("push", "root@10.0.0.1", "--dry-run")
    assert r.returncode == 0 and "Image -> /mnt/boot/Image" in r.stdout
