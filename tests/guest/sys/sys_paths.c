/* The names of files outside a task's root (tests/guest/test_paths.py, run
 * as root on Linux and on Bulkhead, outputs compared): after chroot below
 * DIR, the links /proc/self/fd/N and cwd of files outside it name them from
 * the real root, getcwd(2) of a working directory outside the root starts
 * with "(unreachable)", and names inside read from the new root.
 *   sys_paths DIR   (DIR is printed as <D>) */
#include "t.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

static const char *dir;

/* A path with the test's directory shown as <D>. */
static const char *shown(const char *p)
{
	static char b[512];
	const char *at = strstr(p, dir);
	if (!at)
		return p;
	snprintf(b, sizeof b, "%.*s<D>%s", (int)(at - p), p, at + strlen(dir));
	return b;
}

static void link_at(int dfd, const char *what, const char *name)
{
	char b[256];
	errno = 0;
	ssize_t n = readlinkat(dfd, name, b, sizeof b - 1);
	b[n < 0 ? 0 : n] = 0;
	printf("%s: %s %s\n", what, n < 0 ? ename(errno) : "", shown(b));
}

static void cwd(const char *what, size_t size)
{
	char b[256];
	errno = 0;
	long n = syscall(SYS_getcwd, b, size);
	printf("%s: %s %s\n", what, n < 0 ? ename(errno) : "", n > 0 ? shown(b) : "");
}

int main(int argc, char **argv)
{
	char p[512], fdname[16];
	if (argc < 2)
		return 2;
	dir = argv[1];
	mkdir(dir, 0755);
	snprintf(p, sizeof p, "%s/r", dir), mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/r/in", dir), mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/out", dir), mkdir(p, 0755);
	snprintf(p, sizeof p, "%s/out/file", dir);
	int out = open(p, O_CREAT | O_RDWR, 0644);
	snprintf(p, sizeof p, "%s/r/in/x", dir);
	int in = open(p, O_CREAT | O_RDWR, 0644);
	snprintf(p, sizeof p, "%s/out", dir);
	int outdir = open(p, O_RDONLY | O_DIRECTORY);
	int self = open("/proc/self", O_RDONLY | O_DIRECTORY);
	chdir(p);
	snprintf(p, sizeof p, "%s/r", dir);
	if (chroot(p)) {
		printf("chroot: %s\n", ename(errno));
		return 1;
	}
	snprintf(fdname, sizeof fdname, "fd/%d", out);
	link_at(self, "fd link of a file outside", fdname);
	snprintf(fdname, sizeof fdname, "fd/%d", in);
	link_at(self, "fd link of a file inside", fdname);
	snprintf(fdname, sizeof fdname, "fd/%d", outdir);
	link_at(self, "fd link of a directory outside", fdname);
	link_at(self, "cwd link outside", "cwd");
	link_at(self, "root link", "root");
	cwd("getcwd outside", 256);
	cwd("getcwd outside, small buffer", 8);
	T("chdir /in", chdir("/in"));
	cwd("getcwd inside", 256);
	link_at(self, "cwd link inside", "cwd");
	T("fchdir outside", fchdir(outdir));
	cwd("getcwd outside again", 256);
	T("chdir ..", chdir(".."));
	cwd("getcwd of its parent", 256);
	return 0;
}
