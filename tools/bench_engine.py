#!/usr/bin/python3
"""Engine figures for `make bench` (issues 12 and 13), under QEMU -icount
shift=0,sleep=off (TSC ticks = instructions): a container's start (create +
start + wait of `true` through the Engine API) in both isolation modes side
by side, beside fork+exec+wait of /bin/true; the host memory an idle process
container of busybox costs beyond what its processes (the container's
`sleep` and its shim) map; and what an idle hyperv busybox container costs:
hv's pages (its partition's RAM, hv's tables) and the host partition's
(its vmwp worker, channel, driver queue), and so how many fit in 2 GiB:
H_IDLE of them (100 unless BH_IDLE_HYPERV says otherwise) run at once, in
a machine given the RAM for them."""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "boot"))
sys.path.insert(0, os.path.join(ROOT, "tests", "guest"))
from shell import Shell  # noqa: E402

N_IDLE = 8
H_IDLE = int(os.environ.get("BH_IDLE_HYPERV", "100"))
A = "/tests/bin/apiclient"
MEMFREE = "grep MemFree /proc/meminfo | tr -s ' ' | cut -d' ' -f2"


def figure(name, value, unit):
    print(f"{name:<48} {value:>14,} {unit}")


def main():
    s = Shell("bench-engine", icount=True, mem=1024 + 20 * H_IDLE)  # 16 MiB each, and what hv and the host add
    try:
        s.run("sleep 2")
        b = dict(re.findall(r"^(\w+): (\d+)$", s.run("/tests/bin/bench_guest 10", timeout=900), re.M))
        out = s.run("/tests/bin/bench_guest ctr 10", timeout=900)
        c = dict(re.findall(r"^(\w+): (\d+)$", out, re.M))
        assert "ctr_true" in c, out
        out = s.run("/tests/bin/bench_guest ctr 10 hyperv", timeout=1800)
        h = dict(re.findall(r"^(\w+): (\d+)$", out, re.M))
        assert "ctr_true" in h, out
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
        s.run(f"for i in $(seq 0 {N_IDLE - 1}); do {A} DELETE '/containers/idle$i?force=1' >/dev/null; done")
        # idle hyperv containers: hv's free pages and the host's MemFree
        hv_free = lambda: int(re.search(r"^hv free pages: (\d+)$", s.run("bulkhead stats 0"), re.M).group(1))  # noqa
        s.run("sync; sleep 2")
        hv_before, before_h = hv_free(), int(s.run(MEMFREE).split()[-1])
        for i in range(H_IDLE):
            s.run(f"{A} POST '/containers/create?name=hidle{i}' "
                  "'{\"Image\":\"busybox\",\"Cmd\":[\"sleep\",\"100000\"],"
                  "\"HostConfig\":{\"Isolation\":\"hyperv\"}}' >/dev/null; "
                  f"{A} POST /containers/hidle{i}/start >/dev/null", timeout=600)
        s.run("sleep 2")
        hv_after, after_h = hv_free(), int(s.run(MEMFREE).split()[-1])
        parts = [l.split() for l in s.run("bulkhead list").splitlines() if " bulkheadd " in l]
        assert len(parts) == H_IDLE, parts
        ram = sum(int(p[5].rstrip("M")) << 20 for p in parts) // H_IDLE
    finally:
        s.close()
    per = (before - after) * 1024 // N_IDLE
    print("engine (QEMU TCG, AMD-V, -icount shift=0: instructions)")
    figure("instructions per fork+exec+wait of /bin/true", int(b["spawn_true"]), "insns")
    figure("instructions per container create+start+wait of true", int(c["ctr_true"]), "insns")
    figure(f"host memory per idle busybox container (of {N_IDLE})", per, "bytes")
    figure("  of which its processes' resident pages", rss_kib * 1024 // N_IDLE, "bytes")
    figure("  beyond what its processes map", per - rss_kib * 1024 // N_IDLE, "bytes")
    hv_per = (hv_before - hv_after) * 4096 // H_IDLE
    host_per = (before_h - after_h) * 1024 // H_IDLE
    figure("instructions per hyperv container create+start+wait", int(h["ctr_true"]), "insns")
    figure("  hyperv / process", round(int(h["ctr_true"]) / int(c["ctr_true"]), 2), "x")
    figure("idle hyperv busybox containers running at once", len(parts), "containers")
    figure(f"host memory per idle hyperv busybox container (of {H_IDLE})", hv_per + host_per, "bytes")
    figure("  its partition's RAM", ram, "bytes")
    figure("  hv's pages beyond its RAM (tables, control blocks)", hv_per - ram, "bytes")
    figure("  the host partition's (vmwp, channel, driver queue)", host_per, "bytes")
    figure("idle hyperv busybox containers in 2 GiB", (2 << 30) // (hv_per + host_per), "containers")


if __name__ == "__main__":
    main()
