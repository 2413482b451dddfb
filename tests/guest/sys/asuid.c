/* asuid UID PROG [ARG...]: runs PROG with user and group ids UID (real,
 * effective and saved), as a program dropping root would; for tests that need
 * a caller other than root.  Exits 127 if it cannot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char *end;
	unsigned long id = argc > 2 ? strtoul(argv[1], &end, 10) : 0;
	if (argc < 3 || !*argv[1] || *end) {
		fprintf(stderr, "usage: asuid UID PROG [ARG...]\n");
		return 127;
	}
	if (setgid((gid_t)id) || setuid((uid_t)id)) {
		perror("asuid");
		return 127;
	}
	execvp(argv[2], argv + 2);
	perror(argv[2]);
	return 127;
}
