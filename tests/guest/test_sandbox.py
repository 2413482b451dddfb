"""Sandboxes (/dev/sandbox): the checks of tests/guest/sys/sys_sandbox.c run
inside one, and the host's shell sees a sandboxed process under its own pid."""
import re


def test_inside(sh):
    out = sh.run("/tests/bin/sys_sandbox", timeout=300)
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
