"""Image pull (POST /images/create, engine/pull.c and registry.c) with
bulkheadd on the build machine: from Debian's docker-registry filled by
skopeo (Docker schema 2 and OCI manifests), through the Docker CLI, and
from a registry that misbehaves (tests/engine/registries.py): every refusal
is a clear message in the stream and leaves the data root as it was."""
import json
import os
import shutil
import socket
import subprocess
import urllib.request
import time

import pytest

from engine_client import BULKHEADD, ROOT, Daemon
from registries import DockerRegistry, FakeRegistry, TOKEN, sha

BUSYBOX_TAR = os.path.join(ROOT, "build", "esp", "busybox.tar")
DOCKER = shutil.which("docker") or "/usr/local/bin/docker"

pytestmark = pytest.mark.skipif(not os.path.exists(BULKHEADD), reason="build/engine/bulkheadd not built")


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("registry")
    r = DockerRegistry(tmp)
    r.push("docker-archive:" + BUSYBOX_TAR, "busybox:latest")
    oci = str(tmp / "oci")
    subprocess.run(["skopeo", "copy", "--quiet", "docker-archive:" + BUSYBOX_TAR, "oci:%s:latest" % oci], check=True)
    r.push("oci:%s:latest" % oci, "oci/busybox:1.0")
    yield r
    r.close()


def daemon_for(tmp, *registries):
    args = []
    for r in registries:
        args += ["--insecure-registry", "127.0.0.1:%d" % r.port]
    return Daemon(tmp, args=args).start()


def pull(e, name, tag):
    st, h, body = e.request("POST", "/images/create?fromImage=%s&tag=%s" % (name, tag))
    msgs = [json.loads(l) for l in body.decode().splitlines() if l.strip()]
    return st, msgs


def statuses(msgs):
    return [m.get("status") or "error: " + m["error"] for m in msgs]


def registry_config_digest(registry, name, tag):
    """The config digest the registry's manifest names (asked directly)."""
    req = urllib.request.Request("http://127.0.0.1:%d/v2/%s/manifests/%s" % (registry.port, name, tag), headers={
        "Accept": "application/vnd.oci.image.manifest.v1+json, "
                  "application/vnd.docker.distribution.manifest.v2+json"})
    return json.load(urllib.request.urlopen(req, timeout=10))["config"]["digest"]


def stored(d):
    """The data root's images, blobs and staging files."""
    return sorted(f for f in d.files() if f.startswith(("images/", "blobs/sha256/", "tmp/")))


@pytest.mark.parametrize("name", ["busybox", "oci/busybox"])
def test_pull_from_docker_registry(tmp_path, registry, name):
    d = daemon_for(tmp_path, registry)
    try:
        e = d.engine
        ref = "127.0.0.1:%d/%s" % (registry.port, name)
        tag = "latest" if name == "busybox" else "1.0"
        st, msgs = pull(e, ref, tag)
        assert st == 200
        s = statuses(msgs)
        assert s[0] == "Pulling from " + name and msgs[0]["id"] == tag
        layer = msgs[1]["id"]
        assert s[1] == "Pulling fs layer" and len(layer) == 12
        dl = [m for m in msgs if m.get("status") == "Downloading"]
        assert dl and dl[-1]["progressDetail"]["current"] == dl[-1]["progressDetail"]["total"] > 0
        assert dl[-1]["progress"].startswith("[" + "=" * 50 + ">]")
        tail = [x for x in s if x != "Downloading"]
        assert tail[2:] == ["Verifying Checksum", "Download complete", "Pull complete", tail[5],
                            "Status: Downloaded newer image for %s:%s" % (ref, tag)], s
        assert tail[5].startswith("Digest: sha256:") and len(tail[5]) == 79
        # The image is the one pushed: its ID is the config's digest.
        st, im = e.json("GET", "/images/%s:%s/json" % (ref, tag))
        assert st == 200 and im["Id"] == registry_config_digest(registry, name, tag)
        assert im["RepoTags"] == ["%s:%s" % (ref, tag)]
        assert im["RepoDigests"] == ["%s@%s" % (ref, tail[5][8:])], im   # the manifest's digest
        assert not [f for f in d.files() if f.startswith("tmp/")]
        # Again: the layer is there already, the tag points at the image.
        st, msgs = pull(e, ref, tag)
        s = statuses(msgs)
        assert s[1] == "Already exists" and msgs[1]["id"] == layer
        assert s[-1] == "Status: Image is up to date for %s:%s" % (ref, tag), s
        assert s[-2] == tail[5]
    finally:
        d.kill()


def test_docker_cli_pull(tmp_path, registry):
    d = daemon_for(tmp_path, registry)
    try:
        env = dict(os.environ, DOCKER_HOST="unix://" + d.sock)
        ref = "127.0.0.1:%d/busybox" % registry.port
        r = subprocess.run([DOCKER, "pull", ref], env=env, capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        out = r.stdout.splitlines()
        assert out[0] == "Using default tag: latest"
        assert out[1] == "latest: Pulling from busybox"
        layer = out[2].split(":")[0]
        assert out[2:6] == [layer + ": Pulling fs layer", layer + ": Verifying Checksum",
                            layer + ": Download complete", layer + ": Pull complete"]
        assert out[6].startswith("Digest: sha256:")
        assert out[7:] == ["Status: Downloaded newer image for %s:latest" % ref, ref + ":latest"]
        r = subprocess.run([DOCKER, "images", "--format", "{{.Repository}}:{{.Tag}}"], env=env,
                           capture_output=True, text=True, timeout=60)
        assert r.stdout.split() == [ref + ":latest"]
        r = subprocess.run([DOCKER, "pull", ref + ":nosuch"], env=env, capture_output=True, text=True,
                           timeout=60)
        assert r.returncode == 1
        assert "manifest for %s:nosuch not found: MANIFEST_UNKNOWN: manifest unknown" % ref in r.stderr
    finally:
        d.kill()


def manifest_digest(registry, name, tag):
    req = urllib.request.Request("http://127.0.0.1:%d/v2/%s/manifests/%s" % (registry.port, name, tag), method="HEAD",
                                 headers={"Accept": "application/vnd.oci.image.manifest.v1+json, "
                                          "application/vnd.docker.distribution.manifest.v2+json"})
    return urllib.request.urlopen(req, timeout=10).headers["Docker-Content-Digest"]


def test_pull_by_digest(tmp_path, registry):
    """docker pull NAME@sha256:...: the manifest fetched by its digest, the
    image stored untagged with RepoDigests; a later tag pull adds the tag,
    and rmi of that tag takes the digest too, as dockerd."""
    d = daemon_for(tmp_path, registry)
    try:
        e = d.engine
        ref = "127.0.0.1:%d/busybox" % registry.port
        dg = manifest_digest(registry, "busybox", "latest")
        st, msgs = pull(e, ref, dg)   # the CLI's form: tag=sha256:...
        s = statuses(msgs)
        assert st == 200 and s[0] == "Pulling from busybox" and msgs[0]["id"] == dg, msgs
        assert s[-2:] == ["Digest: " + dg, "Status: Downloaded newer image for %s@%s" % (ref, dg)], s
        st, im = e.json("GET", "/images/%s@%s/json" % (ref, dg))
        assert st == 200 and im["RepoTags"] == [] and im["RepoDigests"] == ["%s@%s" % (ref, dg)], im
        assert im["Id"] == registry_config_digest(registry, "busybox", "latest")
        [li] = e.json("GET", "/images/json")[1]
        assert li["RepoTags"] == [] and li["RepoDigests"] == ["%s@%s" % (ref, dg)], li
        assert e.json("GET", "/images/json?filters=%7B%22dangling%22%3A%5B%22true%22%5D%7D")[1] == []
        st, h, body = e.request("POST", "/images/create?fromImage=%s@%s" % (ref, dg))
        assert json.loads(body.decode().splitlines()[-1])["status"] == \
            "Status: Image is up to date for %s@%s" % (ref, dg)
        # a digest the registry does not have; one whose bytes are not it
        st, msgs = pull(e, ref, "sha256:" + "0" * 64)
        assert msgs[-1]["error"].startswith("manifest for %s@sha256:%s not found: MANIFEST_UNKNOWN" % (ref, "0" * 64))
        # a container made from the digest reference; a tag refused
        st, c = e.json("POST", "/containers/create", json.dumps({"Image": "%s@%s" % (ref, dg), "Cmd": ["true"]}),
                       {"Content-Type": "application/json"})
        assert st == 201, c
        assert e.request("DELETE", "/containers/" + c["Id"])[0] == 204
        st, body = e.json("POST", "/images/%s@%s/tag?repo=x&tag=%s" % (ref, dg, dg))
        assert st == 400, body
        st, body = e.json("POST", "/images/%s@%s/tag?repo=x@%s" % (ref, dg, dg))
        assert st == 400 and body["message"] == "refusing to create a tag with a digest reference", body
        # the same image by tag: both references; rmi of the tag takes both
        st, msgs = pull(e, ref, "latest")
        assert statuses(msgs)[-1] == "Status: Downloaded newer image for %s:latest" % ref, msgs
        im = e.json("GET", "/images/%s:latest/json" % ref)[1]
        assert im["RepoTags"] == [ref + ":latest"] and im["RepoDigests"] == ["%s@%s" % (ref, dg)], im
        # present by tag and digest: a digest pull changes nothing, as dockerd says
        st, msgs = pull(e, ref, dg)
        assert statuses(msgs)[-1] == "Status: Image is up to date for %s@%s" % (ref, dg), msgs
        st, out = e.json("DELETE", "/images/%s:latest" % ref)
        assert st == 200 and out == [{"Untagged": ref + ":latest"}, {"Untagged": "%s@%s" % (ref, dg)},
                                     {"Deleted": im["Id"]}], out
        # the Docker CLI's pull by digest
        env = dict(os.environ, DOCKER_HOST="unix://" + d.sock)
        r = subprocess.run([DOCKER, "pull", "%s@%s" % (ref, dg)], env=env, capture_output=True, text=True,
                           timeout=120)
        assert r.returncode == 0 and r.stdout.splitlines()[-1] == "%s@%s" % (ref, dg), r
        assert r.stdout.splitlines()[0] == dg + ": Pulling from busybox", r.stdout
        r = subprocess.run([DOCKER, "images", "--digests", "--format", "{{.Repository}} {{.Tag}} {{.Digest}}"],
                           env=env, capture_output=True, text=True, timeout=60)
        assert r.stdout.split() == [ref, "<none>", dg], r
    finally:
        d.kill()


def test_pull_by_digest_checks_the_bytes(tmp_path):
    """A registry that answers a digest with another manifest: refused, nothing stored."""
    reg = FakeRegistry()
    false = "sha256:" + "1" * 64
    reg.docs[false] = reg.tag_doc
    d = daemon_for(tmp_path, reg)
    try:
        st, msgs = pull(d.engine, "127.0.0.1:%d/hostile/img" % reg.port, false)
        assert msgs[-1]["error"] == "manifest hostile/img@%s: digest mismatch: its bytes are %s" % (
            false, sha(reg.tag_doc[0])), msgs
        assert stored(d) == [] and d.engine.json("GET", "/images/json")[1] == []
    finally:
        d.kill()
        reg.close()


def test_token_challenge_and_index(tmp_path):
    reg = FakeRegistry({"token", "index"})
    d = daemon_for(tmp_path, reg)
    try:
        st, msgs = pull(d.engine, "127.0.0.1:%d/hostile/img" % reg.port, "v1")
        s = statuses(msgs)
        assert s[-1] == "Status: Downloaded newer image for 127.0.0.1:%d/hostile/img:v1" % reg.port, s
        # The index's digest is the one reported; its amd64 manifest was fetched.
        idx = sha(reg.tag_doc[0])
        assert "Digest: " + idx in s
        paths = [p for p, _ in reg.requests]
        assert "/v2/hostile/img/manifests/" + sha(reg.manifest) in paths
        assert any(p.startswith("/token?service=fake&scope=repository%3Ahostile%2Fimg%3Apull") for p in paths)
        assert all(a == "Bearer " + TOKEN for p, a in reg.requests[2:] if p.startswith("/v2/")), reg.requests
        st, im = d.engine.json("GET", "/images/127.0.0.1:%d/hostile/img:v1/json" % reg.port)
        assert im["Id"] == sha(reg.cfg)
        with open(os.path.join(d.data, "images", reg.cfg and sha(reg.cfg)[7:], "rootfs", "etc", "hello")) as f:
            assert f.read() == "pulled payload\n"
    finally:
        d.kill()
        reg.close()


HOSTILE = [
    ("corrupt-blob", "digest mismatch: its bytes are sha256:"),
    ("long-blob", "larger than the %d bytes its descriptor says, refused"),
    ("wrong-digest", "digest mismatch: the registry says sha256:"),
    ("big-manifest", "larger than 4194304 bytes, refused"),
    ("zstd", "zstd-compressed layers are not supported (gzip or plain tar only): "
             "'application/vnd.oci.image.layer.v1.tar+zstd'"),
    ("encrypted", "encrypted layers are not supported"),
    ("schema1", "unsupported manifest media type 'application/vnd.docker.distribution.manifest.v1+prettyjws' "
                "(Docker schema 1)"),
    ("https-realm", "Bulkhead has no TLS"),
]


@pytest.mark.parametrize("fault,message", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_registry_stores_nothing(tmp_path, fault, message):
    reg = FakeRegistry({fault, "token"} if fault == "https-realm" else {fault})
    d = daemon_for(tmp_path, reg)
    try:
        before = stored(d)
        st, msgs = pull(d.engine, "127.0.0.1:%d/hostile/img" % reg.port, "v1")
        assert st == 200
        err = msgs[-1]
        assert "error" in err and err["errorDetail"]["message"] == err["error"], msgs
        if "%d" in message:
            message = message % len(reg.layer)
        assert message in err["error"], err
        assert not [m for m in msgs if m.get("status", "").startswith(("Status:", "Pull complete"))]
        assert stored(d) == before == []
        assert d.engine.json("GET", "/images/json") == (200, [])
        assert d.alive()
    finally:
        d.kill()
        reg.close()


def test_refused_requests(tmp_path):
    reg = FakeRegistry()
    d = daemon_for(tmp_path, reg)
    try:
        e = d.engine
        st, body = e.json("POST", "/images/create?fromImage=127.0.0.2:5000/x&tag=latest")
        assert st == 500 and body["message"] == (
            "registry 127.0.0.2:5000 is not in insecure-registries (bulkhead.cfg): Bulkhead has no TLS "
            "and pulls only from plain-HTTP registries named there")
        st, body = e.json("POST", "/images/create?fromImage=busybox")
        assert st == 500 and "registry docker.io is not in insecure-registries" in body["message"]
        assert e.json("POST", "/images/create?tag=latest") == (400, {"message": "fromImage is required"})
        for q in ("fromImage=127.0.0.1:%d/a&tag=sha256:%s" % (reg.port, "0" * 63),
                  "fromImage=127.0.0.1:%d/a&tag=sha256:%s" % (reg.port, "A" * 64),
                  "fromImage=127.0.0.1:%d/a@md5:%s" % (reg.port, "0" * 32),
                  "fromImage=127.0.0.1:%d/a@sha256:%s&tag=latest" % (reg.port, "0" * 64)):
            st, body = e.json("POST", "/images/create?" + q)
            assert st == 400 and "invalid reference format" in body["message"], (q, body)
        st, body = e.json("POST", "/images/create?fromImage=Bad/Name")
        assert st == 400 and "invalid reference format" in body["message"]
        st, body = e.json("POST", "/images/create?fromSrc=-")
        assert st == 501
        st, msgs = pull(e, "127.0.0.1:%d/hostile/nosuch" % reg.port, "v1")
        assert msgs[-1]["error"] == ("manifest for 127.0.0.1:%d/hostile/nosuch:v1 not found: "
                                     "NAME_UNKNOWN: unknown" % reg.port)
        assert stored(d) == []
    finally:
        d.kill()
        reg.close()


def start_pull(d, reg):
    """A client's pull of reg's hostile/img:v1, left on its way (half a
    second in); returns its socket."""
    s = socket.socket(socket.AF_UNIX)
    s.connect(d.sock)
    s.sendall(b"POST /images/create?fromImage=127.0.0.1:%d/hostile/img&tag=v1 HTTP/1.1\r\nHost: x\r\n\r\n"
              % reg.port)
    time.sleep(0.5)
    return s


def test_pull_does_not_stall_the_daemon(tmp_path):
    """The network work is in its own process: the API answers meanwhile,
    and a client that leaves mid-pull leaves nothing behind."""
    reg = FakeRegistry({"slow"})
    d = daemon_for(tmp_path, reg)
    try:
        s = start_pull(d, reg)
        t0 = time.time()
        assert d.engine.request("GET", "/_ping")[0] == 200
        assert time.time() - t0 < 1
        assert [f for f in d.files() if f.startswith("tmp/pull-")]
        s.close()   # gone while the layer is on its way
        deadline = time.time() + 10
        while stored(d) and time.time() < deadline:
            time.sleep(0.2)
        assert stored(d) == []
        assert d.alive()
    finally:
        d.kill()
        reg.close()


def pulls_of(d):
    """The pids of d's bulkhead-pull processes (by their command line)."""
    out = []
    for n in os.listdir("/proc"):
        try:
            with open("/proc/%s/cmdline" % n, "rb") as f:
                argv = f.read().split(b"\0")
        except OSError:
            continue
        if argv[0].endswith(b"bulkhead-pull") and any(d.data.encode() in a for a in argv):
            out.append(int(n))
    return out


def test_daemon_killed_mid_pull(tmp_path):
    """SIGKILL while a pull is on its way: the restarted daemon has nothing
    of it, and pulls it whole."""
    reg = FakeRegistry({"slow"})
    d = daemon_for(tmp_path, reg)
    try:
        s = start_pull(d, reg)
        assert pulls_of(d), "no bulkhead-pull running"
        d.kill()
        # bulkhead-pull dies with the daemon (PR_SET_PDEATHSIG), though its
        # layer is still 1.5 s away
        deadline = time.time() + 0.5
        while pulls_of(d) and time.time() < deadline:
            time.sleep(0.02)
        assert pulls_of(d) == []
        s.close()
        d.start()
        assert stored(d) == []
        reg.faults.discard("slow")
        st, msgs = pull(d.engine, "127.0.0.1:%d/hostile/img" % reg.port, "v1")
        assert msgs[-1]["status"].startswith("Status: Downloaded newer image"), msgs
        assert not [f for f in d.files() if f.startswith("tmp/")]
    finally:
        d.kill()
        reg.close()


def test_mutated_manifests(tmp_path):
    """80 manifests with random edits (engine_client.mutate) served for the
    tag: each pull ends with an error or the image, the daemon lives, and a
    refused one stores nothing."""
    import random
    from engine_client import mutate
    reg = FakeRegistry()
    d = daemon_for(tmp_path, reg)
    rnd = random.Random(16)
    stored_ok = None   # what a pull that got through left
    try:
        for i in range(80):
            reg.tag_doc = (bytes(mutate(rnd, reg.manifest)), reg.manifest_mt)
            st, msgs = pull(d.engine, "127.0.0.1:%d/hostile/img" % reg.port, "v1")
            assert st == 200 and msgs, (i, reg.tag_doc)
            last = msgs[-1]
            if "error" in last:
                assert stored(d) in ([], stored_ok), (i, last)
            else:
                assert last["status"].startswith("Status: "), (i, msgs)
                stored_ok = stored(d)
            assert d.alive()
    finally:
        d.kill()
        reg.close()
