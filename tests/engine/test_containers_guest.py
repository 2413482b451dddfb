"""Process containers in the guest: bulkheadd serves /var/run/docker.sock in
the host partition (started by init), and these checks drive it with
/tests/bin/apiclient (tests/guest/sys/apiclient.c) from the console shell.
One boot for all of them (boots are slow); the daemon's SIGKILL comes last."""
import json
import os
import re
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "guest"))
from shell import Shell  # noqa: E402
from engine_client import ConsoleEngine  # noqa: E402
from test_containers import check_bad_create, check_update_isolation  # noqa: E402

A = "/tests/bin/apiclient"
# HostConfig.Isolation of the containers create() makes: test_hyperv_guest.py
# runs the tests that hold in both modes again with "hyperv".
ISOLATION = ""


@pytest.fixture(scope="module")
def sh():
    s = Shell("containers")
    s.run("sleep 2")   # the daemon loads busybox:latest at start
    yield s
    s.close()


def api(sh, method, path, body=None, opts=""):
    """(status, headers text, body text) of one request through apiclient."""
    st, hdrs, data = ConsoleEngine(sh, A).request(method, path, None if body is None else json.dumps(body), opts=opts)
    return st, "\n".join(f"{k}: {v}" for k, v in hdrs.items()), data.decode()


def js(sh, method, path, body=None):
    st, _, b = api(sh, method, path, body)
    return st, (json.loads(b) if b.strip() else None)


def create(sh, name, body):
    if ISOLATION:
        body = dict(body, HostConfig=dict(body.get("HostConfig", {}), Isolation=ISOLATION))
    st, j = js(sh, "POST", f"/containers/create?name={name}", body)
    assert st == 201, j
    return j["Id"]


def run_exec(sh, cid, cmd, opts="--frames --timeout 10", start=None, **cfg):
    st, j = js(sh, "POST", f"/containers/{cid}/exec",
               dict({"Cmd": cmd, "AttachStdout": True, "AttachStderr": True}, **cfg))
    assert st == 201, j
    st, hdrs, out = api(sh, "POST", f"/exec/{j['Id']}/start", start or {}, "--upgrade " + opts)
    assert st == 101 and "upgrade: tcp" in hdrs, (st, hdrs)
    st, info = js(sh, "GET", f"/exec/{j['Id']}/json")
    return out, info


def host_pid(sh, pattern):
    ps = sh.run("ps")
    m = re.search(rf"^\s*(\d+)\s+\S+\s+{pattern}", ps, re.M)
    assert m, ps
    return int(m.group(1))


def test_demo_same_pid(sh):
    """The seeds' demo: the container's ps, the host's ps and top show one PID for `sleep 5555`."""
    cid = create(sh, "demo", {"Image": "busybox", "Cmd": ["sleep", "5555"]})
    assert api(sh, "POST", "/containers/demo/start")[0] == 204
    pid = host_pid(sh, "sleep 5555")
    st, i = js(sh, "GET", "/containers/demo/json")
    assert i["State"]["Running"] and i["State"]["Pid"] == pid and i["State"]["Status"] == "running"
    st, top = js(sh, "GET", "/containers/demo/top")
    assert st == 200 and top["Titles"][:3] == ["UID", "PID", "PPID"]
    assert [p[1] for p in top["Processes"]] == [str(pid)] and top["Processes"][0][7] == "sleep 5555", top
    out, info = run_exec(sh, cid, ["ps"])
    assert re.search(rf"^\[1\]PID.*\n\s*{pid} root\s+sleep 5555$", out, re.M), out
    assert info["ExitCode"] == 0 and not info["Running"] and info["Pid"] > 0
    assert len(re.findall(r"^\s*\d+ root", out, re.M)) == 2, out   # sleep and ps only
    out, _ = run_exec(sh, cid, ["hostname"])
    assert f"[1]{cid[:12]}" in out, out
    out, _ = run_exec(sh, cid, ["ls", "/"])
    names = set(re.sub(r"^\[1\]", "", out).split())
    assert {"bin", "etc", "proc", "dev"} <= names and "tests" not in names, out
    st, info = js(sh, "GET", "/info")
    assert info["ContainersRunning"] >= 1


def test_lifecycle_default_runtime(sh):
    cid = create(sh, "life", {"Image": "busybox", "Cmd": ["sleep", "300"]})
    st, l = js(sh, "GET", "/containers/json?all=1&filters=" + '{"name":["life"]}'.replace('"', "%22"))
    assert [c["State"] for c in l] == ["created"] and l[0]["Isolation"] == ISOLATION, l
    assert api(sh, "POST", "/containers/life/start")[0] == 204
    assert api(sh, "POST", "/containers/life/start")[0] == 304
    st, l = js(sh, "GET", "/containers/json")
    assert any(c["Id"] == cid and c["Status"].startswith("Up") for c in l), l
    st, j = js(sh, "DELETE", "/containers/life")
    assert st == 409 and "container is running: stop the container before removing or force remove" in j["message"]
    t0 = time.time()
    assert api(sh, "POST", "/containers/life/stop?t=2")[0] == 204
    assert time.time() - t0 < 30
    st, w = js(sh, "POST", "/containers/life/wait")
    assert st == 200 and w["StatusCode"] == 143, w   # SIGTERM
    st, l = js(sh, "GET", "/containers/json?all=1")
    assert any(c["Id"] == cid and c["Status"].startswith("Exited (143)") for c in l), l
    assert api(sh, "POST", "/containers/life/stop")[0] == 304
    st, j = js(sh, "POST", "/containers/life/kill")
    assert st == 409 and "is not running" in j["message"]
    # restart, then a stop that has to kill (the shell ignores SIGTERM)
    assert api(sh, "POST", "/containers/life/restart")[0] == 204
    assert js(sh, "GET", "/containers/life/json")[1]["State"]["Running"]
    assert api(sh, "DELETE", "/containers/life?force=1")[0] == 204
    assert js(sh, "GET", "/containers/life/json")[0] == 404
    cid2 = create(sh, "stubborn", {"Image": "busybox", "Cmd": ["sh", "-c", "trap '' TERM; while :; do sleep 1; done"]})
    api(sh, "POST", "/containers/stubborn/start")
    t0 = time.time()
    assert api(sh, "POST", "/containers/stubborn/stop?t=1")[0] == 204
    assert js(sh, "POST", "/containers/stubborn/wait")[1]["StatusCode"] == 137
    api(sh, "DELETE", "/containers/stubborn")
    now = int(time.time()) + 3600
    st, _, ev = api(sh, "GET", f"/events?since=0&until={now}&filters=%7B%22container%22:%5B%22{cid2}%22%5D%7D")
    acts = [json.loads(l)["Action"] for l in ev.splitlines() if l.startswith("{")]
    assert acts[:3] == ["create", "start", "kill"] and "die" in acts and acts[-1] == "destroy", acts


def test_wait_exit_codes_and_missing_executable(sh):
    create(sh, "seven", {"Image": "busybox", "Cmd": ["sh", "-c", "exit 7"]})
    api(sh, "POST", "/containers/seven/start")
    assert js(sh, "POST", "/containers/seven/wait")[1]["StatusCode"] == 7
    assert js(sh, "GET", "/containers/seven/json")[1]["State"]["ExitCode"] == 7
    st, l = js(sh, "GET", "/containers/json?all=1&filters=%7B%22name%22:%5B%22seven%22%5D%7D")
    assert l[0]["Status"].startswith("Exited (7)"), l
    create(sh, "nothere", {"Image": "busybox", "Cmd": ["nosuchprog", "x"]})
    st, j = js(sh, "POST", "/containers/nothere/start")
    assert st == 400 and 'exec: "nosuchprog": executable file not found in $PATH' in j["message"], j
    assert js(sh, "POST", "/containers/nothere/wait")[1]["StatusCode"] == 127
    i = js(sh, "GET", "/containers/nothere/json")[1]
    assert i["State"]["Status"] == "exited" and "executable file not found" in i["State"]["Error"]
    # the env, workdir and user of the config reach the process
    create(sh, "env", {"Image": "busybox", "Cmd": ["sh", "-c", "echo $FOO $(pwd) $(id -u):$(id -g) $HOSTNAME"],
                       "Env": ["FOO=bar"], "WorkingDir": "/work/dir", "User": "1000:50", "Hostname": "box1"})
    assert api(sh, "POST", "/containers/env/start")[0] == 204
    js(sh, "POST", "/containers/env/wait")
    st, _, out = api(sh, "GET", "/containers/env/logs?stdout=1&stderr=1", opts="--frames")
    assert "[1]bar /work/dir 1000:50 box1" in out, out
    create(sh, "nobody", {"Image": "busybox", "Cmd": ["id"], "User": "nobody"})
    st, j = js(sh, "POST", "/containers/nobody/start")
    assert st == 500 and "unable to find user nobody: no matching entries in passwd file" in j["message"], j
    create(sh, "rootname", {"Image": "busybox", "Cmd": ["id", "-u"], "User": "root:root"})
    assert api(sh, "POST", "/containers/rootname/start")[0] == 204


def test_autoremove(sh):
    cid = create(sh, "auto", {"Image": "busybox", "Cmd": ["sh", "-c", "exit 3"], "HostConfig": {"AutoRemove": True}})
    # as the Docker CLI does: the wait is asked for before the start
    sh.run(f"{A} POST '/containers/auto/wait?condition=removed' > /tmp/autowait & sleep 1")
    api(sh, "POST", "/containers/auto/start")
    out = sh.run("wait; cat /tmp/autowait")
    assert "STATUS 200" in out and '"StatusCode":3' in out, out
    assert js(sh, "GET", f"/containers/{cid}/json")[0] == 404
    left = sh.run(f"find /var/lib/bulkhead/containers/{cid} 2>&1 | head")
    assert "No such file" in left, left


def test_logs_follow_tail_timestamps(sh):
    create(sh, "talk", {"Image": "busybox", "Cmd": ["sh", "-c",
                        "for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done; sleep 4; echo late"]})
    api(sh, "POST", "/containers/talk/start")
    sh.run("sleep 1")
    st, hdrs, out = api(sh, "GET", "/containers/talk/logs?stdout=1&stderr=1", opts="--frames")
    assert st == 200 and "multiplexed-stream" in hdrs
    # each stream in its order (two pipes: their interleaving is not kept, as with runc)
    assert re.findall(r"\[1\](\w+)", out) == ["out1", "out2", "out3", "out4", "out5"], out
    assert re.findall(r"\[2\](\w+)", out) == ["err1", "err2", "err3", "err4", "err5"], out
    st, _, out = api(sh, "GET", "/containers/talk/logs?stdout=1&stderr=1&tail=2", opts="--frames")
    last = re.findall(r"\[\d\](\w+)", out)
    assert len(last) == 2 and set(last) <= {"out4", "out5", "err4", "err5"}, out
    st, _, out = api(sh, "GET", "/containers/talk/logs?stdout=1&tail=0", opts="--frames")
    assert out.strip() == "", out
    st, _, out = api(sh, "GET", "/containers/talk/logs?stderr=1&tail=1&timestamps=1", opts="--frames")
    assert re.fullmatch(r"\[2\]\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z err5\n+", out), out
    st, _, out = api(sh, "GET", "/containers/talk/logs?stdout=1&follow=1", opts="--frames")
    assert re.findall(r"\[1\](\w+)", out) == ["out1", "out2", "out3", "out4", "out5", "late"], out
    st, j = js(sh, "GET", "/containers/talk/logs")
    assert st == 400 and "you must choose at least one stream" in j["message"]


def test_logs_bounded(sh):
    """3 MiB of output: the log keeps two files of at most 1 MiB (json-file's max-size), the newest lines."""
    cid = create(sh, "flood", {"Image": "busybox", "Cmd": ["sh", "-c",
                 "dd if=/dev/zero bs=1024 count=3072 2>/dev/null | tr '\\0' x; echo; echo end"]})
    api(sh, "POST", "/containers/flood/start")
    assert js(sh, "POST", "/containers/flood/wait")[1]["StatusCode"] == 0
    ls = sh.run(f"ls -l /var/lib/bulkhead/containers/{cid}/")
    sizes = {m.group(2): int(m.group(1)) for m in re.finditer(r"(\d+) \w+ +\d+ [\d:]+ (container\.log(?:\.1)?)$", ls, re.M)}
    assert set(sizes) == {"container.log", "container.log.1"} and max(sizes.values()) <= 1 << 20, ls
    assert sum(sizes.values()) > 1 << 20, ls
    st, _, out = api(sh, "GET", "/containers/flood/logs?stdout=1&tail=1", opts="--frames")
    assert out.strip() == "[1]end", out


def test_resize(sh):
    create(sh, "size", {"Image": "busybox", "Cmd": ["sh", "-c", "sleep 2; stty size"], "Tty": True})
    api(sh, "POST", "/containers/size/start")
    assert api(sh, "POST", "/containers/size/resize?h=30&w=100")[0] == 200
    assert api(sh, "POST", "/containers/size/resize?h=x")[0] == 400
    js(sh, "POST", "/containers/size/wait")
    st, hdrs, out = api(sh, "GET", "/containers/size/logs?stdout=1")
    assert "raw-stream" in hdrs and out.strip() == "30 100", out


def test_exec_tty_and_ctrl_c(sh):
    create(sh, "tty", {"Image": "busybox", "Cmd": ["sleep", "600"]})
    api(sh, "POST", "/containers/tty/start")
    out, info = run_exec(sh, "tty", ["sh"], opts="--timeout 5 --send 'sleep 100\\n' --wait 1500 --send '\\x03' "
                         "--wait 500 --send 'echo after $?; [ -t 0 ] \\&\\& echo isatty\\n' --send 'exit 3\\n'",
                         start={"Tty": True}, Tty=True, AttachStdin=True)
    assert "after 130" in out and "\nisatty" in out, out
    assert info["ExitCode"] == 3, info
    # job control inside: ^Z stops the foreground job, bg and jobs see it
    out, info = run_exec(sh, "tty", ["sh"], opts="--timeout 5 --send 'sleep 77\\n' --wait 1500 --send '\\x1a' "
                         "--wait 500 --send 'jobs; bg; jobs; kill %1\\n' --wait 500 --send 'exit 0\\n'",
                         start={"Tty": True}, Tty=True, AttachStdin=True)
    assert re.search(r"\[1\]\+ +Stopped +sleep 77", out) and re.search(r"\[1\]\+ +Running +sleep 77", out), out
    # without a tty: stdin relayed, its close is the end of input
    out, info = run_exec(sh, "tty", ["cat"], opts="--frames --timeout 5 --send 'hello\\n' --close",
                         AttachStdin=True)
    assert "[1]hello" in out and info["ExitCode"] == 0, (out, info)
    # attach to the container's own tty
    create(sh, "ttyc", {"Image": "busybox", "Cmd": ["sh"], "Tty": True, "OpenStdin": True})
    api(sh, "POST", "/containers/ttyc/start")
    st, hdrs, out = api(sh, "POST", "/containers/ttyc/attach?stream=1&stdin=1&stdout=1&stderr=1",
                        opts="--upgrade --timeout 3 --send 'echo at$((6*7))\\n' --send 'exit 5\\n'")
    assert st == 101 and "raw-stream" in hdrs and "at42" in out, out
    assert js(sh, "POST", "/containers/ttyc/wait")[1]["StatusCode"] == 5


def test_attach_before_start(sh):
    """docker run's order: attach, then start; the first output is not lost,
    stdin reaches the process (with and without a tty)."""
    create(sh, "early", {"Image": "busybox", "Cmd": ["sh", "-c", "echo first; read x; echo got $x; exit 6"],
                         "OpenStdin": True, "AttachStdin": True, "AttachStdout": True})
    sh.run(f"{A} --upgrade --frames --timeout 5 --wait 2000 --send 'abc\\n' --close "
           "POST '/containers/early/attach?stream=1&stdin=1&stdout=1&stderr=1' > /tmp/att1 & sleep 1")
    assert api(sh, "POST", "/containers/early/start")[0] == 204
    out = sh.run("wait; cat /tmp/att1")
    assert "STATUS 101" in out and "[1]first" in out and "[1]got abc" in out, out
    assert js(sh, "POST", "/containers/early/wait")[1]["StatusCode"] == 6
    create(sh, "early2", {"Image": "busybox", "Cmd": ["sh"], "Tty": True, "OpenStdin": True})
    sh.run(f"{A} --upgrade --timeout 4 --wait 2000 --send 'echo early$((1+1))\\n' --send 'exit 4\\n' "
           "POST '/containers/early2/attach?stream=1&stdin=1&stdout=1' > /tmp/att2 & sleep 1")
    api(sh, "POST", "/containers/early2/start")
    out = sh.run("wait; cat /tmp/att2")
    assert "raw-stream" in out and "early2" in out, out
    assert js(sh, "POST", "/containers/early2/wait")[1]["StatusCode"] == 4


def test_build_machine_checks(sh):
    """The checks test_containers.py runs on the build machine, here over the console."""
    e = ConsoleEngine(sh, A)
    check_bad_create(e, "busybox")
    check_update_isolation(e, "busybox")


def test_update_isolation(sh):
    create(sh, "iso", {"Image": "busybox", "Cmd": ["sleep", "300"], "HostConfig": {"Isolation": "default"}})
    assert js(sh, "POST", "/containers/iso/update", {"Isolation": "process"})[0] == 200
    assert js(sh, "POST", "/containers/iso/update", {"Isolation": "hyperv"})[0] == 200
    assert js(sh, "GET", "/containers/iso/json")[1]["HostConfig"]["Isolation"] == "hyperv"
    assert js(sh, "POST", "/containers/iso/update", {"Isolation": "process"})[0] == 200
    assert js(sh, "GET", "/containers/iso/json")[1]["HostConfig"]["Isolation"] == "process"
    api(sh, "POST", "/containers/iso/start")
    st, j = js(sh, "POST", "/containers/iso/update", {"Isolation": "default"})
    assert st == 409 and j["message"] == "cannot change the isolation of a running container"
    api(sh, "POST", "/containers/iso/kill")
    js(sh, "POST", "/containers/iso/wait")
    assert js(sh, "POST", "/containers/iso/update", {"Isolation": ""})[0] == 200


def test_attackers_view(sh):
    create(sh, "evil", {"Image": "busybox", "Cmd": ["sleep", "600"]})
    api(sh, "POST", "/containers/evil/start")
    daemon = host_pid(sh, "/usr/bin/bulkheadd")
    script = ("ls /tests 2>&1; ls /../../../tests 2>&1; ln -s / /r; ls /r/tests 2>&1; cd /proc/self/root/.. && ls -d tests 2>&1; "
              f"ls /proc/1/root/tests 2>&1; ls -d /proc/{daemon} 2>&1; kill -9 {daemon} 2>&1; kill -9 1 2>&1; "
              "ls /dev/bulkhead /dev/sandbox 2>&1; echo done")
    out, _ = run_exec(sh, "evil", ["sh", "-c", script])
    assert "done" in out and not re.search(r"^\[\d\](bin|sys_|apiclient)", out, re.M), out
    assert out.count("No such file or directory") >= 6 and out.count("No such process") == 2, out
    assert host_pid(sh, "/usr/bin/bulkheadd") == daemon
    assert sh.run("ls -d /tests").strip() == "/tests"


def test_memory_limit_kills_the_container(sh):
    create(sh, "hog", {"Image": "busybox", "Cmd": ["dd", "if=/dev/zero", "of=/dev/null", "bs=48M", "count=1"],
                       "HostConfig": {"Memory": 8 << 20}})
    api(sh, "POST", "/containers/hog/start")
    assert js(sh, "POST", "/containers/hog/wait")[1]["StatusCode"] == 137
    i = js(sh, "GET", "/containers/hog/json")[1]
    assert i["State"]["OOMKilled"] is True, i["State"]
    assert sh.run("echo host alive").strip().endswith("host alive")
    assert api(sh, "GET", "/_ping")[0] == 200


def test_fork_bomb_stops_at_pids_limit(sh):
    create(sh, "bomb", {"Image": "busybox", "HostConfig": {"PidsLimit": 6},
                        "Cmd": ["sh", "-c", "sh -c 'while :; do sleep 300 & done'; echo inner $?; exec sleep 300"]})
    api(sh, "POST", "/containers/bomb/start")
    sh.run("sleep 2")
    st, top = js(sh, "GET", "/containers/bomb/top")
    assert 1 < len(top["Processes"]) <= 6, top
    st, _, out = api(sh, "GET", "/containers/bomb/logs?stdout=1&stderr=1", opts="--frames")
    assert "can't fork" in out and "[1]inner 2" in out, out
    assert sh.run("sleep 0 & wait; echo host forks").strip().endswith("host forks")
    pids = [int(p[1]) for p in top["Processes"]]
    assert api(sh, "DELETE", "/containers/bomb?force=1")[0] == 204
    left = [int(x) for x in re.findall(r"^\s*(\d+)", sh.run("ps"), re.M)]
    assert not set(pids) & set(left), (pids, left)   # the sleeps it left went with it


def test_bad_inputs(sh):
    st, j = js(sh, "POST", "/containers/create", {"Image": "nope:0"})
    assert st == 404 and j["message"] == "No such image: nope:0"
    st, j = js(sh, "POST", "/containers/create", {"Image": "busybox", "HostConfig": {"Isolation": "vm"}})
    assert st == 400 and "invalid isolation" in j["message"]
    st, _, b = api(sh, "POST", "/containers/create", None, opts="")
    assert st == 400
    st, _, b = api(sh, "POST", "/containers/create?name=x1", None)
    assert st == 400
    out = sh.run(f"{A} POST /containers/create '{{\"Image\": '")
    assert "STATUS 400" in out and "invalid JSON" in out, out
    create(sh, "dup", {"Image": "busybox", "Cmd": ["true"]})
    st, j = js(sh, "POST", "/containers/create?name=dup", {"Image": "busybox", "Cmd": ["true"]})
    assert st == 409 and "already in use" in j["message"]
    for m, p in [("POST", "/containers/nope/start"), ("GET", "/containers/nope/json"), ("DELETE", "/containers/nope"),
                 ("POST", "/exec/nope/start"), ("GET", "/containers/nope/top")]:
        st, j = js(sh, m, p)
        assert st == 404, (m, p, j)
    st, j = js(sh, "POST", "/containers/dup/exec", {"Cmd": ["true"]})
    assert st == 409 and "is not running" in j["message"]
    st, j = js(sh, "POST", "/containers/dup/kill?signal=NOPE")
    assert st == 400
    assert api(sh, "GET", "/_ping")[0] == 200


def test_daemon_killed_while_containers_run(sh):
    """SIGKILL to bulkheadd: init restarts it; the containers still run, are
    listed, their logs go on, and stop and wait still work."""
    create(sh, "tick", {"Image": "busybox", "Cmd": ["sh", "-c", "while :; do echo tick; sleep 1; done"]})
    api(sh, "POST", "/containers/tick/start")
    pid = js(sh, "GET", "/containers/tick/json")[1]["State"]["Pid"]
    daemon = host_pid(sh, "/usr/bin/bulkheadd")
    sh.run(f"kill -9 {daemon}; sleep 4")
    again = host_pid(sh, "/usr/bin/bulkheadd")
    assert again != daemon
    st, i = js(sh, "GET", "/containers/tick/json")
    assert st == 200 and i["State"]["Running"] and i["State"]["Pid"] == pid, i["State"]
    st, l = js(sh, "GET", "/containers/json")
    assert {"/tick", "/demo"} <= {c["Names"][0] for c in l}, l
    n1 = api(sh, "GET", "/containers/tick/logs?stdout=1", opts="--frames")[2].count("tick")
    sh.run("sleep 3")
    n2 = api(sh, "GET", "/containers/tick/logs?stdout=1", opts="--frames")[2].count("tick")
    assert n2 > n1 >= 4, (n1, n2)
    assert "running, shim found again" in sh.run("grep 'shim found again' /var/log/bulkheadd.log")
    assert api(sh, "POST", "/containers/tick/stop?t=1")[0] == 204
    assert js(sh, "POST", "/containers/tick/wait")[1]["StatusCode"] in (137, 143)
    assert pid not in [int(x) for x in re.findall(r"^\s*(\d+)", sh.run("ps"), re.M)]
    # a shim killed: the container still runs, watched by its pid; stop still works
    pid = js(sh, "GET", "/containers/demo/json")[1]["State"]["Pid"]
    cid = js(sh, "GET", "/containers/demo/json")[1]["Id"]
    state = sh.run(f"cat /var/lib/bulkhead/containers/{cid}/state.json")
    shim = json.loads(re.search(r"\{.*\}", state, re.S).group(0))["ShimPid"]
    sh.run(f"kill -9 {shim}; sleep 1")
    assert js(sh, "GET", "/containers/demo/json")[1]["State"]["Pid"] == pid
    assert api(sh, "POST", "/containers/demo/stop?t=1")[0] == 204
    assert js(sh, "GET", "/containers/demo/json")[1]["State"]["Status"] == "exited"
    assert pid not in [int(x) for x in re.findall(r"^\s*(\d+)", sh.run("ps"), re.M)]
