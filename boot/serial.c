/* Polled UART output (see serial.h) through lib/uart.c, as the firmware left the UART. */
#include "../lib/uart.h"
#include "fmt.h"
#include "serial.h"

void bh_serial_puts(u16 port, const char *s) { uart_write(port, s, boot_strlen(s)); }
