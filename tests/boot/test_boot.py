"""Boot tests: the real system, driven over its serial console, on every machine
kind in machine.KINDS (QEMU with AMD-V; Bochs with VT-x)."""
import re
import subprocess
import struct
import time

import pytest

from machine import Machine, make_esp, monitor_esp, ESP, KINDS, FACTS, ROOT


@pytest.fixture(scope="module", params=KINDS)
def m(request):
    mach = Machine(request.param + "-main", kind=request.param).boot()
    yield mach
    mach.close()


def num(text, pattern):
    g = re.search(pattern, text)
    assert g, f"{pattern!r} not in:\n{text}"
    return int(g.group(1), 0)


def test_boots_to_prompt(m):
    assert re.search(r"hv: .* enabled", m.boot_text)
    assert re.search(r"hv: host partition: \d+ MiB RAM", m.boot_text)
    assert "guest: ready" in m.boot_text
    out = m.cmd("help")
    for c in ("hv", "mem", "peek", "hc", "probe", "timer", "stats", "log"):
        assert re.search(rf"^\s+{c}\s", out, re.M), out
    assert "unknown command" in m.cmd("frobnicate")


def test_identity(m):
    out = m.cmd("hv")
    assert "hypervisor: BulkheadHV" in out
    assert "backend: " + m.facts["backend"] in out
    assert "hypercall: " + m.facts["hypercall"] in out
    assert "partition: 0 (host)" in out


def test_cpuid_hides_virtualization(m):
    ecx = num(m.cmd("cpuid 0x80000001"), r"ecx=(0x[0-9a-f]+)")
    assert not ecx & (1 << 2), "SVM bit visible to the partition"
    ecx1 = num(m.cmd("cpuid 1"), r"ecx=(0x[0-9a-f]+)")
    assert ecx1 & (1 << 31) and not ecx1 & (1 << 5)
    assert not ecx1 & ((1 << 3) | (1 << 15) | (1 << 21)), "MONITOR, PDCM or x2APIC visible"
    # XSAVE and AVX are offered now that hv switches them; leaf 0xd says no
    # more than hv switches (x87, SSE, AVX, AVX-512), OSXSAVE follows CR4
    assert ecx1 & (1 << 26) and ecx1 & (1 << 28) and not ecx1 & (1 << 27), hex(ecx1)
    xcr0 = num(m.cmd("cpuid 0xd 0"), r"eax=(0x[0-9a-f]+)")
    assert xcr0 & 7 == 7 and not xcr0 & ~0xe7, hex(xcr0)
    assert "eax=0x00000000 ebx=0x00000000" in m.cmd("cpuid 0xa"), "performance counters visible"
    out = m.cmd("cpuid 0x8000000a")
    assert "eax=0x00000000 ebx=0x00000000 ecx=0x00000000 edx=0x00000000" in out
    out = m.cmd("cpuid 0x40000000")
    ebx, ecx, edx = (num(out, rf"{r}=(0x[0-9a-f]+)") for r in ("ebx", "ecx", "edx"))
    assert struct.pack("<III", ebx, ecx, edx) == b"BulkheadHV  "
    assert num(m.cmd("cpuid 0x40000001"), r"eax=(0x[0-9a-f]+)") == m.facts["hcinsn"]


def test_memory(m):
    out = m.cmd("mem")
    assert num(out, r"partition RAM: (\d+) MiB") == 512
    assert "kernel" in out and "bootdata" in out
    total, free, hv, host = (int(x) for x in re.search(
        r"hv: (\d+) pages total, (\d+) free, (\d+) hv, (\d+) host", out).groups())
    assert host >= 512 * 256 and free > 0 and hv > 0


def test_peek_own_memory(m):
    # The guest kernel's first bytes, as the ELF file has them at its first segment.
    elf = open(f"{ESP}/guest.elf", "rb").read()
    phoff, = struct.unpack_from("<Q", elf, 0x20)
    off, vaddr, paddr = struct.unpack_from("<QQQ", elf, phoff + 8)
    want, = struct.unpack_from("<Q", elf, off)
    got = num(m.cmd(f"peek {hex(paddr)}"), r": (0x[0-9a-f]+)")
    assert got == want


@pytest.mark.parametrize("addr", ["0x1800000", "0x1801000", "0xfee00000"],
                         ids=["hv-image", "hv-image+4k", "local-apic"])
def test_peek_hv_memory_refused(m, addr):
    out = m.cmd(f"peek {addr}")
    assert f"peek {addr}: fault #GP" in out, out
    assert f"access to gpa {addr} denied" in out
    assert "hypervisor: BulkheadHV" in m.cmd("hv")  # hv and the prompt live on


@pytest.mark.parametrize("args,want", [
    ("99", -38),                                  # unknown hypercall
    ("0xffffffffffffffff", -38),
    ("1 0x1800000 16", -14),                      # console write from hv memory
    ("1 0xfee00000 8", -14),                      # from MMIO
    ("1 0xfffffffffffff800 0x1000", -14),         # range wraps around
    ("1 0x2000000 0x100000000", -7),              # huge length
    ("4 0x1800000 64 0", -14),                    # log read into hv memory
    ("4 0x2000000 0xffffffffffffffff 0", -7),     # log read, huge length
    ("5 0x1800000 64", -14),                      # stats into hv memory
    ("5 0x0 64", -14),                            # stats to memory the host does not own
], ids=lambda x: str(x).replace(" ", "_"))
def test_hostile_hypercalls(m, args, want):
    out = m.cmd(f"hc {args}")
    assert num(out, r"-> (-?\d+)") == want, out
    assert "hypervisor: BulkheadHV" in m.cmd("hv")


def test_console_write_hypercall(m):
    # Write the guest kernel's own first bytes through hv: valid memory succeeds.
    out = m.cmd("hc 1 0x2000000 0")
    assert num(out, r"-> (-?\d+)") == 0


@pytest.mark.parametrize("insn,fault", [
    ("vmrun", "#UD"), ("vmload", "#UD"), ("vmsave", "#UD"), ("stgi", "#UD"),
    ("clgi", "#UD"), ("skinit", "#UD"), ("vmxon", "#UD"), ("efer-svme", "#GP"),
    ("rdmsr 0xc0010117", "#GP"), ("rdmsr 0xc0010114", "#GP"), ("rdmsr 0x830", "#GP"),
])
def test_virtualization_instructions_fault(m, insn, fault):
    out = m.cmd(f"probe {insn}")
    assert out.strip().endswith(fault), out
    assert "hypervisor: BulkheadHV" in m.cmd("hv")


def test_efer_reads_without_svme(m):
    efer = num(m.cmd("probe rdmsr 0xc0000080"), r": (0x[0-9a-f]+)")
    assert efer & (1 << 8) and efer & (1 << 10)  # LME, LMA
    assert not efer & (1 << 12)  # SVME hidden


@pytest.mark.parametrize("hz,ms", [(100, 2000), (250, 2000)])
def test_timer_rate(m, hz, ms):
    t0 = time.monotonic()
    out = m.cmd(f"timer {hz} {ms}", timeout=60)
    elapsed = time.monotonic() - t0
    n = num(out, r"timer: (\d+) interrupts")
    want = hz * ms // 1000
    assert abs(n - want) <= want // 10, out
    if m.facts["wallclock"]:
        assert elapsed >= ms / 1000 * 0.8, f"took {elapsed:.2f}s of wall time for {ms} ms"


def test_stats_and_log(m):
    out = m.cmd("stats")
    assert num(out, r"hv image: (\d+) bytes") > 4096
    assert num(out, r"exit hypercall\s+(\d+)") > 0
    assert num(out, r"exit virt-insn\s+(\d+)") >= m.facts["virt_insn_exits"]
    log = m.cmd("log")
    assert "hv: Bulkhead hypervisor" in log and "hv: host partition" in log


@pytest.mark.parametrize("kind", KINDS)
def test_no_virtualization_cpu(kind):
    mach = Machine(kind + "-novirt", cpu=FACTS[kind]["novirt_cpu"], kind=kind)
    try:
        mach.expect(r"no hardware virtualization[^\n]*")
        mach.expect("returning to the firmware", timeout=30)
    finally:
        mach.close()


@pytest.mark.parametrize("kind", [k for k in KINDS if FACTS[k]["boot_file_tests"]])
@pytest.mark.parametrize("cfg,files,message", [
    ("hv = hv.elf\nfrobs = 1\n", {}, r"bulkhead.cfg:2: unknown key 'frobs'"),
    ("host_memory = 12Q\n", {}, r"bulkhead.cfg:1: bad size '12Q' for host_memory"),
    ("hv = missing.elf\n", {}, r"missing.elf not found"),
    (None, {"hv.elf": b"\x7fELF\x02\x01\x01" + b"\0" * 40}, r"hv.elf: [^\n]*(truncated|header)"),
], ids=["unknown-key", "bad-size", "missing-hv", "truncated-hv"])
def test_bad_boot_files(tmp_path, cfg, files, message, kind):
    mach = Machine(kind + "-badcfg-" + tmp_path.name[-12:], esp=make_esp(tmp_path, cfg, files), kind=kind)
    try:
        mach.expect(message)
        mach.expect("returning to the firmware", timeout=30)
    finally:
        mach.close()


def test_boots_from_disk_image(tmp_path):
    """What `make disk` writes for a USB stick: a FAT32 image booted as a raw disk."""
    img = str(tmp_path / "bulkhead.img")
    subprocess.run(["sh", "tools/mkdisk.sh", monitor_esp(), img], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    mach = Machine("qemu-disk", esp=img).boot()
    try:
        assert "hypervisor: BulkheadHV" in mach.cmd("hv")
    finally:
        mach.close()
