"""The real Docker CLI as `docker` in the host partition's shell (the boot
module `docker`, tools/bulkhead.cfg), talking to bulkheadd on
/var/run/docker.sock: the seeds' commands verbatim, an interactive hyperv
container on the serial console, and a Go program (tests/guest/go/gort.go,
built now with Debian's Go, static and with cgo) in the host shell and in
both kinds of container, its output compared with the same program's on
Linux.  One boot for the module, with the Go programs as boot modules and
in an image gort:latest the engine loads at boot."""
import os
import re
import shutil
import subprocess
import time

import pytest

from machine import ESP
from shell import Shell
from test_bulkhead import run_rc, wait_for

BUILD = os.path.dirname(ESP)
GO_SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "go", "gort.go")
GLIBC = ["/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/libc.so.6"]
CONT_PROMPT = r"[/~][^\r\n]*# "   # busybox sh as root inside the container


def go_build(out, cgo):
    env = dict(os.environ, CGO_ENABLED="1" if cgo else "0", GOCACHE=os.path.join(BUILD, "tests", "gocache"),
               GOPATH=os.path.join(BUILD, "tests", "gopath"), GOFLAGS="-mod=mod")
    subprocess.run(["go", "build", "-ldflags=-s -w", "-o", out, GO_SRC], check=True, env=env)


def gort_image(work, out, progs):
    """gort:latest, a docker-archive of the two programs and glibc (the cgo one's loader and libc)."""
    img, bundle = os.path.join(work, "img"), os.path.join(work, "bundle")
    shutil.rmtree(img, ignore_errors=True)
    shutil.rmtree(bundle, ignore_errors=True)
    subprocess.run(["umoci", "init", "--layout", img], check=True)
    subprocess.run(["umoci", "new", "--image", img + ":latest"], check=True)
    subprocess.run(["umoci", "unpack", "--image", img + ":latest", bundle], check=True, stdout=subprocess.DEVNULL)
    rootfs = os.path.join(bundle, "rootfs")
    for p in progs:
        shutil.copy(p, rootfs)
    for lib in GLIBC:
        os.makedirs(os.path.dirname(rootfs + lib), exist_ok=True)
        shutil.copy(os.path.realpath(lib), rootfs + lib)
    subprocess.run(["umoci", "repack", "--image", img + ":latest", bundle], check=True, stdout=subprocess.DEVNULL)
    if os.path.exists(out):
        os.unlink(out)
    subprocess.run(["skopeo", "copy", "-q", f"oci:{img}:latest", f"docker-archive:{out}:gort:latest"], check=True)


@pytest.fixture(scope="module")
def go():
    """The programs' paths and their output on Linux (the same for both)."""
    work = os.path.join(BUILD, "tests", "gort")
    os.makedirs(work, exist_ok=True)
    static, cgo = os.path.join(work, "gort-static"), os.path.join(work, "gort-cgo")
    go_build(static, False)
    go_build(cgo, True)
    want = subprocess.run([static], capture_output=True, text=True, check=True).stdout
    assert subprocess.run([cgo], capture_output=True, text=True, check=True).stdout == want
    gort_image(work, os.path.join(work, "gort.tar"), [static, cgo])
    return work, want


@pytest.fixture(scope="module")
def dsh(go):
    work, _ = go
    esp = os.path.join(BUILD, "tests", "esp-docker")
    shutil.rmtree(esp, ignore_errors=True)
    shutil.copytree(ESP, esp)
    assert os.path.exists(os.path.join(esp, "docker")), "build/esp has no docker module (make esp)"
    for f in ("gort-static", "gort-cgo", "gort.tar"):
        shutil.copy(os.path.join(work, f), esp)
    with open(os.path.join(esp, "bulkhead.cfg"), "a") as f:
        f.write("image = gort-static\nimage = gort-cgo\nimage = gort.tar\n")
    s = Shell("guest-docker", esp=esp)
    wait_for(s, "docker images 2>&1", lambda o: "gort" in o, timeout=120)
    yield s
    s.close()


def rc_out(sh, line, timeout=300):
    """line's output (without run_rc's status line, CRs dropped) and exit status."""
    _, rc = run_rc(sh, f"{line} > /tmp/out 2>&1", timeout=timeout)
    return sh.run("cat /tmp/out").replace("\r", ""), rc   # a short line: long ones wrap on the console


def ok(sh, line, timeout=300):
    out, rc = rc_out(sh, line, timeout)
    assert rc == 0, f"{line}: {out}"
    return out


def test_version(dsh):
    out = ok(dsh, "docker version")
    assert re.search(r"^Client:\n Version: +\d+\.", out, re.M), out
    assert re.search(r"^Server: Bulkhead Engine$", out, re.M), out
    assert re.search(r"^  API version: +1\.\d+ \(minimum version 1\.\d+\)$", out, re.M), out


def test_seed_commands(dsh):
    proc = ok(dsh, "docker run -d busybox ping localhost").strip().splitlines()[-1]
    assert re.fullmatch(r"[0-9a-f]{64}", proc), proc
    top = ok(dsh, f"docker top {proc[:12]}")
    m = re.search(r"^root +(\d+) +\d+ .* ping localhost$", top, re.M)
    assert m and top.startswith("UID "), top
    hyp = ok(dsh, "docker run -d --isolation=hyperv busybox ping localhost").strip().splitlines()[-1]
    assert re.fullmatch(r"[0-9a-f]{64}", hyp), hyp
    top2 = ok(dsh, f"docker top {hyp[:12]}")
    assert re.search(r"^root +1 +0 .* ping", top2, re.M), top2   # PID 1 of its own partition
    ps = ok(dsh, "ps -o pid,args")
    pings = re.findall(r"^\s*(\d+)\s+ping localhost\s*$", ps, re.M)
    assert pings == [m.group(1)], ps                             # the process-isolated one, same PID
    assert len(re.findall(rf"^\s*\d+\s+vmwp \S*/containers/{hyp[:30]}", ps, re.M)) == 1, ps
    dps = ok(dsh, "docker ps")
    assert dps.startswith("CONTAINER ID ") and proc[:12] in dps and hyp[:12] in dps, dps
    assert len(re.findall(r'"ping localhost" .* Up ', dps)) == 2, dps
    dsh.run(f"P={proc[:12]} H={hyp[:12]}")   # short lines: the console is 80 columns
    assert ok(dsh, "docker stop $P $H").split() == [proc[:12], hyp[:12]]
    assert len(re.findall(r'"ping localhost" .* Exited ', ok(dsh, "docker ps -a"))) == 2
    assert ok(dsh, "docker rm $P $H").split() == [proc[:12], hyp[:12]]
    assert ok(dsh, "docker ps -a").strip().splitlines()[1:] == []
    assert not re.search(r"ping localhost|vmwp", ok(dsh, "ps -o args")), "left behind"
    imgs = ok(dsh, "docker images")
    assert re.search(r"^busybox +latest +[0-9a-f]{12} ", imgs, re.M), imgs
    assert re.search(r"^gort +latest +[0-9a-f]{12} ", imgs, re.M), imgs


@pytest.mark.parametrize("iso", ["process", "hyperv"])
def test_run_attached(dsh, iso):
    out, rc = rc_out(dsh, f"docker run --rm --isolation={iso} busybox sh -c 'echo out; echo err >&2; exit 3'")
    assert (rc, out) == (3, "out\nerr\n")
    out, rc = rc_out(dsh, f"docker run --isolation={iso} --rm busybox nosuchprogram")
    assert rc == 127 and "nosuchprogram" in out, out


def test_interactive_hyperv(dsh):
    """docker run -it on the serial console: raw terminal (the container's
    own line editing), its size, Ctrl-C inside, the exit status back, and
    the console's settings restored."""
    before, size = dsh.run("stty -g").strip(), dsh.run("stty size").split()
    dsh.run("stty rows 33 cols 101")
    tty = dsh.run("tty").strip()
    dsh.run(f"(sleep 12; stty -F {tty} rows 40 cols 90; kill -WINCH $(pidof docker)) & true")
    dsh.send("docker run -it --isolation=hyperv busybox sh\r")
    dsh.m.expect(CONT_PROMPT, 120)
    dsh.send("stty size; echo in-$((6*7))\r")
    dsh.m.expect(r"\n33 101\r*\n", 30)
    dsh.m.expect("in-42", 30)
    dsh.m.expect(CONT_PROMPT, 30)
    # a resize from elsewhere: the CLI's SIGWINCH sends it to the container
    dsh.send("while [ \"$(stty size)\" = '33 101' ]; do sleep 1; done; stty size\r")
    dsh.m.expect(r"\n40 90\r*\n", 60)
    dsh.m.expect(CONT_PROMPT, 30)
    dsh.send("sleep 100\r")
    dsh.m.expect("sleep 100", 30)
    time.sleep(2)
    dsh.send_ctrl("\x03")
    dsh.m.expect(CONT_PROMPT, 30)
    dsh.send("echo st=$?\r")
    dsh.m.expect(r"st=130", 30)
    dsh.m.expect(CONT_PROMPT, 30)
    dsh.send("exit 7\r")
    dsh.m.expect(r"@bulkhead:[^\r\n]*# ", 60)
    assert dsh.run("echo rc=$?").strip() == "rc=7"
    dsh.run(f"stty rows {size[0]} cols {size[1]}")
    assert dsh.run("stty -g").strip() == before


def test_go_in_host_shell(dsh, go):
    _, want = go
    out, rc = rc_out(dsh, "/boot/images/gort-static")
    assert (rc, out) == (0, want)
    # the cgo one is glibc's: it runs in the root image's glibc tree
    out, rc = rc_out(dsh, "cp /boot/images/gort-cgo /tests/glibc/ && chroot /tests/glibc /gort-cgo")
    assert (rc, out) == (0, want)


@pytest.mark.parametrize("iso", ["process", "hyperv"])
@pytest.mark.parametrize("prog", ["gort-static", "gort-cgo"])
def test_go_in_containers(dsh, go, iso, prog):
    _, want = go
    out, rc = rc_out(dsh, f"docker run --rm --isolation={iso} -m 64m gort /{prog}")
    assert (rc, out) == (0, want)
