/* Raw deflate decoder (RFC 1951): stored, fixed and dynamic Huffman blocks.
 * Huffman codes decode through a 10-bit (literal/length) or 8-bit
 * (distance) primary table with second-level tables for longer codes; each
 * entry carries the symbol's base value and extra-bit count, so the hot loop
 * does one lookup per symbol.  Freestanding; guest kernel and host tool. */
#include "inflate.h"
#include "util.h"

enum { ST_HEADER, ST_STORED, ST_HUFF, ST_DONE };

/* Table entry: bits 0-7 code length to drop, 8-15 flags, 16-31 value. */
#define F_LIT 0x80u
#define F_LEN 0x40u     /* low nibble: extra bits; value: base */
#define F_EOB 0x20u
#define F_SUB 0x10u     /* low nibble: sub-table index bits; value: offset */
#define LITROOT 10u
#define DISTROOT 8u
#define MAXBITS 15u

static const u16 len_base[29] = { 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
				  35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258 };
static const u8 len_extra[29] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
				  3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0 };
static const u16 dist_base[30] = { 1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
				   257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
				   8193, 12289, 16385, 24577 };
static const u8 dist_extra[30] = { 0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
				   7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13 };
static const u8 clen_order[19] = { 16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15 };

static u32 lit_tmpl(unsigned sym)
{
	if (sym < 256)
		return F_LIT << 8 | sym << 16;
	if (sym == 256)
		return F_EOB << 8;
	if (sym < 286)
		return (F_LEN | len_extra[sym - 257]) << 8 | (u32)len_base[sym - 257] << 16;
	return 0;
}

static u32 dist_tmpl(unsigned sym)
{
	return sym < 30 ? (F_LEN | dist_extra[sym]) << 8 | (u32)dist_base[sym] << 16 : 0;
}

static u32 clen_tmpl(unsigned sym)
{
	return F_LIT << 8 | sym << 16;
}

static u32 reverse(u32 code, unsigned len)
{
	u32 r = 0;
	while (len--) {
		r = r << 1 | (code & 1);
		code >>= 1;
	}
	return r;
}

/* Builds a decode table from code lengths; unused slots stay 0 (invalid).
 * Returns 0, or -1 for an over-subscribed code or a table overflow. */
static int build(u32 *tab, unsigned cap, unsigned root, const u8 *lens, unsigned n,
		 u32 (*tmpl)(unsigned))
{
	u16 count[MAXBITS + 1], offs[MAXBITS + 2], sorted[320];
	int left = 1;
	ld_memset(count, 0, sizeof count);
	for (unsigned i = 0; i < n; i++)
		count[lens[i]]++;
	count[0] = 0;
	for (unsigned l = 1; l <= MAXBITS; l++) {
		left = left * 2 - count[l];
		if (left < 0)
			return -1;
	}
	offs[1] = 0;
	for (unsigned l = 1; l <= MAXBITS; l++)
		offs[l + 1] = offs[l] + count[l];
	for (unsigned i = 0; i < n; i++)
		if (lens[i])
			sorted[offs[lens[i]]++] = (u16)i;
	ld_memset(tab, 0, (sizeof *tab) << root);

	unsigned used = 1u << root, idx = 0, sub_bits = 0;
	u32 code = 0, sub_base = 0, sub_prefix = ~0u, rootmask = (1u << root) - 1;
	for (unsigned l = 1; l <= MAXBITS; l++, code <<= 1) {
		while (count[l]) {
			unsigned sym = sorted[idx++];
			u32 rev = reverse(code, l);
			if (l <= root) {
				for (u32 j = rev; j <= rootmask; j += 1u << l)
					tab[j] = tmpl(sym) | l;
			} else {
				if ((rev & rootmask) != sub_prefix) {
					/* new sub-table: as wide as the codes under this prefix need */
					unsigned cur = l - root;
					int room = 1 << cur;
					while (cur + root < MAXBITS) {
						room -= count[cur + root];
						if (room <= 0)
							break;
						cur++;
						room <<= 1;
					}
					sub_bits = cur;
					sub_base = used;
					used += 1u << sub_bits;
					if (used > cap)
						return -1;
					ld_memset(tab + sub_base, 0, (sizeof *tab) << sub_bits);
					sub_prefix = rev & rootmask;
					tab[sub_prefix] = (F_SUB | sub_bits) << 8 | sub_base << 16 | root;
				}
				for (u32 j = rev >> root; j < (1u << sub_bits); j += 1u << (l - root))
					tab[sub_base + j] = tmpl(sym) | (l - root);
			}
			code++;
			count[l]--;
		}
	}
	return 0;
}

/* ---- input ---- */

static void clean(struct ld_inflate *st)
{
	st->bitbuf &= st->bitcnt >= 64 ? ~0ull : ((1ull << st->bitcnt) - 1);
}

static int more_input(struct ld_inflate *st)
{
	const u8 *p;
	long n;
	if (st->eof)
		return 0;
	n = st->src->pull(st->src, &p);
	if (n < 0)
		return -1;
	if (n == 0) {
		st->eof = 1;
		return 0;
	}
	st->in = p;
	st->in_end = p + n;
	return 1;
}

/* Makes at least `need` bits available if the input has them.  Returns <0
 * only on a source error; the caller checks bitcnt against what it uses. */
static int refill(struct ld_inflate *st, unsigned need)
{
	if (st->in_end - st->in >= 8) {
		u64 v;
		__builtin_memcpy(&v, st->in, 8);
		st->bitbuf |= v << st->bitcnt;
		unsigned adv = (63 - st->bitcnt) >> 3;
		st->in += adv;
		st->bitcnt += adv << 3;
		return 0;
	}
	clean(st);
	while (st->bitcnt < need) {
		if (st->in == st->in_end) {
			int r = more_input(st);
			if (r <= 0)
				return r;
			if (st->in_end - st->in >= 8)
				return refill(st, need);
		}
		st->bitbuf |= (u64)*st->in++ << st->bitcnt;
		st->bitcnt += 8;
	}
	return 0;
}

static int truncated(struct ld_inflate *st)
{
	return ld_fail(st->err, "deflate: compressed data is truncated");
}

/* Reads n (<= 32) bits, checking that they exist. */
static int getbits(struct ld_inflate *st, unsigned n, u32 *v)
{
	if (st->bitcnt < n) {
		if (refill(st, n) < 0)
			return -1;
		if (st->bitcnt < n)
			return truncated(st);
	}
	*v = (u32)(st->bitbuf & ((1ull << n) - 1));
	st->bitbuf >>= n;
	st->bitcnt -= n;
	return 0;
}

void ld_inflate_align(struct ld_inflate *st)
{
	unsigned drop = st->bitcnt & 7;
	st->bitbuf >>= drop;
	st->bitcnt -= drop;
}

int ld_inflate_byte(struct ld_inflate *st)
{
	if (st->bitcnt >= 8) {
		int b = (int)(st->bitbuf & 0xff);
		st->bitbuf >>= 8;
		st->bitcnt -= 8;
		return b;
	}
	clean(st);
	if (st->in == st->in_end) {
		int r = more_input(st);
		if (r <= 0)
			return r < 0 ? -2 : -1;
	}
	return *st->in++;
}

/* ---- block headers ---- */

static int dynamic_tables(struct ld_inflate *st)
{
	u32 hlit, hdist, hclen, v;
	u8 lens[320], clens[19];
	u32 ctab[128];
	if (getbits(st, 5, &hlit) || getbits(st, 5, &hdist) || getbits(st, 4, &hclen))
		return -1;
	hlit += 257, hdist += 1, hclen += 4;
	if (hlit > 286 || hdist > 30)
		return ld_fail(st->err, "deflate: bad dynamic block header (%u literal, %u distance codes)",
			       hlit, hdist);
	ld_memset(clens, 0, sizeof clens);
	for (unsigned i = 0; i < hclen; i++) {
		if (getbits(st, 3, &v))
			return -1;
		clens[clen_order[i]] = (u8)v;
	}
	if (build(ctab, 128, 7, clens, 19, clen_tmpl))
		return ld_fail(st->err, "deflate: bad code-length code");
	for (unsigned i = 0; i < hlit + hdist;) {
		if (st->bitcnt < 14 && refill(st, 14) < 0)
			return -1;
		u32 e = ctab[st->bitbuf & 127];
		unsigned nb = e & 0xff, sym = e >> 16;
		if (!nb)
			return ld_fail(st->err, "deflate: invalid code-length code");
		if (nb > st->bitcnt)
			return truncated(st);
		st->bitbuf >>= nb;
		st->bitcnt -= nb;
		if (sym < 16) {
			lens[i++] = (u8)sym;
			continue;
		}
		unsigned rep, val = 0;
		if (sym == 16) {
			if (!i)
				return ld_fail(st->err, "deflate: repeat with no previous length");
			val = lens[i - 1];
			if (getbits(st, 2, &v))
				return -1;
			rep = 3 + v;
		} else if (sym == 17) {
			if (getbits(st, 3, &v))
				return -1;
			rep = 3 + v;
		} else {
			if (getbits(st, 7, &v))
				return -1;
			rep = 11 + v;
		}
		if (i + rep > hlit + hdist)
			return ld_fail(st->err, "deflate: code lengths overflow");
		while (rep--)
			lens[i++] = (u8)val;
	}
	if (!lens[256])
		return ld_fail(st->err, "deflate: no end-of-block code");
	if (build(st->dyn_lit, LD_INF_LITTAB, LITROOT, lens, hlit, lit_tmpl) ||
	    build(st->dyn_dist, LD_INF_DISTTAB, DISTROOT, lens + hlit, hdist, dist_tmpl))
		return ld_fail(st->err, "deflate: bad Huffman code lengths");
	st->lit = st->dyn_lit;
	st->dist = st->dyn_dist;
	return 0;
}

static int block_header(struct ld_inflate *st)
{
	u32 hdr, len, nlen;
	if (getbits(st, 3, &hdr))
		return -1;
	st->final = hdr & 1;
	switch (hdr >> 1) {
	case 0:
		ld_inflate_align(st);
		if (getbits(st, 16, &len) || getbits(st, 16, &nlen))
			return -1;
		if ((len ^ 0xffff) != nlen)
			return ld_fail(st->err, "deflate: stored block length check failed");
		st->stored_left = len;
		st->state = ST_STORED;
		return 0;
	case 1:
		st->lit = st->fix_lit;
		st->dist = st->fix_dist;
		st->state = ST_HUFF;
		return 0;
	case 2:
		if (dynamic_tables(st))
			return -1;
		st->state = ST_HUFF;
		return 0;
	}
	return ld_fail(st->err, "deflate: invalid block type 3");
}

/* ---- block bodies ---- */

static int stored(struct ld_inflate *st, u8 *limit)
{
	while (st->stored_left && st->bitcnt >= 8 && st->out < limit) {
		*st->out++ = (u8)st->bitbuf;
		st->bitbuf >>= 8;
		st->bitcnt -= 8;
		st->stored_left--;
	}
	clean(st);
	while (st->stored_left && st->out < limit) {
		if (st->in == st->in_end) {
			int r = more_input(st);
			if (r < 0)
				return -1;
			if (!r)
				return truncated(st);
		}
		size_t n = (size_t)(st->in_end - st->in);
		if (n > st->stored_left)
			n = st->stored_left;
		if (n > (size_t)(limit - st->out))
			n = (size_t)(limit - st->out);
		ld_memcpy(st->out, st->in, n);
		st->out += n, st->in += n;
		st->stored_left -= (u32)n;
	}
	if (!st->stored_left)
		st->state = st->final ? ST_DONE : ST_HEADER;
	return 0;
}

static inline void copy_match(u8 *out, unsigned dist, unsigned len)
{
	const u8 *from = out - dist;
	if (dist >= 8) {
		u8 *end = out + len;
		do {
			u64 v;
			__builtin_memcpy(&v, from, 8);
			__builtin_memcpy(out, &v, 8);
			out += 8, from += 8;
		} while (out < end);
	} else {
		while (len--)
			*out++ = *from++;
	}
}

/* Two-level table lookup: drops the primary bits when the code continues in
 * a sub-table.  Returns the entry, or TRUNC if the bits ran out. */
#define TRUNC 0xffffffffu
static inline u32 lookup(const u32 *tab, unsigned root, u64 *bb, unsigned *cnt)
{
	u32 e = tab[*bb & ((1u << root) - 1)];
	if ((e >> 8) & F_SUB) {
		if (*cnt < root)
			return TRUNC;
		*bb >>= root, *cnt -= root;
		e = tab[(e >> 16) + (*bb & ((1u << ((e >> 8) & 15)) - 1))];
	}
	return e;
}

/* Decodes symbols until the block ends or the output reaches `limit`. */
static int huffman(struct ld_inflate *st, u8 *limit)
{
	const u32 *lit = st->lit, *dtab = st->dist;
	u8 *out = st->out;
	int rc = 0;
	while (out < limit) {
		if (st->bitcnt < 48 && refill(st, 48) < 0) {
			rc = -1;
			break;
		}
		u64 bb = st->bitbuf;
		unsigned cnt = st->bitcnt;
		u32 e = lookup(lit, LITROOT, &bb, &cnt);
		if (e == TRUNC)
			goto trunc;
		unsigned nb = e & 0xff, fl = (e >> 8) & 0xff;
		if (!fl)
			goto bad;
		if (nb > cnt)
			goto trunc;
		bb >>= nb, cnt -= nb;
		if (fl & F_LIT) {
			*out++ = (u8)(e >> 16);
			st->bitbuf = bb, st->bitcnt = cnt;
			continue;
		}
		if (fl & F_EOB) {
			st->bitbuf = bb, st->bitcnt = cnt;
			st->state = st->final ? ST_DONE : ST_HEADER;
			break;
		}
		unsigned x = fl & 15, len = e >> 16;
		if (x > cnt)
			goto trunc;
		len += (unsigned)(bb & ((1u << x) - 1));
		bb >>= x, cnt -= x;
		e = lookup(dtab, DISTROOT, &bb, &cnt);
		if (e == TRUNC)
			goto trunc;
		nb = e & 0xff, fl = (e >> 8) & 0xff;
		if (!fl)
			goto bad;
		x = fl & 15;
		if (nb + x > cnt)
			goto trunc;
		bb >>= nb;
		unsigned dist = (e >> 16) + (unsigned)(bb & ((1u << x) - 1));
		bb >>= x, cnt -= nb + x;
		if (dist > (size_t)(out - st->hist)) {
			rc = ld_fail(st->err, "deflate: distance %u reaches before the start of the data", dist);
			break;
		}
		copy_match(out, dist, len);
		out += len;
		st->bitbuf = bb, st->bitcnt = cnt;
	}
	st->out = out;
	return rc;
trunc:
	st->out = out;
	return truncated(st);
bad:
	st->out = out;
	return ld_fail(st->err, "deflate: invalid Huffman code");
}

/* ---- driver ---- */

int ld_inflate_init(struct ld_inflate *st, struct ld_src *src, struct ld_err *err)
{
	u8 lens[288];
	unsigned i;
	st->src = src;
	st->err = err;
	st->in = st->in_end = 0;
	st->bitbuf = 0;
	st->bitcnt = 0;
	st->eof = 0;
	st->out = st->win;
	for (i = 0; i < 144; i++)
		lens[i] = 8;
	for (; i < 256; i++)
		lens[i] = 9;
	for (; i < 280; i++)
		lens[i] = 7;
	for (; i < 288; i++)
		lens[i] = 8;
	if (build(st->fix_lit, LD_INF_LITTAB, LITROOT, lens, 288, lit_tmpl))
		return -1;
	ld_memset(lens, 5, 32);
	if (build(st->fix_dist, LD_INF_DISTTAB, DISTROOT, lens, 32, dist_tmpl))
		return -1;
	ld_inflate_reset(st);
	return 0;
}

void ld_inflate_reset(struct ld_inflate *st)
{
	st->hist = st->out;
	st->state = ST_HEADER;
	st->final = 0;
	st->stored_left = 0;
}

long ld_inflate_run(struct ld_inflate *st, const u8 **p)
{
	u8 *limit = st->win + LD_INF_BUF - LD_INF_SLACK;
	if (limit - st->out < (long)(LD_INF_OUT / 2)) {
		/* slide: keep only the history a distance can reach */
		size_t keep = (size_t)(st->out - st->hist);
		if (keep > LD_INF_HIST)
			keep = LD_INF_HIST;
		ld_memmove(st->win, st->out - keep, keep);
		st->out = st->win + keep;
		st->hist = st->win;
	}
	u8 *start = st->out;
	while (st->state != ST_DONE && st->out < limit) {
		int rc = 0;
		if (st->state == ST_HEADER)
			rc = block_header(st);
		else if (st->state == ST_STORED)
			rc = stored(st, limit);
		else
			rc = huffman(st, limit);
		if (rc)
			return -1;
	}
	*p = start;
	return st->out - start;
}
