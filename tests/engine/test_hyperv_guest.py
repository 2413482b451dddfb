"""Hyperv containers in the guest (issue 13): each runs in its own utility
partition, owned by a `vmwp` worker of bulkheadd.  The checks that hold in
both modes are test_containers_guest.py's, run again here with
HostConfig.Isolation "hyperv"; then what only hyperv has: the seeds'
isolation demo (the host's ps sees a vmwp and never the container's
processes; bulkhead list shows its partition), memory from -m, hv's free
pages back after 100 containers, a flood, and the daemon's restart.  One
boot for all of them; the daemon's SIGKILL comes last."""
import json
import os
import re
import sys
import time

import pytest

import test_containers_guest as pc
from test_containers_guest import A, api, js, create, run_exec, host_pid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "guest"))
from shell import Shell  # noqa: E402


@pytest.fixture(scope="module")
def sh():
    s = Shell("hyperv")
    s.run("sleep 2")   # the daemon loads busybox:latest at start
    pc.ISOLATION = "hyperv"
    yield s
    pc.ISOLATION = ""
    s.close()


def partitions(sh):
    """`bulkhead list` as {name: (id, owner, type, state, memory, worker)}."""
    out = sh.run("bulkhead list")
    rows = {}
    for l in out.splitlines()[1:]:
        f = l.split()
        if len(f) == 7:
            rows[f[1]] = (f[0], f[2], f[3], f[4], f[5], f[6])
    return rows


def free_pages(sh):
    m = re.search(r"^hv free pages: (\d+)$", sh.run("bulkhead stats 0"), re.M)
    assert m and int(m.group(1)) > 0, m
    return int(m.group(1))


def wait_gone(sh, timeout=30):
    """Until bulkhead list shows no utility partition (a worker's exit destroys its own)."""
    deadline = time.monotonic() + timeout
    while len(partitions(sh)) > 1:
        assert time.monotonic() < deadline, sh.run("bulkhead list; ps")
        sh.run("sleep 1")


def test_isolation_demo(sh):
    """The seeds' demo side by side: a process container's `sleep 5555` is
    one PID inside and on the host; a hyperv container's `sleep 7777` is its
    partition's PID 1, which the host's ps does not show: a vmwp does."""
    pc.ISOLATION = "process"
    cp = create(sh, "demo-p", {"Image": "busybox", "Cmd": ["sleep", "5555"]})
    pc.ISOLATION = "hyperv"
    assert api(sh, "POST", "/containers/demo-p/start")[0] == 204
    pid = host_pid(sh, "sleep 5555")
    out, _ = run_exec(sh, cp, ["ps"])
    assert re.search(rf"^(?:\[1\])?\s*{pid} root\s+sleep 5555$", out, re.M), out

    ch = create(sh, "demo-h", {"Image": "busybox", "Cmd": ["sleep", "7777"]})
    assert api(sh, "POST", "/containers/demo-h/start")[0] == 204
    st, i = js(sh, "GET", "/containers/demo-h/json")
    assert i["HostConfig"]["Isolation"] == "hyperv" and i["State"]["Running"], i
    ps = sh.run("ps -o pid,args")
    assert "sleep 7777" not in ps and "sleep 5555" in ps, ps
    worker = re.search(rf"^\s*(\d+)\s+vmwp /var/lib/bulkhead/containers/{ch[:20]}", ps, re.M)
    assert worker and int(worker.group(1)) == i["State"]["Pid"], (ps, i["State"])
    out, info = run_exec(sh, ch, ["ps"])
    assert re.search(r"^(?:\[1\])?\s*1 root\s+sleep 7777$", out, re.M), out
    assert len(re.findall(r"^(?:\[1\])?\s*\d+ root", out, re.M)) == 2, out   # sleep and ps only
    assert info["ExitCode"] == 0 and info["Pid"] > 1, info
    st, top = js(sh, "GET", "/containers/demo-h/top")
    assert st == 200 and ["1", "sleep"] == [top["Processes"][0][1], top["Processes"][0][7]], top
    rows = partitions(sh)
    assert ch[:12] in rows, rows
    _, owner, typ, state, mem, wk = rows[ch[:12]]
    assert (owner, typ.lower(), state, mem, wk) == ("bulkheadd", "container", "running", "16M", worker.group(1)), rows
    out, _ = run_exec(sh, ch, ["hostname"])
    assert f"[1]{ch[:12]}" in out, out
    out, _ = run_exec(sh, ch, ["ls", "/"])
    names = set(re.sub(r"^\[1\]", "", out, flags=re.M).split())
    assert {"bin", "etc", "proc", "dev"} <= names and "tests" not in names, out


def test_lifecycle(sh):
    pc.test_lifecycle_default_runtime(sh)


def test_wait_exit_codes_and_missing_executable(sh):
    pc.test_wait_exit_codes_and_missing_executable(sh)


def test_autoremove(sh):
    pc.test_autoremove(sh)


def test_logs_follow_tail_timestamps(sh):
    pc.test_logs_follow_tail_timestamps(sh)


def test_logs_bounded(sh):
    pc.test_logs_bounded(sh)


def test_resize(sh):
    pc.test_resize(sh)


def test_exec_tty_and_ctrl_c(sh):
    pc.test_exec_tty_and_ctrl_c(sh)


def test_attach_before_start(sh):
    pc.test_attach_before_start(sh)


def test_kill_signals(sh):
    """kill's signal reaches PID 1 in the partition; SIGKILL ends it at once."""
    create(sh, "sig", {"Image": "busybox", "Cmd": ["sh", "-c", "trap 'echo got usr1' USR1; "
                       "while :; do sleep 1; done"]})
    api(sh, "POST", "/containers/sig/start")
    sh.run("sleep 1")
    assert api(sh, "POST", "/containers/sig/kill?signal=USR1")[0] == 204
    sh.run("sleep 2")
    assert "got usr1" in api(sh, "GET", "/containers/sig/logs?stdout=1", opts="--frames")[2]
    assert js(sh, "GET", "/containers/sig/json")[1]["State"]["Running"]
    assert api(sh, "POST", "/containers/sig/kill")[0] == 204
    assert js(sh, "POST", "/containers/sig/wait")[1]["StatusCode"] == 137


def test_memory_from_m(sh):
    """-m sizes the partition: its RAM plus the kernel's reserve of 4 MiB."""
    cid = create(sh, "big", {"Image": "busybox", "Cmd": ["sleep", "300"], "HostConfig": {"Memory": 32 << 20}})
    api(sh, "POST", "/containers/big/start")
    assert partitions(sh)[cid[:12]][4] == "36M"
    out, _ = run_exec(sh, cid, ["sh", "-c", "grep MemTotal /proc/meminfo"])
    kib = int(re.search(r"MemTotal:\s+(\d+) kB", out).group(1))
    assert 16 << 10 < kib <= 36 << 10, out
    api(sh, "DELETE", "/containers/big?force=1")
    create(sh, "huge", {"Image": "busybox", "Cmd": ["true"], "HostConfig": {"Memory": 4 << 30}})
    st, j = js(sh, "POST", "/containers/huge/start")
    assert st == 400 and "at most 1024 MiB" in j["message"], j
    assert js(sh, "GET", "/containers/huge/json")[1]["State"]["Status"] == "created"


def test_tree_too_big_for_memory(sh):
    """A layer whose tree does not fit in the partition (30,000 files in 10
    MiB: their inodes; file data would stay in the granted layer): the start
    fails saying why, nothing is left running, and hv gets its pages back."""
    sh.run("rm -rf /tmp/many && mkdir -p /tmp/many/l && cd /tmp/many/l && seq 30000 | sed 's/^/f/' | xargs touch && "
           "cd .. && tar -C l -cf layer.tar . && rm -rf l && d=$(sha256sum layer.tar | cut -c1-64) && "
           "printf '{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{},"
           "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:%s\"]}}' $d > c.json && "
           "c=$(sha256sum c.json | cut -c1-64) && mv c.json $c.json && "
           "printf '[{\"Config\":\"%s.json\",\"RepoTags\":[\"many:latest\"],\"Layers\":[\"layer.tar\"]}]' $c "
           "> manifest.json && tar -cf img.tar manifest.json $c.json layer.tar && docker load -i img.tar; "
           "cd / && rm -rf /tmp/many", timeout=600)
    before, parts = free_pages(sh), set(partitions(sh))
    out = sh.run("docker run --rm --isolation=hyperv -m 6m many true; echo status $?", timeout=300)
    assert "layer 1: entry '" in out and "out of memory" in out, out
    assert out.splitlines()[-1] != "status 0", out
    deadline = time.monotonic() + 30
    while set(partitions(sh)) != parts:   # its worker's exit destroys it
        assert time.monotonic() < deadline, sh.run("bulkhead list")
        sh.run("sleep 1")
    assert free_pages(sh) == before
    sh.run("docker rmi many")


def test_top_shows_printable_names_only(sh):
    """A partition's process list is its own word, shown and never trusted: a
    process named with a terminal escape comes out with '?' for each control
    byte."""
    cid = create(sh, "names", {"Image": "busybox", "Cmd": ["sleep", "600"]})
    api(sh, "POST", "/containers/names/start")
    run_exec(sh, cid, ["sh", "-c", 'f="/tmp/x$(printf "\\033")[2Jy"; printf "#!/bin/sh\\nsleep 600\\n" > "$f"; '
                       'chmod +x "$f"; "$f" >/dev/null 2>&1 &'])
    st, top = js(sh, "GET", "/containers/names/top")
    cmds = [p[7] for p in top["Processes"]]
    assert st == 200 and "x?[2Jy" in cmds and all(c.isprintable() for c in cmds), top
    api(sh, "DELETE", "/containers/names?force=1")


def test_flood_is_bounded(sh):
    """A container that writes without end: its log stays two files of 1 MiB,
    the daemon answers meanwhile, stop ends it."""
    cid = create(sh, "yes", {"Image": "busybox", "Cmd": ["yes", "flood"]})
    api(sh, "POST", "/containers/yes/start")
    t0 = time.monotonic()
    sh.run("sleep 5")
    assert js(sh, "GET", "/containers/yes/json")[1]["State"]["Running"]
    assert time.monotonic() - t0 < 30
    ls = sh.run(f"ls -l /var/lib/bulkhead/containers/{cid}/")
    sizes = [int(m.group(1)) for m in re.finditer(r"(\d+) \w+ +\d+ [\d:]+ container\.log(?:\.1)?$", ls, re.M)]
    assert sizes and max(sizes) <= 1 << 20, ls
    assert api(sh, "POST", "/containers/yes/stop?t=1")[0] == 204
    assert js(sh, "POST", "/containers/yes/wait")[1]["StatusCode"] in (137, 143)


def test_hundred_containers_free_every_page(sh):
    """100 hyperv containers started and removed: hv's free pages come back
    exactly (every page of each partition, its tables and its channel)."""
    for c in js(sh, "GET", "/containers/json")[1]:
        api(sh, "DELETE", f"/containers/{c['Id']}?force=1")
    wait_gone(sh)
    before = free_pages(sh)
    t0 = time.monotonic()
    out = sh.run("for i in $(seq 100); do bulkhead container new loop$i --image busybox --runtime hyperv -- "
                 "true >/dev/null && bulkhead container start loop$i >/dev/null && "
                 f"{A} POST /containers/loop$i/wait | grep -q '\"StatusCode\":0' && "
                 "bulkhead container rm loop$i >/dev/null || echo FAIL-$i; done", timeout=1800)
    took = time.monotonic() - t0
    assert not re.search(r"^FAIL-\d+$", out, re.M), out + sh.run("tail -40 /var/log/bulkheadd.log")
    print(f"100 hyperv containers: {took:.0f} s")
    wait_gone(sh)
    assert free_pages(sh) == before


def test_daemon_killed_while_containers_run(sh):
    """SIGKILL to bulkheadd: init restarts it; it finds the hyperv container's
    worker again; logs go on, stop works, the partition goes."""
    create(sh, "tick", {"Image": "busybox", "Cmd": ["sh", "-c", "while :; do echo tick; sleep 1; done"]})
    api(sh, "POST", "/containers/tick/start")
    st, i = js(sh, "GET", "/containers/tick/json")
    pid, cid = i["State"]["Pid"], i["Id"]
    daemon = host_pid(sh, "/usr/bin/bulkheadd")
    sh.run(f"kill -9 {daemon}; sleep 4")
    assert host_pid(sh, "/usr/bin/bulkheadd") != daemon
    st, i = js(sh, "GET", "/containers/tick/json")
    assert st == 200 and i["State"]["Running"] and i["State"]["Pid"] == pid, i["State"]
    n1 = api(sh, "GET", "/containers/tick/logs?stdout=1", opts="--frames")[2].count("tick")
    sh.run("sleep 3")
    n2 = api(sh, "GET", "/containers/tick/logs?stdout=1", opts="--frames")[2].count("tick")
    assert n2 > n1 >= 4, (n1, n2)
    out, _ = run_exec(sh, cid, ["echo", "still"])
    assert "[1]still" in out, out
    assert api(sh, "POST", "/containers/tick/stop?t=1")[0] == 204
    assert js(sh, "POST", "/containers/tick/wait")[1]["StatusCode"] in (137, 143)
    assert cid[:12] not in partitions(sh)
    assert f"{pid} " not in sh.run("ps -o pid,args")
