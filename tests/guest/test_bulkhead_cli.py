"""The bulkhead tool's container verbs in the host partition's shell, against
the engine daemon init starts (guest/user/container.c, enter.c): what works
with the daemon as it is (image look-ups, its messages, usage errors, no
daemon).  The container lifecycle is in test_containers_cli.py."""
import re

from test_bulkhead import run_rc, wait_for


def daemon_up(sh):
    wait_for(sh, "ls /var/run/docker.sock 2>&1", lambda o: "No such file" not in o, timeout=60)


def test_usage_errors(sh):
    for cmd, message in [
        ("bulkhead container", "container: a verb is needed"),
        ("bulkhead container new c1", "container new c1: --image IMAGE is needed"),
        ("bulkhead container new c1 --image busybox -m 0", "container new: bad memory size '0'"),
        ("bulkhead container new c1 --image busybox -p 80", "container new: bad -p '80'"),
        ("bulkhead container set c1 --runtime vm", "container set: --runtime takes process, hyperv or default"),
        ("bulkhead enter c1 ls", "enter: the command goes after --"),
    ]:
        out, rc = run_rc(sh, cmd)
        assert rc == 2, (cmd, out)
        assert f"bulkhead: {message}" in out and "usage: bulkhead COMMAND" in out, (cmd, out)
        assert "container new NAME --image IMAGE" in out, out


def test_new_of_unknown_image(sh):
    daemon_up(sh)
    out, rc = run_rc(sh, "bulkhead container new c1 --image nosuch")
    assert rc == 1, out
    assert "bulkhead: container new c1: No such image: nosuch:latest" in out.splitlines(), out


def test_no_daemon_named(sh):
    out, rc = run_rc(sh, "DOCKER_HOST=unix:///tmp/none.sock bulkhead container list")
    assert rc == 1, out
    assert re.search(r"^bulkhead: container list: cannot reach the engine daemon at /tmp/none.sock: "
                     r"No such file or directory \(is bulkheadd running\?\)$", out, re.M), out
