/*
 * Pseudo-terminals (guest ring 0), Linux's Unix 98 kind: opening /dev/ptmx
 * makes a pair and returns its master; the slave is /dev/pts/N (major 136),
 * a tty with the shared line discipline (tty.c) whose output the master
 * reads and whose input the master writes.  The slave starts locked
 * (TIOCSPTLCK 0 unlocks it: unlockpt); TIOCGPTN gives N (ptsname);
 * TIOCGPTPEER opens the slave from the master.  Closing the master hangs up
 * the slave (SIGHUP and SIGCONT to its foreground group; reads give 0,
 * writes EIO); once every slave file has closed, reads of the master give
 * EIO.  At most NR_PTYS pairs (ENOSPC past that).
 *
 * A pair belongs to the sandbox that opened /dev/ptmx: /dev/pts lists, and
 * a sandbox opens, only its own slaves (the root sandbox sees every pair).
 * A sandboxed task that takes a root-sandbox slave it was handed as its
 * controlling tty (TIOCSCTTY: a container's console made by the engine)
 * moves the pair into its sandbox.
 */
#include "../../lib/string.h"
#include "../../lib/fmt.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "dev/dev.h"

#define NR_PTYS 64
#define OUT_RING 4096
#define OPOST 1
#define ONLCR 4

struct pty {
	struct tty tty;            /* the slave; first, so a tty is its pty */
	u8 out[OUT_RING];          /* the slave's output, for the master: out[otail..ohead) */
	u32 ohead, otail;
	int index;                 /* N of /dev/pts/N */
	int master;                /* the master is open */
	int slaves;                /* open files of the slave */
	int slave_closed;          /* every slave file opened so far has closed */
	int locked;                /* TIOCSPTLCK: the slave cannot be opened */
	struct inode *node;        /* /dev/pts/N, held while the master is open */
};

static struct pty *ptys[NR_PTYS];
static struct inode *pts_dir; /* the host's /dev/pts */

static struct pty *pty_of(struct tty *t) { return (struct pty *)t; }

/* Slave output into the master's ring, '\n' as "\r\n" under OPOST|ONLCR;
 * how many bytes of s fit. */
static u64 slave_output(struct tty *t, const char *s, u64 n)
{
	struct pty *p = pty_of(t);
	int crlf = (t->t.oflag & (OPOST | ONLCR)) == (OPOST | ONLCR);
	u64 k = 0;
	for (; k < n; k++) {
		u32 need = crlf && s[k] == '\n' ? 2 : 1;
		if (OUT_RING - (p->ohead - p->otail) < need)
			break;
		if (need == 2)
			p->out[p->ohead++ % OUT_RING] = '\r';
		p->out[p->ohead++ % OUT_RING] = (u8)s[k];
	}
	if (k)
		wakeup(p);
	return k;
}

static void pty_free_if_unused(struct pty *p)
{
	if (p->master || p->slaves)
		return;
	ptys[p->index] = 0;
	sandbox_put(p->tty.sb);
	kfree(p);
}

static int slave_open(struct tty *t)
{
	struct pty *p = pty_of(t);
	if (p->locked || !p->master)
		return -EIO;
	p->slaves++;
	p->slave_closed = 0;
	return 0;
}

static void slave_release(struct tty *t)
{
	struct pty *p = pty_of(t);
	if (--p->slaves == 0) {
		p->slave_closed = 1;
		wakeup(p);
	}
	pty_free_if_unused(p);
}

static int ptmx_open(struct file *f)
{
	int n = 0;
	while (n < NR_PTYS && ptys[n])
		n++;
	if (n == NR_PTYS)
		return -ENOSPC;
	struct pty *p = kzalloc(sizeof *p);
	if (!p)
		return -ENOMEM;
	struct inode *node = inode_new(S_IFCHR | 0620);
	if (!node) {
		kfree(p);
		return -ENOMEM;
	}
	tty_setup(&p->tty, slave_output);
	p->tty.sb = current->sb;
	sandbox_get(p->tty.sb);
	p->tty.open = slave_open;
	p->tty.release = slave_release;
	p->index = n;
	p->master = 1;
	node->parent = pts_dir; /* named by pts_name, listed by pts_iterate */
	p->locked = 1;
	node->rdev = (136 << 8) | (u32)n;
	node->uid = current->uid[1];
	node->gid = current->gid[1];
	node->fops = &tty_fops;
	node->priv = &p->tty;
	p->node = node;
	ptys[n] = p;
	f->priv = p;
	return 0;
}

/* The master closes: the slave hangs up and its node goes. */
static void ptmx_release(struct file *f)
{
	struct pty *p = f->priv;
	if (!p) /* its open failed */
		return;
	p->node->fops = 0; /* a later open of a held inode finds no device (ENXIO) */
	p->node->priv = 0;
	iput(p->node);
	p->master = 0;
	p->tty.hungup = 1;
	if (p->tty.pgrp) {
		kill_pgrp(p->tty.pgrp, SIGHUP);
		kill_pgrp(p->tty.pgrp, SIGCONT);
	}
	wakeup(&p->tty);
	wakeup(&p->tty.output);
	pty_free_if_unused(p);
}

static s64 ptmx_read(struct file *f, u64 ubuf, u64 n)
{
	struct pty *p = f->priv;
	while (p->ohead == p->otail) {
		if (p->slave_closed)
			return -EIO;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (signal_pending())
			return -ERESTART;
		sleep_on(p);
	}
	u8 buf[256];
	u64 k = 0;
	while (k < n && k < sizeof buf && p->otail != p->ohead)
		buf[k++] = p->out[p->otail++ % OUT_RING];
	wakeup(&p->tty.output); /* room for a blocked slave writer */
	return copy_to_user(ubuf, buf, k) ? -EFAULT : (s64)k;
}

/* Input for the slave, through its line discipline, while it has room. */
static u64 slave_input(struct tty *t, const char *s, u64 n)
{
	u64 i = 0;
	while (i < n && tty_room(t))
		tty_input(t, (u8)s[i++]);
	return i;
}

static s64 ptmx_write(struct file *f, u64 ubuf, u64 n)
{
	struct pty *p = f->priv;
	return tty_feed(f, ubuf, n, &p->tty, slave_input, &p->tty.ring);
}

static int ptmx_poll(struct file *f)
{
	struct pty *p = f->priv;
	return (p->ohead != p->otail ? POLLIN : 0) | (tty_room(&p->tty) ? POLLOUT : 0) |
	       (p->slave_closed ? POLLHUP : 0);
}

static s64 ptmx_ioctl(struct file *f, u64 cmd, u64 arg)
{
	struct pty *p = f->priv;
	int v;
	switch (cmd) {
	case 0x80045430: /* TIOCGPTN */
		return copy_to_user(arg, &p->index, 4) ? -EFAULT : 0;
	case 0x40045431: /* TIOCSPTLCK */
		if (copy_from_user(&v, arg, 4))
			return -EFAULT;
		p->locked = v != 0;
		return 0;
	case 0x5441: { /* TIOCGPTPEER: the slave, opened with flags arg */
		struct file *s = file_new(p->node, (u32)arg & ~(u32)O_CLOEXEC);
		if (!s)
			return -ENOMEM;
		int r = s->ops->open(s);
		if (r) {
			file_put(s);
			return r;
		}
		return fd_install(s, 0, (arg & O_CLOEXEC) != 0);
	}
	case 0x5413: /* TIOCGWINSZ */
		return copy_to_user(arg, &p->tty.ws, sizeof p->tty.ws) ? -EFAULT : 0;
	case 0x5414: /* TIOCSWINSZ */
		return tty_set_winsize(&p->tty, arg);
	case 0x541B: /* FIONREAD */
		v = (int)(p->ohead - p->otail);
		return copy_to_user(arg, &v, 4) ? -EFAULT : 0;
	case 0x540B: /* TCFLSH */
		p->otail = p->ohead;
		wakeup(&p->tty.output);
		return 0;
	}
	return -ENOTTY;
}

static const struct file_ops ptmx_fops = { .read = ptmx_read, .write = ptmx_write, .ioctl = ptmx_ioctl,
					   .poll = ptmx_poll, .open = ptmx_open, .release = ptmx_release };

/* Pair n, if the caller's sandbox may see it (its master still open). */
static struct pty *visible(u64 n)
{
	struct pty *p = n < NR_PTYS ? ptys[n] : 0;
	return p && p->master && (current->sb == &sandbox_root || p->tty.sb == current->sb) ? p : 0;
}

int pty_visible(u32 minor) { return visible(minor) != 0; }

/* /dev/pts: the caller's sandbox's slaves, by number. */
static struct inode *pts_lookup(struct inode *dir, const char *name)
{
	struct inode *r = !strcmp(name, ".") ? dir : !strcmp(name, "..") ? dir->parent : 0;
	u64 n = 0;
	const char *c = name;
	for (; !r && *c >= '0' && *c <= '9' && n < NR_PTYS && c - name < 3; c++)
		n = n * 10 + (u64)(*c - '0');
	struct pty *p = !r && c != name && !*c && (name[0] != '0' || !name[1]) ? visible(n) : 0;
	if (p)
		r = p->node;
	iget(r);
	return r;
}

static int pts_iterate(struct inode *dir, u64 *pos, dir_emit_fn emit, void *ctx)
{
	for (; *pos < 2 + NR_PTYS; (*pos)++) {
		u64 k = *pos;
		struct pty *p = k >= 2 ? visible(k - 2) : 0;
		char n[8];
		bh_snprintf(n, sizeof n, "%d", (int)k - 2);
		if ((k < 2 || p) && emit(ctx, k == 0 ? "." : k == 1 ? ".." : n,
					 k < 2 ? dir->ino : p->node->ino, k < 2 ? 4 : 2, k + 1))
			return 1;
	}
	return 0;
}

/* A slave's name: its number, for /proc/<pid>/fd links (ttyname). */
static const char *pts_name(struct inode *dir, struct inode *child, char *buf)
{
	(void)dir;
	bh_snprintf(buf, 16, "%u", child->rdev & 0xff);
	return buf;
}

const struct dir_ops pts_dops = { pts_lookup, pts_iterate, pts_name };

struct tty *pty_of_session(int sid)
{
	for (int n = 0; n < NR_PTYS; n++)
		if (ptys[n] && ptys[n]->tty.sid == sid && !ptys[n]->tty.hungup)
			return &ptys[n]->tty;
	return 0;
}

void pty_init(void)
{
	pts_dir = inode_new(S_IFDIR | 0755);
	pts_dir->nlink = 2;
	dir_add(devfs_root, "pts", pts_dir);
	pts_dir->dops = &pts_dops; /* after dir_add: its entries are synthetic */
	iput(pts_dir); /* devfs keeps it */
	devfs_register("ptmx", 5, 2, &ptmx_fops, 0666);
}
