/* Polled UART output for when boot services are gone (no EFI calls). */
#ifndef BULKHEAD_BOOT_SERIAL_H
#define BULKHEAD_BOOT_SERIAL_H

#include <bulkhead/types.h>

/* Writes s to the 16550 at port (0: does nothing), "\n" as "\r\n".  Never blocks for long. */
void bh_serial_puts(u16 port, const char *s);

#endif
