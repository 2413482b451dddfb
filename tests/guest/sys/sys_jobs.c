/* Guest syscall test: job control (issue 11, item 5).  Stop signals stop a
 * child (state T in /proc/<pid>/stat), SIGCONT resumes it, wait4 reports
 * both with WUNTRACED and WCONTINUED, the parent hears SIGCHLD unless it set
 * SA_NOCLDSTOP; a handled SIGTSTP does not stop, a stopped child still dies
 * of SIGKILL and keeps other signals pending until it goes on. */
#include "t.h"
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

static volatile int chlds, tstps;

static void on_chld(int s) { (void)s, chlds++; }
static void on_tstp(int s) { (void)s, tstps++; }

/* SIGCHLDs since the last call; on SMP Linux a parent's wait4 may see the
 * stop before the signal comes: give it time. */
static int chld_seen(void)
{
	usleep(20000);
	int n = chlds;
	chlds = 0;
	return n;
}

static void catch_chld(int flags)
{
	struct sigaction sa = { .sa_handler = on_chld, .sa_flags = flags | SA_RESTART };
	sigaction(SIGCHLD, &sa, 0);
}

/* A child that waits for signals; with a SIGTSTP handler when asked, which
 * reports each SIGTSTP through the pipe. */
static pid_t idler(int handle_tstp, int *rfd)
{
	int p[2];
	if (pipe(p))
		exit(1);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		sigset_t block, wait;
		sigemptyset(&block);
		sigaddset(&block, SIGTSTP);
		sigprocmask(SIG_BLOCK, &block, &wait); /* no SIGTSTP between the check and the wait */
		if (handle_tstp) {
			struct sigaction sa = { .sa_handler = on_tstp };
			sigaction(SIGTSTP, &sa, 0);
		}
		write(p[1], "r", 1);
		for (int seen = 0;;) {
			for (; seen < tstps; seen++)
				write(p[1], "t", 1);
			sigsuspend(&wait);
		}
	}
	close(p[1]);
	char c;
	read(p[0], &c, 1);
	*rfd = p[0];
	return pid;
}

static char proc_state(pid_t pid)
{
	char path[64], buf[256];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	int fd = open(path, O_RDONLY);
	long n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	return p && p[1] ? p[2] : '?';
}

static void status(const char *name, pid_t pid, int options)
{
	int st = 0;
	pid_t r = waitpid(pid, &st, options);
	if (r <= 0) {
		printf("%s: %d %s\n", name, (int)r, r < 0 ? ename(errno) : "");
	} else if (WIFSTOPPED(st)) {
		printf("%s: stopped by %d\n", name, WSTOPSIG(st));
	} else if (WIFCONTINUED(st)) {
		printf("%s: continued\n", name);
	} else if (WIFSIGNALED(st)) {
		printf("%s: killed by %d\n", name, WTERMSIG(st));
	} else {
		printf("%s: exited %d\n", name, WEXITSTATUS(st));
	}
	fflush(stdout);
}

static void stop_and_go(int sig)
{
	int fd, n;
	char name[32];
	pid_t c = idler(0, &fd);
	chld_seen();
	snprintf(name, sizeof name, "stop-%d", sig);
	T(name, kill(c, sig));
	status("wait-stopped", c, WUNTRACED);
	n = chld_seen();
	printf("state %c chld %d\n", proc_state(c), n);
	status("wait-stopped-again", c, WUNTRACED | WNOHANG);
	status("wait-plain", c, WNOHANG);
	T("cont", kill(c, SIGCONT));
	status("wait-continued", c, WCONTINUED);
	n = chld_seen();
	printf("stopped %d chld %d\n", proc_state(c) == 'T', n); /* running or sleeping: a race */
	status("wait-continued-again", c, WCONTINUED | WNOHANG);
	kill(c, SIGKILL);
	status("wait-killed", c, 0);
	close(fd);
}

int main(void)
{
	setvbuf(stdout, 0, _IOLBF, 0);
	/* a group of our own: our parent is in another group of the session,
	 * so Linux does not discard SIGTSTP, SIGTTIN and SIGTTOU as sent to
	 * an orphaned group */
	setpgid(0, 0);
	catch_chld(0);
	stop_and_go(SIGSTOP);
	stop_and_go(SIGTSTP);
	stop_and_go(SIGTTIN);
	stop_and_go(SIGTTOU);

	/* SIGCONT to a child that is not stopped: nothing to report */
	int fd;
	char c;
	pid_t p = idler(0, &fd);
	T("cont-running", kill(p, SIGCONT));
	status("wait-cont-running", p, WCONTINUED | WNOHANG);

	/* a stopped child keeps SIGTERM pending, and dies of it on SIGCONT */
	kill(p, SIGSTOP);
	status("stopped", p, WUNTRACED);
	T("term-stopped", kill(p, SIGTERM));
	status("wait-term-stopped", p, WNOHANG | WUNTRACED);
	printf("state %c\n", proc_state(p));
	kill(p, SIGCONT);
	status("wait-term", p, 0);
	close(fd);

	/* SIGKILL ends a stopped child */
	p = idler(0, &fd);
	kill(p, SIGSTOP);
	status("stopped", p, WUNTRACED);
	kill(p, SIGKILL);
	status("wait-kill-stopped", p, WUNTRACED);
	close(fd);

	/* a handled SIGTSTP does not stop */
	p = idler(1, &fd);
	kill(p, SIGTSTP);
	T("tstp-handled", read(fd, &c, 1));
	usleep(20000);
	printf("got %c stopped %d\n", c, proc_state(p) == 'T');
	status("wait-tstp-handled", p, WUNTRACED | WNOHANG);
	kill(p, SIGKILL);
	status("wait-killed", p, 0);
	close(fd);

	/* a child stops itself, and goes on to exit */
	p = fork();
	if (p == 0) {
		raise(SIGSTOP);
		_exit(7);
	}
	status("self-stop", p, WUNTRACED);
	kill(p, SIGCONT);
	status("self-stop-exit", p, WUNTRACED);

	/* SA_NOCLDSTOP: no SIGCHLD for stop and continue, one for the exit */
	catch_chld(SA_NOCLDSTOP);
	p = idler(0, &fd);
	chld_seen();
	kill(p, SIGSTOP);
	status("nocldstop-stopped", p, WUNTRACED);
	kill(p, SIGCONT);
	status("nocldstop-continued", p, WCONTINUED);
	printf("chld %d\n", chld_seen());
	kill(p, SIGKILL);
	status("nocldstop-killed", p, 0);
	printf("chld %d\n", chld_seen());
	close(fd);

	/* the stop reaches every member of a process group */
	pid_t a = idler(0, &fd), b;
	int fd2;
	setpgid(a, a);
	b = idler(0, &fd2);
	setpgid(b, a);
	T("killpg-stop", kill(-a, SIGSTOP));
	status("pgrp-a", a, WUNTRACED);
	status("pgrp-b", b, WUNTRACED);
	T("killpg-cont", kill(-a, SIGCONT));
	status("pgrp-a-cont", a, WCONTINUED);
	status("pgrp-b-cont", b, WCONTINUED);
	kill(-a, SIGKILL);
	status("pgrp-a-end", a, 0);
	status("pgrp-b-end", b, 0);
	status("none-left", -1, WNOHANG);
	return 0;
}
