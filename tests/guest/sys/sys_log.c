/* Guest syscall test: what dmesg and df read (issue 11, item 5): syslog(2),
 * the kernel log (sizes, reads of all of it in whole lines, the error
 * cases), and statfs(2) (proc has no blocks, the root's make sense).  With
 * "nosys" it makes a syscall no kernel has, whose trace goes to the log. */
#include "t.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/vfs.h>

#define SL(type, buf, len) syscall(SYS_syslog, type, buf, len)

int main(int argc, char **argv)
{
	static char buf[1 << 16];
	if (argc > 1 && !strcmp(argv[1], "nosys")) {
		T("nosys", syscall(335));
		return 0;
	}
	long size = SL(10, 0, 0);
	printf("size-buffer: %s\n", size >= 4096 ? "at least a page" : "small");
	T("open", SL(1, 0, 0));
	T("close", SL(0, 0, 0));
	T("bad-type", SL(99, 0, 0));
	T("read-all-null", SL(3, 0, 100));
	T("read-all-negative", SL(3, buf, -1));
	T("read-all-zero", SL(3, buf, 0));
	T("read-all-fault", SL(3, KPTR, 4096));
	T("read-null", SL(2, 0, 100));
	T("console-level-0", SL(8, 0, 0));
	T("console-level-9", SL(8, 0, 9));
	long n = SL(3, buf, sizeof buf);
	printf("read-all: %s, starts with '%c', ends with newline %d\n", n > 0 ? "some" : "none", n > 0 ? buf[0] : '-',
	       n > 0 && buf[n - 1] == '\n');
	n = SL(3, buf, 200);
	printf("read-all-200: %s, ends with newline %d\n", n <= 200 ? "fits" : "too long",
	       n <= 0 || buf[n - 1] == '\n');
	long unread = SL(9, 0, 0);
	printf("size-unread: %s\n", unread >= 0 && unread <= size ? "in range" : "out of range");

	struct statfs sf;
	T("statfs-root", statfs("/", &sf));
	printf("root: bsize %ld namelen %ld blocks >= free %d free >= avail %d\n", (long)sf.f_bsize,
	       (long)sf.f_namelen, sf.f_blocks >= sf.f_bfree, sf.f_bfree >= sf.f_bavail);
	T("statfs-proc", statfs("/proc/self/stat", &sf));
	printf("proc: type %lx blocks %ld\n", (long)sf.f_type, (long)sf.f_blocks);
	int fd = open("/proc/self/stat", O_RDONLY);
	T("fstatfs-proc", fstatfs(fd, &sf));
	printf("proc: type %lx blocks %ld\n", (long)sf.f_type, (long)sf.f_blocks);
	close(fd);
	T("statfs-missing", statfs("/no/such/dir", &sf));
	T("statfs-efault", statfs(BADPTR, &sf));
	T("statfs-buf-efault", syscall(SYS_statfs, "/", KPTR));
	T("fstatfs-ebadf", fstatfs(99, &sf));
	return 0;
}
