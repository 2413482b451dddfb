"""bulkheadd's containers on the build machine: everything that needs no
guest kernel (create, inspect, list and its filters, update of the
isolation, delete, bad input).  Starting needs /dev/sandbox: here it fails
with a clear error and the container shows the failure.  The runtime itself
is tested in the guest (test_containers_guest.py)."""
import base64
import gzip
import io
import json
import os
import re
import shutil
import subprocess
import tarfile
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


def test_stats_not_running(d):
    """stats of a container that does not run: one sample, no tasks; the
    stream (dockerd's default) also ends after it."""
    e = d.engine
    create(e, {"Image": "img:1", "Cmd": ["true"], "HostConfig": {"Memory": 64 << 20}}, "st1")
    st, j = e.json("GET", "/containers/st1/stats?stream=false")
    assert st == 200 and j["name"] == "/st1" and j["pids_stats"]["current"] == 0, j
    assert j["memory_stats"]["limit"] == 64 << 20 and j["preread"] == "0001-01-01T00:00:00Z", j
    for q in ("", "?stream=1", "?stream=true"):
        st, h, body = e.request("GET", "/containers/st1/stats" + q)
        lines = body.decode().splitlines()
        assert st == 200 and h["transfer-encoding"] == "chunked" and len(lines) == 1, (q, h, body)
        assert json.loads(lines[0])["pids_stats"]["current"] == 0


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


# ---- docker cp: the archive endpoints; docker system df
def tar_of(members):
    """members: (name, kind, data_or_target[, mode]) with kind file|dir|sym|hard -> tar bytes."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as t:
        for m in members:
            name, kind, val = m[:3]
            i = tarfile.TarInfo(name)
            i.mtime = 1700000000
            i.mode = m[3] if len(m) > 3 else (0o755 if kind == "dir" else 0o644)
            if kind == "file":
                i.size = len(val)
                t.addfile(i, io.BytesIO(val))
                continue
            i.type = {"dir": tarfile.DIRTYPE, "sym": tarfile.SYMTYPE, "hard": tarfile.LNKTYPE}[kind]
            i.linkname = val or ""
            t.addfile(i)
    return buf.getvalue()


def put(e, ctr, path, data, extra=""):
    return e.request("PUT", "/containers/%s/archive?path=%s%s" % (ctr, urllib.parse.quote(path), extra), data,
                     {"Content-Type": "application/x-tar"})


def path_stat(h):
    return json.loads(base64.b64decode(h["x-docker-container-path-stat"]))


def test_archive_put_head_get(d):
    """PUT unpacks a tar in a folder of the container, HEAD stats a path (Go's
    FileMode bits), GET gives back a tar of it; errors as dockerd's."""
    e = d.engine
    cid = create(e, {"Image": "img:1", "Cmd": ["true"]}, "cp1")[1]["Id"]
    upper = e.json("GET", "/containers/cp1/json")[1]["GraphDriver"]["Data"]["UpperDir"]
    long = "d/" + "n" * 150
    tar = tar_of([("d/", "dir", None, 0o750), ("d/a.txt", "file", b"alpha\n", 0o640), ("d/l", "sym", "a.txt"),
                  ("d/h", "hard", "d/a.txt"), ("d/s/", "dir", None), (long, "file", b"long\n"),
                  ("/abs.txt", "file", b"abs\n")])
    st, _, body = put(e, "cp1", "/", tar, "&noOverwriteDirNonDir=true")
    assert st == 200 and body == b"", body
    assert open(os.path.join(upper, "d", "a.txt"), "rb").read() == b"alpha\n"
    assert os.path.samefile(os.path.join(upper, "d", "a.txt"), os.path.join(upper, "d", "h"))
    assert os.path.exists(os.path.join(upper, "abs.txt"))   # inside the container, as dockerd
    st, h, body = e.request("HEAD", "/containers/cp1/archive?path=/d/a.txt")
    assert st == 200 and body == b""
    assert path_stat(h) == {"name": "a.txt", "size": 6, "mode": 0o640, "mtime": "2023-11-14T22:13:20Z",
                            "linkTarget": ""}
    s = path_stat(e.request("HEAD", "/containers/%s/archive?path=/d/" % cid[:10])[1])
    assert s["name"] == "d" and s["mode"] == (1 << 31) | 0o750, s
    s = path_stat(e.request("HEAD", "/containers/cp1/archive?path=d/l")[1])
    assert s["mode"] == (1 << 27) | 0o777 and s["linkTarget"] == "/d/a.txt", s
    # GET: the folder and all below it, named from its last name
    st, h, body = e.request("GET", "/containers/cp1/archive?path=/d")
    assert st == 200 and h["content-type"] == "application/x-tar" and path_stat(h)["name"] == "d"
    t = tarfile.open(fileobj=io.BytesIO(body))
    got = {m.name: m for m in t.getmembers()}
    assert set(got) == {"d", "d/a.txt", "d/l", "d/h", "d/s", long}, sorted(got)
    assert t.extractfile(got["d/a.txt"]).read() == b"alpha\n" and got["d/a.txt"].mode == 0o640
    assert got["d/a.txt"].mtime == 1700000000 and got["d"].mode == 0o750 and got["d"].isdir()
    assert got["d/l"].issym() and got["d/l"].linkname == "a.txt"
    assert t.extractfile(got[long]).read() == b"long\n"
    st, h, body = e.request("GET", "/containers/cp1/archive?path=/d/a.txt")
    assert [m.name for m in tarfile.open(fileobj=io.BytesIO(body)).getmembers()] == ["a.txt"]
    st, h, body = e.request("GET", "/containers/cp1/archive?path=/")
    names = tarfile.open(fileobj=io.BytesIO(body)).getnames()
    assert st == 200 and path_stat(h)["name"] == "/" and "./d/a.txt" in names and "./abs.txt" in names, names
    # a PUT into a folder reached through a symlink lands in its target
    os.symlink("/d/s", os.path.join(upper, "via"))
    assert put(e, "cp1", "/via", tar_of([("x", "file", b"x")]))[0] == 200
    assert os.path.exists(os.path.join(upper, "d", "s", "x"))
    # errors
    for m in ("HEAD", "GET"):
        st, _, body = e.request(m, "/containers/cp1/archive?path=/nope/x")
        assert st == 404, (m, st)
    st, j = e.json("GET", "/containers/cp1/archive?path=/nope")
    assert j == {"message": "Could not find the file /nope in container cp1"}
    st, j = e.json("PUT", "/containers/cp1/archive?path=/nope", tar_of([("y", "file", b"y")]))
    assert st == 404 and j["message"] == "Could not find the file /nope in container cp1", j
    st, j = e.json("PUT", "/containers/cp1/archive?path=/d/a.txt", tar_of([("y", "file", b"y")]))
    assert st == 400 and "not a directory" in j["message"], j
    st, j = e.json("GET", "/containers/cp1/archive")
    assert st == 400 and "path" in j["message"], j
    assert e.json("GET", "/containers/nope/archive?path=/")[0] == 404
    # noOverwriteDirNonDir: a folder is not replaced by a file (nor back)
    st, j = e.json("PUT", "/containers/cp1/archive?path=/&noOverwriteDirNonDir=true", tar_of([("d", "file", b"f")]))
    assert st == 400 and "cannot overwrite directory" in j["message"], j
    st, j = e.json("PUT", "/containers/cp1/archive?path=/&noOverwriteDirNonDir=1", tar_of([("abs.txt/", "dir", None)]))
    assert st == 400 and "cannot overwrite non-directory" in j["message"], j
    assert os.path.isdir(os.path.join(upper, "d")) and os.path.isfile(os.path.join(upper, "abs.txt"))
    st, j = e.json("PUT", "/containers/cp1/archive?path=/", b"not a tar" * 100)
    assert st == 400, j
    st, _, _ = put(e, "cp1", "/d", gzip.compress(tar_of([("gz.txt", "file", b"gz\n")])))
    assert st == 200 and open(os.path.join(upper, "d", "gz.txt"), "rb").read() == b"gz\n"
    assert d.alive()


def owned_tar(name, uid, gid):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for n, kind in ((name + "/", tarfile.DIRTYPE), (name + "/f", tarfile.REGTYPE)):
            i = tarfile.TarInfo(n)
            i.type, i.uid, i.gid, i.size = kind, uid, gid, 0
            t.addfile(i, io.BytesIO(b""))
    return buf.getvalue()


@pytest.mark.skipif(os.geteuid() != 0, reason="owners are kept by root only")
def test_archive_copy_uid_gid(d):
    """docker cp keeps the archive's owners; with copyUIDGID=1 (cp -a) and a
    User, every member is that user's (the container's /etc/passwd and
    /etc/group), as dockerd; an unknown user or group is a 400."""
    e = d.engine
    ids = {}
    for name, user in (("ua", "app"), ("ub", "app:staff"), ("uc", "1500"), ("ud", "1500:77"), ("ue", ""),
                       ("uf", "ghost"), ("ug", "app:nogroup")):
        create(e, {"Image": "img:1", "Cmd": ["true"], "User": user}, name)
        etc = tar_of([("etc/", "dir", None), ("etc/passwd", "file", b"root:x:0:0:root:/root:/bin/sh\n"
                       b"app:x:1234:1235:App:/home/app:/bin/sh\n"), ("etc/group", "file", b"root:x:0:\nstaff:x:4321:app\n")])
        assert put(e, name, "/", etc)[0] == 200
        upper = e.json("GET", "/containers/%s/json" % name)[1]["GraphDriver"]["Data"]["UpperDir"]
        assert put(e, name, "/", owned_tar("kept", 7, 8))[0] == 200
        st, _, body = put(e, name, "/", owned_tar("dasha", 7, 8), "&copyUIDGID=1")
        ids[name] = (st, body if st != 200 else [(os.lstat(os.path.join(upper, p)).st_uid,
                                                   os.lstat(os.path.join(upper, p)).st_gid)
                                                  for p in ("kept/f", "dasha", "dasha/f")])
    assert ids["ua"] == (200, [(7, 8), (1234, 1235), (1234, 1235)]), ids
    assert ids["ub"] == (200, [(7, 8), (1234, 4321), (1234, 4321)]), ids
    assert ids["uc"] == (200, [(7, 8), (1500, 0), (1500, 0)]), ids
    assert ids["ud"] == (200, [(7, 8), (1500, 77), (1500, 77)]), ids
    assert ids["ue"] == (200, [(7, 8), (7, 8), (7, 8)]), ids
    assert ids["uf"][0] == 400 and b"unable to find user ghost: no matching entries in passwd file" in ids["uf"][1]
    assert ids["ug"][0] == 400 and b"unable to find group nogroup" in ids["ug"][1]


def test_archive_hostile_tars(d):
    """Tars that reach for files outside the container are refused and write
    nothing outside its root; the daemon stays up."""
    e = d.engine
    create(e, {"Image": "img:1", "Cmd": ["true"]}, "cp2")
    upper = e.json("GET", "/containers/cp2/json")[1]["GraphDriver"]["Data"]["UpperDir"]
    os.makedirs(os.path.join(upper, "in"))
    outside = os.path.join(d.tmp, "outside")
    os.makedirs(outside)
    with open(os.path.join(outside, "secret"), "w") as f:
        f.write("secret\n")
    up = "../" * 40
    hostile = {
        "dotdot": [("../../../../escaped", "file", b"x")],
        "dotdot inside": [("a/../../escaped", "file", b"x")],
        "symlink out then through": [("out", "sym", up + outside.lstrip("/")), ("out/pwned", "file", b"x")],
        "hard link out": [("hl", "hard", up + outside.lstrip("/") + "/secret")],
        "hard link to a missing file": [("hl", "hard", "/no/such")],
        "whiteout": [(".wh.in", "file", b"")],
        "opaque whiteout": [("in/.wh..wh..opq", "file", b"")],
    }
    def tree():
        out = {}
        for root, dirs, files in os.walk(d.tmp):
            if root.startswith(upper):
                continue
            for n in files + dirs:
                p = os.path.join(root, n)
                out[p] = os.lstat(p).st_mtime_ns if not p.startswith(d.data) else 0
        return out
    before = tree()
    for what, members in hostile.items():
        st, j = e.json("PUT", "/containers/cp2/archive?path=/in", tar_of(members))
        assert st == 400, (what, st, j)
        assert d.alive(), what
    # the container's absolute symlink points inside the container, never at the host
    st, _, _ = put(e, "cp2", "/in", tar_of([("root", "sym", "/"), ("root/tmp-pwned", "file", b"x")]))
    assert st == 200 and os.path.exists(os.path.join(upper, "tmp-pwned")) and not os.path.exists("/tmp-pwned")
    after = {p: m for p, m in tree().items() if not p.startswith(os.path.join(d.data, "tmp"))}
    assert after == {p: m for p, m in before.items() if not p.startswith(os.path.join(d.data, "tmp"))}
    assert open(os.path.join(outside, "secret")).read() == "secret\n"
    # members before the refused one stay, inside the container (as dockerd leaves them)
    assert sorted(os.listdir(os.path.join(upper, "in"))) == ["out", "root"], os.listdir(os.path.join(upper, "in"))
    assert not os.path.lexists(os.path.join(upper, "escaped"))


def test_mutated_archives(d):
    """Tars with bytes flipped, cut, repeated or inserted (seed 13, or
    BH_FUZZ_SEED) put into a container: each a 200 or a 400, nothing written
    outside the container's root, the daemon alive."""
    import random
    rnd = random.Random(int(os.environ.get("BH_FUZZ_SEED", "13")))
    e = d.engine
    create(e, {"Image": "img:1", "Cmd": ["true"]}, "fzcp")
    upper = e.json("GET", "/containers/fzcp/json")[1]["GraphDriver"]["Data"]["UpperDir"]
    os.makedirs(os.path.join(upper, "in"))
    seed = tar_of([("a/", "dir", None), ("a/f", "file", b"data" * 40), ("a/l", "sym", "../.."), ("a/h", "hard", "a/f"),
                   ("b/" + "x" * 120, "file", b"long"), ("a/l2", "sym", "/a")])
    outside = lambda: sorted(os.path.join(r, n) for r, ds, fs in os.walk(d.tmp) for n in ds + fs   # noqa: E731
                             if not r.startswith(upper) and not os.path.join(r, n).startswith(upper)
                             and "/data/tmp" not in r)
    before = outside()
    for i in range(100):
        b = bytes(mutate(rnd, seed))
        st, _, body = put(e, "fzcp", "/in", b)
        assert st in (200, 400), (i, st, body)
        assert d.alive(), i
    assert outside() == before


def test_archive_client_gone(d):
    """A client that leaves before its copy is answered: the copy ends on its
    own (its helper reaped), the daemon serves on."""
    import socket
    import time
    e = d.engine
    create(e, {"Image": "img:1", "Cmd": ["true"]}, "cpgone")
    upper = e.json("GET", "/containers/cpgone/json")[1]["GraphDriver"]["Data"]["UpperDir"]
    tar = tar_of([("big", "file", b"z" * (8 << 20))])
    for m in ("PUT", "GET"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(d.sock)
        s.sendall(b"%s /containers/cpgone/archive?path=/%s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s"
                  % (m.encode(), b"" if m == "PUT" else b"big", len(tar) if m == "PUT" else 0,
                     tar if m == "PUT" else b""))
        s.close()
        assert e.request("GET", "/_ping")[0] == 200
    deadline = time.time() + 20
    def children():
        with open("/proc/%d/task/%d/children" % (d.proc.pid, d.proc.pid)) as f:
            return f.read().split()
    while children() and time.time() < deadline:
        time.sleep(0.1)
    assert children() == [] and os.path.getsize(os.path.join(upper, "big")) == 8 << 20
    assert e.request("HEAD", "/containers/cpgone/archive?path=/big")[0] == 200 and d.alive()


def test_archive_hyperv_not_running(d):
    """A hyperv container's files are in its utility partition, there only
    while it runs: a clear 409, nothing written (a running one's: in the
    guest, test_docker_tcp.py's test_cp_hyperv_same_as_process)."""
    e = d.engine
    create(e, {"Image": "img:1", "Cmd": ["true"], "HostConfig": {"Isolation": "hyperv"}}, "hvcp")
    before = d.files()
    for m in ("HEAD", "GET", "PUT"):
        st, _, body = e.request(m, "/containers/hvcp/archive?path=/etc", tar_of([("x", "file", b"x")]) if m == "PUT" else None)
        assert st == 409, (m, st)
        if m != "HEAD":
            assert "is not running" in json.loads(body)["message"], body
    assert d.files() == before


def test_system_df(d):
    e = d.engine
    cid = create(e, {"Image": "img:1", "Cmd": ["true"]}, "df1")[1]["Id"]
    st, j = e.json("GET", "/system/df")
    assert st == 200 and j["Volumes"] == [] and j["BuildCache"] == []
    [im] = j["Images"]
    size = e.json("GET", "/images/img:1/json")[1]["Size"]
    assert im["RepoTags"] == ["img:1"] and im["Containers"] == 1 and im["Size"] == size > 0
    assert im["SharedSize"] == 0 and j["LayersSize"] == size and im["Id"].startswith("sha256:")
    [c] = j["Containers"]
    assert c["Id"] == cid and c["Names"] == ["/df1"] and c["Image"] == "img:1" and c["State"] == "created"
    assert c["SizeRw"] == 0 and c["SizeRootFs"] == size
    # its own files: a hard link counts once, symlinks and folders not
    tar = tar_of([("d/", "dir", None), ("d/a", "file", b"a" * 10000), ("d/h", "hard", "d/a"), ("d/s", "sym", "a"),
                  ("e", "file", b"")])
    assert put(e, "df1", "/", tar)[0] == 200
    assert put(e, "df1", "/d", tar_of([("b", "file", b"b" * 3000)]))[0] == 200
    [c] = e.json("GET", "/system/df?type=container")[1]["Containers"]
    assert c["SizeRw"] == 13000 and c["SizeRootFs"] == size + 13000, c
    st, [l] = e.json("GET", "/containers/json?all=1&size=1")
    assert st == 200 and l["SizeRw"] == 13000 and l["SizeRootFs"] == size + 13000, l
    assert "SizeRw" not in e.json("GET", "/containers/json?all=1")[1][0]
    st, i = e.json("GET", "/containers/df1/json?size=true")
    assert st == 200 and i["SizeRw"] == 13000 and i["SizeRootFs"] == size + 13000
    assert "SizeRw" not in e.json("GET", "/containers/df1/json")[1]
    st, j = e.json("GET", "/system/df?type=container&type=volume")
    assert st == 200 and sorted(j) == ["Containers", "Volumes"], j
    st, j = e.json("GET", "/system/df?type=disk")
    assert st == 400 and j["message"] == "invalid type: disk", j
    st, j = e.json("POST", "/containers/prune")
    assert st == 200 and j == {"ContainersDeleted": [cid], "SpaceReclaimed": 13000}, j


@pytest.mark.skipif(not os.path.exists(DOCKER), reason="no Docker CLI on this machine")
def test_docker_cli_cp_and_df(d, tmp_path):
    """The Docker CLI 28's docker cp both ways and docker system df (-v)."""
    env = dict(os.environ, DOCKER_HOST="unix://" + d.sock, DOCKER_CONFIG=os.path.join(d.tmp, "dcfg"))

    def docker(*args):
        return subprocess.run([DOCKER] + list(args), capture_output=True, text=True, env=env, timeout=60)

    assert docker("create", "--name", "cp3", "img:1", "true").returncode == 0
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "f.txt").write_text("one\n")
    (src / "sub" / "g.txt").write_text("two\n")
    os.chmod(src / "f.txt", 0o600)
    r = docker("cp", str(src), "cp3:/srv")
    assert r.returncode == 0, r
    r = docker("cp", str(src / "f.txt"), "cp3:/")
    assert r.returncode == 0, r
    back = tmp_path / "back"
    r = docker("cp", "cp3:/srv", str(back))
    assert r.returncode == 0, r
    assert (back / "f.txt").read_text() == "one\n" and (back / "sub" / "g.txt").read_text() == "two\n"
    assert os.stat(back / "f.txt").st_mode & 0o777 == 0o600
    r = docker("cp", "cp3:/f.txt", "-")
    assert r.returncode == 0 and tarfile.open(fileobj=io.BytesIO(r.stdout.encode())).getnames() == ["f.txt"], r
    if os.geteuid() == 0:   # cp -a: the container's User owns what comes in
        assert docker("create", "--name", "cp4", "-u", "4242:43", "img:1", "true").returncode == 0
        r = docker("cp", "-a", str(src / "f.txt"), "cp4:/")
        up = d.engine.json("GET", "/containers/cp4/json")[1]["GraphDriver"]["Data"]["UpperDir"]
        st = os.lstat(os.path.join(up, "f.txt"))
        assert r.returncode == 0 and (st.st_uid, st.st_gid) == (4242, 43), (r, st)
        assert docker("rm", "cp4").returncode == 0
    r = docker("cp", "cp3:/nope", str(tmp_path / "x"))
    assert r.returncode == 1 and "Could not find the file /nope in container cp3" in r.stderr, r
    r = docker("system", "df")
    rows = [l.split() for l in r.stdout.splitlines()]
    assert r.returncode == 0 and rows[0] == ["TYPE", "TOTAL", "ACTIVE", "SIZE", "RECLAIMABLE"], r
    assert rows[1][:3] == ["Images", "1", "1"] and rows[1][4:] == ["0B", "(0%)"], rows
    assert rows[2][:5] == ["Containers", "1", "0", "12B", "12B"], rows   # srv/f.txt, srv/sub/g.txt, f.txt
    r = docker("system", "df", "-v")
    assert r.returncode == 0 and "Images space usage:" in r.stdout and "Containers space usage:" in r.stdout, r
    assert re.search(r"^img +1 +[0-9a-f]{12} .* 0B +\S+ +1$", r.stdout, re.M), r.stdout
    assert re.search(r"^[0-9a-f]{12} +img:1 +\"true\" +0 +12B .* Created +cp3$", r.stdout, re.M), r.stdout
    r = docker("ps", "-a", "-s", "--format", "{{.Size}}")
    assert r.returncode == 0 and r.stdout.startswith("12B (virtual "), r
