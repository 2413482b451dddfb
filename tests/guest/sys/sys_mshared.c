/* Guest syscall test: MAP_SHARED file mappings (issue 11, item 5) are the
 * file's own pages: write() and pwrite() show through the mapping, stores
 * through it show in read() and in another process's mapping; truncation
 * takes the pages past the end away (SIGBUS); msync is accepted. */
#include "t.h"
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

static void show_child(const char *name, pid_t pid)
{
	int st;
	waitpid(pid, &st, 0);
	if (WIFSIGNALED(st))
		printf("%s: killed by %d\n", name, WTERMSIG(st));
	else
		printf("%s: exited %d\n", name, WEXITSTATUS(st));
}

static char at(int fd, off_t off)
{
	char c = '?';
	pread(fd, &c, 1, off);
	return c;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp/sys_mshared.d";
	char path[256], buf[8192];
	mkdir(dir, 0755);
	snprintf(path, sizeof path, "%s/f", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	memset(buf, 'a', sizeof buf);
	T("write", write(fd, buf, sizeof buf));
	char *p = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	printf("mmap: %s\n", p == MAP_FAILED ? ename(errno) : "ok");
	printf("first: %c\n", p[0]);

	/* the file's changes show through the mapping */
	T("pwrite", pwrite(fd, "XYZ", 3, 100));
	printf("mapped: %.3s\n", p + 100);
	T("lseek", lseek(fd, 6000, SEEK_SET));
	T("write-after-mmap", write(fd, "W", 1));
	printf("mapped: %c\n", p[6000]);

	/* stores show in read() */
	p[5000] = 'Q';
	memcpy(p + 7000, "store", 5);
	printf("pread: %c\n", at(fd, 5000));
	T("lseek", lseek(fd, 7000, SEEK_SET));
	T("read", read(fd, buf, 5));
	printf("read: %.5s\n", buf);

	/* a second mapping of the second page, elsewhere, is the same page */
	char *q = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096);
	printf("second: %c %.5s\n", q[5000 - 4096], q + 7000 - 4096);
	q[1] = 'R';
	printf("first sees: %c\n", p[4097]);

	/* another process: its own mapping, and the one fork shares */
	pid_t c = fork();
	if (c == 0) {
		int fd2 = open(path, O_RDWR);
		char *r = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 0);
		r[10] = 'C';
		p[20] = 'D';
		_exit(r[100] == 'X' ? 0 : 1);
	}
	show_child("child", c);
	printf("parent sees: %c %c, file %c %c\n", p[10], p[20], at(fd, 10), at(fd, 20));

	/* a private mapping's stores stay private */
	char *priv = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	priv[30] = 'P';
	printf("private: %c, shared %c, file %c\n", priv[30], p[30], at(fd, 30));
	munmap(priv, 4096);

	/* msync */
	T("msync", msync(p, 8192, MS_SYNC));
	T("msync-async", msync(p, 8192, MS_ASYNC | MS_INVALIDATE));
	T("msync-unaligned", msync(p + 1, 10, MS_SYNC));
	T("msync-both", msync(p, 8192, MS_SYNC | MS_ASYNC));
	T("msync-badflag", msync(p, 8192, 8));
	T("msync-zero", msync(p, 0, MS_SYNC));
	T("msync-unmapped", msync((void *)0x10000, 4096, MS_SYNC));

	/* truncation: the second page goes (SIGBUS), comes back as zeros */
	T("ftruncate", ftruncate(fd, 4096));
	c = fork();
	if (c == 0) {
		volatile char x = p[5000];
		(void)x;
		_exit(0);
	}
	show_child("past-end", c);
	T("ftruncate-back", ftruncate(fd, 8192));
	printf("after: %d %.3s\n", p[5000], p + 100);

	/* access rules */
	int ro = open(path, O_RDONLY);
	void *m = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
	printf("shared-write-rdonly: %s\n", m == MAP_FAILED ? ename(errno) : "ok");
	m = mmap(0, 4096, PROT_READ, MAP_SHARED, ro, 0);
	printf("shared-read-rdonly: %s %.3s\n", m == MAP_FAILED ? ename(errno) : "ok", m == MAP_FAILED ? "" : (char *)m + 100);
	m = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
	printf("private-write-rdonly: %s\n", m == MAP_FAILED ? ename(errno) : "ok");
	close(ro);

	/* the mapping outlives the descriptor and the name */
	close(fd);
	unlink(path);
	p[0] = 'z';
	printf("unlinked: %c %c\n", p[0], p[100]);
	T("munmap", munmap(p, 8192));
	T("munmap-q", munmap(q, 4096));

	/* anonymous and /dev/zero shared mappings: one memory for parent and child */
	int z = open("/dev/zero", O_RDWR);
	char *a = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char *b = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, z, 0);
	close(z);
	a[4096] = 'p';
	c = fork();
	if (c == 0) {
		a[0] = 'c', a[4097] = a[4096] + 1, b[10] = 'd';
		_exit(0);
	}
	show_child("anon-writer", c);
	printf("anon-shared: %c %c %c %d\n", a[0], a[4096], a[4097], a[8191]);
	printf("zero-shared: %c %d\n", b[10], b[0]);
	T("munmap-anon", munmap(a, 8192));
	T("munmap-zero", munmap(b, 4096));
	rmdir(dir);
	return 0;
}
