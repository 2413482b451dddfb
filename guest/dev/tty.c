/*
 * The console tty (guest ring 0): a line discipline over the polled serial
 * port.  Canonical mode edits a line (erase, kill, ^D end of file) and
 * echoes it; raw mode hands bytes over as they come; ^C, ^\ and ^Z signal
 * the foreground process group, and a background group that reads is
 * stopped.  ioctls: termios, process groups, window size.
 */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "dev/dev.h"

#define ICRNL 0400
#define INLCR 0100
#define IGNCR 0200
#define ISIG 1
#define ICANON 2
#define ECHO 010
#define ECHOE 020
#define ECHOCTL 01000
#define VINTR 0
#define VQUIT 1
#define VERASE 2
#define VKILL 3
#define VEOF 4
#define VSUSP 10
#define VMIN 6

#define RING 4096
static struct {
	struct termios_k t;
	struct winsize_k ws;
	u8 ring[RING];
	u32 head, tail;            /* ready bytes: ring[tail..head) */
	char line[1024];           /* canonical line being edited */
	u32 len;
	int eof;
	int pgrp;                  /* the foreground process group */
	int sid;                   /* the session whose controlling tty this is */
} tty = {
	.t = { .iflag = ICRNL | 02000, .oflag = 1 | 4, .cflag = 02277,
	       .lflag = ISIG | ICANON | ECHO | ECHOE | 040 | ECHOCTL | 04000 | 0100000,
	       .cc = { 3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0x0f, 0x17, 0x16 } },
	.ws = { 24, 80, 0, 0 },
};
u64 prompt_tsc;

static void echo(const char *s, u64 n)
{
	if (tty.t.lflag & ECHO)
		console_write(s, n);
}

static void push(u8 c)
{
	if (tty.head - tty.tail < RING)
		tty.ring[tty.head++ % RING] = c;
}

static void tty_input(int c)
{
	struct termios_k *t = &tty.t;
	if (c == '\r' && (t->iflag & IGNCR))
		return;
	if (c == '\r' && (t->iflag & ICRNL))
		c = '\n';
	else if (c == '\n' && (t->iflag & INLCR))
		c = '\r';
	if ((t->lflag & ISIG) && c && (c == t->cc[VINTR] || c == t->cc[VQUIT] || c == t->cc[VSUSP])) {
		int sig = c == t->cc[VINTR] ? SIGINT : c == t->cc[VQUIT] ? SIGQUIT : SIGTSTP;
		char e[4] = { '^', (char)(c < 32 ? c + 64 : '?'), '\n', 0 };
		echo(e, 3);
		tty.len = 0;
		tty.head = tty.tail = 0;
		kill_pgrp(tty.pgrp, sig);
		wakeup(&tty);
		return;
	}
	if (!(t->lflag & ICANON)) {
		push((u8)c);
		char ch = (char)c;
		echo(&ch, 1);
		wakeup(&tty);
		return;
	}
	if (c == t->cc[VERASE] || c == 8) {
		if (tty.len) {
			tty.len--;
			echo("\b \b", 3);
		}
	} else if (c == t->cc[VKILL]) {
		while (tty.len) {
			tty.len--;
			echo("\b \b", 3);
		}
	} else if (c == t->cc[VEOF]) {
		if (!tty.len)
			tty.eof = 1;
		for (u32 i = 0; i < tty.len; i++)
			push((u8)tty.line[i]);
		tty.len = 0;
		wakeup(&tty);
	} else if (c == '\n') {
		for (u32 i = 0; i < tty.len; i++)
			push((u8)tty.line[i]);
		push('\n');
		tty.len = 0;
		echo("\n", 1);
		wakeup(&tty);
	} else if (tty.len < sizeof tty.line - 1) {
		tty.line[tty.len++] = (char)c;
		char ch = (char)c;
		echo(&ch, 1);
	}
}

static void tty_poll(void)
{
	int c;
	while (!console_raw && (c = console_poll()) >= 0)
		tty_input(c);
}

static int tty_pollfn(struct file *f);

/* A background process group of the tty's session that reads it (or, for
 * sig SIGTTOU, sets its foreground group) is stopped by sig, unless it
 * ignores or blocks it: then the read fails with EIO, the set goes ahead. */
static int background(int sig)
{
	struct task *c = current;
	if (c->sid != tty.sid || c->pgid == tty.pgrp)
		return 0;
	if (c->sa[sig].handler == SIG_IGN || (c->sigmask & (1ull << (sig - 1))))
		return sig == SIGTTIN ? -EIO : 0;
	kill_pgrp(c->pgid, sig);
	return -ERESTART;
}

static s64 tty_read(struct file *f, u64 ubuf, u64 n)
{
	int r = background(SIGTTIN);
	if (r)
		return r;
	while (tty.head == tty.tail) {
		if (tty.eof) {
			tty.eof = 0;
			return 0;
		}
		if (!(tty.t.lflag & ICANON) && tty.t.cc[VMIN] == 0)
			return 0;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (signal_pending())
			return -ERESTART;
		if (!prompt_tsc)
			prompt_tsc = rdtsc(); /* the first wait for input: the shell's prompt is out */
		sleep_on(&tty);
	}
	u8 buf[256];
	u64 k = 0;
	while (k < n && k < sizeof buf && tty.head != tty.tail) {
		u8 c = tty.ring[tty.tail++ % RING];
		buf[k++] = c;
		if (c == '\n' && (tty.t.lflag & ICANON))
			break;
	}
	return copy_to_user(ubuf, buf, k) ? -EFAULT : (s64)k;
}

static s64 tty_write(struct file *f, u64 ubuf, u64 n)
{
	(void)f;
	char buf[256];
	for (u64 done = 0; done < n;) {
		u64 k = n - done < sizeof buf ? n - done : sizeof buf;
		if (copy_from_user(buf, ubuf + done, k))
			return done ? (s64)done : -EFAULT;
		console_write(buf, k);
		done += k;
	}
	return (s64)n;
}

static int tty_pollfn(struct file *f)
{
	(void)f;
	tty_poll();
	if (!prompt_tsc && tty.head == tty.tail)
		prompt_tsc = rdtsc();
	return POLLOUT | (tty.head != tty.tail || tty.eof ? POLLIN : 0);
}

static s64 tty_ioctl(struct file *f, u64 cmd, u64 arg)
{
	(void)f;
	int v, r;
	switch (cmd) {
	case 0x5401: /* TCGETS */
		return copy_to_user(arg, &tty.t, sizeof tty.t) ? -EFAULT : 0;
	case 0x5402: case 0x5403: case 0x5404: { /* TCSETS, TCSETSW, TCSETSF */
		struct termios_k t;
		if (copy_from_user(&t, arg, sizeof t))
			return -EFAULT;
		if (cmd == 0x5404)
			tty.head = tty.tail = 0;
		if ((tty.t.lflag & ICANON) && !(t.lflag & ICANON) && tty.len) {
			for (u32 i = 0; i < tty.len; i++) /* pending edit becomes input */
				push((u8)tty.line[i]);
			tty.len = 0;
		}
		tty.t = t;
		return 0;
	}
	case 0x540F: /* TIOCGPGRP */
		return copy_to_user(arg, &tty.pgrp, 4) ? -EFAULT : 0;
	case 0x5410: /* TIOCSPGRP */
		if (copy_from_user(&v, arg, 4))
			return -EFAULT;
		if (v <= 0)
			return -EINVAL;
		if (current->sid != tty.sid)
			return -ENOTTY;
		if ((r = background(SIGTTOU)))
			return r;
		tty.pgrp = v;
		return 0;
	case 0x5429: /* TIOCGSID */
		v = current->sid;
		return copy_to_user(arg, &v, 4) ? -EFAULT : 0;
	case 0x5413: /* TIOCGWINSZ */
		return copy_to_user(arg, &tty.ws, sizeof tty.ws) ? -EFAULT : 0;
	case 0x5414: /* TIOCSWINSZ */
		return copy_from_user(&tty.ws, arg, sizeof tty.ws) ? -EFAULT : 0;
	case 0x541B: /* FIONREAD */
		v = (int)(tty.head - tty.tail);
		return copy_to_user(arg, &v, 4) ? -EFAULT : 0;
	case 0x540E: /* TIOCSCTTY: the caller's session takes the tty */
		tty.sid = current->sid;
		tty.pgrp = current->pgid;
		return 0;
	case 0x5422: /* TIOCNOTTY */
		return 0;
	case 0x540B: /* TCFLSH */
		tty.head = tty.tail = 0;
		return 0;
	case 0x5409: case 0x540A: /* TCSBRK, TCXONC */
		return 0;
	}
	return -ENOTTY;
}

static int tty_open(struct file *f)
{
	(void)f;
	if (!tty.pgrp) {
		tty.pgrp = current->pgid ? current->pgid : 1;
		tty.sid = current->sid ? current->sid : 1;
	}
	return 0;
}

static const struct file_ops tty_fops = { .read = tty_read, .write = tty_write, .ioctl = tty_ioctl,
					  .poll = tty_pollfn, .open = tty_open };

/* /dev/tty, console and ttyS0; the UART is read at each tick and idle wake-up. */
void tty_init(void)
{
	devfs_register("tty", 5, 0, &tty_fops, 0666);
	devfs_register("console", 5, 1, &tty_fops, 0600);
	devfs_register("ttyS0", 4, 64, &tty_fops, 0660);
	sched_add_poller(tty_poll);
}
