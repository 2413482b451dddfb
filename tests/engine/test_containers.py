"""bulkheadd's containers on the build machine: everything that needs no
guest kernel (create, inspect, list and its filters, update of the
isolation, delete, bad input).  Starting needs /dev/sandbox: here it fails
with a clear error and the container shows the failure.  The runtime itself
is tested in the guest (test_containers_guest.py)."""
import json
import os
import re
import shutil
import subprocess
import urllib.parse

import pytest

from engine_client import BULKHEADD, Daemon, mutate, small_image

pytestmark = pytest.mark.skipif(not os.path.exists(BULKHEADD), reason="build/engine/bulkheadd not built")


@pytest.fixture
def d(tmp_path):
    d = Daemon(tmp_path).start()
    st, msgs = d.engine.load(small_image("img:1")[0])
    assert st == 200, msgs
    yield d
    d.kill()


def q(obj):
    return urllib.parse.quote(json.dumps(obj))


def create(e, body, name=None):
    path = "/containers/create" + ("?name=" + name if name else "")
    return e.json("POST", path, json.dumps(body), {"Content-Type": "application/json"})


def test_create_inspect_list_delete(d):
    e = d.engine
    st, j = create(e, {"Image": "img:1", "Cmd": ["sleep", "5"], "Labels": {"a": "b"}, "Env": ["X=1"],
                       "HostConfig": {"Memory": 64 << 20, "PidsLimit": 8}}, "web")
    assert st == 201 and re.fullmatch(r"[0-9a-f]{64}", j["Id"]) and j["Warnings"] == [], j
    cid = j["Id"]
    st, i = e.json("GET", "/containers/web/json")
    assert st == 200 and i["Id"] == cid and i["Name"] == "/web"
    assert i["State"]["Status"] == "created" and i["State"]["Running"] is False and i["State"]["Pid"] == 0
    assert i["Config"]["Hostname"] == cid[:12] and i["Config"]["Cmd"] == ["sleep", "5"]
    assert "X=1" in i["Config"]["Env"] and i["Config"]["Labels"] == {"a": "b"}
    assert i["HostConfig"]["Isolation"] == "" and i["HostConfig"]["Memory"] == 64 << 20
    assert i["HostConfig"]["PidsLimit"] == 8 and i["Image"].startswith("sha256:")
    assert i["GraphDriver"]["Data"]["LowerDir"].endswith("/rootfs")
    assert os.path.isdir(i["GraphDriver"]["Data"]["UpperDir"])
    # by id prefix too
    assert e.json("GET", "/containers/%s/json" % cid[:8])[0] == 200
    st, l = e.json("GET", "/containers/json")
    assert st == 200 and l == []   # not running
    st, l = e.json("GET", "/containers/json?all=1")
    assert [c["Id"] for c in l] == [cid] and l[0]["Names"] == ["/web"] and l[0]["Status"] == "Created"
    assert l[0]["State"] == "created" and l[0]["Image"] == "img:1" and l[0]["Command"] == "sleep 5"
    for f, n in [({"status": ["created"]}, 1), ({"status": ["running"]}, 0), ({"name": ["we"]}, 1),
                 ({"name": ["nope"]}, 0), ({"id": [cid[:5]]}, 1), ({"label": ["a=b"]}, 1), ({"label": ["a=c"]}, 0),
                 ({"label": ["a"]}, 1), ({"ancestor": ["img:1"]}, 1), ({"ancestor": ["img"]}, 0)]:
        st, l = e.json("GET", "/containers/json?all=1&filters=" + q(f))
        assert st == 200 and len(l) == n, (f, l)
    st, info = e.json("GET", "/info")
    assert info["Containers"] == 1 and info["ContainersStopped"] == 1 and info["ContainersRunning"] == 0
    # the image is in use
    assert e.json("DELETE", "/images/img:1")[0] == 409
    st, _, body = e.request("DELETE", "/containers/web")
    assert st == 204
    assert e.json("GET", "/containers/web/json")[0] == 404
    assert not os.path.exists(i["GraphDriver"]["Data"]["UpperDir"])
    import time
    st, _, ev = e.request("GET", "/events?since=0&until=%d&filters=%s" % (time.time() + 1, q({"type": ["container"]})))
    acts = [json.loads(l)["Action"] for l in ev.decode().splitlines()]
    assert st == 200 and acts == ["create", "destroy"], acts


def test_generated_names_and_conflict(d):
    e = d.engine
    names = set()
    for _ in range(5):
        st, j = create(e, {"Image": "img:1", "Cmd": ["true"]})
        assert st == 201
        names.add(e.json("GET", "/containers/%s/json" % j["Id"])[1]["Name"])
    assert len(names) == 5 and all(re.fullmatch(r"/[a-z]+_[a-z]+\d*", n) for n in names), names
    assert create(e, {"Image": "img:1", "Cmd": ["true"]}, "one")[0] == 201
    st, j = create(e, {"Image": "img:1", "Cmd": ["true"]}, "one")
    assert st == 409 and 'The container name "/one" is already in use' in j["message"], j


@pytest.mark.parametrize("iso", ["process", "PROCESS", "hyperv", "HyperV", "default", "Default", ""])
def test_isolation_accepted(d, iso):
    st, j = create(d.engine, {"Image": "img:1", "Cmd": ["true"], "HostConfig": {"Isolation": iso}})
    assert st == 201, j
    i = d.engine.json("GET", "/containers/%s/json" % j["Id"])[1]
    assert i["HostConfig"]["Isolation"] == iso


def check_bad_create(e, image):
    """Bad creates change nothing; unknown containers and execs are 404.
    Shared with the guest's tests (e: an Engine or a ConsoleEngine)."""
    def ids():
        return [(c["Id"], c["State"]) for c in e.json("GET", "/containers/json?all=1")[1]]
    before = ids()
    cases = [
        ({"Image": image, "HostConfig": {"Isolation": "bogus"}}, 400, "invalid isolation"),
        ({"Image": "nope:1"}, 404, "No such image: nope:1"),
        ({"Image": image, "Cmd": 5}, 400, "invalid"),
        ({"Image": image, "HostConfig": {"Memory": 1000}}, 400, "Minimum memory limit"),
        ({"Cmd": ["true"]}, 400, "no image"),
    ]
    for body, status, msg in cases:
        st, j = create(e, body)
        assert st == status and msg in j["message"], (body, st, j)
    for raw in [b"{", b"[1]", b""] + ([b"\xff\xfe"] if getattr(e, "binary", True) else []):
        st, _, body = e.request("POST", "/containers/create", raw, {"Content-Type": "application/json"})
        assert st == 400, (raw, body)
    st, j = create(e, {"Image": image}, "bad/name")
    assert st == 400 and "Invalid container name" in j["message"]
    assert ids() == before
    for m, p in [("GET", "/containers/nope/json"), ("POST", "/containers/nope/start"), ("DELETE", "/containers/nope"),
                 ("GET", "/containers/nope/logs?stdout=1"), ("POST", "/exec/nope/start"), ("GET", "/exec/nope/json")]:
        st, j = e.json(m, p)
        assert st == 404 and "No such" in j["message"], (m, p, j)
    st, j = e.json("GET", "/containers/json?filters=" + q({"bogus": ["x"]}))
    assert st == 400
    st, j = e.json("GET", "/containers/json?filters=" + q({"status": ["sleepy"]}))
    assert st == 400


def test_bad_create(d):
    check_bad_create(d.engine, "img:1")


def check_update_isolation(e, image):
    """The Isolation extension of POST /containers/{id}/update on a created
    container.  Shared with the guest's tests."""
    cid = create(e, {"Image": image, "Cmd": ["true"]}, "upd")[1]["Id"]
    for iso, st_want in [("process", 200), ("hyperv", 200), ("HyperV", 200), ("nope", 400), ("default", 200), ("", 200)]:
        st, j = e.json("POST", "/containers/upd/update", json.dumps({"Isolation": iso}))
        assert st == st_want, (iso, j)
        if st == 400:
            assert "invalid isolation: nope" in j["message"], j
    e.json("POST", "/containers/upd/update", json.dumps({"Isolation": "Process", "Memory": 32 << 20}))
    i = e.json("GET", "/containers/%s/json" % cid)[1]
    assert i["HostConfig"]["Isolation"] == "Process" and i["HostConfig"]["Memory"] == 32 << 20
    st, l = e.json("GET", "/containers/json?all=1&filters=" + q({"name": ["upd"]}))
    assert [c["Isolation"] for c in l] == ["Process"], l
    assert e.json("POST", "/containers/upd/update", "{")[0] == 400


def test_update_isolation(d):
    check_update_isolation(d.engine, "img:1")
    # kept across a restart of the daemon
    d.kill()
    d.start()
    assert d.engine.json("GET", "/containers/upd/json")[1]["HostConfig"]["Isolation"] == "Process"


def test_start_without_sandbox(d):
    """On a kernel without /dev/sandbox the start fails clearly; the container shows it."""
    if os.path.exists("/dev/sandbox"):
        pytest.skip("this kernel has /dev/sandbox")
    e = d.engine
    create(e, {"Image": "img:1", "Cmd": ["sleep", "5"]}, "st")
    st, j = e.json("POST", "/containers/st/start")
    assert st == 500 and "/dev/sandbox" in j["message"], j
    i = e.json("GET", "/containers/st/json")[1]
    assert i["State"]["Status"] == "exited" and "/dev/sandbox" in i["State"]["Error"]
    st, w = e.json("POST", "/containers/st/wait")
    assert st == 200 and w["StatusCode"] == 128
    assert d.alive()


def test_host_default_hyperv(tmp_path):
    """On a host whose default is hyperv (--isolation hyperv), a container of
    the default isolation is created, and without /dev/bulkhead (this build
    machine) cannot start: it stays created; "process" can be asked for by
    update."""
    d = Daemon(tmp_path, isolation="hyperv").start()
    try:
        e = d.engine
        e.load(small_image("img:1")[0])
        assert e.json("GET", "/info")[1]["Isolation"] == "hyperv"
        assert create(e, {"Image": "img:1", "Cmd": ["true"]}, "hv")[0] == 201
        st, j = e.json("POST", "/containers/hv/start")
        assert st == 400 and j["message"] == ("hyperv isolation is not available on this host "
                                             "(/dev/bulkhead: No such file or directory)"), j
        assert e.json("GET", "/containers/hv/json")[1]["State"]["Status"] == "created"
        assert e.json("POST", "/containers/hv/update", json.dumps({"Isolation": "process"}))[0] == 200
        st, j = e.json("POST", "/containers/hv/start")
        assert "hyperv" not in j["message"], j
    finally:
        d.kill()


DOCKER = shutil.which("docker") or "/usr/local/bin/docker"


@pytest.mark.skipif(not os.path.exists(DOCKER), reason="no Docker CLI on this machine")
def test_docker_cli_containers(d):
    """The Docker CLI 28 creates, lists, inspects, updates nothing, and removes."""
    env = dict(os.environ, DOCKER_HOST="unix://" + d.sock, DOCKER_CONFIG=os.path.join(d.tmp, "dcfg"))

    def docker(*args):
        return subprocess.run([DOCKER] + list(args), capture_output=True, text=True, env=env, timeout=60)

    r = docker("create", "--name", "cli1", "--label", "k=v", "-e", "A=1", "--isolation", "process", "img:1", "echo", "hi")
    assert r.returncode == 0 and re.fullmatch(r"[0-9a-f]{64}\n", r.stdout), r
    r = docker("ps", "-a", "--format", "{{.Names}} {{.Status}} {{.Command}}")
    assert r.stdout.strip() == 'cli1 Created "echo hi"', r
    r = docker("inspect", "-f", "{{.HostConfig.Isolation}} {{.Config.Env}} {{.State.Status}}", "cli1")
    assert r.stdout.strip() == "process [PATH=/bin A=1] created", r   # the image's Env, then ours
    r = docker("create", "--name", "cli2", "--isolation", "hyperv", "img:1", "true")
    assert r.returncode == 0, r
    r = docker("inspect", "-f", "{{.HostConfig.Isolation}}", "cli2")
    assert r.stdout.strip() == "hyperv", r
    r = docker("start", "cli2")   # no /dev/bulkhead on the build machine
    assert r.returncode != 0 and "hyperv isolation is not available on this host" in r.stderr, r
    assert docker("rm", "cli2").returncode == 0
    r = docker("create", "--name", "cli1", "img:1")
    assert r.returncode != 0 and "is already in use" in r.stderr, r
    r = docker("rm", "cli1")
    assert r.returncode == 0 and r.stdout.strip() == "cli1", r
    assert docker("ps", "-aq").stdout == ""


def test_mutated_container_requests(d):
    """Container requests with bytes flipped, cut, repeated or inserted
    (seed 12, or BH_FUZZ_SEED): each answered or closed, the daemon alive."""
    import random
    rnd = random.Random(int(os.environ.get("BH_FUZZ_SEED", "12")))
    e = d.engine
    create(e, {"Image": "img:1", "Cmd": ["true"]}, "fz")
    body = json.dumps({"Image": "img:1", "Cmd": ["sh", "-c", "x"], "Env": ["A=1"], "Labels": {"a": "b"},
                       "HostConfig": {"Isolation": "process", "Memory": 8 << 20, "PidsLimit": 4}}).encode()
    upd = b'{"Isolation":"default","Memory":9000000}'
    ex = b'{"Cmd":["ls"],"AttachStdout":true,"Tty":false}'
    seeds = [b"POST /containers/create?name=n1 HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
             % (len(body), body),
             b"GET /containers/json?all=1&filters=%7B%22label%22%3A%5B%22a%3Db%22%5D%7D HTTP/1.1\r\n\r\n",
             b"GET /containers/fz/json HTTP/1.1\r\n\r\n",
             b"POST /containers/fz/update HTTP/1.1\r\nContent-Length: %d\r\n\r\n%s" % (len(upd), upd),
             b"POST /containers/fz/exec HTTP/1.1\r\nContent-Length: %d\r\n\r\n%s" % (len(ex), ex),
             b"POST /containers/fz/wait?condition=not-running HTTP/1.1\r\n\r\n",
             b"GET /containers/fz/logs?stdout=1&tail=3&timestamps=1 HTTP/1.1\r\n\r\n",
             b"POST /containers/fz/attach?stream=1&stdout=1 HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n",
             b"POST /containers/fz/kill?signal=TERM HTTP/1.1\r\n\r\n",
             b"DELETE /containers/n1?force=1 HTTP/1.1\r\n\r\n"]
    for i in range(200):
        b = mutate(rnd, rnd.choice(seeds))
        out = e.raw(bytes(b), timeout=10, half_close=True)
        assert out == b"" or out.startswith(b"HTTP/1.1 "), (i, bytes(b[:200]), out[:200])
        assert d.alive(), i
    assert e.request("GET", "/_ping")[0] == 200
    assert e.json("GET", "/containers/fz/json")[0] == 200
