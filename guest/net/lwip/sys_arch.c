/*
 * lwIP's system layer for the guest kernel (NO_SYS): its clock, memory,
 * randomness and assertions, and the loop that drives it: lwip_pump
 * delivers what waits on the loopback queue and on the virtual switch's
 * ports (net/switch.c) and runs lwIP's timers.  It runs
 * after each call into lwIP (inet.c) and from the scheduler's poller, at
 * each tick and idle wake-up.
 */
#include <string.h>
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include <stdlib.h>
#include "net/lwip/port.h"
#include "net/vswitch.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/sys.h"
#include "lwip/timeouts.h"

u32_t sys_now(void) { return (u32_t)(now_ns() / 1000000); }

void *lwip_kmalloc(unsigned long n) { return kmalloc(n); }
void *lwip_kcalloc(unsigned long c, unsigned long n) { return c && n > ~0ul / c ? 0 : kzalloc(c * n); }
void lwip_kfree(void *p) { kfree(p); }

/* TCP's initial sequence numbers and ephemeral ports: xorshift seeded by the TSC. */
unsigned int lwip_rand(void)
{
	static u64 x;
	if (!x)
		x = rdtsc() | 1;
	x ^= x << 13, x ^= x >> 7, x ^= x << 17;
	return (unsigned int)(x >> 16);
}

int atoi(const char *s)
{
	int n = 0;
	while (*s >= '0' && *s <= '9')
		n = n * 10 + (*s++ - '0');
	return n;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; a++, b++, n--)
		if (*a != *b || !*a)
			return (unsigned char)*a - (unsigned char)*b;
	return 0;
}

void lwip_panic(const char *msg, int line, const char *file)
{
	kprintf("guest: lwIP assertion \"%s\" failed at %s:%d; halting\n", msg, file, line);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void lwip_pump(void)
{
	for (int more = 1; more;) {
		more = vswitch_pump();
		struct netif *n;
		NETIF_FOREACH(n)
			if (n->loop_first) {
				netif_poll(n);
				more = 1;
			}
	}
}

static void lwip_tick(void)
{
	sys_check_timeouts();
	lwip_pump();
}

/* Once per kernel: the sockets (net_init) and a utility's NIC (chnic_start) both ask. */
void lwip_start(void)
{
	static int started;
	if (started++)
		return;
	lwip_init(); /* the loopif comes up with 127.0.0.1/8 */
	sched_add_poller(lwip_tick);
}
