#!/usr/bin/python3
"""Writes the fuzz targets' seed corpora into tests/loader/corpus/<target>/.
The inflate and tar targets read their first byte as a chunk-size selector,
so their seeds start with one.  Run it again after changing formats."""
import gzip
import io
import json
import os
import shutil
import sys
import tarfile
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from loaderlib import make_tar, oci_layout, sha  # noqa: E402

OUT = os.path.join(HERE, "corpus")


def write(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def tar_of_dir(path):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name in sorted(os.listdir(path)):
            t.add(os.path.join(path, name), arcname=name)
    return buf.getvalue()


def docker_tar(layer):
    cfg = json.dumps({"os": "linux", "architecture": "amd64", "config": {"Cmd": ["sh"]},
                      "rootfs": {"type": "layers", "diff_ids": ["sha256:" + sha(layer)]}}).encode()
    files = {"manifest.json": json.dumps([{"Config": sha(cfg) + ".json", "RepoTags": ["t:1"],
                                           "Layers": ["l/layer.tar"]}]).encode(),
             sha(cfg) + ".json": cfg, "l/layer.tar": layer}
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for name, data in files.items():
            ti = tarfile.TarInfo(name)
            ti.size = len(data)
            t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    layer = make_tar([
        {"name": "bin", "type": "dir"}, {"name": "bin/sh", "data": b"#!", "mode": 0o755},
        {"name": "bin/ln", "type": "sym", "link": "sh"},
        {"name": "bin/hl", "type": "hard", "link": "bin/sh"},
        {"name": "etc/.wh.gone"}, {"name": "var/.wh..wh..opq"},
        {"name": "p" * 120, "data": b"long"}])
    gnu = make_tar([{"name": "g" * 130, "data": b"gnu"},
                    {"name": "s", "type": "sym", "link": "t" * 140}], fmt=tarfile.GNU_FORMAT)
    for i, t in enumerate([layer, gnu]):
        write("tar", "layer%d" % i, b"\x02" + t)
    text = b"the loader unpacks layers; " * 40 + bytes(range(256))
    for i, (lvl, strat) in enumerate([(0, 0), (1, 0), (9, 0), (9, zlib.Z_FIXED), (9, zlib.Z_RLE)]):
        c = zlib.compressobj(lvl, zlib.DEFLATED, 31, 8, strat)
        write("inflate", "gz%d" % i, b"\x01" + c.compress(text) + c.flush())
    write("inflate", "multi", b"\x02" + gzip.compress(b"a" * 50) + gzip.compress(b"b" * 50))

    with tempfile.TemporaryDirectory() as tmp:
        lay = os.path.join(tmp, "img")
        oci_layout(lay, [(layer, "gzip"), (make_tar([{"name": "f", "data": b"x"}]), "none")],
                   config={"Entrypoint": ["/bin/sh"], "Env": ["A=b"], "Labels": {"k": "v"}})
        write("loader", "oci.tar", tar_of_dir(lay))
        for root, _, files in os.walk(lay):
            for f in files:
                p = os.path.join(root, f)
                with open(p, "rb") as fh:
                    data = fh.read()
                if data[:1] in (b"{", b"["):
                    write("json", f[:16], data)
    write("loader", "docker.tar", docker_tar(layer))

    # whiteouts and opaque markers after this layer's own entries
    # (test_loader_conformance.py compares these orders with umoci)
    low = [{"name": "d", "type": "dir"}, {"name": "d/old", "data": b"o"},
           {"name": "d/sub", "type": "dir"}, {"name": "d/sub/old2", "data": b"o2"}]
    lower = make_tar(low)
    orders = {
        "wh-last": [{"name": "d", "type": "dir", "mode": 0o750}, {"name": "d/new", "data": b"n"},
                    {"name": ".wh.d"}],
        "opq-last": [{"name": "d/sub/x/new", "data": b"n"}, {"name": "d/.wh..wh..opq"},
                     {"name": "d/.wh.old"}],
    }
    for name, entries in orders.items():
        upper = make_tar(entries)
        write("tar", name, b"\x01" + make_tar(low + entries))     # one layer holding both
        with tempfile.TemporaryDirectory() as tmp:
            lay = os.path.join(tmp, "img")
            oci_layout(lay, [(lower, "gzip"), (upper, "none")])
            write("loader", name + ".tar", tar_of_dir(lay))

    # a manifest that is also an index (CVE-2021-41190): the loader refuses it
    with tempfile.TemporaryDirectory() as tmp:
        lay = os.path.join(tmp, "img")
        md = oci_layout(lay, [(lower, "gzip")])
        with open(os.path.join(lay, "index.json")) as f:
            index = json.load(f)
        index["layers"] = [md]
        with open(os.path.join(lay, "index.json"), "w") as f:
            json.dump(index, f)
        write("loader", "ambiguous.tar", tar_of_dir(lay))
        write("json", "ambiguous", json.dumps(index).encode())
    write("json", "edge", b'{"a":[1,-2.5e3,true,false,null,"\\u00e9\\ud83d\\ude00"],"b":{}}')


if __name__ == "__main__":
    main()
