"""One booted host partition (build/esp: guest kernel + root image) shared by
the guest tests that only look; tests that hurt the kernel boot their own."""
import pytest

from shell import Shell


@pytest.fixture(scope="session")
def sh():
    s = Shell("guest-shell")
    yield s
    s.close()


@pytest.fixture(scope="module")
def sh_bochs():
    """The same build/esp booted once under Bochs (Intel VT-x with EPT) for
    the subset of these tests that also runs there (test_on_bochs.py); shut
    down after that module, not left running beside the rest of the suite."""
    s = Shell("guest-bochs", kind="bochs")
    yield s
    s.close()
