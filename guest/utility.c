/*
 * The utility role (guest ring 0): what a utility partition's kernel does until
 * containers run in it.  It has no devices: it reports through hv's console
 * hypercall, which marks its lines with the partition's name.  Its command line
 * (from the host's create request) can ask for test behaviour:
 *   spin        loop with interrupts off, forever
 *   peek=ADDR   read guest-physical ADDR (outside its RAM: hv stops it)
 *   fill=BYTE   fill every free page with BYTE
 *   check=BYTE  count free-page quadwords that hold BYTE repeated
 *   hc=NR       issue hypercall NR with no arguments
 *   crash       triple-fault
 */
#include <stdarg.h>
#include "../lib/fmt.h"
#include "../lib/string.h"
#include "kernel.h"
#include "mm.h"

static void uprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void uprintf(const char *fmt, ...)
{
	static char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = bh_vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	hcall(BH_HC_CONSOLE_WRITE, v2p(buf), n < (int)sizeof buf ? (u64)n : sizeof buf - 1, 0, 0);
}

/* Every free page, raw as hv handed it over; f runs on each. */
static u64 each_free_page(void (*f)(u64 *page, u64 arg, u64 *acc), u64 arg)
{
	u64 acc = 0, *p;
	while ((p = page_alloc_run(1)))
		f(p, arg, &acc);
	return acc;
}

static void fill(u64 *p, u64 pattern, u64 *acc)
{
	memset(p, (int)pattern, PAGE);
	*acc += PAGE;
}

static void check(u64 *p, u64 pattern, u64 *acc)
{
	for (u64 i = 0; i < PAGE / 8; i++)
		*acc += p[i] == pattern * 0x0101010101010101ull;
}

static int arg(const char *tok, const char *key, u64 *v)
{
	u64 n = strlen(key);
	unsigned long long x;
	if (memcmp(tok, key, n) || bh_parse_u64(tok + n, &x))
		return 0;
	*v = x;
	return 1;
}

void utility_main(void)
{
	static char line[BH_CMDLINE_MAX];
	u64 v;
	timer_start(0); /* idle partitions cost no timer exits */
	uprintf("guest: utility partition %u ready, %llu TSC ticks since create\n", boot_info->partition_id,
		rdtsc() - boot_info->hv_entry_tsc);
	memcpy(line, boot_info->cmdline, sizeof line);
	line[sizeof line - 1] = 0;
	for (char *tok = line, *end; *tok; tok = end) {
		for (end = tok; *end && *end != ' '; end++)
			;
		if (*end)
			*end++ = 0;
		if (!strcmp(tok, "spin")) {
			uprintf("spinning with interrupts off\n");
			for (;;)
				__asm__ volatile("cli");
		} else if (!strcmp(tok, "crash")) {
			uprintf("triple-faulting\n");
			struct __attribute__((packed)) { u16 limit; u64 base; } none = { 0, 0 };
			__asm__ volatile("lidt %0; int3" : : "m"(none));
		} else if (arg(tok, "peek=", &v)) {
			uprintf("peek 0x%llx: 0x%llx\n", v, *(volatile u64 *)p2v(v));
		} else if (arg(tok, "fill=", &v)) {
			uprintf("filled %llu KiB with 0x%02llx\n", each_free_page(fill, v & 0xff) >> 10, v & 0xff);
		} else if (arg(tok, "check=", &v)) {
			uprintf("check 0x%02llx: %llu quadwords found\n", v & 0xff, each_free_page(check, v & 0xff));
		} else if (arg(tok, "hc=", &v)) {
			uprintf("hc %llu -> %lld\n", v, hcall(v, 0, 0, 0, 0));
		} else if (*tok) {
			uprintf("unknown command-line word '%s'\n", tok);
		}
	}
	for (;;)
		__asm__ volatile("sti; hlt");
}
