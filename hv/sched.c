/*
 * The scheduler (root mode, one CPU): every started vCPU sits on one ring and
 * runs round-robin for a slice of SLICE_MS, or until it halts.  The local APIC
 * timer is armed for the earliest of the partitions' deadlines and, when more
 * than one vCPU wants the CPU, the end of the slice; so a partition spinning
 * with interrupts off still loses the CPU on time.  What the backends do not
 * switch (extended state, debug registers, a few MSRs) goes with the vCPU
 * through vstate.c.
 */
#include "part.h"
#include "../lib/x86.h"

#define SLICE_MS 10

static struct vcpu *ring, *cur, *first; /* first: runs next (a device interrupt's host) */
static u64 slice_end;
static int resched;

static int runnable(const struct vcpu *v) { return v->part->state == BH_PART_RUNNING && !v->halted; }

void sched_add(struct vcpu *v)
{
	vstate_reset(v);
	v->halted = 0;
	if (!ring) {
		ring = v->next = v;
		return;
	}
	v->next = ring->next;
	ring->next = v;
}

void sched_remove(struct vcpu *v)
{
	struct vcpu *prev = ring;
	if (!ring)
		return;
	while (prev->next != v && prev->next != ring)
		prev = prev->next;
	if (prev->next != v)
		return; /* not on the ring */
	if (v->next == v) {
		ring = 0;
	} else {
		prev->next = v->next;
		if (ring == v)
			ring = v->next;
	}
	if (cur == v)
		cur = 0;
	if (first == v)
		first = 0;
	vstate_drop(v);
	v->next = 0;
	resched = 1;
}

void sched_timer_update(void)
{
	u64 earliest = 0;
	int want = 0;
	struct vcpu *v = ring;
	do {
		if (!v)
			break;
		if (v->deadline && (!earliest || v->deadline < earliest))
			earliest = v->deadline;
		want += runnable(v);
		v = v->next;
	} while (v != ring);
	if (want > 1 && (!earliest || slice_end < earliest))
		earliest = slice_end;
	timer_arm(earliest);
}

void sched_tick(void)
{
	u64 now = rdtsc();
	struct vcpu *v = ring;
	do {
		if (!v)
			break;
		if (v->deadline && now >= v->deadline) {
			v->deadline = 0;
			sched_raise(v, BH_VEC_TIMER);
		}
		v = v->next;
	} while (v != ring);
	if (now >= slice_end)
		resched = 1;
	sched_timer_update();
}

void sched_yield(void) { resched = 1; }

void sched_raise(struct vcpu *v, u8 vector)
{
	vcpu_raise(v, vector);
	v->halted = 0;
}

void sched_wake(struct vcpu *v, u8 vector)
{
	sched_raise(v, vector);
	if (v != cur)
		first = v, resched = 1;
}

/* The vCPU sched_wake named, else the next runnable one after the current
 * one, the current one last. */
static struct vcpu *pick(void)
{
	struct vcpu *start = first && runnable(first) ? first : cur ? cur->next : ring, *v = start;
	first = 0;
	do {
		if (!v)
			return 0;
		if (runnable(v))
			return v;
		v = v->next;
	} while (v != start);
	return 0;
}

void sched_run(void)
{
	for (;;) {
		if (!cur || resched || !runnable(cur)) {
			struct vcpu *n;
			resched = 0;
			while (!(n = pick())) { /* idle until a deadline or a device interrupt */
				u64 t0 = rdtsc();
				__asm__ volatile("sti; hlt; cli" ::: "memory");
				hv_stats.idle_tsc += rdtsc() - t0;
				sched_tick();
			}
			vstate_switch(n);
			cur = n;
			slice_end = rdtsc() + tsc_hz / 1000 * SLICE_MS;
			sched_timer_update();
		}
		vcpu_ops->run(cur);
		cur->exits++;
		handle_exit(cur);
	}
}
