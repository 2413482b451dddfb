"""The host partition's userland: Debian's busybox-static on the guest
kernel.  tests/guest/applets.sh runs in the guest's shell and under Linux
with the same busybox binary; every case's output must be the same."""
import os
import re
import subprocess
import tempfile

import pytest


HERE = os.path.dirname(os.path.abspath(__file__))
BUSYBOX = "/bin/busybox"


def sections(text):
    """{case name: output} from '=== name' headers."""
    out, name = {}, None
    for line in text.splitlines():
        if line.startswith("=== "):
            name = line[4:].strip()
            out[name] = []
        elif name:
            out[name].append(line)
    return {k: "\n".join(v) for k, v in out.items()}


def run_on_linux(script):
    with tempfile.TemporaryDirectory() as d:
        bindir = os.path.join(d, "bin")
        os.mkdir(bindir)
        for applet in subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True).stdout.split():
            os.symlink(BUSYBOX, os.path.join(bindir, applet))
        env = {"PATH": bindir, "T": os.path.join(d, "t"), "HOME": d}
        r = subprocess.run([BUSYBOX, "sh", script], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, env=env, timeout=120, cwd=d)
        return r.stdout.replace(d + "/t", "/tmp/bhtest").replace(script, "/tests/applets.sh")


def test_boot_to_shell(sh):
    assert "init: starting /bin/sh" in sh.boot_text
    assert sh.run("echo $((6*7))").strip() == "42"


def test_applets_match_linux(sh):
    want = sections(run_on_linux(os.path.join(HERE, "applets.sh")))
    got = sections(sh.run("T=/tmp/bhtest sh /tests/applets.sh 2>&1 | cat", timeout=600))
    assert len(want) > 40 and "end" in want
    bad = [f"--- {k}\nlinux:\n{want[k]}\nbulkhead:\n{got.get(k, '<missing>')}" for k in want if got.get(k) != want[k]]
    assert not bad, f"{len(bad)} of {len(want)} cases differ:\n" + "\n".join(bad)


def test_procfs_applets(sh):
    ps = sh.run("ps")
    assert re.search(r"^\s*1\s+root\s.*init|^\s*1\s+root\s.*sh", ps, re.M), ps
    assert "ps" in ps
    free = sh.run("free")
    assert re.search(r"Mem:\s+\d+", free), free
    assert "load average" in sh.run("uptime")
    top = sh.run("top -bn1")
    assert "PID" in top and "Mem:" in top, top


def test_ctrl_c_interrupts_foreground(sh):
    sh.send("sleep 30\r")
    sh.m.expect(r"sleep 30\r*\n")
    import time
    time.sleep(1)
    sh.send_ctrl("\x03")
    sh.m.expect(r"@bulkhead:[^\r\n]*# ", timeout=20)
    assert sh.run("echo alive").strip() == "alive"


def job_control(s):
    """^Z, jobs, bg and fg in an interactive shell; what each step printed."""
    import time
    from shell import SHELL_PROMPT, clean

    def ctrl_z(line):
        s.send(line + "\r")
        s.m.expect(re.escape(line) + r"\r*\n")
        time.sleep(1)
        s.send_ctrl("\x1a")
        s.m.expect(SHELL_PROMPT, 30)
        return re.findall(r"\[\d+\].*\S", clean(s.m.p.before))  # the tty's echo of ^Z differs

    state = "cut -d' ' -f3 /proc/$(jobs -p %1)/stat"
    return [ctrl_z("sleep 6"), s.run("jobs"), s.run(state), s.run("bg"), s.run("jobs"), s.run(state),
            s.run("fg"), s.run("jobs"),
            ctrl_z("cat"), s.run("bg; sleep 1; jobs"), s.run(state), s.run("kill -9 %1; sleep 1"), s.run("jobs")]


class LinuxShell:
    """busybox's interactive shell under Linux on a pty, driven as Shell drives the guest's."""
    def __init__(self, bindir):
        import pexpect
        from shell import SHELL_PROMPT, Shell
        self.p = pexpect.spawn(BUSYBOX, ["sh", "-i"], env={"PATH": bindir, "PS1": "linux@bulkhead:\\w# "},
                               cwd="/", dimensions=(24, 200), encoding="utf-8", codec_errors="replace")
        self.kind = "linux"
        self.m = self
        self.run = Shell.run.__get__(self)
        self.send_ctrl = self.send  # the pty's own line discipline makes ^Z a signal
        self.expect(SHELL_PROMPT)

    def expect(self, pattern, timeout=30):
        return self.p.expect(pattern, timeout)

    def send(self, data):
        self.p.send(data)


def test_job_control_matches_linux(sh):
    with tempfile.TemporaryDirectory() as d:
        for applet in subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True).stdout.split():
            os.symlink(BUSYBOX, os.path.join(d, applet))
        linux = LinuxShell(d)
        try:
            want = job_control(linux)
        finally:
            linux.p.close(force=True)
    got = job_control(sh)
    assert "Stopped" in want[0][0] and want[2].strip() == "T", want
    assert got == want


def test_dmesg_has_the_kernel_log(sh):
    """The kernel's messages are in dmesg; an unimplemented syscall's line
    goes there only, not onto the console."""
    out = sh.run("dmesg")
    assert re.search(r"^\[\s*\d+\.\d{6}\] guest: Bulkhead guest kernel", out, re.M), out
    assert "guest: ready" in out and "root image" in out, out
    sh.send("/tests/bin/sys_log nosys; echo @@NO''SYS@@\r")
    sh.m.expect(r"@@NOSYS@@\r*\n")
    console = sh.m.p.before
    sh.m.expect(r"@bulkhead:[^\r\n]*# ")
    assert "nosys: -1 ENOSYS" in console and "not implemented" not in console, console
    assert re.search(r"syscall 335 not implemented \(pid \d+, sys_log\)", sh.run("dmesg | tail -5"))


def test_df_shows_the_root(sh):
    """df lists the root file system as Linux's df lists a tmpfs: the same
    header and columns; its blocks are the pages files hold or may take."""
    def shape(out):
        return [re.sub(r"\d+(\.\d+)?[KMGT]?", "N", " ".join(l.split()[1:])) for l in out.splitlines()]

    for opt in ("", "-h"):
        want = subprocess.run([BUSYBOX, "df", *opt.split(), "/dev/shm"], capture_output=True, text=True).stdout
        got = sh.run(f"df {opt} /")
        assert shape(got) == [s.replace("/dev/shm", "/") for s in shape(want)], (want, got)
    every = sh.run("df").splitlines()
    root = [l for l in every if l.endswith(" /")]
    assert root and root[0].startswith("ramfs ") and not any("/proc" in l for l in every), every
    total, used, free = map(int, root[0].split()[1:4])
    assert used > 1024 and total == used + free, root


def test_sleep_takes_its_time(sh):
    """The guest's clock follows the host's under QEMU: `sleep 2` lasts 2 s of wall time."""
    import time
    t0 = time.monotonic()
    assert sh.run("sleep 2; echo done").strip() == "done"
    took = time.monotonic() - t0
    assert 1.8 <= took < 30, f"sleep 2 took {took:.2f} s"
