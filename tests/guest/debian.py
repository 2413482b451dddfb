"""debian:bookworm (tools/mkdebian.sh, `make debian`) as a boot image: an ESP
with it beside build/esp's files and a host partition big enough for it,
and the host shell once the engine has loaded it.  Shared by
tests/guest/test_debian.py and tools/bench_debian.py."""
import os
import shutil
import subprocess
import time

from shell import Shell

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEB = os.path.join(ROOT, "build", "debian")
# The host partition holds the boot module, the store's copy of its layers
# and the unpacked tree (about 125 MB each).
HOST_MEMORY = "768M"
MACHINE_MEMORY = 1536   # MiB: the rest of it is hv's for utility partitions


def debian_shell(name, icount=False):
    """The host shell of a machine that preloads debian:bookworm (built first
    if build/debian is not up to date), once the engine has it."""
    subprocess.run(["make", "-s", "-C", ROOT, "debian"], check=True, timeout=1800)
    esp = os.path.join(ROOT, "build", "tests", "esp-" + name)
    shutil.rmtree(esp, ignore_errors=True)
    shutil.copytree(os.path.join(ROOT, "build", "esp"), esp)
    shutil.copy(os.path.join(DEB, "debian.tar"), esp)
    with open(os.path.join(esp, "bulkhead.cfg")) as f:
        cfg = [l for l in f if not l.startswith("host_memory")]
    with open(os.path.join(esp, "bulkhead.cfg"), "w") as f:
        f.write("".join(cfg) + f"host_memory = {HOST_MEMORY}\nimage = debian.tar\n")
    # OVMF reads the 126 MB module from QEMU's FAT drive: minutes under -icount
    s = Shell(name, esp=esp, mem=MACHINE_MEMORY, icount=icount, boot_timeout=1200)
    s.run("stty cols 4000")   # the line editor echoes a long command line unwrapped
    deadline = time.monotonic() + 600   # the daemon loads the boot images at its start
    while "STATUS 200" not in s.run("/tests/bin/apiclient GET /images/debian:bookworm/json"):
        assert time.monotonic() < deadline, s.run("/tests/bin/apiclient GET /images/json; free")
        s.run("sleep 5")
    return s
