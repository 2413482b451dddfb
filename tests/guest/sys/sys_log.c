/* Guest syscall test: syslog(2), the kernel log dmesg reads (issue 11, item
 * 5): sizes, reads of all of it in whole lines, the error cases.  With
 * "nosys" it makes a syscall no kernel has, whose trace goes to the log. */
#include "t.h"
#include <stdlib.h>

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
	return 0;
}
