/* Guest test: a dynamically linked program, built twice: against musl
 * (PT_INTERP /lib/ld-musl-x86_64.so.1) and against the build machine's
 * glibc (/lib64/ld-linux-x86-64.so.2, run in a tree with its libc).  It
 * checks what the loader was given and what the C library then does:
 * threads, a shared object's own symbols (dlopen-free), memory, files. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

extern char **environ;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long total;

static void *work(void *arg)
{
	for (int i = 0; i < 1000; i++) {
		pthread_mutex_lock(&lock);
		total += (long)arg;
		pthread_mutex_unlock(&lock);
	}
	return arg;
}

int main(int argc, char **argv)
{
	printf("hello from a dynamic program, argc %d\n", argc);
	printf("AT_BASE set: %d\n", getauxval(AT_BASE) != 0);
	printf("AT_ENTRY is main's program: %d\n", getauxval(AT_ENTRY) != 0 && getauxval(AT_ENTRY) != getauxval(AT_BASE));
	printf("AT_PHDR set: %d, AT_PHNUM > 2: %d, AT_PAGESZ %lu\n", getauxval(AT_PHDR) != 0, getauxval(AT_PHNUM) > 2,
	       getauxval(AT_PAGESZ));
	const char *fn = (const char *)getauxval(AT_EXECFN);
	printf("AT_RANDOM set: %d, AT_EXECFN: %s\n", getauxval(AT_RANDOM) != 0, fn ? strrchr(fn, '/') + 1 : "none");
	pthread_t t[8];
	for (long i = 0; i < 8; i++)
		pthread_create(&t[i], 0, work, (void *)(i + 1));
	long sum = 0;
	for (int i = 0; i < 8; i++) {
		void *r;
		pthread_join(t[i], &r);
		sum += (long)r;
	}
	printf("8 threads: total %ld, joined %ld\n", total, sum);
	char *big = malloc(1 << 20);
	memset(big, 7, 1 << 20);
	big = realloc(big, 4 << 20);
	printf("malloc and realloc of megabytes: %d\n", big && big[(1 << 20) - 1] == 7);
	free(big);
	char exe[256] = "";
	printf("/proc/self/exe: %d\n", readlink("/proc/self/exe", exe, sizeof exe - 1) > 0 && strstr(exe, "dyn_") != 0);
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int libc = 0;
	while (f && fgets(line, sizeof line, f))
		libc |= strstr(line, "libc") != 0 || strstr(line, "ld-musl") != 0;
	printf("a C library mapped: %d\n", libc);
	if (f)
		fclose(f);
	char *s = strdup("formatted");
	printf("%s %5.2f %x %s\n", s, 3.14159, 48879, environ[0] ? "env" : "noenv");
	free(s);
	return 3;
}
