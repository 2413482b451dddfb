/* Shared by the guest syscall tests (musl-gcc -static): each case prints one
 * line "name: result" with the raw syscall's return value and errno name, so
 * the same program's output under Linux and under Bulkhead can be compared. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static __attribute__((unused)) const char *ename(int e)
{
	switch (e) {
	case 0: return "0";
	case EPERM: return "EPERM"; case ENOENT: return "ENOENT"; case ESRCH: return "ESRCH";
	case EINTR: return "EINTR"; case EBADF: return "EBADF"; case ECHILD: return "ECHILD";
	case EAGAIN: return "EAGAIN"; case ENOMEM: return "ENOMEM"; case EACCES: return "EACCES";
	case EFAULT: return "EFAULT"; case EBUSY: return "EBUSY"; case EEXIST: return "EEXIST";
	case EXDEV: return "EXDEV"; case ENOTDIR: return "ENOTDIR"; case EISDIR: return "EISDIR";
	case EINVAL: return "EINVAL"; case EMFILE: return "EMFILE"; case ENOTTY: return "ENOTTY";
	case ESPIPE: return "ESPIPE"; case EPIPE: return "EPIPE"; case ERANGE: return "ERANGE";
	case ENAMETOOLONG: return "ENAMETOOLONG"; case ENOSYS: return "ENOSYS";
	case ENOTEMPTY: return "ENOTEMPTY"; case ELOOP: return "ELOOP"; case E2BIG: return "E2BIG";
	case ENOEXEC: return "ENOEXEC"; case ENXIO: return "ENXIO";
	case ENOTSOCK: return "ENOTSOCK"; case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case EPROTONOSUPPORT: return "EPROTONOSUPPORT"; case ESOCKTNOSUPPORT: return "ESOCKTNOSUPPORT";
	case EOPNOTSUPP: return "EOPNOTSUPP"; case ENOPROTOOPT: return "ENOPROTOOPT";
	case EADDRINUSE: return "EADDRINUSE"; case ECONNREFUSED: return "ECONNREFUSED";
	case ECONNRESET: return "ECONNRESET"; case EISCONN: return "EISCONN"; case ENOTCONN: return "ENOTCONN";
	case EPROTOTYPE: return "EPROTOTYPE"; case EMSGSIZE: return "EMSGSIZE"; case ENOBUFS: return "ENOBUFS";
	case EDOM: return "EDOM"; case ETOOMANYREFS: return "ETOOMANYREFS";
	}
	static char b[16];
	snprintf(b, sizeof b, "errno%d", e);
	return b;
}

/* Prints the value of a call and errno when it failed. */
#define T(name, call)                                                                      \
	do {                                                                               \
		errno = 0;                                                                 \
		long r_ = (long)(call);                                                    \
		printf("%s: %ld %s\n", name, r_, r_ < 0 ? ename(errno) : "");              \
		fflush(stdout);                                                            \
	} while (0)

#define KPTR ((void *)0xffffffff82000000ul) /* a kernel address */
#define BADPTR ((void *)0x10ul)              /* unmapped user address */

/* Guest-only checks (sys_sandbox, sys_unix_sb): a PASS:/FAIL: line each,
 * counted in failed. */
static __attribute__((unused)) int failed;
static __attribute__((unused)) void check(const char *what, int ok)
{
	printf("%s: %s\n", ok ? "PASS" : "FAIL", what);
	fflush(stdout);
	failed += !ok;
}

/* The call failed with errno e. */
#define ERR(what, call, e) check(what, (errno = 0, (long)(call)) < 0 && errno == (e))
