/*
 * Path resolution (guest ring 0; also built into a host unit test): a pure
 * function of a root, a start directory and a path.  It walks components,
 * crosses mount points, follows symlinks (at most 40) and never leaves root:
 * ".." at root stays there and a symlink to an absolute path starts again
 * at root.  It can stop at the parent of the last component for create,
 * remove and rename.  inode_within says whether a start directory is inside
 * a root at all (a descriptor from outside a sandbox is not).
 */
#include "../../lib/string.h"
#include "fs/vfs.h"
#include "mm/mm.h"

static struct inode *cross_mounts(struct inode *i)
{
	while (i->mounted) {
		struct inode *m = i->mounted;
		iget(m);
		iput(i);
		i = m;
	}
	return i;
}

int inode_within(const struct inode *i, const struct inode *dir)
{
	for (; i; i = i->parent)
		if (i == dir)
			return 1;
	return 0;
}

int path_walk(struct inode *root, struct inode *start, const char *path, int flags, struct inode **out,
	      struct last *lastc)
{
	if (!path[0])
		return -ENOENT;
	struct inode *cur = path[0] == '/' ? root : start;
	int r;
	iget(cur);
	char *buf = kmalloc(PATH_MAX * 2), *tmp = buf + PATH_MAX;
	if (!buf) {
		iput(cur);
		return -ENOMEM;
	}
	u64 plen = strlen(path);
	if (plen >= PATH_MAX) {
		r = -ENAMETOOLONG;
		goto fail;
	}
	memcpy(buf, path, plen + 1);
	char *p = buf;
	int links = 0;
	for (;;) {
		while (*p == '/')
			p++;
		char *comp = p;
		while (*p && *p != '/')
			p++;
		u64 clen = (u64)(p - comp);
		char *rest = p;
		while (*rest == '/')
			rest++;
		int last = !*rest, trailing_slash = *p == '/';
		if (clen > NAME_MAX) {
			r = -ENAMETOOLONG;
			goto fail;
		}
		if (!clen) { /* path was "/" (or only slashes) */
			if (flags & LOOKUP_PARENT)
				lastc->name[0] = 0, lastc->slash = 1;
			*out = cur;
			kfree(buf);
			return 0;
		}
		if (!S_ISDIR(cur->mode)) {
			r = -ENOTDIR;
			goto fail;
		}
		char c = *p;
		*p = 0;
		if (last && (flags & LOOKUP_PARENT)) {
			memcpy(lastc->name, comp, clen + 1);
			lastc->slash = trailing_slash;
			*out = cur;
			kfree(buf);
			return 0;
		}
		struct inode *next;
		if (!strcmp(comp, "..") && cur == root)
			next = cur, iget(cur);
		else
			next = dir_lookup(cur, comp);
		*p = c;
		if (!next) {
			r = -ENOENT;
			goto fail;
		}
		next = cross_mounts(next);
		if (S_ISLNK(next->mode) && (!last || (flags & LOOKUP_FOLLOW) || trailing_slash)) {
			if (++links > 40) {
				iput(next);
				r = -ELOOP;
				goto fail;
			}
			u64 tl = strlen(next->target), rl = strlen(rest);
			if (tl + 1 + rl >= PATH_MAX) {
				iput(next);
				r = -ENAMETOOLONG;
				goto fail;
			}
			memcpy(tmp, next->target, tl);
			tmp[tl] = '/';
			memcpy(tmp + tl + 1, rest, rl + 1);
			if (!rl && !trailing_slash)
				tmp[tl] = 0;
			memcpy(buf, tmp, tl + rl + 2);
			p = buf;
			if (next->target[0] == '/') {
				iput(cur);
				cur = root;
				iget(cur);
			}
			iput(next);
			continue;
		}
		iput(cur);
		cur = next;
		if (last) {
			if (trailing_slash && !S_ISDIR(cur->mode)) {
				r = -ENOTDIR;
				goto fail;
			}
			*out = cur;
			kfree(buf);
			return 0;
		}
	}
fail:
	iput(cur);
	kfree(buf);
	return r;
}
