/* Streaming raw-deflate decoder (RFC 1951) with table-driven Huffman
 * decoding and a 32 KiB history window.  It pulls compressed bytes from an
 * ld_src and hands out decompressed chunks from its own buffer, so no layer
 * is ever held whole.  gzip.c adds the RFC 1952 framing.  Freestanding. */
#ifndef BULKHEAD_LOADER_INFLATE_H
#define BULKHEAD_LOADER_INFLATE_H
#include "ld.h"

#define LD_INF_HIST 32768u
#define LD_INF_OUT (128u * 1024)
#define LD_INF_SLACK 512u
#define LD_INF_BUF (LD_INF_HIST + LD_INF_OUT + LD_INF_SLACK)
#define LD_INF_LITTAB 2048u
#define LD_INF_DISTTAB 1024u

struct ld_inflate {
	struct ld_src *src;         /* compressed input */
	const u8 *in, *in_end;      /* current input chunk */
	u64 bitbuf;
	unsigned bitcnt;
	int eof;                    /* src reported its end */
	u8 *out, *hist;             /* write position; oldest valid history */
	int state, final;
	u32 stored_left;
	const u32 *lit, *dist;
	struct ld_err *err;
	u32 dyn_lit[LD_INF_LITTAB], dyn_dist[LD_INF_DISTTAB];
	u32 fix_lit[LD_INF_LITTAB], fix_dist[LD_INF_DISTTAB];
	u8 win[LD_INF_BUF];
};

/* Prepares st (about 180 KiB; the caller allocates it) to read from src. */
int ld_inflate_init(struct ld_inflate *st, struct ld_src *src, struct ld_err *err);
/* Starts a new deflate stream (e.g. the next gzip member). */
void ld_inflate_reset(struct ld_inflate *st);
/* Decompresses the next chunk: returns its length (>0) and *p, 0 once the
 * stream's final block has ended, <0 on error. */
long ld_inflate_run(struct ld_inflate *st, const u8 **p);
/* Byte-level access to the input after the deflate stream (gzip framing):
 * next byte, or -1 at end of input, or -2 on error. */
int ld_inflate_byte(struct ld_inflate *st);
/* Drops the bits left over in the current byte. */
void ld_inflate_align(struct ld_inflate *st);
#endif
