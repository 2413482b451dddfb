/* Guest syscall test: mremap (shrink, grow in place, move with
 * MREMAP_MAYMOVE, errors) and madvise's MADV_DONTNEED and MADV_FREE, which
 * C libraries use for realloc and free.  Every line is the same under Linux. */
#include "t.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>

#define PG 4096

int main(int argc, char **argv)
{
	setvbuf(stdout, 0, _IONBF, 0);
	/* a reserved window, so "in place" and "blocked" are the same on both kernels */
	char *w = mmap(0, 64 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(w, 64 * PG);
	char *a = mmap(w, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	memset(a, 'a', 3 * PG);
	T("grow-in-place", mremap(a, 3 * PG, 5 * PG, 0) == a);
	printf("kept: %c, new zero: %d\n", a[3 * PG - 1], a[4 * PG]);
	T("shrink", mremap(a, 5 * PG, 2 * PG, 0) == a);
	char *g = mmap(a + 2 * PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	T("grow-blocked", mremap(a, 2 * PG, 4 * PG, 0));
	char *b = mremap(a, 2 * PG, 8 * PG, MREMAP_MAYMOVE);
	T("move", b != MAP_FAILED && b != a);
	printf("moved content: %c %c, tail zero: %d\n", b[0], b[2 * PG - 1], b[7 * PG]);
	T("old gone", msync(a, PG, MS_ASYNC));
	T("unaligned", mremap(b + 1, PG, 2 * PG, MREMAP_MAYMOVE));
	T("bad-flags", mremap(b, PG, 2 * PG, 64));
	T("zero-new-len", mremap(b, PG, 0, MREMAP_MAYMOVE));
	T("not-mapped", mremap(a, PG, 2 * PG, MREMAP_MAYMOVE));
	T("across-regions", mremap(g - PG, 2 * PG, 4 * PG, MREMAP_MAYMOVE));

	memset(b, 'b', 8 * PG);
	T("dontneed", madvise(b, 2 * PG, MADV_DONTNEED));
	printf("anonymous reads zero: %d, rest kept: %c\n", b[0] == 0 && b[2 * PG - 1] == 0, b[2 * PG]);
	T("free", madvise(b + 2 * PG, PG, MADV_FREE));
	T("dontneed-unaligned", madvise(b + 1, PG, MADV_DONTNEED));
	T("dontneed-hole", madvise(a, PG, MADV_DONTNEED));
	T("willneed", madvise(b, PG, MADV_WILLNEED));

	char path[256];
	snprintf(path, sizeof path, "%s.f", argc > 1 ? argv[1] : "/tmp/sys_mremap");
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	char page[PG];
	memset(page, 'f', sizeof page);
	write(fd, page, sizeof page);
	write(fd, page, sizeof page);
	char *f = mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	f[0] = 'x';
	T("dontneed-file", madvise(f, PG, MADV_DONTNEED));
	printf("private file page reads the file again: %c\n", f[0]);
	f[PG] = 'y';
	char *f2 = mremap(f, 2 * PG, 2 * PG + PG, MREMAP_MAYMOVE);
	T("file-grow", f2 != MAP_FAILED);
	printf("file mapping moved or grown: %c %c\n", f2[0], f2[PG]);
	close(fd);
	unlink(path);
	return 0;
}
