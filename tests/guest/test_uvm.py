"""Hyperv containers without the engine: `bulkhead uvm` (guest/user/uvm.c)
grants /boot/images/busybox.tar to a new utility partition, sends RUN, and
relays the container protocol (include/bulkhead/channel.h): output and exit
status, an EXEC, a signal, a pty with Ctrl-C, and a host `ps` that never
shows the container's processes."""
import re

from shell import SHELL_PROMPT
from test_bulkhead import run_rc

IMG = "/boot/images/busybox.tar"


def test_run_output_status(sh):
    out, rc = run_rc(sh, f"bulkhead uvm -n box1 {IMG} -- sh -c 'echo hi; hostname; ps; exit 3'")
    assert rc == 3, out
    lines = out.splitlines()
    assert "hi" in lines and "box1" in lines, out
    # ps inside: PID 1 is the shell, ps itself is there, nothing of the host's
    assert re.search(r"^\s*1\s+\S+\s+.*sh -c", out, re.M), out
    assert "init" not in out and "bulkheadd" not in out, out


def test_output_is_never_dropped(sh):
    """300 KB of output, far more than the ring and the host's queue hold:
    the writer inside waits for the host to read, and every byte arrives."""
    out = sh.run(f"bulkhead uvm {IMG} -- sh -c 'yes abcdefghi | head -c 300000' | md5sum; "
                 "yes abcdefghi | head -c 300000 | md5sum", 300)
    sums = re.findall(r"^([0-9a-f]{32})\s", out, re.M)
    assert len(sums) == 2 and sums[0] == sums[1], out


def test_missing_command(sh):
    out, rc = run_rc(sh, f"bulkhead uvm {IMG} -- nosuchcmd")
    assert rc == 127, out
    assert 'exec: "nosuchcmd": executable file not found in $PATH' in out, out


def test_exec_and_host_ps(sh):
    out, rc = run_rc(sh, f"bulkhead uvm -n box2 -x 'sleep 1; echo from-exec; ps' {IMG} -- sh -c 'sleep 6; echo done'", 180)
    assert "from-exec" in out, out
    assert re.search(r"^\s*\d+\s+root\s+sleep 6$", out, re.M), out  # the exec's ps sees PID 1's child
    assert "done" in out.splitlines() and rc == 0, out
    assert "uvm: exec exited 0" in out, out
    # host ps: no sleep 4441 (the container's) -- checked while one runs
    sh.run(f"bulkhead uvm -n box3 {IMG} -- sleep 20 > /tmp/uvm3.log 2>&1 & sleep 3")
    host_ps = sh.run("ps")
    assert not re.search(r"^\s*\d+\s+\S+\s+sleep 20", host_ps, re.M), host_ps
    assert re.search(r"^\s*\d+\s+\S+\s+bulkhead uvm -n box3", host_ps, re.M), host_ps
    lst = sh.run("bulkhead list")
    assert re.search(r"box3\s+bulkhead\s+container\s+running", lst), lst


def test_signal(sh):
    out, rc = run_rc(sh, f"bulkhead uvm -k 15 {IMG} -- sh -c 'echo up; exec sleep 100'", 180)
    assert rc == 128 + 15, out


def test_tty_ctrl_c(sh):
    """A pty inside: ^C typed on stdin reaches the foreground process
    through the line discipline (sleep dies of SIGINT: 130), the shell lives."""
    sh.send(f"bulkhead uvm -t -i {IMG} -- sh\r")
    sh.m.expect(r"/ # ", 120)
    sh.send("tty; sleep 99\r")
    sh.m.expect(r"/dev/pts/0", 30)
    sh.send_ctrl("\x03")
    sh.m.expect(r"/ # ", 30)
    sh.send("echo rc-$?\r")
    sh.m.expect(r"rc-130", 30)
    sh.send("exit 5\r")
    sh.m.expect(SHELL_PROMPT, 60)  # the terminal is the host shell's again: typing ahead would go to the container
    out = sh.run("echo rc=$?")
    assert "rc=5" in out, out


def test_bad_requests_and_a_liar(sh):
    """/dev/bulkhead's message mode refuses bad messages with an errno; a
    utility that sends output for a handle never started is stopped."""
    out = sh.run("/tests/bin/sys_uvm", 300)
    assert "sys_uvm: 0 failed" in out, out
    assert "FAIL" not in out, out
    assert "sysuvm" not in sh.run("bulkhead list")


def test_on_vtx():
    """The same container path on the other backend: Bochs, VT-x with EPT."""
    from shell import Shell
    b = Shell("guest-bochs-uvm", kind="bochs")
    try:
        b.run("cd /boot/images")  # short lines: Bochs polls its UART at the tick
        out, rc = run_rc(b, "bulkhead uvm -n vb busybox.tar -- hostname", 600)
        assert rc == 0 and "vb" in out.splitlines(), out
        out, rc = run_rc(b, "bulkhead uvm busybox.tar -- false", 600)
        assert rc == 1, out
    finally:
        b.close()
