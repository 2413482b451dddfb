/* Small freestanding string helpers shared by the pure boot/ sources. */
#include "fmt.h"

size_t boot_strlen(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

void boot_memcpy(void *dst, const void *src, size_t n)
{
	u8 *d = dst;
	const u8 *s = src;
	while (n--)
		*d++ = *s++;
}

void boot_memset(void *dst, int c, size_t n)
{
	u8 *d = dst;
	while (n--)
		*d++ = (u8)c;
}
