"""bulkheadd (engine/) on the build machine: every endpoint of this round
through a test client on its Unix socket, bad input included, restarts and
SIGKILL, and the real clients (Docker CLI, docker-py) against it.  Shapes
follow the Docker Engine API reference (v1.44)."""
import hashlib
import io
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import tarfile
import threading
import time
import urllib.parse

import pytest

from engine_client import (BULKHEADD, ROOT, Daemon, docker_archive, layer_tar, mutate, oci_archive,
                           sha256, small_image, with_manifest_json)

BUSYBOX_TAR = os.path.join(ROOT, "build", "esp", "busybox.tar")
DOCKER = shutil.which("docker") or "/usr/local/bin/docker"

pytestmark = pytest.mark.skipif(not os.path.exists(BULKHEADD), reason="build/engine/bulkheadd not built")


@pytest.fixture(scope="module")
def busybox_tar(tmp_path_factory):
    """busybox:latest as tools/mkbusybox.sh writes it (skopeo's docker-archive)."""
    if os.path.exists(BUSYBOX_TAR):
        path = BUSYBOX_TAR
    else:
        path = str(tmp_path_factory.mktemp("bb") / "busybox.tar")
        subprocess.run(["sh", os.path.join(ROOT, "tools", "mkbusybox.sh"), path], check=True)
    with open(path, "rb") as f:
        return f.read()


@pytest.fixture
def daemon(tmp_path):
    d = Daemon(tmp_path).start()
    yield d
    d.kill()


def q(obj):
    """A JSON query value (filters=...), URL-encoded."""
    return urllib.parse.quote(json.dumps(obj))


def images(e):
    st, body = e.json("GET", "/images/json")
    assert st == 200
    return body


def loaded(msgs):
    assert not [m for m in msgs if "error" in m], msgs
    return [m["stream"] for m in msgs]


# ---- system endpoints
def test_ping_headers(daemon):
    e = daemon.engine
    for method in ("GET", "HEAD"):
        st, h, body = e.request(method, "/_ping")
        assert st == 200
        assert h["api-version"] == "1.44"
        assert h["docker-experimental"] == "false"
        assert h["ostype"] == "linux"
        assert h["cache-control"] == "no-cache, no-store, must-revalidate" and h["pragma"] == "no-cache"
        assert body == (b"OK" if method == "GET" else b"")
    st, h, body = e.request("GET", "/v1.44/_ping")
    assert st == 200 and body == b"OK"
    st, h, body = e.request("GET", "/version")
    assert st == 200 and "cache-control" not in h and h["api-version"] == "1.44"


def test_api_version_prefix(daemon):
    e = daemon.engine
    st, body = e.json("GET", "/v1.24/version")
    assert st == 200 and body["ApiVersion"] == "1.44"
    st, body = e.json("GET", "/v1.99/version")
    assert st == 400 and "too new" in body["message"]
    st, body = e.json("GET", "/v1.12/version")
    assert st == 400 and "too old" in body["message"]


def test_version_shape(daemon):
    st, v = daemon.engine.json("GET", "/version")
    assert st == 200
    assert v["ApiVersion"] == "1.44" and v["MinAPIVersion"] == "1.24"
    assert v["Os"] == "linux" and v["Arch"] == "amd64"
    assert v["KernelVersion"] == os.uname().release
    assert v["Components"][0]["Name"] == "Engine"
    assert v["Components"][0]["Details"]["ApiVersion"] == "1.44"


def test_info_counts_and_isolation(tmp_path, busybox_tar):
    d = Daemon(tmp_path, isolation="hyperv").start()
    try:
        e = d.engine
        st, info = e.json("GET", "/info")
        assert st == 200 and info["Isolation"] == "hyperv" and info["Images"] == 0
        assert info["Containers"] == 0 and info["OSType"] == "linux"
        assert info["DockerRootDir"] == d.data
        e.load(busybox_tar)
        e.load(small_image("other:1")[0])
        assert e.json("GET", "/info")[1]["Images"] == 2
    finally:
        d.kill()
    d2 = Daemon(tmp_path / "b").start()
    try:
        assert d2.engine.json("GET", "/info")[1]["Isolation"] == "process"
    finally:
        d2.kill()


def test_socket_mode(daemon):
    assert stat.S_IMODE(os.stat(daemon.sock).st_mode) == 0o660
    assert stat.S_ISSOCK(os.stat(daemon.sock).st_mode)


def test_unknown_endpoint(daemon):
    st, body = daemon.engine.json("GET", "/nosuch")
    assert st == 404 and body == {"message": "page not found"}
    st, body = daemon.engine.json("POST", "/images/busybox/history")
    assert st == 404


# ---- loading
def test_load_docker_archive(daemon, busybox_tar):
    e = daemon.engine
    st, msgs = e.load(busybox_tar)
    assert st == 200 and loaded(msgs) == ["Loaded image: busybox:latest\n"]
    [img] = images(e)
    assert img["RepoTags"] == ["busybox:latest"] and img["Id"].startswith("sha256:")
    assert img["Containers"] == -1 and img["ParentId"] == "" and img["RepoDigests"] == []
    assert img["Created"] > 0 and img["Size"] > 1000000
    iid = img["Id"][7:]
    # the unpacked tree, the lower folder of the containers to come
    rootfs = os.path.join(daemon.data, "images", iid, "rootfs")
    with open(os.path.join(rootfs, "bin", "busybox"), "rb") as f, open("/bin/busybox", "rb") as g:
        assert f.read() == g.read()
    assert os.readlink(os.path.join(rootfs, "bin", "sh")) == "/bin/busybox"
    # the config, byte for byte: its sha256 is the ID
    with open(os.path.join(daemon.data, "images", iid, "config.json"), "rb") as f:
        assert sha256(f.read()) == iid
    blobs = os.listdir(os.path.join(daemon.data, "blobs", "sha256"))
    assert len(blobs) == 1
    # loading again stores nothing new
    before = daemon.files()
    st, msgs = e.load(busybox_tar)
    assert loaded(msgs) == ["Loaded image: busybox:latest\n"]
    assert daemon.files() == before and len(images(e)) == 1


def test_load_oci_layout(daemon, tmp_path):
    e = daemon.engine
    oci = oci_archive(str(tmp_path), {"etc/motd": b"from umoci\n"})
    st, msgs = e.load(oci)
    [line] = loaded(msgs)
    assert line.startswith("Loaded image ID: sha256:")   # umoci's ref "latest" names nothing
    iid = line.strip().split(":")[-1]
    [img] = images(e)
    assert img["Id"] == "sha256:" + iid and img["RepoTags"] == []
    with open(os.path.join(daemon.data, "images", iid, "rootfs", "etc", "motd"), "rb") as f:
        assert f.read() == b"from umoci\n"
    st, body = e.json("GET", "/images/" + iid[:12] + "/json")
    assert st == 200 and body["Config"]["Cmd"] == ["/bin/sh"]
    # a dangling image is listed by dangling=true only
    st, body = e.json("GET", "/images/json?filters=" + q({"dangling": ["true"]}))
    assert [i["Id"] for i in body] == ["sha256:" + iid]
    st, body = e.json("GET", "/images/json?filters=" + q({"dangling": ["false"]}))
    assert body == []


def test_load_docker25_save_format(daemon, tmp_path):
    """An OCI layout with a manifest.json beside it: the RepoTags name it."""
    e = daemon.engine
    both = with_manifest_json(oci_archive(str(tmp_path), {"etc/motd": b"both\n"}), ["dual:1", "dual:2"])
    st, msgs = e.load(both)
    assert loaded(msgs) == ["Loaded image: dual:1\n", "Loaded image: dual:2\n"]
    [img] = images(e)
    assert sorted(img["RepoTags"]) == ["dual:1", "dual:2"]
    with open(os.path.join(daemon.data, "images", img["Id"][7:], "rootfs", "etc", "motd"), "rb") as f:
        assert f.read() == b"both\n"


def test_load_two_images_of_one_archive(daemon):
    """One docker-archive with two images: both load under distinct names;
    under one name they are refused, since the loader picks by name."""
    parts = [tarfile.open(fileobj=io.BytesIO(small_image("one:1", label=str(k))[0])) for k in (1, 2)]

    def archive(tags):
        man = [json.load(p.extractfile("manifest.json"))[0] for p in parts]
        for m, t in zip(man, tags):
            m["RepoTags"] = [t]
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w") as t:
            for p in parts:
                for m in p.getmembers():
                    if m.name != "manifest.json" and m.name not in t.getnames():
                        t.addfile(m, p.extractfile(m))
            data = json.dumps(man).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        return out.getvalue()

    st, msgs = daemon.engine.load(archive(["same:1", "same:1"]))
    assert "both named 'same:1'" in msgs[-1]["error"]
    assert images(daemon.engine) == []
    st, msgs = daemon.engine.load(archive(["one:1", "two:1"]))
    assert loaded(msgs) == ["Loaded image: one:1\n", "Loaded image: two:1\n"]
    assert sorted(i["RepoTags"][0] for i in images(daemon.engine)) == ["one:1", "two:1"]


def test_load_gzip_layers_and_shared_layer(daemon):
    e = daemon.engine
    layer = layer_tar({"etc/": None, "etc/hello": b"payload shared\n"})
    a, ida = docker_archive([layer], ["a:1"], {"n": "1"}, gzip_layers=True)
    b, idb = docker_archive([layer], ["b:1"], {"n": "2"})
    assert ida != idb
    loaded(e.load(a)[1])
    loaded(e.load(b)[1])
    # one layer, stored once, though two images list it
    assert len(os.listdir(os.path.join(daemon.data, "blobs", "sha256"))) == 1
    assert len(images(e)) == 2


def test_load_refuses_bad_layer_digest(daemon, busybox_tar):
    e = daemon.engine
    loaded(e.load(busybox_tar)[1])
    before = daemon.files()
    bad, _ = small_image("evil:1", tamper=True)
    st, msgs = e.load(bad)
    assert st == 200   # as dockerd: the failure is the stream's last message
    assert msgs[-1]["errorDetail"]["message"] == msgs[-1]["error"]
    assert "sha256" in msgs[-1]["error"] or "digest" in msgs[-1]["error"]
    assert daemon.files() == before
    assert [i["RepoTags"] for i in images(e)] == [["busybox:latest"]]
    assert e.json("GET", "/images/evil:1/json")[0] == 404


@pytest.mark.parametrize("body", [b"", b"not a tar at all", b"\0" * 4096])
def test_load_refuses_garbage(daemon, body):
    st, msgs = daemon.engine.load(body)
    assert st == 200 and "error" in msgs[-1]
    assert "upload-" not in msgs[-1]["error"]   # our temporary file is no concern of the client
    assert images(daemon.engine) == []
    assert os.listdir(os.path.join(daemon.data, "tmp")) == []


def test_load_chunked_body(daemon):
    """A client that does not know the length sends the body chunked."""
    arch, iid = small_image("chunked:1")
    c = daemon.engine.conn()
    c.putrequest("POST", "/images/load")
    c.putheader("Transfer-Encoding", "chunked")
    c.endheaders()
    for k in range(0, len(arch), 1000):
        piece = arch[k:k + 1000]
        c.send(b"%x\r\n%s\r\n" % (len(piece), piece))
    c.send(b"0\r\n\r\n")
    r = c.getresponse()
    assert r.status == 200 and b"Loaded image: chunked:1" in r.read()
    c.close()


# ---- names
def test_name_resolution(daemon, busybox_tar):
    e = daemon.engine
    loaded(e.load(busybox_tar)[1])
    iid = images(e)[0]["Id"][7:]
    for name in ("busybox", "busybox:latest", "library/busybox", "docker.io/library/busybox:latest",
                 iid, iid[:12], iid[:3], "sha256:" + iid, "sha256:" + iid[:10]):
        st, body = e.json("GET", "/images/%s/json" % name)
        assert st == 200, name
        assert body["Id"] == "sha256:" + iid
    st, body = e.json("GET", "/images/nosuch/json")
    assert st == 404 and body["message"] == "No such image: nosuch:latest"
    st, body = e.json("GET", "/images/busybox:1.0/json")
    assert st == 404 and body["message"] == "No such image: busybox:1.0"
    st, body = e.json("GET", "/images/BadName/json")
    assert st == 400 and "invalid reference format" in body["message"]


def test_ambiguous_prefix(daemon):
    """Images whose IDs share a first hex digit: that digit is no name."""
    e = daemon.engine
    seen = {}
    for n in range(64):
        arch, iid = small_image(None, label=str(n))
        if iid[0] in seen:
            break
        seen[iid[0]] = (arch, iid)
    first = seen[iid[0]]
    loaded(e.load(first[0])[1])
    loaded(e.load(arch)[1])
    st, body = e.json("GET", "/images/%s/json" % iid[0])
    assert st == 404 and "ambiguous" in body["message"]
    k = next(k for k in range(1, 64) if iid[:k] != first[1][:k])
    assert e.json("GET", "/images/%s/json" % iid[:k])[1]["Id"] == "sha256:" + iid
    assert e.json("GET", "/images/%s/json" % first[1][:k])[1]["Id"] == "sha256:" + first[1]


def test_inspect_shape(daemon, busybox_tar):
    e = daemon.engine
    loaded(e.load(busybox_tar)[1])
    st, body = e.json("GET", "/images/busybox/json")
    assert st == 200
    for key in ("Id", "RepoTags", "RepoDigests", "Parent", "Comment", "Created", "Config",
                "Architecture", "Os", "Size", "GraphDriver", "RootFS", "Metadata"):
        assert key in body, key
    assert body["RootFS"]["Type"] == "layers" and len(body["RootFS"]["Layers"]) == 1
    assert body["Config"]["Cmd"] == ["sh"] and body["Os"] == "linux"
    assert body["GraphDriver"]["Data"]["LowerDir"].endswith("/rootfs")


# ---- tag, delete, get
def test_tag(daemon):
    e = daemon.engine
    arch, iid = small_image("a:1")
    loaded(e.load(arch)[1])
    st, h, body = e.request("POST", "/images/a:1/tag?repo=localhost:5000/x/y&tag=v2")
    assert st == 201 and body == b""
    st, h, body = e.request("POST", "/images/a:1/tag?repo=b")
    assert st == 201
    assert sorted(images(e)[0]["RepoTags"]) == ["a:1", "b:latest", "localhost:5000/x/y:v2"]
    assert e.json("GET", "/images/localhost:5000/x/y:v2/json")[1]["Id"] == "sha256:" + iid
    for query in ("repo=", "repo=Bad", "repo=b&tag=-x", "repo=b:1&tag=2"):
        st, body = e.json("POST", "/images/a:1/tag?" + query)
        assert st == 400 and body["message"], query
    st, body = e.json("POST", "/images/nosuch/tag?repo=b")
    assert st == 404 and body["message"] == "No such image: nosuch:latest"
    st, body = e.json("GET", "/images/json?filters=" + q({"reference": ["localhost:5000/x/*"]}))
    assert len(body) == 1
    st, body = e.json("GET", "/images/json?filters=" + q({"reference": ["zzz"]}))
    assert body == []


def test_delete(daemon):
    e = daemon.engine
    arch, iid = small_image("a:1")
    loaded(e.load(arch)[1])
    assert e.request("POST", "/images/a:1/tag?repo=b&tag=2")[0] == 201
    # by ID with two tags: refused without force
    st, body = e.json("DELETE", "/images/" + iid[:12])
    assert st == 409 and "must be forced" in body["message"]
    # a tag of an image with two: untag only
    st, body = e.json("DELETE", "/images/b:2")
    assert st == 200 and body == [{"Untagged": "b:2"}]
    assert images(e)[0]["RepoTags"] == ["a:1"]
    # the last tag: the image goes, and its layer
    st, body = e.json("DELETE", "/images/a:1")
    assert st == 200 and body == [{"Untagged": "a:1"}, {"Deleted": "sha256:" + iid}]
    assert images(e) == [] and os.listdir(os.path.join(daemon.data, "blobs", "sha256")) == []
    assert not os.path.exists(os.path.join(daemon.data, "images", iid))
    st, body = e.json("DELETE", "/images/a:1")
    assert st == 404 and body["message"] == "No such image: a:1"
    # force by ID
    loaded(e.load(arch)[1])
    e.request("POST", "/images/a:1/tag?repo=c")
    st, body = e.json("DELETE", "/images/%s?force=1" % iid)
    assert st == 200 and body[-1] == {"Deleted": "sha256:" + iid} and len(body) == 3


def test_get_roundtrip(daemon, busybox_tar, tmp_path):
    e = daemon.engine
    loaded(e.load(busybox_tar)[1])
    arch, iid = small_image("small:1")
    loaded(e.load(arch)[1])
    st, h, tar = e.request("GET", "/images/busybox/get")
    assert st == 200 and h["content-type"] == "application/x-tar"
    with tarfile.open(fileobj=io.BytesIO(tar)) as t:
        man = json.load(t.extractfile("manifest.json"))
        assert man[0]["RepoTags"] == ["busybox:latest"]
        cfg = t.extractfile(man[0]["Config"]).read()
        assert "sha256:" + sha256(cfg) == images(e)[-1]["Id"] or any(
            i["Id"] == "sha256:" + sha256(cfg) for i in images(e))
    st, h, both = e.request("GET", "/images/get?names=busybox&names=small:1")
    assert st == 200
    with tarfile.open(fileobj=io.BytesIO(both)) as t:
        assert [m["RepoTags"] for m in json.load(t.extractfile("manifest.json"))] == \
            [["busybox:latest"], ["small:1"]]
    assert e.json("GET", "/images/nosuch/get")[0] == 404
    assert e.json("GET", "/images/get?names=busybox&names=nosuch")[0] == 404
    # what we write, a fresh daemon loads to the same images
    d2 = Daemon(tmp_path / "two").start()
    try:
        assert sorted(loaded(d2.engine.load(both)[1])) == ["Loaded image: busybox:latest\n",
                                                           "Loaded image: small:1\n"]
        assert sorted(i["Id"] for i in images(d2.engine)) == sorted(i["Id"] for i in images(e))
    finally:
        d2.kill()


# ---- events
def test_events_history_and_filters(daemon):
    e = daemon.engine
    t0 = time.time()
    arch, iid = small_image("ev:1")
    loaded(e.load(arch)[1])
    e.request("POST", "/images/ev:1/tag?repo=ev2")
    e.request("DELETE", "/images/ev2")
    until = time.time() + 0.001
    st, h, body = e.request("GET", "/events?since=%f&until=%f" % (t0 - 1, until))
    assert st == 200
    evs = [json.loads(l) for l in body.decode().splitlines()]
    assert [(v["Type"], v["Action"]) for v in evs] == [("image", "load"), ("image", "tag"),
                                                       ("image", "tag"), ("image", "untag")]
    assert evs[0]["Actor"]["ID"] == "sha256:" + iid and evs[1]["Actor"]["Attributes"]["name"] == "ev:1"
    assert all(v["scope"] == "local" and v["timeNano"] // 10**9 == v["time"] for v in evs)
    f = {"event": ["tag"], "image": ["ev2"]}
    st, h, body = e.request("GET", "/events?since=%f&until=%f&filters=%s" % (t0 - 1, until, q(f)))
    assert [json.loads(l)["Actor"]["Attributes"]["name"] for l in body.decode().splitlines()] == ["ev2:latest"]
    assert e.json("GET", "/events?filters=%7Bbad")[0] == 400
    assert e.json("GET", "/events?filters=" + q({"nosuch": ["x"]}))[0] == 400
    assert e.json("GET", "/events?since=yesterday")[0] == 400
    # any Unix time is taken, however far ahead (Docker's too): no overflow into a 400
    st, h, body = e.request("GET", "/events?since=99999999999&until=1")
    assert st == 200 and body == b"", (st, body)


def test_events_live_stream(daemon):
    e = daemon.engine
    c = e.conn(timeout=10)
    c.request("GET", "/events?filters=" + q({"type": ["image"]}))
    r = c.getresponse()
    assert r.status == 200 and r.getheader("Transfer-Encoding") == "chunked"
    arch, iid = small_image("live:1")
    loaded(e.load(arch)[1])
    first = json.loads(r.readline())
    assert first["Action"] == "load" and first["id"] == "sha256:" + iid
    assert json.loads(r.readline())["Action"] == "tag"
    c.close()
    assert e.request("GET", "/_ping")[0] == 200   # the daemon got over the closed stream


# ---- bad HTTP and JSON
@pytest.mark.parametrize("raw", [b"GARBAGE\r\n\r\n", b"GET / HTTP/1.1\r\nNo colon here\r\n\r\n",
                                 b"POST /images/load HTTP/1.1\r\nContent-Length: x\r\n\r\n",
                                 b"GET /_ping HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"])
def test_malformed_http(daemon, raw):
    out = daemon.engine.raw(raw)
    head, _, body = out.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), out
    assert b"Connection: close" in head
    assert "malformed HTTP" in json.loads(body)["message"]
    assert daemon.alive() and daemon.engine.request("GET", "/_ping")[0] == 200


def test_malformed_path_and_json(daemon):
    e = daemon.engine
    assert e.raw(b"GET /images/%zz/json HTTP/1.1\r\nConnection: close\r\n\r\n").startswith(b"HTTP/1.1 400")
    st, body = e.json("GET", "/images/json?filters=%7Bnot%20json")
    assert st == 400 and "invalid filter" in body["message"]
    st, body = e.json("GET", "/images/json?filters=" + q({"nosuch": ["1"]}))
    assert st == 400 and "nosuch" in body["message"]
    st, body = e.json("GET", "/images/json?filters=" + q({"dangling": 1}))
    assert st == 400
    st, body = e.json("GET", "/images/json?filters=" + "x" * 5000)
    assert st == 400 and "too long" in body["message"]
    for bad in ("/images/json?filters=%zz", "/events?since=%00", "/images/get?names=%"):
        st, body = e.json("GET", bad)
        assert st == 400 and "malformed" in body["message"], bad
    loaded(e.load(small_image("x")[0])[1])
    st, body = e.json("POST", "/images/x/tag?repo=b&tag=%4")
    assert st == 400 and "'tag'" in body["message"]


def test_keepalive_and_pipelining(daemon):
    e = daemon.engine
    c = e.conn()
    for _ in range(3):
        c.request("GET", "/_ping")
        r = c.getresponse()
        assert r.status == 200 and r.read() == b"OK"
    c.close()
    out = e.raw(b"GET /_ping HTTP/1.1\r\n\r\nGET /version HTTP/1.1\r\n\r\n"
                b"GET /nosuch HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert out.count(b"HTTP/1.1 200 OK") == 2 and out.count(b"HTTP/1.1 404 ") == 1


def test_many_clients(daemon):
    socks = []
    for _ in range(50):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(daemon.sock)
        socks.append(s)
    assert daemon.engine.request("GET", "/_ping")[0] == 200
    for s in socks:
        s.close()


# ---- the store survives restarts and SIGKILL
def test_restart_keeps_store(tmp_path, busybox_tar):
    d = Daemon(tmp_path).start()
    loaded(d.engine.load(busybox_tar)[1])
    d.engine.request("POST", "/images/busybox/tag?repo=mine&tag=1")
    want = images(d.engine)
    d.kill(signal.SIGKILL)
    d.start()
    try:
        assert images(d.engine) == want
        assert d.engine.json("GET", "/images/mine:1/json")[0] == 200
    finally:
        d.kill()


def big_image(tag):
    data = hashlib.sha256(b"seed").digest() * (48 * 1024 * 1024 // 32)
    return docker_archive([layer_tar({"big": data, "etc/hello": b"payload\n"})], [tag], {"b": "1"})


@pytest.mark.parametrize("when", ["upload", "unpack"])
def test_sigkill_mid_load_loses_nothing(tmp_path, busybox_tar, when):
    d = Daemon(tmp_path).start()
    try:
        loaded(d.engine.load(busybox_tar)[1])
        want = images(d.engine)
        arch, _ = big_image("big:1")
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(d.sock)
        s.sendall(b"POST /images/load HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % len(arch))
        tmpdir = os.path.join(d.data, "tmp")
        if when == "upload":
            s.sendall(arch[:len(arch) // 2])
            deadline = time.time() + 10
            while not os.listdir(tmpdir) and time.time() < deadline:
                time.sleep(0.005)
        else:
            threading.Thread(target=lambda: s.sendall(arch), daemon=True).start()
            deadline = time.time() + 30
            while time.time() < deadline and not any(n.startswith("load-") for n in os.listdir(tmpdir)):
                time.sleep(0.002)
            assert any(n.startswith("load-") for n in os.listdir(tmpdir)), "the unpack was not seen"
        d.kill(signal.SIGKILL)
        s.close()
        d.start()
        assert images(d.engine) == want
        assert os.listdir(tmpdir) == []
        assert len(os.listdir(os.path.join(d.data, "blobs", "sha256"))) == 1
        # and the same load goes through afterwards
        st, msgs = d.engine.load(arch)
        assert loaded(msgs) == ["Loaded image: big:1\n"]
    finally:
        d.kill()


def children(pid):
    """The pids whose parent is pid."""
    out = []
    for n in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % n) as f:
                if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                    out.append(int(n))
        except (OSError, ValueError, IndexError):
            pass
    return out


def start_big_load(d, arch):
    """A client's load of arch, sent whole; returns its socket once the
    unpack has begun (a tmp/load-* folder)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(d.sock)
    s.sendall(b"POST /images/load HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(arch))
    threading.Thread(target=lambda: s.sendall(arch), daemon=True).start()
    tmpdir = os.path.join(d.data, "tmp")
    deadline = time.time() + 30
    while time.time() < deadline and not any(n.startswith("load-") for n in os.listdir(tmpdir)):
        time.sleep(0.002)
    assert any(n.startswith("load-") for n in os.listdir(tmpdir)), "the unpack was not seen"
    return s


def test_load_does_not_stall_the_daemon(tmp_path, busybox_tar):
    """The unpack runs in a child: stopped mid-unpack, it holds nobody up;
    let go, its image is committed and the client told."""
    d = Daemon(tmp_path).start()
    try:
        loaded(d.engine.load(busybox_tar)[1])
        arch, _ = big_image("big:1")
        s = start_big_load(d, arch)
        kids = children(d.proc.pid)
        assert kids, "no helper process"
        for k in kids:
            os.kill(k, signal.SIGSTOP)
        t0 = time.time()
        assert d.engine.request("GET", "/_ping")[0] == 200
        assert [t for i in images(d.engine) for t in i["RepoTags"]] == ["busybox:latest"]
        assert time.time() - t0 < 2
        for k in kids:
            os.kill(k, signal.SIGCONT)
        s.settimeout(60)
        got = b""
        while not got.endswith(b"0\r\n\r\n"):
            chunk = s.recv(65536)
            assert chunk, got
            got += chunk
        assert b"Loaded image: big:1" in got and b"Connection: close" in got, got
        assert sorted(t for i in images(d.engine) for t in i["RepoTags"]) == ["big:1", "busybox:latest"]
        assert [f for f in d.files() if f.startswith("tmp/")] == []
    finally:
        d.kill()


def test_load_client_gone_mid_unpack(tmp_path):
    """A client that leaves mid-unpack: nothing is stored, nothing staged is
    left behind, and the same load goes through afterwards."""
    d = Daemon(tmp_path).start()
    try:
        arch, _ = big_image("big:1")
        before = d.files()
        start_big_load(d, arch).close()
        deadline = time.time() + 60
        while time.time() < deadline and (d.files() != before or children(d.proc.pid)):
            time.sleep(0.1)
        assert d.files() == before
        assert loaded(d.engine.load(arch)[1]) == ["Loaded image: big:1\n"]
    finally:
        d.kill()


def test_boot_images_loaded_once(tmp_path, busybox_tar):
    boot = tmp_path / "boot"
    boot.mkdir()
    (boot / "busybox.tar").write_bytes(busybox_tar)
    (boot / "broken.tar").write_bytes(b"not an image")
    with open("/bin/true", "rb") as f:    # a program given as a module (the Docker CLI): left alone
        (boot / "docker").write_bytes(f.read())
    d = Daemon(tmp_path / "d", boot_images=str(boot)).start()
    try:
        assert [i["RepoTags"] for i in images(d.engine)] == [["busybox:latest"]]
        assert "broken.tar" in d.log_text() and "boot/docker" not in d.log_text()
        # a user's change survives the next start: the module is not loaded again
        iid = images(d.engine)[0]["Id"]
        assert d.engine.json("DELETE", "/images/busybox")[0] == 200
        d.engine.load(busybox_tar)
        d.engine.request("POST", "/images/busybox/tag?repo=kept")
        d.engine.request("DELETE", "/images/busybox:latest")
        d.kill(signal.SIGTERM)
        d.start()
        assert [i["RepoTags"] for i in images(d.engine)] == [["kept:latest"]]
        assert images(d.engine)[0]["Id"] == iid
    finally:
        d.kill()


def test_usage_errors(tmp_path):
    five = ["-H", "unix:///tmp/a"] * 5
    for args in (["-H", "http://1.2.3.4:2375"], ["--isolation", "vm"], ["--nosuch", "x"], ["-H"], five):
        r = subprocess.run([BULKHEADD] + args, capture_output=True, timeout=10)
        assert r.returncode == 2 and b"usage" in r.stderr
    for spec, msg in (("tcp://1.2.3.4:2375", b"cannot listen on tcp://1.2.3.4:2375: "),
                      ("tcp://127.0.0.1:0", b"bad TCP address"), ("tcp://localhost:2375", b"not a dotted IPv4"),
                      ("tcp://127.0.0.1", b"bad TCP address")):
        r = subprocess.run([BULKHEADD, "-H", spec], capture_output=True, timeout=10)
        assert r.returncode == 1 and msg in r.stderr, (spec, r.stderr)
    r = subprocess.run([BULKHEADD, "-H", "unix://" + str(tmp_path / "no" / "x" / ("y" * 120))],
                       capture_output=True, timeout=10)
    assert r.returncode == 1 and b"too long" in r.stderr


# ---- real clients
docker_cli = pytest.mark.skipif(not os.path.exists(DOCKER), reason="no Docker CLI on this machine")


def dock(d, *args, input=None):
    env = dict(os.environ, DOCKER_HOST="unix://" + d.sock, DOCKER_CONFIG=os.path.join(d.tmp, "dcfg"))
    return subprocess.run([DOCKER] + list(args), capture_output=True, text=True, env=env,
                          input=input, timeout=60)


@docker_cli
def test_docker_cli_tcp(tmp_path, busybox_tar):
    """-H tcp:// beside the Unix socket: the same engine on both."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    d = Daemon(tmp_path, hosts=[f"tcp://127.0.0.1:{port}"]).start()
    try:
        (tmp_path / "bb.tar").write_bytes(busybox_tar)
        env = dict(os.environ, DOCKER_HOST=f"tcp://127.0.0.1:{port}", DOCKER_CONFIG=str(tmp_path / "dcfg"))
        r = subprocess.run([DOCKER, "load", "-i", str(tmp_path / "bb.tar")], capture_output=True, text=True, env=env,
                           timeout=60)
        assert r.returncode == 0 and r.stdout == "Loaded image: busybox:latest\n", r
        assert [i["RepoTags"] for i in images(d.engine)] == [["busybox:latest"]]   # over the Unix socket
        assert f"unix://{d.sock} tcp://127.0.0.1:{port}" in d.log_text()
    finally:
        d.kill()


@docker_cli
def test_docker_cli(daemon, busybox_tar, tmp_path):
    r = dock(daemon, "version", "--format", "{{.Server.APIVersion}} {{.Server.Os}}")
    assert r.returncode == 0 and r.stdout.strip() == "1.44 linux", r.stderr
    path = tmp_path / "bb.tar"
    path.write_bytes(busybox_tar)
    r = dock(daemon, "load", "-i", str(path))
    assert r.returncode == 0 and "Loaded image: busybox:latest" in r.stdout, r.stderr
    r = dock(daemon, "images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}")
    assert r.returncode == 0 and r.stdout.startswith("busybox:latest "), r.stderr
    short = r.stdout.split()[1]
    assert dock(daemon, "tag", "busybox", "mine:2").returncode == 0
    r = dock(daemon, "image", "inspect", "--format", "{{.Id}} {{.Os}}", "mine:2")
    assert r.returncode == 0 and r.stdout.split()[0].startswith("sha256:" + short)
    r = dock(daemon, "save", "-o", str(tmp_path / "out.tar"), "mine:2")
    assert r.returncode == 0, r.stderr
    r = dock(daemon, "rmi", "mine:2", "busybox")
    assert r.returncode == 0 and "Deleted: sha256:" in r.stdout, r.stderr
    r = dock(daemon, "load", "-i", str(tmp_path / "out.tar"))
    assert r.returncode == 0 and "Loaded image: mine:2" in r.stdout, r.stderr
    r = dock(daemon, "rmi", "nosuch")
    assert r.returncode != 0 and "No such image: nosuch:latest" in r.stderr
    bad, _ = small_image("evil:1", tamper=True)
    (tmp_path / "bad.tar").write_bytes(bad)
    r = dock(daemon, "load", "-i", str(tmp_path / "bad.tar"))
    assert r.returncode != 0
    r = dock(daemon, "info", "--format", "{{.Images}} {{.Isolation}}")
    assert r.stdout.strip() == "1 process", r.stderr
    r = dock(daemon, "events", "--since", "0", "--until", str(int(time.time()) + 1),
             "--format", "{{.Type}} {{.Action}}")
    assert r.returncode == 0 and "image load" in r.stdout and "image untag" in r.stdout, r.stderr


def test_docker_py(daemon, busybox_tar):
    docker = pytest.importorskip("docker")
    client = docker.DockerClient(base_url="unix://" + daemon.sock, version="1.44")
    assert client.ping() is True
    assert client.version()["ApiVersion"] == "1.44"
    [img] = client.images.load(busybox_tar)
    assert img.tags == ["busybox:latest"]
    assert [i.tags for i in client.images.list()] == [["busybox:latest"]]
    assert client.images.get("busybox").attrs["Config"]["Cmd"] == ["sh"]
    with pytest.raises(docker.errors.ImageNotFound):
        client.images.get("nosuch")
    bad, _ = small_image("evil:1", tamper=True)
    with pytest.raises(docker.errors.ImageLoadError, match="sha256|digest"):
        client.images.load(bad)
    assert len(client.images.list()) == 1


def test_load_without_room_for_the_upload(daemon):
    """The upload cannot be stored (its folder is gone): 500 with the reason, nothing loaded."""
    shutil.rmtree(os.path.join(daemon.data, "tmp"))
    st, body = daemon.engine.json("POST", "/images/load", small_image("x")[0])
    assert st == 500 and "cannot store the request body" in body["message"]
    assert images(daemon.engine) == [] and daemon.alive()


def test_client_that_does_not_read(daemon):
    """Thousands of pipelined requests whose answers are never read: the
    daemon stops reading that client and serves the others."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(daemon.sock)
    s.setblocking(False)
    req = b"GET /version HTTP/1.1\r\n\r\n" * 1000
    sent = 0
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            sent += s.send(req)
        except BlockingIOError:
            break
    assert sent < 200 * len(req)   # it stopped reading well before 200,000 requests
    assert daemon.engine.request("GET", "/_ping")[0] == 200
    s.close()
    assert daemon.engine.request("GET", "/_ping")[0] == 200


@pytest.mark.parametrize("repo, familiar", [
    ("busybox", "busybox:latest"), ("library/busybox:1", "busybox:1"),
    ("docker.io/library/busybox", "busybox:latest"), ("docker.io/foo", "foo:latest"),
    ("a/b/c", "a/b/c:latest"), ("localhost/foo", "localhost/foo:latest"),
    ("localhost:5000/foo:v1.0_rc-2", "localhost:5000/foo:v1.0_rc-2"),
    ("Registry.Example.com/x", "Registry.Example.com/x:latest"),
    ("a__b", "a__b:latest"), ("a--b.c_d", "a--b.c_d:latest"),
    ("Foo", None), ("-x", None), ("x-", None), ("a___b", None), ("a..b", None), ("x:", None),
    ("x::y", None), (":tag", None), ("a//b", None), ("/a", None), ("a/", None), ("UPPER/x", None),
    ("x:" + "t" * 129, None), ("x@sha256:" + "0" * 64, "digest"), ("x@sha256:" + "0" * 63, None),
    ("x:1@sha256:" + "0" * 64, "digest"), ("host:port/x", None)])
def test_reference_grammar(daemon, repo, familiar):
    e = daemon.engine
    if not images(e):
        loaded(e.load(small_image("x")[0])[1])
    st, h, body = e.request("POST", "/images/x/tag?repo=" + urllib.parse.quote(repo))
    if familiar is None:
        assert st == 400 and b"invalid reference format" in body, (st, body)
    elif familiar == "digest":   # a valid reference, but a tag cannot be one (dockerd's words)
        assert st == 400 and b"refusing to create a tag with a digest reference" in body, (st, body)
    else:
        assert st == 201, body
        assert familiar in images(e)[0]["RepoTags"]


def test_mutated_requests(daemon):
    """Valid requests with bytes flipped, cut, repeated or inserted (seed 12,
    or BH_FUZZ_SEED): every one gets an answer or a close, and the daemon
    lives on."""
    import random
    rnd = random.Random(int(os.environ.get("BH_FUZZ_SEED", "12")))
    arch, _ = small_image("fz:1")
    seeds = [b"GET /_ping HTTP/1.1\r\nHost: x\r\n\r\n",
             b"GET /v1.44/images/json?filters=%7B%22dangling%22%3A%5B%22true%22%5D%7D HTTP/1.1\r\n\r\n",
             b"POST /images/fz:1/tag?repo=a&tag=b HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
             b"GET /events?since=0&until=1 HTTP/1.1\r\n\r\n",
             b"DELETE /images/a:b HTTP/1.1\r\n\r\n",
             b"POST /images/load HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n"
             % (len(arch), arch)]
    loaded(daemon.engine.load(arch)[1])
    for i in range(300):
        b = mutate(rnd, rnd.choice(seeds))
        out = daemon.engine.raw(bytes(b), timeout=10, half_close=True)
        assert out == b"" or out.startswith(b"HTTP/1.1 "), (i, bytes(b[:200]), out[:200])
        assert daemon.alive(), i
    assert daemon.engine.request("GET", "/_ping")[0] == 200
    assert daemon.engine.json("GET", "/images/json")[0] == 200


@pytest.mark.parametrize("members", [
    {"../../../escape-dotdot": b"payload"},
    {"/abs-escape": b"payload"},
    {"link/": None, "etc/": None},   # with a symlink to / below
])
def test_load_writes_nothing_outside_the_tree(daemon, members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        info = tarfile.TarInfo("up")
        info.type = tarfile.SYMTYPE
        info.linkname = "/"
        t.addfile(info)
        for path, data in members.items():
            info = tarfile.TarInfo("up/" + path if path == "link/" else path)
            if data is None:
                info.type = tarfile.DIRTYPE
                t.addfile(info)
            else:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo("up/escape-symlink")
        info.size = 7
        t.addfile(info, io.BytesIO(b"payload"))
    arch, iid = docker_archive([buf.getvalue()], ["evil:2"])
    before = set(os.listdir("/")) | set(os.listdir(daemon.tmp))
    st, msgs = daemon.engine.load(arch)
    assert st == 200 and daemon.alive()
    assert set(os.listdir("/")) | set(os.listdir(daemon.tmp)) == before
    for root in ("/", daemon.tmp, os.path.dirname(daemon.tmp)):
        for name in ("escape-dotdot", "abs-escape", "escape-symlink"):
            assert not os.path.exists(os.path.join(root, name))
    if "error" not in msgs[-1]:   # loaded: then only inside its own tree
        rootfs = os.path.join(daemon.data, "images", iid, "rootfs")
        assert os.path.islink(os.path.join(rootfs, "up"))
