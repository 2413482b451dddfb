"""Targeted syscall tests: static musl programs (tests/guest/sys/) run under
Linux on the build machine and in the host partition's shell; their outputs,
error cases included, must be the same.  sys_robust runs only in the guest,
in a machine of its own: it attacks the kernel."""
import os
import re
import subprocess
import tempfile

import pytest

from shell import Shell

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "build", "guest-tests")


def native(name, *args):
    r = subprocess.run([os.path.join(BIN, name), *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=60)
    return r.stdout


@pytest.mark.parametrize("name", ["sys_files", "sys_proc", "sys_sem", "sys_jobs", "sys_log", "sys_mshared", "sys_maps",
                                  "sys_unix", "sys_unix_dg", "sys_pty", "sys_inet", "sys_threads", "sys_futex",
                                  "sys_events", "sys_mremap", "sys_hints", "sys_flags"])
def test_same_as_linux(sh, name):
    with tempfile.TemporaryDirectory() as d:
        want = native(name, os.path.join(d, "w")).splitlines()
    got = sh.run(f"/tests/bin/{name} /tmp/{name}.d", timeout=300).splitlines()
    assert len(want) > 5
    diff = [f"  linux: {w!r}\n  guest: {g!r}" for w, g in zip(want, got) if w != g]
    assert not diff and len(got) == len(want), "\n".join(diff) + f"\n({len(want)} vs {len(got)} lines)"


def test_threads_in_ps_and_proc(sh):
    """A process with threads is one line in ps and one /proc entry; its
    /proc/PID/task lists each thread, whose own /proc/TID/status names the
    process as Tgid."""
    sh.run("/tests/bin/sys_threads park 5 & p=$!; sleep 1")
    pid = sh.run("echo $p").split()[-1]
    assert sh.run("ps | grep -c '[s]ys_threads'").split()[-1] == "1"
    assert sh.run('ls /proc | grep -c "^$p$"').split()[-1] == "1"
    assert sh.run("ls /proc/$p/task | wc -l").split()[-1] == "6"
    assert sh.run("t=$(ls /proc/$p/task | tail -1); grep Tgid /proc/$t/status").split()[-2:] == ["Tgid:", pid]
    assert "status 0" in sh.run("wait $p; echo status $?", timeout=60)


def test_dynamic_programs(sh):
    """PT_INTERP: a musl program with /lib/ld-musl-x86_64.so.1, and a glibc one
    with the build machine's loader and libc in a tree it runs chrooted in;
    threads, malloc, /proc/self; the same output and status as on Linux."""
    want = subprocess.run([os.path.join(BIN, "dyn_musl"), "a"], stdout=subprocess.PIPE, text=True, timeout=60)
    assert want.returncode == 3 and "hello" in want.stdout
    got = sh.run("/tests/bin/dyn_musl a; echo status $?", timeout=120)
    assert got == want.stdout + "status 3\n", got
    want = subprocess.run([os.path.join(BIN, "dyn_glibc"), "a"], stdout=subprocess.PIPE, text=True, timeout=60)
    sh.run("G=/tests/glibc; mkdir -p $G/proc; mount -t proc proc $G/proc")
    got = sh.run("chroot $G /dyn_glibc a; echo status $?", timeout=120)
    assert got == want.stdout + "status 3\n", got
    assert sh.run("chroot $G /bin/true; echo status $?", timeout=60).strip() == "status 0"
    # a missing loader is ENOENT, as on Linux (the shell says "not found")
    out = sh.run("cp /tests/bin/dyn_musl $G/dm; chroot $G /dm 2>&1; echo status $?; rm $G/dm")
    assert "No such file or directory" in out and "status 127" in out, out


def test_busybox_syslogd_logger(sh):
    """busybox syslogd binds the datagram socket /dev/log; logger sends to it."""
    out = sh.run("rm -f /tmp/msgs; syslogd -n -O /tmp/msgs & p=$!; sleep 1; ls -l /dev/log; "
                 "logger -t unixtest hello over AF_UNIX; sleep 1; kill $p; wait $p; cat /tmp/msgs", timeout=60)
    assert re.search(r"^srw.* /dev/log$", out, re.M), out
    assert "user.notice unixtest: hello over AF_UNIX" in out, out


@pytest.fixture(scope="module")
def victim():
    s = Shell("guest-robust")
    yield s
    s.close()


def test_robustness(victim):
    out = victim.run("/tests/bin/sys_robust", timeout=900)
    assert "ALL PASSED" in out and "FAIL:" not in out, out
    assert victim.run("echo still serving").strip() == "still serving"
    # the shell reports what stopped its children
    assert "Segmentation fault" in victim.run("/tests/bin/sys_robust segv")
    out = victim.run("/tests/bin/sys_robust hog; echo status $?", timeout=900)
    assert "Killed" in out and "status 137" in out, out
    assert "bin" in victim.run("ls /")
