/*
 * /dev/sandbox (guest ring 0): how a sandbox is made until the container
 * engine makes its own.  A task of the root sandbox writes one line
 *     root=PATH [hostname=NAME] [tasks=N] [pages=N] [cpu=WEIGHT] [cwd=DIR]
 * or  lower=PATH upper=PATH [hostname=NAME] [tasks=N] [pages=N] [cpu=WEIGHT] [cwd=DIR]
 * and moves into a new sandbox (core/sandbox.c) with PATH as its root and
 * working directory, its own hostname (default "sandbox"), at most N tasks,
 * N resident user pages and a CPU weight (1024 = one share, the host's);
 * then it execs what should run there.  With lower= and upper= the root is
 * an overlay (fs/overlay.c) of the read-only lower directory, an image's
 * tree, under the writable upper, which must be empty on first use and
 * becomes the merged root; nothing done inside changes the lower.  Or
 *     join=PID [cwd=DIR]
 * moves it into the sandbox of task PID (nsenter's model, for a shell in a
 * running container): its root, hostname, view of tasks and limits (it
 * counts as one of its tasks).  cwd=DIR: the working directory instead of
 * the root, looked up from the sandbox's root (a container's WorkingDir).
 * From a shell:
 *     sh -c 'echo root=/srv/c1 hostname=c1 tasks=8 > /dev/sandbox && exec /bin/sh'
 * Errors: EPERM from inside a sandbox or for a non-root caller; EINVAL for a
 * bad line (root= with upper=, one of lower= and upper= alone, join= with
 * words other than cwd=), a PID of the root sandbox, an upper already over
 * another lower, or a lower and an upper inside each other; ESRCH for no
 * task PID (or a zombie); ENOTEMPTY for an upper not empty on its first use;
 * EAGAIN for a sandbox at its task limit; the lookup's error (ENOTDIR for a
 * file) for a PATH or DIR.  Limits of 0 (or none given): only the kernel's own.
 * A new sandbox may also get a network interface of its own:
 *     net=ADDR/PREFIX[,GATEWAY[,MAC]]
 * a port of the virtual switch whose network holds ADDR (net/switch.c),
 * with that network's prefix and gateway, and MAC (default 02:42 and the
 * address); its sockets then use ADDR, and it sees that interface (eth0)
 * and the loopback.  Errors: EINVAL (malformed, not the network's prefix or
 * gateway, with join=), EADDRNOTAVAIL (no network holds ADDR), EADDRINUSE
 * (ADDR or MAC taken), ENOSPC (too many ports).  net=none: no interface,
 * the loopback only (elsewhere ENETUNREACH).  Without net= a sandbox
 * shares the host's interfaces, as before.
 */
#include "../../lib/string.h"
#include "../../lib/fmt.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "dev/dev.h"
#include "net/vswitch.h"

#define LINE_MAX_BYTES 512

/* The value of "key=" in the line's words, NUL-terminated in place, or NULL. */
static char *word(char *line, u64 n, const char *key)
{
	u64 kl = strlen(key);
	for (u64 i = 0; i < n; i++) {
		if ((i && line[i - 1]) || i + kl >= n || memcmp(line + i, key, kl) || line[i + kl] != '=')
			continue;
		return line + i + kl + 1;
	}
	return 0;
}

static int number(char *line, u64 n, const char *key, u64 max, u64 *out)
{
	char *v = word(line, n, key);
	unsigned long long x = 0;
	if (v && (bh_parse_u64(v, &x) || x > max))
		return -EINVAL;
	*out = x;
	return 0;
}

/* The directory at path (referenced). */
static int lookup_dir(const char *path, struct inode **dir)
{
	int r = path_lookup(AT_FDCWD, path, LOOKUP_FOLLOW, dir, 0);
	if (!r && !S_ISDIR((*dir)->mode)) {
		iput(*dir);
		r = -ENOTDIR;
	}
	return r;
}

/* The sandbox a line names (referenced): task PID's for join=PID, else a
 * new one (root=, or lower= and upper=). */
static int target(char *line, u64 n, struct sandbox **out)
{
	char *root = word(line, n, "root"), *host = word(line, n, "hostname");
	char *lower = word(line, n, "lower"), *upper = word(line, n, "upper");
	u64 tasks, pages, cpu, pid;
	if (number(line, n, "tasks", 1 << 20, &tasks) || number(line, n, "pages", 1ull << 40, &pages) ||
	    number(line, n, "cpu", 1 << 20, &cpu) || number(line, n, "join", 1 << 30, &pid))
		return -EINVAL;
	if (word(line, n, "join")) {
		if (!pid || root || lower || upper || host || tasks || pages || cpu || word(line, n, "net"))
			return -EINVAL;
		struct task *t = task_find((int)pid);
		if (!t || t->state == T_ZOMBIE)
			return -ESRCH;
		if (t->sb == &sandbox_root)
			return -EINVAL;
		sandbox_get(t->sb);
		*out = t->sb;
		return 0;
	}
	if (!root == !upper || !upper != !lower || (root && !*root) || (upper && (!*upper || !*lower)) ||
	    (host && strlen(host) > 64))
		return -EINVAL;
	struct inode *dir = 0, *low = 0;
	int r = lookup_dir(root ? root : upper, &dir);
	if (!r && lower && !(r = lookup_dir(lower, &low)))
		r = ovl_attach(dir, low);
	if (!r && !(*out = sandbox_new(dir, host ? host : "sandbox", (int)tasks, pages, (u32)cpu)))
		r = -ENOMEM;
	iput(low);
	iput(dir);
	char *net = word(line, n, "net");
	if (!r && net && !strcmp(net, "none"))
		(*out)->no_net = 1;
	else if (!r && net && (r = vswitch_attach(net, 0, 0, &(*out)->port))) {
		sandbox_put(*out);
		*out = 0;
	}
	return r;
}

static s64 sandbox_write(struct file *f, u64 ubuf, u64 n)
{
	(void)f;
	if (current->sb != &sandbox_root || current->uid[1])
		return -EPERM;
	if (!n || n >= LINE_MAX_BYTES)
		return -EINVAL;
	char *line = kmalloc(LINE_MAX_BYTES);
	if (!line)
		return -ENOMEM;
	s64 r = copy_from_user(line, ubuf, n);
	for (u64 i = 0; i < n; i++) /* words become strings */
		if (line[i] == ' ' || line[i] == '\n' || line[i] == '\t')
			line[i] = 0;
	line[n] = 0;
	struct sandbox *sb = 0;
	struct inode *home = 0;
	char *cwd = word(line, n, "cwd");
	if (!r)
		r = target(line, n, &sb);
	if (!r && cwd && !(r = path_walk(sb->root, sb->root, cwd, LOOKUP_FOLLOW, &home, 0)) && !S_ISDIR(home->mode))
		r = -ENOTDIR;
	if (!r)
		r = sandbox_enter(sb);
	if (!r && home) { /* its working directory, from its root */
		iput(current->cwd);
		current->cwd = home;
		home = 0;
	}
	iput(home);
	if (sb)
		sandbox_put(sb); /* its tasks hold it */
	kfree(line);
	return r ? r : (s64)n;
}

static const struct file_ops sandbox_fops = { .write = sandbox_write };

void sandbox_dev_init(void) { devfs_register("sandbox", 10, 241, &sandbox_fops, 0600); }
