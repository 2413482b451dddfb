"""Sandboxes (/dev/sandbox): the checks of tests/guest/sys/sys_sandbox.c run
inside one, the host's shell sees a sandboxed process under its own pid, and
a shell joins a running sandbox (join=PID)."""
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


def test_join(sh):
    sh.run("mkdir -p /tmp/sbj/bin /tmp/sbj/proc /tmp/sbj/w && cp /bin/busybox /tmp/sbj/bin/")
    out = sh.run("bulkhead sandbox -n joinme /tmp/sbj /bin/busybox sleep 300 & sleep 1; echo bg $!")
    pid = re.search(r"bg (\d+)", out).group(1)
    out = sh.run(f"bulkhead sandbox -j {pid} /bin/busybox sh -c "
                 "'busybox hostname; busybox mount -t proc proc /proc; busybox ps; busybox ls /; echo me $$ $(busybox pwd)'")
    lines = out.splitlines()
    me = re.search(r"^me (\d+) /$", out, re.M)
    assert "joinme" in lines and me, out
    assert re.search(rf"^\s*{pid}\s.*sleep 300", out, re.M) and re.search(rf"^\s*{me.group(1)}\s", out, re.M), out
    assert re.search(r"^bin\s+proc\s+w$", out, re.M), out
    assert len(re.findall(r"^\s*\d+ 0 ", out, re.M)) == 3, out  # only the sandbox's tasks: sleep, sh, ps
    out = sh.run(f"bulkhead sandbox -j {pid} -w w/../w /bin/busybox sh -c 'echo me $$ in $(busybox pwd); "
                 "exec busybox sleep 200' & sleep 1; busybox ps")
    me = re.search(r"me (\d+) in /w", out)
    assert me and re.search(rf"^\s*{me.group(1)}\s.*sleep 200", out, re.M), out  # the host's ps, same pid
    assert sh.run("hostname").strip() == "bulkhead"
    assert "No such process" in sh.run("bulkhead sandbox -j 99999 /bin/true")
    assert "Invalid argument" in sh.run("bulkhead sandbox -j 1 /bin/true")  # init: the root sandbox
    assert "Invalid argument" in sh.run(f"bulkhead sandbox -j {pid} -n x /bin/true")
    assert "No such file or directory" in sh.run(f"bulkhead sandbox -j {pid} -w /nothing /bin/true")
    assert "Not a directory" in sh.run(f"bulkhead sandbox -j {pid} -w /bin/busybox /bin/true")
    sh.run(f"kill {pid} {me.group(1)}; wait")
    # a sandbox at its task limit takes no one more; cwd= for a new sandbox
    out = sh.run("bulkhead sandbox -t 1 /tmp/sbj /bin/busybox sleep 300 & sleep 1; echo bg $!")
    pid = re.search(r"bg (\d+)", out).group(1)
    assert "Resource temporarily unavailable" in sh.run(f"bulkhead sandbox -j {pid} /bin/true")
    sh.run(f"kill {pid}; wait")
    assert sh.run("bulkhead sandbox -w /w/../bin /tmp/sbj /bin/busybox pwd").strip().endswith("/bin")
