"""Names of files outside a task's root (tests/guest/sys/sys_paths.c): the
same program after chroot on Linux (as root) and on Bulkhead prints the same
/proc/self/fd, cwd and root links and getcwd results."""
import os
import tempfile

import pytest

from test_syscalls import native


def test_outside_root_as_linux(sh):
    with tempfile.TemporaryDirectory() as d:
        want = native("sys_paths", os.path.join(d, "w")).splitlines()
    if want and want[-1].startswith("chroot:"):
        pytest.skip(f"no chroot on this machine ({want[-1]}): not root")
    got = sh.run("/tests/bin/sys_paths /tmp/sys_paths.d").splitlines()
    assert len(want) > 10 and got == want, "\n".join(f"linux {w!r}\nguest {g!r}" for w, g in zip(want, got))
