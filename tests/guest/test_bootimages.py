"""Boot modules as files (guest/fs/rootfs.c): every module of bulkhead.cfg's
`image =` lines but the root image is /boot/images/NAME, read from the
module's own memory.  A machine of its own boots build/esp (which preloads
busybox.tar) with two more modules: a copy of the root image (a real OCI
image tarball) under another name and 5 pages and 7 bytes of random data."""
import hashlib
import os
import shutil

import pytest

from machine import ESP
from shell import Shell
from test_bulkhead import wait_for

BUILD = os.path.dirname(ESP)


@pytest.fixture(scope="module")
def booted():
    esp = os.path.join(BUILD, "tests", "esp-bootimages")
    shutil.rmtree(esp, ignore_errors=True)
    shutil.copytree(ESP, esp)
    shutil.copy(os.path.join(ESP, "root.tar"), os.path.join(esp, "rootcopy.tar"))
    blob = os.urandom(5 * 4096 + 7)
    with open(os.path.join(esp, "blob.bin"), "wb") as f:
        f.write(blob)
    with open(os.path.join(esp, "bulkhead.cfg"), "a") as f:
        f.write("image = rootcopy.tar\nimage = blob.bin\n")
    s = Shell("guest-bootimages", esp=esp)
    # the engine loads rootcopy.tar at start (fs pages): let it finish first
    wait_for(s, "cat /var/log/bulkheadd.log", lambda o: "serving the Engine API" in o, timeout=120)
    yield s, blob
    s.close()


def test_modules_are_files(booted):
    sh, blob = booted
    assert sh.run("ls /boot/images").split() == ["blob.bin", "busybox.tar", "docker", "rootcopy.tar"]
    size = os.path.getsize(os.path.join(ESP, "root.tar"))
    assert sh.run("stat -c '%s %a %F' /boot/images/rootcopy.tar").strip() == f"{size} 555 regular file"
    assert sh.run("md5sum < /boot/images/blob.bin").split()[0] == hashlib.md5(blob).hexdigest()
    with open(os.path.join(ESP, "root.tar"), "rb") as f:
        want = hashlib.md5(f.read()).hexdigest()
    assert sh.run("md5sum < /boot/images/rootcopy.tar").split()[0] == want
    assert "./oci-layout" in sh.run("tar -tf /boot/images/rootcopy.tar").split()


def test_zero_copy_and_never_written(booted):
    sh, blob = booted

    def fs_pages():
        return int(sh.run("grep fs_pages /proc/bulkhead").split()[1])

    before = fs_pages()
    sh.run("cat /boot/images/rootcopy.tar /boot/images/blob.bin > /dev/null")
    assert fs_pages() == before  # read from the modules' memory
    # a write (root may) gets a copy of its own; the module stays as it was
    sh.run("echo tail >> /boot/images/blob.bin")
    assert sh.run("tail -c 5 /boot/images/blob.bin") == "tail\n"
    assert fs_pages() == before + 6
    sh.run("rm /boot/images/blob.bin")
    assert sh.run("ls /boot/images").split() == ["busybox.tar", "docker", "rootcopy.tar"]
    assert fs_pages() == before
    assert sh.run("md5sum < /boot/images/rootcopy.tar; echo ok").split()[-1] == "ok"
