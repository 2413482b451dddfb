#!/usr/bin/env python3
"""`make bench`: Bulkhead's figures, then every tools/bench_*.py.

Boots under QEMU with -icount shift=0,sleep=off, where the virtual clock advances
one nanosecond per executed instruction and the TSC follows it, so TSC deltas
measured inside the machine are instruction counts (hv's and the guest's alike),
the same on every run whatever the host's load.
"""
import glob
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "boot"))
from machine import Machine  # noqa: E402


def figure(name, value, unit, target=None):
    t = f"  (target {target})" if target else ""
    print(f"{name:<48} {value:>14,} {unit}{t}")


def bench_hv():
    m = Machine("bench-icount", icount=True).boot()
    try:
        boot = int(re.search(r"ready, (\d+) TSC ticks since hv entry", m.boot_text).group(1))
        n = 10000
        out = m.cmd(f"bench {n}", timeout=600)
        per = int(re.search(r"(\d+) per call", out).group(1))
        st = m.cmd("stats")
        image = int(re.search(r"hv image: (\d+) bytes", st).group(1))
        mem = int(re.search(r"hv memory: (\d+) KiB", st).group(1))
    finally:
        m.close()
    elf = os.path.getsize(os.path.join(os.path.dirname(HERE), "build", "hv.elf"))
    print("hv (QEMU TCG, AMD-V, -icount shift=0: instructions)")
    figure("instructions, hv entry to host-partition prompt", boot, "insns", "<= 20,000,000")
    figure(f"instructions per null hypercall ({n} in a loop)", per, "insns", "<= 200")
    figure("hv image in memory (text+data+bss)", image, "bytes")
    figure("hv.elf file size", elf, "bytes")
    figure("hv memory footprint at the prompt", mem * 1024, "bytes")


def main():
    bench_hv()
    for script in sorted(glob.glob(os.path.join(HERE, "bench_*.py"))):
        print()
        sys.stdout.flush()
        subprocess.run([sys.executable, script], check=True)


if __name__ == "__main__":
    main()
