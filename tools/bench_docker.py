#!/usr/bin/python3
"""The Docker CLI's figures for `make bench` (issue 15), under QEMU -icount
shift=0,sleep=off (TSC ticks = instructions): `docker version` through the
real CLI (the boot module `docker`, a static Go program) in the host shell,
beside the same request (GET /version) by the static C client
/tests/bin/apiclient; and what the module costs at boot: its size, and the
time from QEMU's start to the shell's prompt with and without it (wall
clock, QEMU TCG without -icount, best of 3: the firmware reads it from the
ESP)."""
import os
import re
import shutil
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "boot"))
sys.path.insert(0, os.path.join(ROOT, "tests", "guest"))
from machine import ESP  # noqa: E402
from shell import Shell  # noqa: E402

N = 3


def figure(name, value, unit):
    print(f"{name:<48} {value:>14,} {unit}")


def ticks(s, line):
    out = s.run(f"/tests/bin/bench_guest spawn {N} / {line} 2>&1 >/dev/null", timeout=1800)
    m = re.search(r"^spawn: (\d+)$", out, re.M)
    assert m, out
    return int(m.group(1))


def boot_seconds(esp):
    best = None
    for _ in range(3):
        t = time.monotonic()
        s = Shell("bench-docker-boot", esp=esp)
        took = time.monotonic() - t
        s.close()
        best = took if best is None else min(best, took)
    return best


def main():
    s = Shell("bench-docker", icount=True, boot_timeout=1200)
    try:
        s.run("sleep 2")
        out = s.run("docker version")
        assert "Server: Bulkhead Engine" in out, out
        cli = ticks(s, "/usr/bin/docker version")
        c = ticks(s, "/tests/bin/apiclient GET /version")
    finally:
        s.close()
    nodocker = os.path.join(os.path.dirname(ESP), "tests", "esp-nodocker")
    shutil.rmtree(nodocker, ignore_errors=True)
    shutil.copytree(ESP, nodocker)
    os.unlink(os.path.join(nodocker, "docker"))
    cfg = os.path.join(nodocker, "bulkhead.cfg")
    with open(cfg) as f:
        text = f.read()
    with open(cfg, "w") as f:
        f.write(re.sub(r"^image = docker\b.*\n", "", text, flags=re.M))
    with_docker, without = boot_seconds(ESP), boot_seconds(nodocker)
    print("Docker CLI (QEMU TCG, AMD-V, -icount shift=0: instructions)")
    figure("instructions per `docker version` (real CLI)", cli, "insns")
    figure("instructions per GET /version (apiclient, C)", c, "insns")
    figure("  CLI / apiclient", round(cli / c, 1), "x")
    figure("docker module (stripped static CLI)", os.path.getsize(os.path.join(ESP, "docker")), "bytes")
    figure("boot to shell prompt with it (wall, best of 3)", round(with_docker * 1000), "ms")
    figure("boot to shell prompt without it", round(without * 1000), "ms")


if __name__ == "__main__":
    main()
