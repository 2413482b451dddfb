/*
 * The four memory routines the compiler may call on its own in freestanding code
 * (hv, guest kernel): rep movsb/stosb, and rep stosq for aligned fills.
 */
#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n)
{
	/* Quadwords, then the tail: one rep iteration per 8 bytes (memset's rule) */
	void *d = dst;
	size_t q = n / 8, r = n % 8;
	__asm__ volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(q) : : "memory");
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(r) : : "memory");
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	void *d = dst;
	if (!(((size_t)dst | n) & 7)) { /* whole quadwords: pages, mostly */
		size_t q = n / 8;
		__asm__ volatile("rep stosq" : "+D"(d), "+c"(q) : "a"((c & 0xff) * 0x0101010101010101ull) : "memory");
	} else {
		__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
	}
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;
	if (d <= s || d >= s + n)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}
