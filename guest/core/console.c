/* The guest kernel's serial console (ring 0): a polled 16550 that the host
 * partition owns by pass-through.  Input waits with HLT between timer ticks. */
#include <stdarg.h>
#include "../../lib/fmt.h"
#include "core/kernel.h"
#include "core/x86.h"

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

void kprintf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = bh_vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	console_write(buf, n < (int)sizeof buf ? (u64)n : sizeof buf - 1);
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
