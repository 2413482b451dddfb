/* The guest kernel's serial console (ring 0): a 16550 that the host
 * partition owns by pass-through.  Output is polled; input is read when the
 * UART's receive interrupt comes (the tty routes it: console_rx_irq_on), or
 * at the tick where no interrupt can be had (no IOAPIC, the monitor).  Bytes
 * that arrive while the output loop waits with interrupts off are taken off
 * the UART then, before its 16-byte FIFO overflows, and kept for the next
 * console_poll.  Everything printed is kept in the kernel log too. */
#include <stdarg.h>
#include "../../lib/fmt.h"
#include "core/kernel.h"
#include "core/x86.h"
#include "core/proc.h"

enum { UART_IER = 1, UART_FCR = 2, UART_MCR = 4, UART_LSR = 5 };
enum { LSR_DR = 0x01, LSR_OE = 0x02, LSR_THRE = 0x20 };

static u16 port;
int console_raw;
static u8 kept[64];               /* received while output waited: kept[kept_tail..kept_head) */
static u32 kept_head, kept_tail;
u64 console_overruns;

/* hv has set the UART up; its FIFO's receive trigger goes to 1 byte: a
 * higher one relies on the character timeout, which Bochs 2.7 also raises
 * after the FIFO was read empty (LSR.DR then reports a phantom byte). */
void console_init(u16 p)
{
	port = p;
	if (port)
		outb(port + UART_FCR, 0x01);
}

/* The line status; a byte received meanwhile is kept, an overrun counted. */
static u8 lsr_keep(void)
{
	u8 lsr = inb(port + UART_LSR);
	console_overruns += (lsr & LSR_OE) != 0;
	if ((lsr & LSR_DR) && kept_head - kept_tail < sizeof kept)
		kept[kept_head++ % sizeof kept] = inb(port);
	return lsr;
}

void console_write(const char *s, u64 len)
{
	for (u64 i = 0; port && i < len; i++) {
		if (s[i] == '\n')
			console_write("\r", 1);
		for (int spin = 0; spin < 100000 && !(lsr_keep() & LSR_THRE); spin++)
			__asm__ volatile("pause");
		outb(port, (u8)s[i]);
	}
}

/* OUT2 (which gates the IRQ line on PCs) and the received-data interrupt. */
void console_rx_irq_on(void)
{
	outb(port + UART_MCR, inb(port + UART_MCR) | 0x08);
	outb(port + UART_IER, 0x01);
}

int console_kept(void) { return kept_head != kept_tail; }

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

int console_poll(void)
{
	if (port && kept_head == kept_tail)
		lsr_keep();
	return kept_head != kept_tail ? kept[kept_tail++ % sizeof kept] : -1;
}

int console_getc(void)
{
	int c;
	while ((c = console_poll()) < 0)
		__asm__ volatile("sti; nop; hlt" ::: "memory"); /* the next tick wakes us (see idle_loop) */
	return c;
}
