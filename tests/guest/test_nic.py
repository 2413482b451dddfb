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
import re
import socket
import threading
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
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(d))
    handler.log_message = lambda *a: None
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv.server_address[1], sums
    srv.shutdown()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_address(sh, tries=100):
    """ifconfig eth0 once it has an address (DHCP takes a moment)."""
    return sh.run(f"for i in $(seq {tries}); do ifconfig eth0 | grep -q 'inet addr' && break; sleep 0.2; done; "
                  "ifconfig eth0", timeout=300)


def check_eth0(out, addr="10.0.2.15"):
    assert re.search(rf"^eth0\s+Link encap:Ethernet\s+HWaddr {MAC.upper()}", out, re.M), out
    assert f"inet addr:{addr}  Bcast:10.0.2.255  Mask:255.255.255.0" in out, out
    assert re.search(r"UP BROADCAST RUNNING MULTICAST\s+MTU:1500", out), out


def check_fetch(sh, port, sums, name="blob", timeout=300):
    out = sh.run(f"wget -q -O /tmp/{name} http://10.0.2.2:{port}/{name}; echo status $?; sha256sum /tmp/{name}",
                 timeout=timeout)
    assert "status 0" in out, out
    assert f"{sums[name]}  /tmp/{name}" in out, out


def counters(sh):
    """/proc/net/dev's eth0 line: rx bytes, packets, errs, drop, ... as numbers."""
    line = [l for l in sh.run("cat /proc/net/dev").splitlines() if l.strip().startswith("eth0:")]
    assert len(line) == 1, line
    return [int(x) for x in line[0].split(":", 1)[1].split()]


@pytest.mark.parametrize("nic", ["e1000", "virtio-modern", "virtio"])
def test_qemu_nic(www, nic):
    """DHCP, ifconfig, route, ping, a 1 MiB fetch and a forwarded port, on one NIC kind."""
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
        before = counters(sh)
        check_fetch(sh, port, sums)
        after = counters(sh)
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
        cfg = f.read() + "net = 10.0.2.99/24,10.0.2.2\n"
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
        check_eth0(wait_for_address(sh, tries=300))
        check_fetch(sh, port, sums, "small", timeout=600)
    finally:
        sh.close()
