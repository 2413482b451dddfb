/*
 * Overlay roots (guest ring 0), overlayfs's model for a container's root: a
 * read-only lower directory (an image's unpacked tree, shared by every
 * container of that image) under a private writable upper directory.
 * ovl_attach makes the upper the merged tree's root: a lookup in a merged
 * directory that misses its own entries finds the lower's entry of that name
 * and adds a shadow of it, an inode of the upper with the lower's type,
 * metadata and inode number and no data: a directory merges the lower's
 * directory below its own entries, a file reads the lower's pages until
 * ovl_copy_up gives it its own (on the first open for writing, truncate, or
 * a page made for writing), a symlink gets a copy of its target.  So chmod,
 * chown, utimes, rename and link change only the upper; no lower inode is
 * ever written or linked.  Removing a name the lower has leaves a whiteout
 * entry (ovl_whiteout), which lookups and listings skip; a directory made
 * where a whiteout was has no lower: opaque.  A listing first adds every
 * lower entry (ovl_fill), so it is a plain ramfs listing.  The lower must
 * not change while overlays use it.
 */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "fs/vfs.h"

struct inode ovl_whiteout = { .mode = S_IFCHR, .refs = 1, .nlink = 1 }; /* overlayfs's 0:0 device */

int ovl_attach(struct inode *upper, struct inode *lower)
{
	if (!S_ISDIR(upper->mode) || !S_ISDIR(lower->mode) || upper->dops || lower->dops ||
	    inode_within(upper, lower) || inode_within(lower, upper))
		return -EINVAL;
	if (upper->lower)
		return upper->lower == lower ? 0 : -EINVAL; /* a container started again keeps its upper */
	if (upper->children)
		return -ENOTEMPTY;
	iget(lower);
	upper->lower = lower;
	upper->lower_all = 0;
	return 0;
}

/* A new inode showing lower inode l (referenced), or NULL. */
static struct inode *shadow(struct inode *l)
{
	struct inode *s = inode_new(l->mode);
	if (!s)
		return 0;
	s->ino = l->ino; /* st_ino stays what it was, before and after copy-up */
	s->uid = l->uid, s->gid = l->gid, s->rdev = l->rdev, s->size = l->size;
	s->atime = l->atime, s->mtime = l->mtime, s->ctime = l->ctime;
	if (S_ISDIR(l->mode) || S_ISREG(l->mode)) {
		iget(l);
		s->lower = l;
	} else if (S_ISLNK(l->mode)) {
		u64 n = strlen(l->target);
		if (!(s->target = kmalloc(n + 1))) {
			iput(s);
			return 0;
		}
		memcpy(s->target, l->target, n + 1);
	} else if (S_ISFIFO(l->mode)) {
		s->fops = &fifo_fops;
	}
	return s;
}

/* Adds to dir a shadow of its lower's entry l named name; referenced. */
static struct inode *add_shadow(struct inode *dir, const char *name, struct inode *l)
{
	struct inode *s = shadow(l);
	struct timespec_k m = dir->mtime, c = dir->ctime;
	if (!s)
		return 0;
	if (dir_add(dir, name, s)) {
		iput(s);
		return 0;
	}
	dir->mtime = m, dir->ctime = c; /* not a change: the entry was there */
	if (S_ISDIR(s->mode)) { /* link counts are the lower's, not what lookups have added */
		dir->nlink--;
		s->nlink = l->nlink;
	}
	return s;
}

struct inode *ovl_lookup(struct inode *dir, const char *name)
{
	if (!dir->lower || dir->lower_all || !strcmp(name, ".") || !strcmp(name, ".."))
		return 0;
	struct inode *l = dir_lookup(dir->lower, name), *s = l ? add_shadow(dir, name, l) : 0;
	iput(l);
	return s;
}

int ovl_fill(struct inode *dir)
{
	if (!dir->lower || dir->lower_all)
		return 0;
	for (struct dirent_k *e = dir->lower->children; e; e = e->next) {
		if (dir_entry(dir, e->name))
			continue;
		struct inode *s = add_shadow(dir, e->name, e->ino);
		if (!s)
			return -ENOMEM;
		iput(s);
	}
	dir->lower_all = 1;
	return 0;
}

int ovl_in_lower(struct inode *dir, const char *name)
{
	struct inode *l = dir->lower ? dir_lookup(dir->lower, name) : 0;
	iput(l);
	return l != 0;
}

int ovl_copy_up(struct inode *i)
{
	struct inode *lo = i->lower;
	if (!lo || !S_ISREG(i->mode))
		return 0;
	i->lower = 0;
	for (u64 k = 0; k < lo->npages || k * PAGE < lo->backed; k++) {
		u8 *src = ramfs_page(lo, k), *dst = src ? ramfs_page_make(i, k) : 0;
		if (src && !dst) { /* as it was: the lower's data */
			u64 size = i->size;
			ramfs_truncate(i, 0);
			i->size = size;
			i->lower = lo;
			return -ENOMEM;
		}
		if (src)
			memcpy(dst, src, PAGE);
	}
	iput(lo);
	return 0;
}
