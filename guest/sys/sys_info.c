/*
 * System information syscalls (guest ring 0): uname, sysinfo, resource
 * limits and usage, user and group ids (everyone is root), getrandom,
 * prctl, and the calls that only need to succeed (sync, fsync) or check
 * their arguments (fadvise64, membarrier).
 */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "sys/sys.h"
#include "dev/dev.h"

s64 sys_uname(u64 ubuf)
{
	char u[6][65];
	memset(u, 0, sizeof u);
	const char *f[6] = { "Linux", current->sb->hostname, "6.1.0-bulkhead", "#1 SMP Bulkhead", "x86_64", "(none)" };
	for (int i = 0; i < 6; i++)
		memcpy(u[i], f[i], strlen(f[i]));
	return copy_to_user(ubuf, u, sizeof u) ? -EFAULT : 0;
}

s64 sys_sethostname(u64 name, u64 len)
{
	if (len > 64)
		return -EINVAL;
	char tmp[65] = { 0 };
	if (copy_from_user(tmp, name, len))
		return -EFAULT;
	memcpy(current->sb->hostname, tmp, sizeof tmp); /* the caller's sandbox's */
	return 0;
}

s64 sys_sysinfo(u64 ubuf)
{
	struct sysinfo_k si;
	memset(&si, 0, sizeof si);
	si.uptime = (s64)(now_ns() / 1000000000ull);
	si.totalram = pages_total * PAGE;
	si.freeram = pages_free * PAGE;
	si.bufferram = 0;
	si.sharedram = fs_pages * PAGE;
	si.procs = (u16)task_count();
	si.mem_unit = 1;
	return copy_to_user(ubuf, &si, sizeof si) ? -EFAULT : 0;
}

#define RLIM_INF (~0ull)
static struct rlimit_k rlim[16] = {
	[3] = { 8 << 20, RLIM_INF },  /* RLIMIT_STACK */
	[7] = { NR_FDS, NR_FDS },     /* RLIMIT_NOFILE */
	[6] = { 512, 512 },           /* RLIMIT_NPROC */
};

static struct rlimit_k get_rlim(u64 r)
{
	struct rlimit_k l = rlim[r];
	if (!l.cur && !l.max && r != 4) /* unset: unlimited (RLIMIT_CORE stays 0) */
		l.cur = l.max = RLIM_INF;
	return l;
}

static int no_task(u64 pid) { return pid && (int)pid != current->pid && !task_find((int)pid); }

/* sched_getaffinity(2), sched_setaffinity(2): one CPU, number 0; masks are
 * whole longs (len in bytes), and a mask without CPU 0 is EINVAL. */
s64 sys_sched_getaffinity(u64 pid, u64 len, u64 umask)
{
	u64 mask = 1;
	if (!len || len % 8)
		return -EINVAL;
	if (no_task(pid))
		return -ESRCH;
	return copy_to_user(umask, &mask, 8) ? -EFAULT : 8;
}

s64 sys_sched_setaffinity(u64 pid, u64 len, u64 umask)
{
	u64 mask = 0;
	if (copy_from_user(&mask, umask, len < 8 ? len : 8))
		return -EFAULT;
	if (no_task(pid))
		return -ESRCH;
	return mask & 1 ? 0 : -EINVAL;
}

s64 sys_prlimit64(u64 pid, u64 res, u64 unew, u64 uold)
{
	if (no_task(pid))
		return -ESRCH;
	if (res >= 16)
		return -EINVAL;
	struct rlimit_k old = get_rlim(res), n;
	if (unew) {
		if (copy_from_user(&n, unew, sizeof n))
			return -EFAULT;
		if (n.cur > n.max)
			return -EINVAL;
	}
	if (uold && copy_to_user(uold, &old, sizeof old))
		return -EFAULT;
	if (unew)
		rlim[res] = n;
	return 0;
}

s64 sys_getrlimit(u64 res, u64 uold) { return sys_prlimit64(0, res, 0, uold); }
s64 sys_setrlimit(u64 res, u64 unew) { return sys_prlimit64(0, res, unew, 0); }

s64 sys_getrusage(u64 who, u64 ubuf)
{
	u64 ru[18];
	memset(ru, 0, sizeof ru);
	u64 t = who == (u64)-1 ? current->stime : current->utime; /* ticks of 10 ms */
	ru[0] = t / 100;
	ru[1] = t % 100 * 10000;
	return copy_to_user(ubuf, ru, sizeof ru) ? -EFAULT : 0;
}

/* Credentials: a real, effective and saved id for user and group.  A task
 * whose effective uid is 0 may set any id; another may only set one to a value
 * it already holds (as Linux without capabilities).  -1 leaves an id alone. */
static s64 set_ids(u32 *ids, u64 r, u64 e, u64 s)
{
	u64 want[3] = { r, e, s };
	for (int i = 0; i < 3; i++)
		if ((u32)want[i] != ~0u && current->uid[1] && (u32)want[i] != ids[0] && (u32)want[i] != ids[1] &&
		    (u32)want[i] != ids[2])
			return -EPERM;
	for (int i = 0; i < 3; i++)
		if ((u32)want[i] != ~0u)
			ids[i] = (u32)want[i];
	return 0;
}

/* setuid(id): uid 0 sets all three, another task its effective id only. */
static s64 set_id(u32 *ids, u64 id)
{
	return current->uid[1] ? set_ids(ids, ~0ull, id, ~0ull) : set_ids(ids, id, id, id);
}

static s64 get_ids(const u32 *ids, u64 r, u64 e, u64 s)
{
	return copy_to_user(r, &ids[0], 4) || copy_to_user(e, &ids[1], 4) || copy_to_user(s, &ids[2], 4) ? -EFAULT : 0;
}

s64 sys_getuid(void) { return current->uid[0]; }
s64 sys_geteuid(void) { return current->uid[1]; }
s64 sys_getgid(void) { return current->gid[0]; }
s64 sys_getegid(void) { return current->gid[1]; }
s64 sys_setuid(u64 id) { return set_id(current->uid, id); }
s64 sys_setgid(u64 id) { return set_id(current->gid, id); }
s64 sys_setreuid(u64 r, u64 e) { return set_ids(current->uid, r, e, ~0ull); }
s64 sys_setregid(u64 r, u64 e) { return set_ids(current->gid, r, e, ~0ull); }
s64 sys_setresuid(u64 r, u64 e, u64 s) { return set_ids(current->uid, r, e, s); }
s64 sys_setresgid(u64 r, u64 e, u64 s) { return set_ids(current->gid, r, e, s); }
s64 sys_getresuid(u64 r, u64 e, u64 s) { return get_ids(current->uid, r, e, s); }
s64 sys_getresgid(u64 r, u64 e, u64 s) { return get_ids(current->gid, r, e, s); }

s64 sys_getgroups(u64 size, u64 list)
{
	(void)list;
	if ((int)size < 0)
		return -EINVAL;
	return 0;
}

s64 sys_getrandom(u64 ubuf, u64 n, u64 flags)
{
	if (flags & ~7ull)
		return -EINVAL;
	if (n > 33554431)
		n = 33554431;
	return fill_random_user(ubuf, n) ? -EFAULT : (s64)n;
}

s64 sys_prctl(u64 op, u64 a2)
{
	if (op == 1) { /* PR_SET_PDEATHSIG: when the parent's process ends (Linux: its thread) */
		if (a2 >= NSIG)
			return -EINVAL;
		current->leader->pdeath_sig = (int)a2;
		return 0;
	}
	if (op == 2) /* PR_GET_PDEATHSIG */
		return copy_to_user(a2, &current->leader->pdeath_sig, 4) ? -EFAULT : 0;
	if (op == 15) { /* PR_SET_NAME */
		char n[16];
		if (user_strncpy(n, a2, 16) < 0 && copy_from_user(n, a2, 15))
			return -EFAULT;
		n[15] = 0;
		memcpy(current->comm, n, 16);
		return 0;
	}
	if (op == 16) /* PR_GET_NAME */
		return copy_to_user(a2, current->comm, 16) ? -EFAULT : 0;
	return -EINVAL;
}

s64 sys_nop(void) { return 0; }

/* statfs and fstatfs: proc has no blocks; ramfs (the root, tmpfs mounts)
 * and devtmpfs share the page pool, so their blocks are the pages files
 * hold and the free pages they may take. */
static s64 do_statfs(struct inode *i, u64 ubuf)
{
	int proc = 0, dev = 0;
	for (int k = 0; i && k < 4096; i = i->parent, k++) {
		proc |= procfs_owns(i);
		dev |= i == devfs_root;
	}
	u64 st[15];
	memset(st, 0, sizeof st);
	st[0] = proc ? 0x9fa0 : dev ? 0x01021994 : 0x858458f6; /* PROC_SUPER, TMPFS, RAMFS magic */
	st[1] = PAGE;
	if (!proc) {
		st[2] = fs_pages + pages_free;
		st[3] = st[4] = pages_free;
		st[5] = 1 << 20;
		st[6] = 1 << 19;
	}
	st[8] = NAME_MAX;
	st[9] = PAGE;
	return copy_to_user(ubuf, st, 120) ? -EFAULT : 0;
}

s64 sys_statfs(u64 path, u64 ubuf)
{
	static char kpath[PATH_MAX];
	struct inode *i;
	int r = user_path(path, kpath);
	if (r || (r = path_lookup(AT_FDCWD, kpath, LOOKUP_FOLLOW, &i, 0)))
		return r;
	s64 ret = do_statfs(i, ubuf);
	iput(i);
	return ret;
}

s64 sys_fstatfs(u64 fd, u64 ubuf)
{
	struct file *f = fd < NR_FDS ? fd_get((int)fd) : 0;
	return f ? do_statfs(f->ino, ubuf) : -EBADF;
}

/* Advice is a hint, and ramfs has no cache to steer: the checks Linux's
 * generic_fadvise makes, in its order. */
s64 sys_fadvise64(u64 fd, u64 off, u64 len, u64 advice)
{
	(void)off;
	struct file *f = fd < NR_FDS ? fd_get((int)fd) : 0;
	if (!f)
		return -EBADF;
	if (S_ISFIFO(f->ino->mode))
		return -ESPIPE;
	return (s64)len < 0 || advice > POSIX_FADV_MAX ? -EINVAL : 0;
}

/* A partition's kernel runs its tasks on one CPU: every syscall entry is
 * already the barrier the commands ask for.  PRIVATE_EXPEDITED needs the
 * mm's registration first (EPERM), as on Linux; flags are EINVAL. */
#define MEMBARRIER_SUPPORTED (MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_GLOBAL_EXPEDITED | \
			      MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED | MEMBARRIER_CMD_PRIVATE_EXPEDITED | \
			      MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED)
s64 sys_membarrier(u64 cmd, u64 flags)
{
	if (flags)
		return -EINVAL;
	switch (cmd) {
	case 0:
		return MEMBARRIER_SUPPORTED;
	case MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED:
	case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED:
		current->mm->membarrier |= (u32)cmd;
		return 0;
	case MEMBARRIER_CMD_PRIVATE_EXPEDITED:
		return current->mm->membarrier & MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED ? 0 : -EPERM;
	case MEMBARRIER_CMD_GLOBAL:
	case MEMBARRIER_CMD_GLOBAL_EXPEDITED:
		return 0;
	default:
		return -EINVAL;
	}
}
