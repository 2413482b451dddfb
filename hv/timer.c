/*
 * The local APIC, which hv owns, and its timer: one-shot, armed for the earliest
 * paravirtual-timer deadline so that hv gets the CPU back (an external-interrupt
 * exit) when it is due.  Root mode.  Works in xAPIC (MMIO) and x2APIC (MSR) mode.
 * Deadlines are TSC values; the APIC's rate is calibrated against the TSC, whose
 * rate boot/ measured against the firmware's Stall().
 */
#include "hv.h"
#include "../lib/x86.h"

#define HV_VEC_TIMER 0xf0
#define HV_VEC_SPURIOUS 0xff
enum { APIC_ID = 0x20, APIC_EOI = 0xb0, APIC_ISR = 0x100, APIC_SVR = 0xf0, APIC_LVT_TIMER = 0x320, APIC_INIT_COUNT = 0x380,
       APIC_CUR_COUNT = 0x390, APIC_DIVIDE = 0x3e0 };

u64 tsc_hz;
static u64 apic_base; /* MMIO base, 0 in x2APIC mode */
static u64 apic_per_tsc; /* APIC ticks per TSC tick, 32.32 fixed point */

static u32 apic_read(u32 reg)
{
	return apic_base ? *(volatile u32 *)HV_PTR(apic_base + reg) : (u32)rdmsr(0x800 + (reg >> 4));
}

static void apic_write(u32 reg, u32 v)
{
	if (apic_base)
		*(volatile u32 *)HV_PTR(apic_base + reg) = v;
	else
		wrmsr(0x800 + (reg >> 4), v);
}

void lapic_eoi(void) { apic_write(APIC_EOI, 0); }

/* xAPIC keeps the ID in bits 31:24; x2APIC's register is all ID. */
u32 lapic_id(void) { return apic_base ? apic_read(APIC_ID) >> 24 : apic_read(APIC_ID); }

/* The in-service register: eight 32-bit registers 0x10 apart. */
int lapic_in_service(u8 vector) { return (apic_read(APIC_ISR + vector / 32 * 0x10) >> (vector % 32)) & 1; }

void timer_init(u64 hz)
{
	u64 base = rdmsr(MSR_APIC_BASE);
	tsc_hz = hz;
	apic_base = (base & (1ull << 10)) ? 0 : (base & PTE_ADDR);
	apic_write(APIC_SVR, 0x100 | HV_VEC_SPURIOUS);
	apic_write(APIC_DIVIDE, 0xb); /* divide by 1 */
	apic_write(APIC_LVT_TIMER, 1u << 16 | HV_VEC_TIMER); /* masked while calibrating */
	apic_write(APIC_INIT_COUNT, 0xffffffffu);
	u64 t0 = rdtsc(), span = tsc_hz / 1000; /* 1 ms: about a million APIC ticks */
	while (rdtsc() - t0 < span)
		pause();
	u64 ticks = 0xffffffffu - apic_read(APIC_CUR_COUNT);
	u64 elapsed = rdtsc() - t0;
	apic_write(APIC_INIT_COUNT, 0);
	apic_per_tsc = (ticks << 32) / elapsed;
	apic_write(APIC_LVT_TIMER, HV_VEC_TIMER); /* one-shot, unmasked */
	/* No handler: the interrupt's exit is the news, deadlines are checked after it. */
	hv_printf("hv: TSC %llu MHz, APIC timer %llu MHz (%s)\n", tsc_hz / 1000000,
		  ticks * tsc_hz / elapsed / 1000000, apic_base ? "xAPIC" : "x2APIC");
}

void timer_arm(u64 deadline)
{
	if (!deadline) {
		apic_write(APIC_INIT_COUNT, 0);
		return;
	}
	u64 now = rdtsc();
	u64 delta = deadline > now ? deadline - now : 1;
	u64 ticks = (u64)(((unsigned __int128)delta * apic_per_tsc) >> 32);
	apic_write(APIC_INIT_COUNT, ticks ? (ticks > 0xffffffffu ? 0xffffffffu : (u32)ticks) : 1);
}
