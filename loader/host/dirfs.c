/* The directory back-end of the host tool: writes an unpacked root into a
 * folder.  Every path is walked from the root fd one component at a time
 * with openat(O_NOFOLLOW|O_DIRECTORY), so no symlink in the tree can ever
 * redirect a write; the last parent folder's fd is cached (most entries
 * land in the folder of the previous one) and that folder's mtime is put
 * back when we move on, so folders keep the times their tar entries gave
 * them.  Runs on the Linux host. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "host.h"
#include "writer.h"
#include "../util.h"

#define ASYNC_MAX (1u << 20)        /* files up to this size go to the writer */
#define DEFER_MAX 4096
#define DEFER_BYTES (1u << 20)

/* With a writer, folder times are put back only once its files exist. */
struct deferred {
	u32 n;
	size_t used;
	u32 off[DEFER_MAX];
	u64 hash[DEFER_MAX];
	struct timespec times[DEFER_MAX][2];
	char paths[DEFER_BYTES];
};

struct dirfs {
	struct ld_fs fs;
	int root, is_root;
	char cpath[65600];
	int cfd, cdirty;
	struct timespec ctimes[2];
	struct bh_writer *w;
	struct deferred *def;
};

struct dfile {
	int fd, dirfd;      /* fd < 0: buffered for the writer */
	u8 *buf;
	size_t len, cap;
	u64 hash;
	char name[256];
};

static u64 path_hash(const char *p)
{
	u64 h = 0xcbf29ce484222325ull;
	while (*p)
		h = (h ^ (u8)*p++) * 0x100000001b3ull;
	return h;
}

static int open_dir(struct dirfs *d, const char *path);

/* Waits for the writer, then puts back the deferred folder times. */
static int barrier(struct dirfs *d)
{
	if (!d->w)
		return 0;
	int rc = bh_writer_wait(d->w, d->fs.err);
	for (u32 i = 0; i < d->def->n; i++) {
		int fd = open_dir(d, d->def->paths + d->def->off[i]);
		if (fd >= 0) {
			futimens(fd, d->def->times[i]);
			close(fd);
		}
	}
	d->def->n = 0;
	d->def->used = 0;
	return rc;
}

static void defer_times(struct dirfs *d)
{
	struct deferred *df = d->def;
	u64 h = path_hash(d->cpath);
	size_t l = strlen(d->cpath) + 1;
	for (u32 i = 0; i < df->n; i++)
		if (df->hash[i] == h)
			return;         /* the first saved time is the right one */
	if (df->n == DEFER_MAX || df->used + l > DEFER_BYTES)
		barrier(d);
	df->off[df->n] = (u32)df->used;
	df->hash[df->n] = h;
	df->times[df->n][0] = d->ctimes[0];
	df->times[df->n][1] = d->ctimes[1];
	memcpy(df->paths + df->used, d->cpath, l);
	df->used += l;
	df->n++;
}

static int sysfail(struct dirfs *d, const char *what, const char *path)
{
	return ld_fail(d->fs.err, "%s '%s': %s", what, path, strerror(errno));
}

static void flush(struct dirfs *d)
{
	if (d->cfd < 0)
		return;
	if (d->cdirty && d->w)
		defer_times(d);
	else if (d->cdirty)
		futimens(d->cfd, d->ctimes);
	close(d->cfd);
	d->cfd = -1;
	d->cdirty = 0;
}

/* Opens directory `path` (relative to the root) without following links. */
static int open_dir(struct dirfs *d, const char *path)
{
	char comp[256];
	int fd = dup(d->root);
	while (fd >= 0 && *path) {
		const char *s = strchr(path, '/');
		size_t n = s ? (size_t)(s - path) : strlen(path);
		if (n >= sizeof comp) {
			close(fd);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(comp, path, n);
		comp[n] = 0;
		int nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = nfd;
		path += n + (s != 0);
	}
	return fd;
}

/* Finds the parent folder of path: *dirfd (owned by the cache or the root)
 * and *name.  dirty: the caller will change that folder. */
static int walk(struct dirfs *d, const char *path, int *dirfd, const char **name, int dirty)
{
	const char *slash = strrchr(path, '/');
	if (!slash) {
		*dirfd = d->root;
		*name = path;
		return 0;
	}
	size_t pl = (size_t)(slash - path);
	*name = slash + 1;
	if (d->cfd < 0 || strlen(d->cpath) != pl || memcmp(d->cpath, path, pl)) {
		flush(d);
		memcpy(d->cpath, path, pl);
		d->cpath[pl] = 0;
		d->cfd = open_dir(d, d->cpath);
		if (d->cfd < 0)
			return sysfail(d, "cannot open folder", d->cpath);
	}
	if (dirty && !d->cdirty) {
		struct stat st;
		if (!fstat(d->cfd, &st)) {
			d->ctimes[0] = st.st_atim;
			d->ctimes[1] = st.st_mtim;
			d->cdirty = 1;
		}
	}
	*dirfd = d->cfd;
	return 0;
}

static int apply_meta(struct dirfs *d, int dirfd, const char *name, const char *path,
		      const struct ld_meta *m, int is_link)
{
	struct timespec ts[2] = { { m->mtime, m->mtime_nsec }, { m->mtime, m->mtime_nsec } };
	if (d->is_root && fchownat(dirfd, name, m->uid, m->gid, AT_SYMLINK_NOFOLLOW))
		return sysfail(d, "cannot set the owner of", path);
	if (!is_link && fchmodat(dirfd, name, m->mode & 07777, 0))
		return sysfail(d, "cannot set the mode of", path);
	if (utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW))
		return sysfail(d, "cannot set the time of", path);
	return 0;
}

static int type_of(mode_t m)
{
	return S_ISREG(m) ? LD_REG : S_ISDIR(m) ? LD_DIR : S_ISLNK(m) ? LD_LNK :
	       S_ISCHR(m) ? LD_CHR : S_ISBLK(m) ? LD_BLK : LD_FIFO;
}

static int d_lstat(struct ld_fs *fs, const char *path, int *type)
{
	struct dirfs *d = (struct dirfs *)fs;
	struct stat st;
	const char *name;
	int dfd;
	if (!*path) {
		*type = LD_DIR;
		return 0;
	}
	if (d->w && bh_writer_pending(d->w, path_hash(path)) && barrier(d))
		return -1;
	if (walk(d, path, &dfd, &name, 0))
		return -1;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW)) {
		if (errno != ENOENT)
			return sysfail(d, "cannot stat", path);
		*type = LD_NONE;
		return 0;
	}
	*type = type_of(st.st_mode);
	return 0;
}

static long d_readlink(struct ld_fs *fs, const char *path, char *buf, size_t cap)
{
	struct dirfs *d = (struct dirfs *)fs;
	const char *name;
	int dfd;
	if (d->w && bh_writer_pending(d->w, path_hash(path)) && barrier(d))
		return -1;
	if (walk(d, path, &dfd, &name, 0))
		return -1;
	ssize_t n = readlinkat(dfd, name, buf, cap);
	if (n < 0)
		return sysfail(d, "cannot read link", path);
	return n;
}

static int d_mkdir(struct ld_fs *fs, const char *path, const struct ld_meta *m)
{
	struct dirfs *d = (struct dirfs *)fs;
	const char *name;
	int dfd;
	if (walk(d, path, &dfd, &name, 1))
		return -1;
	if (mkdirat(dfd, name, 0700))
		return sysfail(d, "cannot create folder", path);
	return apply_meta(d, dfd, name, path, m, 0);
}

static int d_create(struct ld_fs *fs, const char *path, u64 size, void **fh)
{
	struct dirfs *d = (struct dirfs *)fs;
	const char *name;
	int dfd;
	struct dfile *f = calloc(1, sizeof *f);
	if (!f)
		return ld_fail(fs->err, "out of memory");
	f->fd = f->dirfd = -1;
	if (walk(d, path, &dfd, &name, 1))
		goto fail;
	if (d->w && size <= ASYNC_MAX) {
		f->dirfd = dup(dfd);
		f->cap = (size_t)size;
		f->hash = path_hash(path);
		ld_strlcpy(f->name, name, sizeof f->name);
		if (f->dirfd < 0 || !(f->buf = bh_writer_buffer(d->w, f->cap))) {
			sysfail(d, "cannot queue", path);
			goto fail;
		}
	} else {
		f->fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (f->fd < 0) {
			sysfail(d, "cannot create", path);
			goto fail;
		}
	}
	*fh = f;
	return 0;
fail:
	if (f->dirfd >= 0)
		close(f->dirfd);
	free(f);
	return -1;
}

static int d_write(struct ld_fs *fs, void *fh, const u8 *p, size_t n)
{
	struct dfile *f = fh;
	if (f->fd < 0) {
		if (n > f->cap - f->len)
			return ld_fail(fs->err, "'%s' has more data than its size", f->name);
		memcpy(f->buf + f->len, p, n);
		f->len += n;
		return 0;
	}
	while (n) {
		ssize_t w = write(f->fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return ld_fail(fs->err, "write failed: %s", strerror(errno));
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int d_close(struct ld_fs *fs, void *fh, const struct ld_meta *m)
{
	struct dirfs *d = (struct dirfs *)fs;
	struct dfile *f = fh;
	int rc = 0;
	if (f->fd < 0) {
		if (m)
			bh_writer_submit(d->w, f->dirfd, f->name, f->buf, f->len, f->cap ? f->cap : 1,
					 m, d->is_root, f->hash);
		else {
			bh_writer_discard(d->w, f->buf, f->cap ? f->cap : 1);
			close(f->dirfd);
		}
		free(f);
		return 0;
	}
	if (m) {
		struct timespec ts[2] = { { m->mtime, m->mtime_nsec }, { m->mtime, m->mtime_nsec } };
		if ((d->is_root && fchown(f->fd, m->uid, m->gid)) || fchmod(f->fd, m->mode & 07777) ||
		    futimens(f->fd, ts))
			rc = ld_fail(fs->err, "cannot set file metadata: %s", strerror(errno));
	}
	if (close(f->fd) && !rc && m)
		rc = ld_fail(fs->err, "close failed: %s", strerror(errno));
	free(f);
	return rc;
}

static int d_symlink(struct ld_fs *fs, const char *path, const char *target,
		     const struct ld_meta *m)
{
	struct dirfs *d = (struct dirfs *)fs;
	const char *name;
	int dfd;
	if (walk(d, path, &dfd, &name, 1))
		return -1;
	if (symlinkat(target, dfd, name))
		return sysfail(d, "cannot create symlink", path);
	return apply_meta(d, dfd, name, path, m, 1);
}

static int d_hardlink(struct ld_fs *fs, const char *path, const char *target)
{
	struct dirfs *d = (struct dirfs *)fs;
	const char *name, *tslash = strrchr(target, '/');
	const char *tname = tslash ? tslash + 1 : target;
	int dfd, tfd = d->root, rc = 0;
	if (barrier(d))
		return -1;
	if (tslash) {
		char *tdir = strndup(target, (size_t)(tslash - target));
		tfd = tdir ? open_dir(d, tdir) : -1;
		free(tdir);
		if (tfd < 0)
			return sysfail(d, "cannot open the folder of", target);
	}
	if (walk(d, path, &dfd, &name, 1))
		rc = -1;
	else if (linkat(tfd, tname, dfd, name, 0))
		rc = sysfail(d, "cannot create hard link", path);
	if (tfd != d->root)
		close(tfd);
	return rc;
}

static int d_mknod(struct ld_fs *fs, const char *path, int type, u32 major, u32 minor,
		   const struct ld_meta *m)
{
	struct dirfs *d = (struct dirfs *)fs;
	const char *name;
	int dfd;
	mode_t kind = type == LD_CHR ? S_IFCHR : type == LD_BLK ? S_IFBLK : S_IFIFO;
	if (walk(d, path, &dfd, &name, 1))
		return -1;
	if (mknodat(dfd, name, kind | 0600, makedev(major, minor)))
		return ld_fail(fs->err, "cannot create %s '%s': %s%s",
			       type == LD_FIFO ? "FIFO" : "device node", path, strerror(errno),
			       errno == EPERM ? " (device nodes need root)" : "");
	return apply_meta(d, dfd, name, path, m, 0);
}

int ld_rmtree_at(int dfd, const char *name)
{
	struct stat st;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dfd, name, 0);
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *dir = fd < 0 ? NULL : fdopendir(fd);
	if (!dir) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (ld_rmtree_at(fd, de->d_name))
			rc = -1;
	}
	closedir(dir);
	return rc ? rc : unlinkat(dfd, name, AT_REMOVEDIR);
}

static int d_remove(struct ld_fs *fs, const char *path)
{
	struct dirfs *d = (struct dirfs *)fs;
	const char *name;
	int dfd;
	if (barrier(d))
		return -1;
	if (walk(d, path, &dfd, &name, 1))
		return -1;
	if (ld_rmtree_at(dfd, name))
		return sysfail(d, "cannot remove", path);
	return 0;
}

static int d_setmeta(struct ld_fs *fs, const char *path, const struct ld_meta *m)
{
	struct dirfs *d = (struct dirfs *)fs;
	const char *name;
	int dfd;
	if (d->cfd >= 0 && !strcmp(d->cpath, path))
		flush(d);
	if (barrier(d) || walk(d, path, &dfd, &name, 0))
		return -1;
	return apply_meta(d, dfd, name, path, m, 0);
}

static int d_clear_dir(struct ld_fs *fs, const char *path,
		       int (*keep)(void *ctx, const char *name), void *ctx)
{
	struct dirfs *d = (struct dirfs *)fs;
	struct stat st;
	flush(d);
	if (barrier(d))
		return -1;
	int fd = open_dir(d, path);
	DIR *dir = fd < 0 ? NULL : fdopendir(fd);
	if (!dir) {
		if (fd >= 0)
			close(fd);
		return sysfail(d, "cannot open folder", path);
	}
	fstat(fd, &st);
	struct dirent *de;
	int rc = 0;
	while (!rc && (de = readdir(dir))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") || keep(ctx, de->d_name))
			continue;
		if (ld_rmtree_at(fd, de->d_name))
			rc = sysfail(d, "cannot remove a child of", path);
	}
	struct timespec ts[2] = { st.st_atim, st.st_mtim };
	futimens(fd, ts);
	closedir(dir);
	return rc;
}

static int d_finish(struct ld_fs *fs)
{
	flush((struct dirfs *)fs);
	return barrier((struct dirfs *)fs);
}

struct ld_fs *ld_dirfs_new(int root_fd, int threads, struct ld_err *err)
{
	struct dirfs *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	if (threads > 0) {
		d->def = calloc(1, sizeof *d->def);
		d->w = d->def ? bh_writer_new(threads, 64u << 20) : NULL;
		if (!d->w) {
			free(d->def);
			free(d);
			return NULL;
		}
	}
	d->fs = (struct ld_fs){
		.lstat = d_lstat, .readlink = d_readlink, .mkdir = d_mkdir, .create = d_create,
		.write = d_write, .close = d_close, .symlink = d_symlink, .hardlink = d_hardlink,
		.mknod = d_mknod, .remove = d_remove, .setmeta = d_setmeta,
		.clear_dir = d_clear_dir, .finish = d_finish, .err = err,
	};
	d->root = root_fd;
	d->is_root = geteuid() == 0;
	d->cfd = -1;
	return &d->fs;
}

void ld_dirfs_free(struct ld_fs *fs)
{
	struct dirfs *d = (struct dirfs *)fs;
	flush(d);
	barrier(d);
	bh_writer_free(d->w);
	free(d->def);
	free(d);
}
