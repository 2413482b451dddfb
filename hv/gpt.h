/*
 * Four-level page-table builder shared by every address space hv makes: its own
 * page tables, and each partition's nested tables (NPT on AMD, EPT on Intel).
 * The layout logic is written once; a struct gpt_fmt says how an entry is encoded.
 * Pure code: tables are reached through callbacks, so host unit tests can run it.
 */
#ifndef BULKHEAD_HV_GPT_H
#define BULKHEAD_HV_GPT_H

#include <bulkhead/types.h>

/* Entry encoding.  Both x86 formats keep the address in bits 12..51, the
 * large-page bit at 7 and the write permission at bit 1. */
struct gpt_fmt {
	u64 present; /* bits any of which make an entry present */
	u64 table;   /* bits of an entry that points to the next table */
	u64 leaf;    /* bits of a read/execute leaf; GPT_WRITE adds write */
	u64 wb, uc;  /* leaf bits for write-back memory, and for uncached (devices) */
};
#define GPT_LARGE (1ull << 7)
#define GPT_WRITE (1ull << 1)  /* prot: writable (the same bit in both formats) */
#define GPT_UC (1ull << 62)    /* prot: uncached, for device memory; never stored */
#define GPT_ADDR 0x000ffffffffff000ull

extern const struct gpt_fmt gpt_fmt_x86; /* legacy long-mode format: hv's tables, NPT */
extern const struct gpt_fmt gpt_fmt_ept; /* Intel EPT (hv/vmx/ept.c) */

enum { GPT_4K = 1, GPT_2M = 2, GPT_1G = 3 };

struct gpt {
	const struct gpt_fmt *fmt;
	u64 root;      /* physical address of the top (PML4) table */
	int max_level; /* largest leaf allowed: GPT_2M or GPT_1G */
	u64 (*alloc)(void *ctx);          /* a zeroed page for a table, 0 if none */
	void (*free)(void *ctx, u64 pa);  /* gives a table page back */
	void *(*p2v)(void *ctx, u64 pa);  /* where hv can read and write a table */
	void *ctx;
	u64 tables;    /* table pages in use, the root included */
};

/* Allocates the root table: 0, or -1 when out of memory. */
int gpt_init(struct gpt *g);
/* Maps [gpa, gpa+size) to [hpa, ...): page-aligned; prot is GPT_WRITE, GPT_UC or both.
 * Uses the largest leaves alignment allows and splits existing ones as needed.
 * Returns 0, or -1 on bad alignment or when a table could not be allocated. */
int gpt_map(struct gpt *g, u64 gpa, u64 hpa, u64 size, u64 prot);
/* Removes whatever maps [gpa, gpa+size), splitting large leaves at the edges. */
int gpt_unmap(struct gpt *g, u64 gpa, u64 size);
/* Translates one address: 0 with hpa, level and entry set, or -1 if unmapped. */
int gpt_lookup(const struct gpt *g, u64 gpa, u64 *hpa, int *level, u64 *entry);
/* 1 if any page of [gpa, gpa+size) is mapped, else 0 (an empty entry's whole
 * span is skipped at once).  gpa + size must not wrap. */
int gpt_mapped(const struct gpt *g, u64 gpa, u64 size);
/* Frees every table, the root included. */
void gpt_destroy(struct gpt *g);

#endif
