"""One booted host partition (build/esp: guest kernel + root image) shared by
the guest tests that only look; tests that hurt the kernel boot their own."""
import pytest

from shell import Shell


@pytest.fixture(scope="session")
def sh():
    s = Shell("guest-shell")
    yield s
    s.close()
