/*
 * hv's console: a polled 16550 UART (the port comes from bulkhead.cfg) and an
 * in-memory ring that keeps the last 64 KiB of hv's messages for the host
 * partition to read later (BH_HC_LOG_READ).  A second ring holds what utility
 * partitions write to their early console, which the host relays to its own
 * (BH_HC_CONSOLE_READ): only the host writes to the serial port, whole lines at
 * a time.  Root mode; hv runs one CPU with interrupts off, so no locking yet.
 */
#include <stdarg.h>
#include "../lib/fmt.h"
#include "../lib/uart.h"
#include "hv.h"

/* A byte ring that keeps the last `size` bytes of everything written to it. */
struct ring {
	char *buf;
	u64 size, total; /* total: bytes ever written */
};

static char log_buf[65536], con_buf[65536];
static struct ring hv_log = { log_buf, sizeof log_buf, 0 }, part_console = { con_buf, sizeof con_buf, 0 };
static u16 port;

static void ring_write(struct ring *r, const char *s, u64 n)
{
	for (u64 i = 0; i < n; i++)
		r->buf[r->total++ % r->size] = s[i];
}

/* Copies from byte pos on (or the oldest byte kept); *next = where to go on. */
static u64 ring_read(const struct ring *r, void *dst, u64 len, u64 pos, u64 *next)
{
	u64 oldest = r->total > r->size ? r->total - r->size : 0, n = 0;
	if (pos < oldest)
		pos = oldest;
	for (char *d = dst; pos < r->total && n < len; n++)
		d[n] = r->buf[pos++ % r->size];
	*next = pos;
	return n;
}

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
	ring_write(&hv_log, buf, (u64)n);
}

u64 log_total(void) { return hv_log.total; }
u64 log_read(void *dst, u64 len, u64 pos, u64 *next) { return ring_read(&hv_log, dst, len, pos, next); }
void console_append(const char *s, u64 len) { ring_write(&part_console, s, len); }
u64 console_read(void *dst, u64 len, u64 pos, u64 *next) { return ring_read(&part_console, dst, len, pos, next); }
