"""Boot Bulkhead in an emulator and talk to it over the serial console.

A Machine starts one of KINDS from an ESP folder, waits for the monitor prompt
and runs commands, returning what each printed.  Everything the console says is
kept in build/tests/<name>.log for a failed test's post-mortem.  The boot tests
are written once and run on every kind; FACTS says what differs between them.
"""
import os
import re
import shutil
import time

import pexpect
import pexpect.fdpexpect

import bochs
import qemu

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
ESP = os.path.join(BUILD, "esp")
PROMPT = "bh> "
BOOT_TIMEOUT = 180  # OVMF alone takes ~10 s under TCG or Bochs; a loaded CI machine more

# Machines the boot suite runs on, and what a partition sees on each.
# wallclock: the guest's time follows the host's (Bochs's follows its instruction count).
# boot_file_tests: the loader's bad-file checks, which do not depend on the CPU, run here.
KINDS = ["qemu", "bochs"]
FACTS = {
    "qemu": {"vendor": "amd", "backend": "AMD-V (SVM)", "hypercall": "vmmcall", "hcinsn": 2,
             "cpu": "EPYC", "novirt_cpu": "qemu64",
             "virt_insn_exits": 6,  # the SVM probes exit; vmxon faults natively
             "wallclock": True, "boot_file_tests": True},
    "bochs": {"vendor": "intel", "backend": "VT-x (VMX)", "hypercall": "vmcall", "hcinsn": 1,
              "cpu": "corei7_skylake_x", "novirt_cpu": "core2_penryn_t9600",  # VT-x without EPT
              "virt_insn_exits": 1,  # vmxon exits; the SVM probes #UD natively
              "wallclock": False, "boot_file_tests": False},
}


# make test runs two pytest-xdist workers side by side: each worker's files
# under build/tests/ carry its name (gw0, gw1) so their machines never share one.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def tests_path(name):
    """build/tests/NAME for this pytest worker (NAME-gwN under xdist)."""
    os.makedirs(os.path.join(BUILD, "tests"), exist_ok=True)
    return os.path.join(BUILD, "tests", name + ("-" + WORKER if WORKER else ""))


def make_esp(tmp_path, cfg=None, files=None):
    """A copy of build/esp in tmp_path, with bulkhead.cfg and files replaced."""
    esp = os.path.join(str(tmp_path), "esp")
    shutil.copytree(ESP, esp)
    if cfg is not None:
        with open(os.path.join(esp, "bulkhead.cfg"), "w") as f:
            f.write(cfg)
    for name, data in (files or {}).items():
        with open(os.path.join(esp, name), "wb") as f:
            f.write(data)
    return esp


def monitor_esp():
    """build/esp booting to the guest kernel's monitor (cmdline = monitor)
    instead of the host root image's shell."""
    esp = tests_path("esp-monitor")
    shutil.rmtree(esp, ignore_errors=True)
    shutil.copytree(ESP, esp)
    with open(os.path.join(esp, "bulkhead.cfg")) as f:
        cfg = [l for l in f if not l.startswith("cmdline")]
    with open(os.path.join(esp, "bulkhead.cfg"), "w") as f:
        f.write("".join(cfg) + "cmdline = monitor\n")
    return esp


class Machine:
    def __init__(self, name, esp=None, cpu=None, mem=1024, icount=False, kind="qemu", qemu_monitor=None,
                 nic=None, hostfwd=(), qemu_extra=()):
        """qemu_monitor: a path for QEMU's human monitor as a Unix socket
        (tests that inject NMIs and the like through it).  nic: a NIC on the
        emulator's user network (QEMU: a key of qemu.NICS, with hostfwd
        pairs; Bochs: any true value, its e1000).  qemu_extra: more QEMU
        arguments (a second NIC, say)."""
        esp = esp or monitor_esp()
        self.kind = kind
        self.facts = FACTS[kind]
        cpu = cpu or self.facts["cpu"]
        self.log_path = tests_path(name) + ".log"
        self.log = open(self.log_path, "w")
        opts = dict(encoding="utf-8", codec_errors="replace", timeout=BOOT_TIMEOUT, logfile=self.log)
        if kind == "bochs":
            self.bochs = bochs.Bochs(esp, os.path.basename(tests_path(name)), cpu=cpu, mem=mem, nic=bool(nic))
            self.p = pexpect.fdpexpect.fdspawn(self.bochs.console, **opts)
            return
        vars_path = tests_path(name) + ".vars.fd"
        cmd = qemu.qemu_cmd(esp, cpu=cpu, mem=mem, icount=icount, vars_path=vars_path, nic=nic, hostfwd=hostfwd,
                            extra=qemu_extra)
        if qemu_monitor:
            cmd[cmd.index("-monitor") + 1] = f"unix:{qemu_monitor},server=on,wait=off"
        self.p = pexpect.spawn(cmd[0], cmd[1:], **opts)

    def expect(self, pattern, timeout=BOOT_TIMEOUT):
        """Waits for a regex; returns the match.  Raises with the console tail on failure."""
        try:
            self.p.expect(pattern, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF) as e:
            tail = open(self.log_path, errors="replace").read()[-3000:]
            raise AssertionError(f"waiting for {pattern!r}: {type(e).__name__}\n--- console ---\n{tail}")
        return self.p.match

    def boot(self):
        self.expect(PROMPT)
        self.boot_text = self.p.before
        return self

    def cmd(self, line, timeout=60):
        """Types a command at the prompt; returns its output (without echo and prompt).
        A few characters at a time, each piece echoed before the next is sent:
        Bochs's UART drops what its 16-byte receive FIFO cannot hold."""
        for i in range(0, len(line), 8):
            self.p.send(line[i:i + 8])
            self.expect(re.escape(line[i:i + 8]), timeout)
        self.p.send("\r")
        self.expect(r"\r*\n", timeout)
        self.expect(PROMPT, timeout)
        return self.p.before.replace("\r", "")

    def close(self):
        if self.kind == "bochs":
            self.bochs.close()
        elif self.p.isalive():
            self.p.terminate(force=True)
        self.log.close()
