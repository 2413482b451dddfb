"""Overlay roots (/dev/sandbox lower= upper=, guest/fs/overlay.c): containers
over one lower tree write, remove, rename and copy with busybox's tools; the
lower and the other containers never see it, and a fresh one sees the lower
exactly (names, modes, sizes, inode numbers, times, owners, data).  The
steps inside run tests/guest/overlay.sh."""
import re

import pytest

SNAP = "sh /tests/overlay.sh snap /tmp/ovl/lower"


def box(sh, upper, cmd, timeout=300):
    return sh.run(f"bulkhead sandbox -n {upper} -u /tmp/ovl/{upper} /tmp/ovl/lower /bin/sh {cmd}", timeout=timeout)


def figures(sh):
    return dict(l.split() for l in sh.run("cat /proc/bulkhead").splitlines() if len(l.split()) == 2)


@pytest.fixture(scope="module")
def lower(sh):
    assert "setup done" in sh.run("sh /tests/overlay.sh setup", timeout=300)
    snap = sh.run(SNAP, timeout=300)
    assert len(snap.splitlines()) > 250 and "./etc/motd 81a4 9 " in snap, snap[:2000]
    return snap


def test_containers_write_lower_unchanged(sh, lower):
    out = box(sh, "u1", "/t.sh c1")
    lines = out.splitlines()
    assert "original\nmore\n" in out and "ino kept" in lines, out
    assert "x 600 3:4 915148800 x" in lines, out
    assert "sub: . .." in lines, out
    assert "moved: motd sub more" in lines and "No such file or directory" in out, out
    assert "copied: . ./motd ./sub" in lines, out
    assert "untarred: /x /x/etc3 /x/etc3/motd /x/etc3/sub" in lines, out
    assert "opaque: . .." in lines and "links 2" in lines and "c1 done" in lines, out
    assert "found: /etc2/motd /etc3/motd /x/etc3/motd" in lines, out
    big = [l for l in lines if l.startswith("big ")]
    assert big and big[0].split()[1] not in lower, out  # the data changed inside

    out = box(sh, "u2", "/t.sh c2")
    lines = out.splitlines()
    assert "c2" in lines and "big 1" in lines, out
    assert "ls: /bin/ls: No such file or directory" in lines, out
    assert "deep: /deep2 /deep2/er /deep2/er/f deep" in lines, out
    assert "Directory not empty" in out and "sub: . .." in lines, out
    assert "link: c2" in lines and "hard: x y 2" in lines and "made: l@ p|" in lines and "c2 done" in lines, out

    assert sh.run(SNAP, timeout=300) == lower  # the lower, as the host sees it

    # the first container again, on its upper: its own changes, none of c2's
    out = box(sh, "u1", "-c 'cat /etc2/motd; ls /etc; ls /data; cat /newfile; ls /bin/ls; cat /data/../deep2/er/f'")
    assert "original\nmore\n" in out and "new" in out.splitlines() and "/bin/ls\n" in out, out
    assert "ls: /etc: No such file or directory" in out and "deep2" in out, out


def entries(snap):
    """The snapshot's lines below its root (the merged root is the upper's own directory)."""
    return [l for l in snap.splitlines() if l.startswith("./")]


def test_fresh_container_sees_lower(sh, lower):
    assert entries(box(sh, "u3", "/t.sh snap /", timeout=300)) == entries(lower)


def cost(sh, how):
    """Pages in use and file pages a sandbox running sleep adds."""
    before = figures(sh)
    sh.run(f"bulkhead sandbox {how} /tmp/ovl/lower /bin/sleep 100 & sleep 2")
    after = figures(sh)
    sh.run("kill %1; wait")
    return [int(after[k]) - int(before[k]) for k in ("pages_used", "fs_pages")]


def test_start_copies_no_file(sh, lower):
    plain, overlay = cost(sh, ""), cost(sh, "-u /tmp/ovl/u4")
    print(f"sandbox running sleep, pages_used and fs_pages: root= {plain}, overlay {overlay}")
    assert overlay[1] == 0  # no file data copied
    before = figures(sh)
    sh.run("bulkhead sandbox -u /tmp/ovl/u4 /tmp/ovl/lower /bin/ls /bin > /dev/null")
    after = figures(sh)
    listed = [int(after[k]) - int(before[k]) for k in ("pages_used", "fs_pages")]
    print(f"ls /bin in it, pages_used and fs_pages kept: {listed}")  # the shadows stay in the upper
    assert listed[1] == 0 and 0 < listed[0] < 40


@pytest.mark.parametrize("line,err", [
    ("lower=/tmp/ovl/lower", "Invalid argument"),                         # no upper
    ("upper=/tmp/ovl/u9", "Invalid argument"),                            # no lower
    ("root=/tmp/ovl/lower upper=/tmp/ovl/u9 lower=/tmp/ovl/lower", "Invalid argument"),
    ("lower=/tmp/ovl/lower upper=/tmp/ovl/lower/tmp", "Invalid argument"),  # inside the lower
    ("lower=/tmp/ovl/u9 upper=/tmp/ovl", "Invalid argument"),             # the lower inside
    ("lower=/tmp/ovl/lower/t.sh upper=/tmp/ovl/u9", "Not a directory"),
    ("lower=/tmp/ovl/nothing upper=/tmp/ovl/u9", "No such file or directory"),
    ("lower=/tmp/ovl/lower upper=/tmp/ovl/lower/../u5", "Directory not empty"),
    ("lower=/tmp/ovl/lower/etc upper=/tmp/ovl/u1", "Invalid argument"),   # u1 is over another lower
    ("lower=/tmp/ovl/u9 upper=/tmp/ovl/u9", "Invalid argument"),          # one directory
    ("lower=/proc upper=/tmp/ovl/u9", "Invalid argument"),                # not a ramfs directory
    ("lower= upper=/tmp/ovl/u9", "Invalid argument"),
    ("join=abc", "Invalid argument"),
    ("join=0", "Invalid argument"),
    ("join=99999999999", "Invalid argument"),
    ("join=1 root=/tmp", "Invalid argument"),
    ("root=/tmp/ovl/u9 cwd=/nothing", "No such file or directory"),
    ("tasks=-1 root=/tmp/ovl/u9", "Invalid argument"),
])
def test_bad_lines(sh, lower, line, err):
    sh.run("mkdir -p /tmp/ovl/u9 /tmp/ovl/u5/x")
    out = sh.run(f"sh -c 'echo {line} > /dev/sandbox && hostname'")
    assert err in out and "bulkhead" not in out, out
    assert sh.run("hostname").strip() == "bulkhead"
