#!/usr/bin/python3
"""Figures of Debian's dynamically linked programs for `make bench` (issue
15), under QEMU -icount shift=0,sleep=off (TSC ticks are instructions):
fork+exec+wait of debian:bookworm's own /bin/true (coreutils, glibc's
loader, ld.so.cache, libc.so.6) chrooted in the image's tree as the engine
unpacked it, beside busybox's static /bin/true and the same true in
/tests/glibc (loader and libc only, no ld.so.cache) in the same boot."""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "boot"))
sys.path.insert(0, os.path.join(ROOT, "tests", "guest"))
from debian import debian_shell  # noqa: E402

N = 20


def figure(name, value, unit):
    print(f"{name:<48} {value:>14,} {unit}")


def main():
    s = debian_shell("bench-debian", icount=True)
    try:
        img = re.search(r'"Id":"sha256:([0-9a-f]{64})"', s.run("/tests/bin/apiclient GET /images/debian:bookworm/json"))
        tree = f"/var/lib/bulkhead/images/{img.group(1)}/rootfs"
        spawn = {}
        for what, root in (("static", "/"), ("debian", tree), ("glibc", "/tests/glibc")):
            out = s.run(f"/tests/bin/bench_guest spawn {N} {root} /bin/true 2>&1", timeout=900)
            spawn[what] = int(re.search(r"^spawn: (\d+)$", out, re.M).group(1))
    finally:
        s.close()
    print("Debian's dynamic programs (QEMU TCG, AMD-V, -icount shift=0: instructions)")
    figure("fork+exec+wait of busybox's static /bin/true", spawn["static"], "insns")
    figure("fork+exec+wait of debian:bookworm's /bin/true", spawn["debian"], "insns")
    figure("fork+exec+wait of that true in /tests/glibc", spawn["glibc"], "insns")
    print(f"{'  debian:bookworm over static':<48} {spawn['debian'] / spawn['static']:>14.2f} x")


if __name__ == "__main__":
    main()
