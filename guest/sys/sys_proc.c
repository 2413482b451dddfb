/*
 * Process and memory syscalls (guest ring 0): clone/fork/vfork, execve,
 * exit, wait4, process ids and groups, arch_prctl and the thread-pointer
 * calls, mmap/munmap/mprotect/brk.
 */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "sys/sys.h"

s64 sys_clone(u64 flags, u64 newsp, u64 ptid, u64 ctid, u64 tls) { return do_fork(flags, newsp, ptid, ctid, tls); }
/* clone3(2): the same, its arguments in a structure; a stack is given as
 * its lowest address and size.  Fields past ours must be zeros. */
s64 sys_clone3(u64 uargs, u64 size)
{
	struct clone_args_k a = { 0 };
	if (size < 64)
		return -EINVAL;
	if (size > PAGE)
		return -E2BIG;
	if (copy_from_user(&a, uargs, sizeof a))
		return -EFAULT;
	for (u64 off = sizeof a; off < size; off += 8) {
		u64 v = 0;
		if (copy_from_user(&v, uargs + off, size - off < 8 ? size - off : 8))
			return -EFAULT;
		if (v)
			return off < 88 ? -EINVAL : -E2BIG; /* set_tid, cgroup: not offered */
	}
	if ((a.flags & 0xffull) || a.exit_signal >= NSIG || (!a.stack != !a.stack_size) ||
	    ((a.flags & CLONE_THREAD) && a.exit_signal))
		return -EINVAL;
	return do_fork(a.flags | a.exit_signal, a.stack ? a.stack + a.stack_size : 0, a.parent_tid, a.child_tid, a.tls);
}

s64 sys_fork(void) { return do_fork(SIGCHLD, 0, 0, 0, 0); }
s64 sys_vfork(void) { return do_fork(CLONE_VM | CLONE_VFORK | SIGCHLD, 0, 0, 0, 0); }
s64 sys_execve(u64 path, u64 argv, u64 envp) { return exec_user(path, argv, envp); }

s64 sys_exit(u64 code) { thread_exit(((int)code & 0xff) << 8); }

s64 sys_wait4(u64 pid, u64 status, u64 options, u64 rusage)
{
	if (rusage && clear_user(rusage, 144))
		return -EFAULT;
	return do_wait4((int)pid, status, (int)options);
}

s64 sys_getpid(void) { return current->leader->pid; }
s64 sys_gettid(void) { return current->pid; }
s64 sys_getppid(void)
{
	struct task *p = current->leader->parent;
	return p && sandbox_sees(current, p) ? p->pid : 0; /* a parent outside the sandbox: 0 */
}
s64 sys_getpgrp(void) { return current->pgid; }

s64 sys_getpgid(u64 pid)
{
	struct task *t = pid ? task_find((int)pid) : current;
	return t ? t->pgid : -ESRCH;
}

s64 sys_getsid(u64 pid)
{
	struct task *t = pid ? task_find((int)pid) : current;
	return t ? t->sid : -ESRCH;
}

/* Every thread of l's process gets the process group and session. */
static void set_group_ids(struct task *l, int pgid, int sid)
{
	for (struct task *t = task_list; t; t = t->next)
		if (t->leader == l)
			t->pgid = pgid, t->sid = sid;
}

s64 sys_setpgid(u64 pid, u64 pgid)
{
	struct task *t = pid ? task_find((int)pid) : current, *me = current->leader;
	if (!t || (t->leader != me && t->leader->parent != me))
		return -ESRCH;
	if ((s64)pgid < 0)
		return -EINVAL;
	t = t->leader;
	if (t->sid == t->pid)
		return -EPERM;
	set_group_ids(t, pgid ? (int)pgid : t->pid, t->sid);
	return 0;
}

s64 sys_setsid(void)
{
	struct task *l = current->leader;
	if (l->pgid == l->pid)
		return -EPERM;
	set_group_ids(l, l->pid, l->pid);
	return l->sid;
}

s64 sys_set_tid_address(u64 p)
{
	current->clear_tid = p;
	return current->pid;
}

s64 sys_arch_prctl(u64 code, u64 addr)
{
	switch (code) {
	case 0x1002: /* ARCH_SET_FS */
		if (addr >= USER_TOP)
			return -EPERM;
		current->fs_base = addr;
		set_fs_base(addr);
		return 0;
	case 0x1003: /* ARCH_GET_FS */
		return copy_to_user(addr, &current->fs_base, 8) ? -EFAULT : 0;
	}
	return -EINVAL;
}

s64 sys_mmap(u64 addr, u64 len, u64 prot, u64 flags, u64 fd, u64 off)
{
	if (!len || (off & (PAGE - 1)) || (prot & ~7ull) || !(flags & (MAP_PRIVATE | MAP_SHARED)))
		return -EINVAL;
	struct inode *ino = 0;
	u64 file_end = 0;
	if (!(flags & MAP_ANONYMOUS)) {
		struct file *f = fd < NR_FDS ? fd_get((int)fd) : 0;
		if (!f)
			return -EBADF;
		if (f->ino->rdev == ((1 << 8) | 5)) { /* /dev/zero */
			ino = 0;
		} else if (!S_ISREG(f->ino->mode) || f->ino->fops) {
			return -ENODEV;
		} else {
			if ((f->flags & O_ACCMODE) == O_WRONLY ||
			    ((flags & MAP_SHARED) && (prot & PROT_WRITE) && (f->flags & O_ACCMODE) != O_RDWR))
				return -EACCES;
			ino = f->ino;
			file_end = off + len < ino->size ? off + len : ino->size;
			if (file_end < off)
				file_end = off;
		}
	}
	if ((flags & MAP_SHARED) && !ino) {
		/* Shared anonymous memory (or /dev/zero's): as Linux does, the
		 * pages of an unnamed file, which fork's copy shares */
		if (!(ino = inode_new(S_IFREG | 0600)))
			return -ENOMEM;
		ino->size = file_end = BH_ALIGN_UP(len, PAGE);
		off = 0;
		s64 r = mm_map(current->mm, addr, len, (u32)prot, (u32)flags & ~VMA_IMAGE, ino, off, file_end);
		iput(ino);
		return r;
	}
	return mm_map(current->mm, addr, len, (u32)prot, (u32)flags & ~VMA_IMAGE, ino, off, file_end);
}

s64 sys_munmap(u64 addr, u64 len)
{
	if (!len)
		return -EINVAL;
	return mm_unmap(current->mm, addr, len);
}

s64 sys_mprotect(u64 addr, u64 len, u64 prot) { return mm_protect(current->mm, addr, len, (u32)prot); }
/* msync(2): a shared mapping is the file's own pages; nothing to write back. */
s64 sys_msync(u64 addr, u64 len, u64 flags)
{
	u64 end = addr + BH_ALIGN_UP(len, PAGE);
	if ((addr & (PAGE - 1)) || (flags & ~7ull) || ((flags & 1) && (flags & 4)))
		return -EINVAL; /* MS_ASYNC 1, MS_INVALIDATE 2, MS_SYNC 4 */
	if (end < addr)
		return -ENOMEM;
	for (u64 a = addr; a < end; a = vma_find(current->mm, a)->end)
		if (!vma_find(current->mm, a))
			return -ENOMEM;
	return 0;
}

/* madvise(2): DONTNEED and FREE drop the pages; other advice is only checked. */
s64 sys_madvise(u64 addr, u64 len, u64 advice)
{
	if (advice == MADV_DONTNEED || advice == MADV_FREE)
		return mm_discard(current->mm, addr, len);
	return addr & (PAGE - 1) ? -EINVAL : 0;
}

s64 sys_mremap(u64 old, u64 old_len, u64 new_len, u64 flags)
{
	return mm_remap(current->mm, old, old_len, new_len, flags);
}

