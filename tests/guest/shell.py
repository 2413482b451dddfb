"""The host partition's shell over the serial console: boots build/esp (the
guest kernel with the host root image) and runs shell command lines,
returning what each printed.  Shared by the tests in tests/guest/."""
import os
import re
import shutil

from machine import Machine, ESP, BOOT_TIMEOUT, tests_path

SHELL_PROMPT = r"@bulkhead:[^\r\n]*# "
ANSI = re.compile(r"\x1b\[[0-9;?]*[a-zA-Z]")


# hv writes its own lines ("hv: ...") to the UART whenever something happens
# (a partition crashed), so one can land inside the marker a command echoes.
HV_LINE = r"(?:hv: [^\n]*\n[\r\n]*)?"


def marker_re(marker):
    """The marker as printed, allowing one hv line between any two of its characters."""
    return HV_LINE.join(re.escape(c) for c in marker) + r"\r*\n"


# ... or inside any other line a command prints ("r" "hv: ...\n" "c=0").
HV_MID_LINE = re.compile(r"(?<=[^\n])hv: [^\n]*\n")


def clean(text):
    """Console text as a program printed it: no CRs, no terminal escapes, no
    kernel log lines, no hv line that landed inside one of its lines."""
    text = HV_MID_LINE.sub("", ANSI.sub("", text.replace("\r", "")))
    return "".join(l for l in text.splitlines(True) if not l.startswith("guest: "))


class Shell:
    def __init__(self, name, esp=ESP, icount=False, kind="qemu", boot_timeout=BOOT_TIMEOUT, **machine):
        """machine: more of Machine's arguments (nic, hostfwd)."""
        extra = os.environ.get("BH_GUEST_CMDLINE")  # e.g. "strace" or "heartbeat" when debugging
        if extra:
            src, esp = esp, tests_path("esp-" + name)
            shutil.rmtree(esp, ignore_errors=True)
            shutil.copytree(src, esp)
            with open(os.path.join(esp, "bulkhead.cfg"), "a") as f:
                f.write(f"cmdline = {extra}\n")
        self.m = Machine(name, esp=esp, icount=icount, kind=kind, **machine)
        self.m.expect(SHELL_PROMPT, boot_timeout)
        self.boot_text = self.m.p.before

    def run(self, line, timeout=120, marker="@@DONE@@"):
        """Runs a command line; returns its output (cleaned).  The line ends
        with an echo of a marker the echoed command itself does not contain;
        the line editor's echo (and its redraws) end at the first newline."""
        half = len(marker) // 2
        self.send(f"{line}; echo {marker[:half]}''{marker[half:]}\r")
        self.m.expect(marker_re(marker), timeout)
        out = self.m.p.before.split("\n", 1)
        self.m.expect(SHELL_PROMPT, timeout)
        return clean(out[1] if len(out) > 1 else "")

    def send_ctrl(self, ch):
        """Sends a control character to the guest: the host pty must not turn
        it into a signal for QEMU itself."""
        import termios
        attrs = termios.tcgetattr(self.m.p.child_fd)
        attrs[3] &= ~termios.ISIG
        termios.tcsetattr(self.m.p.child_fd, termios.TCSANOW, attrs)
        self.m.p.send(ch)

    def send(self, data):
        """Types data: the guest takes each byte with its UART's receive
        interrupt, so a whole line goes at once on every machine."""
        return self.m.p.send(data)

    def close(self):
        self.m.close()
