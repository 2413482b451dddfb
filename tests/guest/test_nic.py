"""The host partition's NICs on the emulator's user network: QEMU's e1000 and
virtio-net (modern and transitional) and Bochs's e1000.  DHCP gives eth0
10.0.2.15/24 and a default route through 10.0.2.2, the build machine; busybox
`ifconfig`, `route` and `ping` show it; `wget` fetches a 1 MiB file from an
HTTP server this test starts on the build machine's 127.0.0.1 (intact: its
sha256 in the guest); QEMU's hostfwd brings the build machine's 127.0.0.1
to `httpd` in the guest; `net = ADDR/PREFIX,GATEWAY` in bulkhead.cfg replaces
DHCP.  Nothing here listens beyond 127.0.0.1."""
import functools
import hashlib
import http.server
import os
import random
import re
import socket
import threading
import time
import urllib.request

import pytest

from machine import make_esp
from shell import Shell

MAC = "52:54:00:12:34:56"  # what QEMU and tools/bochs.py give the first NIC


@pytest.fixture(scope="module")
def www(tmp_path_factory):
    """An HTTP server on the build machine's 127.0.0.1, a free port, serving
    blob (1 MiB of random bytes) and small (64 KiB); yields (port, {name: sha256})."""
    d = tmp_path_factory.mktemp("www")
    sums = {}
    for name, size in (("blob", 1 << 20), ("small", 64 << 10)):
        data = os.urandom(size)
        (d / name).write_bytes(data)
        sums[name] = hashlib.sha256(data).hexdigest()
    srv = serve_dir(d)
    yield srv.server_address[1], sums
    srv.shutdown()


def serve_dir(directory):
    """An HTTP server of directory's files on the build machine's 127.0.0.1
    (a free port: srv.server_address[1]), in a thread; srv.shutdown() ends it."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    handler.log_message = lambda *a: None
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_address(sh, seconds=60):
    """ifconfig eth0 once it has an address (DHCP takes a moment), asked
    again each second: short command lines, quick to type under Bochs."""
    deadline = time.time() + seconds
    while True:
        out = sh.run("ifconfig eth0", timeout=120)
        if "inet addr" in out or time.time() > deadline:
            return out
        sh.run("sleep 1", timeout=120)


def check_eth0(out, addr="10.0.2.15"):
    assert re.search(rf"^eth0\s+Link encap:Ethernet\s+HWaddr {MAC.upper()}", out, re.M), out
    assert f"inet addr:{addr}  Bcast:10.0.2.255  Mask:255.255.255.0" in out, out
    assert re.search(r"UP BROADCAST RUNNING MULTICAST\s+MTU:1500", out), out


def check_fetch(sh, port, sums, name="blob", timeout=300):
    out = sh.run(f"wget -qO /tmp/{name} http://10.0.2.2:{port}/{name};echo s$?", timeout=timeout)
    assert "s0" in out.split(), out
    out = sh.run(f"sha256sum /tmp/{name}", timeout=timeout)
    assert f"{sums[name]}  /tmp/{name}" in out, out


def interrupts(sh, chip):
    """eth0's interrupt count in /proc/interrupts, which must come from chip."""
    out = sh.run("grep eth0 /proc/interrupts")
    m = re.search(rf"^\s*\d+:\s+(\d+)\s+{chip}\s.*eth0$", out, re.M)
    assert m, out
    return int(m.group(1))


def counters_of(sh, name):
    """/proc/net/dev's line of interface name: rx bytes, packets, errs, drop, ... as numbers."""
    line = [l for l in sh.run("cat /proc/net/dev").splitlines() if l.strip().startswith(name + ":")]
    assert len(line) == 1, line
    return [int(x) for x in line[0].split(":", 1)[1].split()]


def counters(sh):
    return counters_of(sh, "eth0")


@pytest.mark.parametrize("nic,chip,how", [("e1000", "IO-APIC", "INTx"), ("virtio-modern", "PCI-MSI", "MSI-X"),
                                          ("virtio", "PCI-MSI", "MSI-X")])
def test_qemu_nic(www, nic, chip, how):
    """DHCP, ifconfig, route, ping, a 1 MiB fetch and a forwarded port, on
    one NIC kind, driven by its interrupts (e1000: INTx through the IOAPIC;
    virtio-net: MSI-X), not by the tick."""
    port, sums = www
    fwd = free_port()
    sh = Shell("nic-" + nic, nic=nic, hostfwd=[(fwd, 8080)])
    try:
        check_eth0(wait_for_address(sh))
        out = sh.run("route -n")
        assert re.search(r"^0\.0\.0\.0\s+10\.0\.2\.2\s+0\.0\.0\.0\s+UG\s.*eth0$", out, re.M), out
        assert re.search(r"^10\.0\.2\.0\s+0\.0\.0\.0\s+255\.255\.255\.0\s+U\s.*eth0$", out, re.M), out
        assert "net dhcp" in sh.run("cat /proc/bulkhead")
        out = sh.run("ping -c 2 10.0.2.2", timeout=60)
        assert "2 packets transmitted, 2 packets received, 0% packet loss" in out, out
        before, irqs = counters(sh), interrupts(sh, chip)
        check_fetch(sh, port, sums)
        after = counters(sh)
        assert interrupts(sh, chip) > irqs, "the fetch came in by interrupts"
        assert re.search(rf"eth0: .* at 00:02\.0, .*, {how}$", sh.run("dmesg | grep eth0:"), re.M)
        assert after[0] - before[0] > 1 << 20 and after[1] - before[1] > (1 << 20) // 1514, (before, after)
        assert after[2] == 0 and after[10] == 0, after  # no receive or transmit errors
        out = sh.run("ifconfig eth0")
        assert re.search(rf"RX packets:{after[1]} errors:0 dropped:{after[3]} ", out), (out, after)
        # The build machine's 127.0.0.1:fwd reaches httpd on the guest's 8080.
        sh.run("mkdir -p /tmp/www && echo served by the host partition > /tmp/www/hello && httpd -p 8080 -h /tmp/www")
        with urllib.request.urlopen(f"http://127.0.0.1:{fwd}/hello", timeout=60) as r:
            assert r.read() == b"served by the host partition\n"
    finally:
        sh.close()


def test_static_config(www, tmp_path):
    """net = ADDR/PREFIX,GATEWAY: that address at once, no DHCP; the network works."""
    port, sums = www
    with open(os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                           "build", "esp", "bulkhead.cfg")) as f:
        cfg = "".join(l for l in f if not l.startswith("net")) + "net = 10.0.2.99/24,10.0.2.2\n"
    sh = Shell("nic-static", esp=make_esp(tmp_path, cfg), nic="e1000")
    try:
        check_eth0(sh.run("ifconfig eth0"), addr="10.0.2.99")
        assert "net 10.0.2.99/24,10.0.2.2" in sh.run("cat /proc/bulkhead")
        out = sh.run("route -n")
        assert re.search(r"^0\.0\.0\.0\s+10\.0\.2\.2\s+0\.0\.0\.0\s+UG\s.*eth0$", out, re.M), out
        check_fetch(sh, port, sums, "small")
        out = sh.run("sleep 3; ifconfig eth0")  # DHCP would have changed it by now
        assert "inet addr:10.0.2.99 " in out, out
    finally:
        sh.close()


def test_bochs_e1000(www):
    """Intel VT-x under Bochs with its e1000 and slirp: DHCP and a fetch from the build machine."""
    port, sums = www
    sh = Shell("nic-bochs", kind="bochs", nic=True)
    try:
        check_eth0(wait_for_address(sh, seconds=600))
        irqs = interrupts(sh, "IO-APIC")
        check_fetch(sh, port, sums, "small", timeout=600)
        assert interrupts(sh, "IO-APIC") > irqs, "the fetch came in by interrupts"
    finally:
        sh.close()


def udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("dev", ["virtio-net-pci,disable-legacy=on", "e1000"])
def test_hostile_frames(www, dev):
    """A second NIC (eth1) on a QEMU dgram netdev whose other end is this
    test: it sends runts, oversized frames and thousands of random ones
    (to eth1's MAC and to broadcast, random EtherTypes, IPv4 and ARP with
    garbage headers).  The kernel counts what it rejects, eth0 goes on
    working, and eth1's own transmissions (DHCP discovers) come out whole."""
    port, sums = www
    to_guest = udp_port()
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.settimeout(30)
    extra = ["-netdev", f"dgram,id=n1,local.type=inet,local.host=127.0.0.1,local.port={to_guest},"
             f"remote.type=inet,remote.host=127.0.0.1,remote.port={rx.getsockname()[1]}",
             "-device", f"{dev},netdev=n1,mac=52:54:00:00:00:02,romfile="]
    sh = Shell("nic-hostile-" + dev.split("-")[0].split(",")[0], nic="e1000", qemu_extra=extra)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    mac, bcast = bytes.fromhex("525400000002"), b"\xff" * 6
    try:
        check_eth0(wait_for_address(sh))
        # eth1 asks for an address: a DHCP discover, broadcast (UDP 68 -> 67);
        # the firmware's own frames (IPv6 neighbour discovery) may come first.
        while True:
            frame, _ = rx.recvfrom(65536)
            if frame[12:14] == b"\x08\x00" and frame[23] == 17 and frame[36:38] == b"\x00\x43":
                break
        assert frame[:6] == bcast and frame[6:12] == mac, frame[:14].hex()
        assert len(frame) >= 14 + 20 + 8 + 236 and frame[14 + 28 + 236:14 + 28 + 240] == b"\x63\x82\x53\x63", frame
        sizes = [14, 59, 60, 1514, 1515, 1518, 2000]  # 1515..2000: longer than an MTU-1500 frame
        for n in sizes:
            tx.sendto(mac + bcast + b"\x08\x00" + os.urandom(n - 14), ("127.0.0.1", to_guest))
        rnd = random.Random(14)
        for i in range(3000):
            kind = rnd.choice([b"\x08\x00", b"\x08\x06", b"\x86\xdd", os.urandom(2)])
            body = os.urandom(rnd.choice([0, 1, 8, 20, 28, 46, 200, 1486, rnd.randrange(0, 3000)]))
            if kind == b"\x08\x00" and len(body) >= 20 and rnd.random() < 0.5:
                body = bytes([0x40 | rnd.randrange(16)]) + body[1:]  # IPv4 with any header length
            tx.sendto(rnd.choice([mac, bcast]) + os.urandom(6) + kind + body, ("127.0.0.1", to_guest))
            if i % 200 == 0:
                time.sleep(0.05)
        time.sleep(2)
        c = counters_of(sh, "eth1")
        assert c[2] >= 2, c  # errs: 1515 and 1518 at least (QEMU's e1000 drops longer ones itself)
        assert c[1] >= 4, c  # 14..1514 accepted
        out = sh.run("ping -c 2 10.0.2.2", timeout=60)
        assert "2 packets received" in out, out
        check_fetch(sh, port, sums, "small")
        assert "RX packets" in sh.run("ifconfig eth1")
    finally:
        sh.close()
        rx.close()
        tx.close()
