/* The guest's clock (ring 0): a periodic tick built from hv's one-shot
 * paravirtual timer, re-armed from each tick's own deadline so it does not drift. */
#include "core/kernel.h"
#include "bh/bh.h"

volatile u64 ticks;
u64 timer_hz;
static u64 period, next;

void timer_start(u64 hz)
{
	timer_hz = hz;
	if (!hz) {
		hcall(BH_HC_TIMER_SET, 0, 0, 0, 0);
		return;
	}
	period = boot_info->tsc_hz / hz;
	next = rdtsc() + period;
	hcall(BH_HC_TIMER_SET, next, 0, 0, 0);
}

void timer_irq(void)
{
	u64 now = rdtsc();
	ticks++;
	next += period;
	if (next <= now) /* missed ticks are dropped, not replayed in a burst */
		next = now + period;
	hcall(BH_HC_TIMER_SET, next, 0, 0, 0);
}

/* TSC <-> nanoseconds without 128-bit division. */
u64 tsc_to_ns(u64 t)
{
	u64 hz = boot_info->tsc_hz;
	return t / hz * 1000000000ull + t % hz * 1000000000ull / hz;
}

u64 ns_to_tsc(u64 ns)
{
	u64 hz = boot_info->tsc_hz;
	return ns / 1000000000ull * hz + ns % 1000000000ull * hz / 1000000000ull;
}

static u64 boot_tsc;
void clock_init(void) { boot_tsc = rdtsc(); }
u64 now_ns(void) { return tsc_to_ns(rdtsc() - boot_tsc); }
u64 boot_ns_of(u64 tsc) { return tsc_to_ns(tsc - boot_tsc); }

/* Before halting: the next tick's deadline is set again, so a halted CPU
 * always has a wake-up (a tick already due fires at once, and counts once). */
void timer_rearm(void)
{
	if (timer_hz)
		hcall(BH_HC_TIMER_SET, next, 0, 0, 0);
}
