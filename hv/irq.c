/*
 * Device interrupts (root mode): a physical interrupt on a vector in
 * BH_VEC_DEV_FIRST..BH_VEC_DEV_LAST is the host partition's, whatever
 * partition was running when it came.  hv takes it through its own IDT (the
 * exit, or the idle HLT), makes it a pending virtual interrupt of the host's
 * vCPU and holds the local APIC's EOI until the host says BH_HC_EOI.
 *
 * Held EOIs keep the devices in check: the LAPIC accepts no vector of the
 * same or a lower priority class while one is in service (its ISR), and an
 * IOAPIC does not send a level-triggered line again until the EOI with that
 * vector clears its remote IRR.  hv's own vectors (timer 0xf0, spurious 0xff)
 * are of a higher class and are EOIed at once, so scheduling never waits on
 * the host.
 *
 * An EOI retires the highest vector in service (Intel SDM vol. 3A,
 * "Signaling Interrupt Servicing Completion"; AMD APM vol. 2, "End of
 * Interrupt"), so hv says it in that order: a vector the host is done with
 * waits in `done` while a higher one it has not finished is still held.
 * At a hypercall the LAPIC's ISR holds exactly the vectors in `held`: hv's
 * own interrupts have had their EOI before hv runs anything else.
 */
#include "part.h"

static u64 held[4], done[4]; /* by vector: passed to the host / the host said EOI */

static int has(const u64 *set, u32 v) { return (set[v / 64] >> (v % 64)) & 1; }

static int highest(const u64 *set)
{
	for (int w = 3; w >= 0; w--)
		if (set[w])
			return w * 64 + 63 - __builtin_clzll(set[w]);
	return -1;
}

void irq_device(u8 vector)
{
	struct partition *host = partitions[0];
	/* Not in service: an ExtINT from a legacy PIC (no ISR bit, no EOI)
	 * the host should have masked; held already: the same. */
	if (has(held, vector) || !lapic_in_service(vector))
		return;
	if (!host || host->state != BH_PART_RUNNING) {
		lapic_eoi();
		return;
	}
	held[vector / 64] |= 1ull << (vector % 64);
	hv_stats.dev_interrupts++;
	sched_wake(host->vcpu, vector);
}

s64 irq_eoi(u64 vector)
{
	if (vector < BH_VEC_DEV_FIRST || vector > BH_VEC_DEV_LAST || !has(held, (u32)vector) ||
	    has(done, (u32)vector))
		return BH_EINVAL;
	done[vector / 64] |= 1ull << (vector % 64);
	for (int top; (top = highest(held)) >= 0 && has(done, (u32)top);) {
		lapic_eoi();
		held[top / 64] &= ~(1ull << (top % 64));
		done[top / 64] &= ~(1ull << (top % 64));
	}
	return 0;
}
