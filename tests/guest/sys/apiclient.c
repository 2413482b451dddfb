/* apiclient: a small Engine API client for tests in the host partition's
 * shell (and on Linux): one request on /var/run/docker.sock (or $DOCKER_SOCK).
 *     apiclient [--upgrade] [--frames] [--timeout S] [[--wait MS] --send TEXT]... [--close]
 *               METHOD PATH [BODY]
 * Prints "STATUS n", the Content-Type, Connection and Upgrade headers, an
 * empty line, then the body (a chunked one decoded).  --upgrade asks for
 * Upgrade: tcp (attach, exec start); after the response's headers each
 * --send TEXT is written (C escapes \n, \r, \xNN), --wait MS before it;
 * --close then half-closes (stdin's EOF).  --frames prints a multiplexed
 * stream frame by frame as "[1]TEXT" (stdout) or "[2]TEXT" (stderr), each
 * on its own line.  The answer is read until EOF or --timeout S (default 30)
 * passes without data.  Exit status 0, 1 for a transport error. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static char *unescape(const char *s, size_t *len)
{
	char *o = malloc(strlen(s) + 1);
	size_t n = 0;
	for (; *s; s++) {
		if (*s != '\\' || !s[1]) {
			o[n++] = *s;
			continue;
		}
		s++;
		if (*s == 'n')
			o[n++] = '\n';
		else if (*s == 'r')
			o[n++] = '\r';
		else if (*s == 'x' && s[1] && s[2]) {
			char h[3] = { s[1], s[2], 0 };
			o[n++] = (char)strtol(h, NULL, 16);
			s += 2;
		} else
			o[n++] = *s;
	}
	*len = n;
	return o;
}

static char buf[1 << 22];
static size_t blen;

static void read_until(int fd, int timeout_ms, const char *stop)
{
	for (;;) {
		if (stop && memmem(buf, blen, stop, strlen(stop)))
			return;
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, timeout_ms) != 1)
			return;
		ssize_t n = read(fd, buf + blen, sizeof buf - blen);
		if (n <= 0)
			return;
		blen += (size_t)n;
	}
}

static void print_body(const char *p, size_t n, int frames)
{
	if (!frames) {
		fwrite(p, 1, n, stdout);
		return;
	}
	while (n >= 8) {
		size_t len = (size_t)(unsigned char)p[4] << 24 | (size_t)(unsigned char)p[5] << 16 |
			     (size_t)(unsigned char)p[6] << 8 | (unsigned char)p[7];
		if (len > n - 8)
			len = n - 8;
		printf("[%d]%.*s\n", p[0], (int)len, p + 8);
		p += 8 + len, n -= 8 + len;
	}
	if (n)
		printf("(%zu bytes left over)\n", n);
}

int main(int argc, char **argv)
{
	int upgrade = 0, frames = 0, close_in = 0, timeout = 30, i = 1;
	struct { int wait; char *p; size_t n; } sends[16];
	int nsend = 0, wait = 0;
	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strcmp(argv[i], "--upgrade"))
			upgrade = 1;
		else if (!strcmp(argv[i], "--frames"))
			frames = 1;
		else if (!strcmp(argv[i], "--close"))
			close_in = 1;
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			timeout = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--wait") && i + 1 < argc)
			wait = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--send") && i + 1 < argc && nsend < 16) {
			sends[nsend].wait = wait, wait = 0;
			sends[nsend].p = unescape(argv[++i], &sends[nsend].n);
			nsend++;
		} else
			break;
	}
	if (argc - i < 2 || argc - i > 3) {
		fprintf(stderr, "usage: apiclient [--upgrade] [--frames] [--timeout S] [[--wait MS] --send TEXT]... "
				"[--close] METHOD PATH [BODY]\n");
		return 2;
	}
	const char *method = argv[i], *path = argv[i + 1], *body = argc - i == 3 ? argv[i + 2] : NULL;
	const char *sock = getenv("DOCKER_SOCK") ? getenv("DOCKER_SOCK") : "/var/run/docker.sock";
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	snprintf(a.sun_path, sizeof a.sun_path, "%s", sock);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a)) {
		printf("apiclient: %s: %s\n", sock, strerror(errno));
		return 1;
	}
	char req[8192];
	int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: docker\r\n%s%s%zu\r\n\r\n%s", method, path,
			 upgrade ? "Connection: Upgrade\r\nUpgrade: tcp\r\n" : "Connection: close\r\n",
			 body ? "Content-Type: application/json\r\nContent-Length: " : "Content-Length: ",
			 body ? strlen(body) : 0, body ? body : "");
	if (write(fd, req, (size_t)n) != n) {
		printf("apiclient: write: %s\n", strerror(errno));
		return 1;
	}
	read_until(fd, timeout * 1000, "\r\n\r\n");
	char *eoh = memmem(buf, blen, "\r\n\r\n", 4);
	if (!eoh) {
		printf("apiclient: no response (%zu bytes)\n", blen);
		return 1;
	}
	*eoh = 0;
	size_t hlen = (size_t)(eoh - buf) + 4;
	int status = 0, chunked = 0;
	sscanf(buf, "HTTP/1.1 %d", &status);
	printf("STATUS %d\n", status);
	for (char *l = strstr(buf, "\r\n"); l; l = strstr(l + 2, "\r\n")) {
		char *h = l + 2;
		size_t k = strcspn(h, "\r");
		if (!strncasecmp(h, "content-type:", 13) || !strncasecmp(h, "connection:", 11) ||
		    !strncasecmp(h, "upgrade:", 8))
			printf("%.*s\n", (int)k, h);
		if (!strncasecmp(h, "transfer-encoding: chunked", 26))
			chunked = 1;
	}
	printf("\n");
	fflush(stdout);
	for (int s = 0; s < nsend; s++) {
		if (sends[s].wait)
			usleep((useconds_t)sends[s].wait * 1000);
		if (write(fd, sends[s].p, sends[s].n) < 0)
			break;
	}
	if (close_in)
		shutdown(fd, SHUT_WR);
	read_until(fd, timeout * 1000, NULL);
	char *p = buf + hlen;
	size_t left = blen - hlen;
	if (!chunked) {
		print_body(p, left, frames);
		return 0;
	}
	/* dechunk in place */
	char *out = p, *q = p, *end = buf + blen;
	while (q < end) {
		char *e;
		unsigned long sz = strtoul(q, &e, 16);
		char *data = memmem(q, (size_t)(end - q), "\r\n", 2);
		if (!data || e == q || !sz)
			break;
		data += 2;
		if (sz > (unsigned long)(end - data))
			sz = (unsigned long)(end - data);
		memmove(out, data, sz);
		out += sz;
		q = data + sz + 2;
	}
	print_body(p, (size_t)(out - p), frames);
	return 0;
}
