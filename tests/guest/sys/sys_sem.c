/* Guest syscall test: Linux semantics real programs rely on (issue 11, item
 * 5): directory reads while entries go, trailing slashes, pipe capacity and
 * atomic writes, /proc/<pid> after execve, affinity, device nodes, execve
 * argument space. */
#include "t.h"
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

struct dent64 {
	unsigned long ino, off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

/* 38-character names: "n" + 37 digits. */
static void mkname(char *b, int i) { snprintf(b, 64, "n%037d", i); }

static void make_files(const char *d, int n)
{
	char p[128], name[64];
	mkdir(d, 0755);
	for (int i = 0; i < n; i++) {
		mkname(name, i);
		snprintf(p, sizeof p, "%s/%s", d, name);
		close(open(p, O_CREAT | O_WRONLY, 0644));
	}
}

/* getdents64 in 512-byte reads, unlinking each entry as it is returned. */
static void dir_read_while_unlinking(void)
{
	make_files("gd", 300);
	int fd = open("gd", O_RDONLY | O_DIRECTORY), seen = 0, dup = 0;
	char buf[512], *got = calloc(300, 1);
	long n;
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
		for (long o = 0; o < n; o += ((struct dent64 *)(buf + o))->reclen) {
			struct dent64 *e = (void *)(buf + o);
			if (e->name[0] == '.')
				continue;
			int i = atoi(e->name + 1);
			dup += got[i]++ != 0;
			seen++;
			unlinkat(fd, e->name, 0);
		}
	printf("getdents-unlink: seen %d dup %d last %ld\n", seen, dup, n);
	close(fd);
	T("getdents-unlink-rmdir", rmdir("gd"));
	/* seeking to an entry's d_off resumes after it */
	make_files("gs", 5);
	fd = open("gs", O_RDONLY | O_DIRECTORY);
	n = syscall(SYS_getdents64, fd, buf, sizeof buf);
	struct dent64 *third = (void *)(buf + 48 + 64 * 2), *fourth = (void *)(buf + 48 + 64 * 3);
	char want[64];
	snprintf(want, sizeof want, "%s", fourth->name);
	T("getdents-lseek-off", lseek(fd, (long)third->off, SEEK_SET) == (long)third->off);
	n = syscall(SYS_getdents64, fd, buf, sizeof buf);
	T("getdents-after-seek", n > 0 && !strcmp(((struct dent64 *)buf)->name, want));
	close(fd);
	/* rm -rf of a folder of 3,000 files */
	make_files("gr", 3000);
	pid_t pid = fork();
	if (!pid) {
		execl("/bin/busybox", "rm", "-rf", "gr", (char *)0);
		_exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("rm-rf-3000: status %d\n", WEXITSTATUS(st));
	T("rm-rf-gone", access("gr", F_OK));
}

/* A trailing slash asks for a directory: every path-taking call. */
static void trailing_slash(void)
{
	struct stat st;
	close(open("f", O_CREAT | O_WRONLY, 0644));
	mkdir("d", 0755);
	symlink("f", "lf");
	symlink("d", "ld");
	T("open-creat-file-slash", open("f/", O_WRONLY | O_CREAT, 0644));
	T("open-creat-new-slash", open("new/", O_WRONLY | O_CREAT, 0644));
	T("open-creat-new-slash-made", access("new", F_OK));
	T("open-creat-dir-slash", open("d/", O_RDONLY | O_CREAT, 0644));
	T("open-file-slash", open("f/", O_RDONLY));
	T("open-new-slash", open("new/", O_RDONLY));
	int fd = open("d/", O_RDONLY);
	T("open-dir-slash", fd >= 0);
	close(fd);
	fd = open("ld/", O_RDONLY);
	T("open-link-dir-slash", fd >= 0);
	close(fd);
	T("open-link-file-slash", open("lf/", O_RDONLY));
	T("stat-file-slash", stat("f/", &st));
	T("lstat-link-file-slash", lstat("lf/", &st));
	T("lstat-link-dir-slash", lstat("ld/", &st) == 0 && S_ISDIR(st.st_mode));
	T("unlink-file-slash", unlink("f/"));
	T("unlink-file-slash-kept", access("f", F_OK));
	T("unlink-dir-slash", unlink("d/"));
	T("unlink-new-slash", unlink("new/"));
	T("unlink-link-slash", unlink("lf/"));
	T("unlink-linkdir-slash", unlink("ld/"));
	T("rmdir-file-slash", rmdir("f/"));
	T("rmdir-linkdir-slash", rmdir("ld/"));
	T("mkdir-new-slash", mkdir("nd/", 0755));
	T("rmdir-dir-slash", rmdir("nd/"));
	T("mkdir-file-slash", mkdir("f/", 0755));
	T("symlink-new-slash", symlink("f", "s/"));
	T("symlink-file-slash", symlink("f", "f/"));
	T("link-new-slash", link("f", "h/"));
	T("link-file-slash", link("f/", "h"));
	T("mknod-new-slash", mknod("p/", S_IFIFO | 0644, 0));
	T("mkfifo-new-slash", mkfifo("p/", 0644));
	T("rename-file-slash", rename("f/", "g"));
	T("rename-to-slash", rename("f", "g/"));
	T("rename-kept", access("f", F_OK));
	T("rename-dir-slash", rename("d/", "e/"));
	T("rename-dir-back", rename("e", "d/"));
	T("truncate-file-slash", truncate("f/", 0));
	T("chmod-file-slash", chmod("f/", 0600));
	T("chown-file-slash", chown("f/", 0, 0));
	T("utimensat-file-slash", utimensat(AT_FDCWD, "f/", NULL, 0));
	T("access-file-slash", access("f/", F_OK));
	T("readlink-link-slash", readlink("lf/", (char[64]){ 0 }, 64));
	T("readlink-linkdir-slash", readlink("ld/", (char[64]){ 0 }, 64));
	T("chdir-file-slash", chdir("f/"));
	T("execve-file-slash", execve("f/", (char *[]){ "f", 0 }, environ));
}

static void pipes(void)
{
	int p[2], f = open("f", O_RDONLY);
	char *big = calloc(1, 1 << 20);
	pipe(p);
	T("pipe-getsz", fcntl(p[1], F_GETPIPE_SZ));
	T("pipe-getsz-read-end", fcntl(p[0], F_GETPIPE_SZ));
	T("pipe-getsz-file", fcntl(f, F_GETPIPE_SZ));
	T("pipe-setsz-file", fcntl(f, F_SETPIPE_SZ, 4096));
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	T("pipe-fill-but-100", write(p[1], big, 65436));
	struct pollfd pf = { p[1], POLLOUT, 0 };
	T("pipe-poll-out-100-free", poll(&pf, 1, 0));
	T("pipe-atomic-4096", write(p[1], big, 4096));
	T("pipe-atomic-101", write(p[1], big, 101));
	T("pipe-write-100", write(p[1], big, 100));
	T("pipe-write-full", write(p[1], big, 1));
	T("pipe-setsz-busy", fcntl(p[1], F_SETPIPE_SZ, 4096));
	long total = 0, n;
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	while ((n = read(p[0], big, 1 << 20)) > 0)
		total += n;
	printf("pipe-drained: %ld\n", total);
	T("pipe-partial-big", write(p[1], big, 70000));
	while (read(p[0], big, 1 << 20) > 0)
		;
	T("pipe-setsz-10000", fcntl(p[1], F_SETPIPE_SZ, 10000));
	T("pipe-getsz-after", fcntl(p[0], F_GETPIPE_SZ));
	T("pipe-setsz-0", fcntl(p[1], F_SETPIPE_SZ, 0));
	T("pipe-write-abc", write(p[1], "abc", 3));
	T("pipe-setsz-keeps", fcntl(p[1], F_SETPIPE_SZ, 1 << 20));
	char b[8] = { 0 };
	T("pipe-read-abc", read(p[0], b, sizeof b));
	printf("pipe-data: %s\n", b);
	T("pipe-setsz-neg", fcntl(p[1], F_SETPIPE_SZ, -1));
	close(p[0]);
	close(p[1]);
	close(f);
	free(big);
}

/* Run as "... child": what /proc says about a process after execve. */
static int child(int argc, char **argv)
{
	static char b[1 << 21];
	printf("child-argc: %d last %s\n", argc, argv[argc - 1]);
	int fd = open("/proc/self/comm", O_RDONLY), n = (int)read(fd, b, sizeof b);
	close(fd);
	printf("child-comm: %.*s", n, b);
	/* argv[0] is this program's own path, the same as /proc/self/exe */
	long len = 0, k;
	fd = open("/proc/self/cmdline", O_RDONLY);
	while ((k = read(fd, b + len, sizeof b - len)) > 0)
		len += k;
	close(fd);
	long skip = (long)strlen(b) + 1, sum = 0;
	for (long i = skip; i < len; i++)
		sum = sum * 31 + (b[i] ? b[i] : '|');
	printf("child-cmdline: %ld bytes, sum %ld: %.40s\n", len - skip, sum & 0xffffff, b + skip);
	fd = open("/proc/self/environ", O_RDONLY);
	n = (int)read(fd, b, sizeof b);
	close(fd);
	printf("child-environ: %d\n", n == 16 && !memcmp(b, "SEM=1\0OTHER=two", 16));
	return 0;
}

static void run_wait(const char *path, char **argv, char **envp)
{
	fflush(stdout);
	pid_t pid = fork();
	if (!pid) {
		execve(path, argv, envp);
		printf("execve %s: %s\n", path, ename(errno));
		_exit(1);
	}
	waitpid(pid, 0, 0);
}

static void procfs(const char *self)
{
	char b[4096], cwd[512];
	long n = readlink("/proc/self/exe", b, sizeof b);
	T("proc-exe-is-self", n > 0 && (b[n] = 0, !strcmp(b, self)));
	int fd = open("/proc/self/exe", O_RDONLY);
	T("proc-exe-open", fd >= 0);
	T("proc-exe-read", read(fd, b, 4));
	printf("proc-exe-magic: %.3s\n", b + 1);
	close(fd);
	n = readlink("/proc/self/cwd", b, sizeof b);
	getcwd(cwd, sizeof cwd);
	T("proc-cwd", n > 0 && (b[n] = 0, !strcmp(b, cwd)));
	n = readlink("/proc/self/root", b, sizeof b);
	printf("proc-root: %.*s\n", (int)n, b);
	fd = open("f", O_RDONLY);
	snprintf(cwd + strlen(cwd), 64, "/f");
	char link[64];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	n = readlink(link, b, sizeof b);
	T("proc-fd-link", n > 0 && (b[n] = 0, !strcmp(b, cwd)));
	T("proc-fd-open", open(link, O_RDONLY) >= 0);
	close(fd);
	char *env[] = { "SEM=1", "OTHER=two", 0 };
	run_wait("/proc/self/exe", (char *[]){ (char *)self, "child", "a b", "", "c", 0 }, env);
	/* a long argument list is all there */
	static char longarg[3000];
	memset(longarg, 'x', sizeof longarg - 1);
	run_wait(self, (char *[]){ (char *)self, "child", longarg, "end", 0 }, env);
	/* a "#!" script's process name is the script's own */
	FILE *s = fopen("script.sh", "w");
	fprintf(s, "#!%s child\n", self);
	fclose(s);
	chmod("script.sh", 0755);
	run_wait("script.sh", (char *[]){ "script.sh", "one", 0 }, env);
}

static void affinity_and_nodes(void)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	T("sched_getaffinity", sched_getaffinity(0, sizeof set, &set));
	printf("affinity: cpu0 %d count>=1 %d\n", !!CPU_ISSET(0, &set), CPU_COUNT(&set) >= 1);
	T("sched_getaffinity-small", syscall(SYS_sched_getaffinity, 0, 4, &set));
	T("sched_getaffinity-esrch", sched_getaffinity(99999, sizeof set, &set));
	T("sched_getaffinity-efault", syscall(SYS_sched_getaffinity, 0, sizeof set, BADPTR));
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	T("sched_setaffinity-cpu0", sched_setaffinity(0, sizeof set, &set));
	CPU_ZERO(&set);
	T("sched_setaffinity-empty", sched_setaffinity(0, sizeof set, &set));
	struct stat st;
	T("mknod-chr", mknod("cnull", S_IFCHR | 0644, makedev(1, 3)));
	T("mknod-blk", mknod("blk", S_IFBLK | 0600, makedev(240, 7)));
	T("mknod-chr-stat", stat("cnull", &st));
	printf("mknod-chr: chr %d %u,%u mode %o size %ld\n", S_ISCHR(st.st_mode), major(st.st_rdev),
	       minor(st.st_rdev), st.st_mode & 07777, (long)st.st_size);
	T("mknod-blk-stat", stat("blk", &st));
	printf("mknod-blk: blk %d %u,%u\n", S_ISBLK(st.st_mode), major(st.st_rdev), minor(st.st_rdev));
	T("mknod-big-minor", mknod("bigmin", S_IFCHR | 0600, makedev(4, 300)));
	stat("bigmin", &st);
	printf("mknod-big-minor: %u,%u\n", major(st.st_rdev), minor(st.st_rdev));
	int fd = open("cnull", O_RDWR);
	T("mknod-chr-open", fd >= 0);
	T("mknod-chr-write", write(fd, "gone", 4));
	T("mknod-chr-read", read(fd, &st, 8));
	close(fd);
	T("mknod-blk-open", open("blk", O_RDONLY));
	T("mknod-chr-unknown", mknod("cunk", S_IFCHR | 0600, makedev(240, 9)));
	T("mknod-chr-unknown-open", open("cunk", O_RDONLY));
	T("mknod-sock", mknod("sock", S_IFSOCK | 0600, 0));
	T("mknod-bad-type", mknod("bad", 0170000 | 0600, 0));
	T("mknod-exists", mknod("cnull", S_IFCHR | 0600, makedev(1, 3)));
}

static void exec_args(const char *self)
{
	/* execve argument space: one string up to 128 KiB, 2 MiB in all */
	char *huge = malloc(140 * 1024);
	memset(huge, 'y', 140 * 1024);
	huge[128 * 1024] = 0;
	char *env[] = { "SEM=1", "OTHER=two", 0 };
	run_wait(self, (char *[]){ (char *)self, "child", huge + 1, "end", 0 }, env);
	T("execve-string-128k", execve(self, (char *[]){ (char *)self, huge, 0 }, env));
	char **many = malloc(40 * sizeof *many);
	many[0] = (char *)self, many[1] = "child";
	for (int i = 2; i < 38; i++)
		many[i] = huge + 65536; /* 36 x 64 KiB = 2.25 MiB */
	many[38] = 0;
	T("execve-total-2m", execve(self, many, env));
	many[20] = "end", many[21] = 0; /* 18 x 64 KiB fits */
	run_wait(self, many, env);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "child"))
		return child(argc, argv);
	const char *dir = argc > 1 ? argv[1] : "/tmp/syssem";
	static char self[4096];
	long n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0) /* this kernel has no /proc/self/exe yet */
		snprintf(self, sizeof self, "/tests/bin/sys_sem");
	mkdir(dir, 0755);
	T("chdir", chdir(dir));
	umask(022);
	dir_read_while_unlinking();
	trailing_slash();
	pipes();
	procfs(self);
	affinity_and_nodes();
	exec_args(self);
	return 0;
}
