/* Streaming tar reader (POSIX ustar + pax, GNU long names).  Freestanding;
 * runs in the guest kernel and in the host tool. */
#include "tar.h"
#include "util.h"

void ld_tar_init(struct ld_tar *t, struct ld_src *src, char *bufs, u32 max_path,
		 struct ld_err *err)
{
	ld_memset(t, 0, sizeof *t);
	t->src = src;
	t->path = bufs;
	t->link = bufs + max_path + 1;
	t->pax = bufs + 2 * (max_path + 1);
	t->max_path = max_path;
	t->err = err;
}

/* Makes the current chunk non-empty: 1, or 0 at end of input, <0 error. */
static int fill(struct ld_tar *t)
{
	if (t->n)
		return 1;
	long r = t->src->pull(t->src, &t->p);
	if (r < 0)
		return -1;
	t->n = (size_t)r;
	return r > 0;
}

static void take(struct ld_tar *t, size_t k)
{
	t->p += k;
	t->n -= k;
	t->offset += k;
}

/* Reads exactly len bytes: 0, 1 if the input ended before the first, <0. */
static int read_exact(struct ld_tar *t, void *buf, size_t len)
{
	u8 *d = buf;
	size_t got = 0;
	while (got < len) {
		int r = fill(t);
		if (r < 0)
			return -1;
		if (!r)
			return got ? ld_fail(t->err, "tar: archive is truncated") : 1;
		size_t k = t->n < len - got ? t->n : len - got;
		ld_memcpy(d + got, t->p, k);
		take(t, k);
		got += k;
	}
	return 0;
}

static int skip(struct ld_tar *t, u64 len)
{
	while (len) {
		if (!t->n && t->src->skip) {
			if (t->src->skip(t->src, len) < 0)
				return -1;
			t->offset += len;
			return 0;
		}
		int r = fill(t);
		if (r < 0)
			return -1;
		if (!r)
			return ld_fail(t->err, "tar: archive is truncated");
		size_t k = t->n < len ? t->n : (size_t)len;
		take(t, k);
		len -= k;
	}
	return 0;
}

#define ONES 0x0101010101010101ull

/* How many octal digits start the eight bytes of w (the first byte lowest),
 * and their value in *val: a digit's top five bits are 0x30. */
static inline u32 octal8(u64 w, u64 *val)
{
	u64 m = (w & 0xf8 * ONES) ^ 0x30 * ONES;
	u64 other = (((m & 0x7f * ONES) + 0x7f * ONES) | m) & 0x80 * ONES; /* top bit: not a digit */
	u32 n = other ? (u32)__builtin_ctzll(other) / 8 : 8;
	/* the digits as byte values, the last one in the top byte (a borrow
	 * from a byte past them only runs upwards, out of the shift) */
	u64 d = n ? (w - 0x30 * ONES) << (8 * (8 - n)) : 0;
	d = ((d & 0x0007000700070007ull) << 3) + ((d >> 8) & 0x0007000700070007ull);
	d = ((d & 0x0000003f0000003full) << 6) + ((d >> 16) & 0x0000003f0000003full);
	*val = ((d & 0xfff) << 12) + ((d >> 32) & 0xfff);
	return n;
}

/* Bytes n and up of w are all spaces or NULs. */
static inline int pad8(u64 w, u32 n)
{
	return n == 8 || !((w & 0xdf * ONES) >> (8 * n));
}

/* The usual field: octal digits from its first byte on, then spaces or
 * NULs; 0, or -1 for anything else (number() then reads it byte by byte). */
static inline int octal_field(const u8 *f, size_t len, u64 *v)
{
	u64 w, w2 = 0x2020202020202020ull, x, y;
	__builtin_memcpy(&w, f, 8);
	u32 n = octal8(w, &x);
	if (!n || !pad8(w, n))
		return -1;
	if (len == 12) {
		__builtin_memcpy(&w2, f + 8, 4); /* the top four stay spaces */
		u32 n2 = n == 8 ? octal8(w2, &y) : 0;
		if (!pad8(w2, n2))
			return -1;
		x = n2 ? x << (3 * n2) | y : x;
	}
	*v = x;
	return 0;
}

/* Octal (space/NUL padded) or base-256 numeric field of 8 or 12 bytes. */
static int number(const u8 *f, size_t len, u64 *v)
{
	u64 x = 0;
	if (!octal_field(f, len, v))
		return 0;
	if (f[0] & 0x80) {
		if (f[0] != 0x80)
			return -1;      /* negative or malformed */
		for (size_t i = 1; i < len; i++) {
			if (x >> 56)
				return -1;
			x = x << 8 | f[i];
		}
		*v = x;
		return 0;
	}
	size_t i = 0;
	while (i < len && (f[i] == ' ' || f[i] == 0))
		i++;
	for (; i < len && f[i] >= '0' && f[i] <= '7'; i++) /* 12 digits: 36 bits */
		x = x << 3 | (u64)(f[i] - '0');
	for (; i < len; i++)
		if (f[i] != ' ' && f[i] != 0)
			return -1;
	*v = x;
	return 0;
}

/* The header's checksum: 1 if it matches, 0 if not, -1 for a block of zeros
 * (the archive's end).  The byte sum counts the checksum field as spaces,
 * unsigned (POSIX) or signed (old tars).  Eight bytes a step in 16-bit lanes
 * (64 words of at most 2 * 255 a lane fit), the field taken out after; the
 * signed sum is that less 256 per byte of 0x80 and up. */
static int checksum(const u8 *h)
{
	const u64 lo = 0x00ff00ff00ff00ffull, top = 0x0101010101010101ull;
	u64 want, lanes = 0, high = 0, f, w;
#pragma GCC unroll 8
	for (int i = 0; i < 512; i += 8) {
		__builtin_memcpy(&w, h + i, 8);
		lanes += (w & lo) + ((w >> 8) & lo);
	}
	if (!lanes)
		return -1; /* every byte zero */
	__builtin_memcpy(&f, h + 148, 8);
	lanes -= (f & lo) + ((f >> 8) & lo);
	u64 us = (lanes & 0xffff) + (lanes >> 16 & 0xffff) + (lanes >> 32 & 0xffff) + (lanes >> 48) + 8 * ' ';
	if (number(h + 148, 8, &want))
		return 0;
	if (want == us)
		return 1;
	for (int i = 0; i < 512; i += 8) { /* old tars' signed sum: rare */
		__builtin_memcpy(&w, h + i, 8);
		high += w >> 7 & top; /* at most 64 a byte lane */
	}
	high -= f >> 7 & top;
	high = (high & lo) + (high >> 8 & lo); /* at most 128 a 16-bit lane */
	high = high * 0x0001000100010001ull >> 48;
	return (s64)want == (s64)us - 256 * (s64)high;
}

/* The length of a NUL-padded header field, eight bytes a step: the whole
 * field lies in the header, so every word read is inside it.  A word's
 * lowest zero byte is the lowest byte flagged by (w - 1s) & ~w & 0x80s. */
static size_t field_len(const u8 *f, size_t len)
{
	size_t n = 0;
	for (u64 w, z; n + 8 <= len; n += 8) {
		__builtin_memcpy(&w, f + n, 8);
		if ((z = (w - ONES) & ~w & 0x80 * ONES))
			return n + (u32)__builtin_ctzll(z) / 8;
	}
	while (n < len && f[n])
		n++;
	return n;
}

/* dst = the field pre (pl bytes, then '/', when pl) and the field src (up to
 * len bytes, NUL-padded), at most max_path bytes. */
static int copy_name(struct ld_tar *t, char *dst, const char *what, const u8 *pre, size_t pl, const u8 *src,
		     size_t len)
{
	size_t n = field_len(src, len), at = pl ? pl + 1 : 0;
	if (at + n > t->max_path)
		return ld_fail(t->err, "tar: %s longer than %u bytes", what, t->max_path);
	if (pl) {
		ld_memcpy(dst, pre, pl);
		dst[pl] = '/';
	}
	ld_memcpy(dst + at, src, n);
	dst[at + n] = 0;
	return 0;
}

/* GNU 'L'/'K': the data is the NUL-terminated long name. */
static int gnu_long(struct ld_tar *t, char *dst, u64 size, const char *what)
{
	if (size > t->max_path + 1)
		return ld_fail(t->err, "tar: %s longer than %u bytes", what, t->max_path);
	if (read_exact(t, dst, (size_t)size))
		return ld_fail(t->err, "tar: archive is truncated in a long %s", what);
	dst[size] = 0;
	if (ld_strlen(dst) > t->max_path)
		return ld_fail(t->err, "tar: %s longer than %u bytes", what, t->max_path);
	return skip(t, (512 - size % 512) % 512);
}

static int dec(const char *s, size_t n, u64 *v, u32 *frac_ns)
{
	u64 x = 0;
	size_t i = 0;
	if (!n)
		return -1;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		if (x > (~0ull - 9) / 10)
			return -1;
		x = x * 10 + (u64)(s[i] - '0');
	}
	if (i < n && s[i] == '.' && frac_ns) {
		u32 ns = 0, scale = 100000000;
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, scale /= 10)
			ns += (u32)(s[i] - '0') * scale;
		*frac_ns = ns;
	}
	if (i != n)
		return -1;
	*v = x;
	return 0;
}

struct pax {
	int has_path, has_link, has_size, has_mtime, has_uid, has_gid;
	u64 size, mtime, uid, gid;
	u32 mtime_nsec;
};

/* Parses "LEN key=value\n" records (POSIX pax extended header). */
static int pax_parse(struct ld_tar *t, u64 size, struct pax *x)
{
	if (size >= LD_TAR_PAXMAX)
		return ld_fail(t->err, "tar: pax header of %llu bytes is too large",
			       (unsigned long long)size);
	if (read_exact(t, t->pax, (size_t)size))
		return ld_fail(t->err, "tar: archive is truncated in a pax header");
	if (skip(t, (512 - size % 512) % 512))
		return -1;
	const char *s = t->pax;
	size_t pos = 0;
	while (pos < size) {
		u64 rl = 0;
		size_t i = pos;
		while (i < size && s[i] >= '0' && s[i] <= '9' && rl < size)
			rl = rl * 10 + (u64)(s[i++] - '0');
		if (i >= size || s[i] != ' ' || rl < 5 || pos + rl > size || s[pos + rl - 1] != '\n')
			return ld_fail(t->err, "tar: malformed pax record");
		const char *k = s + i + 1, *end = s + pos + rl - 1, *eq = k;
		while (eq < end && *eq != '=')
			eq++;
		if (eq == end)
			return ld_fail(t->err, "tar: malformed pax record");
		size_t kl = (size_t)(eq - k), vl = (size_t)(end - eq - 1);
		const char *v = eq + 1;
		int bad = 0;
		int is_link = kl == 8 && !ld_memcmp(k, "linkpath", 8);
		if (is_link || (kl == 4 && !ld_memcmp(k, "path", 4))) {
			if (vl > t->max_path || ld_strnlen(v, vl) != vl)
				return ld_fail(t->err, "tar: pax %s longer than %u bytes or holds NUL",
					       is_link ? "linkpath" : "path", t->max_path);
			char *dst = is_link ? t->link : t->path;
			ld_memcpy(dst, v, vl);
			dst[vl] = 0;
			*(is_link ? &x->has_link : &x->has_path) = 1;
		} else if (kl == 4 && !ld_memcmp(k, "size", 4)) {
			bad = dec(v, vl, &x->size, 0);
			x->has_size = 1;
		} else if (kl == 5 && !ld_memcmp(k, "mtime", 5)) {
			x->mtime_nsec = 0;
			if (vl && v[0] == '-')
				x->mtime = 0;   /* pre-1970: clamp */
			else
				bad = dec(v, vl, &x->mtime, &x->mtime_nsec);
			x->has_mtime = 1;
		} else if (kl == 3 && !ld_memcmp(k, "uid", 3)) {
			bad = dec(v, vl, &x->uid, 0) || x->uid > 0xffffffffu;
			x->has_uid = 1;
		} else if (kl == 3 && !ld_memcmp(k, "gid", 3)) {
			bad = dec(v, vl, &x->gid, 0) || x->gid > 0xffffffffu;
			x->has_gid = 1;
		}
		if (bad)
			return ld_fail(t->err, "tar: bad pax value for '%.*s'", (int)kl, k);
		pos += rl;
	}
	return 0;
}

static int map_type(char tf, const char *path)
{
	switch (tf) {
	case '0': case 0: case '7':
		return path[0] && path[ld_strlen(path) - 1] == '/' ? LD_DIR : LD_REG;
	case '1': return LD_TAR_HARDLINK;
	case '2': return LD_LNK;
	case '3': return LD_CHR;
	case '4': return LD_BLK;
	case '5': return LD_DIR;
	case '6': return LD_FIFO;
	}
	return -1;
}

int ld_tar_next(struct ld_tar *t, struct ld_tar_entry *e)
{
	u8 buf[512];
	const u8 *h;
	struct pax x;
	int gnu_path = 0, gnu_link = 0;
	if (t->ended)
		return 0;
	if (skip(t, t->data_left + t->pad_left))
		return -1;
	t->data_left = t->pad_left = 0;
	x = (struct pax){ 0 };
	for (;;) {
		u64 hoff = t->offset;
		/* in place when the chunk holds it: nothing pulls again before
		 * the header is done with (a pax or long name header's data is
		 * read only after its own header) */
		int r = fill(t);
		h = buf;
		if (r > 0 && t->n >= 512) {
			h = t->p;
			take(t, 512);
			r = 0;
		} else if (r > 0) {
			r = read_exact(t, buf, 512);
		} else if (!r) {
			r = 1; /* the input's end */
		}
		if (r < 0)
			return -1;
		if (r == 1) {
			if (x.has_path || gnu_path || gnu_link)
				return ld_fail(t->err, "tar: archive ends after an extended header");
			t->ended = 1;      /* no end-of-archive blocks: tolerated */
			return 0;
		}
		int ck = checksum(h);
		if (ck < 0) {
			t->ended = 1;
			return 0;
		}
		if (!ck)
			return ld_fail(t->err, "tar: bad header checksum at offset %llu",
				       (unsigned long long)hoff);
		u64 size, v;
		if (number(h + 124, 12, &size))
			return ld_fail(t->err, "tar: bad size field at offset %llu",
				       (unsigned long long)hoff);
		char tf = (char)h[156];
		if (tf == 'x' || tf == 'g') {
			if (tf == 'g' ? skip(t, (size + 511) & ~511ull) : pax_parse(t, size, &x))
				return -1;
			continue;
		}
		if (tf == 'L' || tf == 'K') {
			if (gnu_long(t, tf == 'L' ? t->path : t->link, size,
				     tf == 'L' ? "long name" : "long link"))
				return -1;
			*(tf == 'L' ? &gnu_path : &gnu_link) = 1;
			continue;
		}
		/* the real header */
		*e = (struct ld_tar_entry){ 0 };
		int ustar = !ld_memcmp(h + 257, "ustar", 5);
		if (!x.has_path && !gnu_path &&
		    copy_name(t, t->path, "path", h + 345, ustar && h[257 + 5] == 0 ? field_len(h + 345, 155) : 0, h, 100))
			return -1;
		if (!x.has_link && !gnu_link && copy_name(t, t->link, "link target", 0, 0, h + 157, 100))
			return -1;
		e->path = t->path;
		e->link = t->link;
		e->type = map_type(tf, t->path);
		if (e->type < 0)
			return ld_fail(t->err, "tar: entry '%s' has unsupported type '%c'", t->path,
				       tf >= 32 && tf < 127 ? tf : '?');
		if (x.has_size)
			size = x.size;
		e->size = size;
		if (number(h + 100, 8, &v))
			return ld_fail(t->err, "tar: entry '%s' has a bad mode", t->path);
		e->mode = (u32)(v & 07777);
		if (number(h + 108, 8, &v) || v > 0xffffffffu)
			return ld_fail(t->err, "tar: entry '%s' has a bad uid", t->path);
		e->uid = (u32)(x.has_uid ? x.uid : v);
		if (number(h + 116, 8, &v) || v > 0xffffffffu)
			return ld_fail(t->err, "tar: entry '%s' has a bad gid", t->path);
		e->gid = (u32)(x.has_gid ? x.gid : v);
		if (number(h + 136, 12, &v))
			v = 0;
		e->mtime = (s64)(x.has_mtime ? x.mtime : v);
		e->mtime_nsec = x.has_mtime ? x.mtime_nsec : 0;
		if (ustar && (e->type == LD_CHR || e->type == LD_BLK)) {
			if (number(h + 329, 8, &v) || v > 0xfffff)
				return ld_fail(t->err, "tar: entry '%s' has a bad device number", t->path);
			e->devmajor = (u32)v;
			if (number(h + 337, 8, &v) || v > 0xfffff)
				return ld_fail(t->err, "tar: entry '%s' has a bad device number", t->path);
			e->devminor = (u32)v;
		}
		e->data_offset = t->offset;
		t->data_left = size;
		t->pad_left = (512 - size % 512) % 512;
		return 1;
	}
}

long ld_tar_data(struct ld_tar *t, const u8 **p)
{
	if (!t->data_left)
		return 0;
	int r = fill(t);
	if (r < 0)
		return -1;
	if (!r)
		return ld_fail(t->err, "tar: archive is truncated inside '%s'", t->path);
	size_t k = t->n < t->data_left ? t->n : (size_t)t->data_left;
	*p = t->p;
	take(t, k);
	t->data_left -= k;
	return (long)k;
}

/* ---- writing */
static void octal(u8 *f, size_t width, u64 v)
{
	f[width - 1] = 0;
	for (size_t i = width - 1; i-- > 0; v >>= 3)
		f[i] = (u8)('0' + (v & 7));
}

static size_t block(u8 *out, const struct ld_tar_hdr *m, const char *name, char type, u64 size)
{
	size_t nl = ld_strlen(name), ll = m->link ? ld_strlen(m->link) : 0;
	unsigned sum = 0;
	ld_memset(out, 0, 512);
	ld_memcpy(out, name, nl > 100 ? 100 : nl);
	octal(out + 100, 8, m->mode & 07777);
	octal(out + 108, 8, m->uid & 07777777);
	octal(out + 116, 8, m->gid & 07777777);
	octal(out + 124, 12, size);
	octal(out + 136, 12, (u64)m->mtime);
	ld_memset(out + 148, ' ', 8);
	out[156] = (u8)type;
	if (ll)
		ld_memcpy(out + 157, m->link, ll > 100 ? 100 : ll);
	ld_memcpy(out + 257, "ustar\0" "00", 8);
	if (type == '3' || type == '4') {
		octal(out + 329, 8, m->major & 07777777);
		octal(out + 337, 8, m->minor & 07777777);
	}
	for (int i = 0; i < 512; i++)
		sum += out[i];
	octal(out + 148, 7, sum);
	return 512;
}

/* A GNU 'L' or 'K' member carrying s (with its NUL): header, data, padding. */
static size_t long_member(u8 *out, char type, const char *s)
{
	size_t n = ld_strlen(s) + 1;
	struct ld_tar_hdr h = { .mode = 0644 };
	block(out, &h, "././@LongLink", type, n);
	ld_memset(out + 512, 0, (n + 511) & ~(size_t)511);
	ld_memcpy(out + 512, s, n);
	return 512 + ((n + 511) & ~(size_t)511);
}

size_t ld_tar_header(u8 *out, const struct ld_tar_hdr *m)
{
	size_t nl = ld_strlen(m->name), ll = m->link ? ld_strlen(m->link) : 0, at = 0;
	if (m->size > 077777777777ull || m->mtime < 0 || m->mtime > 077777777777ll || nl >= LD_TAR_NAME_MAX ||
	    ll >= LD_TAR_NAME_MAX)
		return 0;
	if (ll > 100)
		at += long_member(out + at, 'K', m->link);
	if (nl > 100)
		at += long_member(out + at, 'L', m->name);
	return at + block(out + at, m, m->name, m->type, m->size);
}
