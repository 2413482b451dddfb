#!/usr/bin/python3
"""Network figures for `make bench` (issue 14), under QEMU -icount
shift=0,sleep=off, where TSC ticks and the guest's clock count instructions:
TCP throughput in bytes per instruction over the loopback inside the host
partition and between the host and a process container through the virtual
switch (tests/guest/sys/bench_net.c) and from the host to a hyperv
container (its channel NIC; the same bench_net server, copied into the
partition through `bulkhead enter`'s stdin: busybox head -c behind nc, the
reader once used, spends about 31 instructions a byte in getc and putchar,
which the figure then counted), and ICMP echo round trips in instructions from the host to the loopback, a
process container and a hyperv container (bench_net's own raw-socket ping:
busybox ping's times are whole microseconds, here thousands of
instructions)."""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "boot"))
sys.path.insert(0, os.path.join(ROOT, "tests", "guest"))
from shell import Shell  # noqa: E402

MIB = 16
BOX = ("sh -c 'echo root=/tmp/bn hostname=bn net=172.20.0.2/16 > /dev/sandbox && "
       "exec /bin/busybox sh -c \"{}\"'")


def tcp(s, server, addr):
    """ticks per MiB from the host's sender to a server started by the shell line server."""
    out = s.run(f"{server} & sleep 1; /tests/bin/bench_net send {addr} 5001 {MIB}; wait", timeout=900)
    per = re.search(r"tcp_per_mib: (\d+)", out)
    assert per and "tcp_ok: 1" in out, out
    return int(per.group(1))


def rtt(s, addr):
    out = s.run(f"/tests/bin/bench_net ping {addr} 100", timeout=300)
    per = re.search(r"ping_ticks: (\d+)", out)
    assert per, out
    return int(per.group(1))


def nat_wget(size=4 << 20):
    """Instructions for a hyperv container to fetch size bytes from the build
    machine (10.0.2.2 through NAT, the host's virtio-net and QEMU's user
    network), from busybox time's real seconds (one per 10^9 instructions
    under -icount; 10 ms resolution).  Paced by QEMU's user network, as
    bench_nic.py says: not the cost of the path."""
    import socket
    import threading
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(4)
    body = b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n" % size + os.urandom(size)

    def serve():
        while True:
            c, _ = ls.accept()
            with c:
                c.recv(4096)
                c.sendall(body)
    threading.Thread(target=serve, daemon=True).start()
    s = Shell("bench-net-nat", icount=True, nic="virtio-modern", boot_timeout=900)
    try:
        s.run("for i in $(seq 120); do [ -S /var/run/docker.sock ] && ifconfig eth0 | grep -q 'inet addr' && break; "
              "sleep 1; done; bulkhead container new bn --runtime hyperv --image busybox -- sleep 600 && "
              "bulkhead container start bn", timeout=900)
        out = s.run(f"bulkhead enter bn -- sh -c 'time wget -q -O /dev/null http://10.0.2.2:{ls.getsockname()[1]}/ "
                    "&& echo fetched'", timeout=900)
    finally:
        s.close()
    m = re.search(r"real\s+(\d+)m\s*([\d.]+)s", out)
    assert m and "fetched" in out, out
    return (int(m.group(1)) * 60 + float(m.group(2))) * 1e9 / size * (1 << 20)


def main():
    nat = nat_wget()
    s = Shell("bench-net", icount=True, boot_timeout=900)  # -icount boots slowly when loaded
    try:
        s.run("mkdir -p /tmp/bn/bin && cp /bin/busybox /tests/bin/bench_net /tmp/bn/bin/ && "
              "ln -sf busybox /tmp/bn/bin/ping")
        lo = tcp(s, "/tests/bin/bench_net serve 5001", "127.0.0.1")
        sw = tcp(s, BOX.format("/bin/bench_net serve 5001"), "172.20.0.2")
        ping_lo = rtt(s, "127.0.0.1")
        s.run(BOX.format("exec /bin/busybox sleep 60") + " & sleep 1")
        ping_sw = rtt(s, "172.20.0.2")
        s.run("kill %1; wait")
        # a hyperv container's NIC: frames on its channel (net/chnic.c)
        s.run("for i in $(seq 120); do [ -S /var/run/docker.sock ] && break; sleep 1; done; "
              "bulkhead container new bh --runtime hyperv --image busybox -- sleep 600 && "
              "bulkhead container start bh", timeout=900)
        addr = re.search(r"inet addr:(\S+)", s.run("bulkhead enter bh -- ifconfig eth0", timeout=300)).group(1)
        ping_hv = rtt(s, addr)
        s.run("bulkhead enter bh -- sh -c 'cat > /tmp/bench_net && chmod 755 /tmp/bench_net' "
              "< /tests/bin/bench_net", timeout=300)
        hv = tcp(s, "bulkhead enter bh -- /tmp/bench_net serve 5001", addr)
        s.run("bulkhead container rm -f bh", timeout=300)
    finally:
        s.close()
    print("network (QEMU TCG, AMD-V, -icount shift=0: instructions)")
    for name, per in (("loopback TCP in the host partition (127.0.0.1)", lo),
                      ("TCP host -> process container (virtual switch)", sw),
                      ("TCP host -> hyperv container (switch, channel NIC)", hv)):
        print(f"{name:<56} {(1 << 20) / per:>10.3f} B/insn")
    print(f"{'switch TCP as a share of loopback TCP':<56} {lo / sw:>10.2f}")
    print(f"{'hyperv TCP as a share of loopback TCP':<56} {lo / hv:>10.2f}")
    print(f"{'ping round trip, loopback (avg of 100)':<56} {ping_lo:>10,} insns")
    print(f"{'ping round trip, host -> process container':<56} {ping_sw:>10,} insns")
    print(f"{'ping round trip, host -> hyperv container (channel NIC)':<56} {ping_hv:>10,} insns")
    print(f"{'hyperv container <- build machine via NAT (QEMU user net)':<56} {(1 << 20) / nat:>10.3f} B/insn"
          "  (paced by QEMU's user network, not deterministic)")


if __name__ == "__main__":
    main()
