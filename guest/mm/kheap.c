/*
 * The kernel heap (guest ring 0): power-of-two size classes from 32 bytes to
 * 2 KiB carved from pages, larger blocks as page runs.  Every block carries
 * a 16-byte header naming its class (or its page count), so kfree needs no
 * size.
 */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"

#define NCLASS 7 /* 32 .. 2048 */
#define MAGIC 0x6b68656170ull

struct hdr {
	u32 cls;   /* class index, or 0xffffffff for a page run */
	u32 pages;
	u64 magic;
};
struct free_blk {
	struct free_blk *next;
};
static struct free_blk *freelist[NCLASS];

void *kmalloc(u64 n)
{
	u64 need = n + sizeof(struct hdr);
	struct hdr *h;
	if (need > 2048) {
		u64 pages = (need + PAGE - 1) / PAGE;
		h = page_alloc_run(pages);
		if (!h)
			return 0;
		h->cls = 0xffffffff;
		h->pages = (u32)pages;
	} else {
		u32 c = 0;
		while ((32u << c) < need)
			c++;
		if (!freelist[c]) {
			u8 *pg = page_alloc_run(1);
			if (!pg)
				return 0;
			for (u64 off = 0; off + (32u << c) <= PAGE; off += 32u << c) {
				struct free_blk *b = (void *)(pg + off);
				b->next = freelist[c];
				freelist[c] = b;
			}
		}
		h = (void *)freelist[c];
		freelist[c] = freelist[c]->next;
		h->cls = c;
	}
	h->magic = MAGIC;
	return h + 1;
}

void *kzalloc(u64 n)
{
	void *p = kmalloc(n);
	if (p)
		memset(p, 0, n);
	return p;
}

void kfree(void *p)
{
	if (!p)
		return;
	struct hdr *h = (struct hdr *)p - 1;
	if (h->magic != MAGIC) {
		kprintf("guest: kfree of a bad pointer %p\n", p);
		return;
	}
	h->magic = 0;
	if (h->cls == 0xffffffff) {
		page_free_run(h, h->pages);
		return;
	}
	struct free_blk *b = (void *)h;
	b->next = freelist[h->cls];
	freelist[h->cls] = b;
}
