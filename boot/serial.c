/* Polled UART output (see serial.h).  Uses the UART as the firmware left it. */
#include "serial.h"

static inline void outb(u16 port, u8 v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline u8 inb(u16 port)
{
	u8 v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void put(u16 port, char c)
{
	/* Wait for THR empty (LSR bit 5), bounded so a missing UART cannot hang us. */
	for (u32 i = 0; i < 100000 && !(inb((u16)(port + 5)) & 0x20); i++)
		;
	outb(port, (u8)c);
}

void bh_serial_puts(u16 port, const char *s)
{
	if (!port)
		return;
	for (; *s; s++) {
		if (*s == '\n')
			put(port, '\r');
		put(port, *s);
	}
}
