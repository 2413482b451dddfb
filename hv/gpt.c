/*
 * Page-table builder (see gpt.h).  Runs in hv root mode and in host unit tests.
 * One recursive walk serves map and unmap: a chunk that covers a whole entry
 * becomes a leaf (or an empty entry); a partial chunk descends, splitting a large
 * leaf into 512 smaller ones first so that the rest of it stays mapped.
 */
#include "gpt.h"

const struct gpt_fmt gpt_fmt_x86 = {
	.present = 1ull << 0,
	.table = (1ull << 0) | (1ull << 1) | (1ull << 2), /* P, W, U */
	.leaf = (1ull << 0) | (1ull << 2),                /* P, U */
	.wb = 0,
	.uc = (1ull << 3) | (1ull << 4),                  /* PWT, PCD */
};

static u64 span_of(int level) { return 1ull << (12 + 9 * (level - 1)); }

static int is_leaf(u64 e, int level) { return level == 1 || (e & GPT_LARGE); }

static u64 *table_at(const struct gpt *g, u64 pa) { return g->p2v(g->ctx, pa); }

/* Frees the table at pa, which holds entries of `level`, and all below it. */
static void free_tree(struct gpt *g, u64 pa, int level)
{
	u64 *t = table_at(g, pa);
	for (int i = 0; level > 1 && i < 512; i++)
		if ((t[i] & g->fmt->present) && !is_leaf(t[i], level))
			free_tree(g, t[i] & GPT_ADDR, level - 1);
	g->free(g->ctx, pa);
	g->tables--;
}

/* Frees the table an entry at `level` points to, if it points to one. */
static void drop_entry(struct gpt *g, u64 *e, int level)
{
	if ((*e & g->fmt->present) && !is_leaf(*e, level))
		free_tree(g, *e & GPT_ADDR, level - 1);
	*e = 0;
}

/* Makes *e (at `level`) point to a table; a large leaf becomes 512 smaller leaves. */
static u64 *descend(struct gpt *g, u64 *e, int level)
{
	if ((*e & g->fmt->present) && !is_leaf(*e, level))
		return table_at(g, *e & GPT_ADDR);
	u64 pa = g->alloc(g->ctx);
	if (!pa)
		return 0;
	g->tables++;
	u64 *t = table_at(g, pa);
	if (*e & g->fmt->present) { /* split a large leaf */
		u64 flags = *e & ~GPT_ADDR & ~GPT_LARGE;
		u64 base = *e & GPT_ADDR & ~(span_of(level) - 1);
		for (int i = 0; i < 512; i++)
			t[i] = (base + (u64)i * span_of(level - 1)) | flags | (level - 1 > 1 ? GPT_LARGE : 0);
	}
	*e = pa | g->fmt->table;
	return t;
}

static int walk(struct gpt *g, u64 *t, int level, u64 gpa, u64 hpa, u64 size, u64 leaf, int unmap)
{
	u64 span = span_of(level);
	while (size) {
		u64 *e = &t[(gpa >> (12 + 9 * (level - 1))) & 511];
		u64 off = gpa & (span - 1);
		u64 chunk = span - off < size ? span - off : size;
		if (chunk == span && (unmap || (level <= g->max_level && !(hpa & (span - 1))))) {
			drop_entry(g, e, level);
			if (!unmap)
				*e = hpa | leaf | (level > 1 ? GPT_LARGE : 0);
		} else if (!unmap || (*e & g->fmt->present)) {
			u64 *next = descend(g, e, level);
			if (!next || walk(g, next, level - 1, gpa, hpa, chunk, leaf, unmap))
				return -1;
		}
		gpa += chunk;
		hpa += chunk;
		size -= chunk;
	}
	return 0;
}

int gpt_init(struct gpt *g)
{
	g->tables = 0;
	g->root = g->alloc(g->ctx);
	if (!g->root)
		return -1;
	g->tables = 1;
	return 0;
}

static int range_ok(u64 gpa, u64 size)
{
	return !((gpa | size) & 0xfff) && gpa + size >= gpa && gpa + size <= (1ull << 48);
}

int gpt_map(struct gpt *g, u64 gpa, u64 hpa, u64 size, u64 prot)
{
	if (!range_ok(gpa, size) || (hpa & 0xfff) || (prot & ~(GPT_WRITE | GPT_UC)))
		return -1;
	u64 leaf = g->fmt->leaf | (prot & GPT_WRITE) | (prot & GPT_UC ? g->fmt->uc : g->fmt->wb);
	return walk(g, table_at(g, g->root), 4, gpa, hpa, size, leaf, 0);
}

int gpt_unmap(struct gpt *g, u64 gpa, u64 size)
{
	if (!range_ok(gpa, size))
		return -1;
	return walk(g, table_at(g, g->root), 4, gpa, 0, size, 0, 1);
}

/* The entry that decides gpa: a leaf, or the empty entry the walk stopped at; *level its level. */
static u64 entry_of(const struct gpt *g, u64 gpa, int *level)
{
	const u64 *t = table_at(g, g->root);
	int l = 4;
	u64 e = t[(gpa >> 39) & 511];
	while ((e & g->fmt->present) && !is_leaf(e, l)) {
		t = table_at(g, e & GPT_ADDR);
		l--;
		e = t[(gpa >> (12 + 9 * (l - 1))) & 511];
	}
	*level = l;
	return e;
}

int gpt_lookup(const struct gpt *g, u64 gpa, u64 *hpa, int *level, u64 *entry)
{
	u64 e = entry_of(g, gpa, level);
	if (!(e & g->fmt->present))
		return -1;
	*hpa = (e & GPT_ADDR & ~(span_of(*level) - 1)) + (gpa & (span_of(*level) - 1));
	if (entry)
		*entry = e;
	return 0;
}

int gpt_mapped(const struct gpt *g, u64 gpa, u64 size)
{
	for (u64 end = gpa + size; gpa < end;) {
		int l;
		if (entry_of(g, gpa, &l) & g->fmt->present)
			return 1;
		gpa = (gpa & ~(span_of(l) - 1)) + span_of(l); /* nothing in this entry's span */
	}
	return 0;
}

void gpt_destroy(struct gpt *g)
{
	if (g->root)
		free_tree(g, g->root, 4);
	g->root = 0;
}
