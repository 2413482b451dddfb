/* Writing ustar archives (POSIX.1-1988 headers, names up to 100 bytes) for
 * GET /images/{name}/get: docker-archive output.  Members are regular files
 * and folders owned by root, mode 0644/0755, dated at the epoch so that the
 * same images always give the same bytes. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "engine.h"

static int write_all(int fd, const void *p, size_t n)
{
	const char *s = p;
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w, n -= (size_t)w;
	}
	return 0;
}

static int header(int fd, const char *name, char type, uint64_t size)
{
	unsigned char h[512];
	unsigned sum = 0;
	if (strlen(name) > 100 || size > 077777777777ull)
		return -1;
	memset(h, 0, sizeof h);
	memcpy(h, name, strlen(name));
	snprintf((char *)h + 100, 8, "%07o", type == '5' ? 0755 : 0644);
	snprintf((char *)h + 108, 8, "%07o", 0);
	snprintf((char *)h + 116, 8, "%07o", 0);
	snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)size);
	snprintf((char *)h + 136, 12, "%011o", 0);
	memset(h + 148, ' ', 8);
	h[156] = (unsigned char)type;
	memcpy(h + 257, "ustar\0" "00", 8);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	return write_all(fd, h, sizeof h);
}

static int pad(int fd, uint64_t size)
{
	static const char zero[512];
	size_t n = (size_t)(-size & 511);
	return n ? write_all(fd, zero, n) : 0;
}

int tarw_file(int fd, const char *name, const void *p, uint64_t n)
{
	return header(fd, name, '0', n) || write_all(fd, p, (size_t)n) || pad(fd, n) ? -1 : 0;
}

int tarw_copy(int fd, const char *name, int src)
{
	struct stat st;
	char buf[65536];
	if (fstat(src, &st) || header(fd, name, '0', (uint64_t)st.st_size))
		return -1;
	uint64_t left = (uint64_t)st.st_size;
	while (left) {
		ssize_t n = read(src, buf, left < sizeof buf ? (size_t)left : sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || write_all(fd, buf, (size_t)n))
			return -1;
		left -= (uint64_t)n;
	}
	return pad(fd, (uint64_t)st.st_size);
}

int tarw_dir(int fd, const char *name)
{
	return header(fd, name, '5', 0);
}

int tarw_end(int fd)
{
	static const char zero[1024];
	return write_all(fd, zero, sizeof zero);
}
