/*
 * execve for static ELF64 programs (guest ring 0): ET_EXEC at its link
 * address and static-PIE (ET_DYN) at a fixed base, PT_LOAD segments as
 * private file mappings, "#!" scripts, and the initial stack the System V
 * x86-64 ABI describes: argc, argv, envp, auxv, strings, 16 random bytes.
 */
#include "../lib/string.h"
#include "kernel.h"
#include "mm.h"
#include "proc.h"

#define PIE_BASE 0x555555554000ull
#define STACK_TOP 0x7ffffffde000ull
#define STACK_SIZE (8ull << 20)
#define ARG_MAX_K (128 * 1024)

struct ehdr {
	u8 ident[16];
	u16 type, machine;
	u32 version;
	u64 entry, phoff, shoff;
	u32 flags;
	u16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct phdr {
	u32 type, flags;
	u64 offset, vaddr, paddr, filesz, memsz, align;
};
_Static_assert(sizeof(struct ehdr) == 64 && sizeof(struct phdr) == 56, "ELF64 layouts");

/* Arguments gathered in one kernel buffer: strings back to back. */
struct args {
	char *buf;
	u64 len;
	int argc, envc;
};

static int args_add(struct args *a, const char *s)
{
	u64 n = strlen(s) + 1;
	if (a->len + n > ARG_MAX_K)
		return -E2BIG;
	memcpy(a->buf + a->len, s, n);
	a->len += n;
	return 0;
}

/* Writes into a space that is not the current one, through the direct map. */
static int put_user_in(struct mm *mm, u64 va, const void *src, u64 n)
{
	const u8 *s = src;
	while (n) {
		u64 *pte = vm_pte(mm->pml4, va, 0);
		if (!pte || !(*pte & PTE_P)) {
			if (mm_fault(mm, va, 1))
				return -ENOMEM;
			pte = vm_pte(mm->pml4, va, 0);
		}
		u64 off = va & (PAGE - 1), k = PAGE - off < n ? PAGE - off : n;
		memcpy((u8 *)p2v(*pte & PTE_ADDR) + off, s, k);
		va += k, s += k, n -= k;
	}
	return 0;
}

static u64 hwcap(void)
{
	u32 a, b, c, d;
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
	return d;
}

static int build_stack(struct mm *mm, struct args *a, const char *execfn, u64 phdr, u64 phnum, u64 entry,
		       u64 *sp_out)
{
	u64 sp = STACK_TOP, rnd[2] = { rdtsc() * 0x9e3779b97f4a7c15ull, rdtsc() ^ 0xc2b2ae3d27d4eb4full };
	sp -= 16;
	u64 at_random = sp;
	if (put_user_in(mm, sp, rnd, 16))
		return -ENOMEM;
	sp -= 8;
	u64 at_platform = sp;
	put_user_in(mm, sp, "x86_64", 7);
	u64 fnlen = strlen(execfn) + 1;
	sp -= fnlen;
	u64 at_execfn = sp;
	put_user_in(mm, sp, execfn, fnlen);
	sp -= a->len;
	u64 strings = sp;
	if (put_user_in(mm, sp, a->buf, a->len))
		return -ENOMEM;
	u64 aux[][2] = {
		{ 3, phdr }, { 4, sizeof(struct phdr) }, { 5, phnum }, { 6, PAGE }, { 7, 0 }, { 8, 0 },
		{ 9, entry }, { 11, 0 }, { 12, 0 }, { 13, 0 }, { 14, 0 }, { 15, at_platform },
		{ 16, hwcap() }, { 17, 100 }, { 23, 0 }, { 25, at_random }, { 26, 0 }, { 31, at_execfn },
		{ 0, 0 },
	};
	u64 nptr = 1 + (u64)a->argc + 1 + (u64)a->envc + 1;
	sp = BH_ALIGN_DOWN(sp - nptr * 8 - sizeof aux, 16);
	u64 *vec = kmalloc(nptr * 8);
	if (!vec)
		return -ENOMEM;
	u64 p = strings, k = 0;
	vec[k++] = (u64)a->argc;
	for (int i = 0; i < a->argc + a->envc; i++) {
		if (i == a->argc)
			vec[k++] = 0;
		vec[k++] = p;
		p += strlen(a->buf + (p - strings)) + 1;
	}
	if (!a->envc)
		vec[k++] = 0;
	vec[k++] = 0;
	int r = put_user_in(mm, sp, vec, nptr * 8) || put_user_in(mm, sp + nptr * 8, aux, sizeof aux);
	kfree(vec);
	*sp_out = sp;
	return r ? -ENOMEM : 0;
}

static int load_elf(struct mm *mm, struct inode *ino, u64 *entry, u64 *phdr_va, u64 *phnum)
{
	struct ehdr eh;
	if (ramfs_read(ino, &eh, sizeof eh, 0) != sizeof eh || memcmp(eh.ident, "\177ELF\2\1", 6) ||
	    eh.machine != 62 || (eh.type != 2 && eh.type != 3) || eh.phentsize != sizeof(struct phdr) ||
	    eh.phnum == 0 || eh.phnum > 64)
		return -ENOEXEC;
	struct phdr ph[64];
	u64 n = eh.phnum * sizeof(struct phdr);
	if ((u64)ramfs_read(ino, ph, n, eh.phoff) != n)
		return -ENOEXEC;
	u64 base = eh.type == 3 ? PIE_BASE : 0, end = 0;
	*phdr_va = 0;
	for (int i = 0; i < eh.phnum; i++) {
		struct phdr *p = &ph[i];
		if (p->type == 3) /* PT_INTERP: dynamic programs are not supported */
			return -ENOEXEC;
		if (p->type == 6)
			*phdr_va = base + p->vaddr;
		if (p->type != 1)
			continue;
		if (p->filesz > p->memsz || (p->vaddr & (PAGE - 1)) != (p->offset & (PAGE - 1)) ||
		    base + p->vaddr + p->memsz > STACK_TOP - STACK_SIZE || p->offset + p->filesz > ino->size)
			return -ENOEXEC;
		u64 va = BH_ALIGN_DOWN(base + p->vaddr, PAGE), off = BH_ALIGN_DOWN(p->offset, PAGE);
		u64 vend = BH_ALIGN_UP(base + p->vaddr + p->memsz, PAGE);
		u32 prot = (p->flags & 4 ? PROT_READ : 0) | (p->flags & 2 ? PROT_WRITE : 0) | (p->flags & 1 ? PROT_EXEC : 0);
		s64 r = mm_map(mm, va, vend - va, prot, MAP_PRIVATE | MAP_FIXED, ino, off, p->offset + p->filesz);
		if (r < 0)
			return (int)r;
		if (!*phdr_va && eh.phoff >= p->offset && eh.phoff + n <= p->offset + p->filesz)
			*phdr_va = base + p->vaddr + (eh.phoff - p->offset);
		if (vend > end)
			end = vend;
	}
	mm->brk_start = mm->brk = end;
	*entry = base + eh.entry;
	*phnum = eh.phnum;
	return 0;
}

void vfork_release(struct task *t);
void set_fs_base(u64 v);

static int exec_file(const char *path, struct args *a, int depth)
{
	struct inode *ino;
	int r = path_lookup(AT_FDCWD, path, LOOKUP_FOLLOW, &ino, 0);
	if (r)
		return r;
	if (!S_ISREG(ino->mode) || !(ino->mode & 0111)) {
		iput(ino);
		return -EACCES;
	}
	char head[128];
	s64 hn = ramfs_read(ino, head, sizeof head - 1, 0);
	if (hn >= 2 && head[0] == '#' && head[1] == '!') { /* script: interpreter [arg] path args... */
		iput(ino);
		if (depth > 4)
			return -ELOOP;
		head[hn] = 0;
		char *s = head + 2, *e;
		while (*s == ' ' || *s == '\t')
			s++;
		for (e = s; *e && *e != '\n'; e++)
			;
		*e = 0;
		char *arg = s;
		while (*arg && *arg != ' ' && *arg != '\t')
			arg++;
		if (*arg)
			*arg++ = 0;
		while (*arg == ' ' || *arg == '\t')
			arg++;
		struct args b = { kmalloc(ARG_MAX_K), 0, 0, a->envc };
		if (!b.buf)
			return -ENOMEM;
		char *old = a->buf + strlen(a->buf) + 1; /* argv[1].. and envp */
		int err = args_add(&b, s) || (*arg && args_add(&b, arg)) || args_add(&b, path);
		b.argc = 2 + (*arg != 0);
		if (!err && a->len > (u64)(old - a->buf)) {
			u64 rest = a->len - (u64)(old - a->buf);
			if (b.len + rest > ARG_MAX_K)
				err = 1;
			else
				memcpy(b.buf + b.len, old, rest), b.len += rest;
		}
		b.argc += a->argc - 1;
		r = err ? -E2BIG : exec_file(s, &b, depth + 1);
		kfree(b.buf);
		return r;
	}
	struct mm *mm = mm_new();
	if (!mm) {
		iput(ino);
		return -ENOMEM;
	}
	u64 entry, phdr, phnum, sp;
	r = load_elf(mm, ino, &entry, &phdr, &phnum);
	iput(ino);
	if (!r)
		r = mm_map(mm, STACK_TOP - STACK_SIZE, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED | MAP_GROWSDOWN,
			   0, 0, 0) < 0 ? -ENOMEM : 0;
	if (!r)
		r = build_stack(mm, a, path, phdr, phnum, entry, &sp);
	if (r) {
		mm_put(mm);
		return r;
	}
	/* the point of no return */
	struct task *t = current;
	struct mm *old = t->mm;
	t->mm = mm;
	vm_switch(mm->pml4);
	vfork_release(t);
	mm_put(old);
	fdtable_cloexec(t->files);
	for (int s = 1; s < NSIG; s++)
		if (t->sa[s].handler != SIG_IGN)
			t->sa[s] = (struct ksigaction){ 0 };
	const char *base = path;
	for (const char *p = path; *p; p++)
		if (*p == '/' && p[1])
			base = p + 1;
	memset(t->comm, 0, sizeof t->comm);
	for (int i = 0; i < 15 && base[i] && base[i] != '/'; i++)
		t->comm[i] = base[i];
	u64 cl = 0, n = 0;
	for (int i = 0; i < a->argc; i++) {
		u64 len = strlen(a->buf + n) + 1;
		n += len;
	}
	cl = n < sizeof t->cmdline ? n : sizeof t->cmdline;
	memcpy(t->cmdline, a->buf, cl);
	t->cmdline_len = (u32)cl;
	t->fs_base = 0;
	set_fs_base(0);
	struct trap_frame *f = t->frame;
	memset(f, 0, sizeof *f);
	f->rip = entry;
	f->rsp = sp;
	f->cs = 0x2b;
	f->ss = 0x23;
	f->rflags = 0x202;
	__asm__ volatile("fninit; fxrstor64 %0" : : "m"(idle_task.fx));
	return 0;
}

int do_execve(const char *path, char *const *kargv, char *const *kenvp)
{
	struct args a = { kmalloc(ARG_MAX_K), 0, 0, 0 };
	if (!a.buf)
		return -ENOMEM;
	int r = 0;
	for (; !r && kargv[a.argc]; a.argc++)
		r = args_add(&a, kargv[a.argc]);
	for (; !r && kenvp[a.envc]; a.envc++)
		r = args_add(&a, kenvp[a.envc]);
	if (!r)
		r = exec_file(path, &a, 0);
	kfree(a.buf);
	return r;
}

/* execve(2): arguments are copied into the kernel before the old image goes. */
s64 sys_execve_user(u64 upath, u64 uargv, u64 uenvp)
{
	char *path = kmalloc(PATH_MAX);
	struct args a = { kmalloc(ARG_MAX_K), 0, 0, 0 };
	int r = path && a.buf ? user_path(upath, path) : -ENOMEM;
	for (int pass = 0; pass < 2 && !r; pass++) {
		u64 vec = pass ? uenvp : uargv;
		for (int i = 0; vec && !r; i++) {
			u64 p;
			if (copy_from_user(&p, vec + 8 * (u64)i, 8)) {
				r = -EFAULT;
				break;
			}
			if (!p)
				break;
			int n = user_strncpy(a.buf + a.len, p, ARG_MAX_K - a.len);
			if (n < 0)
				r = n == -ENAMETOOLONG ? -E2BIG : n;
			else
				a.len += (u64)n + 1, pass ? a.envc++ : a.argc++;
		}
	}
	if (!r)
		r = exec_file(path, &a, 0);
	kfree(path);
	kfree(a.buf);
	return r;
}
