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

import qemu

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, "build")
ESP = os.path.join(BUILD, "esp")
PROMPT = "bh> "
BOOT_TIMEOUT = 180  # OVMF alone takes ~10 s under TCG; a loaded CI machine more

# Machines the boot suite runs on, and what a partition sees on each.
KINDS = ["qemu"]
FACTS = {
    "qemu": {"vendor": "amd", "backend": "AMD-V (SVM)", "hypercall": "vmmcall", "hcinsn": 2,
             "novirt_cpu": "qemu64",
             "virt_insn_exits": 6},  # the SVM probes exit; vmxon faults natively
}


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


class Machine:
    def __init__(self, name, esp=ESP, cpu="EPYC", mem=1024, icount=False, kind="qemu"):
        self.kind = kind
        self.facts = FACTS[kind]
        os.makedirs(os.path.join(BUILD, "tests"), exist_ok=True)
        self.log_path = os.path.join(BUILD, "tests", name + ".log")
        self.log = open(self.log_path, "w")
        vars_path = os.path.join(BUILD, "tests", name + ".vars.fd")
        cmd = qemu.qemu_cmd(esp, cpu=cpu, mem=mem, icount=icount, vars_path=vars_path)
        self.p = pexpect.spawn(cmd[0], cmd[1:], encoding="utf-8", codec_errors="replace",
                               timeout=BOOT_TIMEOUT, logfile=self.log)

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
        """Types a command at the prompt; returns its output (without echo and prompt)."""
        self.p.send(line + "\r")
        self.expect(re.escape(line) + r"\r*\n", timeout)
        self.expect(PROMPT, timeout)
        return self.p.before.replace("\r", "")

    def close(self):
        if self.p.isalive():
            self.p.terminate(force=True)
        self.log.close()
