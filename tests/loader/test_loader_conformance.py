"""Conformance: for images built here with umoci/skopeo (and a few layers
written with tarfile), bhimage's unpacked tree must equal `umoci unpack`'s
rootfs: names, types, modes, owners, sizes, content hashes, link targets,
hard-link groups and file mtimes."""
import json
import os
import shutil
import tarfile
import pytest
from loaderlib import (BUSYBOX, bhimage, copy_layout, diff_trees, docker_archive, make_tar,
                       oci_layout, put_blob, tar_dir, umoci_add_tar, umoci_layer, umoci_new,
                       umoci_rootfs)

LONG = "d" * 60 + "/" + "e" * 70 + "/" + "f" * 90          # > 100 bytes, > 155 prefix split


def base_rootfs(r):
    os.makedirs(r + "/bin")
    os.makedirs(r + "/etc")
    os.makedirs(r + "/usr/bin")
    os.makedirs(r + "/data/sub")
    shutil.copy(BUSYBOX, r + "/bin/busybox")
    os.symlink("busybox", r + "/bin/sh")                   # relative symlink
    os.symlink("/bin/busybox", r + "/usr/bin/ls")          # absolute symlink
    os.symlink("../../bin/busybox", r + "/usr/bin/env")
    os.link(r + "/bin/busybox", r + "/bin/cat")            # hard link, same layer
    for name, text in [("etc/hostname", "bulkhead\n"), ("etc/passwd", "root:x:0:0::/:/bin/sh\n"),
                       ("data/a", "a"), ("data/b", "b"), ("data/sub/c", "c")]:
        with open(os.path.join(r, name), "w") as f:
            f.write(text)
    os.chmod(r + "/etc/passwd", 0o600)
    os.chmod(r + "/data/sub", 0o1777)


def overwrite(r):
    with open(r + "/etc/hostname", "w") as f:
        f.write("changed\n")
    os.chmod(r + "/etc/hostname", 0o640)
    with open(r + "/etc/added", "w") as f:
        f.write("added\n")


def overwrite2(r):
    with open(r + "/etc/hostname", "w") as f:
        f.write("changed again, longer than before\n")
    os.remove(r + "/usr/bin/env")
    with open(r + "/usr/bin/env", "w") as f:                 # symlink replaced by a file
        f.write("#!/bin/sh\n")


def whiteouts(r):
    os.remove(r + "/etc/passwd")
    shutil.rmtree(r + "/data/sub")
    os.remove(r + "/bin/sh")


def big(r):
    with open(r + "/big.bin", "wb") as f:
        f.write(os.urandom(64 << 20))


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    w = str(tmp_path_factory.mktemp("images"))
    imgs = {}

    def layout(name, parent=None):
        path = os.path.join(w, name)
        if parent:
            copy_layout(imgs[parent], path)
        imgs[name] = path
        return path

    umoci_new(layout("single"))
    umoci_layer(imgs["single"], w, base_rootfs)

    umoci_layer(layout("overwrite", "single"), w, overwrite)
    umoci_layer(imgs["overwrite"], w, overwrite2)

    umoci_layer(layout("whiteout", "single"), w, whiteouts)

    umoci_add_tar(layout("opaque", "single"), w, make_tar([
        {"name": "data", "type": "dir"},
        {"name": "data/new", "data": b"listed before the marker"},
        {"name": "data/.wh..wh..opq"},
        {"name": "data/later", "data": b"after"}]))

    umoci_add_tar(layout("hardlinks", "single"), w, make_tar([
        {"name": "bin/cat2", "type": "hard", "link": "bin/busybox"},      # across layers
        {"name": "etc/x", "data": b"x"},
        {"name": "etc/x2", "type": "hard", "link": "etc/x"}]))

    umoci_add_tar(layout("replace", "single"), w, make_tar([
        {"name": "data/sub", "data": b"a file where a folder was"},
        {"name": "etc/hostname", "type": "dir"},
        {"name": "etc/hostname/inside", "data": b"folder where a file was"},
        {"name": "owned", "data": b"o", "uid": 1000, "gid": 1001, "mode": 0o4755},
        {"name": "fifo", "type": "fifo"},
        {"name": "dev/null", "type": "chr", "major": 1, "minor": 3, "mode": 0o666}]))

    for fmt, name in [(tarfile.PAX_FORMAT, "longpax"), (tarfile.GNU_FORMAT, "longgnu")]:
        umoci_add_tar(layout(name, "single"), w, make_tar([
            {"name": LONG, "data": b"long name"},
            {"name": "ln-" + "l" * 120, "type": "sym", "link": "/" + LONG},
            {"name": "hl", "type": "hard", "link": LONG}], fmt=fmt))

    umoci_add_tar(layout("empty", "single"), w, make_tar([]))

    oci_layout(layout("uncompressed"), [
        (make_tar([{"name": "bin", "type": "dir"},
                   {"name": "bin/busybox", "data": open(BUSYBOX, "rb").read(), "mode": 0o755},
                   {"name": "bin/sh", "type": "sym", "link": "busybox"}]), "none"),
        (make_tar([{"name": "etc", "type": "dir"}, {"name": "etc/motd", "data": b"hi"}]), "gzip")])

    umoci_layer(layout("big", "single"), w, big)

    imgs["oci-tar"] = tar_dir(imgs["whiteout"], os.path.join(w, "whiteout.tar"))
    imgs["docker"] = docker_archive(imgs["overwrite"], os.path.join(w, "docker.tar"))
    return w, imgs


# case -> (image key given to bhimage, OCI layout umoci unpacks as reference)
CASES = {
    "single": "single", "overwrite": "overwrite", "whiteout": "whiteout", "opaque": "opaque",
    "hardlinks": "hardlinks", "replace": "replace", "longpax": "longpax",
    "longgnu": "longgnu", "empty": "empty", "uncompressed": "uncompressed",
    "big": "big", "oci-tar": "whiteout", "docker": "overwrite",
    "overwrite-threads": "overwrite", "opaque-threads": "opaque", "replace-threads": "replace",
    "hardlinks-threads": "hardlinks", "whiteout-threads": "whiteout",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_umoci(images, case):
    w, imgs = images
    ref = umoci_rootfs(imgs[CASES[case]], os.path.join(w, "ref-" + case))
    dest = os.path.join(w, "out-" + case)
    opts = ["--threads", "4"] if case.endswith("-threads") else []   # the writer pool
    r = bhimage("unpack", *opts, imgs[case.replace("-threads", "")], dest)
    assert r.returncode == 0, r.stderr
    diffs = diff_trees(ref, dest)
    assert not diffs, "\n".join(diffs[:20])
    assert not [n for n in os.listdir(w) if ".bhimage-" in n], "staging folder left behind"
    shutil.rmtree(os.path.dirname(ref))
    shutil.rmtree(dest)


def test_inspect_config(tmp_path):
    lay = str(tmp_path / "img")
    oci_layout(lay, [(make_tar([{"name": "f", "data": b"x"}]), "gzip")],
               config={"Entrypoint": ["/bin/sh", "-c"], "Cmd": ["echo hi"],
                       "Env": ["PATH=/bin", "A=\u00e9"], "WorkingDir": "/w", "User": "1000:1000",
                       "ExposedPorts": {"80/tcp": {}, "53/udp": {}},
                       "Labels": {"org.x": "y", "k": "v w"}})
    r = bhimage("inspect", lay)
    assert r.returncode == 0, r.stderr
    for line in ["entrypoint: /bin/sh -c", "cmd: echo hi", "env: PATH=/bin A=\u00e9",
                 "workdir: /w", "user: 1000:1000", "ports: 80/tcp 53/udp", "label: org.x=y",
                 "label: k=v w", "format: oci"]:
        assert line in r.stdout, r.stdout


def test_dest_must_be_empty(tmp_path):
    lay = str(tmp_path / "img")
    oci_layout(lay, [(make_tar([{"name": "f", "data": b"x"}]), "gzip")])
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "keep").write_text("mine")
    r = bhimage("unpack", lay, str(dest))
    assert r.returncode != 0 and "not empty" in r.stderr
    assert (dest / "keep").read_text() == "mine"
    (dest / "keep").unlink()
    r = bhimage("unpack", lay, str(dest))               # an empty folder is fine
    assert r.returncode == 0, r.stderr
    assert (dest / "f").read_bytes() == b"x"


def test_index_picks_linux_amd64(tmp_path):
    """A nested index (like a multi-arch image) resolves to the amd64 manifest;
    --ref picks by org.opencontainers.image.ref.name."""
    lay = str(tmp_path / "img")
    good = oci_layout(lay, [(make_tar([{"name": "arch", "data": b"amd64"}]), "gzip")])
    bad = dict(good, platform={"os": "linux", "architecture": "arm64"})
    bad["digest"] = put_blob(lay, b"{}")["digest"]                # never read
    nested = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
              "manifests": [bad, dict(good, platform={"os": "linux", "architecture": "amd64"})]}
    nd = put_blob(lay, json.dumps(nested).encode())
    nd.update(mediaType="application/vnd.oci.image.index.v1+json",
              annotations={"org.opencontainers.image.ref.name": "multi"})
    with open(os.path.join(lay, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": [bad, nd]}, f)
    r = bhimage("unpack", "--ref", "multi", lay, str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "out" / "arch").read_bytes() == b"amd64"
    r = bhimage("unpack", "--ref", "nope", lay, str(tmp_path / "out2"))
    assert r.returncode != 0 and "no manifest named 'nope'" in r.stderr


# Whiteouts and opaque markers hide only what lower layers put there, wherever
# they stand in their layer (umoci remembers every ancestor of every entry of
# the current layer).  Layer 1 is LOWER; each case is layer 2.
DEEP = "/".join("n%d" % i for i in range(120))
LOWER = [{"name": "d", "type": "dir"}, {"name": "d/old", "data": b"o"},
         {"name": "d/sub", "type": "dir"}, {"name": "d/sub/old2", "data": b"o2"},
         {"name": "top", "data": b"t"}, {"name": DEEP + "/lowfile", "data": b"l"},
         {"name": DEEP + "/lowdir/x", "data": b"x"}]
NEW = {"name": "d/new", "data": b"n"}
ORDER_CASES = {
    "wh-after-dir": [{"name": "d", "type": "dir", "mode": 0o750}, NEW, {"name": ".wh.d"}],
    "wh-after-child": [NEW, {"name": ".wh.d"}],
    "wh-first": [{"name": ".wh.d"}, NEW],
    "wh-file-recreated": [{"name": "d/old", "data": b"again"}, {"name": "d/.wh.old"}],
    "wh-file-recreated-first": [{"name": "d/.wh.old"}, {"name": "d/old", "data": b"again"}],
    "wh-nested": [{"name": "d/sub/new", "data": b"n"}, {"name": "d/.wh.sub"}],
    "wh-nested-path": [{"name": "d/sub/.wh.old2"}, {"name": ".wh.d"}],
    "wh-deep": [{"name": "d/sub/x/y/z", "data": b"n"}, {"name": ".wh.d"}],
    "wh-deep-tree": [{"name": DEEP + "/new", "data": b"n"}, {"name": ".wh.n0"}],
    "wh-symlink-in-layer": [{"name": "d/sub", "type": "sym", "link": "/elsewhere"},
                            {"name": "d/.wh.sub"}],
    "wh-file-replaces-dir": [{"name": "d", "data": b"file"}, {"name": ".wh.d"}],
    "wh-hardlink-kept": [{"name": "h", "type": "hard", "link": "d/old"}, {"name": ".wh.d"}],
    "opq-last": [NEW, {"name": "d/.wh..wh..opq"}],
    "opq-last-dir": [{"name": "d", "type": "dir", "mode": 0o750}, NEW, {"name": "d/.wh..wh..opq"}],
    "opq-first": [{"name": "d/.wh..wh..opq"}, NEW],
    "opq-nested": [{"name": "d/sub/new", "data": b"n"}, {"name": "d/.wh..wh..opq"}],
    "opq-root": [{"name": "d/sub/x/new", "data": b"n"}, {"name": ".wh..wh..opq"}],
    "opq-deep-tree": [{"name": DEEP + "/lowdir/y", "data": b"y"}, {"name": "n0/.wh..wh..opq"}],
}


@pytest.mark.parametrize("threads", [[], ["--threads", "4"]], ids=["serial", "threads"])
@pytest.mark.parametrize("case", sorted(ORDER_CASES))
def test_whiteout_order_matches_umoci(tmp_path, case, threads):
    img = str(tmp_path / "img")
    oci_layout(img, [(make_tar(LOWER), "gzip"), (make_tar(ORDER_CASES[case]), "gzip")])
    ref = umoci_rootfs(img, str(tmp_path / "ref"))
    r = bhimage("unpack", *threads, img, str(tmp_path / "out"))
    assert r.returncode == 0, r.stderr
    diffs = diff_trees(ref, str(tmp_path / "out"))
    assert not diffs, "\n".join(diffs[:20])


def test_whiteouts_after_a_large_layer(tmp_path):
    """A layer of 50,000 entries (more than the set once held) still ends
    with a working whiteout and opaque marker."""
    img, out = str(tmp_path / "img"), tmp_path / "out"
    upper = [{"name": "f/%d" % i} for i in range(50000)]
    upper += [NEW, {"name": ".wh.d"}, {"name": "n0/.wh..wh..opq"}]
    oci_layout(img, [(make_tar(LOWER), "gzip"), (make_tar(upper), "gzip")])
    r = bhimage("unpack", img, str(out))
    assert r.returncode == 0, r.stderr
    assert sorted(os.listdir(out / "d")) == ["new"] and os.listdir(out / "n0") == []
    assert len(os.listdir(out / "f")) == 50000
