"""The parts of make compat that need no QEMU: reading run1.sh's output and
tests/compat/KNOWN.md (the suite itself runs in make compat, not here)."""
import compat


def test_parse_results_and_status():
    out = ("rc 1\nPASS: a\n======\n+ FAIL: not a result\nFAIL: b\nSKIPPED: c\n"
           "UNTESTED: d\nPASS: a\n")
    res, rc = compat.parse("x", out)
    assert rc == "1"
    assert compat.parse("x", "rc hang\n") == ({}, "hang")
    assert res == {"x: a": "PASS", "x: b": "FAIL", "x: c": "SKIPPED", "x: d": "UNTESTED", "x: a #2": "PASS"}


def test_known_list_names_its_causes():
    known = compat.known_cases()
    for case, cause in known.items():
        assert ": " in case and cause, case
