"""Utility partitions: made, run, listed, stopped and destroyed from the host's
monitor (`part ...`), isolated from hv, the host and each other."""
import re

import pytest

from machine import Machine, KINDS


@pytest.fixture(scope="module", params=KINDS)
def m(request):
    mach = Machine(request.param + "-parts", kind=request.param).boot()
    yield mach
    mach.close()


def free_pages(m):
    return int(re.search(r"hv: \d+ pages total, (\d+) free", m.cmd("mem")).group(1))


def run(m, name, mib, cmdline=""):
    """Creates and starts a partition, waits until it says it is ready; returns
    its id.  What it prints after that is left for wait_console."""
    out = m.cmd(f"part run {name} {mib} {cmdline}".strip())
    # hv writes its lines to the same UART whenever it likes: a partition that
    # crashes at once has its report land anywhere in the echo or the answer
    g = re.search(r"part run ->\s*(-?\d+)", re.sub(r"hv: [^\n]*\n", "", out))
    assert g and int(g.group(1)) > 0, out
    pid = int(g.group(1))
    m.pending = getattr(m, "pending", "") + out
    wait_console(m, rf"\[{name}\] guest: utility partition {pid} ready")
    return pid


def part_line(m, pid):
    out = m.cmd("part list")
    g = re.search(rf"^{pid}\s+\S+\s+\S+\s+(\S+)\s+\d+ K\s+(\d+) K\s*(.*)$", out, re.M)
    assert g, out
    return g.group(1), int(g.group(2)), g.group(3).strip()


def wait_console(m, pattern, timeout=60):
    """A partition's console lines (the host relays them at its prompt) and hv's
    reports about it come in their own time: in the output of later commands
    (kept in m.pending by run) or while the prompt waits."""
    while True:
        g = re.search(pattern, getattr(m, "pending", ""))
        if g:  # taken out; the rest may answer a later wait, in any order
            m.pending = m.pending[:g.start()] + m.pending[g.end():]
            return g
        m.expect(pattern, timeout)
        m.pending = getattr(m, "pending", "") + m.p.before + m.p.after


def test_three_partitions_boot_list_stop_destroy(m):
    before = free_pages(m)
    ids = [run(m, f"u{i}", 16) for i in range(3)]
    out = m.cmd("part list")
    for i, pid in enumerate(ids):
        g = re.search(rf"^{pid}\s+u{i}\s+utility\s+running\s+(\d+) K", out, re.M)
        assert g and int(g.group(1)) == 16384, out  # its RAM, the boot block inside
    assert re.search(r"^0\s+host\s+host\s+running", out, re.M)
    for pid in ids:
        assert "part stop -> 0" in m.cmd(f"part stop {pid}")
        assert part_line(m, pid)[0] == "stopped"
    assert free_pages(m) < before
    for pid in ids:
        assert "part destroy -> 0" in m.cmd(f"part destroy {pid}")
    assert free_pages(m) == before
    assert "1 partitions" in m.cmd("part list")


def test_hv_overhead_per_partition(m):
    pid = run(m, "small", 8)
    state, hv_kib, _ = part_line(m, pid)
    assert state == "running" and 0 < hv_kib <= 64, hv_kib
    m.cmd(f"part destroy {pid}")


def test_fifty_create_destroy_cycles(m):
    before = free_pages(m)
    for i in range(50):
        out = m.cmd(f"part create c{i} 8")
        pid = int(re.search(r"part create -> (-?\d+)", out).group(1))
        assert pid > 0, out
        if i % 10 == 0:  # some of them really boot
            assert "part start -> 0" in m.cmd(f"part start {pid}")
        assert "part destroy -> 0" in m.cmd(f"part destroy {pid}")
    assert free_pages(m) == before


@pytest.mark.parametrize("addr", ["0x1800000", "0x10000000", "0x3000000"],
                         ids=["hv-image", "host-ram", "past-own-ram"])
def test_reading_foreign_memory_stops_partition(m, addr):
    pid = run(m, "snoop", 16, f"peek={addr}")
    wait_console(m, rf"partition {pid} \(snoop\) crashed: access to gpa {addr} denied")
    state, _, reason = part_line(m, pid)
    assert state == "crashed" and f"access to gpa {addr} denied" in reason
    assert "hypervisor: BulkheadHV" in m.cmd("hv")
    m.cmd(f"part destroy {pid}")


@pytest.mark.parametrize("nr", [6, 9, 11, 13, 15, 17])
def test_management_hypercalls_refused_to_utility(m, nr):
    pid = run(m, "rogue", 16, f"hc={nr}")
    wait_console(m, rf"partition {pid} \(rogue\) crashed: forbidden hypercall {nr}")
    assert part_line(m, pid)[0] == "crashed"
    assert "1 partitions" not in m.cmd("part list")  # nothing else was touched
    m.cmd(f"part destroy {pid}")


def test_eoi_of_vectors_hv_does_not_hold(m):
    """BH_HC_EOI (17) takes a device vector hv passed to the host and still
    holds for it; the monitor routes no device, so hv holds none: every
    vector, in the device range or not, and every number past 255 gets
    BH_EINVAL, and hv goes on."""
    for vector in ["0", "0x20", "0x30", "0x4c", "0xdf", "0xf0", "0xff", "0x100", "0xffffffffffffffff"]:
        assert "hc 17 -> -22" in m.cmd(f"hc 17 {vector}"), vector
    assert "hypervisor: BulkheadHV" in m.cmd("hv")


def test_triple_fault_is_contained(m):
    pid = run(m, "faulty", 16, "crash")
    wait_console(m, rf"partition {pid} \(faulty\) crashed: triple fault")
    assert "hypervisor: BulkheadHV" in m.cmd("hv")
    m.cmd(f"part destroy {pid}")


def test_new_partition_never_sees_old_data(m):
    pid = run(m, "writer", 16, "fill=0xa5")
    n = int(wait_console(m, r"\[writer\] filled (\d+) KiB with 0xa5").group(1))
    assert n > 8 * 1024
    m.cmd(f"part destroy {pid}")
    pid = run(m, "reader", 16, "check=0xa5")
    found = int(wait_console(m, r"\[reader\] check 0xa5: (\d+) quadwords found").group(1))
    assert found == 0
    m.cmd(f"part destroy {pid}")


@pytest.mark.parametrize("args,want", [
    ("run tiny 1", -22),             # below the minimum
    ("start 77", -2),                # no such partition
    ("destroy 0", -1),               # the host cannot destroy itself
    ("stop 0", -1),
    ("destroy 300", -2),
    ("mem 77 4096", -2),
    ("grant 77 0x2000000 4096 0x100000000", -2),
], ids=lambda x: str(x).replace(" ", "_"))
def test_bad_management_arguments(m, args, want):
    out = m.cmd(f"part {args}")
    assert int(re.search(r"-> (-?\d+)", out).group(1)) == want, out


def test_grant_checks(m):
    out = m.cmd("part create g 16")
    pid = int(re.search(r"-> (-?\d+)", out).group(1))
    assert "-> -14" in m.cmd(f"part grant {pid} 0x1800000 4096 0x100000000")  # hv memory
    assert "-> -22" in m.cmd(f"part grant {pid} 0x2000000 100 0x100000000")   # not page-sized
    assert "-> -17" in m.cmd(f"part grant {pid} 0x2000000 4096 0x2000000")    # over its RAM
    assert "-> 0" in m.cmd(f"part grant {pid} 0x2000000 8192 0x100000000")
    assert "-> -17" in m.cmd(f"part grant {pid} 0x2000000 4096 0x100001000")  # twice
    assert "-> 0" in m.cmd(f"part mem {pid} 0x200000")
    m.cmd(f"part destroy {pid}")


def test_channel_checks(m):
    """BH_HC_PART_CHANNEL (15) and the doorbell BH_HC_NOTIFY (16), raw."""
    chan = (1 + 2 * 32) * 4096                         # BH_CHAN_PAGES: an index page, a 128 KiB ring each way
    pid = int(re.search(r"-> (-?\d+)", m.cmd("part create ch 16")).group(1))
    def hc(args):
        return int(re.search(r"hc \d+ -> (-?\d+)", m.cmd(f"hc {args}")).group(1))
    assert hc(f"15 {pid} 0x3000000 4096") == -22       # not a channel's size
    assert hc(f"15 {pid} 0x1800000 {chan}") == -14     # hv memory, not the host's
    assert hc(f"15 77 0x3000000 {chan}") == -2         # no such partition
    assert hc(f"16 {pid}") == -16                      # not running
    assert hc("16 0") == -2                            # the host ringing itself
    assert hc("16 300") == -2
    assert hc(f"15 {pid} 0x3000000 {chan}") == 0
    assert hc(f"15 {pid} 0x3000000 {chan}") == -17     # one channel each
    m.cmd(f"part destroy {pid}")
    pid = run(m, "nochan", 16)
    assert hc(f"16 {pid}") == -16                      # running, but no channel
    m.cmd(f"part destroy {pid}")
    pid = run(m, "bell", 16, "hc=16")                  # a utility may ring the host
    wait_console(m, r"\[bell\] hc 16 -> 0")
    assert part_line(m, pid)[0] == "running"
    m.cmd(f"part destroy {pid}")


def test_spinning_partition_cannot_starve_host(m):
    pid = run(m, "spinner", 16, "spin")
    wait_console(m, r"\[spinner\] spinning with interrupts off")
    out = m.cmd("timer 100 1000", timeout=60)
    n = int(re.search(r"timer: (\d+) interrupts", out).group(1))
    # Starved, the host would see next to none. The count is of wall-clock
    # ticks, and a CI machine running two QEMUs on two CPUs loses some
    # (79 seen): half of them proves the spinner was preempted.
    assert n >= 50, out
    assert "hypervisor: BulkheadHV" in m.cmd("hv")
    m.cmd(f"part destroy {pid}")


def hc(m, args):
    return int(re.search(r"hc \d+ -> (-?\d+)", m.cmd(f"hc {args}")).group(1))


def test_out_of_memory_never_panics(m):
    """Partitions are made until hv's memory runs out, in big pieces and then
    in the smallest, so the last ones fail inside their own construction
    (vCPU, boot block, tables at start); every failure is -ENOMEM (-12), hv
    goes on, and destroying them all gives back every page."""
    before = free_pages(m)
    ids = []
    for mib in (256, 64, 16, 8):
        while True:
            r = int(re.search(r"-> (-?\d+)", m.cmd(f"part create oom{len(ids)} {mib}")).group(1))
            if r < 0:
                assert r == -12, r
                break
            ids.append(r)
    assert len(ids) >= 4
    started = failed = 0
    for pid in ids:  # starting takes a vCPU and a boot block each: some may not get them
        r = int(re.search(r"-> (-?\d+)", m.cmd(f"part start {pid}")).group(1))
        assert r in (0, -12), r
        started, failed = started + (r == 0), failed + (r == -12)
    assert "hypervisor: BulkheadHV" in m.cmd("hv")
    assert hc(m, f"7 {ids[0]} 0x40000000") in (-12, -16)   # more RAM: none left (or started)
    for pid in ids:
        assert "-> 0" in m.cmd(f"part destroy {pid}")
    assert free_pages(m) == before
    # requests no machine can satisfy
    assert "-> -12" in m.cmd("part create huge 100000000")
    pid = int(re.search(r"-> (-?\d+)", m.cmd("part create g 16")).group(1))
    assert hc(m, f"7 {pid} 0x7ffffffffffff000") == -12
    m.cmd(f"part destroy {pid}")
    assert free_pages(m) == before


def test_soak(m):
    """1,000 cycles of create -> run -> crash -> destroy (200 on Bochs in
    `make test`: `make soak` runs 1,000 on both), the crash alternating between
    a triple fault, a forbidden hypercall and an access outside its memory:
    each reported as such, and not a page lost."""
    import os
    n = int(os.environ.get("BH_SOAK_CYCLES", 1000 if m.kind == "qemu" else 200))
    out = m.cmd(f"part soak {n}", timeout=1800)
    g = re.search(r"soak: (\d+) cycles, (\d+) crashed as asked, free pages (\d+) -> (\d+), (\d+) ms", out)
    assert g, out
    assert int(g[1]) == n and int(g[2]) == n and g[3] == g[4], g[0]
    print(f"\n{m.kind}: {g[0]}")


def test_console_controls_escaped(m):
    """A partition without a channel writes through hv's console ring: its
    control characters reach the operator as \\xNN, never raw."""
    pid = run(m, "esc", 16, "say=1b5b324a0d41075c")
    wait_console(m, r"\[esc\] \\x1b\[2J\\x0dA\\x07\\x5c")
    m.cmd(f"part destroy {pid}")


def test_nmis_are_hvs():
    """NMIs from the machine (QEMU's monitor `nmi`) land in hv, in its idle
    loop or through an NMI exit while a partition spins, never in a partition:
    hv logs each and everything runs on."""
    import os
    import socket
    import time
    from machine import BUILD
    path = os.path.join(BUILD, "tests", "nmi-monitor.sock")
    if os.path.exists(path):
        os.unlink(path)
    m = Machine("qemu-nmi", qemu_monitor=path).boot()
    try:
        pid = run(m, "spinner", 16, "spin")
        s = socket.socket(socket.AF_UNIX)
        s.connect(path)
        for _ in range(10):
            s.sendall(b"nmi\n")
            time.sleep(0.2)
        s.close()
        out = m.cmd("log", timeout=60)
        assert out.count("hv: NMI") >= 10, out[-2000:]
        assert part_line(m, pid)[0] == "running"
        assert "hypervisor: BulkheadHV" in m.cmd("hv")
        nmi_exits = re.search(r"exit nmi\s+(\d+)", m.cmd("stats"))
        assert nmi_exits and int(nmi_exits[1]) >= 1, "no NMI arrived while a partition ran"
    finally:
        m.close()


def test_msr_writes_stay_in_the_writer(m):
    """A partition writes a pattern to every MSR it can in 0xc0000000-0xc0001fff
    and 0x174-0x176 (where the per-vCPU ones live); the host then reads its own
    values of each of them: none is the pattern."""
    pid = run(m, "msrw", 16, "msrsweep=0xc0000000:0xc0001fff:0x5a5a5a5a msrsweep=0x170:0x17f:0x5a5a5a5a")
    wait_console(m, r"\[msrw\] msrsweep 0x170:0x17f: \d+ ok, \d+ faulted", timeout=300)
    for msr in (0x174, 0x175, 0x176, 0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084, 0xc0000100,
                0xc0000101, 0xc0000102, 0xc0000103):
        out = m.cmd(f"probe rdmsr 0x{msr:x}")
        assert "0x5a5a5a5a" not in out and re.search(r"probe rdmsr 0x\w+: (0x[0-9a-f]+|#GP)", out), out
    assert part_line(m, pid)[0] == "running"
    m.cmd(f"part destroy {pid}")
