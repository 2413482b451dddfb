#!/usr/bin/python3
"""The Docker CLI's figure for `make bench` (issue 16): `docker run --rm
busybox true` end to end, from the build machine's Docker CLI over TCP
(QEMU hostfwd to the host partition's 2375), in both isolation modes.

Under -icount shift=0,sleep=off the guest's clock advances one nanosecond
per instruction while it runs and jumps ahead while it idles (waiting for
the CLI), so the instructions the host partition spends on a run show as
its busy time: /proc/stat's busy ticks (10 ms, ten million instructions,
each) over RUNS runs, divided by RUNS.  A sample, not a count: its
resolution is 10 M / RUNS, and ticks that fall while the host waits for
a hyperv container's partition count as its idle time, so that
partition's own instructions are likely missing (tools/bench_engine.py's
figure, counted inside the machine, has them).  Wall time is the
CLI's own, median of RUNS, on this (shared, emulating) machine."""
import os
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
TICK_INSNS = 10_000_000   # a 10 ms tick of the -icount clock


def figure(name, value, unit):
    print(f"{name:<48} {value:>14,} {unit}")


def busy_ticks(s):
    f = s.run("head -1 /proc/stat").split()
    return int(f[1])


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
        for iso in ("process", "hyperv"):
            cmd = [docker, "run", "--rm", f"--isolation={iso}", "busybox", "true"]
            subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=300)   # warm
            b0, walls = busy_ticks(s), []
            for _ in range(RUNS):
                t0 = time.monotonic()
                subprocess.run(cmd, env=env, check=True, capture_output=True, timeout=300)
                walls.append(time.monotonic() - t0)
            res[iso] = ((busy_ticks(s) - b0) * TICK_INSNS // RUNS, statistics.median(walls))
    finally:
        s.close()
    print(f"Docker CLI over TCP (QEMU TCG -icount, hostfwd; {RUNS} runs each)")
    for iso, (insns, wall) in res.items():
        figure(f"docker run --rm busybox true, {iso}: host busy", insns, "insns (sampled)")
        figure(f"docker run --rm busybox true, {iso}: wall time", int(wall * 1000), "ms (median)")
    ok = subprocess.run([docker, "-H", "unix:///var/run/docker.sock", "version"], capture_output=True).returncode
    if ok:
        print("no Linux Docker engine on this machine (/var/run/docker.sock): no comparison with dockerd")


if __name__ == "__main__":
    main()
