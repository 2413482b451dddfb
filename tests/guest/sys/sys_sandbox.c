/* Guest-only test of sandboxes (/dev/sandbox, docs/design.md): a child made
 * into a sandbox under /tmp/sb sees only its own tasks, has its own hostname,
 * cannot leave its root (.., a descriptor from outside, /proc of outside
 * tasks, a symlink above the root), has a /dev of its own without the
 * management devices (nor a way to make or mount them back) and meets its
 * task and page limits.
 * Prints PASS:/FAIL: lines and a final "ALL PASSED" or "FAILED n".
 *   sys_sandbox        the checks
 *   sys_sandbox hold   enters a sandbox under /tmp/sbh, prints its pid, sleeps
 */
#include "t.h"
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>

static int enter(const char *line)
{
	int fd = open("/dev/sandbox", O_WRONLY);
	if (fd < 0)
		return -1;
	int r = write(fd, line, strlen(line)) == (ssize_t)strlen(line) ? 0 : -1;
	close(fd);
	return r;
}

/* Task ids under /proc: how many, and whether only `self` and `others`. */
static int proc_pids(pid_t self, pid_t *others, int nothers)
{
	DIR *d = opendir("/proc");
	if (!d)
		return -1;
	int n = 0, bad = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		pid_t p = atoi(e->d_name);
		if (p <= 0)
			continue;
		n++;
		int ok = p == self;
		for (int i = 0; i < nothers; i++)
			ok |= p == others[i];
		bad |= !ok;
	}
	closedir(d);
	return bad ? -1 : n;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The names in a directory, sorted, space-separated, in a static buffer. */
static const char *names(const char *dir)
{
	static char out[512];
	char *v[64];
	int n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	out[0] = 0;
	while (d && n < 64 && (e = readdir(d)))
		if (e->d_name[0] != '.')
			v[n++] = strdup(e->d_name);
	if (d)
		closedir(d);
	qsort(v, (size_t)n, sizeof *v, by_name);
	for (int i = 0; i < n; i++) {
		snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", i ? " " : "", v[i]);
		free(v[i]);
	}
	return out;
}

/* A pseudo-terminal the host opened before the sandbox was made: its number
 * and its slave, which the sandboxed child inherits. */
static int host_pty = -1, host_slave = -1;

static void host_terminal(void)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || unlockpt(m) || ioctl(m, TIOCGPTN, &host_pty) || (host_slave = open(ptsname(m), O_RDWR | O_NOCTTY)) < 0)
		printf("FAIL: a host pseudo-terminal\n");
}

/* Its pseudo-terminals: only its own in /dev/pts; one the host handed in
 * becomes its own when it takes it as its controlling tty. */
static void terminals(void)
{
	char want[32], p[32];
	snprintf(p, sizeof p, "/dev/pts/%d", host_pty);
	ERR("the host's pseudo-terminal: not in its /dev/pts", open(p, O_RDWR | O_NOCTTY), ENOENT);
	int m = posix_openpt(O_RDWR | O_NOCTTY), n = -1;
	check("its own pseudo-terminal", m >= 0 && !unlockpt(m) && !ioctl(m, TIOCGPTN, &n));
	snprintf(want, sizeof want, "%d", n);
	check("/dev/pts lists it alone", !strcmp(names("/dev/pts"), want));
	int s = open(ptsname(m), O_RDWR | O_NOCTTY);
	check("its slave opens", s >= 0 && isatty(s));
	char *name = s >= 0 ? ttyname(s) : 0;
	check("ttyname of its slave", name && !strcmp(name, ptsname(m)));
	check("the handed-in slave is a tty but not listed", isatty(host_slave) && !ttyname(host_slave));
	check("a session of its own", setsid() > 0);
	ERR("/dev/tty without a controlling tty: ENXIO", open("/dev/tty", O_RDWR), ENXIO);
	check("taking it as the controlling tty makes it its own",
	      !ioctl(host_slave, TIOCSCTTY, 0) && (name = ttyname(host_slave)) && !strcmp(name, p));
	int t = open("/dev/tty", O_RDWR);
	check("/dev/tty is then that terminal", t >= 0 && isatty(t));
	close(t);
	close(s);
	close(m);
}

/* Its /dev: only the container devices, whatever it tries. */
static void devices(void)
{
	char b[8];
	ERR("/dev/bulkhead absent before /dev is mounted", open("/dev/bulkhead", O_RDWR), ENOENT);
	check("mount its own devtmpfs", mount("devtmpfs", "/dev", "devtmpfs", 0, 0) == 0);
	const char *want = "fd full null ptmx pts random shm stderr stdin stdout tty urandom zero";
	check("/dev holds the container devices", !strcmp(names("/dev"), want));
	if (strcmp(names("/dev"), want))
		printf("  /dev: %s\n", names("/dev"));
	ERR("/dev/bulkhead: ENOENT", open("/dev/bulkhead", O_RDWR), ENOENT);
	ERR("/dev/sandbox: ENOENT", open("/dev/sandbox", O_WRONLY), ENOENT);
	ERR("/dev/ttyS0: ENOENT", open("/dev/ttyS0", O_RDWR), ENOENT);
	ERR("/dev/console (the host's): ENOENT", open("/dev/console", O_RDWR), ENOENT);
	int z = open("/dev/zero", O_RDONLY), nl = open("/dev/null", O_WRONLY);
	check("/dev/zero and /dev/null work", read(z, b, 8) == 8 && !b[7] && write(nl, b, 8) == 8);
	close(z);
	close(nl);
	terminals();
	ERR("mknod of /dev/bulkhead's number: EPERM", mknod("/dev/bh", S_IFCHR | 0600, makedev(10, 240)), EPERM);
	ERR("mknod of /dev/null's number elsewhere: EPERM", mknod("/nul", S_IFCHR | 0666, makedev(1, 3)), EPERM);
	ERR("a node of /dev/bulkhead made outside: EPERM", open("/bh", O_RDWR), EPERM);
	check("devtmpfs mounted again on /dev", mount("devtmpfs", "/dev", "devtmpfs", 0, 0) == 0);
	ERR("still no /dev/bulkhead", open("/dev/bulkhead", O_RDWR), ENOENT);
	ERR("devtmpfs mounted elsewhere: EBUSY", mount("devtmpfs", "/a", "devtmpfs", 0, 0), EBUSY);
	check("umount /dev", umount("/dev") == 0 && !strcmp(names("/dev"), ""));
	ERR("the host's mount in its tree: no umount", umount("/hostmnt"), EPERM);
	ERR("nor a mount over it", mount("tmpfs", "/hostmnt", "tmpfs", 0, 0), EBUSY);
	check("its own mounts there", mount("tmpfs", "/a", "tmpfs", 0, 0) == 0 && umount("/a") == 0);
}

static long procs(void)
{
	struct sysinfo si;
	return sysinfo(&si) ? -1 : si.procs;
}

static void inside(pid_t outer, int outfd)
{
	char b[256];
	struct utsname u;
	struct stat st;
	pid_t self = getpid();
	int ctl = open("/dev/sandbox", O_WRONLY);
	check("enter a sandbox", enter("root=/tmp/sb hostname=sbtest tasks=3\n") == 0);
	check("getpid unchanged", getpid() == self);
	check("getcwd is its root", getcwd(b, sizeof b) && !strcmp(b, "/"));
	check("mount its own /proc", mount("proc", "/proc", "proc", 0, 0) == 0);
	check("/proc shows only itself", proc_pids(self, 0, 0) == 1);
	ERR("kill(parent, 0): ESRCH", kill(outer, 0), ESRCH);
	ERR("kill(1, 0): ESRCH", kill(1, 0), ESRCH);
	ERR("kill(-1, 0) with no one else: ESRCH", kill(-1, 0), ESRCH);
	check("getppid of an outside parent is 0", getppid() == 0);
	sprintf(b, "/proc/%d", outer);
	ERR("/proc/<parent> absent", stat(b, &st), ENOENT);
	sprintf(b, "/proc/%d/root", outer);
	ERR("/proc/<parent>/root absent", lstat(b, &st), ENOENT);
	sprintf(b, "/proc/%d/cwd", outer);
	ERR("/proc/<parent>/cwd absent", lstat(b, &st), ENOENT);
	devices();
	check("uname: its own hostname", !uname(&u) && !strcmp(u.nodename, "sbtest"));
	check("sethostname", sethostname("inner", 5) == 0 && !uname(&u) && !strcmp(u.nodename, "inner"));
	check("chdir /../../..", chdir("/../../..") == 0 && getcwd(b, sizeof b) && !strcmp(b, "/"));
	check("and there is its root", stat("inside", &st) == 0);
	ERR("../../tmp/secret: ENOENT", open("../../tmp/secret", O_RDONLY), ENOENT);
	check("symlink to ../../.. resolves inside", stat("/a/up/inside", &st) == 0);
	ERR("nothing outside through it", stat("/a/up/secret", &st), ENOENT);
	ERR("fchdir to a directory from outside: EACCES", fchdir(outfd), EACCES);
	ERR("openat a directory from outside: EACCES", openat(outfd, "secret", O_RDONLY), EACCES);
	ERR("openat .. of it: EACCES", openat(outfd, "..", O_RDONLY | O_DIRECTORY), EACCES);
	sprintf(b, "/proc/self/fd/%d", outfd);
	char l[64] = "";
	check("its /proc/self/fd link: the host's path, as Linux shows it",
	      readlink(b, l, sizeof l - 1) == 4 && !strcmp(l, "/tmp"));
	check("sysinfo procs: 1", procs() == 1);
	pid_t kids[2];
	for (int i = 0; i < 2; i++)
		if (!(kids[i] = fork())) {
			pause();
			_exit(0);
		}
	check("children fork under the limit", kids[0] > 0 && kids[1] > 0);
	check("sysinfo procs: 3", procs() == 3);
	check("/proc shows itself and its children", proc_pids(self, kids, 2) == 3);
	ERR("a fourth task: EAGAIN", fork(), EAGAIN);
	check("kill(child, 0)", kill(kids[0], 0) == 0);
	check("kill(-1, SIGKILL) reaches its children", kill(-1, SIGKILL) == 0);
	int st1, st2;
	check("they died of it", waitpid(kids[0], &st1, 0) == kids[0] && waitpid(kids[1], &st2, 0) == kids[1] &&
				      WIFSIGNALED(st1) && WTERMSIG(st1) == SIGKILL && WIFSIGNALED(st2));
	ERR("no sandbox made from inside one: EPERM", write(ctl, "root=/\n", 7), EPERM);
	ERR("no join from inside one: EPERM", write(ctl, "join=1\n", 7), EPERM);
	mkdir("/sub", 0755);
	check("chroot below its root", chroot("/sub") == 0);
	ERR("then its cwd, outside that root: EACCES", stat("../tmp", &st), EACCES);
	check("getcwd: (unreachable) and its path from the sandbox's root",
	      syscall(SYS_getcwd, b, sizeof b) == 15 && !strcmp(b, "(unreachable)/"));
	check("chdir / is the new root", chdir("/") == 0 && stat("/inside", &st) < 0 && stat("..", &st) == 0);
	exit(failed);
}

/* Touches 8 MiB with a 256-page limit, private or shared anonymous
 * memory: the out-of-memory kill. */
static void hog(int shared)
{
	if (enter("root=/tmp/sb hostname=hog pages=256\n"))
		_exit(3);
	char *p = shared ? mmap(0, 8 << 20, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0) : malloc(8 << 20);
	if (p == MAP_FAILED)
		_exit(4);
	for (int i = 0; p && i < 8 << 20; i += 4096)
		p[i] = 1;
	_exit(0);
}

/* A busy task in a new sandbox of CPU weight w. */
static pid_t spinner(const char *line)
{
	pid_t pid = fork();
	if (!pid) {
		if (enter(line))
			_exit(3);
		for (;;)
			;
	}
	return pid;
}

static long utime(pid_t pid)
{
	char b[512];
	snprintf(b, sizeof b, "/proc/%d/stat", pid);
	FILE *f = fopen(b, "r");
	long t = -1;
	if (f && fgets(b, sizeof b, f) && strchr(b, ')'))
		sscanf(strchr(b, ')') + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %ld", &t);
	if (f)
		fclose(f);
	return t;
}

static int setup(void)
{
	mkdir("/tmp/sb", 0755);
	mkdir("/tmp/sb/proc", 0755);
	mkdir("/tmp/sb/a", 0755);
	mkdir("/tmp/sb/dev", 0755);
	mkdir("/tmp/sb/hostmnt", 0755);
	umount("/tmp/sb/hostmnt");
	mount("tmpfs", "/tmp/sb/hostmnt", "tmpfs", 0, 0);
	close(open("/tmp/sb/hostmnt/mark", O_CREAT | O_WRONLY, 0644));
	unlink("/tmp/sb/bh");
	mknod("/tmp/sb/bh", S_IFCHR | 0600, makedev(10, 240));
	symlink("../../..", "/tmp/sb/a/up");
	close(open("/tmp/sb/inside", O_CREAT | O_WRONLY, 0644));
	close(open("/tmp/secret", O_CREAT | O_WRONLY, 0644));
	return open("/tmp", O_RDONLY | O_DIRECTORY);
}

int main(int argc, char **argv)
{
	struct utsname before, after;
	int st;
	if (argc > 1 && !strcmp(argv[1], "hold")) {
		mkdir("/tmp/sbh", 0755);
		if (enter("root=/tmp/sbh hostname=held\n"))
			return 1;
		printf("held %d\n", getpid());
		fflush(stdout);
		sleep(600);
		return 0;
	}
	int outfd = setup();
	host_terminal();
	uname(&before);
	pid_t outer = getpid(), pid = fork();
	if (!pid)
		inside(outer, outfd);
	check("the sandboxed child passed", waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st));
	check("the host's hostname unchanged", !uname(&after) && !strcmp(before.nodename, after.nodename));
	check("the host's /dev/bulkhead still there", access("/dev/bulkhead", F_OK) == 0);
	check("the host's mount in its tree still there", access("/tmp/sb/hostmnt/mark", F_OK) == 0);
	if (!(pid = fork()))
		hog(0);
	check("past its page limit: killed", waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	if (!(pid = fork()))
		hog(1);
	check("past it with shared memory: killed", waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	check("the host still sees itself", kill(getpid(), 0) == 0);
	pid_t big = spinner("root=/tmp/sb cpu=1024\n"), small = spinner("root=/tmp/sb cpu=256\n");
	sleep(3);
	long tb = utime(big), ts = utime(small);
	kill(big, SIGKILL);
	kill(small, SIGKILL);
	waitpid(big, &st, 0);
	waitpid(small, &st, 0);
	printf("cpu ticks: weight 1024 %ld, weight 256 %ld\n", tb, ts);
	check("CPU by weight (4:1, within 2.5 and 6)", ts > 0 && tb * 10 > ts * 25 && tb * 10 < ts * 60);
	if (failed)
		printf("FAILED %d\n", failed);
	else
		printf("ALL PASSED\n");
	return failed != 0;
}
