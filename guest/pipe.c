/*
 * Pipes (guest ring 0): a 16 KiB ring shared by a read end and a write end.
 * Readers sleep while it is empty and writers remain; writers sleep while
 * it is full, and get SIGPIPE and EPIPE once no reader is left.
 */
#include "kernel.h"
#include "mm.h"
#include "proc.h"

#define PIPE_BUF_SIZE 16384
struct pipe {
	u8 *buf;
	u64 head, tail;
	int readers, writers;
};

static s64 pipe_read(struct file *f, u64 ubuf, u64 n)
{
	struct pipe *p = f->ino->priv;
	while (p->head == p->tail) {
		if (!p->writers)
			return 0;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (signal_pending())
			return -ERESTART;
		sleep_on(p);
	}
	u64 done = 0;
	while (done < n && p->head != p->tail) {
		u64 off = p->tail % PIPE_BUF_SIZE, k = PIPE_BUF_SIZE - off;
		if (k > p->head - p->tail)
			k = p->head - p->tail;
		if (k > n - done)
			k = n - done;
		if (copy_to_user(ubuf + done, p->buf + off, k))
			return done ? (s64)done : -EFAULT;
		p->tail += k;
		done += k;
	}
	wakeup(p);
	return (s64)done;
}

static s64 pipe_write(struct file *f, u64 ubuf, u64 n)
{
	struct pipe *p = f->ino->priv;
	u64 done = 0;
	while (done < n) {
		if (!p->readers) {
			send_signal(current, SIGPIPE);
			return done ? (s64)done : -EPIPE;
		}
		if (p->head - p->tail == PIPE_BUF_SIZE) {
			if (f->flags & O_NONBLOCK)
				return done ? (s64)done : -EAGAIN;
			if (signal_pending())
				return done ? (s64)done : -ERESTART;
			sleep_on(p);
			continue;
		}
		u64 off = p->head % PIPE_BUF_SIZE, k = PIPE_BUF_SIZE - off;
		if (k > PIPE_BUF_SIZE - (p->head - p->tail))
			k = PIPE_BUF_SIZE - (p->head - p->tail);
		if (k > n - done)
			k = n - done;
		if (copy_from_user(p->buf + off, ubuf + done, k))
			return done ? (s64)done : -EFAULT;
		p->head += k;
		done += k;
		wakeup(p);
	}
	return (s64)done;
}

static int pipe_poll(struct file *f)
{
	struct pipe *p = f->ino->priv;
	int r = 0;
	if (p->head != p->tail)
		r |= POLLIN;
	if (!p->writers)
		r |= POLLHUP;
	if (p->head - p->tail < PIPE_BUF_SIZE)
		r |= POLLOUT;
	if (!p->readers)
		r |= POLLERR;
	return r;
}

static void pipe_release(struct file *f)
{
	struct pipe *p = f->ino->priv;
	if ((f->flags & O_ACCMODE) == O_RDONLY)
		p->readers--;
	else
		p->writers--;
	wakeup(p);
	if (!p->readers && !p->writers) {
		kfree(p->buf);
		kfree(p);
		f->ino->priv = 0;
	}
}

static s64 pipe_ioctl(struct file *f, u64 cmd, u64 arg)
{
	struct pipe *p = f->ino->priv;
	if (cmd != 0x541B) /* FIONREAD */
		return -ENOTTY;
	int v = (int)(p->head - p->tail);
	return copy_to_user(arg, &v, 4) ? -EFAULT : 0;
}

static const struct file_ops pipe_fops = { .read = pipe_read, .write = pipe_write, .poll = pipe_poll,
					   .release = pipe_release, .ioctl = pipe_ioctl };

/* A named pipe: the pipe is made by the first open; each open waits for
 * the other end (unless O_NONBLOCK). */
static int fifo_open(struct file *f)
{
	struct inode *i = f->ino;
	struct pipe *p = i->priv;
	if (!p) {
		p = kzalloc(sizeof *p);
		u8 *buf = p ? kmalloc(PIPE_BUF_SIZE) : 0;
		if (!buf) {
			kfree(p);
			return -ENOMEM;
		}
		p->buf = buf;
		i->priv = p;
	}
	int rd = (f->flags & O_ACCMODE) == O_RDONLY;
	if (rd)
		p->readers++;
	else
		p->writers++;
	wakeup(p);
	while (!(f->flags & O_NONBLOCK) && (rd ? !p->writers : !p->readers)) {
		if (signal_pending()) {
			pipe_release(f);
			return -EINTR;
		}
		sleep_on(p);
	}
	return 0;
}

const struct file_ops fifo_fops = { .read = pipe_read, .write = pipe_write, .poll = pipe_poll, .open = fifo_open,
				    .release = pipe_release, .ioctl = pipe_ioctl };

int pipe_create(struct file **rd, struct file **wr)
{
	struct pipe *p = kzalloc(sizeof *p);
	struct inode *i = inode_new(S_IFIFO | 0600);
	u8 *buf = kmalloc(PIPE_BUF_SIZE);
	if (!p || !i || !buf) {
		kfree(p), kfree(buf), iput(i);
		return -ENOMEM;
	}
	p->buf = buf;
	p->readers = p->writers = 1;
	i->priv = p;
	i->fops = &pipe_fops;
	*rd = file_new(i, O_RDONLY);
	*wr = file_new(i, O_WRONLY);
	iput(i);
	return 0;
}
