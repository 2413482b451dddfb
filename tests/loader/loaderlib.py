"""Helpers for the loader tests and benchmark: build OCI layouts (with umoci,
or by hand for layers umoci would never write), write tar layers with
Python's tarfile, run bhimage and umoci, and describe a tree so two unpacked
roots can be compared (names, types, modes, owners, sizes, content hashes,
link targets, hard-link groups)."""
import gzip
import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import tarfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BHIMAGE = os.path.join(ROOT, "build", "tools", "bhimage")
BUSYBOX = "/bin/busybox"

GZIP_MT = "application/vnd.oci.image.layer.v1.tar+gzip"
TAR_MT = "application/vnd.oci.image.layer.v1.tar"
ZSTD_MT = "application/vnd.oci.image.layer.v1.tar+zstd"


def run(cmd, check=True, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if check and r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s%s" % (cmd, r.returncode, r.stdout, r.stderr))
    return r


def bhimage(*args, check=False):
    return run([BHIMAGE, *args], check=check)


# ---- umoci-built images -------------------------------------------------

def umoci_new(img, tag="latest"):
    run(["umoci", "init", "--layout", img])
    run(["umoci", "new", "--image", "%s:%s" % (img, tag)])


def umoci_layer(img, work, change, tag="latest"):
    """Unpacks img:tag, lets change(rootfs) edit it, repacks it as a new layer."""
    bundle = os.path.join(work, "bundle")
    shutil.rmtree(bundle, ignore_errors=True)
    run(["umoci", "unpack", "--image", "%s:%s" % (img, tag), bundle])
    change(os.path.join(bundle, "rootfs"))
    run(["umoci", "repack", "--image", "%s:%s" % (img, tag), bundle])
    shutil.rmtree(bundle)


def umoci_add_tar(img, work, data, tag="latest"):
    path = os.path.join(work, "layer.tar")
    with open(path, "wb") as f:
        f.write(data)
    run(["umoci", "raw", "add-layer", "--image", "%s:%s" % (img, tag), path])
    os.unlink(path)


def umoci_rootfs(img, dest, tag="latest"):
    run(["umoci", "unpack", "--image", "%s:%s" % (img, tag), dest])
    return os.path.join(dest, "rootfs")


def copy_layout(src, dst):
    shutil.copytree(src, dst, symlinks=True)
    return dst


def tar_dir(src, dst):
    run(["tar", "-C", src, "-cf", dst, "."])
    return dst


def docker_archive(img, dst, tag="latest"):
    run(["skopeo", "copy", "oci:%s:%s" % (img, tag), "docker-archive:%s:test/image:%s" % (dst, tag)])
    return dst


# ---- tar layers with tarfile ------------------------------------------------

def make_tar(entries, fmt=tarfile.PAX_FORMAT):
    """entries: dicts with name, type (file/dir/sym/hard/fifo/chr), data, link,
    mode, uid, gid, mtime, major, minor."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for e in entries:
            ti = tarfile.TarInfo(e["name"])
            kind = e.get("type", "file")
            ti.type = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "sym": tarfile.SYMTYPE,
                       "hard": tarfile.LNKTYPE, "fifo": tarfile.FIFOTYPE,
                       "chr": tarfile.CHRTYPE}[kind]
            ti.mode = e.get("mode", 0o755 if kind == "dir" else 0o644)
            ti.uid, ti.gid = e.get("uid", 0), e.get("gid", 0)
            ti.mtime = e.get("mtime", 1700000000)
            ti.linkname = e.get("link", "")
            ti.devmajor, ti.devminor = e.get("major", 0), e.get("minor", 0)
            data = e.get("data", b"")
            ti.size = len(data) if kind == "file" else 0
            t.addfile(ti, io.BytesIO(data) if kind == "file" else None)
    return buf.getvalue()


# ---- hand-built OCI layouts --------------------------------------------------

def sha(data):
    return hashlib.sha256(data).hexdigest()


def put_blob(layout, data):
    d = os.path.join(layout, "blobs", "sha256")
    os.makedirs(d, exist_ok=True)
    h = sha(data)
    with open(os.path.join(d, h), "wb") as f:
        f.write(data)
    return {"digest": "sha256:" + h, "size": len(data)}


def oci_layout(layout, layers, config=None, raw_config=None, index_extra=None):
    """layers: list of (tar bytes, "gzip"|"none"|"zstd") or (blob bytes,
    media type, diff_id).  Returns the manifest descriptor."""
    os.makedirs(layout, exist_ok=True)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    descs, diffs = [], []
    for layer in layers:
        if len(layer) == 3:
            blob, mt, diff = layer
        else:
            tar, comp = layer
            diff = "sha256:" + sha(tar)
            blob, mt = {"gzip": (gzip.compress(tar, mtime=0), GZIP_MT), "none": (tar, TAR_MT),
                        "zstd": (b"\x28\xb5\x2f\xfd" + tar, ZSTD_MT)}[comp]
        d = put_blob(layout, blob)
        d["mediaType"] = mt
        descs.append(d)
        diffs.append(diff)
    cfg = {"architecture": "amd64", "os": "linux",
           "config": config or {"Cmd": ["/bin/sh"]},
           "rootfs": {"type": "layers", "diff_ids": diffs}}
    cblob = raw_config if raw_config is not None else json.dumps(cfg).encode()
    cd = put_blob(layout, cblob)
    cd["mediaType"] = "application/vnd.oci.image.config.v1+json"
    man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
           "config": cd, "layers": descs}
    md = put_blob(layout, json.dumps(man).encode())
    md["mediaType"] = "application/vnd.oci.image.manifest.v1+json"
    md["annotations"] = {"org.opencontainers.image.ref.name": "latest"}
    index = {"schemaVersion": 2, "manifests": [md]}
    if index_extra:
        index.update(index_extra)
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump(index, f)
    return md


def blob_path(layout, desc):
    return os.path.join(layout, "blobs", "sha256", desc["digest"].split(":")[1])


def manifest_of(layout):
    with open(os.path.join(layout, "index.json")) as f:
        md = json.load(f)["manifests"][0]
    with open(blob_path(layout, md)) as f:
        return json.load(f)


# ---- comparing trees ----------------------------------------------------------

def file_hash(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def describe(root, mtimes=True):
    """path -> tuple of what must match between two unpacked roots."""
    out = {}
    inodes = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            st = os.lstat(p)
            kind = stat.S_IFMT(st.st_mode)
            rec = [kind, stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid]
            if stat.S_ISREG(kind):
                rec += [st.st_size, file_hash(p), st.st_nlink]
                inodes.setdefault(st.st_ino, []).append(rel)
            elif stat.S_ISLNK(kind):
                rec += [os.readlink(p)]
            elif stat.S_ISCHR(kind) or stat.S_ISBLK(kind):
                rec += [st.st_rdev]
            if mtimes and not stat.S_ISDIR(kind):
                rec += [int(st.st_mtime)]
            out[rel] = tuple(rec)
    for group in inodes.values():       # hard-link groups must match too
        for rel in group:
            out[rel] += (tuple(sorted(group)),)
    return out


def diff_trees(a, b):
    da, db = describe(a), describe(b)
    lines = []
    for k in sorted(set(da) | set(db)):
        if da.get(k) != db.get(k):
            lines.append("%s: %s != %s" % (k, da.get(k), db.get(k)))
    return lines
