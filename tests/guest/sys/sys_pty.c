/* Guest syscall test: pseudo-terminals (issue 12: exec and attach with a
 * tty).  /dev/ptmx and /dev/pts/N as musl's posix_openpt, unlockpt and
 * ptsname use them; the line discipline seen from the master (echo, CRLF,
 * canonical and raw input); window size and SIGWINCH; a session that takes
 * the slave as its controlling tty gets ^C as SIGINT and /dev/tty; closing
 * either end (hang-up, EIO); TIOCGPTPEER. */
#include "t.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>

#ifndef TIOCGPTPEER
#define TIOCGPTPEER 0x5441
#endif

/* What the master can read now (waiting up to 200 ms for the first byte), escaped. */
static void drain(const char *name, int m)
{
	char buf[512], out[1100];
	int n = 0, k;
	struct pollfd p = { .fd = m, .events = POLLIN };
	while (poll(&p, 1, n ? 50 : 200) > 0 && (p.revents & POLLIN) && (k = read(m, buf + n, sizeof buf - n)) > 0)
		n += k;
	int o = 0;
	for (int i = 0; i < n; i++)
		o += (unsigned char)buf[i] < 32 ? sprintf(out + o, "\\%03o", (unsigned char)buf[i])
						: sprintf(out + o, "%c", buf[i]);
	out[o] = 0;
	printf("%s: %d \"%s\"\n", name, n, out);
	fflush(stdout);
}

static int open_pair(int *s)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || unlockpt(m))
		exit(1);
	*s = open(ptsname(m), O_RDWR | O_NOCTTY);
	return m;
}

static volatile int winches;
static void on_winch(int sig) { (void)sig, winches++; }

int main(void)
{
	char buf[256];
	int m = posix_openpt(O_RDWR | O_NOCTTY), s;
	T("posix_openpt", m >= 0);
	const char *name = ptsname(m);
	T("ptsname under /dev/pts/", name && !strncmp(name, "/dev/pts/", 9));
	T("open locked slave", open(name, O_RDWR | O_NOCTTY));
	T("unlockpt", unlockpt(m));
	T("open slave", (s = open(name, O_RDWR | O_NOCTTY)) >= 0);
	struct stat st;
	T("fstat slave", fstat(s, &st));
	T("slave is chr 136", S_ISCHR(st.st_mode) && major(st.st_rdev) == 136);
	T("stat path same rdev", stat(name, &st) == 0 && major(st.st_rdev) == 136);
	T("isatty master", isatty(m));
	T("isatty slave", isatty(s));
	int n;
	T("TIOCGPTN", ioctl(m, TIOCGPTN, &n) == 0 && !strcmp(name + 9, (sprintf(buf, "%d", n), buf)));
	T("TIOCGPTN on slave", ioctl(s, TIOCGPTN, &n));

	/* canonical input, echo and output processing */
	T("master write", write(m, "hello\n", 6));
	T("slave read line", read(s, buf, sizeof buf));
	drain("echo of a line", m);
	T("slave write", write(s, "a\nb", 3));
	drain("slave output", m);
	T("master write partial line", write(m, "ab\177c", 4));
	T("nonblocking slave read, no line yet", (fcntl(s, F_SETFL, O_NONBLOCK), read(s, buf, sizeof buf)));
	fcntl(s, F_SETFL, 0);
	T("master write end of line", write(m, "\n", 1));
	n = read(s, buf, sizeof buf);
	buf[n > 0 ? n : 0] = 0;
	printf("edited line: %d %s", n, buf);
	drain("echo with erase", m);
	T("master ^D on empty line", write(m, "\004", 1));
	T("slave read end of file", read(s, buf, sizeof buf));
	int q;
	T("FIONREAD master empty", ioctl(m, FIONREAD, &q) == 0 ? q : -1);
	T("nonblocking master read", (fcntl(m, F_SETFL, O_NONBLOCK), read(m, buf, sizeof buf)));
	fcntl(m, F_SETFL, 0);

	/* raw mode */
	struct termios t;
	T("tcgetattr slave", tcgetattr(s, &t));
	cfmakeraw(&t);
	T("tcsetattr raw", tcsetattr(s, TCSANOW, &t));
	T("master write raw", write(m, "x\ry", 3));
	T("slave read raw", read(s, buf, sizeof buf));
	drain("no echo in raw mode", m);
	T("slave write raw", write(s, "p\nq", 3));
	drain("raw output", m);

	/* window size */
	struct winsize ws = { .ws_row = 30, .ws_col = 100 }, got = { 0 };
	T("TIOCSWINSZ master", ioctl(m, TIOCSWINSZ, &ws));
	T("TIOCGWINSZ slave", ioctl(s, TIOCGWINSZ, &got) == 0 ? got.ws_row * 1000 + got.ws_col : -1);

	/* a session on the slave: /dev/tty, ^C, SIGWINCH */
	close(s);
	close(m);
	m = open_pair(&s);
	int sync[2];
	if (pipe(sync))
		return 1;
	pid_t c = fork();
	if (c == 0) {
		close(m);
		signal(SIGWINCH, on_winch);
		setsid();
		if (ioctl(s, TIOCSCTTY, 0))
			_exit(10);
		int t2 = open("/dev/tty", O_RDWR);
		if (t2 < 0)
			_exit(11);
		if (write(t2, "via /dev/tty\n", 13) != 13)
			_exit(12);
		if (tcgetpgrp(s) != getpid())
			_exit(13);
		if (write(sync[1], "r", 1) != 1)
			_exit(14);
		while (!winches)
			usleep(1000);
		if (write(sync[1], "w", 1) != 1)
			_exit(15);
		read(s, buf, sizeof buf); /* until ^C */
		_exit(16);
	}
	close(s);
	T("child ready", read(sync[0], buf, 1));
	drain("child wrote via /dev/tty", m);
	ws.ws_row = 40;
	T("TIOCSWINSZ with a foreground group", ioctl(m, TIOCSWINSZ, &ws));
	T("child heard SIGWINCH", read(sync[0], buf, 1));
	usleep(50000);
	T("master ^C", write(m, "\003", 1));
	int status = 0;
	T("wait child", waitpid(c, &status, 0) == c);
	printf("child killed by SIGINT: %d\n", WIFSIGNALED(status) && WTERMSIG(status) == SIGINT);
	drain("echo of ^C", m);
	T("master read, slave closed", read(m, buf, sizeof buf));
	struct pollfd p = { .fd = m, .events = POLLIN };
	T("poll master, slave closed", poll(&p, 1, 0) == 1 ? p.revents & (POLLHUP | POLLIN) : -1);
	close(m);

	/* the master goes first */
	m = open_pair(&s);
	T("close master", close(m));
	T("slave read after hang-up", read(s, buf, sizeof buf));
	T("slave write after hang-up", write(s, "x", 1));
	T("reopen slave after hang-up", open(name, O_RDWR | O_NOCTTY));
	close(s);

	/* TIOCGPTPEER */
	m = posix_openpt(O_RDWR | O_NOCTTY);
	unlockpt(m);
	int peer = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	T("TIOCGPTPEER", peer >= 0);
	T("peer is a tty", isatty(peer));
	T("write via peer", write(peer, "z", 1));
	drain("peer output", m);
	close(peer);
	close(m);
	T("open /dev/ptmx again", (m = open("/dev/ptmx", O_RDWR)) >= 0);
	close(m);
	return 0;
}
