/*
 * Pipes (guest ring 0): a ring of 64 KiB by default (F_SETPIPE_SZ: one page
 * to 1 MiB, a power of two), its pages allocated as data first reaches
 * them, shared by a read end and a write end.  Readers sleep while it is
 * empty and writers remain; writers sleep while it is full, and get SIGPIPE
 * and EPIPE once no reader is left.  A write of at most PIPE_BUF bytes goes
 * in whole or waits (EAGAIN when non-blocking); a longer one may be split.
 */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"

#define PIPE_DEFAULT (64 * 1024)
#define PIPE_MAX (1024 * 1024)
#define PIPE_ATOMIC 4096 /* PIPE_BUF */
#define F_SETPIPE_SZ 1031
#define F_GETPIPE_SZ 1032

struct pipe {
	u8 **pages;               /* size / PAGE slots, NULL until written */
	u64 size;                 /* capacity in bytes */
	u64 head, tail;           /* bytes written and read, ever */
	int readers, writers;
};

static struct pipe *pipe_new(u64 size)
{
	struct pipe *p = kzalloc(sizeof *p);
	if (p && !(p->pages = kzalloc(size / PAGE * sizeof *p->pages))) {
		kfree(p);
		return 0;
	}
	if (p)
		p->size = size;
	return p;
}

static void pipe_free_pages(struct pipe *p)
{
	for (u64 k = 0; k < p->size / PAGE; k++)
		if (p->pages[k])
			page_free(p->pages[k]);
	kfree(p->pages);
}

/* The page holding byte pos of the stream (allocated if asked), and how
 * many bytes from pos stay in that page. */
static u8 *pipe_page(struct pipe *p, u64 pos, int alloc, u64 *room)
{
	u8 **pg = &p->pages[pos % p->size / PAGE];
	if (!*pg && alloc)
		*pg = page_alloc_run(1);
	*room = PAGE - pos % PAGE;
	return *pg ? *pg + pos % PAGE : 0;
}

static u64 min3(u64 a, u64 b, u64 c) { return a < b ? (a < c ? a : c) : (b < c ? b : c); }

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
		u64 room;
		u8 *src = pipe_page(p, p->tail, 0, &room);
		u64 k = min3(room, p->head - p->tail, n - done);
		if (copy_to_user(ubuf + done, src, k))
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
	u64 done = 0, whole = n <= PIPE_ATOMIC ? n : 1; /* free bytes needed before copying */
	while (done < n) {
		if (!p->readers) {
			send_signal(current, SIGPIPE);
			return done ? (s64)done : -EPIPE;
		}
		u64 free = p->size - (p->head - p->tail);
		if (free < (done ? 1 : whole)) {
			if (f->flags & O_NONBLOCK)
				return done ? (s64)done : -EAGAIN;
			if (signal_pending())
				return done ? (s64)done : -ERESTART;
			sleep_on(p);
			continue;
		}
		u64 room;
		u8 *dst = pipe_page(p, p->head, 1, &room);
		if (!dst)
			return done ? (s64)done : -ENOMEM;
		u64 k = min3(room, free, n - done);
		if (copy_from_user(dst, ubuf + done, k))
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
	if (p->size - (p->head - p->tail) >= PIPE_ATOMIC) /* room for an atomic write */
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
		pipe_free_pages(p);
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

/* Moves the data into a ring of the new size: -EBUSY if it does not fit. */
static int pipe_resize(struct pipe *p, u64 size)
{
	u64 used = p->head - p->tail;
	if (used > size)
		return -EBUSY;
	struct pipe *n = pipe_new(size);
	if (!n)
		return -ENOMEM;
	while (p->tail != p->head) {
		u64 sroom, droom;
		u8 *src = pipe_page(p, p->tail, 0, &sroom), *dst = pipe_page(n, n->head, 1, &droom);
		if (!dst) {
			pipe_free_pages(n);
			kfree(n);
			p->tail = p->head - used;
			return -ENOMEM;
		}
		u64 k = min3(sroom, droom, p->head - p->tail);
		memcpy(dst, src, k);
		p->tail += k, n->head += k;
	}
	pipe_free_pages(p);
	p->pages = n->pages, p->size = size, p->head = used, p->tail = 0;
	kfree(n);
	wakeup(p);
	return 0;
}

static const struct file_ops pipe_fops;

/* F_GETPIPE_SZ and F_SETPIPE_SZ (sizes round up to a power of two pages). */
s64 pipe_fcntl(struct file *f, u64 cmd, u64 arg)
{
	struct pipe *p = f->ino->priv;
	if ((f->ops != &pipe_fops && f->ops != &fifo_fops) || !p)
		return -EBADF;
	if (cmd == F_GETPIPE_SZ)
		return (s64)p->size;
	if ((u32)arg > 1u << 31)
		return -EINVAL;
	u64 size = PAGE;
	while (size < (u32)arg)
		size *= 2;
	if (size > PIPE_MAX)
		return -EPERM;
	int r = size == p->size ? 0 : pipe_resize(p, size);
	return r ? r : (s64)size;
}

static const struct file_ops pipe_fops = { .read = pipe_read, .write = pipe_write, .poll = pipe_poll,
					   .release = pipe_release, .ioctl = pipe_ioctl };

/* A named pipe: the pipe is made by the first open; each open waits for
 * the other end (unless O_NONBLOCK). */
static int fifo_open(struct file *f)
{
	struct inode *i = f->ino;
	struct pipe *p = i->priv;
	if (!p && !(p = i->priv = pipe_new(PIPE_DEFAULT)))
		return -ENOMEM;
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
	struct pipe *p = pipe_new(PIPE_DEFAULT);
	struct inode *i = inode_new(S_IFIFO | 0600);
	if (!p || !i) {
		if (p)
			pipe_free_pages(p);
		kfree(p), iput(i);
		return -ENOMEM;
	}
	p->readers = p->writers = 1;
	i->priv = p;
	i->fops = &pipe_fops;
	*rd = file_new(i, O_RDONLY);
	*wr = file_new(i, O_WRONLY);
	iput(i);
	return 0;
}
