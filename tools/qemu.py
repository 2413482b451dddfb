#!/usr/bin/env python3
"""QEMU runner for Bulkhead: `make run` and the boot tests use the same command line.

Boots OVMF with the ESP folder as a FAT drive, the serial console on stdio, and the
isa-debug-exit device at port 0xf4.  Software emulation (TCG) with an AMD CPU model
that has SVM and nested paging, unless --kvm asks for the host CPU.

A NIC (virtio-net by default for `make run`, e1000 on request; none for the boot
tests unless they ask) sits on QEMU's user network: DHCP gives the host partition
10.0.2.15, 10.0.2.2 is the build machine's 127.0.0.1, and each hostfwd pair makes
the build machine's 127.0.0.1:HOST reach the host partition's port GUEST.
"""
import argparse
import os
import shutil
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OVMF_CODE = "/usr/share/OVMF/OVMF_CODE_4M.fd"
OVMF_VARS = "/usr/share/OVMF/OVMF_VARS_4M.fd"


NICS = {"virtio": "virtio-net-pci", "virtio-modern": "virtio-net-pci,disable-legacy=on", "e1000": "e1000"}
RUN_HOSTFWD = ((2375, 2375), (8080, 8080))  # make run: the Engine API and a web port


def net_args(nic, hostfwd=()):
    """-netdev/-device for one NIC of kind `nic` (a key of NICS, or None for
    none) on the user network, forwarding 127.0.0.1:HOST to the guest's GUEST
    for each (HOST, GUEST) TCP pair."""
    if not nic:
        return ["-net", "none"]
    fwd = "".join(f",hostfwd=tcp:127.0.0.1:{h}-:{g}" for h, g in hostfwd)
    return ["-netdev", "user,id=n0" + fwd, "-device", NICS[nic] + ",netdev=n0"]


def qemu_cmd(esp, cpu="EPYC", mem=1024, kvm=False, icount=False, vars_path=None, extra=(), nic=None,
             hostfwd=()):
    """The QEMU argument list for booting `esp`: an ESP folder, or a disk image
    made by tools/mkdisk.sh (a path ending in .img); a NIC as net_args says."""
    vars_path = vars_path or os.path.join(ROOT, "build", "vars.fd")
    shutil.copyfile(OVMF_VARS, vars_path)
    cmd = ["qemu-system-x86_64", "-machine", "q35", "-m", str(mem),
           "-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
           "-drive", f"if=pflash,format=raw,file={vars_path}",
           "-drive", f"format=raw,file={esp}" if esp.endswith(".img") else f"format=raw,file=fat:rw:{esp}",
           "-display", "none", "-serial", "stdio", "-monitor", "none", "-no-reboot",
           *net_args(nic, hostfwd), "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    if kvm:
        cmd += ["-enable-kvm", "-cpu", "host"]
    else:
        cmd += ["-accel", "tcg", "-cpu", cpu]
    if icount:
        cmd += ["-icount", "shift=0,sleep=off"]
    return cmd + list(extra)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--esp", default=os.path.join(ROOT, "build", "esp"),
                    help="ESP folder, or a disk image (.img) from make disk")
    ap.add_argument("--kvm", action="store_true", help="-enable-kvm -cpu host (nested virtualization)")
    ap.add_argument("--cpu", default="EPYC")
    ap.add_argument("--mem", type=int, default=1024, help="MiB of RAM")
    ap.add_argument("--icount", action="store_true", help="deterministic: one ns per instruction")
    ap.add_argument("--nic", default="virtio", choices=[*NICS, "none"],
                    help="the host partition's NIC, with 127.0.0.1:2375 and :8080 forwarded to it")
    a = ap.parse_args()
    nic = None if a.nic == "none" else a.nic
    cmd = qemu_cmd(a.esp, a.cpu, a.mem, a.kvm, a.icount, nic=nic, hostfwd=RUN_HOSTFWD if nic else ())
    # At a terminal, Ctrl-C belongs to the guest's shell: serial and QEMU's
    # monitor share stdio, and Ctrl-A X quits.
    i = cmd.index("-monitor")
    del cmd[i:i + 2]
    cmd[cmd.index("stdio")] = "mon:stdio"
    print("Booting Bulkhead in QEMU (quit with Ctrl-A X)", file=sys.stderr)
    os.execvp(cmd[0], cmd)


if __name__ == "__main__":
    main()
