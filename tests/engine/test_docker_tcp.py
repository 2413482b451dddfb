"""The real Docker CLI on the build machine against bulkheadd over TCP
(issue 16): bulkhead.cfg's default `api =` has the daemon listen on
tcp://0.0.0.0:2375, and QEMU's hostfwd brings a free port of the build
machine's 127.0.0.1 to it (a port per boot, so boots can run side by side).
The seeds' demo verbatim, then the commands of docs/docker-cli.md, each
checked against what the table promises, then hostile clients.  One boot
for all of them."""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time

import pexpect
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "guest"))
from shell import Shell  # noqa: E402

DOCKER = shutil.which("docker")
pytestmark = pytest.mark.skipif(not DOCKER, reason="no Docker CLI (tools/setup.sh installs docker.io)")
HEX64 = re.compile(r"^[0-9a-f]{64}$")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Engine:
    def __init__(self):
        self.port = free_port()
        self.sh = Shell("docker-tcp", nic="virtio", hostfwd=[(self.port, 2375)])
        self.env = dict(os.environ, DOCKER_HOST=f"tcp://127.0.0.1:{self.port}")
        self.env.pop("DOCKER_CONTEXT", None)
        deadline = time.monotonic() + 120
        while self.docker("version", check=False, timeout=30).returncode:
            assert time.monotonic() < deadline, self.sh.run("cat /var/log/bulkheadd.log")
            time.sleep(2)
        # the daemon loads busybox:latest at start
        while "busybox" not in self.docker("images").stdout:
            assert time.monotonic() < deadline
            time.sleep(2)

    def docker(self, *args, check=True, timeout=120, input=None):
        r = subprocess.run([DOCKER, *args], env=self.env, input=input, capture_output=True, text=True,
                           timeout=timeout)
        if check:
            assert r.returncode == 0, (args, r.returncode, r.stdout, r.stderr)
        return r

    def out(self, *args, **kw):
        return self.docker(*args, **kw).stdout


@pytest.fixture(scope="module")
def eng():
    e = Engine()
    yield e
    e.sh.close()


def test_cfg_reaches_daemon(eng):
    """bulkhead.cfg's api = (the shipped default) becomes one -H each."""
    proc = eng.sh.run("cat /proc/bulkhead")
    assert re.search(r"^api unix:///var/run/docker.sock tcp://0.0.0.0:2375$", proc, re.M), proc
    log = eng.sh.run("cat /var/log/bulkheadd.log")
    assert "serving the Engine API v1.44 on unix:///var/run/docker.sock tcp://0.0.0.0:2375" in log, log
    v = eng.out("version", "--format", "{{.Server.APIVersion}} {{.Server.Os}}")
    assert v.strip() == "1.44 linux", v


def test_seeds_demo(eng):
    """The seeds' demo, verbatim: a process container's ping is a host
    process (same PID in docker top and the host's ps); a hyperv one's is
    its partition's PID 1, which the host's ps does not show."""
    d = eng.docker
    pid_p = d("run", "-d", "busybox", "ping", "localhost").stdout.strip()
    assert HEX64.match(pid_p), pid_p
    top = d("top", pid_p).stdout
    assert top.split("\n")[0].split() == ["UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"], top
    row = [l for l in top.splitlines()[1:] if l.endswith("ping localhost")]
    assert len(row) == 1, top
    host_pid = row[0].split()[1]
    ps = eng.sh.run("ps -o pid,args")
    assert re.search(rf"^\s*{host_pid}\s+ping localhost$", ps, re.M), ps

    pid_h = d("run", "-d", "--isolation=hyperv", "busybox", "ping", "localhost").stdout.strip()
    assert HEX64.match(pid_h), pid_h
    top = d("top", pid_h).stdout
    rows = [l.split() for l in top.splitlines()[1:]]
    assert any(r[1] == "1" and r[-1].startswith("ping") for r in rows), top
    ps = eng.sh.run("ps -o pid,args")
    assert len(re.findall(r"ping localhost$", ps, re.M)) == 1, ps   # the process container's only
    assert re.search(rf"vmwp /var/lib/bulkhead/containers/{pid_h[:20]}", ps), ps

    lines = d("ps").stdout.splitlines()
    assert lines[0].split() == ["CONTAINER", "ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]
    ids = {l.split()[0] for l in lines[1:]}
    assert {pid_p[:12], pid_h[:12]} <= ids, lines
    assert d("stop", pid_p, pid_h).stdout.split() == [pid_p, pid_h]
    assert d("rm", pid_p, pid_h).stdout.split() == [pid_p, pid_h]
    assert pid_p[:12] not in d("ps", "-a").stdout
    imgs = d("images").stdout.splitlines()
    assert imgs[0].split() == ["REPOSITORY", "TAG", "IMAGE", "ID", "CREATED", "SIZE"], imgs
    assert any(l.split()[:2] == ["busybox", "latest"] for l in imgs[1:]), imgs


@pytest.mark.parametrize("iso", ["process", "hyperv"])
def test_run_options(eng, iso):
    """run --rm in both modes with -e, -w, -u, --entrypoint, --hostname,
    --name, -m, --network none; the exit status is the container's; -i feeds
    stdin; a missing command is the CLI's 127."""
    d = eng.docker
    r = f"--isolation={iso}"
    assert d("run", "--rm", r, "busybox", "echo", "hi").stdout == "hi\n"
    out = d("run", "--rm", r, "-e", "A=1", "-w", "/tmp", "-u", "1000", "busybox", "sh", "-c",
            "echo $A; pwd; id -u; id -g").stdout
    assert out == "1\n/tmp\n1000\n0\n", out   # no passwd line for 1000: group 0, as Docker
    d("run", "-d", r, "--name", f"ug-{iso}", "busybox", "sleep", "999")
    try:   # a user's group: its passwd line's, found by name or by uid
        d("exec", f"ug-{iso}", "sh", "-c", "echo u:x:1001:77::/:/bin/sh >> /etc/passwd")
        for u in ("1001", "u"):
            out = d("exec", "-u", u, f"ug-{iso}", "sh", "-c", "id -u; id -g").stdout
            assert out == "1001\n77\n", (u, out)
    finally:
        d("rm", "-f", f"ug-{iso}")
    assert d("run", "--rm", r, "--entrypoint", "echo", "busybox", "ent").stdout == "ent\n"
    assert d("run", "--rm", r, "--hostname", "hh", "busybox", "hostname").stdout == "hh\n"
    assert d("run", "--rm", r, "--name", f"named-{iso}", "-m", "32m", "--network", "none", "busybox",
             "true").stdout == ""
    assert d("run", "--rm", r, "busybox", "sh", "-c", "exit 3", check=False).returncode == 3
    assert d("run", "--rm", r, "-i", "busybox", "cat", input="hello\n").stdout == "hello\n"
    bad = d("run", "--rm", r, "busybox", "nosuchcmd", check=False)
    assert bad.returncode == 127, bad
    assert 'exec: "nosuchcmd": executable file not found in $PATH' in bad.stderr, bad.stderr
    assert "named-" + iso not in d("ps", "-a").stdout   # --rm removed all of them


def test_lifecycle(eng):
    """create, start -a, logs (--tail, -t), wait, inspect, ps -a -q,
    --format, --filter, restart, kill, rm -f."""
    d = eng.docker
    cid = d("create", "--name", "c1", "busybox", "sh", "-c", "echo one; echo two").stdout.strip()
    assert HEX64.match(cid)
    assert d("ps", "-a", "--filter", "status=created", "-q").stdout.split() == [cid[:12]]
    assert d("start", "-a", "c1").stdout == "one\ntwo\n"
    assert d("wait", "c1").stdout == "0\n"
    assert d("logs", "c1").stdout == "one\ntwo\n"
    tail = d("logs", "--tail", "1", "-t", "c1").stdout
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z two\n$", tail), tail
    assert d("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}} {{.Name}}", "c1").stdout == "exited 0 /c1\n"
    assert d("ps", "-a", "--format", "{{.ID}} {{.Names}}", "--filter", "name=c1").stdout == f"{cid[:12]} c1\n"

    d("run", "-d", "--name", "s1", "busybox", "sleep", "999")
    assert d("ps", "-q", "--filter", "name=s1").stdout.strip()
    assert d("restart", "-t", "1", "s1").stdout == "s1\n"
    assert d("inspect", "-f", "{{.State.Running}}", "s1").stdout == "true\n"
    assert d("kill", "s1").stdout == "s1\n"
    assert d("wait", "s1").stdout == "137\n"
    d("start", "s1")
    err = d("rm", "s1", check=False)
    assert err.returncode == 1 and "container is running" in err.stderr, err
    assert d("rm", "-f", "s1", "c1").stdout.split() == ["s1", "c1"]
    assert not d("ps", "-a", "-q", "--filter", "name=c1").stdout


def test_exec_top_attach(eng):
    d = eng.docker
    d("run", "-d", "--name", "e1", "busybox", "sleep", "999")
    assert d("exec", "e1", "echo", "ex").stdout == "ex\n"
    assert d("exec", "e1", "sh", "-c", "exit 4", check=False).returncode == 4
    assert d("exec", "-d", "e1", "sleep", "555").stdout == ""
    top = d("top", "e1").stdout
    assert "sleep 999" in top and "sleep 555" in top, top
    assert d("exec", "-i", "e1", "cat", input="in\n").stdout == "in\n"
    st = d("stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}} {{.MemUsage}}", "e1").stdout
    m = re.match(r"^e1 (\d+) ([\d.]+)([KM]iB) / ", st)
    assert m and int(m.group(1)) >= 2 and float(m.group(2)) > 0, st   # sleep 999 and sleep 555
    # the stream: a sample a second (precpu the one before) until the client goes
    s = socket.create_connection(("127.0.0.1", eng.port), timeout=30)
    s.sendall(b"GET /v1.44/containers/e1/stats HTTP/1.1\r\nHost: x\r\n\r\n")
    t0, got = time.monotonic(), b""
    while got.count(b'"read"') < 4:
        chunk = s.recv(65536)
        assert chunk, got
        got += chunk
    took = time.monotonic() - t0
    s.close()
    assert b"Transfer-Encoding: chunked" in got and 2.5 < took < 8, (took, got[:300])
    objs = [json.loads(l) for l in re.findall(rb"^\{.*\}$", got, re.M)]
    assert len(objs) >= 4 and objs[0]["preread"] == "0001-01-01T00:00:00Z", objs
    for a, b in zip(objs, objs[1:]):
        assert b["preread"] == a["read"] and b["precpu_stats"]["cpu_usage"]["total_usage"] == \
            a["cpu_stats"]["cpu_usage"]["total_usage"], (a, b)
    assert d("exec", "e1", "true").returncode == 0   # the daemon goes on after the client left
    # the CLI's docker stats (streaming): the container's figures, sample after sample
    p = pexpect.spawn(DOCKER, ["stats", "e1"], env=eng.env, timeout=30)
    p.expect(r"e1 +[\d.]+% +[\d.]+[KM]iB / ")
    p.expect(r"e1 +[\d.]+% +[\d.]+[KM]iB / ")   # a second sample
    p.close(force=True)
    assert d("exec", "e1", "true").returncode == 0
    d("rm", "-f", "e1")
    # a hyperv container's: its partition's tasks, RAM in use of its RAM, busy time
    d("run", "-d", "--isolation=hyperv", "--name", "h1", "busybox", "sh", "-c", "while :; do :; done")
    st = d("stats", "--no-stream", "--format", "{{.Name}} {{.PIDs}} {{.MemUsage}}", "h1").stdout
    m = re.match(r"^h1 (\d+) ([\d.]+)([KM]iB) / ([\d.]+)MiB", st)
    assert m and int(m.group(1)) >= 1 and float(m.group(2)) > 0 and 10 < float(m.group(4)) <= 16, st
    s = socket.create_connection(("127.0.0.1", eng.port), timeout=30)
    s.sendall(b"GET /v1.44/containers/h1/stats HTTP/1.1\r\nHost: x\r\n\r\n")
    got = b""
    while got.count(b'"read"') < 3:
        chunk = s.recv(65536)
        assert chunk, got
        got += chunk
    s.close()
    objs = [json.loads(l) for l in re.findall(rb"^\{.*\}$", got, re.M)]
    busy = [o["cpu_stats"]["cpu_usage"]["total_usage"] for o in objs]
    assert busy[-1] > busy[0] and all(o["cpu_stats"]["online_cpus"] == 1 for o in objs), objs
    d("rm", "-f", "h1")


@pytest.mark.parametrize("iso", ["process", "hyperv"])
def test_run_it(eng, iso):
    """run -it and exec -it under a pty (pexpect), as a user at a terminal."""
    p = pexpect.spawn(DOCKER, ["run", "-it", "--rm", "--name", "it-" + iso, f"--isolation={iso}", "busybox", "sh"],
                      env=eng.env, encoding="utf-8", timeout=120)
    try:
        p.expect(r"# ")
        p.send("echo $((6*7)) $(tty)\r")
        p.expect(r"42 /dev/pts/\d+")
        if iso == "process":
            e = pexpect.spawn(DOCKER, ["exec", "-it", "it-" + iso, "sh", "-c", "echo in-$((2+3))"], env=eng.env,
                              encoding="utf-8", timeout=60)
            e.expect("in-5")
            e.expect(pexpect.EOF)
        p.send("exit 5\r")
        p.expect(pexpect.EOF)
    finally:
        p.close()
    assert p.exitstatus == 5, (p.exitstatus, p.before)


def test_images(eng, tmp_path):
    """tag, images, rmi, save -o, load -i."""
    d = eng.docker
    d("tag", "busybox", "bb:1")
    assert any(l.split()[:2] == ["bb", "1"] for l in d("images").stdout.splitlines())
    assert d("rmi", "bb:1").stdout == "Untagged: bb:1\n"
    tar = str(tmp_path / "bb.tar")
    d("save", "-o", tar, "busybox")
    assert os.path.getsize(tar) > 1 << 20
    assert d("load", "-i", tar).stdout == "Loaded image: busybox:latest\n"
    assert "No such image" in d("rmi", "nosuch:1", check=False).stderr


def test_networks(eng):
    d = eng.docker
    names = [l.split()[1] for l in d("network", "ls").stdout.splitlines()[1:]]
    assert {"nat", "none", "host"} <= set(names), names
    nid = d("network", "create", "n1").stdout.strip()
    assert HEX64.match(nid), nid
    sub = d("network", "inspect", "-f", "{{(index .IPAM.Config 0).Subnet}}", "n1").stdout.strip()
    assert sub.endswith(".0/16"), sub
    # network connect/disconnect: a container made on nat moved to n1
    # before it starts; it then has an address of n1 only
    d("create", "--name", "mover", "busybox", "sh", "-c", "ifconfig eth0; sleep 600")
    r = d("network", "connect", "n1", "mover", check=False)
    assert r.returncode == 1 and "a second network is not supported" in r.stderr, r
    d("network", "disconnect", "nat", "mover")
    assert d("inspect", "-f", "{{json .NetworkSettings.Networks}}", "mover").stdout.strip() == "{}"
    d("network", "connect", "--alias", "mv", "n1", "mover")
    nets = d("inspect", "-f", "{{json .NetworkSettings.Networks}}", "mover").stdout
    assert '"n1"' in nets and '"nat"' not in nets and '"mv"' in nets, nets
    d("start", "mover")
    ip = d("inspect", "-f", "{{.NetworkSettings.Networks.n1.IPAddress}}", "mover").stdout.strip()
    assert ip.startswith(sub.rsplit(".", 2)[0] + "."), (ip, sub)
    deadline = time.monotonic() + 30
    while f"inet addr:{ip}  " not in d("logs", "mover").stdout:
        assert time.monotonic() < deadline, d("logs", "mover").stdout
        time.sleep(1)
    assert d("network", "inspect", "-f", "{{range .Containers}}{{.Name}}{{end}}", "n1").stdout.strip() == "mover"
    # its address's name (PTR) from another container on n1: NAME.NETWORK, as Docker's DNS
    r = d("run", "--rm", "--network", "n1", "busybox", "nslookup", ip, check=False)
    assert r.returncode == 0 and "name = mover.n1" in r.stdout, r
    # the same responder over TCP (RFC 7766): a length, then the query for A "mover"; its answer
    gw = d("inspect", "-f", "{{.NetworkSettings.Networks.n1.Gateway}}", "mover").stdout.strip()
    q = r"\000\027\022\064\001\000\000\001\000\000\000\000\000\000\005mover\000\000\001\000\001"
    r = d("run", "--rm", "--network", "n1", "busybox", "sh", "-c",
          f"printf '{q}' | nc -w 3 {gw} 53 | od -An -tu1 -v", check=False)
    got = [int(x) for x in r.stdout.split()]
    octets = [int(x) for x in ip.split(".")]
    assert len(got) > 2 and got[0] * 256 + got[1] == len(got) - 2 and got[2:4] == [0x12, 0x34], r
    assert any(got[i:i + 4] == octets for i in range(len(got))), (r, octets)
    # a length of 0 or over 512, or bytes that are no query: closed without an answer, and UDP goes on
    for bad in (r"\000\000", r"\002\001" + "x" * 16, r"\000\004abcd"):
        r = d("run", "--rm", "--network", "n1", "busybox", "sh", "-c",
              f"printf '{bad}' | nc -w 3 {gw} 53 | wc -c", check=False)
        assert r.stdout.split() == ["0"], (bad, r)
    r = d("run", "--rm", "--network", "n1", "busybox", "nslookup", "mover", check=False)
    assert r.returncode == 0 and ip in r.stdout, r
    # a running container keeps its interface: Docker's answer to an unsupported case
    for verb, net in (("connect", "nat"), ("disconnect", "n1")):
        r = d("network", verb, net, "mover", check=False)
        assert r.returncode == 1 and "running" in r.stderr and "not supported" not in r.stdout, r
    r = d("network", "connect", "host", "mover", check=False)
    assert r.returncode == 1 and "connected to host network" in r.stderr, r
    d("rm", "-f", "mover")
    assert d("network", "rm", "n1").stdout == "n1\n"
    # --network host: no interface of its own, the host's eth0 (QEMU's DHCP address)
    r = d("run", "--rm", "--network", "host", "busybox", "ifconfig", "eth0", check=False)
    assert r.returncode == 0 and "inet addr:10.0.2.15 " in r.stdout, r
    r = d("run", "--rm", "busybox", "ifconfig", "eth0", check=False)
    assert r.returncode == 0 and "inet addr:" in r.stdout and "10.0.2.15" not in r.stdout, r


# ---- hostile clients over TCP: each gets an error or a time-out, the
# daemon stays up, and other clients are served meanwhile.
def raw_exchange(eng, data, close_write=True, timeout=60):
    """Sends data on a fresh connection; returns all it got back until the daemon closed it."""
    s = socket.create_connection(("127.0.0.1", eng.port), timeout=timeout)
    try:
        s.sendall(data)
        if close_write:
            s.shutdown(socket.SHUT_WR)
        got = b""
        while True:
            b = s.recv(65536)
            if not b:
                return got
            got += b
    finally:
        s.close()


def status_of(reply):
    m = re.match(rb"HTTP/1\.1 (\d{3}) ", reply)
    assert m, reply[:200]
    return int(m.group(1)), reply.split(b"\r\n\r\n", 1)[-1]


def test_hostile_requests(eng):
    """Malformed, truncated, oversized requests and bad JSON: Docker's error
    shapes, the connection closed where the stream cannot go on."""
    st, body = status_of(raw_exchange(eng, b"GARBAGE\x00\xff\r\n\r\n"))
    assert st == 400 and b"malformed HTTP request" in body, body
    st, body = status_of(raw_exchange(eng, b"GET /_ping HTTP/1.1\r\nX: " + b"a" * 200000 + b"\r\n\r\n"))
    assert st == 400 and b"header" in body.lower(), body      # http-parser's 80 KiB header limit
    st, body = status_of(raw_exchange(eng, b"GET /" + b"x" * 10000 + b" HTTP/1.1\r\n\r\n"))
    assert st == 400, body
    big = b"{" + b" " * (2 << 20) + b"}"
    st, body = status_of(raw_exchange(eng, b"POST /containers/create HTTP/1.1\r\nContent-Type: application/json\r\n"
                                      b"Content-Length: %d\r\n\r\n" % len(big) + big))
    assert st == 413 and b"request body too large" in body, body
    bad = b'{"Image": "busybox", "Cmd": ['
    st, body = status_of(raw_exchange(eng, b"POST /containers/create HTTP/1.1\r\nContent-Type: application/json\r\n"
                                      b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(bad) + bad))
    assert st == 400 and b'"message"' in body, body
    # cut short: headers promising a body that never comes, then the close
    assert raw_exchange(eng, b"POST /containers/create HTTP/1.1\r\nContent-Length: 100\r\n\r\n{") == b""
    assert raw_exchange(eng, b"GET /_pi") == b""
    assert eng.docker("version").returncode == 0
    assert "serving" in eng.sh.run("cat /var/log/bulkheadd.log") and eng.sh.run("pidof bulkheadd").strip()


def test_slow_and_many_clients(eng):
    """300 connections each holding half a request (more than the daemon's
    256 at once): the daemon closes each after its 30 s time-out, a
    client of the Docker CLI started meanwhile is served, and the daemon's
    memory comes back."""
    pid = eng.sh.run("pidof bulkheadd").split()[0]
    rss0 = int(re.search(r"VmRSS:\s+(\d+)", eng.sh.run(f"cat /proc/{pid}/status")).group(1))
    socks = []
    for _ in range(300):
        s = socket.create_connection(("127.0.0.1", eng.port), timeout=120)
        s.sendall(b"GET /_ping HTTP/1.1\r\nHost: slow\r\n")
        socks.append(s)
    t0 = time.monotonic()
    assert eng.docker("version", timeout=120).returncode == 0
    served = time.monotonic() - t0
    closed = 0
    for s in socks:
        try:
            closed += s.recv(100) == b""
        except OSError:
            closed += 1
        s.close()
    assert closed == 300, closed
    assert served < 100, served
    log = eng.sh.run("cat /var/log/bulkheadd.log")
    assert log.count("took over 30 s to send a request") >= 256 - 2, log[-500:]
    rss1 = int(re.search(r"VmRSS:\s+(\d+)", eng.sh.run(f"cat /proc/{pid}/status")).group(1))
    assert rss1 < rss0 + 2048, (rss0, rss1)   # KiB
    assert eng.docker("run", "--rm", "busybox", "echo", "still").stdout == "still\n"


def test_history_and_prune(eng):
    d = eng.docker
    rows = d("history", "busybox").stdout.splitlines()
    assert rows[0].split() == ["IMAGE", "CREATED", "CREATED", "BY", "SIZE", "COMMENT"], rows
    img = d("images", "-q", "busybox").stdout.strip()
    assert rows[1].startswith(img) and all(r.startswith("<missing>") for r in rows[2:]), rows
    a = d("create", "busybox", "true").stdout.strip()
    d("run", "-d", "--name", "keep", "busybox", "sleep", "999")
    out = d("container", "prune", "-f").stdout
    assert a in out.split() and "Total reclaimed space: 0B" in out, out
    assert d("ps", "-a", "--format", "{{.Names}}").stdout == "keep\n"
    d("rm", "-f", "keep")
    assert "invalid filter 'until'" in d("container", "prune", "-f", "--filter", "until=1h", check=False).stderr
    d("tag", "busybox", "bb:2")
    assert d("image", "prune", "-f").stdout == "Total reclaimed space: 0B\n"   # nothing dangling
    assert any(l.startswith("bb ") for l in d("images").stdout.splitlines())
    d("rmi", "bb:2")


def test_cp_and_df(eng, tmp_path):
    """docker cp both ways: into a container never started (the daemon makes
    its upper the merged tree first, and its start keeps what was copied), a
    running one, out of the image's files.  docker system df counts the
    images and containers."""
    d = eng.docker
    src = tmp_path / "note.txt"
    src.write_text("copied in\n")
    d("create", "--name", "cpc", "busybox", "cat", "/etc/note.txt", "/etc/passwd")
    d("cp", str(src), "cpc:/etc/note.txt")
    assert d("start", "-a", "cpc").stdout == "copied in\nroot:x:0:0:root:/root:/bin/sh\n"
    d("cp", "cpc:/etc/passwd", str(tmp_path / "passwd"))
    assert (tmp_path / "passwd").read_text() == "root:x:0:0:root:/root:/bin/sh\n"
    d("run", "-d", "--name", "cpr", "busybox", "sleep", "999")
    d("cp", str(src), "cpr:/tmp/")
    assert d("exec", "cpr", "cat", "/tmp/note.txt").stdout == "copied in\n"
    d("exec", "cpr", "sh", "-c", "mkdir /tmp/out && echo made > /tmp/out/m")
    d("cp", "cpr:/tmp/out", str(tmp_path / "out"))
    assert (tmp_path / "out" / "m").read_text() == "made\n"
    # SizeRw: what it wrote or changed, not the image's files it only read,
    # nor the /etc files its start writes (Docker's bind mounts)
    d("exec", "cpr", "sh", "-c", "dd if=/dev/zero of=/tmp/big bs=1000 count=100 && echo x >> /etc/passwd")
    assert d("inspect", "-s", "-f", "{{.SizeRw}}", "cpr").stdout.strip() == str(10 + 5 + 100000 + 32)
    ps = d("ps", "-s", "--filter", "name=cpr", "--format", "{{.Size}}").stdout
    assert ps.startswith("100kB (virtual "), ps
    r = d("cp", "cpr:/nope", str(tmp_path / "x"), check=False)
    assert r.returncode == 1 and "Could not find the file /nope in container cpr" in r.stderr, r
    rows = [l.split() for l in d("system", "df").stdout.splitlines()]
    assert rows[0] == ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"], rows
    assert rows[2][:3] == ["Containers", "2", "1"], rows
    assert "Containers space usage:" in d("system", "df", "-v").stdout
    d("rm", "-f", "cpc", "cpr")


def archive(eng, method, ctr, path, body=None, query=""):
    """The archive endpoint over the forwarded port: (status, headers, body)."""
    import http.client
    import urllib.parse
    c = http.client.HTTPConnection("127.0.0.1", eng.port, timeout=120)
    c.request(method, "/v1.44/containers/%s/archive?path=%s%s" % (ctr, urllib.parse.quote(path), query), body,
              {"Content-Type": "application/x-tar"} if body is not None else {})
    r = c.getresponse()
    out = (r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read())
    c.close()
    return out


def members(data):
    """A tar's members as (name, type, mode, uid, size, link, bytes), in order."""
    import io
    import tarfile
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        return [(m.name, m.type, m.mode, m.uid, m.size, m.linkname,
                 t.extractfile(m).read() if m.isreg() else b"") for m in t.getmembers()]


def test_cp_hyperv_same_as_process(eng):
    """docker cp of a hyperv container (its utility partition does the
    work): the same tar, stat header and errors as a process container's
    for the same tree, both ways; hostile tars refused with nothing written;
    a hyperv container that is not running: 409."""
    import base64
    import io
    import tarfile
    d = eng.docker
    long = "n" * 120
    make = ("mkdir -p /w/sub/" + long + " && echo one > /w/a && chmod 640 /w/a && ln -s a /w/l && "
            "ln -s /w/sub /w/abs && mkfifo /w/f && echo deep > /w/sub/" + long + "/x && "
            "touch -d @1700000000 /w/a /w/sub/" + long + "/x")
    d("run", "-d", "--name", "cpp", "busybox", "sleep", "999")
    d("run", "-d", "--isolation=hyperv", "--name", "cph", "busybox", "sleep", "999")
    try:
        got = {}
        for c in ("cpp", "cph"):
            d("exec", c, "sh", "-c", make)
            st, h, body = archive(eng, "GET", c, "/w")
            assert st == 200, (c, body)
            stat = json.loads(base64.b64decode(h["x-docker-container-path-stat"]))
            st2, h2, _ = archive(eng, "HEAD", c, "/w/abs")
            got[c] = (members(body), stat["name"], stat["mode"],
                      json.loads(base64.b64decode(h2["x-docker-container-path-stat"])))
            st, _, root = archive(eng, "GET", c, "/")
            assert st == 200 and members(root)[0][0] in (".", "./"), (c, members(root)[:2])
        m = got["cph"][0]
        assert ("w/a", tarfile.REGTYPE, 0o640, 0, 4, "", b"one\n") in m, m
        assert ("w/l", tarfile.SYMTYPE, 0o777, 0, 0, "a", b"") in m, m
        assert ("w/sub/%s/x" % long, tarfile.REGTYPE, 0o644, 0, 5, "", b"deep\n") in m, m
        assert any(x[0] == "w/f" and x[1] == tarfile.FIFOTYPE for x in m), m
        assert got["cph"][3]["linkTarget"] == "/w/sub" and got["cph"][3]["name"] == "abs", got["cph"][3]
        strip = lambda g: (sorted(x for x in g[0] if x[1] != tarfile.DIRTYPE), g[1], g[2],
                           {k: v for k, v in g[3].items() if k != "mtime"})
        assert strip(got["cph"]) == strip(got["cpp"]), (strip(got["cph"]), strip(got["cpp"]))
        # in: a tar (and a gzip'd one) unpacked where asked, owners as given
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w") as t:
            for name, data in (("in/p.txt", b"put\n"), ("in/q", b"")):
                ti = tarfile.TarInfo(name)
                ti.size, ti.uid, ti.mode = len(data), 1234, 0o600
                t.addfile(ti, io.BytesIO(data))
        for c in ("cpp", "cph"):
            st, _, body = archive(eng, "PUT", c, "/tmp", buf.getvalue())
            assert st == 200, (c, body)
            assert d("exec", c, "sh", "-c", "cat /tmp/in/p.txt; stat -c '%u %a' /tmp/in/q").stdout == \
                "put\n1234 600\n"
        import gzip
        st, _, body = archive(eng, "PUT", "cph", "/", gzip.compress(buf.getvalue()))
        assert st == 200 and d("exec", "cph", "cat", "/in/p.txt").stdout == "put\n", body
        # errors, as a process container's
        for c in ("cpp", "cph"):
            st, _, body = archive(eng, "GET", c, "/nope")
            assert st == 404 and b"Could not find the file /nope in container " + c.encode() in body, body
            st, _, body = archive(eng, "PUT", c, "/w/a", buf.getvalue())
            assert st == 400 and b"extraction point is not a directory" in body, body
            bad = io.BytesIO()
            with tarfile.open(fileobj=bad, mode="w") as t:
                ti = tarfile.TarInfo("../../etc/evil")
                t.addfile(ti, io.BytesIO(b""))
            st, _, body = archive(eng, "PUT", c, "/tmp", bad.getvalue())
            assert st == 400 and b"../../etc/evil" in body, body
            assert d("exec", c, "ls", "/etc/evil", check=False).returncode != 0
            st, _, body = archive(eng, "PUT", c, "/tmp", b"x" * 1000)
            assert st == 400, body
        # the CLI, both ways
        src = "/tmp/cp-note-%d.txt" % os.getpid()
        with open(src, "w") as f:
            f.write("copied in\n")
        d("cp", src, "cph:/tmp/note.txt")
        os.unlink(src)
        assert d("exec", "cph", "cat", "/tmp/note.txt").stdout == "copied in\n"
        d("stop", "-t", "1", "cph")
        r = d("cp", "cph:/etc/passwd", "-", check=False)
        assert r.returncode == 1 and "is not running" in r.stderr, r
    finally:
        d("rm", "-f", "cpp", "cph", check=False)


def test_info_events_attach_publish(eng):
    d = eng.docker
    info = d("info", "--format", "{{.Driver}} {{.OperatingSystem}} {{.Images}}").stdout.split()
    assert info[:2] == ["bulkhead", "Bulkhead"] and int(info[2]) >= 1, info
    # the daemon's clock (the guest's), not this machine's: they may differ by seconds
    daemon_now = lambda: d("info", "--format", "{{.SystemTime}}").stdout.strip()
    t0 = daemon_now()
    cid = d("run", "-d", "--name", "talker", "busybox", "sh", "-c", "sleep 3; echo late; sleep 999").stdout.strip()
    a = subprocess.Popen([DOCKER, "attach", "--no-stdin", "talker"], env=eng.env, stdout=subprocess.PIPE, text=True)
    try:
        assert a.stdout.readline() == "late\n"
    finally:
        d("rm", "-f", "talker")
        a.wait(60)
    ev = d("events", "--since", t0, "--until", daemon_now(), "--filter", f"container={cid}",
           "--format", "{{.Action}}").stdout.split()
    assert ev[:2] == ["create", "start"] and "destroy" in ev, ev
    d("run", "-d", "--name", "web", "-p", "8089:80", "busybox", "sh", "-c",
      "mkdir /w; echo served > /w/i; httpd -f -p 80 -h /w")
    try:
        out = eng.sh.run("sleep 1; wget -q -O - http://127.0.0.1:8089/i")
        assert out.strip() == "served", out
        assert "0.0.0.0:8089->80/tcp" in d("ps", "--format", "{{.Ports}}", "--filter", "name=web").stdout
    finally:
        d("rm", "-f", "web")
