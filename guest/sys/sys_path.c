/*
 * Path syscalls (guest ring 0): open, the stat family, getdents64, mkdir,
 * unlink and rmdir, rename, symlink, readlink, link, chmod, chown,
 * utimensat, truncate, access, getcwd, chdir, umask, mount.
 */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "sys/sys.h"

/* Path syscalls never sleep between copying a path and using it. */
static char pbuf[2][PATH_MAX];

static int upath(u64 u, int which) { return user_path(u, pbuf[which]); }

s64 sys_openat(u64 dirfd, u64 path, u64 flags, u64 mode)
{
	int r = upath(path, 0);
	if (r)
		return r;
	struct file *f;
	if ((r = vfs_open((int)dirfd, pbuf[0], (u32)flags, (u32)mode, &f)))
		return r;
	return fd_install(f, 0, (flags & O_CLOEXEC) != 0);
}

s64 sys_open(u64 path, u64 flags, u64 mode) { return sys_openat((u64)AT_FDCWD, path, flags, mode); }
s64 sys_creat(u64 path, u64 mode) { return sys_open(path, O_CREAT | O_WRONLY | O_TRUNC, mode); }

/* The inode a (dirfd, path, flags) triple names, for stat-like calls. */
static int at_inode(u64 dirfd, u64 path, u64 flags, struct inode **out)
{
	if (flags & AT_EMPTY_PATH) {
		char c;
		if (path && copy_from_user(&c, path, 1))
			return -EFAULT;
		if (!path || !c) {
			if ((int)dirfd == AT_FDCWD) {
				*out = current->cwd;
			} else {
				struct file *f = fd_get((int)dirfd);
				if (!f)
					return -EBADF;
				*out = f->ino;
			}
			iget(*out);
			return 0;
		}
	}
	int r = upath(path, 0);
	if (r)
		return r;
	return path_lookup((int)dirfd, pbuf[0], flags & AT_SYMLINK_NOFOLLOW ? 0 : LOOKUP_FOLLOW, out, 0);
}

static s64 stat_out(struct inode *i, u64 ust)
{
	struct kstat st;
	fill_stat(i, &st);
	iput(i);
	return copy_to_user(ust, &st, sizeof st) ? -EFAULT : 0;
}

s64 sys_newfstatat(u64 dirfd, u64 path, u64 ust, u64 flags)
{
	struct inode *i;
	int r = at_inode(dirfd, path, flags, &i);
	return r ? r : stat_out(i, ust);
}

s64 sys_stat(u64 path, u64 ust) { return sys_newfstatat((u64)AT_FDCWD, path, ust, 0); }
s64 sys_lstat(u64 path, u64 ust) { return sys_newfstatat((u64)AT_FDCWD, path, ust, AT_SYMLINK_NOFOLLOW); }

s64 sys_fstat(u64 fd, u64 ust)
{
	struct file *f = fd < NR_FDS ? fd_get((int)fd) : 0;
	if (!f)
		return -EBADF;
	iget(f->ino);
	return stat_out(f->ino, ust);
}

s64 sys_statx(u64 dirfd, u64 path, u64 flags, u64 mask, u64 ubuf)
{
	(void)mask;
	struct inode *i;
	int r = at_inode(dirfd, path, flags, &i);
	if (r)
		return r;
	struct kstat st;
	fill_stat(i, &st);
	iput(i);
	struct statx_k x;
	memset(&x, 0, sizeof x);
	x.mask = 0x7ff;
	x.blksize = 4096;
	x.nlink = (u32)st.st_nlink;
	x.uid = st.st_uid;
	x.gid = st.st_gid;
	x.mode = (u16)st.st_mode;
	x.ino = st.st_ino;
	x.size = (u64)st.st_size;
	x.blocks = (u64)st.st_blocks;
	x.atime.sec = (s64)st.st_atime, x.atime.nsec = (u32)st.st_atime_nsec;
	x.mtime.sec = (s64)st.st_mtime, x.mtime.nsec = (u32)st.st_mtime_nsec;
	x.ctime.sec = (s64)st.st_ctime, x.ctime.nsec = (u32)st.st_ctime_nsec;
	x.btime = x.ctime;
	x.rdev_major = (u32)(st.st_rdev & 0xfff00) >> 8;
	x.rdev_minor = (u32)((st.st_rdev & 0xff) | ((st.st_rdev >> 12) & 0xfff00));
	x.dev_major = 0, x.dev_minor = (u32)st.st_dev;
	return copy_to_user(ubuf, &x, sizeof x) ? -EFAULT : 0;
}

/* getdents64: ramfs directories list ".", ".." and their entries in order. */
struct dents_ctx {
	u64 ubuf, size, used;
	int full;
};

static int emit_dent(void *c, const char *name, u64 ino, int type, u64 next)
{
	struct dents_ctx *d = c;
	u64 n = strlen(name), rec = BH_ALIGN_UP(19 + n + 1, 8);
	if (d->used + rec > d->size) {
		d->full = 1;
		return 1;
	}
	u8 tmp[19 + NAME_MAX + 1 + 8];
	memset(tmp, 0, rec);
	memcpy(tmp, &ino, 8);
	memcpy(tmp + 8, &next, 8);
	u16 r16 = (u16)rec;
	memcpy(tmp + 16, &r16, 2);
	tmp[18] = (u8)type;
	memcpy(tmp + 19, name, n);
	if (copy_to_user(d->ubuf + d->used, tmp, rec))
		return -1;
	d->used += rec;
	return 0;
}

/* Positions: 0 ".", 1 "..", then each entry's own (dir_add numbers them
 * from 2 upwards), so removing entries never moves a reader's place. */
static int ramfs_iterate(struct inode *dir, u64 *pos, dir_emit_fn emit, void *ctx)
{
	if (*pos == 0) {
		if (emit(ctx, ".", dir->ino, 4, 1))
			return 1;
		(*pos)++;
	}
	if (*pos == 1) {
		if (emit(ctx, "..", dir->parent ? dir->parent->ino : dir->ino, 4, 2))
			return 1;
		(*pos)++;
	}
	for (struct dirent_k *e = dir->children; e; e = e->next) {
		if (e->off < *pos || e->ino == &ovl_whiteout)
			continue;
		if (emit(ctx, e->name, e->ino->ino, dtype(e->ino->mode), e->off + 1))
			return 1;
		*pos = e->off + 1;
	}
	return 0;
}

s64 sys_getdents64(u64 fd, u64 ubuf, u64 size)
{
	struct file *f = fd < NR_FDS ? fd_get((int)fd) : 0;
	if (!f)
		return -EBADF;
	if (!S_ISDIR(f->ino->mode))
		return -ENOTDIR;
	if (!user_ok(ubuf, size))
		return -EFAULT;
	struct dents_ctx d = { ubuf, size, 0, 0 };
	if (ovl_fill(f->ino)) /* an overlay's merged directory lists its lower's entries too */
		return -ENOMEM;
	if (f->ino->dops)
		f->ino->dops->iterate(f->ino, &f->pos, emit_dent, &d);
	else
		ramfs_iterate(f->ino, &f->pos, emit_dent, &d);
	if (!d.used && d.full)
		return -EINVAL;
	return (s64)d.used;
}

/* Parent directory and last name of a user path, for create and remove. */
static int parent_of(u64 dirfd, u64 path, int which, struct inode **dir, struct last *l)
{
	int r = upath(path, which);
	if (r)
		return r;
	r = path_lookup((int)dirfd, pbuf[which], LOOKUP_PARENT, dir, l);
	if (r)
		return r;
	if (!S_ISDIR((*dir)->mode)) {
		iput(*dir);
		return -ENOTDIR;
	}
	return 0;
}

/* Adds i as a new name; a name ending in '/' is only made for a directory. */
static int add_new(struct inode *dir, const struct last *l, struct inode *i)
{
	int r;
	if (!i)
		r = -ENOMEM;
	else if (!l->name[0] || !strcmp(l->name, ".") || !strcmp(l->name, ".."))
		r = -EEXIST;
	else {
		struct inode *old = dir_lookup(dir, l->name);
		if (old) {
			iput(old);
			r = -EEXIST;
		} else if (l->slash && !S_ISDIR(i->mode)) {
			r = -ENOENT;
		} else {
			r = dir_add(dir, l->name, i);
		}
	}
	iput(i);
	iput(dir);
	return r;
}

s64 sys_mkdirat(u64 dirfd, u64 path, u64 mode)
{
	struct inode *dir;
	struct last l;
	int r = parent_of(dirfd, path, 0, &dir, &l);
	if (r)
		return r;
	return add_new(dir, &l, inode_new(S_IFDIR | ((u32)mode & 07777 & ~current->umask)));
}

s64 sys_mkdir(u64 path, u64 mode) { return sys_mkdirat((u64)AT_FDCWD, path, mode); }

/* mknod(2): files, FIFOs, sockets, and device nodes keeping their number
 * (dev as stat gives it back; opening one reaches a devfs device). */
s64 sys_mknodat(u64 dirfd, u64 path, u64 mode, u64 dev)
{
	u32 type = (u32)mode & S_IFMT;
	if (type != S_IFREG && type != 0 && type != S_IFIFO && type != S_IFCHR && type != S_IFBLK && type != S_IFSOCK)
		return -EINVAL;
	if ((type == S_IFCHR || type == S_IFBLK) && current->sb != &sandbox_root)
		return -EPERM; /* a sandbox makes no device nodes (dev/devfs.c) */
	struct inode *dir;
	struct last l;
	int r = parent_of(dirfd, path, 0, &dir, &l);
	if (r)
		return r;
	struct inode *i = inode_new((type ? type : S_IFREG) | ((u32)mode & 07777 & ~current->umask));
	if (i && type == S_IFIFO)
		i->fops = &fifo_fops;
	if (i && (type == S_IFCHR || type == S_IFBLK))
		i->rdev = (u32)dev;
	return add_new(dir, &l, i);
}

s64 sys_mknod(u64 path, u64 mode, u64 dev) { return sys_mknodat((u64)AT_FDCWD, path, mode, dev); }

int vfs_mknod(int dirfd, const char *path, struct inode *i)
{
	struct inode *dir;
	struct last l;
	int r = path_lookup(dirfd, path, LOOKUP_PARENT, &dir, &l);
	if (r)
		return r;
	if (!S_ISDIR(dir->mode)) {
		iput(dir);
		return -ENOTDIR;
	}
	iget(i);
	return add_new(dir, &l, i);
}

s64 sys_symlinkat(u64 target, u64 dirfd, u64 path)
{
	int r = upath(target, 1);
	if (r)
		return r;
	struct inode *dir;
	struct last l;
	if ((r = parent_of(dirfd, path, 0, &dir, &l)))
		return r;
	struct inode *i = inode_new(S_IFLNK | 0777);
	u64 n = strlen(pbuf[1]);
	if (i && !(i->target = kmalloc(n + 1))) {
		iput(i);
		i = 0;
	}
	if (i) {
		memcpy(i->target, pbuf[1], n + 1);
		i->size = n;
	}
	return add_new(dir, &l, i);
}

s64 sys_symlink(u64 target, u64 path) { return sys_symlinkat(target, (u64)AT_FDCWD, path); }

s64 sys_unlinkat(u64 dirfd, u64 path, u64 flags)
{
	struct inode *dir;
	struct last l;
	int r = parent_of(dirfd, path, 0, &dir, &l);
	if (r)
		return r;
	const char *name = l.name;
	struct inode *i = name[0] && strcmp(name, ".") && strcmp(name, "..") ? dir_lookup(dir, name) : 0;
	if (!i)
		r = name[0] && strcmp(name, ".") && strcmp(name, "..") ? -ENOENT : (flags & AT_REMOVEDIR ? -EINVAL : -EISDIR);
	else if (flags & AT_REMOVEDIR)
		r = !S_ISDIR(i->mode) ? -ENOTDIR : i->mounted || i == current->root ? -EBUSY
		  : !dir_empty(i) ? -ENOTEMPTY : dir_remove(dir, name);
	else /* "name/" is never a file to unlink, even through a symlink */
		r = S_ISDIR(i->mode) ? -EISDIR : l.slash ? -ENOTDIR : dir->dops ? -EPERM : dir_remove(dir, name);
	iput(i);
	iput(dir);
	return r;
}

s64 sys_unlink(u64 path) { return sys_unlinkat((u64)AT_FDCWD, path, 0); }
s64 sys_rmdir(u64 path) { return sys_unlinkat((u64)AT_FDCWD, path, AT_REMOVEDIR); }

static int is_ancestor(struct inode *a, struct inode *d)
{
	for (; d; d = d->parent)
		if (d == a)
			return 1;
	return 0;
}

s64 sys_renameat2(u64 olddirfd, u64 oldpath, u64 newdirfd, u64 newpath, u64 flags)
{
	struct inode *od, *nd;
	struct last ol, nl;
	char *on = ol.name, *nn = nl.name;
	int r = parent_of(olddirfd, oldpath, 0, &od, &ol);
	if (r)
		return r;
	if ((r = parent_of(newdirfd, newpath, 1, &nd, &nl))) {
		iput(od);
		return r;
	}
	struct inode *src = on[0] && strcmp(on, ".") && strcmp(on, "..") ? dir_lookup(od, on) : 0;
	struct inode *dst = nn[0] ? dir_lookup(nd, nn) : 0;
	if (!src)
		r = on[0] ? -ENOENT : -EBUSY;
	else if (!nn[0] || !strcmp(nn, ".") || !strcmp(nn, ".."))
		r = -EBUSY;
	else if (!S_ISDIR(src->mode) && (ol.slash || nl.slash))
		r = -ENOTDIR;
	else if (od->dops || nd->dops)
		r = -EXDEV;
	else if (dst && (flags & 1)) /* RENAME_NOREPLACE */
		r = -EEXIST;
	else if (S_ISDIR(src->mode) && is_ancestor(src, nd))
		r = -EINVAL;
	else if (dst == src)
		r = 0;
	else if (dst && S_ISDIR(dst->mode) && !S_ISDIR(src->mode))
		r = -EISDIR;
	else if (dst && !S_ISDIR(dst->mode) && S_ISDIR(src->mode))
		r = -ENOTDIR;
	else if (dst && S_ISDIR(dst->mode) && !dir_empty(dst))
		r = -ENOTEMPTY;
	else {
		if (dst)
			dir_remove(nd, nn);
		iget(src);
		dir_remove(od, on);
		r = dir_add(nd, nn, src);
		iput(src);
	}
	iput(src);
	iput(dst);
	iput(od);
	iput(nd);
	return r;
}

s64 sys_renameat(u64 od, u64 op, u64 nd, u64 np) { return sys_renameat2(od, op, nd, np, 0); }
s64 sys_rename(u64 op, u64 np) { return sys_renameat2((u64)AT_FDCWD, op, (u64)AT_FDCWD, np, 0); }

s64 sys_linkat(u64 olddirfd, u64 oldpath, u64 newdirfd, u64 newpath, u64 flags)
{
	struct inode *src, *dir;
	struct last l;
	int r = upath(oldpath, 1);
	if (r)
		return r;
	if ((r = path_lookup((int)olddirfd, pbuf[1], flags & AT_SYMLINK_FOLLOW ? LOOKUP_FOLLOW : 0, &src, 0)))
		return r;
	if (S_ISDIR(src->mode)) {
		iput(src);
		return -EPERM;
	}
	if ((r = parent_of(newdirfd, newpath, 0, &dir, &l))) {
		iput(src);
		return r;
	}
	r = add_new(dir, &l, src);
	return r;
}

s64 sys_link(u64 op, u64 np) { return sys_linkat((u64)AT_FDCWD, op, (u64)AT_FDCWD, np, 0); }

s64 sys_readlinkat(u64 dirfd, u64 path, u64 ubuf, u64 size)
{
	struct inode *i;
	int r = upath(path, 0);
	if (r)
		return r;
	if ((int)size <= 0)
		return -EINVAL;
	if ((r = path_lookup((int)dirfd, pbuf[0], 0, &i, 0)))
		return r;
	s64 n = -EINVAL;
	if (S_ISLNK(i->mode)) {
		n = (s64)strlen(i->target);
		if ((u64)n > size)
			n = (s64)size;
		if (copy_to_user(ubuf, i->target, (u64)n))
			n = -EFAULT;
	}
	iput(i);
	return n;
}

s64 sys_readlink(u64 path, u64 buf, u64 size) { return sys_readlinkat((u64)AT_FDCWD, path, buf, size); }

s64 sys_fchmodat(u64 dirfd, u64 path, u64 mode)
{
	struct inode *i;
	int r = at_inode(dirfd, path, 0, &i);
	if (r)
		return r;
	i->mode = (i->mode & S_IFMT) | ((u32)mode & 07777);
	inode_touch(i, 0, 1);
	iput(i);
	return 0;
}

s64 sys_chmod(u64 path, u64 mode) { return sys_fchmodat((u64)AT_FDCWD, path, mode); }

s64 sys_fchmod(u64 fd, u64 mode)
{
	struct file *f = fd < NR_FDS ? fd_get((int)fd) : 0;
	if (!f)
		return -EBADF;
	f->ino->mode = (f->ino->mode & S_IFMT) | ((u32)mode & 07777);
	inode_touch(f->ino, 0, 1);
	return 0;
}

static void chown_inode(struct inode *i, u64 uid, u64 gid)
{
	if ((u32)uid != 0xffffffff)
		i->uid = (u32)uid;
	if ((u32)gid != 0xffffffff)
		i->gid = (u32)gid;
	inode_touch(i, 0, 1);
}

s64 sys_fchownat(u64 dirfd, u64 path, u64 uid, u64 gid, u64 flags)
{
	struct inode *i;
	int r = at_inode(dirfd, path, flags, &i);
	if (r)
		return r;
	chown_inode(i, uid, gid);
	iput(i);
	return 0;
}

s64 sys_chown(u64 p, u64 u, u64 g) { return sys_fchownat((u64)AT_FDCWD, p, u, g, 0); }
s64 sys_lchown(u64 p, u64 u, u64 g) { return sys_fchownat((u64)AT_FDCWD, p, u, g, AT_SYMLINK_NOFOLLOW); }

s64 sys_fchown(u64 fd, u64 uid, u64 gid)
{
	struct file *f = fd < NR_FDS ? fd_get((int)fd) : 0;
	if (!f)
		return -EBADF;
	chown_inode(f->ino, uid, gid);
	return 0;
}

#define UTIME_NOW ((1l << 30) - 1l)
#define UTIME_OMIT ((1l << 30) - 2l)

s64 sys_utimensat(u64 dirfd, u64 path, u64 utimes, u64 flags)
{
	struct timespec_k ts[2], now;
	time_now(&now);
	if (utimes) {
		if (copy_from_user(ts, utimes, sizeof ts))
			return -EFAULT;
		for (int k = 0; k < 2; k++)
			if (ts[k].nsec != UTIME_NOW && ts[k].nsec != UTIME_OMIT && (ts[k].nsec < 0 || ts[k].nsec > 999999999))
				return -EINVAL;
	} else {
		ts[0] = ts[1] = now;
	}
	struct inode *i;
	int r;
	if (!path) {
		struct file *f = fd_get((int)dirfd);
		if (!f)
			return -EBADF;
		i = f->ino;
		iget(i);
	} else if ((r = at_inode(dirfd, path, flags, &i))) {
		return r;
	}
	for (int k = 0; k < 2; k++) {
		struct timespec_k *dst = k ? &i->mtime : &i->atime;
		if (ts[k].nsec == UTIME_NOW)
			*dst = now;
		else if (ts[k].nsec != UTIME_OMIT)
			*dst = ts[k];
	}
	i->ctime = now;
	iput(i);
	return 0;
}

s64 sys_truncate(u64 path, u64 len)
{
	struct inode *i;
	int r = upath(path, 0);
	if (r)
		return r;
	if ((s64)len < 0)
		return -EINVAL;
	if ((r = path_lookup(AT_FDCWD, pbuf[0], LOOKUP_FOLLOW, &i, 0)))
		return r;
	r = S_ISDIR(i->mode) ? -EISDIR : !S_ISREG(i->mode) || i->fops ? -EINVAL : ramfs_truncate(i, len);
	inode_touch(i, 1, 1);
	iput(i);
	return r;
}

s64 sys_ftruncate(u64 fd, u64 len)
{
	struct file *f = fd < NR_FDS ? fd_get((int)fd) : 0;
	if (!f)
		return -EBADF;
	if (!S_ISREG(f->ino->mode) || f->ino->fops || (f->flags & O_ACCMODE) == O_RDONLY || (s64)len < 0)
		return -EINVAL;
	inode_touch(f->ino, 1, 1);
	return ramfs_truncate(f->ino, len);
}

s64 sys_faccessat(u64 dirfd, u64 path, u64 mode, u64 flags)
{
	struct inode *i;
	int r = at_inode(dirfd, path, flags & AT_SYMLINK_NOFOLLOW, &i);
	if (r)
		return r;
	r = (mode & 1) && !(i->mode & 0111) && !S_ISDIR(i->mode) ? -EACCES : 0; /* root: x needs some x bit */
	iput(i);
	return r;
}

s64 sys_access(u64 path, u64 mode) { return sys_faccessat((u64)AT_FDCWD, path, mode, 0); }

/* getcwd(2); a working directory outside the root reads as Linux gives it:
 * "(unreachable)" and its path from above the root. */
s64 sys_getcwd(u64 ubuf, u64 size)
{
	static const char mark[] = "(unreachable)";
	u64 m = inode_within(current->cwd, current->root) ? 0 : sizeof mark - 1;
	char *tmp = kmalloc(PATH_MAX);
	if (!tmp)
		return -ENOMEM;
	memcpy(tmp, mark, m);
	int n = size <= m ? -ERANGE : inode_path(current->cwd, tmp + m, (size < PATH_MAX ? size : PATH_MAX) - m);
	n = n > 0 ? n + (int)m : n;
	if (n > 0 && copy_to_user(ubuf, tmp, (u64)n))
		n = -EFAULT;
	kfree(tmp);
	return n;
}

/* The directory a user path names (referenced). */
static int lookup_dir(u64 path, struct inode **out)
{
	int r = upath(path, 0);
	if (r || (r = path_lookup(AT_FDCWD, pbuf[0], LOOKUP_FOLLOW, out, 0)))
		return r;
	if (!S_ISDIR((*out)->mode)) {
		iput(*out);
		return -ENOTDIR;
	}
	return 0;
}

s64 sys_chdir(u64 path)
{
	struct inode *i;
	int r = lookup_dir(path, &i);
	if (r)
		return r;
	fs_set(0, i);
	return 0;
}

s64 sys_fchdir(u64 fd)
{
	struct file *f = fd < NR_FDS ? fd_get((int)fd) : 0;
	if (!f)
		return -EBADF;
	if (!S_ISDIR(f->ino->mode))
		return -ENOTDIR;
	if (!dir_reachable(f->ino))
		return -EACCES;
	iget(f->ino);
	fs_set(0, f->ino);
	return 0;
}

s64 sys_chroot(u64 path)
{
	struct inode *i;
	int r = lookup_dir(path, &i);
	if (r)
		return r;
	fs_set(1, i);
	return 0;
}

s64 sys_umask(u64 mask)
{
	u32 old = current->umask;
	fs_set_umask((u32)mask & 0777);
	return old;
}

/* The directory m is mounted on, or NULL when m is no mounted root. */
static struct inode *mount_point(struct inode *m)
{
	for (struct dirent_k *e = m->parent ? m->parent->children : 0; e; e = e->next)
		if (e->ino->mounted == m)
			return e->ino;
	return 0;
}

/* mount(2): proc, devtmpfs and tmpfs on a directory; sysfs is refused.  A
 * sandbox mounts on no mounted root (it would hide what another mounted)
 * and unmounts only its own mounts (EPERM). */
s64 sys_mount(u64 src, u64 target, u64 type, u64 flags, u64 data)
{
	(void)src, (void)flags, (void)data;
	char t[32];
	if (user_strncpy(t, type, sizeof t) < 0)
		return -EFAULT;
	struct inode *dir;
	int r = upath(target, 0);
	if (r || (r = path_lookup(AT_FDCWD, pbuf[0], LOOKUP_FOLLOW, &dir, 0)))
		return r;
	struct inode *fs = fs_instance(t);
	if (!fs)
		r = -ENODEV;
	else if (fs == dir || (fs->dops && fs->dops == dir->dops)) /* the lookup crossed into it: already mounted there */
		r = 0;
	else if (fs->parent) /* devtmpfs is mounted once; proc once per mount (fs_instance) */
		r = -EBUSY;
	else if (!S_ISDIR(dir->mode))
		r = -ENOTDIR;
	else if (dir->mounted)
		r = dir->mounted == fs ? 0 : -EBUSY;
	else if (current->sb != &sandbox_root && mount_point(dir))
		r = -EBUSY;
	else {
		dir->mounted = fs;
		dir->mount_sb = current->sb->id;
		fs->parent = dir->parent;
		iget(fs);
	}
	iput(fs);
	iput(dir);
	return r;
}

s64 sys_umount2(u64 target, u64 flags)
{
	(void)flags;
	int r = upath(target, 0);
	if (r)
		return r;
	/* the name resolves to the mounted root; its mount point is found by parent */
	struct inode *m;
	if ((r = path_lookup(AT_FDCWD, pbuf[0], LOOKUP_FOLLOW, &m, 0)))
		return r;
	struct inode *mp = mount_point(m);
	r = !mp ? -EINVAL : current->sb != &sandbox_root && mp->mount_sb != current->sb->id ? -EPERM : 0;
	if (!r) {
		mp->mounted = 0;
		iput(m);
	}
	iput(m);
	return r;
}
