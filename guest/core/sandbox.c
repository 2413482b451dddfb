/*
 * Sandboxes (guest ring 0): what a task may see and use.  Every task points
 * at one and its children inherit it; the host's own tasks live in the root
 * sandbox, which sees every task.  A sandbox made by sandbox_new has its own
 * root directory (lookups never leave it: fs/walk.c, fs/namei.c), hostname,
 * view of tasks (its own only, under the PIDs the host sees them by) and
 * limits: a task count (fork and clone give EAGAIN), resident user pages (a
 * fault past them is the out-of-memory kill, a fork ENOMEM) and a CPU weight
 * (the scheduler runs the sandbox that has had least time for its weight:
 * core/task.c), and maybe a network interface of its own (a port of the
 * virtual switch, net/switch.c), which its sockets use.  Made through /dev/sandbox (dev/sandbox.c) until the
 * container engine makes them.
 */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "net/vswitch.h"

struct sandbox sandbox_root = { .refs = 1, .hostname = "bulkhead", .cpu_weight = 1024, .vtime_step = 1024 };
static int next_id = 1;
int sandboxes;

struct sandbox *sandbox_new(struct inode *root, const char *hostname, int max_tasks, u64 max_pages,
			    u32 cpu_weight)
{
	struct sandbox *sb = kzalloc(sizeof *sb);
	if (!sb)
		return 0;
	sb->refs = 1;
	sb->id = next_id++;
	sb->root = root;
	iget(root);
	u64 n = strlen(hostname);
	memcpy(sb->hostname, hostname, n < sizeof sb->hostname ? n : sizeof sb->hostname - 1);
	sb->max_tasks = max_tasks;
	sb->max_pages = max_pages;
	sb->cpu_weight = cpu_weight ? cpu_weight : 1024;
	sb->vtime_step = 1024 * 1024 / sb->cpu_weight;
	sb->vtime = current->sb->vtime; /* no head start */
	sandboxes++;
	return sb;
}

void sandbox_get(struct sandbox *sb) { sb->refs++; }

void sandbox_put(struct sandbox *sb)
{
	if (--sb->refs || sb == &sandbox_root)
		return;
	iput(sb->root);
	iput(sb->dev);
	if (sb->port)
		vswitch_port_free(sb->port);
	kfree(sb);
	sandboxes--;
}

u64 sandbox_pages(const struct sandbox *sb)
{
	u64 used = 0; /* a vfork child's shared memory counts twice: on the safe side */
	for (struct task *t = task_list; t; t = t->next)
		if (t->sb == sb && t->mm)
			used += t->mm->pages;
	return used;
}

int sandbox_enter(struct sandbox *sb)
{
	struct task *t = current;
	if (sandbox_full(sb))
		return -EAGAIN;
	sandbox_get(sb);
	sb->tasks++;
	t->sb->tasks--;
	sandbox_put(t->sb);
	t->sb = sb;
	iget(sb->root);
	iput(t->root);
	t->root = sb->root;
	iget(sb->root);
	iput(t->cwd);
	t->cwd = sb->root;
	return 0;
}
