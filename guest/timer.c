/* The guest's clock (ring 0): a periodic tick built from hv's one-shot
 * paravirtual timer, re-armed from each tick's own deadline so it does not drift. */
#include "kernel.h"

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
