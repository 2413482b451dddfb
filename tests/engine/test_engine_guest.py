"""bulkheadd in the host root image, booted under QEMU (tests/guest/shell.py):
init starts it at boot.  Without AF_UNIX in the guest kernel it logs one line
and exits 78, and init does not restart it; with AF_UNIX it serves its socket."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "guest"))
from shell import Shell  # noqa: E402


def test_daemon_started_by_init():
    s = Shell("engine-boot")
    try:
        s.run("sleep 3")   # the restart loop would have run again by now
        log = s.run("cat /var/log/bulkheadd.log")
        ps = s.run("ps -o pid,comm")
        ls = s.run("ls -l /usr/bin/bulkheadd /var/run/docker.sock")
    finally:
        s.close()
    assert "/usr/bin/bulkheadd" in ls
    if "no AF_UNIX sockets" in log:
        assert log.count("bulkheadd:") == 1, log
        assert "exiting with status 78" in log
        assert not re.search(r"^\s*\d+\s+bulkheadd", ps, re.M), ps
    else:
        assert "serving the Engine API" in log, log
        assert re.search(r"^\s*\d+\s+bulkheadd", ps, re.M), ps
        assert re.search(r"^srw-rw----.*/var/run/docker.sock", ls, re.M), ls
