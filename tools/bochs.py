#!/usr/bin/env python3
"""Bochs runner for Bulkhead: Intel VT-x with EPT, the boot tests' second machine.

Makes a FAT32 image of the ESP folder with tools/mkdisk.sh (build/bochs/<name>.img),
writes a bochsrc beside it and starts Bochs headless: OVMF, the rfb display with no
client, the dummy sound driver (Debian's ALSA one crashes with no sound card), and
`clock: sync=none`, so emulated time follows the instruction count: the TSC runs at
`ips` ticks per emulated second, one tick per instruction.  Bochs's debugger stops
before the first instruction; it is told to continue.  COM1 is a pseudo-terminal
whose master side is the serial console.  Run by hand, it relays that console to
this terminal (quit: Ctrl-]).
"""
import argparse
import os
import select
import subprocess
import sys
import tty

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OVMF = "/usr/share/ovmf/OVMF.fd"
VGABIOS = "/usr/share/bochs/VGABIOS-lgpl-latest"
IPS = 200000000

BOCHSRC = """\
megs: {mem}
cpu: model={cpu}, ips={ips}
romimage: file={ovmf}, address=0xffe00000
vgaromimage: file={vgabios}
pci: enabled=1, chipset=i440fx
ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14
ata0-master: type=disk, path={img}, mode=flat
boot: disk
com1: enabled=1, mode=term, dev={tty}
display_library: rfb, options="timeout=0"
sound: driver=dummy
clock: sync=none
log: {log}
{e1000}info: action=ignore
panic: action=fatal
"""
# Bochs's e1000 on its own user network (slirp): DHCP gives 10.0.2.15 and
# 10.0.2.2 is the build machine, as under QEMU.
E1000 = "e1000: enabled=1, mac=52:54:00:12:34:56, ethmod=slirp\n"


class Bochs:
    """One Bochs machine booting `esp`; `console` is the serial console's fd."""

    def __init__(self, esp, name="bochs", cpu="corei7_skylake_x", mem=1024, nic=False):
        out = os.path.join(ROOT, "build", "bochs")
        os.makedirs(out, exist_ok=True)
        base = os.path.join(out, name)
        self.img = base + ".img"
        subprocess.run(["sh", os.path.join(ROOT, "tools", "mkdisk.sh"), esp, self.img],
                       check=True, stdout=subprocess.DEVNULL)
        self._unlock()
        self.console, self._tty = os.openpty()
        tty.setraw(self._tty)
        with open(base + ".bochsrc", "w") as f:
            f.write(BOCHSRC.format(mem=mem, cpu=cpu, ips=IPS, ovmf=OVMF, vgabios=VGABIOS, img=self.img,
                                   tty=os.ttyname(self._tty), log=base + ".log", e1000=E1000 if nic else ""))
        self.proc = subprocess.Popen(["bochs", "-q", "-f", base + ".bochsrc"], stdin=subprocess.PIPE,
                                     stdout=open(base + ".out", "w"), stderr=subprocess.STDOUT)
        self.proc.stdin.write(b"c\n")  # the debugger's "continue"
        self.proc.stdin.flush()

    def _unlock(self):
        try:
            os.remove(self.img + ".lock")  # left behind by a killed Bochs
        except FileNotFoundError:
            pass

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdin.close()
        os.close(self.console)
        os.close(self._tty)
        self._unlock()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--esp", default=os.path.join(ROOT, "build", "esp"))
    ap.add_argument("--cpu", default="corei7_skylake_x")
    ap.add_argument("--mem", type=int, default=1024, help="MiB of RAM")
    a = ap.parse_args()
    b = Bochs(a.esp, cpu=a.cpu, mem=a.mem, nic=True)
    print("Booting Bulkhead in Bochs (quit: Ctrl-])", file=sys.stderr)
    old = tty.tcgetattr(0) if os.isatty(0) else None
    if old:
        tty.setraw(0)
    try:
        while b.proc.poll() is None:
            for fd in select.select([0, b.console], [], [], 1)[0]:
                data = os.read(fd, 4096)
                if fd == 0 and (not data or b"\x1d" in data):
                    return
                os.write(b.console if fd == 0 else 1, data)
    finally:
        if old:
            tty.tcsetattr(0, tty.TCSAFLUSH, old)
        b.close()


if __name__ == "__main__":
    main()
