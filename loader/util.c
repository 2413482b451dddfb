/* Freestanding memory/string helpers and the error-message formatter used by
 * every part of the loader (guest kernel and host tool alike). */
#include "util.h"

void *ld_memcpy(void *d, const void *s, size_t n)
{
	u8 *dp = d;
	const u8 *sp = s;
	while (n >= 8) {
		u64 v;
		__builtin_memcpy(&v, sp, 8);
		__builtin_memcpy(dp, &v, 8);
		dp += 8, sp += 8, n -= 8;
	}
	while (n--)
		*dp++ = *sp++;
	return d;
}

void *ld_memmove(void *d, const void *s, size_t n)
{
	u8 *dp = d;
	const u8 *sp = s;
	if (dp <= sp || dp >= sp + n)
		return ld_memcpy(d, s, n);
	while (n--)
		dp[n] = sp[n];
	return d;
}

void *ld_memset(void *d, int c, size_t n)
{
	u8 *dp = d;
	u64 v = (u8)c * 0x0101010101010101ull;
	for (; n >= 8; dp += 8, n -= 8) /* a word at a time, as ld_memcpy */
		__builtin_memcpy(dp, &v, 8);
	while (n--)
		*dp++ = (u8)c;
	return d;
}

int ld_memcmp(const void *a, const void *b, size_t n)
{
	const u8 *x = a, *y = b;
	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

size_t ld_strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

size_t ld_strnlen(const char *s, size_t max)
{
	size_t n = 0;
	while (n < max && s[n])
		n++;
	return n;
}

int ld_strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (u8)*a - (u8)*b;
}

int ld_strncmp(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (a[i] != b[i])
			return (u8)a[i] - (u8)b[i];
		if (!a[i])
			return 0;
	}
	return 0;
}

int ld_startswith(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	return 1;
}

int ld_strlcpy(char *d, const char *s, size_t cap)
{
	size_t n = ld_strnlen(s, cap);
	if (n >= cap) {
		if (cap) {
			ld_memcpy(d, s, cap - 1);
			d[cap - 1] = 0;
		}
		return -1;
	}
	ld_memcpy(d, s, n + 1);
	return 0;
}

const char *ld_path_next(const char **s, size_t *len)
{
	const char *p = *s, *c;
	for (;;) {
		while (*p == '/')
			p++;
		if (!*p) {
			*s = p;
			return 0;
		}
		c = p;
		while (*p && *p != '/')
			p++;
		if (p - c != 1 || c[0] != '.')
			break;
	}
	*s = p;
	*len = (size_t)(p - c);
	return c;
}

/* ---- formatter ---- */
struct fmtbuf {
	char *p;
	size_t cap, len;
};

static void put(struct fmtbuf *b, char c)
{
	if (b->len + 1 < b->cap)
		b->p[b->len] = c;
	b->len++;
}

static void put_num(struct fmtbuf *b, u64 v, unsigned base, int neg)
{
	char tmp[24];
	int n = 0;
	if (neg)
		put(b, '-');
	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	while (n)
		put(b, tmp[--n]);
}

int ld_vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap)
{
	struct fmtbuf b = { buf, cap, 0 };
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			put(&b, *fmt);
			continue;
		}
		fmt++;
		int prec = -1, lng = 0;
		if (fmt[0] == '.' && fmt[1] == '*') {
			prec = va_arg(ap, int);
			fmt += 2;
		}
		while (*fmt == 'l')
			lng++, fmt++;
		switch (*fmt) {
		case 's': {
			const char *s = va_arg(ap, const char *);
			if (!s)
				s = "(null)";
			for (int i = 0; s[i] && (prec < 0 || i < prec); i++)
				put(&b, s[i]);
			break;
		}
		case 'c':
			put(&b, (char)va_arg(ap, int));
			break;
		case 'd': {
			s64 v = lng ? va_arg(ap, long long) : va_arg(ap, int);
			put_num(&b, v < 0 ? -(u64)v : (u64)v, 10, v < 0);
			break;
		}
		case 'u':
		case 'x': {
			u64 v = lng ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned);
			put_num(&b, v, *fmt == 'x' ? 16 : 10, 0);
			break;
		}
		case '%':
			put(&b, '%');
			break;
		default:
			put(&b, '?');
			if (!*fmt)
				fmt--;
		}
	}
	if (cap)
		buf[b.len < cap ? b.len : cap - 1] = 0;
	return (int)b.len;
}

int ld_snprintf(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = ld_vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	return n;
}

int ld_fail(struct ld_err *e, const char *fmt, ...)
{
	va_list ap;
	if (!e)
		return -1;
	va_start(ap, fmt);
	ld_vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return -1;
}

int ld_prefix(struct ld_err *e, const char *fmt, ...)
{
	char old[LD_ERR_MAX];
	va_list ap;
	if (!e)
		return -1;
	ld_memcpy(old, e->msg, sizeof old);
	va_start(ap, fmt);
	int n = ld_vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof e->msg)
		return -1;
	ld_snprintf(e->msg + n, sizeof e->msg - n, ": %s", old[0] ? old : "error");
	return -1;
}

void ld_hex(char *out, const u8 *bin, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = "0123456789abcdef"[bin[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[bin[i] & 15];
	}
	out[2 * n] = 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;   /* OCI digests are lower-case hex only */
}

int ld_unhex(u8 *out, const char *hex, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(hex[2 * i]), lo = hi < 0 ? -1 : hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (u8)(hi << 4 | lo);
	}
	return 0;
}
