#!/usr/bin/python3
"""Guest-kernel figures for `make bench` (issues 4 and 15), under QEMU -icount
shift=0,sleep=off, where TSC ticks count instructions: kernel entry to the
shell prompt, fork+exec+wait of /bin/true (static busybox), of a dynamic
/bin/true (glibc's, with its loader) and of `sh -c true`, a futex wake-up
round trip between two threads, pipe, unix socket and loopback TCP
throughput (also in bytes per instruction), the kernel image and the memory
in use at the prompt."""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
sys.path.insert(0, os.path.join(ROOT, "tests", "boot"))
sys.path.insert(0, os.path.join(ROOT, "tests", "guest"))
from shell import Shell  # noqa: E402


def figure(name, value, unit):
    print(f"{name:<48} {value:>14,} {unit}")


def elf_sizes(path):
    out = subprocess.run(["size", "-A", path], capture_output=True, text=True).stdout
    return sum(int(m.group(1)) for m in re.finditer(r"^\.\S+\s+(\d+)", out, re.M))


def main():
    s = Shell("bench-guest", icount=True)
    try:
        stat = s.run("cat /proc/bulkhead")
        vals = dict(re.findall(r"^(\w+) (\d+)$", stat, re.M))
        used_kib = int(re.search(r"^(\d+)$", s.run("echo $(( $(grep MemTotal /proc/meminfo | tr -s ' ' | "
                                                    "cut -d' ' -f2) - $(grep MemFree /proc/meminfo | tr -s ' ' | "
                                                    "cut -d' ' -f2) ))"), re.M).group(1))
        b = dict(re.findall(r"^(\w+): (\d+)$", s.run("/tests/bin/bench_guest 20", timeout=900), re.M))
    finally:
        s.close()
    assert all(b.get(k + "_ok") == "1" for k in ("pipe", "unix", "tcp", "futex")), f"a child read short: {b}"
    print("guest kernel (QEMU TCG, AMD-V, -icount shift=0: instructions)")
    figure("instructions, guest-kernel entry to shell prompt", int(vals["entry_to_prompt_tsc"]), "insns")
    figure("instructions per fork+exec+wait of /bin/true", int(b["spawn_true"]), "insns")
    figure("instructions per fork+exec+wait of glibc's true", int(b["spawn_dynamic_true"]), "insns")
    print(f"{'  dynamic (glibc) over static (busybox)':<48} {int(b['spawn_dynamic_true']) / int(b['spawn_true']):>14.2f} x")
    figure("instructions per fork+exec+wait of sh -c true", int(b["spawn_sh_c_true"]), "insns")
    figure("instructions per futex wake-up round trip", int(b["futex_round_trip"]), "insns")
    figure("instructions per MiB through a pipe", int(b["pipe_per_mib"]), "insns")
    figure("instructions per MiB through a unix socket pair", int(b["unix_per_mib"]), "insns")
    figure("instructions per MiB through loopback TCP (127.0.0.1)", int(b["tcp_per_mib"]), "insns")
    for what, key in (("a pipe", "pipe"), ("loopback TCP", "tcp")):
        print(f"{'bytes per instruction through ' + what:<48} {(1 << 20) / int(b[key + '_per_mib']):>14.3f} B/insn")
    figure("guest kernel image in memory (text+data+bss)", int(vals["kernel_image_bytes"]), "bytes")
    figure("guest.elf sections (size -A)", elf_sizes(os.path.join(ROOT, "build", "guest.elf")), "bytes")
    figure("memory in use at the prompt (MemTotal-MemFree)", used_kib * 1024, "bytes")


if __name__ == "__main__":
    main()
