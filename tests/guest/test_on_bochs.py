"""A representative subset of the guest-kernel tests on the second backend,
Bochs (Intel VT-x with EPT), in one boot: the syscall programs compared with
Linux, the sandbox checks and a few shell checks.  Each runs the QEMU test's
own body against the Bochs shell, so both backends are held to the same
answers."""
import os
import sys

import pytest

import test_interrupts as interrupts
import test_sandbox as sandbox
import test_shell as shell
import test_syscalls as syscalls

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "engine"))


# sys_sem stays on QEMU: making and removing its 3,000 files take about 90 s here.
@pytest.mark.parametrize("name", ["sys_files", "sys_proc", "sys_maps", "sys_jobs", "sys_mshared",
                                  "sys_log"])
def test_same_as_linux(sh_bochs, name):
    syscalls.test_same_as_linux(sh_bochs, name)


@pytest.mark.parametrize("check", ["test_inside", "test_host_sees_same_pid"])
def test_sandbox(sh_bochs, check):
    getattr(sandbox, check)(sh_bochs)


@pytest.mark.parametrize("check", ["test_boot_to_shell", "test_procfs_applets",
                                   "test_ctrl_c_interrupts_foreground",
                                   "test_dmesg_has_the_kernel_log", "test_df_shows_the_root"])
def test_shell(sh_bochs, check):
    getattr(shell, check)(sh_bochs)


@pytest.mark.parametrize("check", ["test_console_input_comes_by_interrupt", "test_fast_typing_loses_nothing"])
def test_interrupts(sh_bochs, check):
    getattr(interrupts, check)(sh_bochs)


def test_isolation_demo(sh_bochs):
    """The seeds' isolation demo on VT-x: a process container's `sleep 5555`
    is one PID inside and in the host's ps; a hyperv container's `sleep 7777`
    is its own partition's PID 1, which the host's ps does not show (a vmwp
    does) and `bulkhead list` does (test_hyperv_guest.py's body)."""
    import test_containers_guest as pc
    import test_hyperv_guest as hyperv
    sh_bochs.run("sleep 2")   # the daemon loads busybox:latest at start
    pc.ISOLATION = "hyperv"
    try:
        hyperv.test_isolation_demo(sh_bochs)
    finally:
        pc.ISOLATION = ""
