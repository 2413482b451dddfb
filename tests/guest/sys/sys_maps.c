/* Guest syscall test: /proc/self/maps in Linux's format (issue 11, item 5):
 * each region's line, its address range left out (the layouts differ), for
 * the program's own file, the stack, an anonymous mapping and
 * private and shared mappings of a file at an offset. */
#include "t.h"
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp/sys_maps.d";
	char path[256], self[256], line[512], buf[8192];
	mkdir(dir, 0755);
	snprintf(path, sizeof path, "%s/f", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	memset(buf, 'm', sizeof buf);
	write(fd, buf, sizeof buf);
	struct stat st;
	fstat(fd, &st);
	long n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n > 0 ? n : 0] = 0;
	char *anon = mmap(0, 3 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *shared = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096);
	char *priv = mmap(0, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	free(malloc(200000)); /* the heap: musl's brk */
	sbrk(4096);
	int stack = 0;
	FILE *f = fopen("/proc/self/maps", "r");
	while (fgets(line, sizeof line, f)) {
		unsigned long a, b, off, ino;
		char perms[8], dev[16], name[256] = "";
		int col = 0;
		if (sscanf(line, "%lx-%lx %7s %lx %15s %lu %n", &a, &b, perms, &off, dev, &ino, &col) < 6)
			continue;
		sscanf(line + col, "%255s", name);
		const char *what = !strcmp(name, self) ? "self" : !strcmp(name, path) ? "file" : name;
		if (a == (unsigned long)anon)
			what = "anon";
		if (!strcmp(what, "self") || !strcmp(what, "file") || !strcmp(what, "anon"))
			printf("%s: %s offset %lu dev %s inode %s pages %lu name at %d\n", what, perms, off,
			       strcmp(what, "anon") ? "set" : dev, !ino ? "0" : ino == st.st_ino ? "the file's" : "other",
			       (b - a) / 4096, *name ? (int)(strstr(line, name) - line) : 0);
		else if (!strcmp(what, "[stack]") && !stack++)
			printf("%s: %s offset %lu dev %s inode %lu name at %d\n", what, perms, off, dev, ino,
			       (int)(strstr(line, name) - line));
	}
	fclose(f);
	munmap(shared, 4096);
	munmap(priv, 4096);
	close(fd);
	unlink(path);
	rmdir(dir);
	return 0;
}
