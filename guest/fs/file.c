/*
 * Open files and descriptor tables (guest ring 0): reference-counted open
 * files shared by dup and fork, per-process tables with close-on-exec, and
 * open(2) itself: create, truncate, and the checks of the flags.
 */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "dev/dev.h"

struct file *file_new(struct inode *i, u32 flags)
{
	struct file *f = kzalloc(sizeof *f);
	if (!f)
		return 0;
	f->refs = 1;
	f->flags = flags;
	f->ino = i;
	iget(i);
	f->ops = i->fops ? i->fops : S_ISDIR(i->mode) ? &dir_fops : &ramfs_fops;
	return f;
}

void file_get(struct file *f) { f->refs++; }

void file_put(struct file *f)
{
	if (--f->refs > 0)
		return;
	if (f->ep_items)
		epoll_forget(f);
	if (f->ops->release)
		f->ops->release(f);
	iput(f->ino);
	kfree(f);
}

struct file *fd_get(int fd)
{
	struct task *t = current;
	struct file *f = fd >= 0 && fd < NR_FDS && t->files ? t->files->fd[fd] : 0;
	if (!f || f->hold_seq == t->syscall_seq)
		return f;
	if (t->nheld == t->held_cap) {
		u32 cap = t->held_cap ? t->held_cap * 2 : 8;
		struct file **h = kmalloc(cap * sizeof *h);
		if (!h)
			return 0;
		memcpy(h, t->held, t->nheld * sizeof *h);
		kfree(t->held);
		t->held = h, t->held_cap = cap;
	}
	file_get(f);
	t->held[t->nheld++] = f;
	f->hold_seq = t->syscall_seq;
	if (f->ep_items)
		epoll_touch(f);
	return f;
}

void fd_drop_holds(void)
{
	struct task *t = current;
	while (t->nheld)
		file_put(t->held[--t->nheld]);
}

int fd_install(struct file *f, int min, int cloexec)
{
	struct fdtable *t = current->files;
	for (int fd = min < 0 ? 0 : min; fd < NR_FDS; fd++)
		if (!t->fd[fd]) {
			t->fd[fd] = f;
			t->cloexec[fd] = (u8)cloexec;
			return fd;
		}
	file_put(f);
	return -EMFILE;
}

struct fdtable *fdtable_new(void)
{
	struct fdtable *t = kzalloc(sizeof *t);
	if (t)
		t->refs = 1;
	return t;
}

struct fdtable *fdtable_copy(struct fdtable *s)
{
	struct fdtable *t = fdtable_new();
	if (!t)
		return 0;
	for (int i = 0; i < NR_FDS; i++)
		if (s->fd[i]) {
			t->fd[i] = s->fd[i];
			t->cloexec[i] = s->cloexec[i];
			file_get(s->fd[i]);
		}
	return t;
}

void fdtable_put(struct fdtable *t)
{
	if (--t->refs > 0)
		return;
	for (int i = 0; i < NR_FDS; i++)
		if (t->fd[i])
			file_put(t->fd[i]);
	kfree(t);
}

void fdtable_cloexec(struct fdtable *t)
{
	for (int i = 0; i < NR_FDS; i++)
		if (t->fd[i] && t->cloexec[i]) {
			file_put(t->fd[i]);
			t->fd[i] = 0;
			t->cloexec[i] = 0;
		}
}

int vfs_open(int dirfd, const char *path, u32 flags, u32 mode, struct file **out)
{
	struct inode *ino = 0;
	int r;
	if (flags & O_CREAT) {
		struct last l;
		char *name = l.name;
		struct inode *dir;
		if ((r = path_lookup(dirfd, path, LOOKUP_PARENT, &dir, &l)))
			return r;
		if (!name[0] || l.slash) { /* "name/" is never created as a file */
			iput(dir);
			return -EISDIR;
		}
		ino = dir_lookup(dir, name);
		if (ino && (flags & O_EXCL)) {
			iput(ino);
			iput(dir);
			return -EEXIST;
		}
		if (ino && S_ISLNK(ino->mode)) {
			iput(ino);
			ino = 0;
			r = path_lookup(dirfd, path, LOOKUP_FOLLOW, &ino, 0);
			if (r == -ENOENT) { /* dangling link: not created here */
				iput(dir);
				return r;
			}
		}
		if (!ino) {
			if (dir->dops) {
				iput(dir);
				return -EACCES;
			}
			ino = inode_new(S_IFREG | (mode & 07777 & ~current->umask));
			if (!ino || (r = dir_add(dir, name, ino))) {
				iput(ino);
				iput(dir);
				return ino ? r : -ENOMEM;
			}
		}
		iput(dir);
	} else if ((r = path_lookup(dirfd, path, flags & O_NOFOLLOW ? 0 : LOOKUP_FOLLOW, &ino, 0))) {
		return r;
	}
	if (S_ISLNK(ino->mode) && !(flags & O_PATH)) {
		iput(ino);
		return -ELOOP;
	}
	if ((S_ISCHR(ino->mode) || S_ISBLK(ino->mode)) && !(flags & O_PATH) && !devfs_allowed(ino->rdev)) {
		iput(ino);
		return -EPERM; /* not a device for a sandbox */
	}
	if (!ino->fops && (S_ISCHR(ino->mode) || S_ISBLK(ino->mode) || S_ISSOCK(ino->mode)) && !(flags & O_PATH) &&
	    !(ino->fops = S_ISCHR(ino->mode) ? chrdev_fops(ino->rdev) : 0)) {
		iput(ino);
		return -ENXIO; /* no such device here */
	}
	if ((flags & O_DIRECTORY) && !S_ISDIR(ino->mode)) {
		iput(ino);
		return -ENOTDIR;
	}
	if (S_ISDIR(ino->mode) && ((flags & O_ACCMODE) != O_RDONLY || (flags & O_CREAT))) {
		iput(ino);
		return -EISDIR;
	}
	if (((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)) && (r = ovl_copy_up(ino))) {
		iput(ino);
		return r; /* a file of an overlay's lower gets its own data before it is written */
	}
	if ((flags & O_TRUNC) && S_ISREG(ino->mode) && (flags & O_ACCMODE) != O_RDONLY && !ino->fops) {
		ramfs_truncate(ino, 0);
		inode_touch(ino, 1, 1);
	}
	struct file *f = file_new(ino, flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY | O_CLOEXEC));
	iput(ino);
	if (!f)
		return -ENOMEM;
	if (f->ops->open && (r = f->ops->open(f))) {
		file_put(f);
		return r;
	}
	*out = f;
	return 0;
}

void fill_stat(struct inode *i, struct kstat *st)
{
	memset(st, 0, sizeof *st);
	/* devfs, procfs and anonymous pipes and sockets: 5; ramfs (a FIFO made
	 * there included: nftw's FTW_MOUNT would leave it out): 1 */
	st->st_dev = i->fops && i->fops != &fifo_fops && !S_ISREG(i->mode) ? 5 : 1;
	st->st_ino = i->ino;
	st->st_nlink = i->nlink ? i->nlink : 1;
	st->st_mode = i->mode;
	st->st_uid = i->uid;
	st->st_gid = i->gid;
	st->st_rdev = i->rdev;
	st->st_size = (s64)i->size;
	st->st_blksize = 4096;
	/* a file an overlay has not copied up owns no pages (it reads its
	 * lower's): 0 blocks, which is how the engine tells a container's own
	 * files (SizeRw) in its merged upper */
	st->st_blocks = S_ISREG(i->mode) && i->lower ? 0 : (s64)(BH_ALIGN_UP(i->size, 4096) / 512);
	st->st_atime = (u64)i->atime.sec;
	st->st_atime_nsec = (u64)i->atime.nsec;
	st->st_mtime = (u64)i->mtime.sec;
	st->st_mtime_nsec = (u64)i->mtime.nsec;
	st->st_ctime = (u64)i->ctime.sec;
	st->st_ctime_nsec = (u64)i->ctime.nsec;
}
