#!/usr/bin/python3
"""The Docker CLI's figure for `make bench` (issue 16): `docker run --rm
busybox true` end to end, from the build machine's Docker CLI over TCP
(QEMU hostfwd to the host partition's 2375), in both isolation modes.

Under -icount shift=0,sleep=off the TSC advances one tick per instruction
while the machine runs and jumps ahead while it idles (waiting for the
CLI); hv counts the ticks it spends halted with no vCPU to run
(bh_stats.idle_tsc), so `bulkhead stats 0`'s "tsc" less "hv idle ticks",
between two reads, is every instruction the machine ran: the host
partition's, the containers' partitions' and hv's.  Less the same for two
reads with nothing between them (the reads' own cost), over RUNS runs,
divided by RUNS.  Wall time is the CLI's own, median of RUNS, on this
(shared, emulating) machine."""
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "boot"))
sys.path.insert(0, os.path.join(ROOT, "tests", "guest"))
from shell import Shell  # noqa: E402

RUNS = 10


def figure(name, value, unit):
    print(f"{name:<48} {value:>14,} {unit}")


def busy(s):
    """The machine's instructions so far, idle time left out (module docstring)."""
    out = s.run("bulkhead stats 0")
    return int(re.search(r"^tsc: (\d+)$", out, re.M)[1]) - int(re.search(r"^hv idle ticks: (\d+)$", out, re.M)[1])


def main():
    docker = shutil.which("docker")
    if not docker:
        print("docker CLI: none on this machine (tools/setup.sh installs docker.io): no figure")
        return
    with socket.socket() as sk:
        sk.bind(("127.0.0.1", 0))
        port = sk.getsockname()[1]
    env = dict(os.environ, DOCKER_HOST=f"tcp://127.0.0.1:{port}")
    s = Shell("bench-docker", icount=True, nic="virtio", hostfwd=[(port, 2375)], boot_timeout=900)
    res = {}
    try:
        deadline = time.monotonic() + 300
        while subprocess.run([docker, "image", "inspect", "busybox"], env=env, capture_output=True).returncode:
            assert time.monotonic() < deadline, s.run("cat /var/log/bulkheadd.log")
            time.sleep(2)
        reads = min(-busy(s) + busy(s) for _ in range(3))   # two reads, nothing between
        for iso in ("process", "hyperv"):
            cmd = [docker, "run", "--rm", f"--isolation={iso}", "busybox", "true"]
            subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=300)   # warm
            b0, walls = busy(s), []
            for _ in range(RUNS):
                t0 = time.monotonic()
                subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=300)
                walls.append(time.monotonic() - t0)
            res[iso] = ((busy(s) - b0 - reads) // RUNS, statistics.median(walls))
    finally:
        s.close()
    print(f"Docker CLI over TCP (QEMU TCG -icount, hostfwd; {RUNS} runs each)")
    for iso, (insns, wall) in res.items():
        figure(f"docker run --rm busybox true, {iso}: machine busy", insns, "insns")
        figure(f"docker run --rm busybox true, {iso}: wall time", int(wall * 1000), "ms (median)")
    ok = subprocess.run([docker, "-H", "unix:///var/run/docker.sock", "version"], capture_output=True).returncode
    if ok:
        print("no Linux Docker engine on this machine (/var/run/docker.sock): no comparison with dockerd")


if __name__ == "__main__":
    main()
