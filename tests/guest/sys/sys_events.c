/* Guest syscall test: event files and epoll: eventfd (counter, semaphore,
 * non-blocking), timerfd (relative, absolute, periodic, both clocks),
 * signalfd, and epoll over pipes, AF_UNIX and AF_INET sockets, a
 * pseudo-terminal, eventfds, timerfds and epoll itself; level and edge
 * triggered, EPOLLONESHOT, epoll_pwait's mask.  Every line is the same
 * under Linux. */
#include "t.h"
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>

static long ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* One epoll_wait: the count and each event's mask and tag, in tag order. */
static void ew(const char *what, int ep, int ms)
{
	struct epoll_event ev[16];
	errno = 0;
	int n = epoll_wait(ep, ev, 16, ms);
	for (int i = 1; i < n; i++) /* sort by tag */
		for (int j = i; j > 0 && ev[j].data.u64 < ev[j - 1].data.u64; j--) {
			struct epoll_event x = ev[j];
			ev[j] = ev[j - 1], ev[j - 1] = x;
		}
	printf("%s: %d %s", what, n, n < 0 ? ename(errno) : "");
	for (int i = 0; i < n; i++)
		printf(" [%llu %#x]", (unsigned long long)ev[i].data.u64, ev[i].events);
	printf("\n");
}

static int add(int ep, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event e = { .events = events, .data.u64 = tag };
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

static volatile int got;
static void on_sig(int s) { got = s; }

int main(void)
{
	setvbuf(stdout, 0, _IONBF, 0);
	uint64_t v = 0;
	struct timespec t0;

	/* eventfd */
	T("eventfd2-bad-flags", eventfd(0, 0x40));
	int e = eventfd(3, 0);
	T("eventfd-read", read(e, &v, 8));
	printf("value: %llu\n", (unsigned long long)v);
	T("eventfd-read-short", read(e, &v, 4));
	v = ~0ull;
	T("eventfd-write-max", write(e, &v, 8));
	close(e);
	e = eventfd(0, EFD_NONBLOCK | EFD_SEMAPHORE | EFD_CLOEXEC);
	T("eventfd-nonblock-empty", read(e, &v, 8));
	v = 2;
	T("eventfd-write", write(e, &v, 8));
	T("sema-read-1", read(e, &v, 8));
	printf("sema value: %llu\n", (unsigned long long)v);
	T("sema-read-2", read(e, &v, 8));
	T("sema-read-3", read(e, &v, 8));
	v = 0xfffffffffffffffeull;
	T("eventfd-fill", write(e, &v, 8));
	v = 1;
	T("eventfd-full", write(e, &v, 8));
	struct pollfd pf = { e, POLLIN | POLLOUT, 0 };
	T("poll-full", poll(&pf, 1, 0));
	printf("revents: %#x\n", pf.revents);
	close(e);

	/* timerfd */
	T("timerfd-bad-clock", timerfd_create(99, 0));
	T("timerfd-bad-flags", timerfd_create(CLOCK_MONOTONIC, 0x40));
	int tf = timerfd_create(CLOCK_MONOTONIC, 0);
	struct itimerspec its = { { 0, 0 }, { 0, 50000000 } }, cur;
	struct itimerspec bad = { { 0, 0 }, { 0, 1000000000 } };
	T("timerfd-settime-bad-nsec", timerfd_settime(tf, 0, &bad, 0));
	T("timerfd-settime-bad-flags", timerfd_settime(tf, 8, &its, 0));
	T("timerfd-settime-ebadf", timerfd_settime(99, 0, &its, 0));
	T("timerfd-settime-not-timer", timerfd_settime(0, 0, &its, 0));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	T("timerfd-settime", timerfd_settime(tf, 0, &its, 0));
	T("timerfd-gettime", timerfd_gettime(tf, &cur));
	printf("armed: interval %ld value in (0, 50ms]: %d\n", cur.it_interval.tv_nsec,
	       cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 50000000);
	T("timerfd-read", read(tf, &v, 8));
	printf("expirations %llu after 50ms: %d\n", (unsigned long long)v, ms_since(&t0) >= 49);
	T("timerfd-gettime-disarmed", timerfd_gettime(tf, &cur));
	printf("disarmed: %ld %ld\n", cur.it_value.tv_sec, cur.it_value.tv_nsec);
	its = (struct itimerspec){ { 0, 20000000 }, { 0, 20000000 } };
	timerfd_settime(tf, 0, &its, 0);
	usleep(110000);
	T("timerfd-periodic-read", read(tf, &v, 8));
	printf("periodic expirations >= 4: %d\n", v >= 4 && v <= 6);
	struct itimerspec old, zero = { { 0, 0 }, { 0, 0 } };
	T("timerfd-disarm", timerfd_settime(tf, 0, &zero, &old));
	printf("old interval: %ld\n", old.it_interval.tv_nsec);
	close(tf);
	tf = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	T("timerfd-nonblock-unarmed", read(tf, &v, 8));
	its = (struct itimerspec){ { 0, 0 }, { 0, 1 } };
	T("timerfd-abstime-past", timerfd_settime(tf, TFD_TIMER_ABSTIME, &its, 0));
	T("timerfd-read-past", read(tf, &v, 8));
	printf("value: %llu\n", (unsigned long long)v);
	close(tf);
	tf = timerfd_create(CLOCK_REALTIME, 0);
	clock_gettime(CLOCK_REALTIME, &its.it_value);
	its.it_value.tv_nsec += 30000000;
	if (its.it_value.tv_nsec >= 1000000000)
		its.it_value.tv_sec++, its.it_value.tv_nsec -= 1000000000;
	T("timerfd-realtime-abstime", timerfd_settime(tf, TFD_TIMER_ABSTIME, &its, 0));
	T("timerfd-realtime-read", read(tf, &v, 8));
	close(tf);

	/* signalfd */
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	sigprocmask(SIG_BLOCK, &m, 0);
	T("signalfd-bad-size", syscall(SYS_signalfd4, -1, &m, 4, 0));
	T("signalfd-bad-flags", signalfd(-1, &m, 0x40));
	T("signalfd-not-signalfd", signalfd(0, &m, 0));
	int sf = signalfd(-1, &m, SFD_NONBLOCK);
	struct signalfd_siginfo si;
	T("signalfd-empty", read(sf, &si, sizeof si));
	raise(SIGUSR1);
	T("signalfd-read", read(sf, &si, sizeof si));
	printf("ssi_signo: %u\n", si.ssi_signo);
	T("signalfd-short", read(sf, &si, 8));
	sigaddset(&m, SIGUSR2);
	sigprocmask(SIG_BLOCK, &m, 0);
	T("signalfd-update", signalfd(sf, &m, 0) == sf);
	raise(SIGUSR2);

	/* epoll: errors */
	T("epoll_create-0", epoll_create(0));
	T("epoll_create1-bad", epoll_create1(1));
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int reg = open("/proc/self/status", O_RDONLY);
	T("ctl-regular-file", add(ep, reg, EPOLLIN, 1));
	T("ctl-self", add(ep, ep, EPOLLIN, 1));
	T("ctl-ebadf", add(ep, 99, EPOLLIN, 1));
	T("ctl-not-epoll", add(reg, sf, EPOLLIN, 1));
	T("ctl-del-missing", epoll_ctl(ep, EPOLL_CTL_DEL, sf, 0));
	T("ctl-mod-missing", epoll_ctl(ep, EPOLL_CTL_MOD, sf, &(struct epoll_event){ EPOLLIN, { 0 } }));
	T("ctl-bad-op", epoll_ctl(ep, 9, sf, &(struct epoll_event){ EPOLLIN, { 0 } }));
	T("ctl-efault", epoll_ctl(ep, EPOLL_CTL_ADD, sf, BADPTR));
	T("wait-maxevents-0", epoll_wait(ep, (struct epoll_event[1]){}, 0, 0));
	T("wait-not-epoll", epoll_wait(reg, (struct epoll_event[1]){}, 1, 0));
	T("wait-efault", epoll_wait(ep, BADPTR, 1, 0));
	ew("empty", ep, 0);

	/* signalfd in epoll: SIGUSR2 is pending */
	T("add-signalfd", add(ep, sf, EPOLLIN, 7));
	T("add-twice", add(ep, sf, EPOLLIN, 7));
	ew("signalfd ready", ep, 0);
	read(sf, &si, sizeof si);
	printf("ssi_signo: %u\n", si.ssi_signo);
	ew("signalfd drained", ep, 0);
	T("del-signalfd", epoll_ctl(ep, EPOLL_CTL_DEL, sf, 0));

	/* pipes: level and edge triggered, one-shot */
	int p[2], q[2];
	pipe(p);
	pipe(q);
	T("add-pipe-lt", add(ep, p[0], EPOLLIN, 1));
	T("add-pipe-et", add(ep, q[0], EPOLLIN | EPOLLET, 2));
	T("add-pipe-write-end", add(ep, p[1], EPOLLOUT, 3));
	ew("write end only", ep, 0);
	write(p[1], "a", 1);
	write(q[1], "b", 1);
	ew("both readable", ep, 0);
	ew("again: level stays, edge not", ep, 0);
	char c[8];
	read(q[0], c, 8);
	write(q[1], "c", 1);
	ew("edge again after drain", ep, 0);
	read(p[0], c, 8);
	read(q[0], c, 8);
	T("mod-oneshot", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &(struct epoll_event){ EPOLLIN | EPOLLONESHOT, { .u64 = 1 } }));
	T("del-write-end", epoll_ctl(ep, EPOLL_CTL_DEL, p[1], 0));
	write(p[1], "d", 1);
	ew("oneshot fires", ep, 0);
	ew("oneshot disabled", ep, 0);
	T("mod-rearm", epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &(struct epoll_event){ EPOLLIN, { .u64 = 1 } }));
	ew("rearmed", ep, 0);
	close(p[1]);
	read(p[0], c, 8);
	ew("writer gone: hangup", ep, 0);
	int d = dup(p[0]);
	close(p[0]);
	ew("closed but a dup keeps it", ep, 0);
	close(d);
	ew("last close removes it", ep, 0);

	/* blocking waits: an eventfd written by a child, a timerfd */
	e = eventfd(0, 0);
	add(ep, e, EPOLLIN, 4);
	pid_t pid = fork();
	if (!pid) {
		usleep(30000);
		v = 5;
		write(e, &v, 8);
		_exit(0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ew("eventfd from a child", ep, 2000);
	printf("waited for it: %d\n", ms_since(&t0) >= 25);
	read(e, &v, 8);
	tf = timerfd_create(CLOCK_MONOTONIC, 0);
	add(ep, tf, EPOLLIN, 5);
	its = (struct itimerspec){ { 0, 0 }, { 0, 40000000 } };
	timerfd_settime(tf, 0, &its, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ew("timerfd fires", ep, 2000);
	printf("after 40ms: %d\n", ms_since(&t0) >= 39);
	read(tf, &v, 8);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ew("timeout", ep, 50);
	printf("timed out after 50ms: %d\n", ms_since(&t0) >= 49);

	/* epoll_pwait: the signal its mask lets in interrupts it */
	signal(SIGUSR1, on_sig);
	raise(SIGUSR1); /* blocked: pending */
	sigset_t none;
	sigemptyset(&none);
	struct epoll_event ev1;
	T("epoll_pwait-signal", epoll_pwait(ep, &ev1, 1, 1000, &none));
	printf("handler ran: %d\n", got == SIGUSR1);
	sigset_t now;
	sigprocmask(SIG_BLOCK, 0, &now);
	printf("mask back: %d\n", sigismember(&now, SIGUSR1));

	/* AF_UNIX stream pair */
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	int ep2 = epoll_create1(0);
	add(ep2, sv[0], EPOLLIN | EPOLLOUT | EPOLLRDHUP, 10);
	ew("unix writable", ep2, 0);
	write(sv[1], "x", 1);
	ew("unix readable", ep2, 0);
	close(sv[1]);
	ew("unix peer closed", ep2, 0);
	close(sv[0]);

	/* epoll inside epoll; a loop is refused */
	int ep3 = epoll_create1(0);
	e = eventfd(1, 0);
	add(ep3, e, EPOLLIN, 20);
	T("add-epoll-in-epoll", add(ep2, ep3, EPOLLIN, 21));
	ew("nested ready", ep2, 0);
	T("epoll-loop", add(ep3, ep2, EPOLLIN, 22));
	pf = (struct pollfd){ ep3, POLLIN, 0 };
	T("poll-on-epoll", poll(&pf, 1, 0));
	printf("revents: %#x\n", pf.revents);

	/* AF_INET: a listener gets a connection, on loopback */
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	bind(ls, (struct sockaddr *)&a, sizeof a);
	listen(ls, 4);
	getsockname(ls, (struct sockaddr *)&a, &al);
	int ep4 = epoll_create1(0);
	add(ep4, ls, EPOLLIN, 30);
	ew("listener idle", ep4, 0);
	int cs = socket(AF_INET, SOCK_STREAM, 0);
	connect(cs, (struct sockaddr *)&a, sizeof a);
	ew("listener has a connection", ep4, 1000);
	int as = accept(ls, 0, 0);
	add(ep4, as, EPOLLIN | EPOLLET, 31);
	add(ep4, cs, EPOLLOUT, 32);
	ew("connected: client writable", ep4, 0);
	write(cs, "hello", 5);
	ew("server readable", ep4, 1000);
	read(as, c, 8);
	close(cs);
	ew("client closed", ep4, 1000);

	/* a pseudo-terminal: the slave is readable once a line is typed */
	int mfd = posix_openpt(O_RDWR | O_NOCTTY);
	grantpt(mfd);
	unlockpt(mfd);
	int sfd = open(ptsname(mfd), O_RDWR | O_NOCTTY);
	int ep5 = epoll_create1(0);
	add(ep5, sfd, EPOLLIN, 40);
	ew("tty idle", ep5, 0);
	write(mfd, "line\n", 5);
	ew("tty has a line", ep5, 1000);
	return 0;
}
