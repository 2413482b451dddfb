/* A polled 16550 UART: the console of boot/ (after ExitBootServices), hv and the
 * guest kernel.  Port 0 means no console: output is dropped, input never comes. */
#ifndef BULKHEAD_LIB_UART_H
#define BULKHEAD_LIB_UART_H

#include <bulkhead/types.h>

void uart_init(u16 port);                          /* 115200 8N1, FIFO, no interrupts */
void uart_write(u16 port, const char *s, u64 len); /* "\n" goes out as "\r\n" */
int uart_poll(u16 port);                           /* a received byte, or -1 */

#endif
