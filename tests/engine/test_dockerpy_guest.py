"""Debian's docker-py (python3-docker 5.0.3) on the build machine against
bulkheadd in the host partition over TCP (issue 16): QEMU's hostfwd brings a
free port of 127.0.0.1 to the daemon's tcp://0.0.0.0:2375, as in
test_docker_tcp.py.  create, run with output, logs, exec, stop and remove
in both isolation modes, as a Python program would use them.  One boot."""
import os
import re
import shutil
import socket
import subprocess
import sys
import time

import pytest

docker = pytest.importorskip("docker")
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "guest"))
from shell import Shell  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cli():
    port = free_port()
    sh = Shell("dockerpy", nic="virtio", hostfwd=[(port, 2375)])
    try:
        c = docker.DockerClient(base_url=f"tcp://127.0.0.1:{port}", version="auto", timeout=120)
        deadline = time.monotonic() + 120
        # the daemon loads busybox:latest at start
        while not any("busybox:latest" in i.tags for i in c.images.list()):
            assert time.monotonic() < deadline, sh.run("cat /var/log/bulkheadd.log")
            time.sleep(2)
        yield c
    finally:
        sh.close()


@pytest.mark.parametrize("iso", ["process", "hyperv"])
def test_run_logs_exec_remove(cli, iso):
    assert cli.version()["ApiVersion"] == "1.44"
    # run with output: create, start, wait, logs (stdout only, as docker-py asks)
    assert cli.containers.run("busybox", ["sh", "-c", "echo out; echo err >&2"], isolation=iso,
                              remove=True) == b"out\n"
    with pytest.raises(docker.errors.ContainerError) as ei:
        cli.containers.run("busybox", ["sh", "-c", "echo bad >&2; exit 3"], isolation=iso, remove=True,
                           stderr=True)
    assert ei.value.exit_status == 3 and b"bad" in ei.value.stderr, ei.value
    # create, then start; logs; exec; stop; remove
    c = cli.containers.create("busybox", ["sh", "-c", "echo up; exec sleep 600"], name="py-" + iso,
                              labels={"k": iso}, environment={"A": "1"}, isolation=iso)
    assert re.fullmatch(r"[0-9a-f]{64}", c.id) and c.status == "created"
    assert c.attrs["HostConfig"]["Isolation"] == iso and c.labels == {"k": iso}
    assert [x.id for x in cli.containers.list(all=True, filters={"label": "k=" + iso})] == [c.id]
    c.start()
    c.reload()
    assert c.status == "running"
    assert [x.name for x in cli.containers.list(filters={"name": "py-" + iso})] == ["py-" + iso]
    deadline = time.monotonic() + 60
    while c.logs() != b"up\n":
        assert time.monotonic() < deadline, c.logs()
        time.sleep(1)
    assert c.logs(timestamps=True).split(b" ", 1)[1] == b"up\n"
    r = c.exec_run(["sh", "-c", "echo $A; echo e >&2; exit 4"])
    assert r.exit_code == 4 and r.output == b"1\ne\n", r
    r = c.exec_run(["sh", "-c", "echo o; echo e >&2"], demux=True)
    assert r.exit_code == 0 and r.output == (b"o\n", b"e\n"), r
    assert c.exec_run("hostname").output.decode().strip() == c.id[:12]
    c.stop(timeout=2)
    c.reload()
    assert c.status == "exited"
    assert c.wait()["StatusCode"] in (137, 143)
    c.remove()
    with pytest.raises(docker.errors.NotFound):
        cli.containers.get("py-" + iso)


def test_networks(cli):
    """A user-defined network: created, listed, found by its label-less
    filters; a process container on it gets an address of its subnet and
    serves another one on it; removed."""
    n = cli.networks.create("pynet", driver="bridge")
    assert n.name == "pynet" and "pynet" in [x.name for x in cli.networks.list()]
    assert [x.name for x in cli.networks.list(filters={"type": "custom"})] == ["pynet"]
    srv = cli.containers.run("busybox", ["sh", "-c", "mkdir /w; echo hello >/w/index.html; exec httpd -f -p 80 -h /w"],
                             detach=True, network="pynet", isolation="process", name="srv")
    srv.reload()
    ip = srv.attrs["NetworkSettings"]["Networks"]["pynet"]["IPAddress"]
    sub = cli.networks.get("pynet").attrs["IPAM"]["Config"][0]["Subnet"]
    assert ip and ip.rsplit(".", 2)[0] == sub.rsplit(".", 2)[0], (ip, sub)
    out = cli.containers.run("busybox", ["sh", "-c", f"for i in 1 2 3 4 5; do wget -q -O - http://{ip}/ && exit; sleep 1; done"],
                             network="pynet", isolation="process", remove=True)
    assert out == b"hello\n", out
    with pytest.raises(docker.errors.APIError) as ei:
        n.remove()   # srv is on it
    assert ei.value.status_code == 403, ei.value
    srv.remove(force=True)
    n.remove()
    assert "pynet" not in [x.name for x in cli.networks.list()]


def test_errors(cli):
    with pytest.raises(docker.errors.ImageNotFound):
        cli.containers.create("nosuch:1", ["true"])
    with pytest.raises(docker.errors.APIError) as ei:
        cli.containers.create("busybox", ["true"], isolation="bogus")
    assert ei.value.status_code == 400 and "invalid isolation" in str(ei.value)
    assert cli.containers.list(all=True) == []


COMPOSE = shutil.which("docker-compose")
# The two services; the client finds the server by its service name
# through the daemon's DNS responder.
COMPOSE_FILE = """version: "2.4"
services:
  web:
    image: busybox
    command: ["sh", "-c", "mkdir -p /w && echo hello >/w/index.html && exec httpd -f -p 80 -h /w"]
    isolation: hyperv
    networks: [back]
  client:
    image: busybox
    command: ["sleep", "600"]
    isolation: process
    networks: [back]
networks:
  back: {}
"""


@pytest.mark.skipif(not COMPOSE, reason="no docker-compose (tools/setup.sh installs it)")
def test_compose_up_ps_down(cli, tmp_path):
    """docker-compose 1.29: up -d makes the network and both containers
    (the server in a utility partition) on it, with their aliases; ps shows
    them up; the daemon answers their names (service, container, short ID)
    on that network, NXDOMAIN for others; the client reaches the server as
    http://web/; down removes everything."""
    (tmp_path / "docker-compose.yml").write_text(COMPOSE_FILE)
    env = dict(os.environ, DOCKER_HOST=cli.api.base_url.replace("http://", "tcp://"), COMPOSE_PROJECT_NAME="demo")

    def compose(*args):
        r = subprocess.run([COMPOSE, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, (args, r)
        return r

    r = compose("up", "-d")
    assert 'Creating network "demo_back"' in r.stderr, r.stderr
    assert "demo_back" in [n.name for n in cli.networks.list()]
    web, client = cli.containers.get("demo_web_1"), cli.containers.get("demo_client_1")
    assert web.attrs["HostConfig"]["Isolation"] == "hyperv" and client.attrs["HostConfig"]["Isolation"] == "process"
    ep = web.attrs["NetworkSettings"]["Networks"]["demo_back"]
    assert "web" in ep["Aliases"] and ep["IPAddress"], ep
    rows = compose("ps").stdout.splitlines()[2:]
    assert sorted((l.split()[0], l.split()[-1]) for l in rows) == [("demo_client_1", "Up"), ("demo_web_1", "Up")], rows
    assert client.exec_run(["cat", "/etc/resolv.conf"]).output.decode().splitlines()[-1] == "nameserver " + \
        ep["Gateway"]
    for name in ["web", "demo_web_1", web.id[:12]]:
        r = client.exec_run(["nslookup", name])
        assert r.exit_code == 0 and f"Address: {ep['IPAddress']}" in r.output.decode(), (name, r)
    r = web.exec_run(["nslookup", "client"])   # from the utility partition too
    caddr = client.attrs["NetworkSettings"]["Networks"]["demo_back"]["IPAddress"]
    assert r.exit_code == 0 and f"Address: {caddr}" in r.output.decode(), r
    # names in capitals, other types, names of the longest labels: answered, the daemon stays
    r = client.exec_run(["nslookup", "WEB"])
    assert r.exit_code == 0 and f"Address: {ep['IPAddress']}" in r.output.decode(), r
    r = client.exec_run(["nslookup", "-type=AAAA", "web"])
    assert ep["IPAddress"] not in r.output.decode() and "NXDOMAIN" not in r.output.decode(), r
    r = client.exec_run(["nslookup", ".".join(["a" * 63] * 3)])
    assert r.exit_code != 0 and "NXDOMAIN" in r.output.decode(), r
    r = client.exec_run(["nslookup", "nosuch"])
    assert r.exit_code != 0 and "NXDOMAIN" in r.output.decode(), r
    out = b""
    for _ in range(30):   # httpd in the partition may still be starting
        r = client.exec_run(["wget", "-q", "-O", "-", "http://web/"])   # glibc's resolver: sendmmsg
        out = r.output
        if r.exit_code == 0:
            break
        time.sleep(1)
    assert out == b"hello\n", out
    r = compose("down")
    assert "Removing demo_web_1" in r.stderr and "Removing network demo_back" in r.stderr, r.stderr
    assert cli.containers.list(all=True) == []
    assert "demo_back" not in [n.name for n in cli.networks.list()]
