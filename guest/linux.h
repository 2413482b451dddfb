/* The Linux x86-64 ABI the guest kernel's syscalls speak, in one place:
 * syscall numbers, errno values, the flags of open, mmap, clone, wait and
 * signals, and the structures whose layout the ABI fixes (facts from the
 * Linux man pages and uapi headers; no code from them).  Used by every part
 * of the guest kernel; nothing here is Bulkhead's own. */
#ifndef BULKHEAD_GUEST_LINUX_H
#define BULKHEAD_GUEST_LINUX_H

#include <bulkhead/types.h>

/* syscall numbers (x86-64) */
enum {
	NR_read = 0,
	NR_write = 1,
	NR_open = 2,
	NR_close = 3,
	NR_stat = 4,
	NR_fstat = 5,
	NR_lstat = 6,
	NR_poll = 7,
	NR_lseek = 8,
	NR_mmap = 9,
	NR_mprotect = 10,
	NR_munmap = 11,
	NR_brk = 12,
	NR_rt_sigaction = 13,
	NR_rt_sigprocmask = 14,
	NR_rt_sigreturn = 15,
	NR_ioctl = 16,
	NR_pread64 = 17,
	NR_pwrite64 = 18,
	NR_readv = 19,
	NR_writev = 20,
	NR_access = 21,
	NR_pipe = 22,
	NR_select = 23,
	NR_sched_yield = 24,
	NR_mremap = 25,
	NR_msync = 26,
	NR_madvise = 28,
	NR_dup = 32,
	NR_dup2 = 33,
	NR_pause = 34,
	NR_nanosleep = 35,
	NR_getitimer = 36,
	NR_alarm = 37,
	NR_setitimer = 38,
	NR_getpid = 39,
	NR_sendfile = 40,
	NR_socket = 41,
	NR_connect = 42,
	NR_accept = 43,
	NR_sendto = 44,
	NR_recvfrom = 45,
	NR_sendmsg = 46,
	NR_recvmsg = 47,
	NR_shutdown = 48,
	NR_bind = 49,
	NR_listen = 50,
	NR_getsockname = 51,
	NR_getpeername = 52,
	NR_socketpair = 53,
	NR_setsockopt = 54,
	NR_getsockopt = 55,
	NR_clone = 56,
	NR_fork = 57,
	NR_vfork = 58,
	NR_execve = 59,
	NR_exit = 60,
	NR_wait4 = 61,
	NR_kill = 62,
	NR_uname = 63,
	NR_fcntl = 72,
	NR_flock = 73,
	NR_fsync = 74,
	NR_fdatasync = 75,
	NR_truncate = 76,
	NR_ftruncate = 77,
	NR_getcwd = 79,
	NR_chdir = 80,
	NR_fchdir = 81,
	NR_rename = 82,
	NR_mkdir = 83,
	NR_rmdir = 84,
	NR_creat = 85,
	NR_link = 86,
	NR_unlink = 87,
	NR_symlink = 88,
	NR_readlink = 89,
	NR_chmod = 90,
	NR_fchmod = 91,
	NR_chown = 92,
	NR_fchown = 93,
	NR_lchown = 94,
	NR_umask = 95,
	NR_gettimeofday = 96,
	NR_getrlimit = 97,
	NR_getrusage = 98,
	NR_sysinfo = 99,
	NR_times = 100,
	NR_getuid = 102,
	NR_syslog = 103,
	NR_getgid = 104,
	NR_setuid = 105,
	NR_setgid = 106,
	NR_geteuid = 107,
	NR_getegid = 108,
	NR_setpgid = 109,
	NR_getppid = 110,
	NR_getpgrp = 111,
	NR_setsid = 112,
	NR_setreuid = 113,
	NR_setregid = 114,
	NR_getgroups = 115,
	NR_setgroups = 116,
	NR_setresuid = 117,
	NR_getresuid = 118,
	NR_setresgid = 119,
	NR_getresgid = 120,
	NR_getpgid = 121,
	NR_getsid = 124,
	NR_rt_sigpending = 127,
	NR_rt_sigsuspend = 130,
	NR_sigaltstack = 131,
	NR_mknod = 133,
	NR_statfs = 137,
	NR_fstatfs = 138,
	NR_prctl = 157,
	NR_arch_prctl = 158,
	NR_setrlimit = 160,
	NR_chroot = 161,
	NR_sync = 162,
	NR_mount = 165,
	NR_umount2 = 166,
	NR_sethostname = 170,
	NR_gettid = 186,
	NR_tkill = 200,
	NR_time = 201,
	NR_futex = 202,
	NR_epoll_create = 213,
	NR_sched_setaffinity = 203,
	NR_sched_getaffinity = 204,
	NR_getdents64 = 217,
	NR_set_tid_address = 218,
	NR_clock_gettime = 228,
	NR_clock_getres = 229,
	NR_clock_nanosleep = 230,
	NR_exit_group = 231,
	NR_epoll_wait = 232,
	NR_fadvise64 = 221,
	NR_epoll_ctl = 233,
	NR_tgkill = 234,
	NR_openat = 257,
	NR_mkdirat = 258,
	NR_mknodat = 259,
	NR_fchownat = 260,
	NR_newfstatat = 262,
	NR_unlinkat = 263,
	NR_renameat = 264,
	NR_linkat = 265,
	NR_symlinkat = 266,
	NR_readlinkat = 267,
	NR_fchmodat = 268,
	NR_faccessat = 269,
	NR_pselect6 = 270,
	NR_ppoll = 271,
	NR_set_robust_list = 273,
	NR_get_robust_list = 274,
	NR_utimensat = 280,
	NR_epoll_pwait = 281,
	NR_signalfd = 282,
	NR_timerfd_create = 283,
	NR_eventfd = 284,
	NR_timerfd_settime = 286,
	NR_timerfd_gettime = 287,
	NR_accept4 = 288,
	NR_signalfd4 = 289,
	NR_eventfd2 = 290,
	NR_epoll_create1 = 291,
	NR_dup3 = 292,
	NR_pipe2 = 293,
	NR_prlimit64 = 302,
	NR_sendmmsg = 307,
	NR_renameat2 = 316,
	NR_getrandom = 318,
	NR_membarrier = 324,
	NR_statx = 332,
	NR_clone3 = 435,
	NR_faccessat2 = 439,
};


#define EPERM 1
#define ENOENT 2
#define ESRCH 3
#define EINTR 4
#define EIO 5
#define ENXIO 6
#define E2BIG 7
#define ENOEXEC 8
#define EBADF 9
#define ECHILD 10
#define EAGAIN 11
#define ENOMEM 12
#define EACCES 13
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define EXDEV 18
#define ENODEV 19
#define ENOTDIR 20
#define EISDIR 21
#define EINVAL 22
#define ENFILE 23
#define EMFILE 24
#define ENOTTY 25
#define EFBIG 27
#define ENOSPC 28
#define ESPIPE 29
#define EROFS 30
#define EMLINK 31
#define EPIPE 32
#define ERANGE 34
#define ENAMETOOLONG 36
#define ENOSYS 38
#define ENOTEMPTY 39
#define ELOOP 40
#define EPROTO 71
#define ENOTSOCK 88
#define EDESTADDRREQ 89
#define EMSGSIZE 90
#define EPROTOTYPE 91
#define ENOPROTOOPT 92
#define EPROTONOSUPPORT 93
#define ESOCKTNOSUPPORT 94
#define EOPNOTSUPP 95
#define EAFNOSUPPORT 97
#define EADDRINUSE 98
#define ECONNRESET 104
#define ENOBUFS 105
#define EISCONN 106
#define ENOTCONN 107
#define ETOOMANYREFS 109
#define ETIMEDOUT 110
#define ECONNREFUSED 111
#define ERESTART 512 /* kernel-internal: restart the syscall or fail with EINTR */

/* open flags */
#define O_ACCMODE 3
#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_CREAT 0100
#define O_EXCL 0200
#define O_NOCTTY 0400
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_NONBLOCK 04000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000
#define O_CLOEXEC 02000000
#define O_PATH 010000000
#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_SYMLINK_FOLLOW 0x400
#define AT_EMPTY_PATH 0x1000

/* file types */
#define S_IFMT 0170000
#define S_IFSOCK 0140000
#define S_IFLNK 0120000
#define S_IFREG 0100000
#define S_IFBLK 0060000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFIFO 0010000
#define S_ISDIR(m) (((m)&S_IFMT) == S_IFDIR)
#define S_ISREG(m) (((m)&S_IFMT) == S_IFREG)
#define S_ISLNK(m) (((m)&S_IFMT) == S_IFLNK)
#define S_ISCHR(m) (((m)&S_IFMT) == S_IFCHR)
#define S_ISBLK(m) (((m)&S_IFMT) == S_IFBLK)
#define S_ISFIFO(m) (((m)&S_IFMT) == S_IFIFO)

/* fadvise64 advice: POSIX_FADV_NORMAL (0) .. POSIX_FADV_NOREUSE (5). */
#define POSIX_FADV_MAX 5
/* membarrier commands (a bit each; MEMBARRIER_CMD_QUERY is 0). */
#define MEMBARRIER_CMD_GLOBAL (1 << 0)
#define MEMBARRIER_CMD_GLOBAL_EXPEDITED (1 << 1)
#define MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED (1 << 2)
#define MEMBARRIER_CMD_PRIVATE_EXPEDITED (1 << 3)
#define MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED (1 << 4)
#define S_ISSOCK(m) (((m)&S_IFMT) == S_IFSOCK)
static inline int dtype(u32 mode) { return (int)((mode & S_IFMT) >> 12); } /* getdents64 d_type */

/* signals */
#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGURG 23
#define SIGWINCH 28
#define NSIG 65
#define SA_NOCLDSTOP 1
#define SA_SIGINFO 4
#define SA_ONSTACK 0x08000000
#define SA_RESTORER 0x04000000
#define SA_RESTART 0x10000000
#define SA_NODEFER 0x40000000
#define SA_RESETHAND 0x80000000
#define SIG_DFL 0
#define SIG_IGN 1

/* mmap and mprotect */
#define PROT_READ 1
#define PROT_WRITE 2
#define PROT_EXEC 4
#define MAP_SHARED 1
#define MAP_PRIVATE 2
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_GROWSDOWN 0x100
#define MAP_NORESERVE 0x4000
#define MAP_FIXED_NOREPLACE 0x100000
#define MREMAP_MAYMOVE 1
#define MADV_DONTNEED 4
#define MADV_FREE 8

/* clone flags (the low byte is the exit signal) */
#define CLONE_VM 0x100
#define CLONE_FS 0x200
#define CLONE_FILES 0x400
#define CLONE_SIGHAND 0x800
#define CLONE_VFORK 0x4000
#define CLONE_PARENT 0x8000
#define CLONE_THREAD 0x10000
#define CLONE_SYSVSEM 0x40000
#define CLONE_SETTLS 0x80000
#define CLONE_PARENT_SETTID 0x100000
#define CLONE_CHILD_CLEARTID 0x200000
#define CLONE_CHILD_SETTID 0x1000000

/* clone3's argument (each field 64-bit; size 64 up to set_tid, 88 with cgroup) */
struct clone_args_k {
	u64 flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

/* futex operations and flags */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_WAITERS 0x80000000u
#define FUTEX_OWNER_DIED 0x40000000u
#define FUTEX_TID_MASK 0x3fffffffu

/* sigaltstack(2) */
struct stack_k {
	u64 sp;
	u32 flags, pad;
	u64 size;
};
#define SS_ONSTACK 1
#define SS_DISABLE 2
#define MINSIGSTKSZ 2048

/* wait4 options */
#define WNOHANG 1
#define WUNTRACED 2
#define WCONTINUED 8

/* poll events */
#define POLLIN 1
#define POLLPRI 2
#define POLLOUT 4
#define POLLERR 8
#define POLLHUP 16
#define POLLNVAL 32
#define POLLRDNORM 0x40
#define POLLWRNORM 0x100
#define POLLWRBAND 0x200
#define POLLRDHUP 0x2000

/* sockets */
#define AF_UNIX 1
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define SOCK_RAW 3
#define SOCK_SEQPACKET 5
#define SOCK_TYPE_MAX 11          /* types at or above: EINVAL */
#define SOCK_TYPE_MASK 0xf
#define SOCK_NONBLOCK O_NONBLOCK
#define SOCK_CLOEXEC O_CLOEXEC
#define SHUT_RD 0
#define SHUT_WR 1
#define SHUT_RDWR 2
#define SOMAXCONN 4096
#define MSG_OOB 1
#define MSG_PEEK 2
#define MSG_CTRUNC 8
#define MSG_TRUNC 0x20
#define MSG_DONTWAIT 0x40
#define MSG_EOR 0x80
#define MSG_WAITALL 0x100
#define MSG_NOSIGNAL 0x4000
#define MSG_CMSG_CLOEXEC 0x40000000
#define SOL_SOCKET 1
#define SO_DEBUG 1
#define SO_REUSEADDR 2
#define SO_TYPE 3
#define SO_ERROR 4
#define SO_DONTROUTE 5
#define SO_BROADCAST 6
#define SO_SNDBUF 7
#define SO_RCVBUF 8
#define SO_KEEPALIVE 9
#define SO_OOBINLINE 10
#define SO_PRIORITY 12
#define SO_LINGER 13
#define SO_PASSCRED 16
#define SO_PEERCRED 17
#define SO_RCVLOWAT 18
#define SO_SNDLOWAT 19
#define SO_RCVTIMEO 20
#define SO_SNDTIMEO 21
#define SO_ACCEPTCONN 30
#define SO_SNDBUFFORCE 32
#define SO_RCVBUFFORCE 33
#define SO_PROTOCOL 38
#define SO_DOMAIN 39
#define SCM_RIGHTS 1
#define SCM_CREDENTIALS 2
#define UIO_MAXIOV 1024

struct msghdr_k {
	u64 name;
	u32 namelen, pad;
	u64 iov, iovlen, control, controllen;
	u32 flags, pad2;
};
_Static_assert(sizeof(struct msghdr_k) == 56, "struct msghdr is 56 bytes");
struct cmsghdr_k {
	u64 len;                  /* header and data */
	int level, type;
};
#define CMSG_ALIGN_K(n) (((n) + 7) & ~(u64)7)
struct ucred_k {
	int pid;
	u32 uid, gid;
};

#define PATH_MAX 4096
#define NAME_MAX 255

struct timespec_k {
	s64 sec, nsec;
};

struct pollfd_k {
	int fd;
	short events, revents;
};

struct kstat {
	u64 st_dev, st_ino, st_nlink;
	u32 st_mode, st_uid, st_gid, pad0;
	u64 st_rdev;
	s64 st_size, st_blksize, st_blocks;
	u64 st_atime, st_atime_nsec, st_mtime, st_mtime_nsec, st_ctime, st_ctime_nsec;
	s64 unused[3];
};
_Static_assert(sizeof(struct kstat) == 144, "struct stat is 144 bytes on x86-64");

struct statx_k {
	u32 mask, blksize;
	u64 attributes;
	u32 nlink, uid, gid;
	u16 mode, pad0;
	u64 ino, size, blocks, attributes_mask;
	struct {
		s64 sec;
		u32 nsec, pad;
	} atime, btime, ctime, mtime;
	u32 rdev_major, rdev_minor, dev_major, dev_minor;
	u64 spare[14];
};
_Static_assert(sizeof(struct statx_k) == 256, "struct statx is 256 bytes");

struct sysinfo_k {
	s64 uptime;
	u64 loads[3], totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	u16 procs, pad;
	u32 pad2;
	u64 totalhigh, freehigh;
	u32 mem_unit;
	char pad3[4];
};
_Static_assert(sizeof(struct sysinfo_k) == 112, "struct sysinfo is 112 bytes");

struct rlimit_k {
	u64 cur, max;
};

/* Signal delivery: the frame a handler finds on its stack. */
struct ksigaction {
	u64 handler, flags, restorer, mask;
};
struct sigcontext_k {
	u64 r8, r9, r10, r11, r12, r13, r14, r15, rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	u16 cs, gs, fs, ss;
	u64 err, trapno, oldmask, cr2, fpstate, reserved[8];
};
struct ucontext_k {
	u64 flags, link;
	u64 ss_sp;
	u32 ss_flags, pad;
	u64 ss_size;
	struct sigcontext_k mc;
	u64 sigmask;
};
struct rt_sigframe {
	u64 pretcode;
	struct ucontext_k uc;
	struct {
		int signo, errno_, code, pad;
		u64 addr;
		u8 rest[104];
	} info;
};
_Static_assert(sizeof(struct sigcontext_k) == 256, "sigcontext is 256 bytes");
_Static_assert(sizeof(struct rt_sigframe) == 8 + 304 + 128, "rt_sigframe layout");

/* Terminals: TCGETS/TCSETS and TIOCGWINSZ. */
struct termios_k {
	u32 iflag, oflag, cflag, lflag;
	u8 line, cc[19];
};
_Static_assert(sizeof(struct termios_k) == 36, "struct termios (TCGETS) is 36 bytes");
struct winsize_k {
	u16 row, col, xpixel, ypixel;
};

#endif
