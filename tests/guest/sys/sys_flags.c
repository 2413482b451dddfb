/* Guest syscall test: a process's RFLAGS.DF is its own.  The program sets
 * DF (as musl's memmove does for a backward copy) and spins in user mode
 * while SIGALRM comes every 10 ms: the kernel takes each tick and builds
 * each signal frame with DF clear whatever the interrupted code had (its
 * copies go forwards), starts the handler with DF clear (the ABI's rule)
 * and gives the spinning code its DF back at sigreturn. */
#include "t.h"
#include <signal.h>
#include <sys/time.h>

#define SIGNALS 20

static volatile int taken, df_in_handler, wrong_frame;

static unsigned long df(void)
{
	unsigned long fl;
	__asm__ volatile("pushfq\n\tpop %0" : "=r"(fl));
	return (fl >> 10) & 1;
}

static void on_alarm(int sig, siginfo_t *si, void *uc)
{
	df_in_handler |= (int)df();
	wrong_frame += sig != SIGALRM || si->si_signo != SIGALRM || !uc;
	taken++;
}

/* Sets DF, spins until SIGNALS handlers ran, with RCX and RDX holding
 * values the interrupted code must find again; reads RFLAGS, clears DF.
 * Whether DF stayed set; *kept: the registers came back. */
static int spin_with_df(int *kept)
{
	unsigned long fl, c = 0x1122334455667788ul, d = 0x99aabbccddeeff00ul;
	__asm__ volatile("std\n1:\tpause\n\tcmpl %4, %3\n\tjl 1b\n\tpushfq\n\tpop %0\n\tcld"
			 : "=&r"(fl), "+c"(c), "+d"(d) : "m"(taken), "i"(SIGNALS) : "memory", "cc");
	*kept = c == 0x1122334455667788ul && d == 0x99aabbccddeeff00ul;
	return (fl >> 10) & 1;
}

int main(void)
{
	struct sigaction sa = { .sa_sigaction = on_alarm, .sa_flags = SA_SIGINFO | SA_RESTART };
	struct itimerval it = { { 0, 10000 }, { 0, 10000 } };
	int kept;
	sigaction(SIGALRM, &sa, 0);
	T("setitimer", setitimer(ITIMER_REAL, &it, 0));
	int set = spin_with_df(&kept);
	it = (struct itimerval){ { 0, 0 }, { 0, 0 } };
	setitimer(ITIMER_REAL, &it, 0);
	printf("handlers run: %d\n", taken >= SIGNALS ? SIGNALS : taken);
	printf("frames not as built: %d\n", wrong_frame);
	printf("DF in a handler: %d\n", df_in_handler);
	printf("DF set after the handlers: %d\n", set);
	printf("registers kept: %d\n", kept);
	printf("DF now: %lu\n", df());
	return 0;
}
