/*
 * Path lookup for the calling task (guest ring 0): its root, and its cwd or
 * a directory descriptor to start from, handed to path_walk (walk.c); user
 * paths, access checks, and the path of an inode from the task's root (of
 * one outside it, from its sandbox's root or, for one outside that, from
 * the real root: as Linux names files outside a task's root or mount
 * namespace in /proc/<pid>/fd).
 * A sandboxed task starts no lookup at a directory outside its root (one
 * it was handed by descriptor from outside, or its cwd after a chroot below
 * it): EACCES.
 */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"

int user_path(u64 upath, char *kpath)
{
	int n = user_strncpy(kpath, upath, PATH_MAX);
	if (n < 0)
		return n;
	return n ? 0 : -ENOENT;
}

int dir_reachable(const struct inode *i)
{
	return current->sb == &sandbox_root || inode_within(i, current->root);
}

static int start_dir(int dirfd, const char *path, struct inode **out)
{
	if (path[0] == '/' || dirfd == AT_FDCWD) {
		*out = current->cwd;
	} else {
		struct file *f = fd_get(dirfd);
		if (!f)
			return -EBADF;
		if (!S_ISDIR(f->ino->mode))
			return -ENOTDIR;
		*out = f->ino;
	}
	return path[0] == '/' || dir_reachable(*out) ? 0 : -EACCES;
}

int path_lookup(int dirfd, const char *path, int flags, struct inode **out, struct last *lastc)
{
	struct inode *start;
	if (!path[0])
		return -ENOENT;
	int r = start_dir(dirfd, path, &start);
	return r ? r : path_walk(current->root, start, path, flags, out, lastc);
}

/* Name of child c in directory d. */
static const char *name_in(struct inode *d, struct inode *c)
{
	for (struct dirent_k *e = d->children; e; e = e->next)
		if (e->ino == c)
			return e->name;
	for (struct dirent_k *e = d->children; e; e = e->next) /* a mount point */
		if (e->ino->mounted == c)
			return e->name;
	return "?";
}

int inode_path(struct inode *i, char *buf, u64 size)
{
	char *tmp = kmalloc(PATH_MAX);
	if (!tmp)
		return -ENOMEM;
	u64 pos = PATH_MAX - 1;
	tmp[pos] = 0;
	while (i != current->root && i != current->sb->root && i->parent) { /* nothing above its sandbox */
		const char *n = name_in(i->parent, i);
		u64 l = strlen(n);
		if (pos < l + 1) {
			kfree(tmp);
			return -ENAMETOOLONG;
		}
		pos -= l;
		memcpy(tmp + pos, n, l);
		tmp[--pos] = '/';
		i = i->parent;
	}
	if (pos == PATH_MAX - 1)
		tmp[--pos] = '/';
	u64 len = PATH_MAX - 1 - pos;
	if (len + 1 > size) {
		kfree(tmp);
		return -ERANGE;
	}
	memcpy(buf, tmp + pos, len + 1);
	kfree(tmp);
	return (int)len + 1;
}

int may_access(struct inode *i, int mask)
{
	(void)i, (void)mask;
	return 0; /* everyone is root */
}
