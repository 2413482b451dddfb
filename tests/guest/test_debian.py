"""Real dynamically linked programs in containers (issue 15): debian:bookworm,
a minbase image from Debian's archive with Debian's musl (tools/mkdebian.sh,
`make debian`), preloaded as a boot image and run by the engine in both
isolation modes: bash, coreutils, dpkg, apt-get, perl (glibc's loader and
Debian's own shared libraries), programs linked dynamically against musl, and
the thread and futex tests linked against each C library.  Every command's
output and exit status are compared with the same command run by Linux in
the same tree (the image as umoci unpacks it, chrooted, with its own /proc).
Then the same dynamic musl and glibc programs in the host's own shell."""
import os
import re
import shlex
import shutil
import subprocess
import tempfile

import pytest

from debian import ROOT, DEB, debian_shell

COREUTILS = ("seq 1 20 | sort -rn | head -3 | tr '\\n' ' '; echo; sha256sum /etc/os-release; "
             "wc -l /var/lib/dpkg/status | cut -d' ' -f1; date -u -d @86400 +%F; basename /a/b/c.txt .txt; "
             "expr 6 \\* 7; stat -c '%n %s %a %U' /etc/passwd /usr/bin/ls; id; uname -s; cat /etc/debian_version; "
             "ls /usr/lib/x86_64-linux-gnu | grep -c '^lib'; printf 'b\\na\\nb\\n' | sort | uniq -c; "
             "echo hi > /tmp/f && cp /tmp/f /tmp/g && mv /tmp/g /tmp/h && cat /tmp/h && rm /tmp/f /tmp/h; "
             "mkdir -p /tmp/x/y && touch /tmp/x/y/z && find /tmp/x | sort && rm -r /tmp/x; "
             "env -i /usr/bin/printenv | wc -l; readlink -f /bin; ls /nonexistent 2>&1; echo status $?")
# (name, argv): each runs in the containers and under Linux in build/debian/rootfs.
COMMANDS = [
    ("bash", ["bash", "-c", "echo ${BASH_VERSION%%(*}; for i in 1 2 3; do printf '%d ' $((i*i)); done; echo; "
              "x=$(echo sub $(echo nested)); echo $x; echo a b c | (read a b c; echo $c $b $a); "
              "declare -A m=([k]=v); echo ${m[k]}; f() { return 4; }; f; echo $?; exit 3"]),
    ("coreutils", ["bash", "-c", COREUTILS]),
    ("dpkg -l", ["dpkg", "-l"]),
    ("apt-get --version", ["apt-get", "--version"]),
    ("perl", ["perl", "-e", 'my %h = map { $_ => $_ ** 2 } 1..5; print join(",", map { "$_=$h{$_}" } sort keys %h), '
              '"\\n"; printf("%.3f %s\\n", atan2(1, 1) * 4, scalar reverse "lrep"); use POSIX; '
              'print POSIX::floor(7.9), " ", (uname())[0], "\\n"; exit 5']),
    ("musl dyn_musl", ["/opt/bh/musl/dyn_musl", "a"]),
    ("glibc dyn_glibc", ["/opt/bh/glibc/dyn_glibc", "a"]),
    ("musl sys_threads", ["/opt/bh/musl/sys_threads", "/tmp/t"]),
    ("glibc sys_threads", ["/opt/bh/glibc/sys_threads", "/tmp/t"]),
    ("musl sys_futex", ["/opt/bh/musl/sys_futex", "/tmp/t"]),
    ("glibc sys_futex", ["/opt/bh/glibc/sys_futex", "/tmp/t"]),
]


def on_linux(argv):
    """argv's output (stdout and stderr) and status under Linux, chrooted in
    the image's tree with a /proc of a PID namespace of its own."""
    rootfs = os.path.join(DEB, "rootfs")
    r = subprocess.run(["unshare", "--mount", "--pid", "--fork", f"--mount-proc={rootfs}/proc",
                        "env", "-i", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                        "chroot", rootfs, *argv], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=300)
    shutil.rmtree(os.path.join(rootfs, "tmp", "t"), ignore_errors=True)
    return r.stdout + f"status {r.returncode}\n"


@pytest.fixture(scope="module")
def sh():
    s = debian_shell("debian")
    yield s
    s.close()


def test_hyperv_small_memory(sh):
    """-m 6 (Docker's least) is room enough for Debian's 126 MB tree: the
    utility serves its files from the granted layer in place, so only the
    inodes and the pages a program touches take the partition's RAM (a
    tree too big for its partition: test_hyperv_guest.py)."""
    out = sh.run("docker run --rm --isolation=hyperv -m 6m debian:bookworm sh -c 'ls /usr/bin | wc -l'; "
                 "echo status $?", timeout=600)
    assert out.splitlines()[-1] == "status 0", out
    assert int(out.splitlines()[-2]) > 100, out
    assert [l.split()[1] for l in sh.run("bulkhead list").splitlines()[1:]] == ["host"]


@pytest.mark.parametrize("mode", ["process", "hyperv"])
def test_debian_in_both_modes(sh, mode):
    """Without -m: a hyperv container's partition is sized by the engine
    for the image's tree (docs/design.md)."""
    name = f"deb-{mode}"
    out = sh.run(f"bulkhead container new {name} --image debian:bookworm --runtime {mode} "
                 f"-- sleep 100000 && bulkhead container start {name}", timeout=600)
    assert out.splitlines()[-1] == name, out
    diffs = []
    for what, argv in COMMANDS:
        want = on_linux(argv)
        got = sh.run(f"bulkhead enter {name} -- {shlex.join(argv)} </dev/null; echo status $?", timeout=600)
        if got != want:
            diffs.append(f"--- {what}: linux\n{want}--- {what}: {mode} container\n{got}")
    sh.run(f"bulkhead container rm -f {name}", timeout=120)
    assert not diffs, "\n".join(diffs)
    # What the host kernel lacks (logged once a number), each with a
    # fallback in its caller, so the outputs above are Linux's: rseq (334,
    # glibc) and copy_file_range (326, cp: read and write instead).
    missing = set(re.findall(r"syscall (\d+) not implemented", sh.run("dmesg")))
    assert missing <= {"334", "326"}, missing


@pytest.mark.parametrize("name", ["sys_threads", "sys_futex"])
def test_dynamic_tests_in_host_shell(sh, name):
    """The same thread and futex tests, dynamic, in the host's shell: musl's
    from /tests/dyn, glibc's chrooted in /tests/glibc."""
    with tempfile.TemporaryDirectory() as d:
        want = subprocess.run([os.path.join(ROOT, "build", "guest-tests", "musl-dyn", name), d + "/w"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120).stdout
    assert len(want.splitlines()) > 5
    assert sh.run(f"/tests/dyn/{name} /tmp/{name}.m", timeout=600) == want
    sh.run("G=/tests/glibc; mkdir -p $G/proc $G/tmp; mountpoint -q $G/proc || mount -t proc proc $G/proc")
    assert sh.run(f"chroot /tests/glibc /{name} /tmp/{name}.g", timeout=600) == want

