/* Guest syscall test: files, directories, descriptors and their errors. */
#include "t.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <termios.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

/* A pipe's read end closed under its blocked reader by a task sharing the
 * descriptor table: the read holds the file, so a writer still finds a
 * reader and the read returns the byte. */
static void closed_under_reader(void)
{
	int p[2], st;
	char c = 0;
	if (pipe(p))
		return;
	pid_t pid = syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, 0, 0, 0);
	if (!pid)
		_exit(read(p[0], &c, 1) == 1 && c == 'x' ? 0 : 1);
	usleep(100000);
	T("close-under-reader", close(p[0]));
	usleep(100000);
	T("write-to-held-pipe", write(p[1], "x", 1));
	T("reader-got-it", waitpid(pid, &st, 0) == pid && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	T("write-no-reader-left", (signal(SIGPIPE, SIG_IGN), write(p[1], "x", 1)));
	close(p[1]);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp/sysfiles";
	char buf[256];
	struct stat st;
	mkdir(dir, 0755);
	T("chdir", chdir(dir));
	umask(022);
	T("open-create", open("f", O_CREAT | O_RDWR | O_TRUNC, 0666));
	T("write", write(3, "hello world\n", 12));
	T("lseek-set", lseek(3, 6, SEEK_SET));
	T("read", read(3, buf, sizeof buf));
	T("lseek-end", lseek(3, 0, SEEK_END));
	T("lseek-bad-whence", lseek(3, 0, 7));
	T("lseek-neg", lseek(3, -100, SEEK_SET));
	T("pread", pread(3, buf, 5, 0));
	printf("pread-data: %.5s\n", buf);
	T("pwrite", pwrite(3, "HELLO", 5, 0));
	T("pread-neg", pread(3, buf, 5, -1));
	T("fstat", fstat(3, &st));
	printf("fstat: size %ld mode %o nlink %ld\n", (long)st.st_size, st.st_mode, (long)st.st_nlink);
	T("read-efault", syscall(SYS_read, 3, BADPTR, 10));
	T("lseek0", lseek(3, 0, SEEK_SET));
	T("read-kernel-ptr", syscall(SYS_read, 3, KPTR, 10));
	T("write-kernel-ptr", syscall(SYS_write, 3, KPTR, 10));
	T("write-null", syscall(SYS_write, 1, NULL, 10));
	T("read-bad-fd", read(99, buf, 1));
	T("write-bad-fd", write(-1, buf, 1));
	T("close-bad", close(1234));
	T("dup", dup(3));
	T("dup2", dup2(3, 10));
	T("dup2-bad", dup2(77, 10));
	T("dup3-same", dup3(10, 10, 0));
	T("fcntl-getfd", fcntl(10, F_GETFD));
	T("fcntl-setfd", fcntl(10, F_SETFD, FD_CLOEXEC));
	T("fcntl-getfd2", fcntl(10, F_GETFD));
	T("fcntl-getfl", fcntl(3, F_GETFL) & O_ACCMODE);
	T("fcntl-dupfd", fcntl(3, F_DUPFD, 20));
	T("close", close(20));
	T("close-again", close(20));
	T("ioctl-notty", ioctl(3, TCGETS, buf));
	T("open-enoent", open("nonexistent", O_RDONLY));
	T("open-efault", syscall(SYS_open, BADPTR, O_RDONLY));
	T("open-kernel-ptr", syscall(SYS_open, KPTR, O_RDONLY));
	T("open-excl", open("f", O_CREAT | O_EXCL | O_RDWR, 0600));
	T("open-enotdir", open("f/x", O_RDONLY));
	T("open-dir-write", open(".", O_WRONLY));
	T("open-directory-flag", open("f", O_RDONLY | O_DIRECTORY));
	T("mkdir", mkdir("d", 0750));
	T("mkdir-exists", mkdir("d", 0750));
	T("mkdir-noparent", mkdir("x/y", 0750));
	T("stat-dir", stat("d", &st));
	printf("stat-dir: mode %o\n", st.st_mode);
	T("rmdir-notdir", rmdir("f"));
	T("unlink-dir", unlink("d"));
	T("symlink", symlink("f", "l"));
	T("readlink", readlink("l", buf, sizeof buf));
	T("readlink-notlink", readlink("f", buf, sizeof buf));
	T("lstat", lstat("l", &st));
	printf("lstat: link %d size %ld\n", S_ISLNK(st.st_mode), (long)st.st_size);
	T("stat-via-link", stat("l", &st));
	printf("stat-via-link: size %ld\n", (long)st.st_size);
	T("link", link("f", "h"));
	T("stat-nlink", stat("f", &st));
	printf("nlink: %ld\n", (long)st.st_nlink);
	T("rename", rename("h", "h2"));
	T("rename-enoent", rename("h", "h3"));
	T("rename-dir-into-self", rename("d", "d/sub"));
	T("unlink", unlink("h2"));
	T("unlink-enoent", unlink("h2"));
	T("chmod", chmod("f", 0600));
	T("stat-mode", stat("f", &st));
	printf("mode: %o\n", st.st_mode & 07777);
	T("truncate", truncate("f", 3));
	T("stat-size", stat("f", &st));
	printf("size: %ld\n", (long)st.st_size);
	T("truncate-dir", truncate("d", 0));
	T("mkdir-sub", mkdir("d/sub", 0755));
	T("rmdir-notempty", rmdir("d"));
	T("open-file-in-d", open("d/z", O_CREAT | O_WRONLY, 0644));
	DIR *dp = opendir("d");
	char *names[16];
	int n = 0;
	struct dirent *de;
	while (dp && (de = readdir(dp)) && n < 16)
		names[n++] = strdup(de->d_name);
	qsort(names, n, sizeof *names, cmp);
	printf("getdents:");
	for (int i = 0; i < n; i++)
		printf(" %s", names[i]);
	printf("\n");
	T("getcwd-small", syscall(SYS_getcwd, buf, 2));
	T("chdir-enoent", chdir("nowhere"));
	T("chdir-notdir", chdir("f"));
	T("access-ok", access("f", R_OK));
	T("access-enoent", access("zz", F_OK));
	int p[2];
	T("pipe2", pipe2(p, O_CLOEXEC));
	T("pipe-write", write(p[1], "abc", 3));
	T("pipe-read", read(p[0], buf, sizeof buf));
	T("pipe-lseek", lseek(p[0], 0, SEEK_SET));
	T("pipe-efault", syscall(SYS_pipe, BADPTR));
	struct iovec iov[2] = { { "ab", 2 }, { "cd", 2 } };
	T("writev", writev(p[1], iov, 2));
	char a[2], b2[2];
	struct iovec riov[2] = { { a, 2 }, { b2, 2 } };
	T("readv", readv(p[0], riov, 2));
	printf("readv-data: %.2s%.2s\n", a, b2);
	T("open-f", open("f", O_RDONLY));
	int fd = open("f", O_RDONLY);
	T("sendfile", sendfile(p[1], fd, NULL, 100));
	T("pipe-read2", read(p[0], buf, sizeof buf));
	T("utimensat", utimensat(AT_FDCWD, "f", NULL, 0));
	T("newfstatat-efault", syscall(SYS_newfstatat, AT_FDCWD, "f", BADPTR, 0));
	T("newfstatat-enoent", fstatat(AT_FDCWD, "", &st, 0));
	T("unlinkat-removedir", unlinkat(AT_FDCWD, "d/sub", AT_REMOVEDIR));
	T("renameat", renameat(AT_FDCWD, "d/z", AT_FDCWD, "z2"));
	T("symlink-loop", symlink("loop", "loop"));
	T("open-loop", open("loop", O_RDONLY));
	T("fchmodat", fchmodat(AT_FDCWD, "z2", 0444, 0));
	T("fchownat", fchownat(AT_FDCWD, "z2", 0, 0, 0));
	closed_under_reader();
	return 0;
}
