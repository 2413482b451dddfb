"""The engine tests again, against bulkheadd built with glibc, ASan and UBSan
(build/engine/asan/bulkheadd): a memory or undefined-behaviour error in the
daemon ends it or shows in its log, and fails the test that caused it."""
import os
import subprocess
import sys

import pytest

from engine_client import ROOT

ASAN = os.path.join(ROOT, "build", "engine", "asan", "bulkheadd")


@pytest.mark.skipif(os.environ.get("BH_BULKHEADD") is not None, reason="already a sanitizer run")
def test_engine_under_asan():
    assert os.path.exists(ASAN), "build it: make build/engine/asan/bulkheadd"
    env = dict(os.environ, BH_BULKHEADD=ASAN, ASAN_OPTIONS="detect_leaks=0:abort_on_error=1")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                        os.path.join(os.path.dirname(os.path.abspath(__file__)), "test_engine.py"),
                        os.path.join(os.path.dirname(os.path.abspath(__file__)), "test_containers.py"),
                        os.path.join(os.path.dirname(os.path.abspath(__file__)), "test_pull.py")],
                       capture_output=True, text=True, env=env, timeout=900)
    assert r.returncode == 0, r.stdout[-5000:] + r.stderr[-2000:]
