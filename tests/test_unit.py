"""Runs each host-native unit-test program (built by `make unit`) as one pytest case."""
import os
import subprocess
import glob
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROGS = sorted(glob.glob(os.path.join(ROOT, "build", "tests", "unit", "test_*")))


@pytest.mark.parametrize("prog", PROGS, ids=[os.path.basename(p) for p in PROGS])
def test_unit(prog):
    r = subprocess.run([prog], capture_output=True, text=True, timeout=300)
    out = r.stdout + r.stderr
    assert "FAIL:" not in out and r.returncode == 0, out
    assert "PASS:" in out, "unit test printed no PASS line:\n" + out
