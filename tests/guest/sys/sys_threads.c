/* Guest syscall test: threads (musl's pthreads over clone, futex,
 * set_tid_address).  64 threads contend on mutexes and condition variables;
 * threads exit while others join or wait on them; a thread group's ids,
 * signals, exits and exec.  Every line is the same under Linux. */
#include "t.h"
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#define NT 64
#define ROUNDS 2000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long counter, turns[NT];

/* Each increments the shared counter under the lock, ROUNDS times. */
static void *adder(void *arg)
{
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&lock);
		counter++;
		turns[(long)arg]++;
		pthread_mutex_unlock(&lock);
		if (i % 64 == 0)
			sched_yield();
	}
	return arg;
}

/* A bounded queue: producers and consumers wait on condition variables. */
#define QCAP 4
static int q[QCAP], qn, qhead, done_producers;
static pthread_cond_t notfull = PTHREAD_COND_INITIALIZER, notempty = PTHREAD_COND_INITIALIZER;
static long consumed_sum, consumed_count;

static void *producer(void *arg)
{
	long base = (long)arg * 1000;
	for (int i = 1; i <= 200; i++) {
		pthread_mutex_lock(&lock);
		while (qn == QCAP)
			pthread_cond_wait(&notfull, &lock);
		q[(qhead + qn++) % QCAP] = (int)(base + i);
		pthread_cond_signal(&notempty);
		pthread_mutex_unlock(&lock);
	}
	pthread_mutex_lock(&lock);
	done_producers++;
	pthread_cond_broadcast(&notempty);
	pthread_mutex_unlock(&lock);
	return 0;
}

static int nproducers;
static void *consumer(void *arg)
{
	(void)arg;
	for (;;) {
		pthread_mutex_lock(&lock);
		while (!qn && done_producers < nproducers)
			pthread_cond_wait(&notempty, &lock);
		if (!qn) {
			pthread_mutex_unlock(&lock);
			return 0;
		}
		int v = q[qhead];
		qhead = (qhead + 1) % QCAP;
		qn--;
		consumed_sum += v;
		consumed_count++;
		pthread_cond_signal(&notfull);
		pthread_mutex_unlock(&lock);
	}
}

/* A chain: thread i joins thread i-1 and returns its value plus one. */
static pthread_t chain[NT];
static void *chained(void *arg)
{
	long i = (long)arg, v = 0;
	if (i > 0) {
		void *r;
		pthread_join(chain[i - 1], &r);
		v = (long)r;
	}
	return (void *)(v + 1);
}

/* Detached threads that end while main waits for them on a condition. */
static int finished;
static void *detached(void *arg)
{
	(void)arg;
	usleep(1000);
	pthread_mutex_lock(&lock);
	finished++;
	pthread_cond_signal(&cond);
	pthread_mutex_unlock(&lock);
	return 0;
}

static pid_t tids[8];
static void *tid_of(void *arg)
{
	tids[(long)arg] = gettid();
	return (void *)(long)getpid();
}

static volatile pid_t hit_tid;
static volatile int hits;
static void on_usr1(int s)
{
	(void)s;
	hit_tid = gettid();
	hits++;
}

static volatile int go;
static pid_t waiter_tid;
static void *waiter(void *arg)
{
	(void)arg;
	waiter_tid = gettid();
	while (!hits)
		usleep(1000);
	return 0;
}

static char altstack[65536];
static volatile int on_alt;
static void on_usr2(int s)
{
	(void)s;
	char here;
	on_alt = &here >= altstack && &here < altstack + sizeof altstack;
}
static void *alt_thread(void *arg)
{
	(void)arg;
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack }, old;
	sigaltstack(0, &old);
	printf("new thread altstack disabled: %d\n", (old.ss_flags & SS_DISABLE) != 0);
	sigaltstack(&ss, 0);
	struct sigaction sa = { .sa_handler = on_usr2, .sa_flags = SA_ONSTACK };
	sigaction(SIGUSR2, &sa, 0);
	pthread_kill(pthread_self(), SIGUSR2);
	printf("handler on the thread's altstack: %d\n", on_alt);
	return 0;
}

static void *blocker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	for (;;)
		pthread_cond_wait(&cond, &lock);
	return 0;
}

static void *exiter(void *arg)
{
	usleep(2000);
	exit((int)(long)arg);
}

static void *killer(void *arg)
{
	(void)arg;
	usleep(2000);
	kill(getpid(), SIGTERM);
	for (;;)
		pause();
	return 0;
}

/* The leader's state letter in /proc/PID/stat. */
static char leader_state(void)
{
	char path[64], buf[256], *p;
	snprintf(path, sizeof path, "/proc/%d/stat", getpid());
	int fd = open(path, O_RDONLY), n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	p = strrchr(buf, ')');
	return p && p[1] ? p[2] : '?';
}

static void *outlive(void *arg)
{
	/* main's exit first, whatever the pace (glibc's pthread_exit unwinds
	 * main's stack through libgcc_s: slower than 5 ms in an emulator) */
	for (int i = 0; i < 10000 && leader_state() != 'Z'; i++)
		usleep(1000);
	printf("thread outlives main: %d\n", getppid() == (pid_t)(long)arg);
	syscall(SYS_exit, 3); /* the last thread: the leader's status (0) is the process's */
	return 0;
}

static pthread_mutex_t robust;
static void *die_holding(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&robust);
	return 0; /* ends holding it: its robust list marks the owner dead */
}

static void *parked(void *arg)
{
	sleep(3);
	return arg;
}

static char *self;
static void *execer(void *arg)
{
	char pid[16];
	snprintf(pid, sizeof pid, "%d", (int)(long)arg);
	execl(self, self, "execd", pid, (char *)0);
	return 0;
}

static int count_tasks(void)
{
	DIR *d = opendir("/proc/self/task");
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static int status_threads(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];
	int n = -1;
	while (f && fgets(line, sizeof line, f))
		sscanf(line, "Threads: %d", &n);
	if (f)
		fclose(f);
	return n;
}

static void status_of(const char *what, pid_t pid)
{
	int st;
	waitpid(pid, &st, 0);
	printf("%s: exited %d status %d signaled %d sig %d\n", what, WIFEXITED(st), WEXITSTATUS(st), WIFSIGNALED(st),
	       WTERMSIG(st));
}

int main(int argc, char **argv)
{
	setvbuf(stdout, 0, _IONBF, 0);
	self = argv[0];
	if (argc == 3 && !strcmp(argv[1], "park")) { /* N threads asleep for 3 s, for ps and /proc */
		for (long i = 0; i < atoi(argv[2]) && i < NT; i++)
			pthread_create(&chain[i], 0, parked, 0);
		for (long i = 0; i < atoi(argv[2]) && i < NT; i++)
			pthread_join(chain[i], 0);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "execd")) {
		printf("exec from a thread keeps the pid: %d\n", getpid() == atoi(argv[2]));
		printf("after exec one thread: %d\n", count_tasks());
		return 0;
	}
	pthread_t t[NT];
	for (long i = 0; i < NT; i++)
		pthread_create(&t[i], 0, adder, (void *)i);
	long joined = 0;
	for (int i = 0; i < NT; i++) {
		void *r;
		pthread_join(t[i], &r);
		joined += (long)r;
	}
	int all = 1;
	for (int i = 0; i < NT; i++)
		all &= turns[i] == ROUNDS;
	printf("64 threads, mutex: counter %ld, joined %ld, every thread %d turns: %d\n", counter, joined, ROUNDS, all);

	nproducers = 32;
	for (long i = 0; i < NT; i++)
		pthread_create(&t[i], 0, i < nproducers ? producer : consumer, (void *)i);
	for (int i = 0; i < NT; i++)
		pthread_join(t[i], 0);
	printf("32 producers, 32 consumers: %ld items, sum %ld\n", consumed_count, consumed_sum);

	for (long i = 0; i < NT; i++)
		pthread_create(&chain[i], 0, chained, (void *)i);
	void *r;
	pthread_join(chain[NT - 1], &r);
	printf("join chain of 64: %ld\n", (long)r);

	pthread_attr_t da;
	pthread_attr_init(&da);
	pthread_attr_setdetachstate(&da, PTHREAD_CREATE_DETACHED);
	for (int i = 0; i < 16; i++) {
		pthread_t d;
		pthread_create(&d, &da, detached, 0);
	}
	pthread_mutex_lock(&lock);
	while (finished < 16)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	printf("16 detached threads finished: %d\n", finished);

	int same_pid = 1, distinct = 1;
	for (long i = 0; i < 8; i++)
		pthread_create(&t[i], 0, tid_of, (void *)i);
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], &r);
		same_pid &= (long)r == getpid();
		distinct &= tids[i] != getpid() && tids[i] > 0;
		for (int j = 0; j < i; j++)
			distinct &= tids[i] != tids[j];
	}
	printf("threads share getpid: %d; gettid distinct: %d; main gettid == getpid: %d\n", same_pid, distinct,
	       gettid() == getpid());

	/* a process signal goes to the thread that does not block it */
	signal(SIGUSR1, on_usr1);
	sigset_t s1, old;
	sigemptyset(&s1);
	sigaddset(&s1, SIGUSR1);
	pthread_t w;
	pthread_create(&w, 0, waiter, 0);
	pthread_sigmask(SIG_BLOCK, &s1, &old);
	while (!waiter_tid)
		usleep(1000);
	kill(getpid(), SIGUSR1);
	pthread_join(w, 0);
	printf("kill went to the unblocked thread: %d\n", hit_tid == waiter_tid);
	pthread_sigmask(SIG_SETMASK, &old, 0);

	/* tgkill picks one thread */
	hits = 0;
	waiter_tid = 0;
	pthread_create(&w, 0, waiter, 0);
	while (!waiter_tid)
		usleep(1000);
	T("tgkill", syscall(SYS_tgkill, getpid(), waiter_tid, SIGUSR1));
	pthread_join(w, 0);
	printf("tgkill hit its thread: %d\n", hit_tid == waiter_tid);
	T("tgkill-wrong-group", syscall(SYS_tgkill, getpid() + 100000, gettid(), SIGUSR1));
	T("tgkill-bad-tid", syscall(SYS_tgkill, getpid(), -1, SIGUSR1));
	T("tkill-self", syscall(SYS_tkill, gettid(), 0));

	pthread_create(&w, 0, alt_thread, 0);
	pthread_join(w, 0);
	stack_t cur;
	sigaltstack(0, &cur);
	printf("main altstack still disabled: %d\n", (cur.ss_flags & SS_DISABLE) != 0);

	/* /proc/self/task and Threads: */
	for (int i = 0; i < 3; i++)
		pthread_create(&t[i], 0, blocker, 0);
	usleep(10000);
	printf("proc task entries: %d, status Threads: %d\n", count_tasks(), status_threads());

	/* exit from any thread ends the process; so does a fatal signal */
	pid_t pid = fork();
	if (!pid) {
		for (int i = 0; i < 3; i++)
			pthread_create(&t[i], 0, blocker, 0);
		pthread_create(&t[3], 0, exiter, (void *)5L);
		pthread_mutex_lock(&lock);
		for (;;)
			pthread_cond_wait(&cond, &lock);
	}
	status_of("exit from a thread", pid);
	pid = fork();
	if (!pid) {
		pthread_create(&t[0], 0, blocker, 0);
		pthread_create(&t[1], 0, killer, 0);
		pthread_join(t[0], 0);
		_exit(1);
	}
	status_of("SIGTERM to the group", pid);
	pid = fork();
	if (!pid) { /* main ends first: the process goes on until its last thread */
		pthread_create(&t[0], 0, outlive, (void *)(long)getppid());
		pthread_exit(0);
	}
	status_of("main thread exits first", pid);
	pid = fork();
	if (!pid) {
		pthread_create(&t[0], 0, blocker, 0);
		pthread_create(&t[1], 0, execer, (void *)(long)getpid());
		pthread_join(t[1], 0);
		_exit(9);
	}
	status_of("exec from a thread", pid);
	T("set_robust_list-bad-len", syscall(SYS_set_robust_list, 0, 1));

	pthread_mutexattr_t ma;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&robust, &ma);
	pthread_create(&w, 0, die_holding, 0);
	pthread_join(w, 0);
	int e = pthread_mutex_lock(&robust);
	printf("robust mutex of a dead owner: %s\n", e == EOWNERDEAD ? "EOWNERDEAD" : ename(e));
	printf("made consistent: %d\n", pthread_mutex_consistent(&robust));
	pthread_mutex_unlock(&robust);
	printf("locks again: %d\n", pthread_mutex_lock(&robust));
	return 0;
}
