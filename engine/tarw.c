/* Writing ustar archives (POSIX.1-1988 headers, GNU 'L'/'K' members for
 * names and link targets over 100 bytes).  GET /images/{name}/get writes
 * docker-archive output with tarw_file/tarw_copy/tarw_dir: regular files and
 * folders owned by root, mode 0644/0755, dated at the epoch, so that the same
 * images always give the same bytes.  GET /containers/{id}/archive writes a
 * container's files as they are with tarw_stat. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "engine.h"
#include "ld.h"
#include "tar.h"

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

static int pad(int fd, uint64_t size)
{
	static const char zero[512];
	size_t n = (size_t)(-size & 511);
	return n ? write_all(fd, zero, n) : 0;
}

static int header(int fd, const struct ld_tar_hdr *m)
{
	static u8 h[LD_TAR_HDR_MAX];
	size_t n = ld_tar_header(h, m);
	return n ? write_all(fd, h, n) : -1;
}

static int plain(int fd, const char *name, char type, uint64_t size)
{
	return header(fd, &(struct ld_tar_hdr){ name, NULL, type, type == '5' ? 0755 : 0644, 0, 0, 0, 0, size, 0 });
}

int tarw_file(int fd, const char *name, const void *p, uint64_t n)
{
	return plain(fd, name, '0', n) || write_all(fd, p, (size_t)n) || pad(fd, n) ? -1 : 0;
}

static int copy_data(int fd, int src, uint64_t size)
{
	char buf[65536];
	uint64_t left = size;
	while (left) {
		ssize_t n = read(src, buf, left < sizeof buf ? (size_t)left : sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || write_all(fd, buf, (size_t)n))
			return -1;
		left -= (uint64_t)n;
	}
	return pad(fd, size);
}

int tarw_copy(int fd, const char *name, int src)
{
	struct stat st;
	return fstat(src, &st) || plain(fd, name, '0', (uint64_t)st.st_size) ||
	       copy_data(fd, src, (uint64_t)st.st_size) ? -1 : 0;
}

int tarw_dir(int fd, const char *name)
{
	return plain(fd, name, '5', 0);
}

int tarw_stat(int fd, const char *name, const struct stat *st, const char *link, int src)
{
	struct ld_tar_hdr m = { name, NULL, '0', st->st_mode, st->st_uid, st->st_gid, 0, 0, 0, st->st_mtime };
	if (S_ISREG(st->st_mode))
		m.size = (uint64_t)st->st_size;
	else if (S_ISDIR(st->st_mode))
		m.type = '5';
	else if (S_ISLNK(st->st_mode))
		m.type = '2', m.link = link;
	else if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		m.type = S_ISCHR(st->st_mode) ? '3' : '4', m.major = major(st->st_rdev), m.minor = minor(st->st_rdev);
	else if (S_ISFIFO(st->st_mode))
		m.type = '6';
	else
		return 0;   /* a socket: as tar, left out */
	if (header(fd, &m))
		return -1;
	return m.size ? copy_data(fd, src, m.size) : 0;
}

int tarw_end(int fd)
{
	static const char zero[1024];
	return write_all(fd, zero, sizeof zero);
}
