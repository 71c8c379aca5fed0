"""Benchmark: writing a sparse card image, against dd and bmaptool, side by side in one run.

Two device models (--model):

- `card` (default when root): a loop device with direct I/O (`losetup --direct-io=on`, no page
  cache of its own) over a file in /var/tmp, throttled by the kernel's block throttle to about a
  card's speed (20 MB/s write, 80 MB/s read by default). The throttle is cgroup v2 `io.max` where
  the io controller is on the unified hierarchy, else cgroup v1 `blkio.throttle.*_bps_device`
  (what this project's machines have: hybrid cgroups). The rule is set on the root group for this
  one loop device only, so every writer (dd's page-cache writeback included) is throttled alike,
  and removed afterwards. Each run starts with the loop device discarded (blkdiscard).
- `file`: a regular file target in the page cache (the fast path; previous figures).

Runs (each a whole process, timed start to exit; memory is its peak RSS):
`dd bs=4M conv=fsync`; `bmaptool copy` with the bmap (Debian: bmap-tools; skipped when absent);
`skiff flash write` with the bmap and read-back verification, and without verification;
for `card` also the image as .xz (decompressed while writing, bmap beside it) against
decompress-then-write (`xz -dk`, then `skiff flash write` of the result).

Targets: with a bmap <= 1.15x bmaptool's time, verification included; >= 3x faster than dd;
.xz input within 1.2x of decompress-then-write.

    sudo .venv/bin/python bench/flash.py [--model card|file] [--repeat N] [--size-gib 1] [--data-mib 128]
        [--write-mbs 20] [--read-mbs 80] [--dir DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from skiff_tui.core.flash.bmap import write_bmap  # noqa: E402
from skiff_tui.core.flash.copy import image_plan  # noqa: E402

MIB = 1024 * 1024
MB = 1000 * 1000


def make_image(path: Path, size: int, data: int, seed: int = 7) -> int:
    """A card-image-shaped sparse file: table + boot files up front, a compact rootfs, and small
    metadata blocks scattered over the rest (like ext4 group descriptors and inode tables)."""
    rng = random.Random(seed)
    written = 0
    with open(path, "wb") as f:
        f.truncate(size)

        def put(off: int, n: int) -> None:
            nonlocal written
            f.seek(off)
            left = n
            while left:
                chunk = min(left, 8 * MIB)
                f.write(os.urandom(chunk))
                left -= chunk
            written += n

        put(0, 64 * 1024)  # protective MBR + GPT
        boot = int(data * 0.25)
        put(MIB, boot)  # kernel, firmware, rootfs.squashfs
        meta_blocks = max(16, data // (4 * MIB))
        meta = meta_blocks * 64 * 1024
        rootfs = data - boot - meta - 64 * 1024
        put(size // 8, rootfs)  # a compact root filesystem
        for _ in range(meta_blocks):  # metadata all over the disk
            off = (rng.randrange(MIB, size - MIB) // 4096) * 4096
            put(off, 64 * 1024)
        f.flush()
        os.fsync(f.fileno())
    return written


def drop_cache(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def _hwm(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def timed(argv: list[str], env: dict | None = None) -> tuple[float, int]:
    """Wall time of one whole process and its peak RSS (KiB). The peak is the kernel's high-water
    mark (VmHWM) sampled every 20 ms: wait4's ru_maxrss would count this benchmark's own memory,
    which the child inherits at fork."""
    t = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _hwm(proc.pid))
        time.sleep(0.02)
    elapsed = time.perf_counter() - t
    err = proc.stderr.read().decode(errors="replace")
    proc.stderr.close()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{err[-2000:]}")
    return elapsed, peak


def skiff_argv(image: Path, device: str, *extra: str) -> list[str]:
    argv = [
        sys.executable,
        "-c",
        "import sys; from skiff_tui.cli import main; sys.exit(main(sys.argv[1:]))",
        "flash",
        "write",
        "--image",
        str(image),
        "--device",
        device,
        *extra,
    ]
    if device.startswith("/dev/"):
        name = os.path.basename(device)
        argv += ["--all", "--yes", "--confirm", name, "--no-eject"]
    else:
        argv += ["--force"]
    return argv


# --- the card model: a throttled direct-I/O loop device ---------------------------------------
class Throttle:
    """Block throttle for one device, on the root group: cgroup v2 io.max, else v1 blkio."""

    def __init__(self, devnum: str, write_bps: int, read_bps: int) -> None:
        self.devnum = devnum
        v2 = Path("/sys/fs/cgroup/io.max")
        if v2.exists():
            self.kind, self.files = "cgroup v2 io.max", [v2]
            v2.write_text(f"{devnum} wbps={write_bps} rbps={read_bps}\n")
        else:
            base = Path("/sys/fs/cgroup/blkio")
            w, r = base / "blkio.throttle.write_bps_device", base / "blkio.throttle.read_bps_device"
            if not w.exists():
                raise OSError("neither cgroup v2 io.max nor v1 blkio throttling is available here")
            self.kind, self.files = "cgroup v1 blkio.throttle (hybrid hierarchy: no io controller in v2)", [w, r]
            w.write_text(f"{devnum} {write_bps}\n")
            r.write_text(f"{devnum} {read_bps}\n")

    def close(self) -> None:
        for f in self.files:
            try:
                f.write_text(f"{self.devnum} rbps=max wbps=max\n" if f.name == "io.max" else f"{self.devnum} 0\n")
            except OSError:
                pass


def attach_card(backing: Path, size: int) -> str:
    with open(backing, "wb") as f:
        f.truncate(size)
    return subprocess.run(
        ["losetup", "-f", "--show", "--direct-io=on", str(backing)], check=True, capture_output=True, text=True
    ).stdout.strip()


def blank(device: str) -> None:
    """A used card starts each run the same: discarded (holes in the backing file), caches flushed."""
    subprocess.run(["blkdiscard", device], check=False, capture_output=True)
    subprocess.run(["blockdev", "--flushbufs", device], check=False)
    os.sync()
    time.sleep(0.2)


def fresh_file(path: Path) -> None:
    if path.exists():
        path.unlink()
    path.touch()
    os.sync()
    time.sleep(0.2)


def report(results: dict[str, list[tuple[float, int]]], repeat: int) -> dict[str, list[float]]:
    times = {k: [t for t, _ in v] for k, v in results.items()}
    print(f"\nmedian of {repeat} runs (seconds; lower is better), peak memory (RSS)")
    for name, runs in results.items():
        med = statistics.median(t for t, _ in runs)
        rss = max(m for _, m in runs) / 1024
        print(f"  {name:<40} {med:7.2f} s  {rss:7.1f} MiB   ({', '.join(f'{t:.2f}' for t, _ in runs)})")
    return times


def ratio(a: list[float], b: list[float]) -> float:
    """Median of per-round ratios (the runs of one round saw the same disk weather)."""
    return statistics.median(x / y for x, y in zip(a, b))


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--model",
        choices=("card", "file"),
        default=None,
        help="card: throttled direct-I/O loop device (root); file: page-cached file (default: card if root)",
    )
    ap.add_argument("--dir", help="working directory (default: a temp dir under /var/tmp, on disk)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--size-gib", type=float, default=1)
    ap.add_argument("--data-mib", type=int, default=128)
    ap.add_argument("--write-mbs", type=float, default=20, help="card model: write limit, MB/s")
    ap.add_argument("--read-mbs", type=float, default=80, help="card model: read limit, MB/s")
    args = ap.parse_args()
    model = args.model or ("card" if os.geteuid() == 0 and shutil.which("losetup") else "file")
    if model == "card" and os.geteuid() != 0:
        raise SystemExit("the card model needs root (losetup, the block throttle); use --model file")
    base = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="skiff-bench-flash-", dir="/var/tmp"))
    base.mkdir(parents=True, exist_ok=True)
    img = base / "card.img"
    env = dict(os.environ, SKIFF_NO_INTERACTIVE="1")
    device = throttle = None
    try:
        size = int(args.size_gib * 1024 * MIB)
        data = make_image(img, size, args.data_mib * MIB)
        _, ranges = image_plan(img)
        mapped = sum(n for _, n in ranges)
        bmaptool = shutil.which("bmaptool")
        if bmaptool:
            subprocess.run(["bmaptool", "-q", "create", "-o", str(img) + ".bmap", str(img)], check=True)
            bmap_by = "bmaptool create"
        else:
            write_bmap(img)
            bmap_by = "skiff"
            print("bmaptool not installed (Debian package bmap-tools): that baseline is skipped")
        print(
            f"image: {size / MIB:.0f} MiB, {data / MIB:.0f} MiB of data, {mapped / MIB:.0f} MiB mapped in "
            f"{len(ranges)} ranges; bmap by {bmap_by}; directory {base}"
        )
        runners: dict[str, callable] = {}
        if model == "card":
            device = attach_card(base / "card-backing.bin", size + 64 * MIB)
            st = os.stat(device).st_rdev
            try:
                throttle = Throttle(f"{os.major(st)}:{os.minor(st)}", int(args.write_mbs * MB), int(args.read_mbs * MB))
            except OSError as exc:
                print(
                    f"this machine cannot throttle block I/O ({exc}): the card model is an unthrottled "
                    "direct-I/O loop device"
                )
            print(
                f"device model: {device}, loop with direct I/O, "
                + (
                    f"throttled to {args.write_mbs:g} MB/s write / {args.read_mbs:g} MB/s read by {throttle.kind}"
                    if throttle
                    else "not throttled"
                )
            )
            target = device
            prepare = lambda: blank(device)  # noqa: E731
        else:
            target_path = base / "target.img"
            target = str(target_path)
            prepare = lambda: fresh_file(target_path)  # noqa: E731
            print(f"device model: a regular file in the page cache ({target})")

        def run(argv, extra_prep=None):
            def go():
                prepare()
                drop_cache(img)
                if extra_prep:
                    extra_prep()
                return timed(argv, env)

            return go

        runners["dd bs=4M conv=fsync"] = run(["dd", f"if={img}", f"of={target}", "bs=4M", "conv=fsync", "status=none"])
        if bmaptool:
            runners["bmaptool copy (bmap)"] = run(
                ["bmaptool", "-q", "copy", "--bmap", str(img) + ".bmap", str(img), target]
            )
        runners["skiff write (bmap) + verify"] = run(skiff_argv(img, target))
        runners["skiff write (bmap), no verify"] = run(skiff_argv(img, target, "--no-verify"))
        if model == "card" and shutil.which("xz"):
            xdir = base / "xz"
            xdir.mkdir(exist_ok=True)
            packed = xdir / "card.img.xz"
            subprocess.run(["xz", "-0", "-T2", "-k", "-c", str(img)], stdout=open(packed, "wb"), check=True)
            shutil.copy(str(img) + ".bmap", xdir / "card.img.bmap")
            print(f"xz: {packed.stat().st_size / MIB:.0f} MiB compressed")
            unpacked = xdir / "card.img"
            runners["skiff write card.img.xz (bmap) + verify"] = run(skiff_argv(packed, target))

            def decompress_then_write():
                prepare()
                if unpacked.exists():
                    unpacked.unlink()
                drop_cache(packed)
                t1, m1 = timed(["xz", "-d", "-k", "-T1", str(packed)], env)
                t2, m2 = timed(skiff_argv(unpacked, target), env)
                return t1 + t2, max(m1, m2)

            runners["xz -dk, then skiff write (bmap) + verify"] = decompress_then_write
        results: dict[str, list[tuple[float, int]]] = {k: [] for k in runners}
        order = list(runners)
        for r in range(args.repeat):
            random.Random(r).shuffle(order)  # the shared disk drifts: no tool always goes first
            for name in order:
                results[name].append(runners[name]())
        t = report(results, args.repeat)
        ours = t["skiff write (bmap) + verify"]
        print(f"\nmedian of per-round ratios ({args.repeat} rounds), model '{model}'")
        dd = ratio(t["dd bs=4M conv=fsync"], ours)
        print(f"  skiff (verify included) vs dd:            {dd:.2f}x faster      (target >= 3x: {verdict(dd >= 3)})")
        if bmaptool:
            bm = ratio(ours, t["bmaptool copy (bmap)"])
            nv = ratio(t["skiff write (bmap), no verify"], t["bmaptool copy (bmap)"])
            print(
                f"  skiff (verify included) vs bmaptool:      {bm:.2f}x its time   (target <= 1.15x: "
                f"{verdict(bm <= 1.15)})"
            )
            print(f"  skiff without verify vs bmaptool:         {nv:.2f}x its time")
        if "skiff write card.img.xz (bmap) + verify" in t:
            x = ratio(t["skiff write card.img.xz (bmap) + verify"], t["xz -dk, then skiff write (bmap) + verify"])
            print(
                f"  .xz written directly vs decompress-then-write: {x:.2f}x its time (target <= 1.2x: "
                f"{verdict(x <= 1.2)})"
            )
        return 0
    finally:
        if throttle:
            throttle.close()
        if device:
            subprocess.run(["losetup", "-d", device], check=False)
        if not args.dir:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
