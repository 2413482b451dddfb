"""TCP/IP in the host partition (lwIP's loopback, AF_INET sockets): the
seeds' `ping localhost`, busybox's network applets over 127.0.0.1, and the
loopback as `ifconfig` shows it.  sys_inet (test_syscalls.py) compares the
socket calls themselves with Linux."""
import re


def test_ping_localhost(sh):
    out = sh.run("ping -c 3 localhost", timeout=60)
    assert out.startswith("PING localhost (127.0.0.1): 56 data bytes"), out
    replies = re.findall(r"^64 bytes from 127\.0\.0\.1: seq=(\d) ttl=64 time=[\d.]+ ms$", out, re.M)
    assert replies == ["0", "1", "2"], out
    assert "--- localhost ping statistics ---" in out, out
    assert "3 packets transmitted, 3 packets received, 0% packet loss" in out, out
    assert re.search(r"^round-trip min/avg/max = [\d.]+/[\d.]+/[\d.]+ ms$", out, re.M), out


def test_ifconfig_lo(sh):
    out = sh.run("ifconfig lo", timeout=60)
    assert re.search(r"^lo\s+Link encap:Local Loopback", out, re.M), out
    assert "inet addr:127.0.0.1  Mask:255.0.0.0" in out, out
    assert re.search(r"UP LOOPBACK RUNNING\s+MTU:65536", out), out


def test_nc_over_loopback(sh):
    """busybox nc: a listener and a client in the same shell, both ways."""
    out = sh.run("nc -l -p 7070 > /tmp/nc.out & sleep 1; echo through tcp | nc 127.0.0.1 7070; "
                 "wait; cat /tmp/nc.out", timeout=60)
    assert out.strip().splitlines()[-1] == "through tcp", out


def test_httpd_wget(sh):
    """busybox httpd serves a file, busybox wget fetches it by name (/etc/hosts)."""
    out = sh.run("mkdir -p /tmp/www && head -c 300000 /dev/urandom > /tmp/www/blob && "
                 "httpd -p 127.0.0.1:8080 -h /tmp/www && sleep 1 && "
                 "wget -q -O /tmp/blob.got http://localhost:8080/blob && cmp /tmp/www/blob /tmp/blob.got && "
                 "echo same; wget -q -O - http://127.0.0.1:8080/nosuch; echo status $?; "
                 "kill $(pidof httpd)", timeout=120)
    assert "same" in out.splitlines(), out
    assert "404 Not Found" in out and "status 1" in out, out


def test_etc_files(sh):
    out = sh.run("cat /etc/hosts; grep -c . /etc/services; cat /etc/resolv.conf", timeout=60)
    assert re.search(r"^127\.0\.0\.1\s+localhost$", out, re.M), out
    assert re.search(r"^nameserver ", out, re.M), out


def test_fuzz_sockets(sh):
    """20,000 random AF_INET calls in every state (sys_inet_fuzz); the kernel
    keeps serving, TCP still works, and ping after it."""
    out = sh.run("/tests/bin/sys_inet_fuzz 20000; echo status $?", timeout=600)
    assert "survived 20000 calls" in out and "PASS: a TCP echo after the fuzz" in out, out
    assert "status 0" in out, out
    assert "3 packets received" in sh.run("ping -c 3 -i 0.2 127.0.0.1", timeout=60)
