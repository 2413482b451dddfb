#!/usr/bin/python3
"""NIC figures for `make bench` (issue 14): TCP throughput into the host
partition from the build machine through QEMU's user network, on virtio-net
(what `make run` gives it), under -icount shift=0,sleep=off (TSC ticks are
instructions).  Not on e1000: with it, OVMF alone takes about 5 minutes to
boot under -icount on a loaded 2-core machine (2.5 for the whole boot with
virtio-net), past the boot time-out of the test harness.
A server on the build machine's 127.0.0.1 sends 8 MiB per connection; the
guest's /tests/bin/tcpget reads them from 10.0.2.2 and counts the ticks.

Not deterministic: the sender runs in real time beside the emulated CPU, and
when the guest waits for data the -icount clock jumps to its next timer
(sleep=off), so idle waiting is charged as instructions at whatever rate the
build machine's load lets the sender fill QEMU's queue.  Beside it comes
the share of the transfer the host partition's kernel idled (10 ms ticks of
10,000,000 instructions under -icount): nearly all of it, so the figure is
the pace of QEMU's user network, not the cost of the NIC path, whose busy
instructions are below the tick's resolution.  Each figure is the median
of RUNS transfers, printed with its spread."""
import os
import re
import socket
import statistics
import sys
import threading

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "boot"))
sys.path.insert(0, os.path.join(ROOT, "tests", "guest"))
from shell import Shell  # noqa: E402

SIZE = 8 << 20
RUNS = 5


def sender():
    """A listener on 127.0.0.1 that sends SIZE bytes to each connection; its port."""
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(4)
    data = os.urandom(1 << 20)

    def serve():
        while True:
            c, _ = ls.accept()
            with c:
                for _ in range(SIZE >> 20):
                    c.sendall(data)
    threading.Thread(target=serve, daemon=True).start()
    return ls.getsockname()[1]


def measure(nic, port):
    s = Shell("bench-net-" + nic, icount=True, nic=nic, boot_timeout=900)  # -icount boots slowly when loaded
    try:
        for _ in range(300):
            if "inet addr" in s.run("ifconfig eth0"):
                break
            s.run("sleep 1")
        ticks, idle = [], []
        for _ in range(RUNS):
            out = dict(re.findall(r"^(\w+): (\d+)$", s.run(f"/tests/bin/tcpget 10.0.2.2 {port} {SIZE}",
                                                              timeout=900), re.M))
            assert out.get("ok") == "1", out
            ticks.append(int(out["ticks"]))
            idle.append(int(out["idle_cs"]) * 10_000_000 / int(out["ticks"]))
    finally:
        s.close()
    return ticks, idle


def main():
    port = sender()
    print("NIC: TCP into the host partition from the build machine (QEMU user net, -icount; not deterministic)")
    for nic, name in (("virtio-modern", "virtio-net"),):
        t, idle = measure(nic, port)
        med = statistics.median(t)
        print(f"{'bytes per instruction, build machine -> ' + name:<48} {SIZE / med:>14.3f} B/insn"
              f"  (median of {RUNS}: {SIZE / max(t):.3f}..{SIZE / min(t):.3f})")
        print(f"{'  share of it the host partition idled':<48} {100 * statistics.median(idle):>14.0f} %")


if __name__ == "__main__":
    main()
