/* Guest syscall test: futex(2) edge cases, raw: wrong values, bad
 * addresses and times, timeouts relative and absolute on both clocks,
 * bitsets, requeue, and interruption by a signal with and without
 * SA_RESTART.  Every line is the same under Linux. */
#include "t.h"
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

/* <linux/futex.h>'s values (musl-gcc has no kernel headers) */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_WAIT_PRIVATE (FUTEX_WAIT | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_PRIVATE (FUTEX_WAKE | FUTEX_PRIVATE_FLAG)

static long fx(uint32_t *a, int op, uint32_t v, const struct timespec *ts, uint32_t *a2, uint32_t v3)
{
	return syscall(SYS_futex, a, op, v, ts, a2, v3);
}

static uint32_t A, B;
static volatile int started;
static long results[8];

struct wait_arg {
	int idx, op;
	uint32_t *addr, bits;
};

static void *waiter(void *p)
{
	struct wait_arg *w = p;
	__atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
	errno = 0;
	long r = fx(w->addr, w->op, 0, 0, 0, w->bits);
	results[w->idx] = r < 0 ? -errno : r;
	return 0;
}

/* Starts n waiters on addr and lets them sleep. */
static pthread_t th[8];
static struct wait_arg wa[8];
static void start(int n, uint32_t *addr, int op, uint32_t bits)
{
	started = 0;
	for (int i = 0; i < n; i++) {
		wa[i] = (struct wait_arg){ i, op, addr, bits };
		results[i] = 99;
		pthread_create(&th[i], 0, waiter, &wa[i]);
	}
	while (started < n)
		usleep(1000);
	usleep(20000);
}

static void join(int n, const char *what)
{
	for (int i = 0; i < n; i++)
		pthread_join(th[i], 0);
	printf("%s:", what);
	for (int i = 0; i < n; i++)
		printf(" %ld", results[i]);
	printf("\n");
}

static void on_usr1(int s) { (void)s; }

int main(void)
{
	setvbuf(stdout, 0, _IONBF, 0);
	struct timespec ts = { 0, 30000000 }, bad = { 0, 1000000000 }, neg = { -1, 0 }, past = { 1, 0 };
	A = 1;
	T("wait-wrong-value", fx(&A, FUTEX_WAIT, 0, 0, 0, 0));
	T("wait-private-wrong-value", fx(&A, FUTEX_WAIT_PRIVATE, 0, 0, 0, 0));
	T("wait-unaligned", fx((uint32_t *)((char *)&A + 1), FUTEX_WAIT, 1, 0, 0, 0));
	T("wait-badptr", fx(BADPTR, FUTEX_WAIT, 0, 0, 0, 0));
	T("wait-kptr", fx(KPTR, FUTEX_WAIT, 0, 0, 0, 0));
	T("wait-bad-nsec", fx(&A, FUTEX_WAIT, 1, &bad, 0, 0));
	T("wait-neg-sec", fx(&A, FUTEX_WAIT, 1, &neg, 0, 0));
	T("wait-bad-timeout-ptr", fx(&A, FUTEX_WAIT, 1, BADPTR, 0, 0));
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	T("wait-relative-timeout", fx(&A, FUTEX_WAIT, 1, &ts, 0, 0));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
	printf("waited at least 30 ms: %d\n", ms >= 29);
	T("wait-bitset-abs-past", fx(&A, FUTEX_WAIT_BITSET, 1, &past, 0, ~0u));
	T("wait-bitset-realtime-abs-past", fx(&A, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 1, &past, 0, ~0u));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct timespec dl = t0;
	dl.tv_nsec += 20000000;
	if (dl.tv_nsec >= 1000000000)
		dl.tv_sec++, dl.tv_nsec -= 1000000000;
	T("wait-bitset-abs-monotonic", fx(&A, FUTEX_WAIT_BITSET, 1, &dl, 0, ~0u));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("absolute deadline reached: %d\n", t1.tv_sec > dl.tv_sec || (t1.tv_sec == dl.tv_sec && t1.tv_nsec >= dl.tv_nsec));
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 0, dl.tv_nsec += 20000000;
	if (dl.tv_nsec >= 1000000000)
		dl.tv_sec++, dl.tv_nsec -= 1000000000;
	T("wait-realtime-abs", fx(&A, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 1, &dl, 0, ~0u));
	T("wait-bitset-zero", fx(&A, FUTEX_WAIT_BITSET, 1, 0, 0, 0));
	T("wake-bitset-zero", fx(&A, FUTEX_WAKE_BITSET, 1, 0, 0, 0));
	T("wake-nobody", fx(&A, FUTEX_WAKE, 1, 0, 0, 0));
	T("wake-badptr", fx(BADPTR, FUTEX_WAKE, 1, 0, 0, 0));
	T("wake-realtime", fx(&A, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, 0, 0, 0));
	T("unknown-op", fx(&A, 99, 1, 0, 0, 0));
	T("requeue-negative", fx(&A, FUTEX_CMP_REQUEUE, 1, (struct timespec *)-1L, &B, 0));

	A = 0;
	start(2, &A, FUTEX_WAIT, 0);
	T("wake-one-of-two", fx(&A, FUTEX_WAKE, 1, 0, 0, 0));
	usleep(20000);
	T("wake-the-other", fx(&A, FUTEX_WAKE, 5, 0, 0, 0));
	join(2, "waiters");

	start(2, &A, FUTEX_WAIT_BITSET, 1);
	T("wake-bitset-miss", fx(&A, FUTEX_WAKE_BITSET, 9, 0, 0, 2));
	T("wake-bitset-hit", fx(&A, FUTEX_WAKE_BITSET, 9, 0, 0, 3));
	join(2, "bitset waiters");

	start(2, &A, FUTEX_WAIT_PRIVATE, 0);
	T("private-wake-of-private", fx(&A, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0));
	T("shared-wake-misses-private-waiter", fx(&A, FUTEX_WAKE, 1, 0, 0, 0));
	T("private-wake-of-the-other", fx(&A, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0));
	join(2, "private waiters");

	start(4, &A, FUTEX_WAIT, 0);
	T("cmp-requeue-mismatch", fx(&A, FUTEX_CMP_REQUEUE, 1, (struct timespec *)2L, &B, 7));
	T("cmp-requeue", fx(&A, FUTEX_CMP_REQUEUE, 1, (struct timespec *)2L, &B, 0));
	usleep(20000);
	T("wake-A-after-requeue", fx(&A, FUTEX_WAKE, 9, 0, 0, 0));
	T("wake-B-requeued", fx(&B, FUTEX_WAKE, 9, 0, 0, 0));
	usleep(20000);
	T("requeue-rest", fx(&A, FUTEX_REQUEUE, 0, (struct timespec *)9L, &B, 0));
	T("wake-B-rest", fx(&B, FUTEX_WAKE, 9, 0, 0, 0));
	join(4, "requeued waiters");

	/* a signal: EINTR without SA_RESTART; with it the wait goes on */
	struct sigaction sa = { .sa_handler = on_usr1 };
	sigaction(SIGUSR1, &sa, 0);
	start(1, &A, FUTEX_WAIT, 0);
	pthread_kill(th[0], SIGUSR1);
	join(1, "interrupted without SA_RESTART");
	sa.sa_flags = SA_RESTART;
	sigaction(SIGUSR1, &sa, 0);
	start(1, &A, FUTEX_WAIT, 0);
	pthread_kill(th[0], SIGUSR1);
	usleep(20000);
	T("wake-restarted", fx(&A, FUTEX_WAKE, 1, 0, 0, 0));
	join(1, "restarted with SA_RESTART");
	return 0;
}
