"""Short libFuzzer runs (ASan+UBSan) of the loader's fuzz targets, seeded from
tests/loader/corpus/<target>/.  New inputs go to a temporary folder, so the
committed seeds stay as they are.  FUZZ_SECONDS overrides the run length."""
import os
import subprocess
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SECONDS = int(os.environ.get("FUZZ_SECONDS", "8"))


@pytest.mark.parametrize("target", ["json", "inflate", "tar", "loader"])
def test_fuzz(target, tmp_path):
    binary = os.path.join(ROOT, "build", "fuzz", "fuzz_" + target)
    seeds = os.path.join(HERE, "corpus", target)
    assert os.path.exists(binary), "build it with make " + os.path.relpath(binary, ROOT)
    r = subprocess.run([binary, "-max_total_time=%d" % SECONDS, "-timeout=10",
                        "-rss_limit_mb=2048", "-print_final_stats=1",
                        "-artifact_prefix=%s/" % tmp_path, str(tmp_path), seeds],
                       capture_output=True, text=True, timeout=SECONDS + 120)
    tail = r.stderr[-4000:]
    assert r.returncode == 0, tail
    assert "Done" in r.stderr, tail
