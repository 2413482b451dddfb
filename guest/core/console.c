/* The guest kernel's serial console (ring 0): a polled 16550 that the host
 * partition owns by pass-through.  Input waits with HLT between timer ticks.
 * Everything printed is kept in the kernel log too. */
#include <stdarg.h>
#include "../../lib/fmt.h"
#include "core/kernel.h"
#include "core/x86.h"
#include "core/proc.h"

static u16 port;
int console_raw;


void console_init(u16 p) { port = p; /* hv has set the UART up */ }

void console_write(const char *s, u64 len)
{
	for (u64 i = 0; port && i < len; i++) {
		if (s[i] == '\n')
			console_write("\r", 1);
		for (int spin = 0; spin < 100000 && !(inb(port + 5) & 0x20); spin++)
			__asm__ volatile("pause");
		outb(port, (u8)s[i]);
	}
}

/* The kernel log (syslog(2), dmesg): what kprintf and klog print, each
 * line as Linux keeps it, "<6>[seconds.micros] text". */
static char log_buf[KLOG_SIZE];
static u64 log_end, log_clear; /* bytes ever logged; where SYSLOG_ACTION_CLEAR left it */
static int log_mid;            /* the last line is not finished */
int klog_console;              /* "strace" on the command line: klog prints too */
const char klog_wait;          /* what a blocked syslog read sleeps on */

static void log_put(const char *s, u64 n)
{
	for (u64 i = 0; i < n; i++) {
		if (!log_mid) {
			char h[32];
			u64 ns = boot_info && boot_info->tsc_hz ? tsc_to_ns(rdtsc() - kernel_entry_tsc) : 0;
			int k = bh_snprintf(h, sizeof h, "<6>[%5llu.%06llu] ", ns / 1000000000, ns / 1000 % 1000000);
			for (int j = 0; j < k; j++)
				log_buf[log_end++ % KLOG_SIZE] = h[j];
			log_mid = 1;
		}
		log_buf[log_end++ % KLOG_SIZE] = s[i];
		if (s[i] == '\n') {
			log_mid = 0;
			wakeup(&klog_wait);
		}
	}
}

u64 klog_end(void) { return log_end; }
u64 klog_start(void) { return log_end - log_clear > KLOG_SIZE ? log_end - KLOG_SIZE : log_clear; }
void klog_clear(void) { log_clear = log_end; }
char klog_byte(u64 pos) { return log_buf[pos % KLOG_SIZE]; }

static void vlog(int console, const char *fmt, va_list ap)
{
	char buf[512];
	int n = bh_vsnprintf(buf, sizeof buf, fmt, ap);
	u64 len = n < (int)sizeof buf ? (u64)n : sizeof buf - 1;
	log_put(buf, len);
	if (console)
		console_write(buf, len);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(1, fmt, ap);
	va_end(ap);
}

void klog(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(klog_console, fmt, ap);
	va_end(ap);
}

int console_getc(void)
{
	while (!port || !(inb(port + 5) & 1))
		__asm__ volatile("sti; nop; hlt" ::: "memory"); /* the next tick wakes us (see idle_loop) */
	return inb(port);
}

int console_poll(void)
{
	return port && (inb(port + 5) & 1) ? inb(port) : -1;
}
