/* Polled 16550 UART (see uart.h).  Runs in the UEFI loader, hv root mode and the
 * guest kernel; every wait is bounded, so a missing UART cannot hang anyone. */
#include "uart.h"

static inline void outb(u16 port, u8 v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline u8 inb(u16 port)
{
	u8 v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

void uart_init(u16 port)
{
	if (!port)
		return;
	outb(port + 1, 0x00); /* no interrupts */
	outb(port + 3, 0x80); /* divisor latch */
	outb(port + 0, 0x01); /* 115200 baud */
	outb(port + 1, 0x00);
	outb(port + 3, 0x03); /* 8N1 */
	outb(port + 2, 0xc7); /* FIFO on, cleared */
	outb(port + 4, 0x03); /* DTR, RTS */
}

static void put(u16 port, char c)
{
	for (int spin = 0; spin < 100000 && !(inb(port + 5) & 0x20); spin++)
		__asm__ volatile("pause");
	outb(port, (u8)c);
}

void uart_write(u16 port, const char *s, u64 len)
{
	for (u64 i = 0; port && i < len; i++) {
		if (s[i] == '\n')
			put(port, '\r');
		put(port, s[i]);
	}
}

int uart_poll(u16 port)
{
	return port && (inb(port + 5) & 1) ? inb(port) : -1;
}
