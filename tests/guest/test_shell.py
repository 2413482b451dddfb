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


def test_sleep_takes_its_time(sh):
    """The guest's clock follows the host's under QEMU: `sleep 2` lasts 2 s of wall time."""
    import time
    t0 = time.monotonic()
    assert sh.run("sleep 2; echo done").strip() == "done"
    took = time.monotonic() - t0
    assert 1.8 <= took < 30, f"sleep 2 took {took:.2f} s"
