/*
 * hv's console: a polled 16550 UART (the port comes from bulkhead.cfg) and an
 * in-memory ring that keeps the last HV_LOG_SIZE bytes for the host partition to
 * read later (BH_HC_LOG_READ).  Root mode; hv runs one CPU with interrupts off,
 * so no locking yet.
 */
#include <stdarg.h>
#include "../lib/fmt.h"
#include "../lib/uart.h"
#include "hv.h"

#define HV_LOG_SIZE 65536u
static char ring[HV_LOG_SIZE];
static u64 ring_total; /* bytes ever logged; ring holds the last HV_LOG_SIZE */
static u16 port;

void log_init(u16 serial_port)
{
	port = serial_port;
	uart_init(port);
}

void serial_write(const char *s, u64 len) { uart_write(port, s, len); }

void hv_printf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = bh_vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof buf - 1)
		n = sizeof buf - 1;
	serial_write(buf, (u64)n);
	for (int i = 0; i < n; i++)
		ring[ring_total++ % HV_LOG_SIZE] = buf[i];
}

u64 log_total(void) { return ring_total; }

u64 log_read(void *dst, u64 len, u64 pos)
{
	u64 oldest = ring_total > HV_LOG_SIZE ? ring_total - HV_LOG_SIZE : 0;
	if (pos < oldest)
		pos = oldest;
	u64 n = 0;
	for (char *d = dst; pos < ring_total && n < len; n++)
		d[n] = ring[pos++ % HV_LOG_SIZE];
	return n;
}
