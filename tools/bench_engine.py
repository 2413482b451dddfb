#!/usr/bin/python3
"""Engine figures for `make bench` (issue 12), under QEMU -icount
shift=0,sleep=off (TSC ticks = instructions): a process container's start
(create + start + wait of `true` through the Engine API) beside
fork+exec+wait of /bin/true, and the host memory an idle process container
of busybox costs beyond what its processes (the container's `sleep` and its
shim) map."""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "boot"))
sys.path.insert(0, os.path.join(ROOT, "tests", "guest"))
from shell import Shell  # noqa: E402

N_IDLE = 8
A = "/tests/bin/apiclient"
MEMFREE = "grep MemFree /proc/meminfo | tr -s ' ' | cut -d' ' -f2"


def figure(name, value, unit):
    print(f"{name:<48} {value:>14,} {unit}")


def main():
    s = Shell("bench-engine", icount=True)
    try:
        s.run("sleep 2")
        b = dict(re.findall(r"^(\w+): (\d+)$", s.run("/tests/bin/bench_guest 10", timeout=900), re.M))
        out = s.run("/tests/bin/bench_guest ctr 10", timeout=900)
        c = dict(re.findall(r"^(\w+): (\d+)$", out, re.M))
        assert "ctr_true" in c, out
        # idle containers: MemFree before and after, less their processes' resident pages
        s.run("sync; sleep 1")
        before = int(s.run(MEMFREE).split()[-1])
        for i in range(N_IDLE):
            s.run(f"{A} POST '/containers/create?name=idle{i}' "
                  "'{\"Image\":\"busybox\",\"Cmd\":[\"sleep\",\"100000\"]}' >/dev/null; "
                  f"{A} POST /containers/idle{i}/start >/dev/null")
        s.run("sleep 2")
        after = int(s.run(MEMFREE).split()[-1])
        pids = re.findall(r"^\s*(\d+)\s+\S+\s+(?:sleep 100000|\{bulkheadd\} bulkhead-shim)", s.run("ps"), re.M)
        assert len(pids) == 2 * N_IDLE, pids
        rss = s.run("for p in " + " ".join(pids) + "; do grep VmRSS /proc/$p/status; done")
        rss_kib = sum(int(x) for x in re.findall(r"VmRSS:\s+(\d+) kB", rss))
    finally:
        s.close()
    per = (before - after) * 1024 // N_IDLE
    print("engine (QEMU TCG, AMD-V, -icount shift=0: instructions)")
    figure("instructions per fork+exec+wait of /bin/true", int(b["spawn_true"]), "insns")
    figure("instructions per container create+start+wait of true", int(c["ctr_true"]), "insns")
    figure(f"host memory per idle busybox container (of {N_IDLE})", per, "bytes")
    figure("  of which its processes' resident pages", rss_kib * 1024 // N_IDLE, "bytes")
    figure("  beyond what its processes map", per - rss_kib * 1024 // N_IDLE, "bytes")


if __name__ == "__main__":
    main()
