/* Small freestanding helpers shared by the loader: memory and string
 * functions (prefixed ld_, no libc), a tiny formatter for error messages,
 * hex digests and the allocator shorthands.  Runs in the guest kernel and in
 * the host tool. */
#ifndef BULKHEAD_LOADER_UTIL_H
#define BULKHEAD_LOADER_UTIL_H

#include <stdarg.h>
#include "ld.h"

void *ld_memcpy(void *d, const void *s, size_t n);
void *ld_memmove(void *d, const void *s, size_t n);
void *ld_memset(void *d, int c, size_t n);
int ld_memcmp(const void *a, const void *b, size_t n);
size_t ld_strlen(const char *s);
size_t ld_strnlen(const char *s, size_t max);
int ld_strcmp(const char *a, const char *b);
int ld_strncmp(const char *a, const char *b, size_t n);
int ld_startswith(const char *s, const char *prefix);
/* Copies at most cap-1 bytes and terminates; returns -1 if s did not fit. */
int ld_strlcpy(char *d, const char *s, size_t cap);

/* Next component of the path at *s (slashes, "" and "." skipped): returns
 * it and its length in *len and advances *s, or NULL at the end. */
const char *ld_path_next(const char **s, size_t *len);
static inline int ld_is_dotdot(const char *c, size_t len)
{
	return len == 2 && c[0] == '.' && c[1] == '.';
}

/* printf subset: %s %.*s %c %d %u %x %ld %lu %lld %llu %llx %%. */
int ld_vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap);
int ld_snprintf(char *buf, size_t cap, const char *fmt, ...);

/* Sets the message; returns -1 so callers can `return ld_fail(...)`. */
int ld_fail(struct ld_err *e, const char *fmt, ...);
/* Puts "<prefix>: " in front of the current message; returns -1. */
int ld_prefix(struct ld_err *e, const char *fmt, ...);

void ld_hex(char *out, const u8 *bin, size_t n);          /* out gets 2n+1 */
int ld_unhex(u8 *out, const char *hex, size_t n);         /* 0 or -1 */

static inline void *ld_new(struct ld_alloc *a, size_t n)
{
	void *p = a->alloc(a->ctx, n);
	if (p)
		ld_memset(p, 0, n);
	return p;
}
static inline void ld_del(struct ld_alloc *a, void *p)
{
	if (p)
		a->free(a->ctx, p);
}

static inline u32 ld_le32(const u8 *p)
{
	return p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

#endif
