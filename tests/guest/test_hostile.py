"""The hostile-guest suite: utility partitions that attack hv from inside
(guest/diag/hostile.c's command-line words, relayed by `bulkhead run` as
"[NAME] ..."), on both backends: QEMU (AMD-V) and Bochs (VT-x).  Whatever a
partition writes lands in its own state or raises #GP; nothing it ever held
reaches a later partition; host-only hypercalls get their documented answer.
Out-of-memory and the 1,000-cycle soak run from the monitor
(tests/boot/test_partitions.py)."""
import os
import re
import shutil

import pytest

from machine import ESP, BUILD, KINDS
from shell import Shell
from test_bulkhead import run_ok, start, wait_for, listing

PATTERN = 0x5a5a5a5a
RANGES = [(0x0, 0x1fff), (0x40000000, 0x400000ff), (0xc0000000, 0xc0001fff), (0xc0010000, 0xc0011fff)]
# What a partition may write without #GP: the MSRs each backend passes through
# (its own per-vCPU state: FS/GS bases, the syscall and SYSENTER MSRs) and
# TSC_AUX, which hv emulates and switches (hv/*/ `passthrough`, hv/exit.c).
OWN_STATE = {0x174, 0x175, 0x176, 0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084,
             0xc0000100, 0xc0000101, 0xc0000102, 0xc0000103}


@pytest.fixture(scope="module", params=KINDS)
def sh(request):
    s = Shell(f"guest-hostile-{request.param}", kind=request.param)
    yield s
    s.close()


def lines(out, name):
    return re.findall(rf"^\[{name}\] (.*)$", out, re.M)


def run_words(sh, name, *words, mib=16, timeout=300):
    """A foreground partition that runs the words, then exits: its lines."""
    cmd = f"bulkhead run -m {mib} {name} {' '.join(words)} exit=0"
    assert len(" ".join(words)) + 7 <= 127, cmd
    return lines(run_ok(sh, cmd, timeout), name)


def test_msr_and_instruction_words(sh):
    got = run_words(sh, "w1", "wrmsr=0x2ff:0x6", "rdmsr=0x2ff", "wrmsr=0x10:0x0", "rdmsr=0x1b", "insn=invd",
                    "insn=wbinvd", "insn=monitor", "insn=mwait", "insn=rdpmc")
    for want in ["wrmsr 0x2ff: #GP", "rdmsr 0x2ff: #GP", "wrmsr 0x10: #GP", "rdmsr 0x1b: #GP",
                 "insn invd: ok", "insn wbinvd: ok", "insn monitor: #UD", "insn mwait: #UD",
                 "insn rdpmc: #GP"]:
        assert want in got, (want, got)
    # TSC_AUX and the syscall MSRs are the writer's own; EFER keeps its rules:
    # LME may not change while paging is on (LMA=1 with LME=0 is no state).
    got = run_words(sh, "w2", "wrmsr=0xc0000103:0x1234", "rdmsr=0xc0000103", "rdmsr=0xc0000080",
                    "wrmsr=0xc0000080:0x401", "wrmsr=0xc0000080:0x1501")
    for want in ["wrmsr 0xc0000103: ok", "rdmsr 0xc0000103 = 0x1234", "rdmsr 0xc0000080 = 0x501",
                 "wrmsr 0xc0000080: #GP"]:
        assert want in got, (want, got)
    assert got.count("wrmsr 0xc0000080: #GP") == 2, got
    # PAT is emulated (valid types only); the virtualization MSRs do not exist
    got = run_words(sh, "w4", "rdmsr=0x277", "wrmsr=0x277:0x2", "wrmsr=0x277:0x7040600070406", "rdmsr=0xc0010114",
                    "rdmsr=0xc0010117", "rdmsr=0x3a", "rdmsr=0x480")
    for want in ["rdmsr 0x277 = 0x7040600070406", "wrmsr 0x277: #GP", "wrmsr 0x277: ok", "rdmsr 0xc0010114: #GP",
                 "rdmsr 0xc0010117: #GP", "rdmsr 0x3a: #GP", "rdmsr 0x480: #GP"]:
        assert want in got, (want, got)
    got = run_words(sh, "w3", "insn=xsetbv", "xcr0=0x3", "xcr0=0x5", "xcr0=0x2", "dr7=0x400",
                    "dr7=0x100000000", "dr0=0x1000", "insn=vmrun", "insn=stgi", "insn=rdtscp")
    for want in ["insn xsetbv: ok", "xcr0 0x3: ok", "xcr0 0x5: #GP", "xcr0 0x2: #GP", "dr7 0x400: ok",
                 "dr7 0x100000000: #GP", "dr0 0x1000: ok", "insn vmrun: #UD", "insn stgi: #UD",
                 "insn rdtscp: ok"]:
        assert want in got, (want, got)
    assert "host alive" in run_ok(sh, "echo host alive")


def sweep_summary(log, lo, hi):
    g = re.search(rf"msrsweep 0x{lo:x}:0x{hi:x}: (\d+) ok, (\d+) faulted", log)
    assert g, log
    assert int(g[1]) + int(g[2]) == hi - lo + 1, g[0]
    return int(g[1])


def test_msr_sweep_lands_only_in_the_writers_state(sh):
    """Two writers put PATTERN into every MSR of the four ranges (each that
    takes it reads it back: its own state); a third partition, started after
    them while they still run, finds it in none of its own MSRs; the host goes
    on (it would not survive a foreign LSTAR or GS base)."""
    v = f"0x{PATTERN:x}"
    words = [f"msrsweep=0x{lo:x}:0x{hi:x}:{v}" for lo, hi in RANGES]
    # One command line starts both and waits for their summaries: nothing is
    # typed while they sweep (Bochs's polled UART would drop it).
    run_ok(sh, f"bulkhead run -d -m 16 sweep1 {' '.join(words[:3])} >/tmp/sweep1.log 2>&1; "
               f"bulkhead run -d -m 16 sweep2 {words[3]} >/tmp/sweep2.log 2>&1; n=0; "
               "until [ $(cat /tmp/sweep1.log /tmp/sweep2.log | grep -c ' faulted$') = 4 ] || [ $n = 600 ]; "
               "do sleep 1; n=$((n+1)); done; sleep 2", 700)
    log = run_ok(sh, "cat /tmp/sweep1.log /tmp/sweep2.log")
    a1, a2 = (int(re.match(r"(\d+)", run_ok(sh, f"head -n 1 /tmp/sweep{i}.log"))[1]) for i in (1, 2))
    for lo, hi in RANGES:
        sweep_summary(log, lo, hi)
    took = {int(x, 16) for x in re.findall(r"msrsweep ok 0x(\w+)", log)}
    assert took and took <= OWN_STATE, sorted(map(hex, took - OWN_STATE))
    find = [f"msrfind=0x{lo:x}:0x{hi:x}:{v}" for lo, hi in RANGES]
    got = run_words(sh, "reader1", *find[:3]) + run_words(sh, "reader2", find[3])
    for lo, hi in RANGES:
        assert f"msrfind 0x{lo:x}:0x{hi:x}:" in " ".join(got), got
    assert all(f", 0 hold {v}" in l for l in got if l.startswith("msrfind 0x") and ":0x" in l), got
    assert "host alive" in run_ok(sh, "cat /proc/uptime >/dev/null && echo host alive")
    run_ok(sh, f"bulkhead kill {a1}; bulkhead kill {a2}")


def test_extended_state_and_debug_registers_switched(sh):
    """One partition fills every x87/SSE/AVX(-512) register, DR0-DR3 and
    TSC_AUX and keeps them while another runs; the other sees none of it."""
    start(sh, "xfill", "xfill=0xa5")
    got = run_words(sh, "xcheck", "xcheck=0xa5")
    g = [re.match(r"xcheck 0xa5: (\d+) of (\d+) quadwords hold it", l) for l in got]
    g = [m for m in g if m]
    assert g and int(g[0][1]) == 0 and int(g[0][2]) >= 77, got  # x87, SSE, AVX at least
    log = wait_for(sh, "cat /tmp/xfill.log", lambda o: "xfill 0xa5: " in o)
    assert re.search(r"xfill 0xa5: \d+ quadwords, kept", log), log


def test_destroyed_partition_leaves_no_trace(sh):
    """Partitions that fill their RAM and registers with a pattern are
    destroyed one after another (their vCPU pages and tables go back to the
    pool as they are); partitions made later, of other sizes so the pool is
    cycled, find the pattern nowhere: not in their RAM, not in their registers."""
    for i, mib in enumerate([16, 24, 32, 16]):
        got = run_words(sh, f"dirty{i}", "fill=0x3c", "xfill=0x3c", mib=mib)
        assert any(re.match(r"xfill 0x3c: \d+ quadwords, kept", l) for l in got), got
    for mib in [32, 16, 24]:
        out = run_ok(sh, f"bulkhead run -m {mib} clean{mib} check=0x3c xcheck=0x3c exit=0", 300)
        got = lines(out, f"clean{mib}")
        assert "check 0x3c: 0 quadwords found" in got, got
        assert any(re.match(r"xcheck 0x3c: 0 of \d+ quadwords hold it", l) for l in got), got


@pytest.mark.parametrize("nr", [4, 5, 14, 6, 15, 17])
def test_host_only_hypercalls(sh, nr):
    """LOG_READ (4), STATS (5), CONSOLE_READ (14), the management calls and
    EOI (17) are the host's: a utility that makes one is stopped, as
    hypercall.h says."""
    if sh.m.kind == "bochs" and nr in (6, 15):
        pytest.skip("the same table entry on both backends; the Bochs run keeps to the new ones")
    out = run_ok(sh, f"bulkhead run -m 16 hc{nr} hc={nr}; true", 300)
    assert re.search(rf"^\[hc{nr}\] crashed: forbidden hypercall {nr}$", out, re.M), out
    assert not re.search(rf"^\[hc{nr}\] hc {nr} ->", out, re.M), out


def test_any_partition_hypercalls(sh):
    got = run_words(sh, "hcany", "hc=0", "hc=16", "hc=99")
    assert "hc 0 -> 0" in got and "hc 16 -> 0" in got and "hc 99 -> -38" in got, got


def test_few_tlb_tags():
    """With tlb_tags = 3, five partitions and the host share three ASIDs (or
    VPIDs) in generations, flushing when they run out: each partition's
    channel still carries its own bytes, and all keep running."""
    esp = os.path.join(BUILD, "tests", "esp-tlb-tags")
    shutil.rmtree(esp, ignore_errors=True)
    shutil.copytree(ESP, esp)
    with open(os.path.join(esp, "bulkhead.cfg"), "a") as f:
        f.write("tlb_tags = 3\n")
    s = Shell("guest-tlb-tags", esp=esp)
    try:
        assert "hv: 3 ASIDs for partitions" in s.boot_text, s.boot_text[-2000:]
        ids = [start(s, f"t{i}") for i in range(5)]
        for _ in range(3):
            for pid in ids:
                assert "10 sent, 10 received" in run_ok(s, f"bulkhead ping {pid} 10 4096")
        rows = listing(s)
        assert all(rows[pid][3] == "running" for pid in ids), rows
        run_ok(s, "; ".join(f"bulkhead kill {pid}" for pid in ids))
    finally:
        s.close()


def test_console_text_is_escaped(sh):
    """Terminal controls from a partition reach the operator as text: ESC [2J
    (clear screen), a CR that would overwrite the line, a bell."""
    out = run_ok(sh, "bulkhead run -m 16 esc say=1b5b324a0d666f72676564075c exit=0 | od -c | head -n 20", 300)
    assert "033" not in out and "\\r" not in out and "  \\a" not in out, out
    got = lines(run_ok(sh, "bulkhead run -m 16 esc2 say=1b5b324a0d666f72676564075c exit=0", 300), "esc2")
    assert "\\x1b[2J\\x0dforged\\x07\\x5c" in got, got


def test_console_flood_is_bounded(sh):
    """A partition that floods its console gets its quota; the rest is
    dropped and counted, and the host and another partition go on."""
    other = start(sh, "calm")
    out = run_ok(sh, "bulkhead run -m 16 flood flood=256 exit=0 | tail -n 3", 600)
    g = re.search(r"^\[flood\] (\d+) console bytes dropped", out, re.M)
    assert g and int(g[1]) > 0, out
    assert re.search(r"^\[flood\] exited with status 0$", out, re.M), out
    assert "10 sent, 10 received" in run_ok(sh, f"bulkhead ping {other} 10")
    run_ok(sh, f"bulkhead kill {other}")


def test_broken_channel_stops_only_that_partition(sh):
    """A partition that scribbles impossible indices (and a dead magic) over
    its channel is stopped with the reason; the host never trusts it."""
    out = run_ok(sh, "bulkhead run -m 16 scr scribble; true", 300)
    assert re.search(r"^\[scr\] stopped: broke its channel$", out, re.M), out
    assert "host alive" in run_ok(sh, "echo host alive")
