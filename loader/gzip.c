/* gzip member framing (RFC 1952) and CRC-32 (slicing by 8), exposed as a
 * decompressing ld_src.  Freestanding; guest kernel and host tool. */
#include "gzip.h"
#include "util.h"

static u32 crc_tab[8][256];
static int crc_ready;

static void crc_init(void)
{
	for (u32 i = 0; i < 256; i++) {
		u32 c = i;
		for (int k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_tab[0][i] = c;
	}
	for (u32 i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_tab[t][i] = crc_tab[0][crc_tab[t - 1][i] & 0xff] ^ (crc_tab[t - 1][i] >> 8);
	crc_ready = 1;
}

u32 ld_crc32(u32 crc, const u8 *p, size_t n)
{
	if (!crc_ready)
		crc_init();
	crc = ~crc;
	while (n >= 8) {
		u32 a = crc ^ ld_le32(p), b = ld_le32(p + 4);
		crc = crc_tab[7][a & 0xff] ^ crc_tab[6][(a >> 8) & 0xff] ^
		      crc_tab[5][(a >> 16) & 0xff] ^ crc_tab[4][a >> 24] ^
		      crc_tab[3][b & 0xff] ^ crc_tab[2][(b >> 8) & 0xff] ^
		      crc_tab[1][(b >> 16) & 0xff] ^ crc_tab[0][b >> 24];
		p += 8, n -= 8;
	}
	while (n--)
		crc = crc_tab[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

/* Reads one header byte into the running header CRC. */
static int hbyte(struct ld_gunzip *g, u32 *hcrc)
{
	int b = ld_inflate_byte(&g->inf);
	if (b == -1)
		return ld_fail(g->src.err, "gzip: header is truncated");
	if (b >= 0) {
		u8 c = (u8)b;
		*hcrc = ld_crc32(*hcrc, &c, 1);
	}
	return b;
}

#define HB(v) do { if (((v) = hbyte(g, &hcrc)) < 0) return -1; } while (0)

/* Parses a member header.  Returns 1 if there was one, 0 at end of input. */
static int member_header(struct ld_gunzip *g)
{
	u32 hcrc = 0;
	int b, flg, tmp;
	b = ld_inflate_byte(&g->inf);
	if (b == -2)
		return -1;
	if (b == -1) {
		if (!g->members)
			return ld_fail(g->src.err, "gzip: empty input");
		return 0;
	}
	hcrc = ld_crc32(0, (u8[]){ (u8)b }, 1);
	tmp = b == 0x1f ? ld_inflate_byte(&g->inf) : -1;
	if (tmp == -2)
		return -1;
	if (tmp == 0x8b)
		hcrc = ld_crc32(hcrc, (u8[]){ (u8)tmp }, 1);
	else
		return g->members ? ld_fail(g->src.err, "gzip: trailing garbage after member %llu",
					    (unsigned long long)g->members)
				  : ld_fail(g->src.err, "gzip: not gzip data (bad magic)");
	HB(tmp);
	if (tmp != 8)
		return ld_fail(g->src.err, "gzip: unsupported compression method %d", tmp);
	HB(flg);
	if (flg & 0xe0)
		return ld_fail(g->src.err, "gzip: reserved header flags set (0x%x)", (unsigned)flg);
	for (int i = 0; i < 6; i++)            /* MTIME, XFL, OS */
		HB(tmp);
	if (flg & 4) {                          /* FEXTRA */
		int lo, hi;
		HB(lo);
		HB(hi);
		for (int n = lo | hi << 8; n > 0; n--)
			HB(tmp);
	}
	for (int bit = 8; bit <= 16; bit <<= 1) /* FNAME, FCOMMENT */
		if (flg & bit)
			do
				HB(tmp);
			while (tmp);
	if (flg & 2) {                          /* FHCRC */
		u32 want = hcrc & 0xffff;
		int lo, hi;
		HB(lo);
		HB(hi);
		if ((u32)(lo | hi << 8) != want)
			return ld_fail(g->src.err, "gzip: header CRC mismatch");
	}
	return 1;
}

static int member_trailer(struct ld_gunzip *g)
{
	u8 t[8];
	ld_inflate_align(&g->inf);
	for (int i = 0; i < 8; i++) {
		int b = ld_inflate_byte(&g->inf);
		if (b == -2)
			return -1;
		if (b < 0)
			return ld_fail(g->src.err, "gzip: trailer is truncated");
		t[i] = (u8)b;
	}
	if (ld_le32(t) != g->crc)
		return ld_fail(g->src.err, "gzip: CRC mismatch (stored %x, computed %x)",
			       ld_le32(t), g->crc);
	if (ld_le32(t + 4) != g->isize)
		return ld_fail(g->src.err, "gzip: length mismatch (stored %u, actual %u)",
			       ld_le32(t + 4), g->isize);
	g->members++;
	return 0;
}

static long gunzip_pull(struct ld_src *s, const u8 **p)
{
	struct ld_gunzip *g = (struct ld_gunzip *)s;
	for (;;) {
		if (!g->in_member) {
			int r = member_header(g);
			if (r <= 0)
				return r;
			ld_inflate_reset(&g->inf);
			g->crc = 0;
			g->isize = 0;
			g->in_member = 1;
		}
		long n = ld_inflate_run(&g->inf, p);
		if (n > 0) {
			g->crc = ld_crc32(g->crc, *p, (size_t)n);
			g->isize += (u32)n;
			return n;
		}
		if (n < 0 || member_trailer(g))
			return -1;
		g->in_member = 0;
	}
}

int ld_gunzip_init(struct ld_gunzip *g, struct ld_src *in, struct ld_err *err)
{
	g->src.pull = gunzip_pull;
	g->src.skip = 0;
	g->src.err = err;
	g->in_member = 0;
	g->members = 0;
	return ld_inflate_init(&g->inf, in, err);
}
