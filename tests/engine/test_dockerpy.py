"""Debian's docker-py (python3-docker 5.0.3) and docker-compose 1.29 against
bulkheadd on the build machine, over its Unix socket and over TCP: what
needs no guest kernel (version negotiation, images, create, inspect, list
and its filters, remove, networks and their filters; compose's create, ps
and down).  Starting fails clearly here (no /dev/sandbox, no /dev/bulkhead);
run, logs and exec are tested in the guest (test_dockerpy_guest.py)."""
import os
import re
import shutil
import socket
import subprocess
import time

import pytest

from engine_client import BULKHEADD, Daemon, small_image

docker = pytest.importorskip("docker")
pytestmark = pytest.mark.skipif(not os.path.exists(BULKHEADD), reason="build/engine/bulkheadd not built")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def d(tmp_path):
    d = Daemon(tmp_path, hosts=["tcp://127.0.0.1:%d" % free_port()]).start()
    assert d.engine.load(small_image("img:1")[0])[0] == 200
    yield d
    d.kill()


@pytest.fixture(params=["unix", "tcp"])
def cli(d, request):
    url = "unix://" + d.sock if request.param == "unix" else d.hosts[0]
    return docker.DockerClient(base_url=url, version="auto", timeout=30)


def test_system_and_images(cli):
    assert cli.ping() is True
    assert cli.api.api_version == "1.44"   # negotiated from /version
    v = cli.version()
    assert v["ApiVersion"] == "1.44" and v["Os"] == "linux"
    assert cli.info()["Containers"] == 0
    assert [i.tags for i in cli.images.list()] == [["img:1"]]
    im = cli.images.get("img:1")
    assert im.id.startswith("sha256:") and im.labels == {"t": "x"}
    with pytest.raises(docker.errors.ImageNotFound):
        cli.images.get("nope:1")


@pytest.mark.parametrize("iso", ["process", "hyperv"])
def test_create_list_remove(cli, iso):
    c = cli.containers.create("img:1", ["echo", "hi"], name="py1", labels={"k": "v"}, environment={"A": "1"},
                              isolation=iso, mem_limit="32m")
    assert re.fullmatch(r"[0-9a-f]{64}", c.id) and c.name == "py1" and c.status == "created"
    assert c.attrs["HostConfig"]["Isolation"] == iso and c.attrs["HostConfig"]["Memory"] == 32 << 20
    assert c.labels == {"k": "v"} and "A=1" in c.attrs["Config"]["Env"] and c.image.tags == ["img:1"]
    assert cli.containers.list() == []   # not running
    assert [x.id for x in cli.containers.list(all=True)] == [c.id]
    assert [x.id for x in cli.containers.list(all=True, filters={"label": "k=v"})] == [c.id]
    assert cli.containers.list(all=True, filters={"label": "k=w"}) == []
    assert [x.id for x in cli.containers.list(all=True, filters={"name": "py1", "status": "created"})] == [c.id]
    # no /dev/sandbox (process) nor /dev/bulkhead (hyperv) on the build machine
    with pytest.raises(docker.errors.APIError) as ei:
        c.start()
    assert ("/dev/sandbox" if iso == "process" else "/dev/bulkhead") in str(ei.value), ei.value
    assert c.logs() == b""
    with pytest.raises(docker.errors.APIError) as ei:
        cli.containers.create("img:1", name="py1")
    assert ei.value.status_code == 409
    c.remove(force=True)
    with pytest.raises(docker.errors.NotFound):
        cli.containers.get("py1")
    with pytest.raises(docker.errors.APIError) as ei:
        cli.containers.create("img:1", isolation="bogus")
    assert ei.value.status_code == 400 and "invalid isolation" in str(ei.value)
    assert cli.containers.list(all=True) == []


def test_networks(cli):
    """Without the host kernel's switch: host and none only; creating says why not."""
    assert sorted(n.name for n in cli.networks.list()) == ["host", "none"]
    assert cli.networks.get("host").attrs["Driver"] == "host"
    assert [n.name for n in cli.networks.list(filters={"type": "builtin", "name": "ho"})] == ["host"]
    assert [n.name for n in cli.networks.list(filters={"driver": "null"})] == ["none"]
    assert cli.networks.list(filters={"type": "custom"}) == []
    assert cli.networks.list(filters={"label": "a=b"}) == []   # networks carry no labels
    with pytest.raises(docker.errors.APIError) as ei:
        cli.networks.list(filters={"bogus": "x"})
    assert ei.value.status_code == 400 and "invalid filter 'bogus'" in str(ei.value)
    with pytest.raises(docker.errors.APIError) as ei:   # compose's PROJECT_NETWORK names can be long
        cli.networks.create("myproject_backend")
    assert ei.value.status_code == 400 and "too long: at most 15 characters" in str(ei.value), ei.value
    with pytest.raises(docker.errors.APIError) as ei:
        cli.networks.create("n1", driver="bridge")
    assert ei.value.status_code == 500 and "the virtual switch is not available" in str(ei.value)
    with pytest.raises(docker.errors.NotFound):
        cli.networks.get("n1")
    with pytest.raises(docker.errors.APIError) as ei:
        cli.networks.get("none").remove()
    assert ei.value.status_code == 403


def test_network_connect(cli):
    """connect and disconnect of a container that does not run (here, with
    no virtual switch, on none): its one endpoint; host and none as Docker
    refuses them; aliases replaced on a reconnect."""
    c = cli.containers.create("img:1", ["true"], name="cn", network_mode="none")
    cli.networks.get("none").connect(c, aliases=["a1", "a2"])
    c.reload()
    assert c.attrs["NetworkSettings"]["Networks"]["none"]["Aliases"] == ["a1", "a2"], c.attrs["NetworkSettings"]
    for net in ("host",):
        for call in (cli.networks.get(net).connect, cli.networks.get(net).disconnect):
            with pytest.raises(docker.errors.APIError) as ei:
                call(c)
            assert ei.value.status_code == 400 and "connected to host network" in str(ei.value), ei.value
    with pytest.raises(docker.errors.NotFound):
        cli.networks.get("none").connect("nosuch")
    with pytest.raises(docker.errors.NotFound):
        cli.api.connect_container_to_network("cn", "nonet")
    with pytest.raises(docker.errors.NotFound):
        cli.api.disconnect_container_from_network("cn", "nonet")
    d = cli.containers.create("img:1", ["true"], name="dn")   # on the default network
    with pytest.raises(docker.errors.APIError) as ei:
        cli.networks.get("none").connect(d)
    assert ei.value.status_code == 400 and "one of the networks in private (none) mode" in str(ei.value), ei.value
    with pytest.raises(docker.errors.APIError) as ei:
        cli.networks.get("none").disconnect(d)
    assert ei.value.status_code == 403 and "container dn is not connected to network none" in str(ei.value)
    # off its only network: no endpoint; twice is an error; back on it
    cli.networks.get("none").disconnect(c)
    c.reload()
    assert c.attrs["NetworkSettings"]["Networks"] == {} and c.attrs["HostConfig"]["NetworkMode"] == "none"
    with pytest.raises(docker.errors.APIError) as ei:
        cli.networks.get("none").disconnect(c)
    assert ei.value.status_code == 403, ei.value
    cli.networks.get("none").connect(c, aliases=["b"])
    c.reload()
    assert c.attrs["NetworkSettings"]["Networks"]["none"]["Aliases"] == ["b"]
    h = cli.containers.create("img:1", ["true"], name="hn", network_mode="host")
    with pytest.raises(docker.errors.APIError) as ei:
        cli.networks.get("none").connect(h)
    assert ei.value.status_code == 400 and "connected to host network" in str(ei.value), ei.value
    ev = cli.events(since=0, until=int(time.time()) + 1, decode=True,
                    filters={"type": "network"})
    assert [e["Action"] for e in ev] == ["connect", "disconnect", "connect"]


def test_held_wait_says_close(d):
    """A wait answered later (here at the removal) says Connection: close in
    its head, as the daemon closes after its body: docker-py, which reuses
    connections, sent its next request on a closed one before."""
    e = d.engine
    cid = e.json("POST", "/containers/create", '{"Image": "img:1"}', {"Content-Type": "application/json"})[1]["Id"]
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
    s.connect(d.sock)
    s.sendall(b"POST /containers/%s/wait?condition=removed HTTP/1.1\r\nHost: x\r\n\r\n" % cid.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(4096)
    assert head.startswith(b"HTTP/1.1 200 ") and b"\r\nConnection: close\r\n" in head, head
    assert e.request("DELETE", "/containers/" + cid)[0] == 204
    rest = b""
    while True:
        b = s.recv(4096)
        if not b:
            break
        rest += b
    s.close()
    assert b'"StatusCode":' in rest and rest.endswith(b"0\r\n\r\n"), rest


COMPOSE = shutil.which("docker-compose")
COMPOSE_FILE = """version: "2.4"
services:
  web:
    image: img:1
    command: ["httpd", "-f", "-p", "80"]
    isolation: hyperv
    network_mode: none
    labels: {role: server}
  client:
    image: img:1
    command: ["sleep", "600"]
    isolation: process
    network_mode: none
"""


@pytest.mark.skipif(not COMPOSE, reason="no docker-compose (tools/setup.sh installs it)")
def test_compose_create_ps_down(d, tmp_path):
    """docker-compose 1.29 creates both services' containers with its
    labels and the isolation asked for, lists them, and down removes them
    (starting needs the guest: test_dockerpy_guest.py)."""
    (tmp_path / "docker-compose.yml").write_text(COMPOSE_FILE)
    env = dict(os.environ, DOCKER_HOST=d.hosts[0], COMPOSE_PROJECT_NAME="demo")

    def compose(*args):
        return subprocess.run([COMPOSE, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)

    r = compose("up", "--no-start")
    assert r.returncode == 0, r
    assert "Creating demo_web_1" in r.stderr and "Creating demo_client_1" in r.stderr, r.stderr
    cli = docker.DockerClient(base_url="unix://" + d.sock)
    got = {c.name: c for c in cli.containers.list(all=True)}
    assert sorted(got) == ["demo_client_1", "demo_web_1"], got
    web = got["demo_web_1"].attrs
    assert web["HostConfig"]["Isolation"] == "hyperv" and web["Config"]["Labels"]["role"] == "server"
    assert web["Config"]["Labels"]["com.docker.compose.project"] == "demo"
    assert web["Config"]["Labels"]["com.docker.compose.service"] == "web"
    assert got["demo_client_1"].attrs["HostConfig"]["Isolation"] == "process"
    r = compose("ps")
    assert r.returncode == 0, r
    rows = {l.split()[0]: l for l in r.stdout.splitlines()[2:]}
    assert sorted(rows) == ["demo_client_1", "demo_web_1"] and "httpd -f -p 80" in rows["demo_web_1"], r.stdout
    r = compose("down")
    assert r.returncode == 0, r
    assert "Removing demo_web_1" in r.stderr and "Removing demo_client_1" in r.stderr, r.stderr
    assert cli.containers.list(all=True) == []
