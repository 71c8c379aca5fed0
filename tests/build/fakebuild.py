#!/usr/bin/env python3
"""A stand-in for `make all` in a Buildroot output dir, for tests of skiff's build driver.

It prints real-format `>>> name version Step` lines (name/version may be empty), appends
`<O>/build/build-time.log` in Buildroot's format, writes `.stamp_*` files (skipping steps whose
stamp exists, as Buildroot does, so a re-run resumes), and can fail or sleep on demand:

  fakebuild.py O=<dir> [--packages host-skeleton:,host-pkgconf:2.3.0,busybox:1.37.0]
               [--fail PKG:STEP] [--delay SECONDS] [--noise N]

A failure prints compiler-like diagnostics and Buildroot's make error line, exit status 2.
SIGINT ends it like make: `make: *** [...] Interrupt`, exit status 2.
"""

import argparse
import os
import signal
import sys
import time

STEPS = [
    ("download", "Downloading", "downloaded"),
    ("extract", "Extracting", "extracted"),
    ("patch", "Patching", "patched"),
    ("configure", "Configuring", "configured"),
    ("build", "Building", "built"),
]
DEFAULT = "host-skeleton:,host-pkgconf:2.3.0,host-demo-lib:1.0,busybox:1.37.0,demo-app:1.0"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("vars", nargs="*")
    parser.add_argument("--packages", default=DEFAULT)
    parser.add_argument("--fail", default="")
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--noise", type=int, default=3)
    args = parser.parse_args()
    out = next((v[2:] for v in args.vars if v.startswith("O=")), None)
    if not out:
        print("fakebuild: O= is required", file=sys.stderr)
        return 2
    build = os.path.join(out, "build")
    os.makedirs(build, exist_ok=True)
    timelog = open(os.path.join(build, "build-time.log"), "a")
    current = {"stamp": None}

    def on_int(signum, frame):
        print(f"make: *** [package/pkg-generic.mk:273: {current['stamp']}] Interrupt", flush=True)
        sys.exit(2)

    signal.signal(signal.SIGINT, on_int)

    def stamp_time(kind, step, pkg):
        timelog.write(f"{time.time():.9f}:{kind:<5.5}:{step:<20.20}: {pkg}\n")
        timelog.flush()

    for spec in args.packages.split(","):
        name, _, version = spec.partition(":")
        pkgdir = os.path.join(build, f"{name}-{version}" if version else name)
        os.makedirs(pkgdir, exist_ok=True)
        if os.path.exists(os.path.join(pkgdir, ".stamp_installed")):
            continue
        install = (
            ("install-host", "Installing to host directory", "host_installed")
            if name.startswith("host-")
            else ("install-target", "Installing to target", "target_installed")
        )
        for step, text, stamp in [*STEPS, install]:
            stamp_path = os.path.join(pkgdir, f".stamp_{stamp}")
            if os.path.exists(stamp_path):
                continue
            current["stamp"] = stamp_path
            print(f">>> {name} {version} {text}", flush=True)
            stamp_time("start", step, name)
            for i in range(args.noise):
                print(f"  CC      {name}/src/file{i}.o", flush=True)
            if args.delay:
                time.sleep(args.delay)
            if args.fail == f"{name}:{step}":
                print(f"{name}.c: In function 'main':")
                print(f"{name}.c:2:33: error: 'undefined_symbol' undeclared (first use in this function)")
                print(f"make[1]: *** [Makefile:3: {name}] Error 1")
                print(f"make[1]: Leaving directory '{pkgdir}'")
                print(f"make: *** [package/pkg-generic.mk:273: {stamp_path}] Error 2", flush=True)
                return 2
            open(stamp_path, "w").close()
            stamp_time("end", step, name)
        open(os.path.join(pkgdir, ".stamp_installed"), "w").close()
    print(">>>   Finalizing target directory", flush=True)
    print(">>>   Generating filesystem image rootfs.ext2", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
