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

struct hdr {
	const char *name, *link;
	char type;
	unsigned mode, uid, gid, major, minor;
	uint64_t size;
	long long mtime;
};

static int header(int fd, const struct hdr *m);

static int long_member(int fd, char type, const char *s, uint64_t n)
{
	return header(fd, &(struct hdr){ "././@LongLink", NULL, type, 0644, 0, 0, 0, 0, n, 0 }) ||
	       write_all(fd, s, (size_t)n) || pad(fd, n) ? -1 : 0;
}

static int header(int fd, const struct hdr *m)
{
	unsigned char h[512];
	unsigned sum = 0;
	size_t nl = strlen(m->name), ll = m->link ? strlen(m->link) : 0;
	if (m->size > 077777777777ull || m->mtime < 0 || m->mtime > 077777777777ll)
		return -1;
	/* a long name or target: a GNU member carrying it first, then the header cut short */
	if (ll > 100 && long_member(fd, 'K', m->link, ll + 1))
		return -1;
	if (nl > 100 && long_member(fd, 'L', m->name, nl + 1))
		return -1;
	memset(h, 0, sizeof h);
	memcpy(h, m->name, nl > 100 ? 100 : nl);
	snprintf((char *)h + 100, 8, "%07o", m->mode & 07777);
	snprintf((char *)h + 108, 8, "%07o", m->uid & 07777777);
	snprintf((char *)h + 116, 8, "%07o", m->gid & 07777777);
	snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)m->size);
	snprintf((char *)h + 136, 12, "%011llo", (unsigned long long)m->mtime);
	memset(h + 148, ' ', 8);
	h[156] = (unsigned char)m->type;
	if (ll)
		memcpy(h + 157, m->link, ll > 100 ? 100 : ll);
	memcpy(h + 257, "ustar\0" "00", 8);
	if (m->type == '3' || m->type == '4') {
		snprintf((char *)h + 329, 8, "%07o", m->major & 07777777);
		snprintf((char *)h + 337, 8, "%07o", m->minor & 07777777);
	}
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	return write_all(fd, h, sizeof h);
}

static int plain(int fd, const char *name, char type, uint64_t size)
{
	return header(fd, &(struct hdr){ name, NULL, type, type == '5' ? 0755 : 0644, 0, 0, 0, 0, size, 0 });
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
	struct hdr m = { name, NULL, '0', st->st_mode, st->st_uid, st->st_gid, 0, 0, 0, st->st_mtime };
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
