"""The bulkhead tool's container verbs and `enter` (guest/user/), the static
musl program run on the build machine against a recording server
(recorder.py): the exact requests it sends (method, path, query, JSON body,
upgrade headers), how it reads Docker-shaped answers (the Engine API
reference's shapes), its terminal handling under a pty, its exit statuses and
messages, and its usage errors."""
import json
import os
import re
import signal
import threading
import time

import pexpect
import pytest

from recorder import BULKHEAD, Recorder, frame, upgraded

pytestmark = pytest.mark.skipif(not os.path.exists(BULKHEAD), reason="build/user/bulkhead not built")

ID = "4fa6e0f0c6786287e131c3852c58a2e01cc697a68231826813597e4994f1d6e2"
EXEC = "b2f8c0a4e4a7a9e3b1d2c0ffee0123456789abcdef0123456789abcdef012345"
IMAGE_JSON = {"Id": "sha256:" + "a" * 64, "RepoTags": ["busybox:latest"]}
USAGE = "usage: bulkhead COMMAND"


@pytest.fixture
def rec(tmp_path):
    routes = {}
    r = Recorder(tmp_path, routes)
    yield r
    r.close()


def seen(rec):
    return [(q.method, q.path) for q in rec.requests]


# ---- container new
def test_new_sends_create_as_docker(rec):
    rec.routes[("GET", "/v1.44/images/busybox/json")] = (200, IMAGE_JSON)
    rec.routes[("POST", "/v1.44/containers/create?name=c1")] = (201, {"Id": ID, "Warnings": ["low memory"]})
    rc, out, err = rec.run("container", "new", "c1", "--image", "busybox", "--runtime", "HyperV", "-m", "64",
                           "-p", "8080:80", "-p", "8081:80", "-e", "A=1", "-e", "B=x=y", "--", "sleep", "100")
    assert rc == 0, err
    assert out == ID + "\n"
    assert err == "bulkhead: container new c1: warning: low memory\n"
    assert seen(rec) == [("GET", "/v1.44/images/busybox/json"), ("POST", "/v1.44/containers/create?name=c1")]
    create = rec.requests[1]
    assert create.headers["content-type"] == "application/json"
    assert int(create.headers["content-length"]) == len(create.raw)
    assert create.json == {
        "Image": "busybox",
        "Cmd": ["sleep", "100"],
        "Env": ["A=1", "B=x=y"],
        "ExposedPorts": {"80/tcp": {}},
        "HostConfig": {"Isolation": "hyperv", "Memory": 64 << 20,
                       "PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"},
                                                   {"HostIp": "", "HostPort": "8081"}]}},
    }


def test_new_minimal_and_option_forms(rec):
    """No --runtime: no Isolation (the daemon's default, shown as Default);
    options before NAME and in their --opt=value and -mVALUE forms."""
    rec.routes[("GET", "/v1.44/images/localhost:5000/a/b:1/json")] = (200, IMAGE_JSON)
    rec.routes[("POST", "/v1.44/containers/create?name=web")] = (201, {"Id": ID, "Warnings": []})
    rc, out, err = rec.run("container", "new", "--image=localhost:5000/a/b:1", "web")
    assert (rc, out, err) == (0, ID + "\n", "")
    assert rec.requests[1].json == {"Image": "localhost:5000/a/b:1", "HostConfig": {}}
    rec.requests.clear()
    rc, out, err = rec.run("container", "new", "-m16", "--runtime=process", "--image=localhost:5000/a/b:1", "web")
    assert rc == 0, err
    assert rec.requests[1].json == {"Image": "localhost:5000/a/b:1",
                                    "HostConfig": {"Isolation": "process", "Memory": 16 << 20}}


def test_new_escapes_names(rec):
    """A name the daemon will refuse still reaches it intact, escaped."""
    rec.routes[("GET", "/v1.44/images/busybox/json")] = (200, IMAGE_JSON)
    rec.routes[("POST", "/v1.44/containers/create?name=a%20b%26c%3Dd")] = (
        400, {"message": 'Invalid container name (a b&c=d), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed'})
    rc, out, err = rec.run("container", "new", "a b&c=d", "--image", "busybox")
    assert rc == 1 and out == ""
    assert err == ("bulkhead: container new a b&c=d: Invalid container name (a b&c=d), "
                   "only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed\n")


def test_new_unknown_image_stops_before_create(rec):
    rec.routes[("GET", "/v1.44/images/nosuch/json")] = (404, {"message": "No such image: nosuch:latest"})
    rc, out, err = rec.run("container", "new", "c1", "--image", "nosuch")
    assert (rc, out, err) == (1, "", "bulkhead: container new c1: No such image: nosuch:latest\n")
    assert seen(rec) == [("GET", "/v1.44/images/nosuch/json")]


# ---- start, stop, rm, set
@pytest.mark.parametrize("args,method,path,body,status", [
    (("start", "c1"), "POST", "/v1.44/containers/c1/start", None, 204),
    (("start", "c1"), "POST", "/v1.44/containers/c1/start", None, 304),   # already running: fine
    (("stop", "c1"), "POST", "/v1.44/containers/c1/stop", None, 204),
    (("stop", "-t", "5", "c1"), "POST", "/v1.44/containers/c1/stop?t=5", None, 204),
    (("stop", "c1", "-t0"), "POST", "/v1.44/containers/c1/stop?t=0", None, 304),
    (("rm", "c1"), "DELETE", "/v1.44/containers/c1", None, 204),
    (("rm", "-f", "c1"), "DELETE", "/v1.44/containers/c1?force=1", None, 204),
    (("set", "c1", "--runtime", "process"), "POST", "/v1.44/containers/c1/update", {"Isolation": "process"}, 200),
    (("set", "c1", "--runtime", "HYPERV"), "POST", "/v1.44/containers/c1/update", {"Isolation": "hyperv"}, 200),
    (("set", "--runtime=default", "c1"), "POST", "/v1.44/containers/c1/update", {"Isolation": "default"}, 200),
])
def test_verbs(rec, args, method, path, body, status):
    rec.routes[(method, path)] = (status, {"Warnings": []} if status == 200 else None)
    rc, out, err = rec.run("container", *args)
    assert (rc, out, err) == (0, "c1\n", "")
    assert seen(rec) == [(method, path)]
    q = rec.requests[0]
    assert q.json == body
    if method == "POST":
        assert int(q.headers["content-length"]) == len(q.raw)


@pytest.mark.parametrize("args,method,path,status,message", [
    (("start", "c9"), "POST", "/v1.44/containers/c9/start", 404, "No such container: c9"),
    (("stop", "c9"), "POST", "/v1.44/containers/c9/stop", 404, "No such container: c9"),
    (("rm", "c1"), "DELETE", "/v1.44/containers/c1", 409,
     "cannot remove container \"/c1\": container is running: stop the container before removing or force remove"),
    (("set", "c1", "--runtime", "hyperv"), "POST", "/v1.44/containers/c1/update", 400,
     "hyperv isolation is not available on this host"),
    (("list",), "GET", "/v1.44/containers/json?all=1", 500, "store unreadable"),
])
def test_daemon_messages(rec, args, method, path, status, message):
    rec.routes[(method, path)] = (status, {"message": message})
    rc, out, err = rec.run("container", *args)
    what = " ".join(("container",) + args[:2])
    assert (rc, out, err) == (1, "", f"bulkhead: {what}: {message}\n")


def test_non_json_error_body(rec):
    rec.routes[("POST", "/v1.44/containers/c1/start")] = (500, b"runtime exploded\nsecond line")
    assert rec.run("container", "start", "c1") == (1, "", "bulkhead: container start c1: runtime exploded (HTTP 500)\n")


# ---- list
def inspect(isolation):
    return (200, {"Id": ID, "HostConfig": {"Isolation": isolation, "Memory": 0}, "State": {"Status": "created"}})


def test_list_columns_and_runtime_types(rec):
    ids = [c * 64 for c in "abcde"]
    rec.routes[("GET", "/v1.44/containers/json?all=1")] = (200, [
        {"Id": ids[0], "Names": ["/web"], "Image": "busybox", "State": "running", "Status": "Up 2 seconds",
         "HostConfig": {"NetworkMode": "default"}},
        {"Id": ids[1], "Names": ["/a-much-longer-name"], "Image": "localhost:5000/a/b:1", "State": "created",
         "Status": "Created", "HostConfig": {"NetworkMode": "default"}},
        {"Id": ids[2], "Names": ["/gone"], "Image": "busybox", "State": "exited", "Status": "Exited (0)",
         "HostConfig": {"NetworkMode": "default"}},
        {"Id": ids[3], "Names": ["/p"], "Image": "busybox", "State": "exited", "Status": "Exited (137)",
         "HostConfig": {"NetworkMode": "default"}},
        {"Id": ids[4], "Names": ["/d"], "Image": "busybox", "State": "created", "Status": "Created",
         "HostConfig": {"NetworkMode": "default"}},
    ])
    rec.routes[("GET", f"/v1.44/containers/{ids[0]}/json")] = inspect("")
    rec.routes[("GET", f"/v1.44/containers/{ids[1]}/json")] = inspect("hyperv")
    rec.routes[("GET", f"/v1.44/containers/{ids[2]}/json")] = (404, {"message": "No such container"})
    rec.routes[("GET", f"/v1.44/containers/{ids[3]}/json")] = inspect("process")
    rec.routes[("GET", f"/v1.44/containers/{ids[4]}/json")] = inspect("default")
    rc, out, err = rec.run("container", "list")
    assert rc == 0 and err == ""
    lines = out.splitlines()
    assert re.fullmatch(r"NAME +ID +IMAGE +RUNTIMETYPE +STATE", lines[0]), lines[0]
    rows = [l.split() for l in lines[1:]]
    assert rows == [
        ["web", ids[0][:12], "busybox", "Default", "running"],
        ["a-much-longer-name", ids[1][:12], "localhost:5000/a/b:1", "HyperV", "created"],
        ["p", ids[3][:12], "busybox", "Process", "exited"],
        ["d", ids[4][:12], "busybox", "Default", "created"],
    ]
    # columns line up: every row's ID starts where the header's does
    col = lines[0].index(" ID ") + 1
    assert all(l[col:col + 12] in ids[0] + ids[1] + ids[3] + ids[4] for l in lines[1:])
    assert seen(rec)[0] == ("GET", "/v1.44/containers/json?all=1")
    assert len(rec.requests) == 6


def test_list_empty_is_header_only(rec):
    rec.routes[("GET", "/v1.44/containers/json?all=1")] = (200, [])
    rc, out, err = rec.run("container", "list")
    assert (rc, err) == (0, "") and re.fullmatch(r"NAME +ID +IMAGE +RUNTIMETYPE +STATE\n", out), out


@pytest.mark.parametrize("reply,message", [
    ((200, b"[not json"), "the engine's reply is not JSON"),
    ((200, {"Id": "x"}), "the engine's reply is not a list"),
    ((200, [{"Id": "short", "Names": ["/x"]}]), "the engine listed a container without a proper Id"),
])
def test_list_bad_replies(rec, reply, message):
    rec.routes[("GET", "/v1.44/containers/json?all=1")] = reply
    assert rec.run("container", "list") == (1, "", f"bulkhead: container list: {message}\n")


# ---- replies that are not HTTP, or cut short
def raw_answer(data):
    def answer(h, req):
        h.wfile.write(data)
        h.wfile.flush()
    return answer


@pytest.mark.parametrize("data,message", [
    (b"", "the engine closed the connection without replying"),
    (b"HELLO WORLD\r\n\r\n", "bad reply from the engine: "),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n[]", "the engine closed the connection in the middle of its reply"),
    (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "bad reply from the engine: "),
])
def test_broken_replies(rec, data, message):
    rec.routes[("GET", "/v1.44/containers/json?all=1")] = raw_answer(data)
    rc, out, err = rec.run("container", "list")
    assert rc == 1 and out == "" and err.startswith(f"bulkhead: container list: {message}"), err


def test_chunked_reply_in_pieces(rec):
    """A chunked body arriving a few bytes at a time is put together."""
    body = json.dumps([]).encode()

    def answer(h, req):
        data = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
        for i in range(0, len(data), 7):
            h.wfile.write(data[i:i + 7])
            h.wfile.flush()
            time.sleep(0.01)
    rec.routes[("GET", "/v1.44/containers/json?all=1")] = answer
    rc, out, err = rec.run("container", "list")
    assert rc == 0, err


# ---- usage errors: exit 2 with the usage text, and nothing sent
@pytest.mark.parametrize("args,message", [
    (("container",), "container: a verb is needed"),
    (("container", "frob"), "container: unknown verb 'frob'"),
    (("container", "new"), "container new: a NAME is needed"),
    (("container", "new", "c1"), "container new c1: --image IMAGE is needed"),
    (("container", "new", "c1", "--image"), "container new: --image needs an IMAGE"),
    (("container", "new", "c1", "c2", "--image", "x"), "container new: one NAME only"),
    (("container", "new", "c1", "--image", "x", "--runtime", "vm"), "--runtime takes process or hyperv"),
    (("container", "new", "c1", "--image", "x", "--runtime", "default"), "--runtime takes process or hyperv"),
    (("container", "new", "c1", "--image", "x", "-m", "0"), "bad memory size '0'"),
    (("container", "new", "c1", "--image", "x", "-m", "-5"), "bad memory size '-5'"),
    (("container", "new", "c1", "--image", "x", "-m", "99999999999999999999"), "bad memory size"),
    (("container", "new", "c1", "--image", "x", "-p", "80"), "bad -p '80'"),
    (("container", "new", "c1", "--image", "x", "-p", "0:80"), "bad -p '0:80'"),
    (("container", "new", "c1", "--image", "x", "-p", "8080:70000"), "bad -p '8080:70000'"),
    (("container", "new", "c1", "--image", "x", "-p", "a:b"), "bad -p 'a:b'"),
    (("container", "new", "c1", "--image", "x", "-e", "NOVALUE"), "bad -e 'NOVALUE'"),
    (("container", "new", "c1", "--image", "x", "-e", "=v"), "bad -e '=v'"),
    (("container", "new", "c1", "--image", "x", "--imagex", "y"), "unknown option '--imagex'"),
    (("container", "start"), "container start: a NAME is needed"),
    (("container", "start", "a", "b"), "container start: one NAME only"),
    (("container", "start", "-f", "a"), "container start: unknown option '-f'"),
    (("container", "stop", "-t", "x", "c1"), "bad -t 'x'"),
    (("container", "stop", "c1", "-t"), "bad -t ''"),
    (("container", "rm", "-t", "1", "c1"), "container rm: unknown option '-t'"),
    (("container", "set", "c1"), "container set c1: --runtime process|hyperv|default is needed"),
    (("container", "set", "c1", "--runtime", "fast"), "--runtime takes process, hyperv or default"),
    (("container", "list", "x"), "container list takes no arguments"),
    (("container", "start", "a" * 5000), "container: name 'aaaa"),
    (("container", "rm", "%" * 200), "container: name '%%%%"),
    (("container", "new", "a" * 5000, "--image", "x"), "container new: name too long"),
    (("container", "new", "c1", "--image", "x" * 5000), "container new: image name too long"),
    (("enter", "a" * 5000), "enter: name too long"),
    (("enter",), "enter: a NAME is needed"),
    (("enter", "c1", "ls"), "enter: the command goes after --"),
])
def test_usage_errors(rec, args, message):
    rc, out, err = rec.run(*args)
    assert rc == 2 and out == ""
    assert err.startswith("bulkhead: ") and message in err.splitlines()[0], err
    assert USAGE in err and "container new NAME --image IMAGE" in err and "enter NAME" in err
    assert rec.requests == []


def test_help_names_the_verbs():
    import subprocess
    p = subprocess.run([BULKHEAD, "help"], capture_output=True, text=True)
    assert p.returncode == 0
    for words in ("container new NAME --image IMAGE [--runtime process|hyperv] [-m MIB] [-p HOST:CONT]",
                  "container start NAME | stop [-t SECONDS] NAME | rm [-f] NAME", "container list",
                  "container set NAME --runtime process|hyperv|default", "enter NAME [-- CMD [ARG...]]",
                  "-p: publish its port CONT"):
        assert words in p.stdout


# ---- the socket
def test_docker_host_forms(tmp_path):
    import subprocess

    def run(host):
        env = dict(os.environ, DOCKER_HOST=host)
        p = subprocess.run([BULKHEAD, "container", "list"], capture_output=True, text=True, env=env)
        return p.returncode, p.stdout, p.stderr
    assert run("tcp://127.0.0.1:2375") == (
        1, "", "bulkhead: container list: DOCKER_HOST=tcp://127.0.0.1:2375: only unix:///PATH is supported\n")
    assert run("unix://") == (1, "", "bulkhead: container list: DOCKER_HOST=unix://: only unix:///PATH is supported\n")
    long = "/" + "x" * 150
    assert run("unix://" + long)[2] == f"bulkhead: container list: socket path too long: {long}\n"


# ---- enter: exec create, upgraded start, relay, resize, exit code
def exec_routes(rec, tty, stream, exit_code=0, cmd=("/bin/sh",)):
    """The exec endpoints for container c1; stream(handler, req) plays the
    session after the 101."""
    rec.routes[("POST", "/v1.44/containers/c1/exec")] = (201, {"Id": EXEC})

    def start(h, req):
        upgraded(h)
        stream(h, req)
    rec.routes[("POST", f"/v1.44/exec/{EXEC}/start")] = start
    rec.routes[("GET", f"/v1.44/exec/{EXEC}/json")] = (200, {
        "ID": EXEC, "Running": False, "ExitCode": exit_code, "OpenStdin": True, "OpenStdout": True,
        "OpenStderr": True, "ContainerID": ID, "Pid": 42,
        "ProcessConfig": {"tty": tty, "entrypoint": cmd[0], "arguments": list(cmd[1:]), "privileged": False}})


def check_exec_requests(rec, tty, cmd):
    create, start = rec.requests[0], rec.requests[1]
    assert (create.method, create.path) == ("POST", "/v1.44/containers/c1/exec")
    assert create.json == {"AttachStdin": True, "AttachStdout": True, "AttachStderr": True, "Tty": tty,
                           "Cmd": list(cmd)}
    assert (start.method, start.path) == ("POST", f"/v1.44/exec/{EXEC}/start")
    assert start.json == {"Detach": False, "Tty": tty}
    assert start.headers["connection"].lower() == "upgrade" and start.headers["upgrade"] == "tcp"
    assert rec.requests[-1].path == f"/v1.44/exec/{EXEC}/json"


def read_until(h, want, timeout=20):
    """Reads the client's stdin from the upgraded stream until want is in it."""
    got = b""
    h.connection.settimeout(timeout)
    while want not in got:
        b = h.rfile.read1(4096)
        if not b:
            break
        got += b
    return got


def test_enter_without_tty_demultiplexes(rec):
    """stdin a pipe: Tty false, stdin relayed then half-closed, frames split
    anywhere and sent to stdout and stderr, the exec's ExitCode returned."""
    got = {}
    big = bytes(range(256)) * 400

    def stream(h, req):
        data = b""
        while True:                      # until the client's half-close
            b = h.rfile.read1(4096)
            if not b:
                break
            data += b
        got["stdin"] = data
        out = frame(1, b"out1\n") + frame(2, b"err1\n") + frame(1, big) + frame(2, b"") + frame(1, b"end\n")
        for i in range(0, 39, 3):         # headers cut anywhere
            h.wfile.write(out[i:i + 3])
            h.wfile.flush()
            time.sleep(0.01)
        h.wfile.write(out[39:])
        h.wfile.flush()
    exec_routes(rec, False, stream, exit_code=3, cmd=("ps", "-o", "pid"))
    import subprocess
    p = subprocess.run([BULKHEAD, "enter", "c1", "--", "ps", "-o", "pid"], input=b"input data\n",
                       capture_output=True, env=rec.env(), timeout=30)
    assert p.returncode == 3, p.stderr
    assert got["stdin"] == b"input data\n"
    assert p.stdout == b"out1\n" + big + b"end\n"
    assert p.stderr == b"err1\n"
    check_exec_requests(rec, False, ("ps", "-o", "pid"))
    assert not [q for q in rec.requests if "resize" in q.path]


def test_enter_bad_frame(rec):
    exec_routes(rec, False, lambda h, req: (h.wfile.write(b"\x07\0\0\0\0\0\0\x01x"), h.wfile.flush()))
    rc, out, err = rec.run("enter", "c1", "--", "true")
    assert (rc, err) == (1, "bulkhead: enter c1: bad frame in the engine's stream\n")


@pytest.mark.parametrize("where,status,message", [
    ("create", 409, "Container 4fa6e0f0c678 is not running"),
    ("create", 404, "No such container: c1"),
    ("start", 404, "No such exec instance: " + EXEC),
    ("start", 200, "the engine did not upgrade the connection (no 101 reply)"),
])
def test_enter_errors(rec, where, status, message):
    exec_routes(rec, False, lambda h, req: None)
    if where == "create":
        rec.routes[("POST", "/v1.44/containers/c1/exec")] = (status, {"message": message})
    else:
        rec.routes[("POST", f"/v1.44/exec/{EXEC}/start")] = (status, {"message": message} if status >= 400 else b"x")
    assert rec.run("enter", "c1") == (1, "", f"bulkhead: enter c1: {message}\n")


def test_enter_exit_code_waits_while_running(rec):
    """The exec may still be marked running just after its stream closed."""
    exec_routes(rec, False, lambda h, req: None, exit_code=5)
    done = rec.routes[("GET", f"/v1.44/exec/{EXEC}/json")]
    calls = []

    def inspect(h, req):
        calls.append(1)
        status, body = (200, {"ID": EXEC, "Running": True, "ExitCode": None}) if len(calls) < 3 else done
        data = json.dumps(body).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)
    rec.routes[("GET", f"/v1.44/exec/{EXEC}/json")] = inspect
    assert rec.run("enter", "c1", "--", "x")[0] == 5
    assert len(calls) == 3


def spawn_tty(rec, *args, rows=30, cols=100):
    """bulkhead under a pty (its controlling terminal) in a shell that then
    prints its status and the terminal's mode."""
    line = " ".join([BULKHEAD, *args]) + "; echo rc=$?; stty -a"
    return pexpect.spawn("/bin/sh", ["-c", line], env=rec.env(), dimensions=(rows, cols), timeout=20)


def terminal_restored(child):
    child.expect(r"rc=(\d+)")
    rc = int(child.match.group(1))
    child.expect(pexpect.EOF)
    modes = child.before.decode()
    assert re.search(r"(?<!-)icanon", modes) and re.search(r"(?<!-)echo ", modes) and re.search(r"(?<!-)isig", modes), modes
    return rc


def test_enter_tty_session(rec):
    """A tty: raw mode while attached (Ctrl-C reaches the container as a
    byte, the client lives), the window size at start and on SIGWINCH, the
    exit code, the terminal restored."""
    state = {}
    ready = threading.Event()

    def stream(h, req):
        h.wfile.write(b"/ # ")
        h.wfile.flush()
        ready.set()
        state["typed"] = read_until(h, b"\x03")
        state["resizes"] = None
        deadline = time.time() + 20
        while time.time() < deadline and len([q for q in rec.requests if "resize" in q.path]) < 2:
            time.sleep(0.05)
        h.wfile.write(b"^C\r\nbye\r\n")
        h.wfile.flush()
    exec_routes(rec, True, stream, exit_code=130)
    rec.routes[("POST", f"/v1.44/exec/{EXEC}/resize?h=30&w=100")] = (200, None)
    rec.routes[("POST", f"/v1.44/exec/{EXEC}/resize?h=40&w=120")] = (200, None)
    child = spawn_tty(rec, "enter", "c1")
    child.expect_exact("/ # ")
    assert ready.wait(10)
    child.send("ls\r")
    child.send("\x03")   # raw: a byte for the container, no SIGINT here
    deadline = time.time() + 10
    while "typed" not in state and time.time() < deadline:
        time.sleep(0.05)
    child.setwinsize(40, 120)   # SIGWINCH to the foreground job: bulkhead
    child.expect_exact("bye")
    assert terminal_restored(child) == 130
    assert state["typed"] == b"ls\r\x03"    # raw: no echo, no ICRNL, ^C as a byte
    check_exec_requests(rec, True, ("/bin/sh",))
    resizes = [q.path for q in rec.requests if "resize" in q.path]
    assert resizes == [f"/v1.44/exec/{EXEC}/resize?h=30&w=100", f"/v1.44/exec/{EXEC}/resize?h=40&w=120"]


def test_enter_tty_sigterm_restores_terminal(rec):
    pids = []

    def stream(h, req):
        pids.append(req.pid)
        read_until(h, b"never", timeout=30)
    exec_routes(rec, True, stream)
    rec.routes[("POST", f"/v1.44/exec/{EXEC}/resize?h=30&w=100")] = (200, None)
    child = spawn_tty(rec, "enter", "c1")
    deadline = time.time() + 10
    while not [q for q in rec.requests if "resize" in q.path] and time.time() < deadline:
        time.sleep(0.05)
    assert pids
    os.kill(pids[0], signal.SIGTERM)
    assert terminal_restored(child) == 128 + signal.SIGTERM


def test_enter_tty_error_leaves_terminal(rec):
    """A refused start never touches the terminal."""
    exec_routes(rec, True, lambda h, req: None)
    rec.routes[("POST", f"/v1.44/exec/{EXEC}/start")] = (409, {"message": "container is paused"})
    child = spawn_tty(rec, "enter", "c1", "--", "sh")
    child.expect_exact("bulkhead: enter c1: container is paused")
    assert terminal_restored(child) == 1


def test_enter_tty_quick_command_resize_refused(rec):
    """A command that ends before the window size is sent: the daemon's 409
    for the resize is not the user's business (docker says nothing either);
    the exit code still comes back."""
    def stream(h, req):
        h.wfile.write(b"PID USER COMMAND\r\n")
        h.wfile.flush()
    exec_routes(rec, True, stream, exit_code=0, cmd=("ps",))
    rec.routes[("POST", f"/v1.44/exec/{EXEC}/resize?h=30&w=100")] = (409, {"message": f"exec {EXEC} is not running"})
    child = spawn_tty(rec, "enter", "c1", "--", "ps")
    child.expect(r"rc=(\d+)")
    out = child.before.decode()
    assert "PID USER COMMAND" in out and "is not running" not in out, out
    assert [q for q in rec.requests if "resize" in q.path] and child.match.group(1) == b"0"


# ---- image pull
def stream(*msgs):
    return "".join(json.dumps(m) + "\n" for m in msgs).encode()


def test_image_pull_prints_the_progress_as_docker(rec):
    path = "/v1.44/images/create?fromImage=10.0.2.2:5000/a/b&tag=1.0"
    rec.routes[("POST", path)] = (200, stream(
        {"status": "Pulling from a/b", "id": "1.0"},
        {"status": "Pulling fs layer", "progressDetail": {}, "id": "0123456789ab"},
        {"status": "Downloading", "progressDetail": {"current": 5, "total": 9}, "progress": "[==>  ]",
         "id": "0123456789ab"},
        {"status": "Pull complete", "progressDetail": {}, "id": "0123456789ab"},
        {"status": "Digest: sha256:" + "c" * 64},
        {"status": "Status: Downloaded newer image for 10.0.2.2:5000/a/b:1.0"}))
    rc, out, err = rec.run("image", "pull", "10.0.2.2:5000/a/b:1.0")
    assert (rc, err) == (0, "")
    assert seen(rec) == [("POST", path)]
    assert out.splitlines() == ["1.0: Pulling from a/b", "0123456789ab: Pulling fs layer",
                                "0123456789ab: Pull complete", "Digest: sha256:" + "c" * 64,
                                "Status: Downloaded newer image for 10.0.2.2:5000/a/b:1.0",
                                "10.0.2.2:5000/a/b:1.0"]


def test_image_pull_errors(rec):
    path = "/v1.44/images/create?fromImage=reg:5000/x&tag=latest"
    rec.routes[("POST", path)] = (200, stream({"status": "Pulling from x", "id": "latest"},
                                              {"errorDetail": {"message": "blob sha256:1: digest mismatch"},
                                               "error": "blob sha256:1: digest mismatch"}))
    rc, out, err = rec.run("image", "pull", "reg:5000/x")
    assert (rc, out, err) == (1, "latest: Pulling from x\n",
                              "bulkhead: image pull reg:5000/x: blob sha256:1: digest mismatch\n")
    rec.routes[("POST", "/v1.44/images/create?fromImage=busybox&tag=latest")] = (
        500, {"message": "registry docker.io is not in insecure-registries"})
    rc, out, err = rec.run("image", "pull", "busybox")
    assert (rc, out, err) == (1, "", "bulkhead: image pull busybox: registry docker.io is not in insecure-registries\n")
    rc, out, err = rec.run("image", "push", "busybox")
    assert rc == 2 and "bulkhead: image: expected 'image pull NAME[:TAG]'" in err and USAGE in err
