"""The command scripts of virt/qemu, virt/docker and virt/virtualbox: the argv they build, and
their behaviour when the tools are missing. Fake qemu/docker programs stand in for the real ones
(their job here is only to record what they were called with)."""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest
from skifftest import requires_tools

REPO = Path(__file__).resolve().parents[2]
QEMU_RUN = REPO / "configs/virt/qemu/scripts/run.sh"
DOCKER_SCRIPTS = REPO / "configs/virt/docker/scripts"
VBOX_RUN = REPO / "configs/virt/virtualbox/scripts/run.sh"

pytestmark = requires_tools("bash")


def run(script: Path, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd)}
    return subprocess.run([str(script)], env={**base, **env}, capture_output=True, text=True, cwd=cwd, timeout=30)


def fake_program(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/bash\n" + body)
    path.chmod(0o755)
    return path


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "workspaces" / "default"
    (ws / "images").mkdir(parents=True)
    (ws / "images" / "rootfs.cpio.lz4").write_bytes(b"initramfs")
    return ws


def qemu_env(ws: Path, **extra: str) -> dict[str, str]:
    return {"BUILDROOT_DIR": str(ws), "QEMU_DRY_RUN": "1", "QEMU_NO_KVM": "1", **extra}


def option(argv: list[str], flag: str) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == flag]


# -- virt/qemu ---------------------------------------------------------------------------------


def test_qemu_dry_run_x86_64_argv(workspace, tmp_path):
    (workspace / "images" / "bzImage").write_bytes(b"kernel")
    (workspace / ".config").write_text("BR2_x86_64=y\n")
    result = run(
        QEMU_RUN,
        qemu_env(workspace, QEMU_MEMORY="3G", QEMU_CPUS="3", QEMU_EXTRA_ARGS="-snapshot -name test vm"),
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    argv = shlex.split(result.stdout)
    assert Path(argv[0]).name == "qemu-system-x86_64"
    assert option(argv, "-machine") == ["q35"]
    assert option(argv, "-m") == ["3G"] and option(argv, "-smp") == ["3"]
    assert option(argv, "-kernel") == [str(workspace / "images/bzImage")]
    assert option(argv, "-initrd") == [str(workspace / "images/rootfs.cpio.lz4")]
    assert option(argv, "-accel") == ["tcg"] and option(argv, "-cpu") == ["max"]
    append = option(argv, "-append")[0]
    assert "console=ttyS0" in append and "root=/dev/ram0" in append
    disk = workspace / "qemu" / "persist.qcow2"
    assert option(argv, "-drive") == [f"file={disk},if=virtio,format=qcow2"]
    assert "virtio-rng-pci" in option(argv, "-device")
    assert "virtio-net-pci,netdev=net0" in option(argv, "-device")
    assert option(argv, "-netdev") == ["user,id=net0"]
    virtfs = option(argv, "-virtfs")[0]
    assert f"path={workspace / 'qemu/shared'}" in virtfs and "mount_tag=host0" in virtfs
    assert option(argv, "-serial") == ["mon:stdio"]
    assert argv[-4:] == ["-snapshot", "-name", "test", "vm"]
    # A dry run creates no disk, but says it would.
    assert not disk.exists() and "would create" in result.stderr


def test_qemu_dry_run_aarch64_uses_virt_machine_and_Image(workspace, tmp_path):
    (workspace / "images" / "Image").write_bytes(b"kernel")
    (workspace / ".config").write_text('BR2_aarch64=y\nBR2_ARCH="aarch64"\n')
    result = run(QEMU_RUN, qemu_env(workspace), tmp_path)
    assert result.returncode == 0, result.stderr
    argv = shlex.split(result.stdout)
    assert Path(argv[0]).name == "qemu-system-aarch64"
    assert option(argv, "-machine") == ["virt"]
    assert option(argv, "-kernel") == [str(workspace / "images/Image")]
    assert "console=ttyAMA0" in option(argv, "-append")[0]
    assert option(argv, "-m") == ["2G"]  # default memory


def test_qemu_uses_kvm_only_when_dev_kvm_is_usable(workspace, tmp_path):
    (workspace / "images" / "bzImage").write_bytes(b"kernel")
    (workspace / ".config").write_text("BR2_x86_64=y\n")
    env = qemu_env(workspace)
    del env["QEMU_NO_KVM"]
    argv = shlex.split(run(QEMU_RUN, env, tmp_path).stdout)
    kvm_usable = os.uname().machine == "x86_64" and os.access("/dev/kvm", os.R_OK | os.W_OK)
    assert option(argv, "-accel") == (["kvm"] if kvm_usable else ["tcg"])
    assert option(argv, "-cpu") == (["host"] if kvm_usable else ["max"])


def test_qemu_prefers_the_buildroot_host_qemu(workspace, tmp_path):
    (workspace / "images" / "bzImage").write_bytes(b"kernel")
    own = fake_program(workspace / "host/bin/qemu-system-x86_64", "exit 0\n")
    argv = shlex.split(run(QEMU_RUN, qemu_env(workspace), tmp_path).stdout)
    assert argv[0] == str(own)


def test_qemu_real_run_creates_the_disk_once_and_execs_qemu(workspace, tmp_path):
    (workspace / "images" / "bzImage").write_bytes(b"kernel")
    calls = tmp_path / "calls"
    fake_program(workspace / "host/bin/qemu-img", f'echo "qemu-img $*" >> "{calls}"\n: > "${{@: -2:1}}"\n')
    fake_program(workspace / "host/bin/qemu-system-x86_64", f'printf "%s\\n" "$@" > "{tmp_path}/qemu-argv"\n')
    env = {"BUILDROOT_DIR": str(workspace), "QEMU_NO_KVM": "1"}
    for _ in range(2):
        result = run(QEMU_RUN, env, tmp_path)
        assert result.returncode == 0, result.stderr
    disk = workspace / "qemu" / "persist.qcow2"
    assert disk.exists()
    assert calls.read_text().splitlines() == [f"qemu-img create -q -f qcow2 {disk} 32G"]
    argv = (tmp_path / "qemu-argv").read_text().splitlines()
    assert option(argv, "-kernel") == [str(workspace / "images/bzImage")]


def test_qemu_without_a_build_fails_with_one_line(workspace, tmp_path):
    result = run(QEMU_RUN, qemu_env(workspace), tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "no kernel image" in result.stderr and "skiff compile" in result.stderr


def test_qemu_without_workspace_fails(tmp_path):
    result = run(QEMU_RUN, {"QEMU_DRY_RUN": "1"}, tmp_path)
    assert result.returncode == 1 and "BUILDROOT_DIR is not set" in result.stderr


# -- virt/docker -------------------------------------------------------------------------------


def docker_env(ws: Path, **extra: str) -> dict[str, str]:
    return {"BUILDROOT_DIR": str(ws), "SKIFF_WORKSPACE": "default", "DOCKER_DRY_RUN": "1", **extra}


def lines(result: subprocess.CompletedProcess) -> list[list[str]]:
    return [shlex.split(line) for line in result.stdout.splitlines() if line.strip()]


def test_docker_buildimage_imports_the_rootfs_tarball(workspace, tmp_path):
    (workspace / "images" / "rootfs.tar").write_bytes(b"tar")
    result = run(DOCKER_SCRIPTS / "buildimage.sh", docker_env(workspace), tmp_path)
    assert result.returncode == 0, result.stderr
    [argv] = lines(result)
    assert argv[:2] == ["docker", "import"]
    assert argv[-2:] == [str(workspace / "images/rootfs.tar"), "skiff/default:latest"]
    changes = option(argv, "--change")
    assert 'ENTRYPOINT ["/usr/lib/systemd/systemd"]' in changes
    assert "STOPSIGNAL SIGRTMIN+3" in changes and "ENV container=docker" in changes


def test_docker_buildimage_needs_the_tarball(workspace, tmp_path):
    result = run(DOCKER_SCRIPTS / "buildimage.sh", docker_env(workspace), tmp_path)
    assert result.returncode == 1 and "rootfs.tar" in result.stderr


def test_docker_run_argv(workspace, tmp_path):
    result = run(
        DOCKER_SCRIPTS / "run.sh",
        docker_env(workspace, DOCKER_IMAGE="me/skiff:dev", DOCKER_RUN_ARGS="--memory 2g"),
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    rm, argv = lines(result)
    assert rm == ["docker", "rm", "-f", "skiff-default"]
    assert argv[:2] == ["docker", "run"]
    assert "--privileged" in argv and "--detach" in argv
    assert option(argv, "--name") == ["skiff-default"]
    assert option(argv, "--entrypoint") == ["/usr/lib/systemd/systemd"]
    assert option(argv, "--stop-signal") == ["SIGRTMIN+3"]
    persist = workspace / "docker" / "persist"
    assert f"{persist}:/mnt/persist" in option(argv, "--volume")
    assert persist.is_dir()
    assert option(argv, "--publish") == ["127.0.0.1:2222:22"]
    assert option(argv, "--memory") == ["2g"]
    assert argv[-1] == "me/skiff:dev"
    # Never share the host's network or host name: the guest's services would clash with the host's.
    assert "--net=host" not in argv and "--uts=host" not in argv


def test_docker_exec_argv(workspace, tmp_path):
    result = run(DOCKER_SCRIPTS / "exec.sh", docker_env(workspace, DOCKER_CONTAINER="box"), tmp_path)
    assert result.returncode == 0, result.stderr
    [argv] = lines(result)
    assert argv[:2] == ["docker", "exec"] and argv[-3:] == ["box", "/bin/bash", "-l"]


@pytest.mark.parametrize("script", ["buildimage.sh", "run.sh", "exec.sh"])
def test_docker_scripts_without_an_engine_fail_with_one_line(workspace, tmp_path, script):
    (workspace / "images" / "rootfs.tar").write_bytes(b"tar")
    fake = fake_program(tmp_path / "bin" / "docker", 'echo "Cannot connect to the Docker daemon" >&2; exit 1\n')
    env = {"BUILDROOT_DIR": str(workspace), "DOCKER": str(fake)}
    result = run(DOCKER_SCRIPTS / script, env, tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip() == (
        "virt/docker: no Docker engine is reachable (is dockerd running, and may this user use it?)"
    )
    missing = run(DOCKER_SCRIPTS / script, {**env, "DOCKER": "no-such-docker-client"}, tmp_path)
    assert missing.returncode == 1 and "not installed" in missing.stderr


def test_docker_run_with_an_engine_runs_the_same_argv(workspace, tmp_path):
    log = tmp_path / "docker.log"
    fake = fake_program(
        tmp_path / "bin" / "docker",
        f'printf "%q " "$@" >> "{log}"; echo >> "{log}"\ncase "$1" in container) exit 1;; esac\nexit 0\n',
    )
    env = {"BUILDROOT_DIR": str(workspace), "SKIFF_WORKSPACE": "default", "DOCKER": str(fake)}
    result = run(DOCKER_SCRIPTS / "run.sh", env, tmp_path)
    assert result.returncode == 0, result.stderr
    calls = [shlex.split(line) for line in log.read_text().splitlines()]
    assert calls[0] == ["info"]
    assert calls[1][:2] == ["container", "inspect"]  # no old container: nothing removed
    dry = lines(run(DOCKER_SCRIPTS / "run.sh", docker_env(workspace), tmp_path))[1]
    assert calls[2] == dry[1:]


# -- virt/virtualbox ---------------------------------------------------------------------------


def test_virtualbox_dry_run_commands(workspace, tmp_path):
    (workspace / "images" / "rootfs.iso9660").write_bytes(b"iso")
    result = run(
        VBOX_RUN,
        {"BUILDROOT_DIR": str(workspace), "SKIFF_WORKSPACE": "default", "VBOX_DRY_RUN": "1", "VBOX_MEMORY": "4096"},
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    cmds = lines(result)
    assert all(c[0] == "VBoxManage" for c in cmds)
    verbs = [c[1] for c in cmds]
    assert verbs == ["createvm", "modifyvm", "storagectl", "createmedium", "storageattach", "storageattach", "startvm"]
    assert option(cmds[1], "--memory") == ["4096"]
    assert option(cmds[3], "--filename") == [str(workspace / "virtualbox/persist.vdi")]
    assert option(cmds[5], "--medium") == [str(workspace / "images/rootfs.iso9660")]
    assert cmds[-1][-2:] == ["--type", "headless"]


def test_virtualbox_without_iso_fails(workspace, tmp_path):
    result = run(VBOX_RUN, {"BUILDROOT_DIR": str(workspace), "VBOX_DRY_RUN": "1"}, tmp_path)
    assert result.returncode == 1 and "rootfs.iso9660" in result.stderr


# -- through the CLI, as users run them ----------------------------------------------------------


def skiff_cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    import sys

    code = "import sys; from skiff_tui.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )


@requires_tools("make")  # package commands run through make
def test_skiff_cmd_runs_the_qemu_and_docker_commands(tmp_path):
    root = tmp_path / "root"
    (root / "workspaces" / "default" / "images").mkdir(parents=True)
    (root / "configs").symlink_to(REPO / "configs")
    images = root / "workspaces" / "default" / "images"
    for name in ("bzImage", "rootfs.cpio.lz4", "rootfs.tar"):
        (images / name).write_bytes(b"x")
    env = {
        "SKIFF_ROOT_DIR": str(root),
        "SKIFF_WORKSPACE": "default",
        "QEMU_DRY_RUN": "1",
        "QEMU_NO_KVM": "1",
        "DOCKER_DRY_RUN": "1",
    }
    qemu = skiff_cli(["cmd", "virt/qemu", "run"], {**env, "SKIFF_CONFIG": "virt/qemu"}, tmp_path)
    assert qemu.returncode == 0, qemu.stderr
    argv = shlex.split(qemu.stdout.strip().splitlines()[-1])
    assert Path(argv[0]).name == "qemu-system-x86_64"
    assert option(argv, "-kernel") == [str(images / "bzImage")]
    docker = skiff_cli(["cmd", "virt/docker", "buildimage"], {**env, "SKIFF_CONFIG": "virt/docker"}, tmp_path)
    assert docker.returncode == 0, docker.stderr
    argv = shlex.split(docker.stdout.strip().splitlines()[-1])
    assert argv[:2] == ["docker", "import"] and argv[-1] == "skiff/default:latest"


# -- util/noserial -----------------------------------------------------------------------------


def test_noserial_hook_masks_the_configured_getty(tmp_path):
    out = tmp_path / "ws"
    (out / "target/usr/lib/systemd/system/serial-getty@.service.d").mkdir(parents=True)
    dropin = out / "target/usr/lib/systemd/system/serial-getty@.service.d/buildroot-console.conf"
    dropin.write_text("[Service]\n")
    (out / ".config").write_text('BR2_TARGET_GENERIC_GETTY=y\nBR2_TARGET_GENERIC_GETTY_PORT="ttyAMA0"\n')
    result = run(REPO / "configs/util/noserial/hooks/pre.sh", {"SKIFF_BUILDROOT_DIR": str(out)}, tmp_path)
    assert result.returncode == 0, result.stderr
    mask = out / "target/etc/systemd/system/serial-getty@ttyAMA0.service"
    assert mask.is_symlink() and os.readlink(mask) == "/dev/null"
    assert not dropin.exists()
    assert (out / "images/.disable-serial-console").exists()


# -- base layer hooks and skiff/moduleimg --------------------------------------------------------


def test_base_pre_hook_writes_the_release_files(tmp_path):
    out = tmp_path / "ws"
    target = out / "target"
    (target / "usr/lib").mkdir(parents=True)
    (target / "etc").mkdir()
    (target / "usr/lib/os-release").write_text("NAME=Buildroot\nVERSION_ID=2026.02.3\n")
    (target / "etc/os-release").symlink_to("../usr/lib/os-release")
    env = {
        "SKIFF_BUILDROOT_DIR": str(out),
        "TARGET_DIR": str(target),
        "BINARIES_DIR": str(out / "images"),
        "SKIFF_VERSION": "1.2.3",
        "SKIFF_VERSION_COMMIT": "abc1234",
        "SKIFF_CONFIG": "pi/4,skiff/core",
        "USER": "builder",
    }
    result = run(REPO / "configs/base/pre/hooks/pre.sh", env, tmp_path)
    assert result.returncode == 0, result.stderr
    release = (target / "etc/skiff-release").read_text()
    fields = dict(line.split("=", 1) for line in release.splitlines())
    assert fields["NAME"] == "SkiffOS" and fields["ID"] == "skiff"
    assert fields["VERSION"] == "1.2.3" and fields["VERSION_ID"] == "abc1234"
    assert fields["PRETTY_NAME"] == '"SkiffOS 1.2.3"'
    assert fields["BUILD_CONFIG"] == '"pi/4,skiff/core"'
    os_release = (target / "etc/os-release").read_text()
    assert "BUILD_CONFIG" not in os_release and "NAME=SkiffOS" in os_release
    assert (target / "etc/buildroot-release").read_text().startswith("NAME=Buildroot")
    assert (out / "images/skiff-release").read_text() == release
    assert (target / "mnt/persist").is_dir()
    assert not (target / "etc/resolv.conf").is_symlink()
    # Running it again (an incremental build) keeps Buildroot's original release file.
    assert run(REPO / "configs/base/pre/hooks/pre.sh", env, tmp_path).returncode == 0
    assert (target / "etc/buildroot-release").read_text().startswith("NAME=Buildroot")


def test_base_post_hook_lists_the_images(tmp_path):
    out = tmp_path / "ws"
    (out / "images/rpi-firmware").mkdir(parents=True)
    (out / "images/Image").write_bytes(b"k" * 10)
    (out / "images/rpi-firmware/config.txt").write_text("x\n")
    result = run(REPO / "configs/base/post/hooks/post.sh", {"SKIFF_BUILDROOT_DIR": str(out)}, tmp_path)
    assert result.returncode == 0, result.stderr
    manifest = (out / "images/MANIFEST").read_text().splitlines()
    assert manifest == ["Image\t10", "rpi-firmware/config.txt\t2"]


def test_moduleimg_moves_modules_into_a_squashfs(tmp_path):
    out = tmp_path / "ws"
    modules = out / "target/usr/lib/modules/6.19.0"
    modules.mkdir(parents=True)
    (modules / "modules.dep").write_text("")
    (out / "target/etc").mkdir(parents=True)
    (out / "target/etc/skiff-release").write_text("NAME=SkiffOS\n")
    # Stand-in for host-squashfs: records its arguments and writes the output file.
    fake_program(
        out / "host/bin/mksquashfs", f'printf "%s\\n" "$@" > "{tmp_path}/mksquashfs-args"; echo squash > "$2"\n'
    )
    script = REPO / "configs/skiff/moduleimg/scripts/make-modules-image.sh"
    for _ in range(2):  # a second run (incremental build) finds the modules already moved
        result = run(script, {"SKIFF_BUILDROOT_DIR": str(out)}, tmp_path)
        assert result.returncode == 0, result.stderr
        image = out / "images/rootfs_part/modules.squashfs"
        assert image.read_text() == "squash\n"
        args = (tmp_path / "mksquashfs-args").read_text().splitlines()
        assert args[:2] == [str(out / "extra_images/modules"), str(image)]
        assert (out / "extra_images/modules/6.19.0/modules.dep").exists()
        assert sorted(p.name for p in (out / "target/usr/lib/modules").iterdir()) == ["MOUNTPOINT"]
