"""Sandboxes (/dev/sandbox): the checks of tests/guest/sys/sys_sandbox.c run
inside one, and the host's shell sees a sandboxed process under its own pid."""
import re


def test_inside(sh):
    out = sh.run("/tests/bin/sys_sandbox", timeout=300)
    assert "ALL PASSED" in out and "FAIL:" not in out, out


def test_unix_sockets_across_the_wall(sh):
    """Descriptors passed in over a socket, paths, abstract names, SO_PEERCRED
    (tests/guest/sys/sys_unix_sb.c)."""
    out = sh.run("/tests/bin/sys_unix_sb", timeout=300)
    assert "ALL PASSED" in out and "FAIL:" not in out, out


def test_host_sees_same_pid(sh):
    out = sh.run("/tests/bin/sys_sandbox hold & sleep 1; echo bg $!")
    held = re.search(r"held (\d+)", out)
    assert held and f"bg {held.group(1)}" in out, out
    pid = held.group(1)
    ps = sh.run("ps")
    assert re.search(rf"^\s*{pid}\s.*sys_sandbox", ps, re.M), ps
    assert sh.run(f"readlink /proc/{pid}/root").strip() == "/tmp/sbh"
    assert sh.run("hostname").strip() == "bulkhead"
    sh.run(f"kill {pid}; wait")
    assert pid not in sh.run("ps")


def test_bulkhead_sandbox(sh):
    sh.run("mkdir -p /tmp/sbb/bin /tmp/sbb/proc && cp /bin/busybox /tmp/sbb/bin/")
    out = sh.run("bulkhead sandbox -n box -t 4 /tmp/sbb /bin/busybox sh -c "
                 "'busybox hostname; busybox mount -t proc proc /proc && busybox ls /proc; echo pwd $(busybox pwd)'")
    assert "box" in out.splitlines(), out  # (a long command line comes back wrapped)
    pids = [w for w in out.split() if w.isdigit()]
    assert len(pids) == 2 and "1" not in pids, out  # the shell and ls
    assert "pwd /" in out, out
    assert sh.run("hostname").strip() == "bulkhead"
    out = sh.run("bulkhead sandbox -t 1 /tmp/sbb /bin/busybox sh -c '(echo s\"\"ub); echo end'")
    assert "can't fork: Resource temporarily unavailable" in out and "sub" not in out.splitlines(), out
