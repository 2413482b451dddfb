/* Guest syscall test: the calls Debian's programs make that only advise or
 * order (issue 15): fadvise64 (coreutils' sort) and membarrier (musl's
 * threads and dlopen).  Argument checks and results, compared with Linux;
 * membarrier's query prints only the commands Bulkhead offers, as a
 * kernel may offer more. */
#include "t.h"
#include <fcntl.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp/sys_hints.d";
	char path[256];
	mkdir(dir, 0755);
	snprintf(path, sizeof path, "%s/f", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644), p[2];
	write(fd, "data", 4);
	pipe(p);
	T("fadvise-sequential", syscall(SYS_fadvise64, fd, 0, 0, 2));
	T("fadvise-dontneed-range", syscall(SYS_fadvise64, fd, 4096, 1 << 20, 4));
	T("fadvise-noreuse", syscall(SYS_fadvise64, fd, 0, 0, 5));
	T("fadvise-bad-advice", syscall(SYS_fadvise64, fd, 0, 0, 6));
	T("fadvise-negative-len", syscall(SYS_fadvise64, fd, 0, -1L, 0));
	T("fadvise-pipe", syscall(SYS_fadvise64, p[0], 0, 0, 0));
	T("fadvise-pipe-bad-advice", syscall(SYS_fadvise64, p[0], 0, 0, 99));
	T("fadvise-bad-fd", syscall(SYS_fadvise64, 999, 0, 0, 0));
	T("fadvise-closed-fd", (close(p[1]), syscall(SYS_fadvise64, p[1], 0, 0, 0)));
	T("posix_fadvise-willneed", -posix_fadvise(fd, 0, 4, POSIX_FADV_WILLNEED));
	long q = syscall(SYS_membarrier, 0, 0);
	printf("membarrier-query: global %d, global expedited %d, private expedited %d\n", q > 0 && (q & 1),
	       q > 0 && (q & 6) == 6, q > 0 && (q & 24) == 24);
	T("membarrier-query-flags", syscall(SYS_membarrier, 0, 1));
	T("membarrier-private-unregistered", syscall(SYS_membarrier, 8, 0));
	T("membarrier-register-private", syscall(SYS_membarrier, 16, 0));
	T("membarrier-private", syscall(SYS_membarrier, 8, 0));
	T("membarrier-private-flags", syscall(SYS_membarrier, 8, 1));
	T("membarrier-register-global", syscall(SYS_membarrier, 4, 0));
	T("membarrier-global-expedited", syscall(SYS_membarrier, 2, 0));
	T("membarrier-unknown", syscall(SYS_membarrier, 1 << 20, 0));
	T("membarrier-two-commands", syscall(SYS_membarrier, 8 | 16, 0));
	unlink(path);
	rmdir(dir);
	return 0;
}
