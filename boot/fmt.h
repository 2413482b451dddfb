/* Small freestanding string helpers shared by the pure boot/ sources (boot_ prefix:
 * lib/fmt.h has its own bh_snprintf with C99 return semantics). */
#ifndef BULKHEAD_BOOT_FMT_H
#define BULKHEAD_BOOT_FMT_H

#include <stdarg.h>
#include <bulkhead/types.h>

/*
 * snprintf subset: %s %.*s %c %d %u %x %lu %lx %llu %llx %% (no width or flags).
 * Always NUL-terminates when n > 0; truncates silently.  Returns the length
 * written (without the NUL).
 */
size_t boot_snprintf(char *buf, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
size_t boot_vsnprintf(char *buf, size_t n, const char *fmt, va_list ap);

size_t boot_strlen(const char *s);
void boot_memcpy(void *dst, const void *src, size_t n);
void boot_memset(void *dst, int c, size_t n);

#endif
