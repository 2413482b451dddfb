/* Freestanding text formatting shared by hv and the guest kernel (and host tests). */
#ifndef BULKHEAD_LIB_FMT_H
#define BULKHEAD_LIB_FMT_H

#include <stdarg.h>
#include <stddef.h>

/*
 * A small vsnprintf: %d %i %u %x %X %p %s %c %%, with flags '-' '0', a width,
 * a precision for %s (.N or .*), and the length modifiers l, ll, z.  Returns the length the full output would
 * have had (like C99); never writes more than size bytes, always NUL-terminates
 * when size > 0.
 */
int bh_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int bh_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A partition's console byte as the operator's terminal may see it: itself,
 * or "\xNN" for C0 controls but newline and tab, DEL and the backslash (as
 * Linux's /dev/kmsg writes them, so "\x" always means an escape).  Returns
 * the bytes written to e: 1 or 4. */
unsigned bh_escape_byte(unsigned char b, char e[4]);

/* Parses an unsigned number: decimal, or hex with 0x.  Returns 0 on success. */
int bh_parse_u64(const char *s, unsigned long long *out);

#endif
