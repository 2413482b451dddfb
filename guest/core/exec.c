/*
 * execve for ELF64 programs (guest ring 0): ET_EXEC at its link address and
 * ET_DYN (PIE) at a fixed base, PT_LOAD segments as private file mappings;
 * a PT_INTERP program gets its interpreter (the dynamic loader, ET_DYN)
 * mapped too, where mmap would put it, and starts there; "#!" scripts; and
 * the initial stack the System V x86-64 ABI describes: argc, argv, envp,
 * auxv (AT_BASE the loader's base, AT_ENTRY the program's), strings, 16
 * random bytes.
 */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "core/x86.h"

#define PIE_BASE 0x555555554000ull
#define STACK_TOP 0x7ffffffde000ull
#define STACK_SIZE (8ull << 20)
#define ARG_MAX (2u << 20)       /* argv and envp: strings and pointers, bytes */
#define ARG_STRLEN (128u << 10)  /* one string with its NUL */

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

/* Arguments gathered in one kernel buffer: strings back to back.  The
 * buffer starts at a page and doubles as needed. */
struct args {
	char *buf;
	u64 len, cap;
	int argc, envc;
};

static int args_init(struct args *a)
{
	*a = (struct args){ kmalloc(PAGE - 16), 0, PAGE - 16, 0, 0 };
	return a->buf ? 0 : -ENOMEM;
}

/* Makes room for n more bytes: -E2BIG past ARG_MAX with the pointers. */
static int args_room(struct args *a, u64 n)
{
	if (a->len + n + 8 * (u64)(a->argc + a->envc + 1) > ARG_MAX)
		return -E2BIG;
	if (a->len + n <= a->cap)
		return 0;
	u64 cap = a->cap;
	while (cap < a->len + n)
		cap = cap * 2 + 16;
	char *b = kmalloc(cap);
	if (!b)
		return -ENOMEM;
	memcpy(b, a->buf, a->len);
	kfree(a->buf);
	a->buf = b, a->cap = cap;
	return 0;
}

static int args_add(struct args *a, const char *s)
{
	u64 n = strlen(s) + 1;
	int r = n > ARG_STRLEN ? -E2BIG : args_room(a, n);
	if (r)
		return r;
	memcpy(a->buf + a->len, s, n);
	a->len += n;
	return 0;
}

/* Copies a user string to the end: -E2BIG when longer than ARG_STRLEN. */
static int args_add_user(struct args *a, u64 p)
{
	for (;;) {
		u64 max = a->cap - a->len < ARG_STRLEN ? a->cap - a->len : ARG_STRLEN;
		int n = user_strncpy(a->buf + a->len, p, max);
		if (n >= 0) {
			a->len += (u64)n + 1;
			return args_room(a, 0);
		}
		if (n != -ENAMETOOLONG)
			return n;
		if (max == ARG_STRLEN)
			return -E2BIG;
		if ((n = args_room(a, max + 1)))
			return n;
	}
}

static int put_user_in(struct mm *mm, u64 va, const void *src, u64 n)
{
	return mm_access(mm, va, (void *)src, n, 1) ? -ENOMEM : 0;
}

static u64 hwcap(void)
{
	u32 a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	return d;
}

/* What load_elf found: where the headers and entry are; the interpreter's path. */
struct image {
	u64 entry, phdr, phnum, base, end;
	char interp[PATH_MAX];            /* "" without PT_INTERP */
};

static int build_stack(struct mm *mm, struct args *a, const char *execfn, const struct image *prog, u64 interp_base,
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
	mm->arg_start = mm->arg_end = strings;
	for (int i = 0; i < a->argc; i++)
		mm->arg_end += strlen(a->buf + (mm->arg_end - strings)) + 1;
	mm->env_start = mm->arg_end;
	mm->env_end = strings + a->len;
	u64 aux[][2] = { /* AT_PHDR, PHENT, PHNUM, PAGESZ, BASE, FLAGS, ENTRY, UID, EUID, GID, EGID, PLATFORM,
			  * HWCAP, CLKTCK, SECURE, RANDOM, HWCAP2, EXECFN, MINSIGSTKSZ (what rt_sigframe and
			  * the fxsave area take), NULL */
		{ 3, prog->phdr }, { 4, sizeof(struct phdr) }, { 5, prog->phnum }, { 6, PAGE }, { 7, interp_base },
		{ 8, 0 }, { 9, prog->entry }, { 11, current->uid[0] }, { 12, current->uid[1] }, { 13, current->gid[0] },
		{ 14, current->gid[1] }, { 15, at_platform }, { 16, hwcap() }, { 17, 100 }, { 23, 0 },
		{ 25, at_random }, { 26, 0 }, { 31, at_execfn }, { 51, 2048 }, { 0, 0 },
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

/* Maps ino's PT_LOAD segments into mm: ET_EXEC where linked, ET_DYN at
 * base, or (base 0) where mmap finds room for them all. */
static int load_elf(struct mm *mm, struct inode *ino, u64 base, struct image *im)
{
	struct ehdr eh;
	if (ramfs_read(ino, &eh, sizeof eh, 0) != sizeof eh || memcmp(eh.ident, "\177ELF\2\1", 6) ||
	    eh.machine != 62 || (eh.type != 2 && eh.type != 3) || eh.phentsize != sizeof(struct phdr) ||
	    eh.phnum == 0 || eh.phnum > 64)
		return -ENOEXEC;
	struct phdr ph[64];
	u64 n = eh.phnum * sizeof(struct phdr), span = 0;
	if ((u64)ramfs_read(ino, ph, n, eh.phoff) != n)
		return -ENOEXEC;
	im->interp[0] = 0;
	for (int i = 0; i < eh.phnum; i++) {
		struct phdr *p = &ph[i];
		if (p->type == 1 && p->vaddr + p->memsz > span)
			span = p->vaddr + p->memsz;
		if (p->type != 3) /* PT_INTERP: the loader's path */
			continue;
		if (p->filesz < 2 || p->filesz > PATH_MAX || ramfs_read(ino, im->interp, p->filesz, p->offset) != (s64)p->filesz ||
		    im->interp[p->filesz - 1])
			return -ENOEXEC;
	}
	if (eh.type == 2)
		base = 0;
	else if (!base) { /* the highest hole that takes every segment */
		s64 r = mm_map(mm, 0, span, 0, MAP_PRIVATE | MAP_ANONYMOUS, 0, 0, 0);
		if (r < 0)
			return (int)r;
		base = (u64)r;
		mm_unmap(mm, base, span);
	}
	u64 end = 0;
	im->phdr = 0;
	for (int i = 0; i < eh.phnum; i++) {
		struct phdr *p = &ph[i];
		if (p->type == 6)
			im->phdr = base + p->vaddr;
		if (p->type != 1)
			continue;
		if (p->filesz > p->memsz || (p->vaddr & (PAGE - 1)) != (p->offset & (PAGE - 1)) ||
		    base + p->vaddr + p->memsz > STACK_TOP - STACK_SIZE || p->offset + p->filesz > ino->size)
			return -ENOEXEC;
		/* One region: the file's bytes up to filesz, zeros to memsz. */
		u64 va = BH_ALIGN_DOWN(base + p->vaddr, PAGE), off = BH_ALIGN_DOWN(p->offset, PAGE);
		u64 vend = BH_ALIGN_UP(base + p->vaddr + p->memsz, PAGE);
		u32 prot = (p->flags & 4 ? PROT_READ : 0) | (p->flags & 2 ? PROT_WRITE : 0) | (p->flags & 1 ? PROT_EXEC : 0);
		s64 r = mm_map(mm, va, vend - va, prot, MAP_PRIVATE | MAP_FIXED | VMA_IMAGE, ino, off, p->offset + p->filesz);
		if (r < 0)
			return (int)r;
		if (!im->phdr && eh.phoff >= p->offset && eh.phoff + n <= p->offset + p->filesz)
			im->phdr = base + p->vaddr + (eh.phoff - p->offset);
		if (vend > end)
			end = vend;
	}
	im->entry = base + eh.entry;
	im->phnum = eh.phnum;
	im->base = base;
	im->end = end;
	return 0;
}

/* The program's interpreter, mapped where mmap finds room: its base and entry. */
static int load_interp(struct mm *mm, const char *path, struct image *ld)
{
	struct inode *ino;
	int r = path_lookup(AT_FDCWD, path, LOOKUP_FOLLOW, &ino, 0);
	if (r)
		return r;
	r = !S_ISREG(ino->mode) ? -EACCES : load_elf(mm, ino, 0, ld);
	iput(ino); /* its regions hold it */
	return !r && ld->interp[0] ? -ENOEXEC : r; /* no loader of loaders */
}

/* Runs the program at path; name is what execve was given (a script's, when
 * path is its interpreter): it names the process (comm) and AT_EXECFN. */
static int exec_file(const char *path, const char *name, struct args *a, int depth)
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
		struct args b;
		if ((r = args_init(&b)))
			return r;
		int skip = a->argc > 0; /* argv[0] gives way to the script's path */
		char *old = skip ? a->buf + strlen(a->buf) + 1 : a->buf; /* argv[1].. and envp */
		u64 rest = a->len - (u64)(old - a->buf);
		if (!(r = args_add(&b, s)) && !(r = *arg ? args_add(&b, arg) : 0) && !(r = args_add(&b, path))) {
			b.argc = 2 + (*arg != 0) + a->argc - skip;
			b.envc = a->envc;
			if (!(r = args_room(&b, rest))) {
				memcpy(b.buf + b.len, old, rest);
				b.len += rest;
				r = exec_file(s, name, &b, depth + 1);
			}
		}
		kfree(b.buf);
		return r;
	}
	struct mm *mm = mm_new();
	if (!mm) {
		iput(ino);
		return -ENOMEM;
	}
	u64 sp = 0;
	struct image *im = kmalloc(2 * sizeof *im), *ld = im + 1;
	r = im ? load_elf(mm, ino, PIE_BASE, im) : -ENOMEM;
	mm->exe = ino; /* the reference lookup gave */
	if (!r)
		r = mm_map(mm, STACK_TOP - STACK_SIZE, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED | MAP_GROWSDOWN,
			   0, 0, 0) < 0 ? -ENOMEM : 0;
	if (!r)
		mm->brk_start = mm->brk = im->end;
	if (!r && im->interp[0])
		r = load_interp(mm, im->interp, ld);
	if (!r)
		r = build_stack(mm, a, name, im, im->interp[0] ? ld->base : 0, &sp);
	u64 entry = !im ? 0 : im->interp[0] ? ld->entry : im->entry;
	kfree(im);
	struct task *t = current;
	struct sighand *sh = 0;
	if (!r && t->sighand->refs > 1 && !(sh = kmalloc(sizeof *sh))) /* its own handlers from now on */
		r = -ENOMEM;
	if (!r && (r = exec_end_threads()))
		kfree(sh);
	if (r) {
		mm_put(mm);
		return r;
	}
	/* the point of no return */
	if (sh) {
		*sh = *t->sighand;
		sh->refs = 1;
		t->sighand->refs--;
		t->sighand = sh;
	}
	futex_exit(t); /* the old image's robust futexes and clear_tid */
	t->altstack = (struct stack_k){ 0, SS_DISABLE, 0, 0 };
	struct mm *old = t->mm;
	t->mm = mm;
	vm_switch(mm->pml4);
	vfork_release(t);
	mm_put(old);
	fdtable_cloexec(t->files);
	for (int s = 1; s < NSIG; s++)
		if (t->sighand->sa[s].handler != SIG_IGN)
			t->sighand->sa[s] = (struct ksigaction){ 0 };
	const char *base = name;
	for (const char *p = name; *p; p++)
		if (*p == '/' && p[1])
			base = p + 1;
	memset(t->comm, 0, sizeof t->comm);
	for (int i = 0; i < 15 && base[i] && base[i] != '/'; i++)
		t->comm[i] = base[i];
	t->fs_base = 0;
	set_fs_base(0);
	struct trap_frame *f = t->frame;
	memset(f, 0, sizeof *f);
	f->rip = entry;
	f->rsp = sp;
	f->cs = SEL_UCODE;
	f->ss = SEL_UDATA;
	f->rflags = RFLAGS_IF | 2;
	__asm__ volatile("fninit; fxrstor64 %0" : : "m"(idle_task.fx));
	return 0;
}

int do_execve(const char *path, char *const *kargv, char *const *kenvp)
{
	struct args a;
	int r = args_init(&a);
	if (r)
		return r;
	for (; !r && kargv[a.argc]; a.argc++)
		r = args_add(&a, kargv[a.argc]);
	for (; !r && kenvp[a.envc]; a.envc++)
		r = args_add(&a, kenvp[a.envc]);
	if (!r)
		r = exec_file(path, path, &a, 0);
	kfree(a.buf);
	return r;
}

/* execve(2): arguments are copied into the kernel before the old image goes. */
s64 exec_user(u64 upath, u64 uargv, u64 uenvp)
{
	char *path = kmalloc(PATH_MAX);
	struct args a;
	int r = args_init(&a);
	if (!r && !path)
		r = -ENOMEM;
	if (!r)
		r = user_path(upath, path);
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
			if (!(r = args_add_user(&a, p)))
				pass ? a.envc++ : a.argc++;
		}
	}
	if (!r)
		r = exec_file(path, path, &a, 0);
	kfree(path);
	kfree(a.buf);
	return r;
}
