/*
 * procfs (guest ring 0): synthetic files generated when opened, enough for
 * busybox ps, top, free and uptime: /proc/{meminfo,uptime,loadavg,stat,
 * version,mounts,cpuinfo,filesystems}, the files drivers register
 * (/proc/interrupts), /proc/self and /proc/<pid>/{stat,
 * status,cmdline,environ,comm,maps}, the links /proc/<pid>/{exe,cwd,root},
 * the directories /proc/<pid>/fd and /proc/<pid>/task (a <pid> directory per
 * thread), and /proc/net/{dev,route} (net/ether.c).  Only processes are
 * listed; a thread's id names its own too.  Inodes are made per lookup and
 * freed on release.
 */
#include "../../lib/fmt.h"
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "bh/bh.h"
#include "dev/dev.h"
#include "net/net.h"

struct inode *procfs_root;

typedef int (*gen_fn)(struct task *t, char *b, int n);
#define GEN_MAX 16384

static int g_meminfo(struct task *t, char *b, int n)
{
	(void)t;
	u64 total = pages_total * 4, free = pages_free * 4, shm = fs_pages * 4;
	return bh_snprintf(b, (size_t)n,
			   "MemTotal:       %8llu kB\nMemFree:        %8llu kB\nMemAvailable:   %8llu kB\n"
			   "Buffers:               0 kB\nCached:         %8llu kB\nSwapCached:            0 kB\n"
			   "Active:                0 kB\nInactive:              0 kB\nSwapTotal:             0 kB\n"
			   "SwapFree:              0 kB\nDirty:                 0 kB\nShmem:          %8llu kB\n"
			   "Slab:                  0 kB\nSReclaimable:          0 kB\n",
			   total, free, free, shm, shm);
}

static int g_uptime(struct task *t, char *b, int n)
{
	(void)t;
	u64 cs = now_ns() / 10000000ull, idle = idle_task.utime;
	return bh_snprintf(b, (size_t)n, "%llu.%02llu %llu.%02llu\n", cs / 100, cs % 100, idle / 100, idle % 100);
}

static int g_loadavg(struct task *t, char *b, int n)
{
	(void)t;
	return bh_snprintf(b, (size_t)n, "0.00 0.00 0.00 1/%d %d\n", task_count(), last_pid());
}

static int g_stat(struct task *t, char *b, int n)
{
	(void)t;
	u64 busy = 0;
	for (struct task *x = task_list; x; x = x->next)
		busy += x->utime;
	u64 idle = idle_task.utime;
	return bh_snprintf(b, (size_t)n,
			   "cpu  %llu 0 0 %llu 0 0 0 0 0 0\ncpu0 %llu 0 0 %llu 0 0 0 0 0 0\nintr 0\nctxt 0\n"
			   "btime %llu\nprocesses %d\nprocs_running 1\nprocs_blocked 0\n",
			   busy, idle, busy, idle, boot_epoch, task_count());
}

static int g_version(struct task *t, char *b, int n)
{
	(void)t;
	return bh_snprintf(b, (size_t)n, "Linux version 6.1.0-bulkhead (bulkhead) #1 SMP Bulkhead guest kernel\n");
}

static int g_mounts(struct task *t, char *b, int n)
{
	(void)t;
	return bh_snprintf(b, (size_t)n, "ramfs / ramfs rw 0 0\nproc /proc proc rw 0 0\ndevtmpfs /dev devtmpfs rw 0 0\n");
}

static int g_cpuinfo(struct task *t, char *b, int n)
{
	(void)t;
	return bh_snprintf(b, (size_t)n, "processor\t: 0\nvendor_id\t: %s\nmodel name\t: virtual CPU\ncpu MHz\t\t: %llu\n\n",
			   hv_backend == BH_BACKEND_SVM ? "AuthenticAMD" : "GenuineIntel", boot_info->tsc_hz / 1000000);
}

static int g_filesystems(struct task *t, char *b, int n)
{
	(void)t;
	return bh_snprintf(b, (size_t)n, "nodev\tramfs\nnodev\tproc\nnodev\tdevtmpfs\nnodev\ttmpfs\n");
}

/* Bulkhead's own figures: TSC at kernel entry and at the shell's first wait
 * for input, the kernel image and the memory in use; the default isolation
 * for new containers (bulkhead.cfg's isolation =, for the engine), where
 * the engine serves its API (api =), net = (dhcp, or the static
 * ADDR/PREFIX,GATEWAY), and insecure-registries = (HOST[:PORT],..., when
 * given, for the engine). */
static int g_bulkhead(struct task *t, char *b, int n)
{
	(void)t;
	const char *iso = boot_info->isolation == BH_ISO_HYPERV ? "hyperv" : "process";
	u32 a = boot_info->net_addr, g = boot_info->net_gateway;
	int k = bh_snprintf(b, (size_t)n,
			    "entry_to_prompt_tsc %llu\nkernel_image_bytes %llu\npages_used %llu\nfs_pages %llu\nisolation %s\n"
			    "api %.*s\n",
			    prompt_tsc ? prompt_tsc - kernel_entry_tsc : 0, (u64)(__kernel_end - __kernel_start),
			    pages_total - pages_free, fs_pages, iso, BH_API_MAX, boot_info->api);
	if (!a)
		k += bh_snprintf(b + k, (size_t)(k < n ? n - k : 0), "net dhcp\n");
	else
		k += bh_snprintf(b + k, (size_t)(k < n ? n - k : 0), "net %u.%u.%u.%u/%u,%u.%u.%u.%u\n", a >> 24,
				 a >> 16 & 255, a >> 8 & 255, a & 255, boot_info->net_prefix, g >> 24, g >> 16 & 255,
				 g >> 8 & 255, g & 255);
	if (boot_info->insecure_registries[0])
		k += bh_snprintf(b + k, (size_t)(k < n ? n - k : 0), "insecure-registries %.*s\n",
				 BH_REGISTRIES_MAX - 1, boot_info->insecure_registries);
	return k;
}

static char state_char(struct task *t)
{
	if (t->state == T_STOPPED)
		return 'T';
	return t->state == T_ZOMBIE ? 'Z' : t == current || t->state == T_RUNNABLE ? 'R' : 'S';
}

static int ppid(struct task *t) { return t->leader->parent ? t->leader->parent->pid : 0; }

static int g_pid_stat(struct task *t, char *b, int n)
{
	u64 vsz = 0;
	if (t->mm)
		for (struct vma *v = t->mm->vmas; v; v = v->next)
			vsz += v->end - v->start;
	u64 start = boot_ns_of(t->start_tsc) / 10000000ull;
	return bh_snprintf(b, (size_t)n,
			   "%d (%s) %c %d %d %d %d %d 4194560 0 0 0 0 %llu %llu 0 0 20 0 %d 0 %llu %llu %llu "
			   "18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
			   t->pid, t->comm, state_char(t), ppid(t), t->pgid, t->sid, 0x8801, t->pgid, t->utime, t->stime,
			   t->leader->live, start, vsz, t->mm ? t->mm->pages : 0);
}

static int g_pid_status(struct task *t, char *b, int n)
{
	u64 vsz = 0;
	if (t->mm)
		for (struct vma *v = t->mm->vmas; v; v = v->next)
			vsz += v->end - v->start;
	return bh_snprintf(b, (size_t)n,
			   "Name:\t%s\nState:\t%c\nTgid:\t%d\nPid:\t%d\nPPid:\t%d\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\n"
			   "VmSize:\t%8llu kB\nVmRSS:\t%8llu kB\nThreads:\t%d\n",
			   t->comm, state_char(t), t->leader->pid, t->pid, ppid(t), vsz >> 10, t->mm ? t->mm->pages * 4 : 0,
			   t->leader->live);
}

/* Strings from the task's own memory, where execve put them (at most
 * ARG_MAX bytes); like snprintf, the length they need when n is short. */
static int user_strings(struct task *t, int env, char *b, int n)
{
	struct mm *mm = t->mm;
	if (!mm)
		return 0;
	u64 start = env ? mm->env_start : mm->arg_start, k = (env ? mm->env_end : mm->arg_end) - start;
	if (k >= (u64)n)
		return (int)k;
	return mm_access(mm, start, b, k, 0) ? 0 : (int)k;
}

static int g_pid_cmdline(struct task *t, char *b, int n) { return user_strings(t, 0, b, n); }
static int g_pid_environ(struct task *t, char *b, int n) { return user_strings(t, 1, b, n); }

/* One line per region as Linux writes them: range, rwx and private or
 * shared, file offset, device, inode, and the file's path (after column
 * 72 and a space), [heap] or [stack]. */
static int g_pid_maps(struct task *t, char *b, int n)
{
	int k = 0;
	char path[256];
	for (struct vma *v = t->mm ? t->mm->vmas : 0; v; v = v->next) {
		const char *name = "";
		if (v->file && inode_path(v->file, path, sizeof path) >= 0)
			name = path;
		else if (v->flags & MAP_GROWSDOWN)
			name = "[stack]";
		else if (!v->file && v->start < t->mm->brk && v->end > t->mm->brk_start)
			name = "[heap]";
		int w = bh_snprintf(b + k, (size_t)(k < n ? n - k : 0), "%08llx-%08llx %c%c%c%c %08llx %s %llu",
				    v->start, v->end, v->prot & PROT_READ ? 'r' : '-', v->prot & PROT_WRITE ? 'w' : '-',
				    v->prot & PROT_EXEC ? 'x' : '-', v->flags & MAP_SHARED ? 's' : 'p',
				    v->file ? v->off : 0, v->file ? "00:01" : "00:00", v->file ? v->file->ino : 0);
		for (k += w; *name && w < 72; w++, k++)
			if (k < n)
				b[k] = ' ';
		k += bh_snprintf(b + k, (size_t)(k < n ? n - k : 0), *name ? " %s\n" : "\n", name);
	}
	return k;
}

static int g_pid_comm(struct task *t, char *b, int n) { return bh_snprintf(b, (size_t)n, "%s\n", t->comm); }
static int g_net_dev(struct task *t, char *b, int n) { return (void)t, net_proc_dev(b, n); }
static int g_net_route(struct task *t, char *b, int n) { return (void)t, net_proc_route(b, n); }

struct pentry {
	const char *name;
	gen_fn gen;
};
static const struct pentry top_files[] = {
	{ "meminfo", g_meminfo }, { "uptime", g_uptime }, { "loadavg", g_loadavg }, { "stat", g_stat },
	{ "version", g_version }, { "mounts", g_mounts }, { "cpuinfo", g_cpuinfo },
	{ "filesystems", g_filesystems }, { "bulkhead", g_bulkhead },
}, pid_files[] = {
	{ "stat", g_pid_stat }, { "status", g_pid_status }, { "cmdline", g_pid_cmdline }, { "comm", g_pid_comm },
	{ "environ", g_pid_environ }, { "maps", g_pid_maps },
}, net_files[] = {
	{ "dev", g_net_dev }, { "route", g_net_route },
};

static struct pentry drv_files[4]; /* procfs_register's */
static u32 nr_drv;

int procfs_register(const char *name, gen_fn gen)
{
	if (nr_drv == BH_ARRAY_SIZE(drv_files))
		return -ENOSPC;
	drv_files[nr_drv++] = (struct pentry){ name, gen };
	return 0;
}

/* The top-level files: the fixed ones, then the drivers'. */
static const struct pentry *top_file(u64 k)
{
	return k < BH_ARRAY_SIZE(top_files) ? &top_files[k] : &drv_files[k - BH_ARRAY_SIZE(top_files)];
}

struct pbuf {
	char *data;
	int len;
};

static int proc_open(struct file *f)
{
	struct task *t = 0;
	if (f->ino->priv2) {
		t = task_list;
		while (t && t->pid != (int)f->ino->priv2)
			t = t->next;
		if (!t || !sandbox_sees(current, t))
			return -ENOENT;
	}
	struct pbuf *p = kmalloc(sizeof *p);
	char *d = kmalloc(GEN_MAX);
	if (!p || !d) {
		kfree(p), kfree(d);
		return -ENOMEM;
	}
	gen_fn gen = (gen_fn)f->ino->priv;
	int n = gen(t, d, GEN_MAX);
	if (n >= GEN_MAX) { /* once more with room for all of it */
		kfree(d);
		if (!(d = kmalloc((u64)n + 1))) {
			kfree(p);
			return -ENOMEM;
		}
		n = gen(t, d, n + 1);
	}
	p->data = d;
	p->len = n;
	f->priv = p;
	return 0;
}

static s64 proc_read(struct file *f, u64 ubuf, u64 n)
{
	struct pbuf *p = f->priv;
	if (f->pos >= (u64)p->len)
		return 0;
	if (n > (u64)p->len - f->pos)
		n = (u64)p->len - f->pos;
	if (copy_to_user(ubuf, p->data + f->pos, n))
		return -EFAULT;
	f->pos += n;
	return (s64)n;
}

static void proc_release(struct file *f)
{
	struct pbuf *p = f->priv;
	if (p) {
		kfree(p->data);
		kfree(p);
	}
}

static s64 proc_write(struct file *f, u64 ubuf, u64 n)
{
	(void)f, (void)ubuf, (void)n;
	return -EACCES;
}

static const struct file_ops proc_fops = { .read = proc_read, .write = proc_write, .open = proc_open,
					   .release = proc_release, .seekable = 1 };

static struct inode *file_inode(gen_fn g, int pid)
{
	struct inode *i = inode_new(S_IFREG | 0444);
	if (i) {
		i->fops = &proc_fops;
		i->priv = (void *)g;
		i->priv2 = (u64)pid;
	}
	return i;
}

static int parse_pid(const char *s)
{
	int v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 1000000)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

/* A symlink to target, or with a target of n bytes that fill() writes. */
static struct inode *link_inode(int (*fill)(void *arg, char *b, u64 n), void *arg)
{
	struct inode *l = inode_new(S_IFLNK | 0777);
	char *b = kmalloc(PATH_MAX);
	int n = b ? fill(arg, b, PATH_MAX) : -ENOMEM;
	if (!l || n < 0) {
		kfree(b);
		iput(l);
		return 0;
	}
	l->target = b;
	l->size = strlen(b);
	return l;
}

/* Where an open file is: a path, or "pipe:[ino]" and the like for what has none. */
static int file_target(void *arg, char *b, u64 n)
{
	struct inode *i = ((struct file *)arg)->ino;
	if (i->parent || i == current->root)
		return inode_path(i, b, n);
	return bh_snprintf(b, n, "%s:[%llu]", S_ISFIFO(i->mode) ? "pipe" : S_ISSOCK(i->mode) ? "socket" : "anon_inode",
			   i->ino);
}

static int exe_target(void *arg, char *b, u64 n)
{
	struct mm *mm = ((struct task *)arg)->mm;
	return mm && mm->exe ? inode_path(mm->exe, b, n) : -ENOENT;
}
static int cwd_target(void *arg, char *b, u64 n) { return inode_path(((struct task *)arg)->cwd, b, n); }
static int root_target(void *arg, char *b, u64 n) { return inode_path(((struct task *)arg)->root, b, n); }
static int text_target(void *arg, char *b, u64 n) { return bh_snprintf(b, n, "%s", (const char *)arg); }

static const struct plink {
	const char *name;
	int (*fill)(void *task, char *b, u64 n);
} pid_links[] = { { "exe", exe_target }, { "cwd", cwd_target }, { "root", root_target } };

static struct inode *dot(struct inode *dir, const char *name, struct inode *up)
{
	struct inode *r = !strcmp(name, ".") ? dir : !strcmp(name, "..") ? up : 0;
	iget(r);
	return r;
}

static struct inode *root_lookup(struct inode *dir, const char *name);

/* /proc/<pid>/fd: one link per open descriptor. */
static struct inode *fd_lookup(struct inode *dir, const char *name)
{
	if (!strcmp(name, "..")) {
		char pid[16];
		bh_snprintf(pid, sizeof pid, "%d", (int)dir->priv2);
		return root_lookup(dir->parent, pid);
	}
	struct inode *r = dot(dir, name, 0);
	struct task *t = task_find((int)dir->priv2);
	int fd = parse_pid(name);
	if (r || !t || !t->files || fd < 0 || fd >= NR_FDS || !t->files->fd[fd])
		return r;
	return link_inode(file_target, t->files->fd[fd]);
}

static int fd_iterate(struct inode *dir, u64 *pos, dir_emit_fn emit, void *ctx)
{
	struct task *t = task_find((int)dir->priv2);
	for (; t && t->files && *pos < NR_FDS; (*pos)++) {
		char n[8];
		bh_snprintf(n, sizeof n, "%d", (int)*pos);
		if (t->files->fd[*pos] && emit(ctx, n, dir->ino * NR_FDS + *pos, 10, *pos + 1))
			return 1;
	}
	return 0;
}

static const struct dir_ops fd_dops = { .lookup = fd_lookup, .iterate = fd_iterate };

static const struct dir_ops pid_dops;

/* /proc/<pid>/task: a <pid> directory per thread of the process. */
static struct inode *task_lookup(struct inode *dir, const char *name)
{
	struct inode *r = dot(dir, name, 0);
	struct task *l = task_find((int)dir->priv2), *t = task_find(parse_pid(name));
	if (r || !l || !t || !same_group(l, t) || !(r = inode_new(S_IFDIR | 0555)))
		return r;
	r->dops = &pid_dops;
	r->priv2 = (u64)t->pid;
	r->parent = dir->parent;
	return r;
}

static int task_iterate(struct inode *dir, u64 *pos, dir_emit_fn emit, void *ctx)
{
	struct task *l = task_find((int)dir->priv2);
	u64 k = 0;
	for (struct task *t = task_list; l && t; t = t->next) {
		if (!same_group(l, t) || t->state == T_ZOMBIE || k++ < *pos)
			continue;
		char n[16];
		bh_snprintf(n, sizeof n, "%d", t->pid);
		if (emit(ctx, n, 0x20000 + (u64)t->pid, 4, *pos + 1))
			return 1;
		(*pos)++;
	}
	return 0;
}

static const struct dir_ops task_dops = { .lookup = task_lookup, .iterate = task_iterate };

static struct inode *pid_lookup(struct inode *dir, const char *name)
{
	struct inode *r = dot(dir, name, dir->parent);
	struct task *t = task_find((int)dir->priv2);
	if (r || !t)
		return r;
	for (u32 k = 0; k < BH_ARRAY_SIZE(pid_files); k++)
		if (!strcmp(name, pid_files[k].name))
			return file_inode(pid_files[k].gen, (int)dir->priv2);
	for (u32 k = 0; k < BH_ARRAY_SIZE(pid_links); k++)
		if (!strcmp(name, pid_links[k].name))
			return link_inode(pid_links[k].fill, t);
	int task = !strcmp(name, "task");
	if ((!task && strcmp(name, "fd")) || !(r = inode_new(S_IFDIR | (task ? 0555 : 0500))))
		return 0;
	r->dops = task ? &task_dops : &fd_dops;
	r->priv2 = dir->priv2;
	r->parent = dir->parent;
	return r;
}

/* Entries: the files, the links, then "fd" and "task". */
static int pid_iterate(struct inode *dir, u64 *pos, dir_emit_fn emit, void *ctx)
{
	u64 nf = BH_ARRAY_SIZE(pid_files), nl = BH_ARRAY_SIZE(pid_links);
	for (; *pos < nf + nl + 2; (*pos)++) {
		u64 k = *pos;
		const char *n = k < nf ? pid_files[k].name : k < nf + nl ? pid_links[k - nf].name : k == nf + nl ? "fd" : "task";
		if (emit(ctx, n, dir->ino * 16 + k, k < nf ? 8 : k < nf + nl ? 10 : 4, k + 1))
			return 1;
	}
	return 0;
}

static const struct dir_ops pid_dops = { .lookup = pid_lookup, .iterate = pid_iterate };

/* /proc/net: the interfaces' counters and routes. */
static struct inode *net_lookup(struct inode *dir, const char *name)
{
	struct inode *r = dot(dir, name, dir->parent);
	for (u32 k = 0; !r && k < BH_ARRAY_SIZE(net_files); k++)
		if (!strcmp(name, net_files[k].name))
			return file_inode(net_files[k].gen, 0);
	return r;
}

static int net_iterate(struct inode *dir, u64 *pos, dir_emit_fn emit, void *ctx)
{
	for (; *pos < BH_ARRAY_SIZE(net_files); (*pos)++)
		if (emit(ctx, net_files[*pos].name, dir->ino * 16 + *pos, 8, *pos + 1))
			return 1;
	return 0;
}

static const struct dir_ops net_dops = { .lookup = net_lookup, .iterate = net_iterate };

static struct inode *root_lookup(struct inode *dir, const char *name)
{
	struct inode *r = dot(dir, name, dir->parent ? dir->parent : dir);
	if (r)
		return r;
	for (u32 k = 0; k < BH_ARRAY_SIZE(top_files) + nr_drv; k++)
		if (!strcmp(name, top_file(k)->name))
			return file_inode(top_file(k)->gen, 0);
	if (!strcmp(name, "net")) {
		if ((r = inode_new(S_IFDIR | 0555)))
			r->dops = &net_dops, r->parent = dir;
		return r;
	}
	if (!strcmp(name, "self")) {
		char pid[16];
		bh_snprintf(pid, sizeof pid, "%d", current->leader->pid);
		return link_inode(text_target, pid);
	}
	int pid = parse_pid(name);
	struct task *t = task_list;
	while (t && t->pid != pid)
		t = t->next;
	if (!t || !sandbox_sees(current, t))
		return 0;
	struct inode *d = inode_new(S_IFDIR | 0555);
	if (d) {
		d->dops = &pid_dops;
		d->priv2 = (u64)pid;
		d->parent = dir; /* this mount's root: a sandbox mounts its own */
	}
	return d;
}

static int root_iterate(struct inode *dir, u64 *pos, dir_emit_fn emit, void *ctx)
{
	(void)dir;
	u64 nfix = BH_ARRAY_SIZE(top_files) + nr_drv;
	for (; *pos < 2 + nfix + 2; (*pos)++) {
		u64 k = *pos;
		const char *n = k == 0 ? "." : k == 1 ? ".." : k < 2 + nfix ? top_file(k - 2)->name : k == 2 + nfix ? "self" : "net";
		if (emit(ctx, n, 0x10000 + k, k < 2 ? 4 : k < 2 + nfix ? 8 : k == 2 + nfix ? 10 : 4, k + 1))
			return 1;
	}
	/* then the tasks, by pid: position = 1000 + pid */
	for (;;) {
		struct task *best = 0;
		for (struct task *t = task_list; t; t = t->next)
			if (t->leader == t && (u64)t->pid + 1000 >= *pos && (!best || t->pid < best->pid) &&
			    sandbox_sees(current, t))
				best = t;
		if (!best)
			return 0;
		if (*pos < (u64)best->pid + 1000)
			*pos = (u64)best->pid + 1000;
		char n[16];
		bh_snprintf(n, sizeof n, "%d", best->pid);
		if (emit(ctx, n, 0x20000 + (u64)best->pid, 4, *pos + 1))
			return 1;
		(*pos)++;
	}
}

static const struct dir_ops root_dops = { .lookup = root_lookup, .iterate = root_iterate };

/* Made by procfs (statfs tells proc from the rest); its symlinks are not. */
int procfs_owns(struct inode *i)
{
	return i == procfs_root || i->fops == &proc_fops || i->dops == &root_dops || i->dops == &pid_dops ||
	       i->dops == &fd_dops || i->dops == &net_dops || i->dops == &task_dops;
}

void procfs_init(void)
{
	procfs_root = inode_new(S_IFDIR | 0555);
	procfs_root->dops = &root_dops;
	procfs_root->nlink = 2;
	fs_register("proc", procfs_root);
}
