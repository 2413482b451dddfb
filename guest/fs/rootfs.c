/*
 * The host root file system (guest ring 0): the root image boot module (an
 * OCI-layout or docker-archive tarball) is unpacked into the root ramfs by
 * the image loader (loader/), through the ld_fs back-end below.  Paths come
 * cleaned and resolved from the loader; no symlink is ever followed here.
 */
#include "../../lib/fmt.h"
#include "../../lib/string.h"
/* loader/ld.h has its own fixed-width typedefs (u64 = uint64_t): rename them */
#define u64 ld_u64_t
#define s64 ld_s64_t
#include "../../loader/ld.h"
#include "../../loader/apply.h"
#include "../../loader/gzip.h"
#include "../../loader/stream.h"
#include "../../loader/util.h"
#undef u64
#undef s64
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "dev/dev.h"

static int fail(struct ld_fs *fs, const char *what, const char *path)
{
	u64 a = strlen(what), b = strlen(path);
	if (a + b + 3 < LD_ERR_MAX) {
		memcpy(fs->err->msg, what, a);
		memcpy(fs->err->msg + a, ": ", 2);
		memcpy(fs->err->msg + a + 2, path, b + 1);
	}
	return -1;
}

/* The directory the last walk found its last name in, and its path: tars
 * list a directory's entries together, so most walks start there.  Entries
 * are only added between removals (no symlink is followed, no name is
 * replaced), so a path names the same directory until something is removed:
 * every removal forgets it. */
static struct {
	struct inode *dir; /* referenced, or NULL */
	u64 len;
	char path[4096];
	char absent[NAME_MAX + 1]; /* the last walk's name, not in dir ("": none) */
} last_dir;

static void forget_last_dir(void)
{
	iput(last_dir.dir);
	last_dir.dir = 0;
	last_dir.absent[0] = 0;
}

static struct inode *walk(const char *path, struct inode **parent, char *last)
{
	struct inode *cur = root_inode, *par = 0;
	const char *p = path, *slash = 0;
	for (const char *c = path; *c; c++)
		if (*c == '/')
			slash = c;
	u64 k = slash ? (u64)(slash - path) : 0;
	if (slash && last_dir.dir && k == last_dir.len && !memcmp(path, last_dir.path, k)) {
		cur = last_dir.dir;
		p = slash + 1;
	}
	iget(cur);
	char comp[NAME_MAX + 1];
	if (parent)
		*parent = 0;
	while (*p) {
		u64 n = 0;
		while (p[n] && p[n] != '/')
			n++;
		if (n > NAME_MAX || !S_ISDIR(cur->mode)) {
			iput(cur);
			iput(par);
			return 0;
		}
		memcpy(comp, p, n);
		comp[n] = 0;
		p += n;
		while (*p == '/')
			p++;
		iput(par);
		par = cur;
		cur = dir_lookup(par, comp);
		if (!*p) {
			if (slash && par != last_dir.dir && k < sizeof last_dir.path) {
				iput(last_dir.dir);
				last_dir.dir = par;
				iget(par);
				memcpy(last_dir.path, path, k);
				last_dir.len = k;
			}
			if (!cur && par == last_dir.dir) /* as lstat finds before an add */
				memcpy(last_dir.absent, comp, n + 1);
			if (parent) {
				*parent = par;
				memcpy(last, comp, n + 1);
			} else {
				iput(par);
			}
			return cur;
		}
		if (!cur) {
			iput(par);
			return 0;
		}
	}
	iput(par);
	return cur;
}

static void set_meta(struct inode *i, const struct ld_meta *m)
{
	i->mode = (i->mode & S_IFMT) | (m->mode & 07777);
	i->uid = m->uid;
	i->gid = m->gid;
	i->mtime.sec = m->mtime;
	i->mtime.nsec = m->mtime_nsec;
	i->atime = i->ctime = i->mtime;
}

static int r_lstat(struct ld_fs *fs, const char *path, int *type)
{
	(void)fs;
	struct inode *i = walk(path, 0, 0);
	if (!i) {
		*type = LD_NONE;
		return 0;
	}
	u32 t = i->mode & S_IFMT;
	*type = t == S_IFDIR ? LD_DIR : t == S_IFLNK ? LD_LNK : t == S_IFCHR ? LD_CHR : t == S_IFIFO ? LD_FIFO : LD_REG;
	iput(i);
	return 0;
}

static long r_readlink(struct ld_fs *fs, const char *path, char *buf, size_t cap)
{
	struct inode *i = walk(path, 0, 0);
	if (!i || !S_ISLNK(i->mode)) {
		iput(i);
		return fail(fs, "not a symlink", path);
	}
	u64 n = strlen(i->target);
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, i->target, n);
	buf[n] = 0;
	iput(i);
	return (long)n;
}

/* Adds a new inode at path (replacing nothing: the loader removed it). */
static int add(struct ld_fs *fs, const char *path, struct inode *i)
{
	struct inode *dir, *old = 0;
	char name[NAME_MAX + 1];
	const char *slash = 0;
	for (const char *c = path; *c; c++)
		if (*c == '/')
			slash = c;
	if (slash && last_dir.dir && (u64)(slash - path) == last_dir.len && !memcmp(path, last_dir.path, last_dir.len) &&
	    !strcmp(slash + 1, last_dir.absent)) { /* the name the last walk did not find: nothing added since */
		dir = last_dir.dir;
		iget(dir);
		memcpy(name, last_dir.absent, strlen(last_dir.absent) + 1);
	} else {
		old = walk(path, &dir, name);
	}
	last_dir.absent[0] = 0;
	int r = -1;
	if (!dir || !S_ISDIR(dir->mode))
		fail(fs, "no parent directory for", path);
	else if (old)
		fail(fs, "exists", path);
	else if (dir_add(dir, name, i))
		fail(fs, "cannot add", path);
	else
		r = 0;
	iput(old);
	iput(dir);
	return r;
}

static int r_mkdir(struct ld_fs *fs, const char *path, const struct ld_meta *m)
{
	struct inode *i = inode_new(S_IFDIR), *old = walk(path, 0, 0);
	if (old && S_ISDIR(old->mode)) { /* already there: just the metadata */
		set_meta(old, m);
		iput(old);
		iput(i);
		return 0;
	}
	iput(old);
	if (!i)
		return fail(fs, "out of memory", path);
	set_meta(i, m);
	int r = add(fs, path, i);
	iput(i);
	return r;
}

static int r_create(struct ld_fs *fs, const char *path, ld_u64_t size, void **fh)
{
	(void)size;
	struct inode *i = inode_new(S_IFREG | 0644);
	if (!i)
		return fail(fs, "out of memory", path);
	if (add(fs, path, i)) {
		iput(i);
		return -1;
	}
	*fh = i; /* our reference */
	return 0;
}

/* The layer's bytes stay where they are for the partition's life (a
 * utility's granted, uncompressed layer): a file's data is served from
 * them in place (inode.c's backing), copied only into pages that are
 * mapped or written. */
static int in_place;

static int r_write(struct ld_fs *fs, void *fh, const u8 *p, size_t n)
{
	struct inode *i = fh;
	if (in_place && !i->npages && (i->backed ? i->backing + i->backed == p : !i->size)) {
		if (!i->backed)
			i->backing = p;
		i->size = i->backed += n;
		return 0;
	}
	if (ramfs_write_k(i, p, n, i->size) != (s64)n)
		return fail(fs, "out of memory", "file data");
	return 0;
}

static int r_close(struct ld_fs *fs, void *fh, const struct ld_meta *m)
{
	(void)fs;
	struct inode *i = fh;
	if (m)
		set_meta(i, m);
	iput(i);
	return 0;
}

static int r_symlink(struct ld_fs *fs, const char *path, const char *target, const struct ld_meta *m)
{
	struct inode *i = inode_new(S_IFLNK | 0777);
	u64 n = strlen(target);
	if (!i || !(i->target = kmalloc(n + 1))) {
		iput(i);
		return fail(fs, "out of memory", path);
	}
	memcpy(i->target, target, n + 1);
	i->size = n;
	set_meta(i, m);
	i->mode = S_IFLNK | 0777;
	int r = add(fs, path, i);
	iput(i);
	return r;
}

static int r_hardlink(struct ld_fs *fs, const char *path, const char *target)
{
	struct inode *t = walk(target, 0, 0);
	if (!t || S_ISDIR(t->mode)) {
		iput(t);
		return fail(fs, "bad hard link target", target);
	}
	int r = add(fs, path, t);
	iput(t);
	return r;
}

static int r_mknod(struct ld_fs *fs, const char *path, int type, u32 major, u32 minor, const struct ld_meta *m)
{
	if (type != LD_FIFO)
		return 0; /* device nodes come from devfs */
	(void)major, (void)minor;
	struct inode *i = inode_new(S_IFIFO);
	if (!i)
		return fail(fs, "out of memory", path);
	i->fops = &fifo_fops;
	set_meta(i, m);
	int r = add(fs, path, i);
	iput(i);
	return r;
}

static void remove_tree(struct inode *dir, const char *name)
{
	struct inode *i = dir_lookup(dir, name);
	if (!i)
		return;
	while (S_ISDIR(i->mode) && i->children) {
		char n[NAME_MAX + 1];
		memcpy(n, i->children->name, strlen(i->children->name) + 1);
		remove_tree(i, n);
	}
	iput(i);
	dir_remove(dir, name);
}

static int r_remove(struct ld_fs *fs, const char *path)
{
	forget_last_dir();
	struct inode *dir;
	char name[NAME_MAX + 1];
	struct inode *i = walk(path, &dir, name);
	if (!dir) {
		iput(i);
		return fail(fs, "cannot remove", path);
	}
	if (i)
		remove_tree(dir, name);
	iput(i);
	iput(dir);
	return 0;
}

static int r_setmeta(struct ld_fs *fs, const char *path, const struct ld_meta *m)
{
	struct inode *i = walk(path, 0, 0);
	if (!i)
		return fail(fs, "no such file", path);
	if (!S_ISLNK(i->mode))
		set_meta(i, m);
	iput(i);
	return 0;
}

static int r_clear_dir(struct ld_fs *fs, const char *path, int (*keep)(void *ctx, const char *name), void *ctx)
{
	forget_last_dir();
	struct inode *d = walk(path, 0, 0);
	if (!d || !S_ISDIR(d->mode)) {
		iput(d);
		return fail(fs, "not a directory", path);
	}
	for (struct dirent_k *e = d->children, *n; e; e = n) {
		n = e->next;
		if (!keep(ctx, e->name))
			remove_tree(d, e->name);
	}
	iput(d);
	return 0;
}

static void *k_alloc(void *ctx, size_t n)
{
	(void)ctx;
	return kmalloc(n);
}
static void k_free(void *ctx, void *p)
{
	(void)ctx;
	kfree(p);
}

/* The ramfs back-end; its failures say why in the err of the unpack at
 * hand (rfs.err is set to it: the loader reports that one). */
static struct ld_fs rfs = { .lstat = r_lstat, .readlink = r_readlink, .mkdir = r_mkdir, .create = r_create,
			    .write = r_write, .close = r_close, .symlink = r_symlink, .hardlink = r_hardlink,
			    .mknod = r_mknod, .remove = r_remove, .setmeta = r_setmeta, .clear_dir = r_clear_dir };

int rootfs_unpack_module(const struct bh_module *m)
{
	struct ld_alloc a = { k_alloc, k_free, 0 };
	struct ld_ra ra = { .base = p2v(m->base), .size = m->size };
	struct ld_err err = { { 0 } };
	struct ld_opts o;
	memset(&o, 0, sizeof o);
	ld_limits_default(&o.lim);
	o.lim.max_total = 1ull << 30;
	struct ld_store *st = ld_tarstore_open(&ra, &a, &err);
	if (!st) {
		kprintf("guest: root image %s: %s\n", m->name, err.msg);
		return -1;
	}
	struct ld_config cfg;
	memset(&cfg, 0, sizeof cfg);
	struct ld_stats stats;
	rfs.err = &err;
	int rc = ld_unpack(st, &rfs, &o, &a, &cfg, &stats, &err);
	forget_last_dir();
	ld_tarstore_free(st);
	if (rc) {
		kprintf("guest: root image %s: %s\n", m->name, err.msg);
		return -1;
	}
	ld_config_free(&cfg, &a);
	kprintf("guest: root image %s: %llu entries, %llu KiB unpacked\n", m->name, (unsigned long long)stats.entries,
		(unsigned long long)(stats.bytes_out >> 10));
	return 0;
}

/* A layer in memory as one stream: all of it in the first pull. */
struct mem_src {
	struct ld_src src;
	const u8 *p;
	u64 left;
};

static long mem_pull(struct ld_src *s, const u8 **p)
{
	struct mem_src *m = (struct mem_src *)s;
	long n = m->left > (1ul << 30) ? 1l << 30 : (long)m->left;
	*p = m->p;
	m->p += n;
	m->left -= (u64)n;
	return n;
}

/* The stages of one layer, as loader/unpack.c stacks them. */
struct layer_work {
	struct mem_src mem;
	struct ld_blob blob;
	struct ld_verify verify;
	struct ld_tar t;
	struct ld_tar_entry e;
	struct ld_apply ap;
	struct ld_gunzip gz;
	char bufs[]; /* the tar reader's */
};

static int apply_layer(struct layer_work *w, const struct rootfs_layer *l, struct ld_err *err)
{
	struct ld_src *s = &w->mem.src;
	const u8 *p;
	long n;
	int rc;
	w->mem = (struct mem_src){ { mem_pull, 0, err }, l->data, l->size };
	if (l->sha256) {
		memset(&w->blob, 0, sizeof w->blob);
		memcpy(w->blob.digest, l->sha256, 32);
		w->blob.has_digest = w->blob.has_size = 1;
		w->blob.size = l->size;
		ld_verify_init(&w->verify, s, &w->blob, err);
		s = &w->verify.src;
	}
	if (l->gzip) {
		if (ld_gunzip_init(&w->gz, s, err))
			return -1;
		s = &w->gz.src;
	}
	in_place = !l->gzip;
	ld_tar_init(&w->t, s, w->bufs, w->ap.lim->max_path, err);
	ld_apply_layer(&w->ap);
	while ((rc = ld_tar_next(&w->t, &w->e)) > 0)
		if (ld_apply_entry(&w->ap, &w->e, &w->t))
			return ld_prefix(err, "entry '%s'", w->e.path);
	while (!rc && (n = s->pull(s, &p)) > 0) /* the padding: the digest needs it all */
		;
	return rc || n < 0 ? -1 : 0;
}

int rootfs_apply_layers(const struct rootfs_layer *l, u32 n, char *msg, u64 cap)
{
	struct ld_alloc a = { k_alloc, k_free, 0 };
	static struct ld_limits lim;
	struct ld_err err = { { 0 } };
	ld_limits_default(&lim);
	struct layer_work *w = kmalloc(sizeof *w + 2 * (lim.max_path + 1) + LD_TAR_PAXMAX);
	rfs.err = &err;
	int rc = !w ? ld_fail(&err, "out of memory") : ld_apply_init(&w->ap, &rfs, &lim, &a, &err);
	for (u32 i = 0; !rc && i < n; i++)
		if (apply_layer(w, &l[i], &err))
			rc = ld_prefix(&err, "layer %u", i + 1);
	forget_last_dir();
	in_place = 0;
	if (w && w->ap.clean)
		ld_apply_free(&w->ap, &a);
	kfree(w);
	if (rc)
		bh_snprintf(msg, cap, "%s", err.msg);
	return rc ? -1 : 0;
}

/* A directory of dir, made if missing; referenced, or NULL. */
/* A stream read from an open file (a pipe), a chunk at a time. */
struct file_src {
	struct ld_src src;
	struct file *f;
	u8 buf[65536];
	long held;          /* a first chunk read ahead (to sniff gzip), not yet handed out */
};

static long file_pull(struct ld_src *s, const u8 **p)
{
	struct file_src *fs = (struct file_src *)s;
	long n = fs->held;
	fs->held = 0;
	if (!n)
		n = kernel_read(fs->f, fs->buf, sizeof fs->buf);
	if (n < 0)
		return ld_fail(s->err, "reading the archive: error %ld", -n);
	*p = fs->buf;
	return n;
}

int rootfs_copy_in(struct file *in, const char *dir, int no_overwrite, const u32 *owner, char *msg, u64 cap)
{
	struct ld_alloc a = { k_alloc, k_free, 0 };
	static struct ld_limits lim;
	static struct ld_apply ap;
	struct ld_err err = { { 0 } };
	ld_limits_default(&lim);
	struct work {
		struct file_src in;
		struct ld_gunzip gz;
		struct ld_tar t;
		char bufs[];
	} *w = kmalloc(sizeof *w + 2 * (lim.max_path + 1) + LD_TAR_PAXMAX);
	int st = 500;
	rfs.err = &err;
	if (!w || !in) {
		ld_fail(&err, "out of memory");
		goto out;
	}
	w->in = (struct file_src){ { file_pull, 0, &err }, in, { 0 }, 0 };
	struct ld_src *src = &w->in.src;
	w->in.held = kernel_read(in, w->in.buf, sizeof w->in.buf);
	if (w->in.held >= 2 && w->in.buf[0] == 0x1f && w->in.buf[1] == 0x8b) /* as dockerd, a gzip'd tar too */
		src = ld_gunzip_init(&w->gz, src, &err) ? 0 : &w->gz.src;
	if (!src || ld_apply_init(&ap, &rfs, &lim, &a, &err))
		goto out;
	ld_tar_init(&w->t, src, w->bufs, lim.max_path, &err);
	st = ld_apply_copy(&ap, &w->t, dir, no_overwrite, owner) ? 400 : 200;
	forget_last_dir();
	ld_apply_free(&ap, &a);
out:
	kfree(w);
	if (st != 200)
		bh_snprintf(msg, cap, "%s", err.msg);
	return st;
}

static struct inode *subdir(struct inode *dir, const char *name)
{
	struct inode *d = dir_lookup(dir, name);
	if (!d && (d = inode_new(S_IFDIR | 0755)) && dir_add(dir, name, d)) {
		iput(d);
		d = 0;
	}
	return d;
}

/* Every boot module but the root image as a file of /boot/images, named as
 * on the ESP: the lower of an overlay (fs/overlay.c) whose files are the
 * modules' own pages (page-aligned, the last page's tail zeroed by boot/),
 * so reading, exec and copying them copy nothing (mode 0555: a module may be
 * a program, such as the Docker CLI), and writing one (root may) copies it
 * up first: the modules' memory is never written
 * or freed.  The lower directory is never released. */
void rootfs_boot_images(const struct bh_module *root)
{
	struct inode *low = inode_new(S_IFDIR | 0755), *boot = subdir(root_inode, "boot");
	struct inode *images = boot ? subdir(boot, "images") : 0;
	for (u32 k = 0; low && k < boot_info->nr_modules && k < BH_MAX_MODULES; k++) {
		const struct bh_module *m = &boot_info->modules[k];
		const char *name = m->name; /* a file of the ESP's root: boot/ takes no '/' */
		u64 n = BH_ALIGN_UP(m->size, PAGE) / PAGE;
		struct inode *dup = dir_lookup(low, name); /* a second module of a name stays out */
		iput(dup);
		if (m == root || dup || !*name || !strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		struct inode *i = inode_new(S_IFREG | 0555);
		if (!i || !(i->pages = kmalloc((n ? n : 1) * sizeof *i->pages))) {
			iput(i);
			break;
		}
		for (u64 p = 0; p < n; p++)
			i->pages[p] = (u8 *)p2v(m->base) + p * PAGE;
		i->npages = n;
		i->size = m->size;
		dir_add(low, name, i);
		iput(i);
	}
	if (!images || !low || ovl_attach(images, low))
		kprintf("guest: no /boot/images\n");
	iput(images);
	iput(boot);
}

/* The root ramfs with devfs and procfs ready to mount. */
void fs_init(void)
{
	root_inode = inode_new(S_IFDIR | 0755);
	root_inode->nlink = 2;
	devfs_init();
	procfs_init();
}

static void mount_at(const char *name, struct inode *fs)
{
	struct inode *d = dir_lookup(root_inode, name);
	if (!d) {
		d = inode_new(S_IFDIR | 0755);
		dir_add(root_inode, name, d);
	}
	if (S_ISDIR(d->mode) && !d->mounted) {
		d->mounted = fs;
		fs->parent = root_inode;
		iget(fs);
	}
	iput(d);
}

/* /dev and /proc are there before init runs (it opens /dev/console). */
void fs_mount_std(void)
{
	mount_at("dev", devfs_root);
	mount_at("proc", procfs_root);
	struct inode *tmp = dir_lookup(root_inode, "tmp");
	if (!tmp) {
		tmp = inode_new(S_IFDIR | 01777);
		dir_add(root_inode, "tmp", tmp);
	}
	iput(tmp);
}
