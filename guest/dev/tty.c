/*
 * Terminals (guest ring 0): the line discipline every tty shares, and the
 * console tty on the serial port, whose input comes with its receive
 * interrupt (ISA IRQ 4 or 3, routed through the IOAPIC) or, where that
 * cannot be had, at the tick.  Canonical mode edits a line
 * (erase, kill, ^D end of file) and echoes it; raw mode hands bytes over as
 * they come; ^C, ^\ and ^Z signal the foreground process group, and a
 * background group that reads is stopped.  ioctls: termios, process groups,
 * window size.  A pseudo-terminal's slave (pty.c) is a tty whose driver
 * hands its output to the master.
 */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "dev/dev.h"
#include "dev/irq.h"

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

/* Linux's defaults (stty sane): what a new tty starts with. */
static const struct termios_k sane = {
	.iflag = ICRNL | 02000, .oflag = 1 | 4, .cflag = 02277,
	.lflag = ISIG | ICANON | ECHO | ECHOE | 040 | ECHOCTL | 04000 | 0100000,
	.cc = { 3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0x0f, 0x17, 0x16 },
};

static struct tty console;
static int uart_irq; /* the UART's receive interrupt is routed: no tick poll */
static u64 overruns_told;

/* What the UART received (and what the output loop kept of it) goes through
 * the line discipline.  Its echo comes back here through console_output:
 * the outer call takes what arrives meanwhile. */
static void console_input(void)
{
	static int busy;
	int c;
	if (busy)
		return;
	busy = 1;
	while (!console_raw && (c = console_poll()) >= 0)
		tty_input(&console, c);
	busy = 0;
	if (console_overruns != overruns_told) {
		klog("ttyS0: %llu input overrun(s)\n", console_overruns - overruns_told);
		overruns_told = console_overruns;
	}
}

static void console_irq(void *arg)
{
	(void)arg;
	console_input();
}

/* The tick's part: all the UART's input without its interrupt; with it, only
 * bytes the output loop kept while no interrupt could come. */
static void console_tick(void)
{
	if (!uart_irq || console_kept())
		console_input();
}

static u64 console_output(struct tty *t, const char *s, u64 n)
{
	(void)t;
	console_write(s, n);
	console_input(); /* what the UART received while we waited on it */
	return n;
}
u64 prompt_tsc;

void tty_setup(struct tty *t, u64 (*output)(struct tty *t, const char *s, u64 n))
{
	memset(t, 0, sizeof *t);
	t->t = sane;
	t->ws = (struct winsize_k){ 24, 80, 0, 0 };
	t->output = output;
}

static void echo(struct tty *t, const char *s, u64 n)
{
	if (t->t.lflag & ECHO)
		t->output(t, s, n);
}

static void push(struct tty *t, u8 c)
{
	if (t->head - t->tail < TTY_RING)
		t->ring[t->head++ % TTY_RING] = c;
}

/* Room for one more byte of input (the line being edited counts too). */
int tty_room(const struct tty *t)
{
	return t->head - t->tail + t->len < TTY_RING - 1;
}

void tty_input(struct tty *tty, int c)
{
	struct termios_k *t = &tty->t;
	if (c == '\r' && (t->iflag & IGNCR))
		return;
	if (c == '\r' && (t->iflag & ICRNL))
		c = '\n';
	else if (c == '\n' && (t->iflag & INLCR))
		c = '\r';
	if ((t->lflag & ISIG) && c && (c == t->cc[VINTR] || c == t->cc[VQUIT] || c == t->cc[VSUSP])) {
		int sig = c == t->cc[VINTR] ? SIGINT : c == t->cc[VQUIT] ? SIGQUIT : SIGTSTP;
		char e[2] = { '^', (char)(c < 32 ? c + 64 : '?') }; /* as ECHOCTL shows it, no newline */
		echo(tty, e, 2);
		tty->len = 0;
		tty->head = tty->tail = 0;
		if (tty->pgrp)
			kill_pgrp(tty->pgrp, sig);
		wakeup(tty);
		return;
	}
	if (!(t->lflag & ICANON)) {
		push(tty, (u8)c);
		char ch = (char)c;
		echo(tty, &ch, 1);
		wakeup(tty);
		return;
	}
	if (c == t->cc[VERASE] || c == 8) {
		if (tty->len) {
			tty->len--;
			echo(tty, "\b \b", 3);
		}
	} else if (c == t->cc[VKILL]) {
		while (tty->len) {
			tty->len--;
			echo(tty, "\b \b", 3);
		}
	} else if (c == t->cc[VEOF]) {
		if (!tty->len)
			tty->eof = 1;
		for (u32 i = 0; i < tty->len; i++)
			push(tty, (u8)tty->line[i]);
		tty->len = 0;
		wakeup(tty);
	} else if (c == '\n') {
		for (u32 i = 0; i < tty->len; i++)
			push(tty, (u8)tty->line[i]);
		push(tty, '\n');
		tty->len = 0;
		echo(tty, "\n", 1);
		wakeup(tty);
	} else if (tty->len < sizeof tty->line - 1) {
		tty->line[tty->len++] = (char)c;
		char ch = (char)c;
		echo(tty, &ch, 1);
	}
}

/* A background process group of the tty's session that reads it (or, for
 * sig SIGTTOU, sets its foreground group) is stopped by sig, unless it
 * ignores or blocks it: then the read fails with EIO, the set goes ahead. */
static int background(struct tty *tty, int sig)
{
	struct task *c = current;
	if (c->sid != tty->sid || c->pgid == tty->pgrp)
		return 0;
	if (c->sighand->sa[sig].handler == SIG_IGN || (c->sigmask & (1ull << (sig - 1))))
		return sig == SIGTTIN ? -EIO : 0;
	kill_pgrp(c->pgid, sig);
	return -ERESTART;
}

static s64 tty_read(struct file *f, u64 ubuf, u64 n)
{
	struct tty *tty = f->priv;
	int r = background(tty, SIGTTIN);
	if (r)
		return r;
	while (tty->head == tty->tail) {
		if (tty->eof) {
			tty->eof = 0;
			return 0;
		}
		if (tty->hungup || (!(tty->t.lflag & ICANON) && tty->t.cc[VMIN] == 0))
			return 0;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		if (signal_pending())
			return -ERESTART;
		if (!prompt_tsc && tty == &console)
			prompt_tsc = rdtsc(); /* the first wait for input: the shell's prompt is out */
		sleep_on(tty);
	}
	u8 buf[256];
	u64 k = 0;
	while (k < n && k < sizeof buf && tty->head != tty->tail) {
		u8 c = tty->ring[tty->tail++ % TTY_RING];
		buf[k++] = c;
		if (c == '\n' && (tty->t.lflag & ICANON))
			break;
	}
	wakeup(&tty->ring); /* room for a writer of input (a pty's master) */
	return copy_to_user(ubuf, buf, k) ? -EFAULT : (s64)k;
}

/* Writes n user bytes through take(t, chunk) in chunks; a short take
 * blocks the writer on chan (EAGAIN with O_NONBLOCK, ERESTART on a signal)
 * until whoever makes room wakes it; a hung-up tty ends it with EIO. */
s64 tty_feed(struct file *f, u64 ubuf, u64 n, struct tty *t, u64 (*take)(struct tty *t, const char *s, u64 n),
	     const void *chan)
{
	char buf[256];
	u64 done = 0;
	while (done < n) {
		if (t->hungup)
			return done ? (s64)done : -EIO;
		u64 k = n - done < sizeof buf ? n - done : sizeof buf;
		if (copy_from_user(buf, ubuf + done, k))
			return done ? (s64)done : -EFAULT;
		u64 w = take(t, buf, k);
		done += w;
		if (w < k) {
			if (f->flags & O_NONBLOCK)
				return done ? (s64)done : -EAGAIN;
			if (signal_pending())
				return done ? (s64)done : -ERESTART;
			sleep_on(chan);
		}
	}
	return (s64)n;
}

/* Output goes to the driver as it takes it (a pty's master that does not
 * read makes the writer wait). */
static s64 tty_write(struct file *f, u64 ubuf, u64 n)
{
	struct tty *tty = f->priv;
	return tty_feed(f, ubuf, n, tty, tty->output, &tty->output);
}

static int tty_pollfn(struct file *f)
{
	struct tty *tty = f->priv;
	if (tty == &console) {
		console_tick();
		if (!prompt_tsc && tty->head == tty->tail)
			prompt_tsc = rdtsc();
	}
	if (tty->hungup)
		return POLLIN | POLLOUT | POLLERR | POLLHUP;
	return POLLOUT | (tty->head != tty->tail || tty->eof ? POLLIN : 0);
}

/* The window size changes: the foreground group hears SIGWINCH. */
int tty_set_winsize(struct tty *tty, u64 arg)
{
	struct winsize_k ws;
	if (copy_from_user(&ws, arg, sizeof ws))
		return -EFAULT;
	if (memcmp(&ws, &tty->ws, sizeof ws) && tty->pgrp)
		kill_pgrp(tty->pgrp, SIGWINCH);
	tty->ws = ws;
	return 0;
}

static s64 tty_ioctl(struct file *f, u64 cmd, u64 arg)
{
	struct tty *tty = f->priv;
	int v, r;
	switch (cmd) {
	case 0x5401: /* TCGETS */
		return copy_to_user(arg, &tty->t, sizeof tty->t) ? -EFAULT : 0;
	case 0x5402: case 0x5403: case 0x5404: { /* TCSETS, TCSETSW, TCSETSF */
		struct termios_k t;
		if (copy_from_user(&t, arg, sizeof t))
			return -EFAULT;
		if (cmd == 0x5404)
			tty->head = tty->tail = 0;
		if ((tty->t.lflag & ICANON) && !(t.lflag & ICANON) && tty->len) {
			for (u32 i = 0; i < tty->len; i++) /* pending edit becomes input */
				push(tty, (u8)tty->line[i]);
			tty->len = 0;
		}
		tty->t = t;
		return 0;
	}
	case 0x540F: /* TIOCGPGRP */
		return copy_to_user(arg, &tty->pgrp, 4) ? -EFAULT : 0;
	case 0x5410: /* TIOCSPGRP */
		if (copy_from_user(&v, arg, 4))
			return -EFAULT;
		if (v <= 0)
			return -EINVAL;
		if (current->sid != tty->sid)
			return -ENOTTY;
		if ((r = background(tty, SIGTTOU)))
			return r;
		tty->pgrp = v;
		return 0;
	case 0x5429: /* TIOCGSID */
		v = current->sid;
		return copy_to_user(arg, &v, 4) ? -EFAULT : 0;
	case 0x5413: /* TIOCGWINSZ */
		return copy_to_user(arg, &tty->ws, sizeof tty->ws) ? -EFAULT : 0;
	case 0x5414: /* TIOCSWINSZ */
		return tty_set_winsize(tty, arg);
	case 0x541B: /* FIONREAD */
		v = (int)(tty->head - tty->tail);
		return copy_to_user(arg, &v, 4) ? -EFAULT : 0;
	case 0x540E: /* TIOCSCTTY: the caller's session takes the tty */
		if (tty->sb == &sandbox_root && current->sb != &sandbox_root) { /* handed in: it moves */
			sandbox_get(current->sb);
			sandbox_put(tty->sb);
			tty->sb = current->sb;
		}
		tty->sid = current->sid;
		tty->pgrp = current->pgid;
		return 0;
	case 0x5422: /* TIOCNOTTY */
		return 0;
	case 0x540B: /* TCFLSH */
		tty->head = tty->tail = 0;
		wakeup(&tty->ring);
		return 0;
	case 0x5409: case 0x540A: /* TCSBRK, TCXONC */
		return 0;
	}
	return -ENOTTY;
}

/* /dev/tty is the caller's controlling tty: the pseudo-terminal or the
 * console its session took; a session without one gets ENXIO, as on Linux
 * (so a container's process never reaches the host's console this way). */
static int tty_open(struct file *f)
{
	struct tty *tty = f->ino->priv;
	if (!tty && f->ino->rdev == ((5 << 8) | 0)) {
		tty = pty_of_session(current->sid);
		if (!tty && (!console.sid || console.sid == current->sid))
			tty = &console;
		if (!tty)
			return -ENXIO;
	}
	if (!tty)
		tty = &console;
	if (tty == &console && !console.pgrp) {
		console.pgrp = current->pgid ? current->pgid : 1;
		console.sid = current->sid ? current->sid : 1;
	}
	int r = tty->open ? tty->open(tty) : 0;
	if (!r)
		f->priv = tty;
	return r;
}

static void tty_release(struct file *f)
{
	struct tty *tty = f->priv; /* NULL: its open failed */
	if (tty && tty->release)
		tty->release(tty);
}

const struct file_ops tty_fops = { .read = tty_read, .write = tty_write, .ioctl = tty_ioctl,
				   .poll = tty_pollfn, .open = tty_open, .release = tty_release };

/* The console UART's receive interrupt: its ISA IRQ (COM1 and COM3 4, COM2
 * and COM4 3) to the GSI the MADT gives it, on a vector of its own.  0, or
 * -errno when it cannot be had (another port, no IOAPIC). */
static int console_irq_route(void)
{
	u16 port = boot_info->serial_port;
	u32 isa = port == 0x3f8 || port == 0x3e8 ? 4 : port == 0x2f8 || port == 0x2e8 ? 3 : 16, gsi;
	int level, low, vec = 0, r = irq_isa_gsi(isa, &gsi, &level, &low);
	if (!r)
		r = vec = irq_alloc(console_irq, 0, "ttyS0");
	if (vec > 0)
		r = irq_route_gsi(gsi, vec, level, low);
	if (r)
		return r;
	console_rx_irq_on();
	kprintf("guest: ttyS0 at I/O 0x%x (GSI %u, vector 0x%x)\n", port, gsi, vec);
	return 0;
}

/* /dev/tty, console and ttyS0; the UART's input by interrupt, else at
 * each tick and idle wake-up. */
void tty_init(void)
{
	tty_setup(&console, console_output);
	devfs_register("tty", 5, 0, &tty_fops, 0666);
	devfs_register("console", 5, 1, &tty_fops, 0600);
	devfs_register("ttyS0", 4, 64, &tty_fops, 0660);
	uart_irq = console_irq_route() == 0;
	if (!uart_irq)
		kprintf("guest: ttyS0: no receive interrupt, polled at the tick\n");
	sched_add_poller(console_tick);
	console_input(); /* what came before the interrupt was on */
	pty_init();
}
