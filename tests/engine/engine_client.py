"""Test client for bulkheadd, the engine daemon (engine/): HTTP/1.1 over a
Unix socket with the standard library, plus builders of small images and a
handle on a daemon started on the build machine.

The checks in test_engine.py talk only to an Engine (request/json/raw), so
the same checks can later run against the daemon inside the guest by giving
them an Engine whose transport goes over the guest's console instead.
"""
import gzip
import hashlib
import http.client
import io
import json
import os
import re
import signal
import socket
import subprocess
import tarfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# BH_BULKHEADD: another build of the daemon (e.g. with ASan) for the same tests.
BULKHEADD = os.environ.get("BH_BULKHEADD") or os.path.join(ROOT, "build", "engine", "bulkheadd")


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over an AF_UNIX stream socket."""

    def __init__(self, path, timeout=60):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect(self.unix_path)
        self.sock = s


class Engine:
    """One client of the Engine API on a Unix socket."""

    def __init__(self, sock_path):
        self.sock_path = sock_path

    def conn(self, timeout=60):
        return UnixHTTPConnection(self.sock_path, timeout)

    def request(self, method, path, body=None, headers=None):
        """Returns (status, headers as a dict with lower-case names, body bytes)."""
        c = self.conn()
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            c.close()

    def json(self, method, path, body=None, headers=None):
        status, hdrs, data = self.request(method, path, body, headers)
        return status, (json.loads(data) if data.strip() else None)

    def load(self, archive_bytes):
        """POST /images/load: returns the status and the message stream's objects."""
        status, _, data = self.request("POST", "/images/load", archive_bytes,
                                       {"Content-Type": "application/x-tar"})
        return status, [json.loads(l) for l in data.decode().splitlines() if l.strip()]

    def raw(self, data, timeout=5, half_close=False):
        """Sends bytes as they are and returns all the daemon answers until it
        closes; half_close: then says it sends nothing more (shutdown)."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        s.connect(self.sock_path)
        s.sendall(data)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        out = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except socket.timeout:
            pass
        s.close()
        return out


class ConsoleEngine:
    """The same client's request/json through the guest's console: the
    shell (tests/guest/shell.py's Shell) runs apiclient (tests/guest/sys/
    apiclient.c) on the guest's /var/run/docker.sock.  Bodies must be text
    (they pass through the shell's single quotes); apiclient reports only the
    Content-Type, Connection and Upgrade headers."""
    binary = False

    def __init__(self, shell, apiclient="/tests/bin/apiclient"):
        self.sh = shell
        self.apiclient = apiclient

    def request(self, method, path, body=None, headers=None, opts=""):
        if isinstance(body, bytes):
            body = body.decode()
        q = lambda s: "'" + s.replace("'", "'\\''") + "'"  # noqa: E731
        line = f"{self.apiclient} {opts} {method} {q(path)}" + (f" {q(body)}" if body is not None else "")
        out = self.sh.run(line, timeout=120)
        m = re.search(r"^STATUS (\d+)\n(.*?)\n\n(.*)", out, re.S | re.M)
        assert m, out
        hdrs = dict(l.split(": ", 1) for l in m.group(2).splitlines() if ": " in l)
        return int(m.group(1)), {k.lower(): v for k, v in hdrs.items()}, m.group(3).encode()

    def json(self, method, path, body=None, headers=None):
        status, hdrs, data = self.request(method, path, body, headers)
        return status, (json.loads(data) if data.strip() else None)


class Daemon:
    """bulkheadd on the build machine with its own socket and data root."""

    def __init__(self, tmp, isolation=None, boot_images=None, args=(), hosts=()):
        """args: more daemon arguments; hosts: more -H endpoints (tcp://ADDR:PORT) beside the Unix socket."""
        self.hosts = list(hosts)
        self.tmp = str(tmp)
        os.makedirs(self.tmp, exist_ok=True)
        self.sock = os.path.join(self.tmp, "docker.sock")
        self.data = os.path.join(self.tmp, "data")
        self.log = os.path.join(self.tmp, "bulkheadd.log")
        self.boot = boot_images or os.path.join(self.tmp, "boot-images")
        self.isolation = isolation
        self.args = list(args)
        self.proc = None
        self.engine = Engine(self.sock)

    def start(self):
        args = [BULKHEADD, "-H", "unix://" + self.sock, "--data-root", self.data,
                "--boot-images", self.boot]
        if self.isolation:
            args += ["--isolation", self.isolation]
        args += self.args
        for h in self.hosts:
            args += ["-H", h]
        self.proc = subprocess.Popen(args, stderr=open(self.log, "a"))
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("bulkheadd exited %d: %s" % (self.proc.returncode, self.log_text()))
            try:
                if self.engine.request("GET", "/_ping")[0] == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError("bulkheadd did not answer: " + self.log_text())

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(10)
        # Under ASan/UBSan (BH_BULKHEADD), what they found is in the log.
        log = self.log_text()
        assert "Sanitizer" not in log and "runtime error" not in log, log

    def alive(self):
        return self.proc.poll() is None

    def log_text(self):
        with open(self.log) as f:
            return f.read()

    def files(self):
        """Every path under the data root (relative), for before/after comparisons."""
        out = set()
        for d, dirs, files in os.walk(self.data):
            for n in dirs + files:
                out.add(os.path.relpath(os.path.join(d, n), self.data))
        return out


# ---- images built in memory: docker-archive tarballs of our own making
def mutate(rnd, seed):
    """A request with 1 to 4 random edits (a byte changed, bytes cut, bytes
    put in, a run repeated), for the daemon's bad-input tests."""
    b = bytearray(seed)
    for _ in range(rnd.randint(1, 4)):
        k = rnd.randrange(len(b))
        op = rnd.randrange(4)
        if op == 0:
            b[k] = rnd.randrange(256)
        elif op == 1:
            del b[k:k + rnd.randint(1, 16)]
        elif op == 2:
            b[k:k] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 8)))
        else:
            b[k:k] = b[k:k + rnd.randint(1, 64)] * rnd.randint(2, 50)
    return b


def layer_tar(files):
    """files: {path: bytes (a file) | None (a folder)} -> the bytes of a tar layer."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for path, data in files.items():
            info = tarfile.TarInfo(path)
            info.mtime = 0
            if data is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                t.addfile(info)
            else:
                info.size = len(data)
                info.mode = 0o644
                t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def image_config(layers, labels=None, cmd=("sh",)):
    cfg = {"architecture": "amd64", "os": "linux", "created": "2024-01-02T03:04:05Z",
           "config": {"Cmd": list(cmd), "Env": ["PATH=/bin"], "Labels": labels or {}},
           "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha256(l) for l in layers]}}
    return json.dumps(cfg, sort_keys=True).encode()


def docker_archive(layers, tags=(), labels=None, tamper=False, gzip_layers=False):
    """A docker-archive (docker save's format) of one image; tamper changes a
    byte of the last layer after its digest was recorded.  Returns
    (archive bytes, image id hex)."""
    cfg = image_config(layers, labels)
    cid = sha256(cfg)
    buf = io.BytesIO()
    names = []

    def add(name, data):
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mtime = 0
        t.addfile(info, io.BytesIO(data))

    with tarfile.open(fileobj=buf, mode="w") as t:
        add(cid + ".json", cfg)
        for i, l in enumerate(layers):
            data = l
            if tamper and i == len(layers) - 1:
                k = data.index(b"payload")
                data = data[:k] + b"P" + data[k + 1:]
            if gzip_layers:
                data = gzip.compress(data, mtime=0)
            name = "%s/layer.tar" % sha256(l)
            names.append(name)
            add(name, data)
        add("manifest.json", json.dumps([{"Config": cid + ".json", "RepoTags": list(tags) or None,
                                          "Layers": names}]).encode())
    return buf.getvalue(), cid


def small_image(tag=None, label="x", payload=b"payload 1\n", tamper=False):
    layer = layer_tar({"etc/": None, "etc/hello": payload})
    return docker_archive([layer], [tag] if tag else [], {"t": label}, tamper)


def oci_archive(tmp, files):
    """An OCI-layout tarball made by umoci (gzip layers, index ref "latest")."""
    img = os.path.join(tmp, "oci-img")
    bundle = os.path.join(tmp, "oci-bundle")
    run = lambda *a: subprocess.run(a, check=True, capture_output=True)
    run("umoci", "init", "--layout", img)
    run("umoci", "new", "--image", img + ":latest")
    run("umoci", "unpack", "--rootless", "--image", img + ":latest", bundle)
    for path, data in files.items():
        p = os.path.join(bundle, "rootfs", path)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
    run("umoci", "repack", "--image", img + ":latest", bundle)
    run("umoci", "config", "--image", img + ":latest", "--config.cmd", "/bin/sh")
    out = os.path.join(tmp, "oci.tar")
    run("tar", "-C", img, "-cf", out, ".")
    with open(out, "rb") as f:
        return f.read()


def with_manifest_json(oci_tar, tags):
    """What `docker save` writes since Docker 25: the OCI layout plus a
    docker-archive manifest.json naming the same blobs."""
    src = tarfile.open(fileobj=io.BytesIO(oci_tar))
    index = json.load(src.extractfile("./index.json"))
    desc = index["manifests"][0]["digest"].split(":")[1]
    man = json.load(src.extractfile("./blobs/sha256/" + desc))
    entry = [{"Config": "blobs/sha256/" + man["config"]["digest"].split(":")[1],
              "RepoTags": list(tags),
              "Layers": ["blobs/sha256/" + l["digest"].split(":")[1] for l in man["layers"]]}]
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as t:
        for m in src.getmembers():
            t.addfile(m, src.extractfile(m) if m.isfile() else None)
        data = json.dumps(entry).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    return out.getvalue()
