/* Image references as Docker reads them (the distribution reference
 * grammar): [DOMAIN/]PATH[:TAG], where DOMAIN is the first component when it
 * holds a '.' or a ':' or is "localhost", the default domain is docker.io,
 * a one-component path on docker.io gets "library/", and the default tag is
 * "latest".  NAME[:TAG]@sha256:<64 hex digits> is a digest reference:
 * DOMAIN/PATH@sha256:..., its tag dropped (the digest names the image). */
#include <stdio.h>
#include <string.h>
#include "engine.h"

static int alnum(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

/* A path component: [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)* */
static int component_ok(const char *s, size_t n)
{
	size_t i = 0;
	if (!n || !alnum(s[0]) || !alnum(s[n - 1]))
		return 0;
	while (i < n) {
		if (alnum(s[i])) {
			i++;
			continue;
		}
		size_t j = i;
		while (j < n && s[j] == '-')
			j++;
		if (j == i)   /* one '.' or '_', or "__" */
			j = s[i] == '.' ? i + 1 : s[i] == '_' ? (s[i + 1] == '_' ? i + 2 : i + 1) : i;
		if (j == i || j >= n || !alnum(s[j]))
			return 0;
		i = j;
	}
	return 1;
}

/* A domain: host components of [a-zA-Z0-9-] joined by '.', then :PORT. */
static int domain_ok(const char *s, size_t n)
{
	size_t i = 0;
	for (; i < n && s[i] != ':'; i++)
		if (!((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z') && !(s[i] >= '0' && s[i] <= '9') &&
		    s[i] != '-' && s[i] != '.')
			return 0;
	if (!i)
		return 0;
	if (i < n) {
		if (i + 1 == n)
			return 0;
		for (i++; i < n; i++)
			if (s[i] < '0' || s[i] > '9')
				return 0;
	}
	return 1;
}

int ref_tag_ok(const char *t)
{
	size_t n = strlen(t);
	if (!n || n > 128)
		return 0;
	for (size_t i = 0; i < n; i++) {
		int ch = (unsigned char)t[i];
		int w = alnum(ch) || (ch >= 'A' && ch <= 'Z') || ch == '_';
		if (!w && (i == 0 || (ch != '.' && ch != '-')))
			return 0;
	}
	return 1;
}

int ref_is_hex(const char *s)
{
	size_t n = strspn(s, "0123456789abcdef");
	return n && n <= 64 && !s[n];
}

int ref_digest_ok(const char *d)
{
	return !strncmp(d, "sha256:", 7) && strlen(d + 7) == 64 && ref_is_hex(d + 7);
}

int ref_normalize(const char *in, char *out, size_t cap, char *err, size_t ecap)
{
	char name[512], tag[160] = "latest";
	size_t n = strlen(in);
	const char *slash = strchr(in, '/'), *at = strchr(in, '@');
	if (at) {   /* NAME[:TAG]@DIGEST */
		char part[512];
		if (!ref_digest_ok(at + 1) || (size_t)(at - in) >= sizeof part)
			goto bad;
		snprintf(part, sizeof part, "%.*s", (int)(at - in), in);
		if (ref_normalize(part, out, cap, err, ecap))
			return -1;
		char *t = strrchr(out, ':');
		if ((size_t)(t - out) + strlen(at) >= cap)
			goto bad;
		strcpy(t, at);
		return 0;
	}
	/* The tag is after the last ':' that follows the last '/'. */
	const char *colon = strrchr(in, ':');
	const char *lslash = strrchr(in, '/');
	if (colon && (!lslash || colon > lslash)) {
		if (snprintf(tag, sizeof tag, "%s", colon + 1) >= (int)sizeof tag || !ref_tag_ok(tag))
			goto bad;
		n = (size_t)(colon - in);
	}
	if (!n || n >= 256 || n >= sizeof name)
		goto bad;
	memcpy(name, in, n);
	name[n] = 0;
	for (size_t i = 0; i < n; i++)
		if (name[i] >= 'A' && name[i] <= 'Z' && !(slash && (size_t)(slash - in) > i)) {
			snprintf(err, ecap, "invalid reference format: repository name (%s) must be lowercase",
				 name);
			return -1;
		}
	const char *domain = "docker.io", *path = name;
	size_t dlen = 9;
	char *first = strchr(name, '/');
	if (first && (memchr(name, '.', (size_t)(first - name)) || memchr(name, ':', (size_t)(first - name)) ||
		      !strncmp(name, "localhost/", 10))) {
		if (!domain_ok(name, (size_t)(first - name)))
			goto bad;
		domain = name;
		dlen = (size_t)(first - name);
		path = first + 1;
	}
	for (const char *s = path;;) {
		const char *e = strchr(s, '/');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		if (!component_ok(s, len))
			goto bad;
		if (!e)
			break;
		s = e + 1;
	}
	int lib = dlen == 9 && !strncmp(domain, "docker.io", 9) && !strchr(path, '/');
	if (snprintf(out, cap, "%.*s/%s%s:%s", (int)dlen, domain, lib ? "library/" : "", path, tag) >=
	    (int)cap)
		goto bad;
	return 0;
bad:
	snprintf(err, ecap, "invalid reference format: %s", in);
	return -1;
}

void ref_familiar(const char *canon, char *out, size_t cap)
{
	const char *s = canon;
	if (!strncmp(s, "docker.io/", 10)) {
		s += 10;
		if (!strncmp(s, "library/", 8) && !strchr(s + 8, '/'))
			s += 8;
	}
	snprintf(out, cap, "%s", s);
}
