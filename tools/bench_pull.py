#!/usr/bin/python3
"""Pull figures for `make bench` (issue 16): an image of about 60 MB (busybox
plus a layer of random data, made here with skopeo and umoci) pushed into
Debian's docker-registry on the build machine, then pulled by bulkheadd in
the host partition through QEMU's user network (`bulkhead image pull`)
under -icount shift=0,sleep=off, where the guest's clock counts
instructions (idle time the clock skips included; less the idle task's
ticks, the busy part): bytes per guest instruction and wall time, beside skopeo copying the same image from the
registry to an OCI layout on the build machine's disk (wall time)."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "boot"))
sys.path.insert(0, os.path.join(ROOT, "tests", "guest"))
sys.path.insert(0, os.path.join(ROOT, "tests", "engine"))
from machine import ESP  # noqa: E402
from shell import Shell  # noqa: E402
from registries import DockerRegistry, pull_esp  # noqa: E402

RANDOM_MB = 58   # MB of random data beside busybox's layer: about 60 MB in all


def figure(name, value, unit):
    print(f"{name:<48} {value:>14,} {unit}")


def make_image(tmp):
    """oci:tmp/img:big, busybox with a second layer of random data."""
    img = os.path.join(tmp, "img")
    subprocess.run(["skopeo", "copy", "--quiet", "docker-archive:" + os.path.join(ESP, "busybox.tar"),
                    "oci:%s:big" % img], check=True)
    bundle = os.path.join(tmp, "bundle")
    subprocess.run(["umoci", "unpack", "--image", img + ":big", bundle], check=True, capture_output=True)
    with open(os.path.join(bundle, "rootfs", "random.bin"), "wb") as f:
        f.write(os.urandom(RANDOM_MB * 1000 * 1000))
    subprocess.run(["umoci", "repack", "--image", img + ":big", bundle], check=True, capture_output=True)
    shutil.rmtree(bundle)
    return img


def clock(s):
    """The guest's clock and its idle task's time (/proc/uptime), in 10 ms
    ticks: 10 million instructions each."""
    up, idle = s.run("cat /proc/uptime").split()
    return round(float(up) * 100), round(float(idle) * 100)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        img = make_image(tmp)
        blobs = os.path.join(img, "blobs", "sha256")
        size = sum(os.path.getsize(os.path.join(blobs, b)) for b in os.listdir(blobs))
        reg = DockerRegistry(tmp)
        try:
            reg.push("oci:%s:big" % img, "bench/big:1")
            t0 = time.time()
            subprocess.run(["skopeo", "copy", "--quiet", "--src-tls-verify=false",
                            "docker://127.0.0.1:%d/bench/big:1" % reg.port, "oci:%s/copy:1" % tmp], check=True)
            skopeo_s = time.time() - t0
            esp = pull_esp(ESP, os.path.join(tmp, "esp"), [reg.port])
            s = Shell("bench-pull", esp=esp, icount=True, nic="virtio", boot_timeout=900)  # slow when loaded
            try:
                s.run("sleep 2")
                (all0, idle0), t0 = clock(s), time.time()
                out = s.run("bulkhead image pull 10.0.2.2:%d/bench/big:1" % reg.port, timeout=3600)
                wall = time.time() - t0
                all1, idle1 = clock(s)
                guest_ns, busy_ns = (all1 - all0) * 10**7, (all1 - all0 - (idle1 - idle0)) * 10**7
                log = s.run("grep 'bench/big:1: Status' /var/log/bulkheadd.log")
                fetch_ms, store_ms = map(int, re.search(r"fetched and staged in (\d+) ms, committed in (\d+) ms",
                                                        log).groups())
                assert "Status: Downloaded newer image" in out, out
                assert re.search(r"^10\.0\.2\.2:\d+/bench/big:1$", out, re.M), out
            finally:
                s.close()
        finally:
            reg.close()
    print("image pull (issue 16): %d bytes of blobs, busybox + %d MB random" % (size, RANDOM_MB))
    figure("pull: guest instructions (-icount, idle incl.)", guest_ns, "insns")
    figure("pull: bytes per million guest instructions", size * 10**6 // guest_ns, "bytes")
    figure("pull: busy guest instructions (not idle)", busy_ns, "insns")
    figure("pull: bytes per million busy instructions", size * 10**6 // max(busy_ns, 1), "bytes")
    figure("  fetch and stage (bulkhead-pull: network, sha256, verify again, unpack)", fetch_ms * 10**6, "insns")
    figure("  commit (the daemon's loop: move into the store, tag)", store_ms * 10**6, "insns")
    figure("pull: wall time under QEMU TCG", int(wall * 1000), "ms")
    figure("skopeo copy to disk on the build machine", int(skopeo_s * 1000), "ms")


if __name__ == "__main__":
    main()
