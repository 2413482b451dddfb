/*
 * The syscall handlers of the guest kernel (ring 0), grouped by defining
 * file: one prototype each, with the arguments the Linux x86-64 ABI passes
 * (RDI, RSI, RDX, R10, R8, R9) as u64.  syscall.c's table maps each
 * number (linux.h) to one of them; each returns a value or -errno.
 */
#ifndef BULKHEAD_GUEST_SYS_H
#define BULKHEAD_GUEST_SYS_H

#include <bulkhead/types.h>

/* mmap.c */
s64 sys_brk(u64 addr);

/* signal.c */
s64 sys_rt_sigreturn(void); /* unwinds current->frame */
s64 sys_rt_sigaction(u64 sig, u64 act, u64 oact, u64 size);
s64 sys_rt_sigprocmask(u64 how, u64 set, u64 oset, u64 size);
s64 sys_rt_sigsuspend(u64 uset, u64 size);
s64 sys_rt_sigpending(u64 uset, u64 size);
s64 sys_kill(u64 upid, u64 sig);
s64 sys_tkill(u64 tid, u64 sig);
s64 sys_tgkill(u64 tgid, u64 tid, u64 sig);
s64 sys_sigaltstack(u64 uss, u64 uoss);

/* sys_info.c */
s64 sys_uname(u64 ubuf);
s64 sys_sethostname(u64 name, u64 len);
s64 sys_sysinfo(u64 ubuf);
s64 sys_sched_getaffinity(u64 pid, u64 len, u64 umask);
s64 sys_sched_setaffinity(u64 pid, u64 len, u64 umask);
s64 sys_prlimit64(u64 pid, u64 res, u64 unew, u64 uold);
s64 sys_getrlimit(u64 res, u64 uold);
s64 sys_setrlimit(u64 res, u64 unew);
s64 sys_getrusage(u64 who, u64 ubuf);
s64 sys_getuid(void);
s64 sys_geteuid(void);
s64 sys_getgid(void);
s64 sys_getegid(void);
s64 sys_setuid(u64 id);
s64 sys_setgid(u64 id);
s64 sys_setreuid(u64 r, u64 e);
s64 sys_setregid(u64 r, u64 e);
s64 sys_setresuid(u64 r, u64 e, u64 s);
s64 sys_setresgid(u64 r, u64 e, u64 s);
s64 sys_getresuid(u64 r, u64 e, u64 s);
s64 sys_getresgid(u64 r, u64 e, u64 s);
s64 sys_getgroups(u64 size, u64 list);
s64 sys_getrandom(u64 ubuf, u64 n, u64 flags);
s64 sys_prctl(u64 op, u64 a2);
s64 sys_nop(void);
s64 sys_statfs(u64 path, u64 ubuf);
s64 sys_fstatfs(u64 fd, u64 ubuf);
s64 sys_fadvise64(u64 fd, u64 off, u64 len, u64 advice);
s64 sys_membarrier(u64 cmd, u64 flags);

/* sys_log.c */
s64 sys_syslog(u64 type, u64 ubuf, u64 ulen);

/* sys_io.c */
s64 sys_read(u64 fd, u64 buf, u64 n);
s64 sys_write(u64 fd, u64 buf, u64 n);
s64 sys_readv(u64 fd, u64 iov, u64 cnt);
s64 sys_writev(u64 fd, u64 iov, u64 cnt);
s64 sys_pread64(u64 fd, u64 buf, u64 n, u64 off);
s64 sys_pwrite64(u64 fd, u64 buf, u64 n, u64 off);
s64 sys_lseek(u64 fd, u64 off, u64 whence);
s64 sys_close(u64 fd);
s64 sys_dup(u64 fd);
s64 sys_dup2(u64 fd, u64 newfd);
s64 sys_dup3(u64 fd, u64 newfd, u64 flags);
s64 sys_pipe2(u64 ufds, u64 flags);
s64 sys_pipe(u64 ufds);
s64 sys_fcntl(u64 fd, u64 cmd, u64 arg);
s64 sys_ioctl(u64 fd, u64 cmd, u64 arg);
s64 sys_sendfile(u64 out_fd, u64 in_fd, u64 uoff, u64 count);

/* sys_path.c */
s64 sys_openat(u64 dirfd, u64 path, u64 flags, u64 mode);
s64 sys_open(u64 path, u64 flags, u64 mode);
s64 sys_creat(u64 path, u64 mode);
s64 sys_newfstatat(u64 dirfd, u64 path, u64 ust, u64 flags);
s64 sys_stat(u64 path, u64 ust);
s64 sys_lstat(u64 path, u64 ust);
s64 sys_fstat(u64 fd, u64 ust);
s64 sys_statx(u64 dirfd, u64 path, u64 flags, u64 mask, u64 ubuf);
s64 sys_getdents64(u64 fd, u64 ubuf, u64 size);
s64 sys_mkdirat(u64 dirfd, u64 path, u64 mode);
s64 sys_mkdir(u64 path, u64 mode);
s64 sys_mknodat(u64 dirfd, u64 path, u64 mode, u64 dev);
s64 sys_mknod(u64 path, u64 mode, u64 dev);
s64 sys_symlinkat(u64 target, u64 dirfd, u64 path);
s64 sys_symlink(u64 target, u64 path);
s64 sys_unlinkat(u64 dirfd, u64 path, u64 flags);
s64 sys_unlink(u64 path);
s64 sys_rmdir(u64 path);
s64 sys_renameat2(u64 olddirfd, u64 oldpath, u64 newdirfd, u64 newpath, u64 flags);
s64 sys_renameat(u64 od, u64 op, u64 nd, u64 np);
s64 sys_rename(u64 op, u64 np);
s64 sys_linkat(u64 olddirfd, u64 oldpath, u64 newdirfd, u64 newpath, u64 flags);
s64 sys_link(u64 op, u64 np);
s64 sys_readlinkat(u64 dirfd, u64 path, u64 ubuf, u64 size);
s64 sys_readlink(u64 path, u64 buf, u64 size);
s64 sys_fchmodat(u64 dirfd, u64 path, u64 mode);
s64 sys_chmod(u64 path, u64 mode);
s64 sys_fchmod(u64 fd, u64 mode);
s64 sys_fchownat(u64 dirfd, u64 path, u64 uid, u64 gid, u64 flags);
s64 sys_chown(u64 p, u64 u, u64 g);
s64 sys_lchown(u64 p, u64 u, u64 g);
s64 sys_fchown(u64 fd, u64 uid, u64 gid);
s64 sys_utimensat(u64 dirfd, u64 path, u64 utimes, u64 flags);
s64 sys_truncate(u64 path, u64 len);
s64 sys_ftruncate(u64 fd, u64 len);
s64 sys_faccessat(u64 dirfd, u64 path, u64 mode, u64 flags);
s64 sys_access(u64 path, u64 mode);
s64 sys_getcwd(u64 ubuf, u64 size);
s64 sys_chdir(u64 path);
s64 sys_fchdir(u64 fd);
s64 sys_chroot(u64 path);
s64 sys_umask(u64 mask);
s64 sys_mount(u64 src, u64 target, u64 type, u64 flags, u64 data);
s64 sys_umount2(u64 target, u64 flags);
struct inode;
/* A new node i at a kernel path from dirfd, as mknod makes one (bind(2) of
 * an AF_UNIX socket, net/unix.c); the caller keeps its reference to i.
 * 0 or -errno; -EEXIST if the name is taken. */
int vfs_mknod(int dirfd, const char *path, struct inode *i);

/* sys_proc.c */
s64 sys_clone(u64 flags, u64 newsp, u64 ptid, u64 ctid, u64 tls);
s64 sys_clone3(u64 uargs, u64 size);
s64 sys_fork(void);
s64 sys_vfork(void);
s64 sys_execve(u64 path, u64 argv, u64 envp);
s64 sys_exit(u64 code);
s64 sys_wait4(u64 pid, u64 status, u64 options, u64 rusage);
s64 sys_getpid(void);
s64 sys_gettid(void);
s64 sys_getppid(void);
s64 sys_getpgrp(void);
s64 sys_getpgid(u64 pid);
s64 sys_getsid(u64 pid);
s64 sys_setpgid(u64 pid, u64 pgid);
s64 sys_setsid(void);
s64 sys_set_tid_address(u64 p);
s64 sys_arch_prctl(u64 code, u64 addr);
s64 sys_mmap(u64 addr, u64 len, u64 prot, u64 flags, u64 fd, u64 off);
s64 sys_munmap(u64 addr, u64 len);
s64 sys_msync(u64 addr, u64 len, u64 flags);
s64 sys_mprotect(u64 addr, u64 len, u64 prot);
s64 sys_madvise(u64 addr, u64 len, u64 advice);
s64 sys_mremap(u64 old, u64 old_len, u64 new_len, u64 flags);

/* sys_time.c */
s64 sys_clock_gettime(u64 clk, u64 uts);
s64 sys_clock_getres(u64 clk, u64 uts);
s64 sys_gettimeofday(u64 utv, u64 utz);
s64 sys_time(u64 ut);
s64 sys_nanosleep(u64 req, u64 rem);
s64 sys_clock_nanosleep(u64 clk, u64 flags, u64 req, u64 rem);
s64 sys_pause(void);
s64 sys_sched_yield(void);
s64 sys_alarm(u64 secs);
s64 sys_getitimer(u64 which, u64 uold);
s64 sys_setitimer(u64 which, u64 unew, u64 uold);
s64 sys_times(u64 ubuf);
s64 sys_poll(u64 ufds, u64 nfds, u64 ms);
s64 sys_ppoll(u64 ufds, u64 nfds, u64 uts, u64 umask);
s64 sys_select(u64 nfds, u64 rd, u64 wr, u64 ex, u64 utv);
s64 sys_pselect6(u64 nfds, u64 rd, u64 wr, u64 ex, u64 uts);

/* net/socket.c */
s64 sys_socket(u64 family, u64 type, u64 protocol);
s64 sys_socketpair(u64 family, u64 type, u64 protocol, u64 usv);
s64 sys_bind(u64 fd, u64 uaddr, u64 len);
s64 sys_connect(u64 fd, u64 uaddr, u64 len);
s64 sys_listen(u64 fd, u64 backlog);
s64 sys_accept(u64 fd, u64 uaddr, u64 ulen);
s64 sys_accept4(u64 fd, u64 uaddr, u64 ulen, u64 flags);
s64 sys_getsockname(u64 fd, u64 uaddr, u64 ulen);
s64 sys_getpeername(u64 fd, u64 uaddr, u64 ulen);
s64 sys_shutdown(u64 fd, u64 how);
s64 sys_sendto(u64 fd, u64 buf, u64 len, u64 flags, u64 uaddr, u64 alen);
s64 sys_recvfrom(u64 fd, u64 buf, u64 len, u64 flags, u64 uaddr, u64 ulen);
s64 sys_sendmsg(u64 fd, u64 umsg, u64 flags);
s64 sys_recvmsg(u64 fd, u64 umsg, u64 flags);
/* sendmsg of each of vlen (at most 1024) struct mmsghdr (64 bytes: the
 * msghdr, then msg_len, filled in) in turn: how many were sent, or the
 * first one's error. */
s64 sys_sendmmsg(u64 fd, u64 uvec, u64 vlen, u64 flags);
s64 sys_setsockopt(u64 fd, u64 level, u64 name, u64 uval, u64 len);
s64 sys_getsockopt(u64 fd, u64 level, u64 name, u64 uval, u64 ulen);

/* syscall.c */
s64 sys_exit_group(u64 code);

/* fs/eventfd.c */
s64 sys_eventfd(u64 initval);
s64 sys_eventfd2(u64 initval, u64 flags);
s64 sys_timerfd_create(u64 clock, u64 flags);
s64 sys_timerfd_settime(u64 fd, u64 flags, u64 unew, u64 uold);
s64 sys_timerfd_gettime(u64 fd, u64 ucur);
s64 sys_signalfd(u64 fd, u64 umask, u64 size);
s64 sys_signalfd4(u64 fd, u64 umask, u64 size, u64 flags);

/* fs/epoll.c */
s64 sys_epoll_create(u64 size);
s64 sys_epoll_create1(u64 flags);
s64 sys_epoll_ctl(u64 epfd, u64 op, u64 fd, u64 uevent);
s64 sys_epoll_wait(u64 epfd, u64 uevents, u64 max, u64 ms);
s64 sys_epoll_pwait(u64 epfd, u64 uevents, u64 max, u64 ms, u64 umask, u64 size);

/* sys_futex.c */
s64 sys_futex(u64 uaddr, u64 op, u64 val, u64 utime, u64 uaddr2, u64 val3);
s64 sys_set_robust_list(u64 head, u64 len);
s64 sys_get_robust_list(u64 pid, u64 uhead, u64 ulen);

#endif
