"""Device interrupts in the host partition: the serial console's input comes
with its UART's receive interrupt (ISA IRQ 4 through the IOAPIC, passed on by
hv as a virtual interrupt), counted in /proc/interrupts as Linux counts them.
On QEMU (AMD-V) here; test_on_bochs.py runs the same checks on Bochs (VT-x),
whose firmware makes no MADT (the PC's default IOAPIC is taken there)."""
import re

LINE = "0123456789abcdefghijklmnopqrstuvwxyz"  # the command line stays within 80 columns


def counts(sh):
    """/proc/interrupts: the UART's line and the tick's."""
    out = sh.run("cat /proc/interrupts")
    assert out.startswith("           CPU0\n"), out
    uart = re.search(r"^\s*(\d+):\s+(\d+)\s+IO-APIC\s+4-edge\s+ttyS0$", out, re.M)
    loc = re.search(r"^LOC:\s+(\d+)\s+Local timer interrupts$", out, re.M)
    assert uart and loc, out
    assert 0x30 <= int(uart.group(1)) <= 0xdf  # a device vector (hypercall.h)
    return int(uart.group(2)), int(loc.group(1))


def test_console_input_comes_by_interrupt(sh):
    assert re.search(r"guest: ttyS0 at I/O 0x3f8 \(GSI 4, vector 0x[0-9a-f]+\)", sh.boot_text), sh.boot_text
    assert "polled at the tick" not in sh.boot_text
    uart, loc = counts(sh)
    typed = len(f"echo {LINE}; echo @@DO''NE@@\r") + len("cat /proc/interrupts; echo @@DO''NE@@\r")
    assert sh.run(f"echo {LINE}") == LINE + "\n"
    uart2, loc2 = counts(sh)
    # The UART's FIFO holds 16 bytes: every interrupt took at most that many.
    assert uart2 - uart >= typed // 16, (uart, uart2, typed)
    assert loc2 > loc
    assert "input overrun" not in sh.run("dmesg")


def test_fast_typing_loses_nothing(sh):
    """Twenty command lines typed at once, as fast as the emulated line
    carries them: each runs whole and in order (no byte lost to a full FIFO,
    none taken twice).  Their output is upper case, so it is told apart from
    the echo of what was typed ahead."""
    lines = [f"{i}{LINE[i:]}" for i in range(20)]
    sh.send("".join(f"echo {l} | tr a-z A-Z\r" for l in lines[:-1]))
    got = sh.run(f"echo {lines[-1]} | tr a-z A-Z", timeout=180)
    at = [got.find(l.upper()) for l in lines]
    assert -1 not in at and at == sorted(at), (at, got)
    assert "input overrun" not in sh.run("dmesg")
