/*
 * Inodes and ramfs (guest ring 0): every file lives in memory.  Directories
 * are lists of named entries, regular files arrays of data pages (holes read
 * as zeros), symlinks a target string.  An inode is freed when it has no
 * names (nlink) and no references (open files, mappings, cwds).
 */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "dev/dev.h"

struct inode *root_inode;
static struct fs_type {
	const char *name;
	struct inode *root; /* NULL: a new ramfs directory per mount */
	struct inode *(*mount)(void); /* or the instance for the caller, referenced */
} fs_types[8] = { { "tmpfs", 0, 0 }, { "ramfs", 0, 0 } };
u64 fs_pages;
static u64 next_ino = 1;

void time_now(struct timespec_k *t)
{
	u64 ns = now_ns();
	t->sec = (s64)(boot_epoch + ns / 1000000000ull);
	t->nsec = (s64)(ns % 1000000000ull);
}

void inode_touch(struct inode *i, int m, int c)
{
	struct timespec_k t;
	time_now(&t);
	if (m)
		i->mtime = t;
	if (c)
		i->ctime = t;
}

struct inode *inode_new(u32 mode)
{
	struct inode *i = kzalloc(sizeof *i);
	if (!i)
		return 0;
	i->mode = mode;
	i->ino = next_ino++;
	i->refs = 1;
	time_now(&i->mtime);
	i->atime = i->ctime = i->mtime;
	return i;
}

static int fs_add(struct fs_type t)
{
	for (u32 k = 0; k < BH_ARRAY_SIZE(fs_types); k++)
		if (!fs_types[k].name) {
			fs_types[k] = t;
			return 0;
		}
	return -ENOSPC;
}

int fs_register(const char *name, struct inode *root) { return fs_add((struct fs_type){ name, root, 0 }); }

int fs_register_mount(const char *name, struct inode *(*mount)(void))
{
	return fs_add((struct fs_type){ name, 0, mount });
}

struct inode *fs_instance(const char *name)
{
	for (u32 k = 0; k < BH_ARRAY_SIZE(fs_types) && fs_types[k].name; k++)
		if (!strcmp(fs_types[k].name, name)) {
			struct inode *r = fs_types[k].root;
			if (fs_types[k].mount)
				return fs_types[k].mount();
			if (!r)
				return inode_new(S_IFDIR | 01777);
			if (r->parent && r->dops) { /* mounted already (proc): a root of its own for this mount */
				struct inode *n = inode_new(r->mode);
				if (n)
					n->dops = r->dops, n->nlink = r->nlink;
				return n;
			}
			iget(r);
			return r;
		}
	return 0;
}

void iget(struct inode *i)
{
	if (i)
		i->refs++;
}

static void inode_free(struct inode *i)
{
	iput(i->lower);
	i->lower = 0;
	iput(i->mounted); /* a mount point gone: what was mounted there goes with it */
	ramfs_truncate(i, 0);
	kfree(i->pages);
	kfree(i->target);
	for (struct dirent_k *d = i->children, *n; d; d = n) {
		n = d->next;
		if (d->ino != &ovl_whiteout) {
			d->ino->parent = 0;
			d->ino->nlink = 0;
			iput(d->ino);
		}
		kfree(d);
	}
	kfree(i->index);
	kfree(i);
}

/* ---- directories: a list in the order entries came (getdents, listings)
 * and, from DIR_INDEX_FROM entries on, an index by name: applying a layer
 * adds hundreds of names to /bin, each looked up first.  The index is only
 * ever a shortcut: without memory for it, the list is searched. */
#define DIR_INDEX_FROM 16

static u32 name_hash(const char *s) /* FNV-1a */
{
	u32 h = 2166136261u;
	while (*s)
		h = (h ^ (u8)*s++) * 16777619u;
	return h;
}

static struct dirent_k **bucket(struct inode *dir, const char *name)
{
	return &dir->index[name_hash(name) & (dir->index_size - 1)];
}

/* Buckets for twice the entries; without memory the old index stays (or none). */
static void index_grow(struct inode *dir)
{
	u32 size = dir->index_size ? dir->index_size * 2 : 2 * DIR_INDEX_FROM;
	struct dirent_k **n = kzalloc(size * sizeof *n);
	if (!n)
		return;
	kfree(dir->index);
	dir->index = n, dir->index_size = size;
	for (struct dirent_k *d = dir->children; d; d = d->next) {
		struct dirent_k **b = bucket(dir, d->name);
		d->hnext = *b, *b = d;
	}
}

struct dirent_k *dir_entry(struct inode *dir, const char *name)
{
	struct dirent_k *d = dir->index ? *bucket(dir, name) : dir->children;
	for (; d; d = dir->index ? d->hnext : d->next)
		if (!strcmp(d->name, name))
			return d;
	return 0;
}

/* Takes entry d out of dir's list and index and frees it. */
static void entry_free(struct inode *dir, struct dirent_k *d)
{
	struct dirent_k **pp = &dir->children, *prev = 0;
	while (*pp != d)
		prev = *pp, pp = &(*pp)->next;
	*pp = d->next;
	if (dir->last == d)
		dir->last = prev;
	if (dir->index) {
		for (pp = bucket(dir, d->name); *pp != d; pp = &(*pp)->hnext)
			;
		*pp = d->hnext;
	}
	dir->nchildren--;
	kfree(d);
}

void iput(struct inode *i)
{
	if (i && --i->refs <= 0 && i->nlink == 0)
		inode_free(i);
}

struct inode *dir_lookup(struct inode *dir, const char *name)
{
	if (dir->dops)
		return dir->dops->lookup(dir, name);
	struct inode *r = 0;
	if (!strcmp(name, "."))
		r = dir;
	else if (!strcmp(name, ".."))
		r = dir->parent ? dir->parent : dir;
	else {
		struct dirent_k *d = dir_entry(dir, name);
		if (d) {
			r = d->ino == &ovl_whiteout ? 0 : d->ino;
			iget(r);
			return r;
		}
		return ovl_lookup(dir, name); /* an overlay's lower entry, or NULL */
	}
	iget(r);
	return r;
}

int dir_add(struct inode *dir, const char *name, struct inode *i)
{
	u64 n = strlen(name);
	if (dir->dops)
		return -EPERM;
	if (!n || n > NAME_MAX)
		return n ? -ENAMETOOLONG : -ENOENT;
	struct dirent_k *d = dir_entry(dir, name);
	if (d && d->ino == &ovl_whiteout) /* the name comes back */
		entry_free(dir, d);
	d = kmalloc(sizeof *d + n + 1);
	if (!d)
		return -ENOMEM;
	memcpy(d->name, name, n + 1);
	d->ino = i;
	if (dir->next_off < 2)
		dir->next_off = 2; /* after "." and ".." */
	d->off = dir->next_off++;
	iget(i);
	i->nlink++;
	i->parent = dir; /* a file's latest name, for /proc/<pid>/fd */
	if (S_ISDIR(i->mode)) {
		i->nlink++; /* "." */
		dir->nlink++;
	}
	d->next = 0; /* insertion order kept */
	*(dir->last ? &dir->last->next : &dir->children) = d;
	dir->last = d;
	if (dir->index) {
		struct dirent_k **b = bucket(dir, name);
		d->hnext = *b, *b = d;
	}
	if (++dir->nchildren >= DIR_INDEX_FROM && dir->nchildren > dir->index_size)
		index_grow(dir); /* all entries again, d with them */
	inode_touch(dir, 1, 1);
	return 0;
}

int dir_remove(struct inode *dir, const char *name)
{
	struct dirent_k *d = dir_entry(dir, name);
	if (d && d->ino != &ovl_whiteout) {
		struct inode *i = d->ino;
		if (ovl_in_lower(dir, name)) /* the entry stays, a whiteout hiding the lower's */
			d->ino = &ovl_whiteout;
		else
			entry_free(dir, d);
		i->nlink--;
		if (i->parent == dir)
			i->parent = 0;
		if (S_ISDIR(i->mode)) {
			i->nlink--;
			dir->nlink--;
		}
		inode_touch(i, 0, 1);
		inode_touch(dir, 1, 1);
		iput(i);
		return 0;
	}
	return -ENOENT;
}

/* No entries but whiteouts (and, for a merged directory, none in its lower). */
int dir_empty(struct inode *dir)
{
	if (ovl_fill(dir))
		return 0;
	for (struct dirent_k *d = dir->children; d; d = d->next)
		if (d->ino != &ovl_whiteout)
			return 0;
	return 1;
}

static u8 *page_make(struct inode *i, u64 index, int whole);

u8 *ramfs_page(struct inode *i, u64 index)
{
	if (i->lower && S_ISREG(i->mode)) /* not copied up: the lower's data */
		return ramfs_page(i->lower, index);
	if (index * PAGE < i->backed)
		return page_make(i, index, 0);
	return index < i->npages ? i->pages[index] : 0;
}

/* Where to read the byte at pos (below i->size): in a page, in the
 * backing, or NULL for a hole; the rest of its page follows it. */
static const u8 *read_at(struct inode *i, u64 pos)
{
	if (i->lower && S_ISREG(i->mode))
		return read_at(i->lower, pos);
	if (pos / PAGE < i->npages && i->pages[pos / PAGE])
		return i->pages[pos / PAGE] + pos % PAGE;
	return pos < i->backed ? i->backing + pos : 0;
}

static int grow_index(struct inode *i, u64 npages)
{
	if (npages <= i->npages)
		return 0;
	u64 cap = 16;
	while (cap < npages)
		cap *= 2;
	u8 **p = kzalloc(cap * sizeof *p);
	if (!p)
		return -ENOMEM;
	if (i->pages)
		memcpy(p, i->pages, i->npages * sizeof *p);
	kfree(i->pages);
	i->pages = p;
	i->npages = cap;
	return 0;
}

/* The data page at index, allocated if missing: zeroed, unless the caller
 * writes it whole at once. */
static u8 *page_make(struct inode *i, u64 index, int whole)
{
	if (ovl_copy_up(i) || grow_index(i, index + 1))
		return 0;
	if (!i->pages[index]) {
		u64 at = index * PAGE, k = at < i->backed ? i->backed - at : 0;
		u8 *pg = whole || k >= PAGE ? page_alloc_run(1) : page_alloc();
		if (pg && k && !whole)
			memcpy(pg, i->backing + at, k < PAGE ? k : PAGE);
		if (pg)
			fs_pages++;
		i->pages[index] = pg;
	}
	return i->pages[index];
}

u8 *ramfs_page_make(struct inode *i, u64 index) { return page_make(i, index, 0); }

s64 ramfs_read(struct inode *i, void *kbuf, u64 n, u64 pos)
{
	if (pos >= i->size)
		return 0;
	if (n > i->size - pos)
		n = i->size - pos;
	u8 *out = kbuf;
	for (u64 done = 0; done < n;) {
		u64 off = (pos + done) % PAGE, k = PAGE - off < n - done ? PAGE - off : n - done;
		const u8 *src = read_at(i, pos + done);
		if (src)
			memcpy(out + done, src, k);
		else
			memset(out + done, 0, k);
		done += k;
	}
	return (s64)n;
}

s64 ramfs_write_k(struct inode *i, const void *kbuf, u64 n, u64 pos)
{
	const u8 *in = kbuf;
	for (u64 done = 0; done < n;) {
		u64 off = (pos + done) % PAGE, k = PAGE - off < n - done ? PAGE - off : n - done;
		u8 *pg = page_make(i, (pos + done) / PAGE, k == PAGE);
		if (!pg)
			return done ? (s64)done : -ENOSPC;
		memcpy(pg + off, in + done, k);
		done += k;
		if (pos + done > i->size)
			i->size = pos + done;
	}
	return (s64)n;
}

int ramfs_truncate(struct inode *i, u64 size)
{
	if (ovl_copy_up(i))
		return -ENOMEM;
	for (u64 pg = 0; pg * PAGE < (size < i->backed ? size : i->backed); pg++)
		if (!page_make(i, pg, 0)) /* what stays, in pages: the backing goes */
			return -ENOMEM;
	i->backing = 0;
	i->backed = 0;
	if (size > i->size) {
		i->size = size; /* a hole */
		return 0;
	}
	if (BH_ALIGN_UP(size, PAGE) / PAGE < i->npages) /* pages go: shared mappings let go of them first */
		mm_file_shrunk(i, BH_ALIGN_UP(size, PAGE));
	for (u64 pg = BH_ALIGN_UP(size, PAGE) / PAGE; pg < i->npages; pg++)
		if (i->pages[pg]) {
			page_free(i->pages[pg]);
			i->pages[pg] = 0;
			fs_pages--;
		}
	if (size % PAGE && size / PAGE < i->npages && i->pages[size / PAGE])
		memset(i->pages[size / PAGE] + size % PAGE, 0, PAGE - size % PAGE);
	i->size = size;
	return 0;
}

static s64 ramfs_fread(struct file *f, u64 ubuf, u64 n)
{
	struct inode *i = f->ino;
	if (f->pos >= i->size)
		return 0;
	if (n > i->size - f->pos)
		n = i->size - f->pos;
	for (u64 done = 0; done < n;) {
		u64 pos = f->pos + done, off = pos % PAGE, k = PAGE - off < n - done ? PAGE - off : n - done;
		const u8 *src = read_at(i, pos);
		if (src ? copy_to_user(ubuf + done, src, k) : clear_user(ubuf + done, k)) {
			if (!done)
				return -EFAULT;
			n = done;
			break;
		}
		done += k;
	}
	f->pos += n;
	return (s64)n;
}

static s64 ramfs_fwrite(struct file *f, u64 ubuf, u64 n)
{
	struct inode *i = f->ino;
	if (f->flags & O_APPEND)
		f->pos = i->size;
	u64 done = 0;
	while (done < n) {
		u64 pos = f->pos + done, off = pos % PAGE, k = PAGE - off < n - done ? PAGE - off : n - done;
		u8 *pg = ramfs_page_make(i, pos / PAGE);
		if (!pg) {
			if (!done)
				return -ENOSPC;
			break;
		}
		if (copy_from_user(pg + off, ubuf + done, k)) {
			if (!done)
				return -EFAULT;
			break;
		}
		done += k;
		if (pos + k > i->size)
			i->size = pos + k;
	}
	f->pos += done;
	inode_touch(i, 1, 1);
	return (s64)done;
}

static int ramfs_fpoll(struct file *f)
{
	(void)f;
	return POLLIN | POLLOUT;
}

static s64 dir_fread(struct file *f, u64 ubuf, u64 n)
{
	(void)f, (void)ubuf, (void)n;
	return -EISDIR;
}

const struct file_ops ramfs_fops = { .read = ramfs_fread, .write = ramfs_fwrite, .poll = ramfs_fpoll, .seekable = 1 };
const struct file_ops dir_fops = { .read = dir_fread, .write = dir_fread, .poll = ramfs_fpoll, .seekable = 1 };
