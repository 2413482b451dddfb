#!/usr/bin/python3
"""Loader figures for `make bench` (issue 5), medians of several runs, all
in one go on the same images:
  - unpack of a ~60 MB gzip-layered image into a folder: bhimage vs
    `umoci unpack` vs `tar -xzf` of each layer;
  - inflate throughput of bhimage's decoder vs `gzip -dc` and vs zlib;
  - bhimage's peak memory on that image and on one with a layer 4x larger.
The images are built once with umoci under build/bench-loader/."""
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "loader"))
from loaderlib import BHIMAGE, BUSYBOX, manifest_of, blob_path, umoci_layer, umoci_new  # noqa

WORK = os.path.join(ROOT, "build", "bench-loader")
RUNS = int(os.environ.get("BENCH_RUNS", "5"))


def fill(root, layer, random_mb):
    rnd = random.Random(layer)
    base = os.path.join(root, "layer%d" % layer)
    os.makedirs(base)
    for d in range(40):                          # many small files, like a distro
        sub = os.path.join(base, "dir%02d" % d)
        os.makedirs(sub)
        for f in range(50):
            words = b" ".join(b"w%d" % rnd.randrange(5000) for _ in range(rnd.randrange(20, 400)))
            with open(os.path.join(sub, "file%02d.txt" % f), "wb") as fh:
                fh.write(words)
    for i in range(6):                           # binaries compress about 2:1
        shutil.copy(BUSYBOX, os.path.join(base, "busybox%d" % i))
    with open(os.path.join(base, "blob.bin"), "wb") as fh:   # incompressible data
        fh.write(rnd.randbytes(random_mb << 20))


def build(name, random_mb):
    img = os.path.join(WORK, name)
    if os.path.exists(os.path.join(img, "index.json")):
        return img
    shutil.rmtree(img, ignore_errors=True)
    umoci_new(img)
    for layer in range(3):
        umoci_layer(img, WORK, lambda r, layer=layer: fill(r, layer, random_mb))
    return img


def timed(cmd, before=None):
    """Median wall time and max peak RSS (KiB) over RUNS runs.  The RSS comes
    from /usr/bin/time: a child forked from this (large) Python process would
    report Python's size as its own peak."""
    times, rss = [], []
    for _ in range(RUNS):
        if before:
            before()
        t = time.perf_counter()
        r = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True)
        times.append(time.perf_counter() - t)
        if r.returncode:
            raise RuntimeError("%s: %s" % (cmd, r.stderr.decode()[-500:]))
        rss.append(int(r.stderr.decode().strip().splitlines()[-1]))
    return statistics.median(times), max(rss)


def layer_blobs(img):
    return [blob_path(img, d) for d in manifest_of(img)["layers"]]


def mb(n):
    return n / 1e6


def unpack_line(img, blobs, size, dest, label):
    """bhimage vs umoci vs tar -xzf into dest; returns bhimage's peak RSS."""
    def clean():
        shutil.rmtree(dest, ignore_errors=True)
        os.sync()

    def untar():
        os.makedirs(dest)
        t = time.perf_counter()
        for b in blobs:
            subprocess.run(["tar", "-xzf", b, "-C", dest], check=True)
        return time.perf_counter() - t

    t_bh, rss_bh = timed([BHIMAGE, "unpack", img, dest], clean)
    t_um, _ = timed(["umoci", "unpack", "--image", img + ":latest", dest], clean)
    t_tar = statistics.median([(clean(), untar())[1] for _ in range(RUNS)])
    clean()
    print("loader: unpack %.1f MB gzip image (3 layers, 6k files) into %s: bhimage %.3f s | "
          "umoci %.3f s | tar -xzf %.3f s | %.1fx faster than umoci (target >= 2x)"
          % (mb(size), label, t_bh, t_um, t_tar, t_um / t_bh))
    return rss_bh


def main():
    os.makedirs(WORK, exist_ok=True)
    img = build("img60", 12)
    big = build("img240", 60)
    blobs = layer_blobs(img)
    size = sum(os.path.getsize(b) for b in blobs)
    # tmpfs shows the tools' own cost; the disk adds this VM's (noisy) I/O.
    rss_bh = unpack_line(img, blobs, size, "/dev/shm/bench-loader-dest", "tmpfs")
    unpack_line(img, blobs, size, os.path.join(WORK, "dest"), "ext4 (build/)")

    gz = max(blobs, key=os.path.getsize)
    with open(gz, "rb") as f:
        raw = f.read()
    out_len = len(zlib.decompress(raw, 31))
    t_inf = statistics.median([run_to_null([BHIMAGE, "gunzip", gz]) for _ in range(RUNS)])
    t_gz = statistics.median([run_to_null(["gzip", "-dc", gz]) for _ in range(RUNS)])
    t_zl = statistics.median([zlib_time(raw) for _ in range(RUNS)])
    print("loader: inflate %.1f MB -> %.1f MB: bhimage %.0f MB/s | gzip -dc %.0f MB/s | "
          "zlib %.0f MB/s | %.2fx of zlib, %.2fx of gzip -dc (target >= 0.7x)"
          % (mb(len(raw)), mb(out_len), mb(out_len) / t_inf, mb(out_len) / t_gz,
             mb(out_len) / t_zl, t_zl / t_inf, t_gz / t_inf))

    dest = "/dev/shm/bench-loader-dest"
    big_size = sum(os.path.getsize(b) for b in layer_blobs(big))
    _, rss_big = timed([BHIMAGE, "unpack", big, dest],
                       lambda: shutil.rmtree(dest, ignore_errors=True))
    shutil.rmtree(dest, ignore_errors=True)
    print("loader: bhimage peak RSS %.1f MiB on the %.0f MB image, %.1f MiB on a %.0f MB one "
          "(target: constant, independent of layer size)"
          % (rss_bh / 1024, mb(size), rss_big / 1024, mb(big_size)))


def run_to_null(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t


def zlib_time(raw):
    t = time.perf_counter()
    d = zlib.decompressobj(31)
    for i in range(0, len(raw), 1 << 20):
        d.decompress(raw[i:i + (1 << 20)])
    d.flush()
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
