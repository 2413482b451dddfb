#!/usr/bin/python3
"""Hyperv container figures under QEMU -icount shift=0,sleep=off (TSC ticks =
instructions): `bulkhead uvm IMAGE -- true` (new partition, grant, start,
RUN, wait, destroy) beside a process container's create + start + wait of
`true` through the Engine API (bench_guest ctr), in one run.  The loop runs
inside one command line: the console's typing (idle time, which -icount
skips) stays out of it; /proc/uptime's 10 ms over N runs is the error."""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "boot"))
sys.path.insert(0, os.path.join(ROOT, "tests", "guest"))
import machine  # noqa: E402
from shell import Shell  # noqa: E402

N = 20
IMG = "/boot/images/busybox.tar"
NS = "$(awk '{print $1 * 1000000000}' /proc/uptime)"


def loop_ns(s, cmd):
    out = s.run(f"a={NS}; for i in $(seq {N}); do {cmd}; done; b={NS}; echo took $((b - a))", timeout=900)
    return int(re.search(r"took (\d+)", out)[1]) // N


def main():
    machine.Machine.expect.__defaults__ = (900,)  # -icount boots slowly on a loaded machine
    s = Shell("bench-uvm", icount=True)
    try:
        s.run("sleep 2")
        s.run(f"bulkhead uvm {IMG} -- true")  # the image's copy, made once
        ticks = s.run(f"bulkhead uvm -v {IMG} -- true 2>&1 | sed 's/^guest: /g: /'")
        ready = int(re.search(r"ready, (\d+) TSC ticks", ticks)[1])
        run = int(re.search(r"RUN done, (\d+) TSC ticks", ticks)[1])
        uvm = loop_ns(s, f"bulkhead uvm {IMG} -- true")
        bare = loop_ns(s, "bulkhead run -m 16 t exit=0 >/dev/null")
        out = s.run("/tests/bin/bench_guest ctr 10", timeout=900)
        c = dict(re.findall(r"^(\w+): (\d+)$", out, re.M))
    finally:
        s.close()
    print("hyperv container (QEMU TCG, AMD-V, -icount shift=0: instructions)")
    for name, v in [("utility kernel ready, since create", ready), ("RUN done (root built, PID 1 spawned)", run),
                    ("bulkhead uvm busybox true, whole command", uvm),
                    ("bulkhead run exit=0 (bare partition), whole", bare),
                    ("process container create+start+wait of true", int(c.get("ctr_true", 0)))]:
        print(f"{name:<48} {v:>14,} insns")


if __name__ == "__main__":
    main()
