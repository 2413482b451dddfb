#!/usr/bin/python3
"""Hyperv container figures under QEMU -icount shift=0,sleep=off (TSC ticks =
instructions): `bulkhead uvm IMAGE -- true` (create, grant, start, RUN, wait,
destroy: one utility partition) beside a process container's create + start
+ wait of `true` through the Engine API (bench_guest ctr), in one run."""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "boot"))
sys.path.insert(0, os.path.join(ROOT, "tests", "guest"))
import machine  # noqa: E402
from shell import Shell  # noqa: E402

N = 10
UPTIME_NS = "awk '{print $1 * 1000000000}' /proc/uptime"


def main():
    machine.Machine.expect.__defaults__ = (900,)  # -icount boots slowly on a loaded machine
    s = Shell("bench-uvm", icount=True)
    try:
        s.run("sleep 2")
        s.run("bulkhead uvm /boot/images/busybox.tar -- true")  # the image's copy, made once
        t0 = float(s.run(UPTIME_NS).split()[-1])
        s.run(f"for i in $(seq {N}); do bulkhead uvm /boot/images/busybox.tar -- true; done")
        t1 = float(s.run(UPTIME_NS).split()[-1])
        out = s.run("/tests/bin/bench_guest ctr 10", timeout=900)
        c = dict(re.findall(r"^(\w+): (\d+)$", out, re.M))
    finally:
        s.close()
    print("hyperv container (QEMU TCG, AMD-V, -icount shift=0: instructions)")
    print(f"{'bulkhead uvm busybox true (whole command)':<48} {int((t1 - t0) / N):>14,} insns")
    print(f"{'process container create+start+wait of true':<48} {int(c.get('ctr_true', 0)):>14,} insns")


if __name__ == "__main__":
    main()
