/*
 * Descriptor and I/O syscalls (guest ring 0): read, write and their vector
 * and positioned forms, lseek, close, dup*, pipe2, fcntl, ioctl, sendfile.
 */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "sys/sys.h"
#include "net/net.h"

#define IOV_MAX 1024

/* fd_get holds the file until the syscall returns. */
static struct file *get_fd(u64 fd) { return fd >= NR_FDS ? 0 : fd_get((int)fd); }

static s64 do_read(struct file *f, u64 buf, u64 n)
{
	if ((f->flags & O_ACCMODE) == O_WRONLY || (f->flags & O_PATH))
		return -EBADF;
	if (!user_ok(buf, n))
		return -EFAULT;
	return f->ops->read ? f->ops->read(f, buf, n) : -EINVAL;
}

static s64 do_write(struct file *f, u64 buf, u64 n)
{
	if ((f->flags & O_ACCMODE) == O_RDONLY || (f->flags & O_PATH))
		return -EBADF;
	if (!user_ok(buf, n))
		return -EFAULT;
	return f->ops->write ? f->ops->write(f, buf, n) : -EINVAL;
}

s64 sys_read(u64 fd, u64 buf, u64 n)
{
	struct file *f = get_fd(fd);
	return f ? do_read(f, buf, n) : -EBADF;
}

s64 sys_write(u64 fd, u64 buf, u64 n)
{
	struct file *f = get_fd(fd);
	return f ? do_write(f, buf, n) : -EBADF;
}

static s64 vec_rw(struct file *f, u64 uiov, u64 cnt, int wr)
{
	if (cnt > IOV_MAX)
		return -EINVAL;
	if (sock_of(f)) /* one message */
		return sock_rw_iov(f, uiov, cnt, wr);
	s64 total = 0;
	for (u64 i = 0; i < cnt; i++) {
		u64 iov[2];
		if (copy_from_user(iov, uiov + 16 * i, 16))
			return total ? total : -EFAULT;
		if (!iov[1])
			continue;
		s64 r = wr ? do_write(f, iov[0], iov[1]) : do_read(f, iov[0], iov[1]);
		if (r < 0)
			return total ? total : r;
		total += r;
		if ((u64)r < iov[1])
			break;
	}
	return total;
}

static s64 do_vec(u64 fd, u64 uiov, u64 cnt, int wr)
{
	struct file *f = get_fd(fd);
	return f ? vec_rw(f, uiov, cnt, wr) : -EBADF;
}

s64 sys_readv(u64 fd, u64 iov, u64 cnt) { return do_vec(fd, iov, cnt, 0); }
s64 sys_writev(u64 fd, u64 iov, u64 cnt) { return do_vec(fd, iov, cnt, 1); }

static s64 do_pio(u64 fd, u64 buf, u64 n, u64 off, int wr)
{
	struct file *f = get_fd(fd);
	if (!f)
		return -EBADF;
	if (!f->ops->seekable || !S_ISREG(f->ino->mode))
		return S_ISDIR(f->ino->mode) ? -EISDIR : -ESPIPE;
	if ((s64)off < 0)
		return -EINVAL;
	u64 save = f->pos;
	u32 fl = f->flags;
	f->pos = off;
	f->flags &= ~O_APPEND;
	s64 r = wr ? do_write(f, buf, n) : do_read(f, buf, n);
	f->pos = save;
	f->flags = fl;
	return r;
}

s64 sys_pread64(u64 fd, u64 buf, u64 n, u64 off) { return do_pio(fd, buf, n, off, 0); }
s64 sys_pwrite64(u64 fd, u64 buf, u64 n, u64 off) { return do_pio(fd, buf, n, off, 1); }

s64 sys_lseek(u64 fd, u64 off, u64 whence)
{
	struct file *f = get_fd(fd);
	if (!f)
		return -EBADF;
	if (!f->ops->seekable)
		return -ESPIPE;
	s64 base = whence == 0 ? 0 : whence == 1 ? (s64)f->pos : whence == 2 ? (s64)f->ino->size : -1;
	if (whence > 2)
		return -EINVAL;
	s64 n = base + (s64)off;
	if (n < 0)
		return -EINVAL;
	f->pos = (u64)n;
	return n;
}

s64 sys_close(u64 fd)
{
	struct file *f = get_fd(fd);
	if (!f)
		return -EBADF;
	current->files->fd[fd] = 0;
	file_put(f);
	return 0;
}

static s64 dup_to(struct file *f, u64 newfd, int cloexec)
{
	if (newfd >= NR_FDS)
		return -EBADF;
	struct fdtable *t = current->files;
	file_get(f);
	if (t->fd[newfd])
		file_put(t->fd[newfd]);
	t->fd[newfd] = f;
	t->cloexec[newfd] = (u8)cloexec;
	return (s64)newfd;
}

s64 sys_dup(u64 fd)
{
	struct file *f = get_fd(fd);
	if (!f)
		return -EBADF;
	file_get(f);
	return fd_install(f, 0, 0);
}

s64 sys_dup2(u64 fd, u64 newfd)
{
	struct file *f = get_fd(fd);
	if (!f)
		return -EBADF;
	return fd == newfd ? (s64)fd : dup_to(f, newfd, 0);
}

s64 sys_dup3(u64 fd, u64 newfd, u64 flags)
{
	struct file *f = get_fd(fd);
	if (!f)
		return -EBADF;
	if (fd == newfd || (flags & ~(u64)O_CLOEXEC))
		return -EINVAL;
	return dup_to(f, newfd, (flags & O_CLOEXEC) != 0);
}

s64 sys_pipe2(u64 ufds, u64 flags)
{
	struct file *rd, *wr;
	if (flags & ~(u64)(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	if (!user_ok(ufds, 8))
		return -EFAULT;
	int r = pipe_create(&rd, &wr);
	if (r)
		return r;
	rd->flags |= flags & O_NONBLOCK;
	wr->flags |= flags & O_NONBLOCK;
	int fds[2];
	fds[0] = fd_install(rd, 0, (flags & O_CLOEXEC) != 0);
	if (fds[0] < 0) {
		file_put(wr);
		return fds[0];
	}
	fds[1] = fd_install(wr, 0, (flags & O_CLOEXEC) != 0);
	if (fds[1] < 0) {
		sys_close((u64)fds[0]);
		return fds[1];
	}
	if (copy_to_user(ufds, fds, 8)) {
		sys_close((u64)fds[0]);
		sys_close((u64)fds[1]);
		return -EFAULT;
	}
	return 0;
}

s64 sys_pipe(u64 ufds) { return sys_pipe2(ufds, 0); }

s64 sys_fcntl(u64 fd, u64 cmd, u64 arg)
{
	struct file *f = get_fd(fd);
	if (!f)
		return -EBADF;
	switch (cmd) {
	case 0:    /* F_DUPFD */
	case 1030: /* F_DUPFD_CLOEXEC */
		if (arg >= NR_FDS)
			return -EINVAL;
		file_get(f);
		return fd_install(f, (int)arg, cmd == 1030);
	case 1: return current->files->cloexec[fd];            /* F_GETFD */
	case 2: current->files->cloexec[fd] = arg & 1; return 0; /* F_SETFD */
	case 3: return f->flags;                               /* F_GETFL */
	case 4:                                                /* F_SETFL */
		f->flags = (f->flags & ~(u32)(O_APPEND | O_NONBLOCK)) | ((u32)arg & (O_APPEND | O_NONBLOCK));
		return 0;
	case 5: case 6: case 7: case 36: case 37: case 38: /* locks: always granted */
		return 0;
	case 1031: case 1032: /* F_SETPIPE_SZ, F_GETPIPE_SZ */
		return pipe_fcntl(f, cmd, arg);
	}
	return -EINVAL;
}

s64 sys_ioctl(u64 fd, u64 cmd, u64 arg)
{
	struct file *f = get_fd(fd);
	if (!f)
		return -EBADF;
	cmd = (u32)cmd; /* an unsigned int, as Linux takes it: musl passes an int */
	if (cmd == 0x5421) { /* FIONBIO */
		int v;
		if (copy_from_user(&v, arg, 4))
			return -EFAULT;
		f->flags = v ? f->flags | O_NONBLOCK : f->flags & ~(u32)O_NONBLOCK;
		return 0;
	}
	if (cmd == 0x5451 || cmd == 0x5450) { /* FIOCLEX, FIONCLEX */
		current->files->cloexec[fd] = cmd == 0x5451;
		return 0;
	}
	return f->ops->ioctl ? f->ops->ioctl(f, cmd, arg) : -ENOTTY;
}

/* sendfile(2): a ramfs file into any writable file, a page at a time
 * through a kernel buffer. */
static s64 do_sendfile(struct file *out, struct file *in, u64 uoff, u64 count)
{
	if (!in || !out || (in->flags & O_ACCMODE) == O_WRONLY || (out->flags & O_ACCMODE) == O_RDONLY)
		return -EBADF;
	if (!S_ISREG(in->ino->mode) || in->ino->fops)
		return -EINVAL;
	u64 pos = in->pos;
	if (uoff && copy_from_user(&pos, uoff, 8))
		return -EFAULT;
	s64 done = 0;
	u8 *buf = kmalloc(PAGE);
	if (!buf)
		return -ENOMEM;
	while ((u64)done < count) {
		u64 k = count - (u64)done < PAGE ? count - (u64)done : PAGE;
		s64 n = ramfs_read(in->ino, buf, k, pos);
		if (n <= 0)
			break;
		s64 w = out->ops->write ? kernel_write(out, buf, (u64)n) : -EINVAL;
		if (w < 0) {
			if (!done)
				done = w;
			break;
		}
		pos += (u64)w;
		done += w;
		if (w < n)
			break;
	}
	kfree(buf);
	if (uoff) {
		if (done >= 0 && copy_to_user(uoff, &pos, 8))
			return -EFAULT;
	} else if (done > 0) {
		in->pos = pos;
	}
	return done;
}

s64 sys_sendfile(u64 out_fd, u64 in_fd, u64 uoff, u64 count)
{
	return do_sendfile(get_fd(out_fd), get_fd(in_fd), uoff, count);
}
