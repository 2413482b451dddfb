/*
 * A hyperv container inside its utility partition (guest ring 0, utility
 * role): the container protocol of include/bulkhead/channel.h.  RUN builds
 * the root from the layers the host granted into the image window, writes
 * /etc/hostname, hosts and resolv.conf, mounts /dev and /proc and starts the
 * entrypoint as PID 1; EXEC starts further processes in that root.  Each
 * process has a handle; its stdio is three pipes, or one pseudo-terminal,
 * whose far ends this file relays over the channel from the utility's poller
 * (uvm_poll: each tick and idle wake-up).  Output is read from a pipe only
 * while the ring has room for a whole message, so a writer that outruns the
 * host blocks on its full pipe and nothing is lost.  Stdin waits in a
 * window of BH_STDIN_WINDOW bytes per handle until its process takes it.
 */
#include "../../lib/fmt.h"
#include "../../lib/string.h"
#include "channel.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "bh/bh.h"
#include "dev/dev.h"

struct proc {
	int pid;                 /* 0: the handle is free */
	int result;              /* STARTED's arg once known (pid or -errno); 0 before */
	u8 started_sent, exited, out_eof, err_eof, in_close;
	int status;              /* wait status */
	struct file *in, *out, *err; /* our ends: stdin's writer, the readers; a pty's master is in and out */
	u8 *inbuf;               /* BH_STDIN_WINDOW bytes: [in_tail, in_head) waits for the process */
	u32 in_head, in_tail;
	u8 *spec;                /* the spec, collected from RUN/EXEC chunks */
	u32 spec_len;
	const struct bh_proc_spec *hdr;
	char reason[160];
};

static struct proc procs[BH_HANDLE_MAX + 1];
static int have_root, finished;
static u8 io[BH_MSG_MAX];

/* Index of the first c in s[0..n), or n. */
static u64 find(const char *s, u64 n, char c)
{
	u64 i = 0;
	while (i < n && s[i] != c)
		i++;
	return i;
}

/* The strings of a checked spec, in order. */
struct spec_strs {
	char **argv, **env;
	const char *cwd, *user, *hostname, *resolv;
};

/* Checks a whole spec: 0, or -EINVAL or -ENOMEM.  s gets its strings (argv
 * and env kmalloc'd, pointing into b). */
static int spec_parse(const u8 *b, u32 len, int run, struct spec_strs *s)
{
	const struct bh_proc_spec *h = (const void *)b;
	if (len < sizeof *h || h->size != len || h->nlayers > BH_LAYERS_MAX || (!run && h->nlayers) ||
	    !h->nargv || h->nargv + h->nenv > 4096)
		return -EINVAL;
	u64 at = sizeof *h + (u64)h->nlayers * sizeof(struct bh_layer);
	u32 nstr = h->nargv + h->nenv + 4;
	const char *last[4];
	s->argv = kmalloc((h->nargv + 1) * sizeof(char *));
	s->env = kmalloc((h->nenv + 1) * sizeof(char *));
	int err = !s->argv || !s->env ? -ENOMEM : 0;
	for (u32 i = 0; !err && i < nstr; i++) {
		u64 z = at < len ? at + find((const char *)b + at, len - at, 0) : len;
		char *str = (char *)b + at;
		if (z >= len)
			err = -EINVAL;
		else if (i < h->nargv)
			s->argv[i] = str;
		else if (i < h->nargv + h->nenv)
			s->env[i - h->nargv] = str;
		else
			last[i - h->nargv - h->nenv] = str;
		at = z + 1;
	}
	if (!err && at != len)
		err = -EINVAL;
	if (err) {
		kfree(s->argv);
		kfree(s->env);
		return err;
	}
	s->argv[h->nargv] = 0;
	s->env[h->nenv] = 0;
	s->cwd = last[0];
	s->user = last[1];
	s->hostname = last[2];
	s->resolv = last[3];
	return 0;
}

/* ---- files of the root, made by the kernel (no process yet) ---- */

/* The directory at path (from /), each component made if missing; referenced or NULL. */
static struct inode *mkdirs(const char *path)
{
	struct inode *d = root_inode;
	iget(d);
	char name[NAME_MAX + 1];
	while (*path) {
		u64 n = 0;
		while (path[n] && path[n] != '/')
			n++;
		if (n && n <= NAME_MAX) {
			memcpy(name, path, n);
			name[n] = 0;
			struct inode *c = dir_lookup(d, name);
			if (!c && (c = inode_new(S_IFDIR | 0755)) && dir_add(d, name, c)) {
				iput(c);
				c = 0;
			}
			iput(d);
			if (!c || !S_ISDIR(c->mode)) {
				iput(c);
				return 0;
			}
			d = c;
		}
		path += n;
		while (*path == '/')
			path++;
	}
	return d;
}

/* /etc/NAME holds text (replacing what the image had). */
static void put_etc(const char *name, const char *text)
{
	struct inode *etc = mkdirs("etc"), *f = etc ? dir_lookup(etc, name) : 0;
	if (etc && !f && (f = inode_new(S_IFREG | 0644)) && dir_add(etc, name, f)) {
		iput(f);
		f = 0;
	}
	if (f && S_ISREG(f->mode) && !ramfs_truncate(f, 0))
		ramfs_write_k(f, text, strlen(text), 0);
	iput(f);
	iput(etc);
}

/* The root from RUN's layers: 0, or -EIO with the reason in p. */
static int build_root(struct proc *p, const struct spec_strs *s)
{
	static struct rootfs_layer l[BH_LAYERS_MAX];
	static char text[512];
	const struct bh_layer *bl = (const void *)(p->spec + sizeof(struct bh_proc_spec));
	u32 n = p->hdr->nlayers;
	for (u32 i = 0; i < n; i++) {
		if (!bl[i].size || bl[i].offset >= BH_IMAGE_MAX || bl[i].size > BH_IMAGE_MAX - bl[i].offset ||
		    bl[i].comp > BH_COMP_GZIP) {
			bh_snprintf(p->reason, sizeof p->reason, "layer %u: bad offset, size or compression", i + 1);
			return -EINVAL;
		}
		l[i] = (struct rootfs_layer){ (const u8 *)p2v(BH_IMAGE_GPA + bl[i].offset), bl[i].size,
					      bl[i].comp == BH_COMP_GZIP,
					      bl[i].flags & BH_LAYER_VERIFY ? bl[i].sha256 : 0 };
	}
	if (rootfs_apply_layers(l, n, p->reason, sizeof p->reason))
		return -EIO;
	fs_mount_std(); /* /dev (null zero full random urandom tty ptmx pts), /proc, /tmp */
	u64 hn = strlen(s->hostname);
	if (hn && hn < sizeof sandbox_root.hostname) {
		memcpy(sandbox_root.hostname, s->hostname, hn + 1);
		bh_snprintf(text, sizeof text, "%s\n", s->hostname);
		put_etc("hostname", text);
	}
	bh_snprintf(text, sizeof text,
		    "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.0.1\t%s\n",
		    sandbox_root.hostname);
	put_etc("hosts", text);
	if (*s->resolv)
		put_etc("resolv.conf", s->resolv);
	have_root = 1;
	return 0;
}

/* ---- a process's first run, as itself (task_spawn) ---- */

static struct file *open_k(const char *path, u32 flags)
{
	struct file *f;
	return vfs_open(AT_FDCWD, path, flags, 0, &f) ? 0 : f;
}

/* fds 0, 1, 2 and our ends: a pty (its master ours) or three pipes. */
static int stdio(struct proc *p)
{
	struct file *fd[3] = { 0 }, *rd, *wr;
	if (p->hdr->flags & BH_SPEC_TTY) {
		static char name[24];
		u32 n, zero = 0;
		struct winsize_k ws = { p->hdr->rows ? p->hdr->rows : 24, p->hdr->cols ? p->hdr->cols : 80, 0, 0 };
		struct file *m = open_k("/dev/ptmx", O_RDWR);
		if (!m || m->ops->ioctl(m, 0x40045431, (u64)&zero) || m->ops->ioctl(m, 0x80045430, (u64)&n))
			return -ENOMEM;
		bh_snprintf(name, sizeof name, "/dev/pts/%u", n);
		struct file *s = open_k(name, O_RDWR);
		if (!s)
			return -ENOMEM;
		s->ops->ioctl(s, 0x540E, 0); /* TIOCSCTTY: our session's */
		m->ops->ioctl(m, 0x5414, (u64)&ws); /* TIOCSWINSZ */
		m->flags |= O_NONBLOCK;
		p->in = p->out = m;
		file_get(m);
		fd[0] = fd[1] = fd[2] = s;
		file_get(s);
		file_get(s);
	} else {
		for (int i = 0; i < 3; i++) {
			if (pipe_create(&rd, &wr))
				return -ENOMEM;
			fd[i] = i ? wr : rd;
			struct file *ours = i ? rd : wr;
			ours->flags |= O_NONBLOCK;
			*(i == 0 ? &p->in : i == 1 ? &p->out : &p->err) = ours;
		}
		if (!(p->hdr->flags & BH_SPEC_STDIN)) {
			file_put(p->in); /* end-of-file at once */
			p->in = 0;
		}
	}
	for (int i = 0; i < 3; i++)
		fd_install(fd[i], i, 0);
	return 0;
}

/* Field field (0 first) of the first line of file (the root's /etc/passwd
 * or /etc/group) whose field key is name[0..n), as a number: 0 or -EINVAL. */
static int file_id(const char *file, const char *name, u64 n, int key, int field, u32 *id)
{
	static char buf[8192];
	unsigned long long v;
	struct inode *i;
	if (path_lookup(AT_FDCWD, file, LOOKUP_FOLLOW, &i, 0))
		return -EINVAL;
	s64 len = ramfs_read(i, buf, sizeof buf - 1, 0);
	iput(i);
	buf[len > 0 ? len : 0] = 0;
	for (char *line = buf, *next; *line; line = next) {
		char *f[5] = { line }; /* name, password, uid, gid, the rest */
		int nf = 1;
		for (next = line; *next && *next != '\n'; next++)
			if (*next == ':' && nf < 5)
				*next = 0, f[nf++] = next + 1;
		if (*next)
			*next++ = 0;
		if (nf > key && nf > field && strlen(f[key]) == n && !memcmp(f[key], name, n) &&
		    !bh_parse_u64(f[field], &v) && v <= 0xffffffffull) {
			*id = (u32)v;
			return 0;
		}
	}
	return -EINVAL;
}

/* A user or group, NAME or a number (itself), as its id: 0 or -EINVAL. */
static int lookup_id(const char *file, const char *name, u64 n, u32 *id)
{
	unsigned long long v;
	char num[16];
	if (n && n < sizeof num) {
		memcpy(num, name, n);
		num[n] = 0;
		if (!bh_parse_u64(num, &v) && v <= 0xffffffffull) {
			*id = (u32)v;
			return 0;
		}
	}
	return file_id(file, name, n, 0, 2, id);
}

int uvm_ids(const char *user, u32 *uid, u32 *gid)
{
	u64 n = find(user, strlen(user), ':');
	char num[16];
	*uid = *gid = 0;
	if (!*user)
		return 0;
	if (lookup_id("/etc/passwd", user, n, uid))
		return -1;
	if (user[n])
		return lookup_id("/etc/group", user + n + 1, strlen(user + n + 1), gid) ? -2 : 0;
	/* the user's passwd line's group (by name, or by uid for a number), else 0 */
	bh_snprintf(num, sizeof num, "%u", *uid);
	if (file_id("/etc/passwd", user, n, 0, 3, gid) && file_id("/etc/passwd", num, strlen(num), 2, 3, gid))
		*gid = 0;
	return 0;
}

static int become(const char *user)
{
	u32 uid, gid;
	if (uvm_ids(user, &uid, &gid))
		return -EINVAL;
	for (int i = 0; i < 3; i++)
		current->uid[i] = uid, current->gid[i] = gid;
	return 0;
}

/* argv[0] on PATH (from env, else Docker's default): 0 with the path, or -ENOENT. */
static int find_exec(const char *cmd, char *const *env, char *out, u64 cap)
{
	const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	struct inode *i;
	if (cmd[find(cmd, strlen(cmd), '/')]) {
		bh_snprintf(out, cap, "%s", cmd);
		return 0;
	}
	for (char *const *e = env; *e; e++)
		if (!memcmp(*e, "PATH=", 5))
			path = *e + 5;
	while (*path) {
		u64 n = find(path, strlen(path), ':');
		bh_snprintf(out, cap, "%.*s/%s", (int)n, path, cmd);
		if (!path_lookup(AT_FDCWD, out, LOOKUP_FOLLOW, &i, 0)) {
			int reg = S_ISREG(i->mode);
			iput(i);
			if (reg)
				return 0;
		}
		path += n + (path[n] != 0);
	}
	return -ENOENT;
}

static int proc_start(void *arg)
{
	struct proc *p = arg;
	static char exe[512];
	struct spec_strs s;
	struct inode *d;
	int r = spec_parse(p->spec, p->spec_len, p == &procs[BH_HANDLE_INIT], &s);
	if (r)
		goto fail_spec;
	if ((r = stdio(p)))
		goto fail;
	d = mkdirs(*s.cwd ? s.cwd : "/");
	if (d) {
		iput(current->cwd);
		current->cwd = d;
	}
	if (p->hdr->flags & BH_SPEC_COPY) { /* no program: docker cp's work, as root */
		p->result = current->pid;
		memcpy(current->comm, "copy", 5);
		r = uvm_copy(s.argv, s.user);
		kfree(s.argv);
		kfree(s.env);
		do_exit(r << 8);
	}
	if ((r = become(s.user))) {
		bh_snprintf(p->reason, sizeof p->reason, "unable to find user %s: no matching entries in passwd file", s.user);
		goto fail;
	}
	if ((r = find_exec(s.argv[0], s.env, exe, sizeof exe))) {
		bh_snprintf(p->reason, sizeof p->reason, "exec: \"%s\": executable file not found in $PATH", s.argv[0]);
		goto fail;
	}
	r = do_execve(exe, s.argv, s.env);
	if (r)
		bh_snprintf(p->reason, sizeof p->reason, "exec %s: error %d", exe, -r);
fail:
	kfree(s.argv);
	kfree(s.env);
fail_spec:
	p->result = r ? r : current->pid;
	if (!r)
		return 0;
	if (!p->reason[0])
		bh_snprintf(p->reason, sizeof p->reason, "cannot start the process: error %d", -r);
	return (r == -ENOENT ? 127 : r == -EACCES || r == -ENOEXEC ? 126 : 1) << 8;
}

/* ---- the relay ---- */

static void proc_free(struct proc *p)
{
	struct file *f[3] = { p->in, p->out, p->err };
	for (int i = 0; i < 3; i++)
		if (f[i])
			file_put(f[i]);
	kfree(p->inbuf);
	kfree(p->spec);
	memset(p, 0, sizeof *p);
}

static void kill_all(void)
{
	for (struct task *t = task_list; t; t = t->next)
		if (t->state != T_ZOMBIE)
			send_signal(t, SIGKILL);
}

/* Output of f as type while the ring has room for a whole message. */
static void relay_out(u16 h, struct file *f, u16 type, u8 *eof)
{
	while (!*eof && chan_room(&uvm_chan) >= BH_MSG_SPACE(BH_MSG_MAX)) {
		s64 n = kernel_read(f, io, sizeof io);
		if (n == -EAGAIN)
			return;
		if (n <= 0) {
			*eof = 1;
			return;
		}
		utility_send(type, h, 0, io, (u32)n);
	}
}

static void relay_in(u16 h, struct proc *p)
{
	u32 taken = 0;
	while (p->in && p->in_tail != p->in_head) {
		u32 off = p->in_tail % BH_STDIN_WINDOW, n = p->in_head - p->in_tail;
		if (n > BH_STDIN_WINDOW - off)
			n = BH_STDIN_WINDOW - off;
		s64 w = kernel_write(p->in, p->inbuf + off, n);
		if (w <= 0) {
			if (w != -EAGAIN) /* the reader is gone: what waits is taken all the same */
				w = n;
			else
				break;
		}
		p->in_tail += (u32)w;
		taken += (u32)w;
	}
	if (taken)
		utility_send(BH_MSG_STDIN_ACK, h, taken, 0, 0);
	if (p->in_close && p->in && p->in_tail == p->in_head) {
		if (p->in == p->out) { /* a pty: ^D, the master stays */
			kernel_write(p->in, "\x04", 1);
		} else {
			file_put(p->in);
			p->in = 0;
		}
		p->in_close = 0;
	}
}

void uvm_poll(void)
{
	for (u16 h = 1; h <= BH_HANDLE_MAX && !finished; h++) {
		struct proc *p = &procs[h];
		if (!p->pid)
			continue;
		if (p->result && !p->started_sent) {
			p->started_sent = 1;
			utility_send(BH_MSG_STARTED, h, p->result, p->result < 0 ? p->reason : 0,
			     p->result < 0 ? (u32)strlen(p->reason) : 0);
		}
		if (!p->started_sent)
			continue;
		relay_in(h, p);
		if (p->out)
			relay_out(h, p->out, BH_MSG_STDOUT, &p->out_eof);
		if (p->err)
			relay_out(h, p->err, BH_MSG_STDERR, &p->err_eof);
		if (!p->exited && task_collect(p->pid, &p->status) == 1) {
			p->exited = 1;
			if (h == BH_HANDLE_INIT)
				kill_all(); /* as when a PID namespace's init dies */
		}
		if (!p->exited || (p->out && !p->out_eof) || (p->err && !p->err_eof))
			continue;
		int st = p->status, failed = p->result < 0;
		proc_free(p);
		if (!failed)
			utility_send(BH_MSG_PROC_EXIT, h, st, 0, 0);
		if (h == BH_HANDLE_INIT) {
			int code = (st & 0x7f) ? 128 + (st & 0x7f) : (st >> 8) & 0xff;
			utility_send(BH_MSG_EXIT, 0, code, 0, 0);
			finished = 1;
		}
	}
}

/* RUN or EXEC: a chunk of handle h's spec; the last starts it. */
static void start(const struct bh_msg *m, const u8 *payload)
{
	u16 h = m->seq;
	int run = m->type == BH_MSG_RUN;
	struct proc *p = h && h <= BH_HANDLE_MAX ? &procs[h] : 0;
	s64 err = 0;
	if (!p || (run != (h == BH_HANDLE_INIT)) || p->pid > 0 || (!run && !have_root) || finished)
		err = -EBUSY;
	else if (!p->spec && !(p->spec = kmalloc(BH_SPEC_MAX)))
		err = -ENOMEM;
	else if (m->len > BH_SPEC_MAX - p->spec_len)
		err = -E2BIG;
	if (err) {
		if (p && !p->pid)
			proc_free(p);
		utility_send(BH_MSG_STARTED, h, err, "bad RUN or EXEC", 15);
		return;
	}
	memcpy(p->spec + p->spec_len, payload, m->len);
	p->spec_len += m->len;
	p->pid = -1; /* collecting */
	if (m->arg & BH_SPEC_MORE)
		return;
	struct spec_strs s;
	p->hdr = (const void *)p->spec;
	if (spec_parse(p->spec, p->spec_len, run, &s)) {
		err = -EINVAL;
		bh_snprintf(p->reason, sizeof p->reason, "bad process spec");
	} else {
		if (run && build_root(p, &s))
			err = -EIO;
		kfree(s.argv);
		kfree(s.env);
	}
	if (!err && !(p->inbuf = kmalloc(BH_STDIN_WINDOW)))
		err = -ENOMEM;
	int pid = err ? (int)err : task_spawn(proc_start, p);
	if (pid < 0) {
		utility_send(BH_MSG_STARTED, h, pid, p->reason, (u32)strlen(p->reason));
		proc_free(p);
		if (run) {
			utility_send(BH_MSG_EXIT, 0, 1, 0, 0);
			finished = 1;
		}
		return;
	}
	p->pid = pid;
}

int uvm_active(void) { return have_root; }

static struct task *proc_task(u16 h)
{
	struct proc *p = h && h <= BH_HANDLE_MAX ? &procs[h] : 0;
	return p && p->pid > 0 && !p->exited ? task_find(p->pid) : 0;
}

void uvm_message(const struct bh_msg *m, const u8 *payload)
{
	struct proc *p = m->seq && m->seq <= BH_HANDLE_MAX ? &procs[m->seq] : 0;
	struct task *t;
	switch (m->type) {
	case BH_MSG_RUN:
	case BH_MSG_EXEC:
		start(m, payload);
		break;
	case BH_MSG_STDIN: /* over the window: the host broke the rule; the rest is dropped */
		for (u32 i = 0; p && p->inbuf && !p->in_close && i < m->len && p->in_head - p->in_tail < BH_STDIN_WINDOW; i++)
			p->inbuf[p->in_head++ % BH_STDIN_WINDOW] = payload[i];
		break;
	case BH_MSG_STDIN_CLOSE:
		if (p && p->inbuf)
			p->in_close = 1;
		break;
	case BH_MSG_RESIZE:
		if (p && p->in && p->in == p->out) {
			struct winsize_k ws = { (u16)(m->arg >> 16), (u16)m->arg, 0, 0 };
			int saved = current->kaccess;
			current->kaccess = 1;
			p->in->ops->ioctl(p->in, 0x5414, (u64)&ws);
			current->kaccess = saved;
		}
		break;
	case BH_MSG_SIGNAL:
		if ((t = proc_task(m->seq)) && m->arg > 0 && m->arg <= BH_SIG_MAX)
			send_signal(t, (int)m->arg);
		break;
	}
	uvm_poll();
}
