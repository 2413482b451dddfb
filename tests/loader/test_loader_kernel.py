"""The loader inside the guest kernel (guest/fs/rootfs.c unpacks the root
image with loader/ at boot): the whiteout orders of
test_loader_conformance.py, added as two layers to the host root image, give
the tree umoci gives; an image that is both a manifest and an index is
refused at boot with the loader's message and the kernel falls back to its
monitor."""
import json
import os
import subprocess
import sys

from loaderlib import make_tar, oci_layout, run, umoci_add_tar, umoci_rootfs
from machine import ESP, Machine, make_esp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "guest"))
from shell import Shell  # noqa: E402

LOWER = [{"name": "wt/d", "type": "dir"}, {"name": "wt/d/old", "data": b"o"},
         {"name": "wt/d/sub/old2", "data": b"o2"},
         {"name": "wt/o/old", "data": b"o"}, {"name": "wt/o/sub/old3", "data": b"o3"},
         {"name": "wt/f/old", "data": b"o"}, {"name": "wt/n/a/b/c/old", "data": b"o"}]
UPPER = [{"name": "wt/d", "type": "dir", "mode": 0o750}, {"name": "wt/d/new", "data": b"n"},
         {"name": "wt/.wh.d"},                                     # whiteout after its new entries
         {"name": "wt/o/sub/new", "data": b"n"}, {"name": "wt/o/.wh..wh..opq"},   # opaque last
         {"name": "wt/f/old", "data": b"again"}, {"name": "wt/f/.wh.old"},     # re-created file
         {"name": "wt/n/a/b/c/d/new", "data": b"n"}, {"name": "wt/.wh.n"}]     # deep tree
LIST = "cd /wt && busybox find . | busybox sort | busybox xargs busybox stat -c '%n %a %F %s'"


def listing(text):
    """stat's lines; a folder's size is its file system's own business."""
    out = []
    for line in text.splitlines():
        if line.startswith((". ", "./")):
            head = line.rsplit(" ", 1)[0]
            out.append(head if head.endswith(" directory") else line)
    return out


def root_image_with(work, layers):
    img = os.path.join(work, "img")
    os.makedirs(img)
    run(["tar", "-C", img, "-xf", os.path.join(ESP, "root.tar")])
    for layer in layers:
        umoci_add_tar(img, work, layer)
    return img


def esp_with_root(tmp_path, img):
    """A copy of build/esp whose root.tar is the OCI layout img, packed."""
    tar = str(tmp_path / "root.tar")
    run(["tar", "-C", img, "-cf", tar, "."])
    with open(tar, "rb") as f:
        return make_esp(tmp_path, files={"root.tar": f.read()})


def test_whiteout_order_in_kernel(tmp_path):
    work = str(tmp_path)
    img = root_image_with(work, [make_tar(LOWER), make_tar(UPPER)])
    ref = umoci_rootfs(img, os.path.join(work, "ref"))
    want = subprocess.run(["/bin/busybox", "sh", "-c", LIST.replace("/wt", ref + "/wt")],
                          capture_output=True, text=True, check=True).stdout
    sh = Shell("loader-kernel-whiteouts", esp=esp_with_root(tmp_path, img))
    try:
        got = listing(sh.run(LIST))     # (the echo of the long line wraps)
    finally:
        sh.close()
    want = listing(want)
    assert "./d/new 644 regular file 1" in want and "./d 750 directory" in want, want
    assert got == want, "guest:\n%s\numoci:\n%s" % ("\n".join(got), "\n".join(want))


def test_ambiguous_root_image_refused(tmp_path):
    img = str(tmp_path / "img")
    md = oci_layout(img, [(make_tar([{"name": "sbin/init", "data": b"x"}]), "gzip")])
    with open(os.path.join(img, "index.json")) as f:
        index = json.load(f)
    index["layers"] = [md]
    with open(os.path.join(img, "index.json"), "w") as f:
        json.dump(index, f)
    m = Machine("loader-kernel-ambiguous", esp=esp_with_root(tmp_path, img))
    try:
        m.boot()
    finally:
        m.close()
    assert ("guest: root image root.tar: index.json: is both a manifest and an index: "
            "an image index with 'layers'") in m.boot_text, m.boot_text[-2000:]
