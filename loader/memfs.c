/* In-memory filesystem back-end (see memfs.h).  Directories hold a linked
 * list of entries; hard links share one inode.  Freestanding. */
#include "memfs.h"
#include "util.h"

struct inode {
	int type;
	u32 refs, major, minor;
	struct ld_meta m;
	u8 *data;
	u64 size, cap;
	char *link;
	struct dent *children;
};

struct dent {
	struct dent *next;
	struct inode *ino;
	char name[];
};

struct memfs {
	struct ld_fs fs;
	struct ld_alloc *a;
	u64 used, cap;
	struct inode root;
};

struct mfh {
	struct inode *ino;
};

static void *mem_get(struct memfs *m, size_t n)
{
	if (m->used + n > m->cap) {
		ld_fail(m->fs.err, "memory filesystem is full (%llu bytes)", (unsigned long long)m->cap);
		return 0;
	}
	void *p = ld_new(m->a, n);
	if (!p)
		ld_fail(m->fs.err, "out of memory");
	else
		m->used += n;
	return p;
}

static void mem_put(struct memfs *m, void *p, size_t n)
{
	if (p) {
		m->used -= n;
		ld_del(m->a, p);
	}
}

static struct dent *find(struct inode *dir, const char *name, size_t len, struct dent ***link)
{
	struct dent **pp = &dir->children;
	for (; *pp; pp = &(*pp)->next)
		if (!ld_strncmp((*pp)->name, name, len) && !(*pp)->name[len]) {
			if (link)
				*link = pp;
			return *pp;
		}
	if (link)
		*link = pp;
	return 0;
}

/* Parent inode of path and its last name; refuses symlinks on the way. */
static struct inode *parent(struct memfs *m, const char *path, const char **name)
{
	struct inode *cur = &m->root;
	for (;;) {
		const char *s = path;
		while (*s && *s != '/')
			s++;
		if (!*s) {
			*name = path;
			return cur;
		}
		struct dent *d = find(cur, path, (size_t)(s - path), 0);
		if (!d || d->ino->type != LD_DIR) {
			ld_fail(m->fs.err, "memfs: a parent of '%s' is not a folder", path);
			return 0;
		}
		cur = d->ino;
		path = s + 1;
	}
}

static struct dent *lookup(struct memfs *m, const char *path, struct inode **dir)
{
	const char *name;
	struct inode *p = parent(m, path, &name);
	if (dir)
		*dir = p;
	return p ? find(p, name, ld_strlen(name), 0) : 0;
}

static void drop(struct memfs *m, struct inode *ino)
{
	if (--ino->refs)
		return;
	while (ino->children) {
		struct dent *d = ino->children;
		ino->children = d->next;
		drop(m, d->ino);
		mem_put(m, d, sizeof *d + ld_strlen(d->name) + 1);
	}
	mem_put(m, ino->data, (size_t)ino->cap);
	if (ino->link)
		mem_put(m, ino->link, ld_strlen(ino->link) + 1);
	if (ino != &m->root)
		mem_put(m, ino, sizeof *ino);
}

/* The list link where path's entry is or would go: 1 found, 0 not, -1 error. */
static int slot(struct memfs *m, const char *path, const char **name, struct dent ***pp)
{
	struct inode *dir = parent(m, path, name);
	if (!dir)
		return -1;
	return find(dir, *name, ld_strlen(*name), pp) ? 1 : 0;
}

static int add(struct memfs *m, const char *path, struct inode *ino)
{
	const char *name;
	struct dent **pp;
	int r = slot(m, path, &name, &pp);
	if (r)
		return r < 0 ? -1 : ld_fail(m->fs.err, "memfs: '%s' already exists", path);
	struct dent *d = mem_get(m, sizeof *d + ld_strlen(name) + 1);
	if (!d)
		return -1;
	ld_memcpy(d->name, name, ld_strlen(name) + 1);
	d->ino = ino;
	ino->refs++;
	*pp = d;
	return 0;
}

static struct inode *new_inode(struct memfs *m, int type, const struct ld_meta *meta)
{
	struct inode *ino = mem_get(m, sizeof *ino);
	if (ino) {
		ino->type = type;
		if (meta)
			ino->m = *meta;
	}
	return ino;
}

static int m_lstat(struct ld_fs *fs, const char *path, int *type)
{
	struct memfs *m = (struct memfs *)fs;
	struct inode *dir;
	struct dent *d = *path ? lookup(m, path, &dir) : 0;
	if (*path && !dir)
		return -1;
	*type = !*path ? LD_DIR : d ? d->ino->type : LD_NONE;
	return 0;
}

static long m_readlink(struct ld_fs *fs, const char *path, char *buf, size_t cap)
{
	struct memfs *m = (struct memfs *)fs;
	struct dent *d = lookup(m, path, 0);
	if (!d || d->ino->type != LD_LNK)
		return ld_fail(fs->err, "memfs: '%s' is not a symlink", path);
	size_t n = ld_strlen(d->ino->link);
	if (n > cap)
		n = cap;
	ld_memcpy(buf, d->ino->link, n);
	return (long)n;
}

static int add_new(struct memfs *m, const char *path, int type, const struct ld_meta *meta,
		   struct inode **out)
{
	struct inode *ino = new_inode(m, type, meta);
	if (!ino || add(m, path, ino)) {
		if (ino)
			mem_put(m, ino, sizeof *ino);
		return -1;
	}
	if (out)
		*out = ino;
	return 0;
}

static int m_mkdir(struct ld_fs *fs, const char *path, const struct ld_meta *meta)
{
	return add_new((struct memfs *)fs, path, LD_DIR, meta, 0);
}

static int m_create(struct ld_fs *fs, const char *path, u64 size, void **fh)
{
	(void)size;
	struct inode *ino;
	if (add_new((struct memfs *)fs, path, LD_REG, 0, &ino))
		return -1;
	*fh = ino;
	return 0;
}

static int m_write(struct ld_fs *fs, void *fh, const u8 *p, size_t n)
{
	struct memfs *m = (struct memfs *)fs;
	struct inode *ino = fh;
	if (ino->size + n > ino->cap) {
		u64 cap = ino->cap ? ino->cap : 64;
		while (cap < ino->size + n)
			cap *= 2;
		u8 *d = mem_get(m, (size_t)cap);
		if (!d)
			return -1;
		ld_memcpy(d, ino->data, (size_t)ino->size);
		mem_put(m, ino->data, (size_t)ino->cap);
		ino->data = d;
		ino->cap = cap;
	}
	ld_memcpy(ino->data + ino->size, p, n);
	ino->size += n;
	return 0;
}

static int m_close(struct ld_fs *fs, void *fh, const struct ld_meta *meta)
{
	(void)fs;
	if (meta)
		((struct inode *)fh)->m = *meta;
	return 0;
}

static int m_symlink(struct ld_fs *fs, const char *path, const char *target,
		     const struct ld_meta *meta)
{
	struct memfs *m = (struct memfs *)fs;
	struct inode *ino;
	size_t n = ld_strlen(target) + 1;
	char *t = mem_get(m, n);
	if (!t)
		return -1;
	ld_memcpy(t, target, n);
	if (add_new(m, path, LD_LNK, meta, &ino)) {
		mem_put(m, t, n);
		return -1;
	}
	ino->link = t;
	ino->size = n - 1;
	return 0;
}

static int m_hardlink(struct ld_fs *fs, const char *path, const char *target)
{
	struct memfs *m = (struct memfs *)fs;
	struct dent *t = lookup(m, target, 0);
	if (!t || t->ino->type == LD_DIR)
		return ld_fail(fs->err, "memfs: cannot link to '%s'", target);
	return add(m, path, t->ino);
}

static int m_mknod(struct ld_fs *fs, const char *path, int type, u32 major, u32 minor,
		   const struct ld_meta *meta)
{
	struct inode *ino;
	if (add_new((struct memfs *)fs, path, type, meta, &ino))
		return -1;
	ino->major = major;
	ino->minor = minor;
	return 0;
}

static void unlink_dent(struct memfs *m, struct dent **pp)
{
	struct dent *d = *pp;
	*pp = d->next;
	drop(m, d->ino);
	mem_put(m, d, sizeof *d + ld_strlen(d->name) + 1);
}

static int m_remove(struct ld_fs *fs, const char *path)
{
	struct memfs *m = (struct memfs *)fs;
	const char *name;
	struct dent **pp;
	int r = slot(m, path, &name, &pp);
	if (r > 0)
		unlink_dent(m, pp);
	return r < 0 ? -1 : 0;
}

static int m_setmeta(struct ld_fs *fs, const char *path, const struct ld_meta *meta)
{
	struct dent *d = lookup((struct memfs *)fs, path, 0);
	if (!d)
		return ld_fail(fs->err, "memfs: '%s' does not exist", path);
	d->ino->m = *meta;
	return 0;
}

static int m_clear_dir(struct ld_fs *fs, const char *path,
		       int (*keep)(void *ctx, const char *name), void *ctx)
{
	struct memfs *m = (struct memfs *)fs;
	struct inode *dir = &m->root;
	if (*path) {
		struct dent *d = lookup(m, path, 0);
		if (!d || d->ino->type != LD_DIR)
			return ld_fail(fs->err, "memfs: '%s' is not a folder", path);
		dir = d->ino;
	}
	for (struct dent **pp = &dir->children; *pp;)
		if (keep(ctx, (*pp)->name))
			pp = &(*pp)->next;
		else
			unlink_dent(m, pp);
	return 0;
}

struct ld_fs *ld_memfs_new(struct ld_alloc *a, u64 cap, struct ld_err *err)
{
	struct memfs *m = ld_new(a, sizeof *m);
	if (!m)
		return 0;
	m->fs = (struct ld_fs){
		.lstat = m_lstat, .readlink = m_readlink, .mkdir = m_mkdir, .create = m_create,
		.write = m_write, .close = m_close, .symlink = m_symlink, .hardlink = m_hardlink,
		.mknod = m_mknod, .remove = m_remove, .setmeta = m_setmeta,
		.clear_dir = m_clear_dir, .finish = 0, .err = err,
	};
	m->a = a;
	m->cap = cap;
	m->root.type = LD_DIR;
	m->root.refs = 1;
	m->root.m.mode = 0755;
	return &m->fs;
}

void ld_memfs_free(struct ld_fs *fs)
{
	struct memfs *m = (struct memfs *)fs;
	if (!m)
		return;
	drop(m, &m->root);
	ld_del(m->a, m);
}

int ld_memfs_info(struct ld_fs *fs, const char *path, struct ld_memfs_info *out)
{
	struct memfs *m = (struct memfs *)fs;
	struct inode *ino = &m->root;
	if (*path) {
		struct dent *d = lookup(m, path, 0);
		if (!d)
			return -1;
		ino = d->ino;
	}
	out->type = ino->type;
	out->size = ino->size;
	out->data = ino->data;
	out->link = ino->link;
	out->nlink = ino->refs;
	out->major = ino->major;
	out->minor = ino->minor;
	out->m = ino->m;
	return 0;
}

static u64 count(const struct inode *ino)
{
	u64 n = 1;
	for (const struct dent *d = ino->children; d; d = d->next)
		n += d->ino->type == LD_DIR ? count(d->ino) : 1;
	return n;
}

u64 ld_memfs_count(struct ld_fs *fs)
{
	return count(&((struct memfs *)fs)->root);
}
