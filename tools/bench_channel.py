#!/usr/bin/python3
"""Channel figures for `make bench` (issue 6), under QEMU -icount shift=0,
sleep=off, where TSC ticks count instructions: one utility partition made with
`bulkhead run`, then round trips over its channel (host kernel -> utility ->
host kernel, doorbells and scheduling included) with 16-byte and 4 KiB
payloads.  Throughput counts the bytes that cross the channel both ways; the
reference beside it is a pipe between two host processes (bench_guest)."""
import os
import re
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "boot"))
sys.path.insert(0, os.path.join(ROOT, "tests", "guest"))
from shell import Shell  # noqa: E402

N = 50


def figure(name, value, unit):
    print(f"{name:<48} {value:>14,} {unit}")


def per_trip(s, size):
    out = s.run(f"bulkhead ping 1 {N} {size} | tail -n 1", timeout=600)
    g = re.search(rf"{N} sent, {N} received, (\d+) ticks per round trip", out)
    assert g, out
    return int(g.group(1))


def main():
    s = Shell("bench-channel", icount=True)
    try:
        s.run("bulkhead run -d -m 8 b1 >/tmp/b1.log 2>&1")
        deadline = time.monotonic() + 300
        while "ready" not in s.run("cat /tmp/b1.log"):
            assert time.monotonic() < deadline, "the partition never said it was ready"
        small, big = per_trip(s, 16), per_trip(s, 4096)
        pipe = re.search(r"^pipe_per_mib: (\d+)$", s.run("/tests/bin/bench_guest 1 2>&1", timeout=900), re.M)
        s.run("bulkhead stop 1")
    finally:
        s.close()
    print("channels (QEMU TCG, AMD-V, -icount shift=0: instructions)")
    figure(f"instructions per round trip, 16 B ({N} pings)", small, "insns")
    figure(f"instructions per round trip, 4 KiB ({N} pings)", big, "insns")
    rate = 2 * 4096 / big
    print(f"{'channel throughput, 4 KiB each way':<48} {rate:>14.3f} bytes/insn")
    if pipe:
        ref = (1 << 20) / int(pipe.group(1))
        print(f"{'  reference: host pipe between two processes':<48} {ref:>14.3f} bytes/insn"
              f"  (channel {rate / ref:.2f}x)")


if __name__ == "__main__":
    main()
