"""The bulkhead tool (guest/user/bulkhead.c) in the host partition's shell:
utility partitions made through /dev/bulkhead, each owned by a `vmwp` worker
that relays its console as "[name] line" and reports how it ended.

Workers started with `run -d` write to whatever their stdout is, at any time;
most tests send it to a log file in /tmp so the console stays readable, and
wait for what they expect by polling the log or `bulkhead list`."""
import re
import time

import pytest

from shell import clean

READY = r"guest: utility partition {id} ready"
LIST_HEADER = re.compile(r"^ID\s+NAME\s+OWNER\s+TYPE\s+STATE\s+MEMORY\s+WORKER$", re.M)


def run_rc(sh, cmd, timeout=120):
    """Runs cmd; returns (its output, its exit status)."""
    out = sh.run(f"{cmd}; echo rc=$?", timeout)
    codes = re.findall(r"^rc=(\d+)$", out, re.M)
    assert codes, f"no exit status in {out!r}"
    return out, int(codes[-1])


def run_ok(sh, cmd, timeout=120):
    out, rc = run_rc(sh, cmd, timeout)
    assert rc == 0, f"{cmd!r} -> rc={rc}:\n{out}"
    return out


def wait_for(sh, cmd, pred, timeout=120, pause=1):
    """Runs cmd until pred(output) holds; returns that output."""
    deadline = time.monotonic() + timeout
    while True:
        out = sh.run(cmd)
        if pred(out):
            return out
        assert time.monotonic() < deadline, f"gave up waiting on {cmd!r}; last output:\n{out}"
        sh.run(f"sleep {pause}")


def listing(sh):
    """`bulkhead list` as {id: (name, owner, type, state, memory, worker)}."""
    out = run_ok(sh, "bulkhead list")
    assert LIST_HEADER.search(out), out
    rows = {}
    for line in out.splitlines():
        m = re.match(r"^(\d+)\s+(\S+)\s+(\S+)\s+(host|utility|\?)\s+(\S+)\s+(\d+M)\s+(\d+|-)$", line)
        if m:
            rows[int(m[1])] = m.groups()[1:]
    return rows


def printed_id(sh, log):
    """The id `run -d` printed first in log.  (hv's own log lines, such as
    "hv: partition 1 (bad) crashed", can land anywhere on the console, even in
    the echo of a command line.)"""
    out = sh.run(f"head -n 1 {log}")
    ids = re.findall(r"^(\d+)$", out, re.M)
    assert len(ids) == 1, f"run -d printed {out!r}"
    return int(ids[0])


def start(sh, name, *words, mib=16):
    """`bulkhead run -d` with its worker's output in /tmp/NAME.log; returns
    the id once the partition said it is ready."""
    log = f"/tmp/{name}.log"
    out, rc = run_rc(sh, f"bulkhead run -d -m {mib} {name} {' '.join(words)} >{log} 2>&1")
    assert rc == 0, out
    pid = printed_id(sh, log)
    wait_for(sh, f"cat {log}", lambda o: re.search(rf"^\[{name}\] " + READY.format(id=pid), o, re.M))
    return pid


def worker_pid(sh, pid):
    row = listing(sh)[pid]
    assert row[5] != "-", row
    return int(row[5])


def gone_from_list(sh, pid, timeout=60):
    wait_for(sh, "bulkhead list", lambda o: not re.search(rf"^{pid}\s", o, re.M), timeout)


def no_vmwp(sh, wpid, timeout=60):
    """ps shows no vmwp with that pid (the shell reaps orphans as it goes)."""
    wait_for(sh, "ps", lambda o: not re.search(rf"^\s*{wpid}\s.*vmwp", o, re.M), timeout)


@pytest.fixture(autouse=True)
def no_leftovers(sh):
    """A failed test leaves no worker behind to write on the shared console."""
    yield
    rows = re.findall(r"^[1-9]\d*\s+\S+\s+\S+\s+\S+\s+\S+\s+\d+M\s+(\d+)$", sh.run("bulkhead list"), re.M)
    if rows:
        sh.run("kill " + " ".join(rows) + " 2>/dev/null; sleep 1")


def test_help_and_usage(sh):
    out, rc = run_rc(sh, "bulkhead help")
    assert rc == 0 and "usage: bulkhead" in out and "run [-d] [-m MIB] NAME" in out, out
    out, rc = run_rc(sh, "bulkhead 2>&1")
    assert rc == 2 and "usage: bulkhead" in out, out
    assert "-> /usr/bin/bulkhead" in sh.run("ls -l /usr/libexec/vmwp")


def test_run_detached_list_and_ps(sh):
    """run -d prints the id; the worker relays the console here; list and ps
    show the partition and its worker."""
    out, rc = run_rc(sh, "bulkhead run -d -m 16 u1")
    tail = clean(sh.m.p.before)  # what came between the command's end and the prompt
    assert rc == 0, out
    ids = re.findall(r"^(\d+)$", out, re.M)
    assert ids, out
    pid = int(ids[0])
    ready = r"\[u1\] " + READY.format(id=pid)
    if not re.search(ready, out + tail):
        sh.m.expect(ready, timeout=120)

    rows = listing(sh)
    assert pid in rows, rows
    name, owner, kind, state, mem, worker = rows[pid]
    assert (name, kind, state, mem) == ("u1", "utility", "running", "16M"), rows[pid]
    assert worker != "-", rows[pid]
    assert 0 in rows and rows[0][2:4] == ("host", "running") and rows[0][1] == "hv", rows[0]

    ps = sh.run("ps")
    assert re.search(rf"^\s*{worker}\s.*\bvmwp\b", ps, re.M), ps

    out = run_ok(sh, f"bulkhead stop {pid}")
    tail = clean(sh.m.p.before)
    assert f"{pid} exited with status 0" in out, out
    if "[u1] exited with status 0" not in out + tail:
        sh.m.expect(r"\[u1\] exited with status 0", timeout=60)
    gone_from_list(sh, pid)
    no_vmwp(sh, worker)


def test_three_partitions(sh):
    names = ["u2", "u3", "u4"]
    pids = [start(sh, n) for n in names]
    assert len(set(pids)) == 3, pids
    rows = listing(sh)
    workers = {}
    for n, pid in zip(names, pids):
        assert rows[pid][0] == n and rows[pid][2:5] == ("utility", "running", "16M"), rows[pid]
        workers[n] = int(rows[pid][5])
    assert len(set(workers.values())) == 3, workers

    for pid in pids:
        out = run_ok(sh, f"bulkhead ping {pid} 3")
        replies = re.findall(rf"^reply from {pid}: seq=(\d+) bytes=(\d+) ticks=(\d+)$", out, re.M)
        assert [r[0] for r in replies] == ["1", "2", "3"], out
        assert all(int(b) > 0 and int(t) > 0 for _, b, t in replies), out
        assert "3 sent, 3 received" in out, out
        out = run_ok(sh, f"bulkhead ping {pid} 40 4096")  # the largest message, across the 128 KiB ring's wrap
        assert "40 sent, 40 received" in out and "bytes=4096" in out, out

        out = run_ok(sh, f"bulkhead stats {pid}")
        up = re.search(r"^uptime: (\d+)\.(\d{3}) s$", out, re.M)
        mem = re.search(r"^memory: (\d+) KiB total, (\d+) KiB free$", out, re.M)
        assert up and mem, out
        assert 0 < int(mem[2]) <= int(mem[1]) <= 16 * 1024, out
        assert re.search(r"^tasks: \d+$", out, re.M), out
        msgs = re.search(r"^messages: (\d+) in, (\d+) out$", out, re.M)
        assert msgs and int(msgs[1]) >= 3 and int(msgs[2]) >= 4, out  # the pings and their replies, ready

        out = run_ok(sh, f"bulkhead ps {pid}")
        assert re.search(r"^\s*PID\s+PPID\s+S\s+RSS\s+COMMAND$", out, re.M), out
        rows_ps = re.findall(r"^\s*(\d+)\s+(\d+)\s+([RSZT?])\s+(\d+)K\s+(\S+)$", out, re.M)
        assert rows_ps, out

    for n, pid in zip(names, pids):
        out = run_ok(sh, f"bulkhead stop {pid} 7")
        assert f"{pid} exited with status 7" in out, out
        wait_for(sh, f"cat /tmp/{n}.log", lambda o: f"[{n}] exited with status 7" in o)
        gone_from_list(sh, pid)
    for n in names:
        no_vmwp(sh, workers[n])
    # the worker exited with the partition's status: nothing left to show for it
    rows = listing(sh)
    assert not set(pids) & set(rows), rows


def test_kill_partition(sh):
    pid = start(sh, "k1")
    wpid = worker_pid(sh, pid)
    out = run_ok(sh, f"bulkhead kill {pid}")
    log = wait_for(sh, "cat /tmp/k1.log", lambda o: re.search(r"^\[k1\] stopped: .+", o, re.M))
    assert "killed" in log, log
    gone_from_list(sh, pid)
    no_vmwp(sh, wpid)
    out, rc = run_rc(sh, f"bulkhead ping {pid} 2>&1")
    assert rc == 1 and "no such" in out.lower(), out


def test_killing_the_worker_destroys_the_partition(sh):
    pid = start(sh, "w1")
    wpid = worker_pid(sh, pid)
    run_ok(sh, f"kill {wpid}")
    gone_from_list(sh, pid)
    no_vmwp(sh, wpid)
    # killed by SIGTERM: it never got to say how the partition ended
    assert "exited with status" not in sh.run("cat /tmp/w1.log")


def test_crashing_partition(sh):
    out, rc = run_rc(sh, "bulkhead run -d -m 16 bad crash >/tmp/bad.log 2>&1")
    assert rc == 0, out
    pid = printed_id(sh, "/tmp/bad.log")
    log = wait_for(sh, "cat /tmp/bad.log", lambda o: re.search(r"^\[bad\] crashed: ", o, re.M))
    assert re.search(r"^\[bad\] crashed: .*triple fault", log, re.M), log
    gone_from_list(sh, pid)
    wait_for(sh, "ps", lambda o: not re.search(r"vmwp \d+ \d+ bad$", o, re.M), 60)


def test_bad_input(sh):
    out, rc = run_rc(sh, "bulkhead ping 99 2>&1")
    assert rc == 1 and re.search(r"^bulkhead: ping 99: .*no such", out, re.M | re.I), out

    out, rc = run_rc(sh, "bulkhead run -d -m 1 tiny 2>&1")
    assert rc == 1 and re.search(r"^bulkhead: run tiny: Invalid argument", out, re.M), out
    assert "tiny" not in [r[0] for r in listing(sh).values()]

    out, rc = run_rc(sh, f"bulkhead run -d -m 16 {'n' * 40} 2>&1")
    assert rc == 2 and "too long" in out, out

    for cmd in ["ping abc", "ping 12x", "ping -1", "stop 1 x", "run -m 12x foo", "list extra"]:
        out, rc = run_rc(sh, f"bulkhead {cmd} 2>&1")
        assert rc == 2 and "usage: bulkhead" in out, (cmd, out)

    out, rc = run_rc(sh, "bulkhead frob 2>&1")
    assert rc == 2 and "unknown command 'frob'" in out and "usage: bulkhead" in out, out

    out, rc = run_rc(sh, "/usr/libexec/vmwp 2>&1")
    assert rc == 2 and "usage: vmwp" in out, out


def test_control_needs_the_owner(sh):
    """PING, STATS, PS, SHUTDOWN and KILL: the creator's uid or root, else
    EPERM; LIST and INFO are open to all (include/bulkhead/ctl.h)."""
    assert sh.run("/tests/bin/asuid 1000 id -u").strip() == "1000"
    pid = start(sh, "o1")
    for cmd in ["ping {}", "stats {}", "ps {}", "stop {} 3", "kill {}"]:
        out, rc = run_rc(sh, "/tests/bin/asuid 1000 bulkhead " + cmd.format(pid) + " 2>&1")
        assert rc == 1 and "not yours" in out, (cmd, out)
    out = run_ok(sh, "/tests/bin/asuid 1000 bulkhead list")
    assert re.search(rf"^{pid}\s+o1\s.*running", out, re.M), out
    assert listing(sh)[pid][3] == "running"  # none of it reached the partition

    # Made by uid 1000: that uid may, from any process, and so may root; 1001 may not.
    out, rc = run_rc(sh, "/tests/bin/asuid 1000 bulkhead run -d -m 16 o2 >/tmp/o2.log 2>&1")
    assert rc == 0, out
    pid2 = printed_id(sh, "/tmp/o2.log")
    wait_for(sh, "cat /tmp/o2.log", lambda o: re.search(r"^\[o2\] " + READY.format(id=pid2), o, re.M))
    assert "1 sent, 1 received" in run_ok(sh, f"/tests/bin/asuid 1000 bulkhead ping {pid2}")
    assert "1 sent, 1 received" in run_ok(sh, f"bulkhead ping {pid2}")
    out, rc = run_rc(sh, f"/tests/bin/asuid 1001 bulkhead stop {pid2} 2>&1")
    assert rc == 1 and "not yours" in out, out
    assert f"{pid2} exited with status 4" in run_ok(sh, f"/tests/bin/asuid 1000 bulkhead stop {pid2} 4")
    assert f"{pid} exited with status 0" in run_ok(sh, f"bulkhead stop {pid}")
    gone_from_list(sh, pid)
    gone_from_list(sh, pid2)


def host_stats(sh):
    out = run_ok(sh, "bulkhead stats 0")
    return {k: int(v) for k, v in re.findall(r"^(doorbells|channel drains|hv state queries): (\d+)$", out, re.M)}


def test_doorbells_cost_no_hv_queries(sh):
    """A doorbell is one vector for every partition: the host reads the rings
    that have data and asks hv for states only now and then, not once per
    partition per doorbell."""
    pids = [start(sh, n) for n in ["d1", "d2", "d3"]]
    before = host_stats(sh)
    out = run_ok(sh, f"bulkhead ping {pids[0]} 100", timeout=300)
    assert "100 sent, 100 received" in out, out
    after = host_stats(sh)
    doorbells = after["doorbells"] - before["doorbells"]
    queries = after["hv state queries"] - before["hv state queries"]
    assert doorbells >= 100 and after["channel drains"] - before["channel drains"] >= 100, (before, after)
    assert queries < 30, (before, after)  # was 3 per doorbell: 300 and more
    for pid in pids:
        run_ok(sh, f"bulkhead kill {pid}")
        gone_from_list(sh, pid)


def test_idle_ticks(sh):
    """hv's halted time (`hv idle ticks`) beside the TSC: a second of sleep
    is mostly idle, a second of spinning mostly not."""
    def read():
        out = run_ok(sh, "bulkhead stats 0")
        return [int(re.search(rf"^{k}: (\d+)$", out, re.M)[1]) for k in ("tsc", "hv idle ticks")]
    def idle_share(cmd):
        (t0, i0), _, (t1, i1) = read(), run_ok(sh, cmd, timeout=60), read()
        assert t1 > t0 and 0 <= i1 - i0 <= t1 - t0, (t0, i0, t1, i1)
        return (i1 - i0) / (t1 - t0)
    assert idle_share("sleep 1") > 0.5
    assert idle_share("t=$(($(date +%s) + 2)); while [ $(date +%s) -lt $t ]; do :; done") < 0.5


def test_huge_and_bad_requests(sh):
    """What hv refuses comes back as a clear errno; nothing is left behind."""
    for mib in [1 << 40, (1 << 44) - 1]:
        out, rc = run_rc(sh, f"bulkhead run -d -m {mib} huge 2>&1")
        assert rc == 1 and re.search(r"^bulkhead: run huge: Out of memory \(more memory than hv has free\)$",
                                     out, re.M), out
    assert "huge" not in [r[0] for r in listing(sh).values()]
    out, rc = run_rc(sh, "bulkhead ping 4000000000 2>&1")
    assert rc == 1 and "no such" in out, out
    out = run_ok(sh, "/tests/bin/sys_robust bulkhead")  # bad pointers, sizes, requests
    assert "PASS: bulkhead-device-bad-requests" in out, out


def test_foreground_run_exit_status(sh):
    out, rc = run_rc(sh, "bulkhead run -m 16 fg exit=5", timeout=180)
    assert re.search(r"^\[fg\] " + READY.format(id=r"\d+"), out, re.M), out
    assert re.search(r"^\[fg\] exited with status 5$", out, re.M), out
    assert rc == 5, out
    assert "fg" not in [r[0] for r in listing(sh).values()]


def test_channels_on_vtx():
    """The same path on the other backend: Bochs, VT-x with EPT."""
    from shell import Shell
    b = Shell("guest-bochs-channels", kind="bochs")
    try:
        pid = start(b, "v1")
        out = run_ok(b, f"bulkhead ping {pid} 3 4096")
        assert "3 sent, 3 received" in out, out
        assert re.search(r"^\s*0\s+0\s+R\s+0K\s+idle$", run_ok(b, f"bulkhead ps {pid}"), re.M)
        assert f"{pid} exited with status 9" in run_ok(b, f"bulkhead stop {pid} 9")
        wait_for(b, "cat /tmp/v1.log", lambda o: "[v1] exited with status 9" in o)
        gone_from_list(b, pid)
        start(b, "v2", "crash")
        wait_for(b, "cat /tmp/v2.log", lambda o: "[v2] crashed: triple fault" in o)
        assert set(listing(b)) == {0}
    finally:
        b.close()
