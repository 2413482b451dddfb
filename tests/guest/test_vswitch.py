"""The virtual switch and NAT (guest/net/switch.c, nat.c; docs/design.md
"Virtual switch and NAT"): process containers (sandboxes with net=) get
their own interface on the default network "nat" (172.20.0.0/16, the host
its gateway 172.20.0.1), reach each other and the host, serve and fetch
over HTTP, a published port reaches a container from the host, and what the
switch drops is counted in /dev/vswitch."""
import re

import pytest


def box(name, addr, cmd, extra=""):
    """A shell line running cmd (busybox sh -c) in a new sandbox at /tmp/NAME
    with address ADDR on the network "nat"."""
    return (f"sh -c 'echo root=/tmp/{name} hostname={name} net={addr}/16{extra} > /dev/sandbox && "
            f"exec /bin/busybox sh -c \"{cmd}\"'")


@pytest.fixture(scope="module")
def boxes(sh):
    for n in ("vc1", "vc2"):
        sh.run(f"mkdir -p /tmp/{n}/bin /tmp/{n}/www /tmp/{n}/proc && cp /bin/busybox /tmp/{n}/bin/ && "
               f"for a in sh ifconfig ping wget httpd cat sleep; do ln -sf busybox /tmp/{n}/bin/$a; done")
    return sh


def test_ifconfig_own_interface(boxes):
    out = boxes.run(box("vc1", "172.20.0.2", "ifconfig; echo; ifconfig -a eth0"))
    assert re.search(r"^eth0\s+Link encap:Ethernet\s+HWaddr 02:42:AC:14:00:02", out, re.M), out
    assert "inet addr:172.20.0.2  Bcast:172.20.255.255  Mask:255.255.0.0" in out, out
    assert re.search(r"UP BROADCAST RUNNING MULTICAST\s+MTU:1500", out), out
    assert re.search(r"^lo\s+Link encap:Local Loopback", out, re.M), out
    assert "nat" not in re.findall(r"^(\S+)", out, re.M), out  # not the host's gateway
    host = boxes.run("ifconfig")
    assert re.search(r"^nat\s+Link encap:Ethernet\s+HWaddr 02:42:AC:14:00:01", host, re.M), host
    assert "inet addr:172.20.0.1  Bcast:172.20.255.255  Mask:255.255.0.0" in host, host
    assert "172.20.0.2" not in host and "eth0" not in host, host


def test_ping_between(boxes):
    """Two containers ping each other by address; a container pings the
    host's gateway address; the host pings a container."""
    out = boxes.run(box("vc1", "172.20.0.2", "sleep 30") + " & sleep 1; " +
                    box("vc2", "172.20.0.3", "ping -c 3 172.20.0.2; ping -c 2 172.20.0.1") +
                    "; ping -c 2 172.20.0.2; kill %1; wait", timeout=120)
    assert len(re.findall(r"^64 bytes from 172\.20\.0\.2: seq=\d ttl=64", out, re.M)) == 5, out
    assert len(re.findall(r"^64 bytes from 172\.20\.0\.1: seq=\d ttl=64", out, re.M)) == 2, out
    assert "100% packet loss" not in out, out
    out = boxes.run("ping -c 1 -W 2 172.20.0.2")  # the container is gone: its address with it
    assert "0 packets received" in out or "100% packet loss" in out, out
