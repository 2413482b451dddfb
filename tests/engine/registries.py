"""Registries on the build machine's loopback for the pull's tests: Debian's
docker-registry (DockerRegistry, filled by skopeo), and FakeRegistry, a
small Registry HTTP API v2 for the pull's hostile cases (tests/engine/test_pull.py, and through QEMU's user
network from the guest): it serves one image, built in memory, as a
registry would, or with one thing wrong.

faults (a set): corrupt-blob (a byte of the layer changed, same size),
long-blob (the layer with bytes past its size), wrong-digest (a false
Docker-Content-Digest), big-manifest (a manifest past 4 MiB), zstd and
encrypted (the layer's media type), token (every /v2/ request needs a
bearer token from /token, which checks service and scope), index (the tag
names an image index whose first entry is linux/arm64), schema1 (a Docker
schema 1 manifest), https-realm (the token realm is https://), slow (the
layer comes after 2 s).  Setting tag_doc serves other bytes for the tag."""
import gzip
import hashlib
import http.server
import io
import json
import os
import re
import shutil
import socket
import subprocess
import tarfile
import threading
import time
import urllib.parse
import urllib.request

OCI = "application/vnd.oci.image."
TOKEN = "t0ken-for-pull"


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def tiny_image(payload=b"pulled payload\n"):
    """(config bytes, gzip layer bytes) of an image with /etc/hello."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        d = tarfile.TarInfo("etc")
        d.type, d.mode = tarfile.DIRTYPE, 0o755
        t.addfile(d)
        f = tarfile.TarInfo("etc/hello")
        f.size, f.mode = len(payload), 0o644
        t.addfile(f, io.BytesIO(payload))
    tar = buf.getvalue()
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "created": "2024-01-02T03:04:05Z",
                      "config": {"Cmd": ["cat", "/etc/hello"], "Env": ["PATH=/bin"]},
                      "rootfs": {"type": "layers", "diff_ids": [sha(tar)]}}).encode()
    return cfg, gzip.compress(tar, mtime=0)


class FakeRegistry:
    def __init__(self, faults=(), repo="hostile/img", tag="v1", payload=b"pulled payload\n"):
        self.faults = set(faults)
        self.repo, self.tag = repo, tag
        self.cfg, self.layer = tiny_image(payload)
        mt = OCI + "layer.v1.tar+gzip"
        if "zstd" in self.faults:
            mt = OCI + "layer.v1.tar+zstd"
        if "encrypted" in self.faults:
            mt = OCI + "layer.v1.tar+gzip+encrypted"
        man = {"schemaVersion": 2, "mediaType": OCI + "manifest.v1+json",
               "config": {"mediaType": OCI + "config.v1+json", "digest": sha(self.cfg), "size": len(self.cfg)},
               "layers": [{"mediaType": mt, "digest": sha(self.layer), "size": len(self.layer)}]}
        if "big-manifest" in self.faults:
            man["annotations"] = {"padding": "x" * (4 << 20)}
        if "schema1" in self.faults:
            man = {"schemaVersion": 1, "name": repo, "tag": tag, "fsLayers": [{"blobSum": sha(self.layer)}]}
        self.manifest = json.dumps(man).encode()
        self.manifest_mt = OCI + "manifest.v1+json"
        if "schema1" in self.faults:
            self.manifest_mt = "application/vnd.docker.distribution.manifest.v1+prettyjws"
        self.blobs = {sha(self.cfg): self.cfg, sha(self.layer): self.layer}
        self.docs = {sha(self.manifest): (self.manifest, self.manifest_mt)}
        self.tag_doc = (self.manifest, self.manifest_mt)
        if "index" in self.faults:
            other = json.dumps({"schemaVersion": 2, "mediaType": OCI + "manifest.v1+json",
                                "config": man["config"], "layers": []}).encode()
            self.docs[sha(other)] = (other, OCI + "manifest.v1+json")
            idx = {"schemaVersion": 2, "mediaType": OCI + "index.v1+json", "manifests": [
                {"mediaType": OCI + "manifest.v1+json", "digest": sha(other), "size": len(other),
                 "platform": {"os": "linux", "architecture": "arm64"}},
                {"mediaType": OCI + "manifest.v1+json", "digest": sha(self.manifest),
                 "size": len(self.manifest), "platform": {"os": "linux", "architecture": "amd64"}}]}
            b = json.dumps(idx).encode()
            self.tag_doc = (b, OCI + "index.v1+json")
        self.requests = []   # (path, Authorization) of each GET
        reg = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def send(self, status, body=b"", ctype="application/json", headers=()):
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                reg.requests.append((self.path, self.headers.get("Authorization")))
                u = urllib.parse.urlparse(self.path)
                if u.path == "/token":
                    q = urllib.parse.parse_qs(u.query)
                    ok = q.get("service") == ["fake"] and q.get("scope") == ["repository:%s:pull" % reg.repo]
                    return self.send(200 if ok else 400, json.dumps({"token": TOKEN} if ok else {}).encode())
                if "token" in reg.faults and self.headers.get("Authorization") != "Bearer " + TOKEN:
                    realm = "%s://%s/token" % ("https" if "https-realm" in reg.faults else "http",
                                               self.headers["Host"])
                    return self.send(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
                                     headers=[("WWW-Authenticate", 'Bearer realm="%s",service="fake",scope='
                                               '"repository:%s:pull"' % (realm, reg.repo))])
                pre = "/v2/%s/" % reg.repo
                if u.path.startswith(pre + "manifests/"):
                    ref = u.path[len(pre + "manifests/"):]
                    doc = reg.tag_doc if ref == reg.tag else reg.docs.get(ref)
                    if not doc:
                        return self.send(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}')
                    dg = sha(doc[0])
                    if "wrong-digest" in reg.faults:
                        dg = sha(b"something else")
                    return self.send(200, doc[0], doc[1], [("Docker-Content-Digest", dg)])
                if u.path.startswith(pre + "blobs/"):
                    dg = u.path[len(pre + "blobs/"):]
                    b = reg.blobs.get(dg)
                    if b is None:
                        return self.send(404, b'{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown"}]}')
                    if dg == sha(reg.layer) and "corrupt-blob" in reg.faults:
                        b = b[:100] + bytes([b[100] ^ 1]) + b[101:]
                    if dg == sha(reg.layer) and "slow" in reg.faults:
                        time.sleep(2)
                    if dg == sha(reg.layer) and "long-blob" in reg.faults:
                        b = b + b"\0" * 4096
                    return self.send(200, b, "application/octet-stream")
                self.send(404, b'{"errors":[{"code":"NAME_UNKNOWN","message":"unknown"}]}')

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class DockerRegistry:
    """Debian's docker-registry (distribution 2.8) on 127.0.0.1:PORT, its
    storage under tmp."""

    def __init__(self, tmp):
        self.port = free_port()
        tmp = str(tmp)
        cfg = os.path.join(tmp, "registry.yml")
        with open(cfg, "w") as f:
            f.write("version: 0.1\nlog: {level: error}\nstorage: {filesystem: {rootdirectory: %s}}\n"
                    "http: {addr: 127.0.0.1:%d}\n" % (os.path.join(tmp, "registry"), self.port))
        self.proc = subprocess.Popen(["docker-registry", "serve", cfg], stdout=subprocess.DEVNULL,
                                     stderr=open(os.path.join(tmp, "registry.log"), "a"))
        deadline = time.time() + 30
        while True:
            try:
                urllib.request.urlopen("http://127.0.0.1:%d/v2/" % self.port, timeout=2).read()
                break
            except OSError:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("docker-registry did not start")
                time.sleep(0.1)

    def push(self, source, name):
        """skopeo copy SOURCE (docker-archive:PATH, oci:DIR:TAG) to NAME on it."""
        subprocess.run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false", source,
                        "docker://127.0.0.1:%d/%s" % (self.port, name)], check=True)

    def close(self):
        self.proc.kill()
        self.proc.wait()


def pull_esp(esp_src, esp, ports):
    """A copy of build/esp at esp whose bulkhead.cfg names the registries on
    the build machine's ports (10.0.2.2:PORT through QEMU's user network)
    insecure, with the static address QEMU's DHCP would give (no wait)."""
    shutil.rmtree(esp, ignore_errors=True)
    shutil.copytree(esp_src, esp)
    cfg = os.path.join(esp, "bulkhead.cfg")
    with open(cfg) as f:
        text = re.sub(r"^net = .*$", "net = 10.0.2.15/24,10.0.2.2", f.read(), flags=re.M)
    with open(cfg, "w") as f:
        f.write(text + "insecure-registries = %s\n" % ", ".join("10.0.2.2:%d" % p for p in ports))
    return esp
