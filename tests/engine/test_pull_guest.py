"""Image pull in the guest: bulkheadd in the host partition pulls through
QEMU's user network (10.0.2.2:PORT is the build machine's 127.0.0.1:PORT)
from Debian's docker-registry filled by skopeo, and from a registry that
misbehaves (tests/engine/registries.py), the registries named by
bulkhead.cfg's insecure-registries.  Through the API (apiclient on the
console) and the host shell's `bulkhead image pull`; then a container runs
from the pulled image.  One boot for all of them."""
import json
import os
import re
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "guest"))
from shell import Shell  # noqa: E402
from machine import ESP  # noqa: E402
from engine_client import ROOT, ConsoleEngine  # noqa: E402
from registries import DockerRegistry, FakeRegistry, pull_esp, sha  # noqa: E402

BUSYBOX_TAR = os.path.join(ROOT, "build", "esp", "busybox.tar")


@pytest.fixture(scope="module")
def booted(tmp_path_factory):
    reg = DockerRegistry(tmp_path_factory.mktemp("registry"))
    bad = FakeRegistry({"corrupt-blob"}, payload=b"a layer the store has not\n")
    tok = FakeRegistry({"token", "index"})
    s = None
    try:
        reg.push("docker-archive:" + BUSYBOX_TAR, "pulled/busybox:1")
        esp = pull_esp(ESP, os.path.join(os.path.dirname(ESP), "tests", "esp-pull"), [reg.port, bad.port, tok.port])
        s = Shell("pull", esp=esp, nic="virtio")
        s.run("sleep 2")   # the daemon loads busybox:latest at start
        yield s, reg, bad, tok
    finally:
        if s:
            s.close()
        for r in (reg, bad, tok):
            r.close()


def pull_api(sh, name, tag):
    st, _, body = ConsoleEngine(sh).request("POST", "/images/create?fromImage=%s&tag=%s" % (name, tag))
    return st, [json.loads(l) for l in body.decode().splitlines() if l.strip().startswith("{")]


def test_daemon_gets_the_registries(booted):
    sh, reg, bad, tok = booted
    assert ("insecure-registries 10.0.2.2:%d,10.0.2.2:%d,10.0.2.2:%d" % (reg.port, bad.port, tok.port)
            in sh.run("cat /proc/bulkhead"))
    args = sh.run("tr '\\0' ' ' < /proc/$(pidof bulkheadd)/cmdline")
    assert "--insecure-registry 10.0.2.2:%d --insecure-registry 10.0.2.2:%d" % (reg.port, bad.port) in args


def test_pull_through_the_api_and_run(booted):
    sh, reg, bad, tok = booted
    ref = "10.0.2.2:%d/pulled/busybox" % reg.port
    st, msgs = pull_api(sh, ref, "1")
    s = [m.get("status") or "error: " + m.get("error", "") for m in msgs]
    assert st == 200 and s[0] == "Pulling from pulled/busybox", s
    assert "Pull complete" in s and s[-1] == "Status: Downloaded newer image for %s:1" % ref, s
    assert ref + ":1" in sh.run("/tests/bin/apiclient GET /images/json")
    assert sh.run("ls /var/lib/bulkhead/tmp").strip() == ""
    out = sh.run("bulkhead container new p1 --image %s:1 -- sleep 600 && bulkhead container start p1" % ref)
    assert re.search(r"^[0-9a-f]{64}$", out, re.M) and "p1" in out, out
    assert "in-42" in sh.run("bulkhead enter p1 -- sh -c 'echo in-$((6*7))'")
    sh.run("bulkhead container rm -f p1")


def test_pull_from_the_host_shell(booted):
    sh, reg, bad, tok = booted
    ref = "10.0.2.2:%d/hostile/img:v1" % tok.port
    out = sh.run("bulkhead image pull %s; echo rc=$?" % ref, timeout=300)
    lines = out.splitlines()
    layer = sha(tok.layer)[7:19]
    assert "v1: Pulling from hostile/img" in lines, out
    lines = lines[lines.index("v1: Pulling from hostile/img"):]   # past the long line's echo
    assert lines[1:5] == [layer + ": Pulling fs layer", layer + ": Verifying Checksum",
                          layer + ": Download complete", layer + ": Pull complete"], out
    assert lines[5] == "Digest: " + sha(tok.tag_doc[0])
    assert lines[6:] == ["Status: Downloaded newer image for " + ref, ref, "rc=0"], out
    assert any(a for p, a in tok.requests if p.startswith("/v2/") and a)   # the bearer token was used
    out = sh.run("bulkhead image pull %s; echo rc=$?" % ref)
    assert "Status: Image is up to date for " + ref in out and "rc=0" in out


def test_corrupt_layer_is_refused_storing_nothing(booted):
    sh, reg, bad, tok = booted
    before = sh.run("ls /var/lib/bulkhead/images /var/lib/bulkhead/blobs/sha256; cat /var/lib/bulkhead/repositories.json")
    out = sh.run("bulkhead image pull 10.0.2.2:%d/hostile/img:v1; echo rc=$?" % bad.port)
    assert "bulkhead: image pull 10.0.2.2:%d/hostile/img:v1: blob %s: digest mismatch" % (
        bad.port, sha(bad.layer)) in out and "rc=1" in out, out
    assert sh.run("ls /var/lib/bulkhead/tmp").strip() == ""
    assert sh.run("ls /var/lib/bulkhead/images /var/lib/bulkhead/blobs/sha256; "
                  "cat /var/lib/bulkhead/repositories.json") == before
    st, _, body = ConsoleEngine(sh).request("POST", "/images/create?fromImage=10.0.2.3:5000/x&tag=v1")
    assert st == 500 and b"registry 10.0.2.3:5000 is not in insecure-registries" in body
