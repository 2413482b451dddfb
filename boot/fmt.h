/* Small freestanding string helpers shared by the pure boot/ sources (boot_ prefix:
 * GNU-EFI's library has its own mem* routines).  Formatting is lib/fmt.h's. */
#ifndef BULKHEAD_BOOT_FMT_H
#define BULKHEAD_BOOT_FMT_H

#include <stdarg.h>
#include <bulkhead/types.h>

size_t boot_strlen(const char *s);
void boot_memcpy(void *dst, const void *src, size_t n);
void boot_memset(void *dst, int c, size_t n);

#endif
