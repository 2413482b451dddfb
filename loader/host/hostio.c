/* Host image stores: an OCI layout folder (files opened with O_NOFOLLOW,
 * read in large chunks) or a tarball read with pread through the
 * freestanding tar store.  Runs on the Linux host. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "host.h"
#include "../apply.h"
#include "../util.h"

#define CHUNK (256u * 1024)

/* ---- a file as a random-access source ---- */
struct fra {
	struct ld_ra ra;
	int fd;
};

static long fra_read(struct ld_ra *r, u64 off, void *buf, size_t n)
{
	ssize_t got;
	do
		got = pread(((struct fra *)r)->fd, buf, n, (off_t)off);
	while (got < 0 && errno == EINTR);
	return got;
}

/* ---- the folder store ---- */
struct fsrc {
	struct ld_src src;
	int fd;
	u8 buf[CHUNK];
};

struct dstore {
	struct ld_store st;
	int dirfd;
	struct fra *fra;      /* tarball case */
	struct ld_store *tar;
};

static long fsrc_pull(struct ld_src *s, const u8 **p)
{
	struct fsrc *f = (struct fsrc *)s;
	ssize_t n;
	do
		n = read(f->fd, f->buf, CHUNK);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return ld_fail(s->err, "read failed: %s", strerror(errno));
	*p = f->buf;
	return n;
}

static int fsrc_skip(struct ld_src *s, u64 n)
{
	if (lseek(((struct fsrc *)s)->fd, (off_t)n, SEEK_CUR) < 0)
		return ld_fail(s->err, "seek failed: %s", strerror(errno));
	return 0;
}

struct ld_src *ld_host_file_src(int fd, struct ld_err *err)
{
	struct fsrc *f = malloc(sizeof *f);
	if (f) {
		f->src = (struct ld_src){ fsrc_pull, fsrc_skip, err };
		f->fd = fd;
	}
	return f ? &f->src : NULL;
}

static int ds_open(struct ld_store *st, const char *name, struct ld_src **src, u64 *size,
		   struct ld_err *err)
{
	struct dstore *d = (struct dstore *)st;
	char clean[1024];
	struct ld_limits lim;
	struct stat sb;
	ld_limits_default(&lim);
	lim.max_path = sizeof clean - 1;
	if (ld_clean_path(name, clean, &lim, err) <= 0)
		return 1;
	/* walk without following links, like the back-end */
	int fd = dup(d->dirfd);
	char *s = clean;
	while (fd >= 0) {
		char *slash = strchr(s, '/');
		if (slash)
			*slash = 0;
		int nfd = openat(fd, s, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (slash ? O_DIRECTORY : 0));
		close(fd);
		fd = nfd;
		if (!slash)
			break;
		s = slash + 1;
	}
	if (fd < 0)
		return errno == ENOENT ? 1 : ld_fail(err, "cannot open '%s': %s", name, strerror(errno));
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		close(fd);
		return ld_fail(err, "'%s' is not a regular file", name);
	}
	struct ld_src *f = ld_host_file_src(fd, err);
	if (!f) {
		close(fd);
		return ld_fail(err, "out of memory");
	}
	*src = f;
	*size = (u64)sb.st_size;
	return 0;
}

static void ds_close(struct ld_store *st, struct ld_src *src)
{
	(void)st;
	close(((struct fsrc *)src)->fd);
	free(src);
}

static int tar_open(struct ld_store *st, const char *name, struct ld_src **src, u64 *size,
		    struct ld_err *err)
{
	struct ld_store *t = ((struct dstore *)st)->tar;
	return t->open(t, name, src, size, err);
}

static void tar_close(struct ld_store *st, struct ld_src *src)
{
	struct ld_store *t = ((struct dstore *)st)->tar;
	t->close(t, src);
}

struct ld_store *ld_host_store_open(const char *path, struct ld_err *err)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb)) {
		ld_fail(err, "cannot open image '%s': %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	struct dstore *d = calloc(1, sizeof *d);
	if (!d) {
		close(fd);
		return NULL;
	}
	d->dirfd = fd;
	if (S_ISDIR(sb.st_mode)) {
		d->st = (struct ld_store){ ds_open, ds_close };
		return &d->st;
	}
	d->fra = calloc(1, sizeof *d->fra);
	if (d->fra) {
		d->fra->ra = (struct ld_ra){ NULL, fra_read, (u64)sb.st_size };
		d->fra->fd = fd;
		d->tar = ld_tarstore_open(&d->fra->ra, &ld_host_alloc, err);
	}
	if (!d->tar) {
		ld_prefix(err, "image '%s'", path);
		ld_host_store_close(&d->st);
		return NULL;
	}
	d->st = (struct ld_store){ tar_open, tar_close };
	return &d->st;
}

void ld_host_store_close(struct ld_store *st)
{
	struct dstore *d = (struct dstore *)st;
	if (!d)
		return;
	if (d->tar)
		ld_tarstore_free(d->tar);
	free(d->fra);
	close(d->dirfd);
	free(d);
}
