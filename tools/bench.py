#!/usr/bin/env python3
"""`make bench`: Bulkhead's figures, then every tools/bench_*.py.

Boots under QEMU with -icount shift=0,sleep=off, where the virtual clock advances
one nanosecond per executed instruction and the TSC follows it, so TSC deltas
measured inside the machine are instruction counts (hv's and the guest's alike),
the same on every run whatever the host's load.
"""
import glob
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "boot"))
from machine import Machine  # noqa: E402


def figure(name, value, unit, target=None):
    t = f"  (target {target})" if target else ""
    print(f"{name:<48} {value:>14,} {unit}{t}")


def bench_hv():
    m = Machine("bench-icount", icount=True).boot()
    try:
        boot = int(re.search(r"ready, (\d+) TSC ticks since hv entry", m.boot_text).group(1))
        n = 10000
        out = m.cmd(f"bench {n}", timeout=600)
        per = int(re.search(r"(\d+) per call", out).group(1))
        out = m.cmd(f"bench {n} msr", timeout=600)
        per_msr = int(re.search(r"(\d+) per call", out).group(1))
        st = m.cmd("stats")
        image = int(re.search(r"hv image: (\d+) bytes", st).group(1))
        mem = int(re.search(r"hv memory: (\d+) KiB", st).group(1))
    finally:
        m.close()
    elf = os.path.getsize(os.path.join(os.path.dirname(HERE), "build", "hv.elf"))
    print("hv (QEMU TCG, AMD-V, -icount shift=0: instructions)")
    figure("instructions, hv entry to host-partition prompt", boot, "insns", "<= 20,000,000")
    figure(f"instructions per null hypercall ({n} in a loop)", per, "insns", "<= 200")
    figure(f"instructions per MSR-read exit (EFER, {n} in a loop)", per_msr, "insns")
    figure("hv image in memory (text+data+bss)", image, "bytes")
    figure("hv.elf file size", elf, "bytes")
    figure("hv memory footprint at the prompt", mem * 1024, "bytes")


def bench_partitions():
    m = Machine("bench-parts", icount=True).boot()
    try:
        out = m.cmd("part run b1 8")
        pid = int(re.search(r"part run -> (\d+)", out).group(1))
        ready = int(m.expect(r"utility partition \d+ ready, (\d+) TSC ticks since create").group(1))
        lst = m.cmd("part list")
        hv_kib = int(re.search(rf"^{pid}\s+b1\s+\S+\s+\S+\s+\d+ K\s+(\d+) K", lst, re.M).group(1))
    finally:
        m.close()
    print("utility partitions (QEMU TCG, AMD-V, -icount)")
    figure("instructions, create hypercall to utility ready", ready, "insns", "<= 5,000,000")
    figure("hv overhead per partition (tables, VMCB, state)", hv_kib * 1024, "bytes", "<= 65,536")


def bench_capacity():
    import tempfile
    from machine import make_esp
    with tempfile.TemporaryDirectory() as tmp:
        esp = make_esp(tmp, cfg="host_memory = 128M\n")
        m = Machine("bench-capacity", esp=esp, mem=2048).boot()
        try:
            n = 0
            while n < 400:
                out = m.cmd(f"part run p{n} 8", timeout=120)
                if re.search(r"-> -\d+", out):  # out of memory (or slots)
                    break
                n += 1
                m.expect(rf"\[p{n - 1}\] guest: utility partition \d+ ready", timeout=120)
            running = len(re.findall(r" running ", m.cmd("part list", timeout=120))) - 1
        finally:
            m.close()
    figure("8 MiB utility partitions running at once, 2 GiB", running, "partitions", ">= 150")


def main():
    bench_hv()
    print()
    bench_partitions()
    bench_capacity()
    for script in sorted(glob.glob(os.path.join(HERE, "bench_*.py"))):
        print()
        sys.stdout.flush()
        subprocess.run([sys.executable, script], check=True)


if __name__ == "__main__":
    main()
