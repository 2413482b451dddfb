/*
 * Guest kernel memory (ring 0): the virtual layout, the physical page
 * allocator (page.c), the kernel heap (kheap.c) and user address spaces
 * (vm.c: page tables; mmap.c: regions, brk, mmap, page faults).
 */
#ifndef BULKHEAD_GUEST_MM_H
#define BULKHEAD_GUEST_MM_H

#include <bulkhead/types.h>
#include "../../lib/x86.h"

#define KVBASE 0xffffffff80000000ull      /* kernel image: KVBASE + physical */
#define DIRECT_BASE 0xffff800000000000ull /* all of the first DIRECT_SIZE bytes */
#define DIRECT_SIZE (4ull << 30)
#define IOMAP_BASE (DIRECT_BASE + DIRECT_SIZE) /* device windows (ioremap), after the direct map */
#define IOMAP_SIZE (1ull << 30)
#define USER_TOP 0x00007ffffffff000ull    /* user addresses are below */
#define PAGE 4096ull
#define VMA_IMAGE 0x80000000u             /* vma flag: a program segment, zeros past its file data */

static inline void *p2v(u64 pa) { return (void *)(pa + DIRECT_BASE); }
static inline u64 v2p(const void *va)
{
	u64 v = (u64)va;
	return v >= KVBASE ? v - KVBASE : v - DIRECT_BASE;
}

/* page.c */
void page_init(void);
void *page_alloc(void);             /* one zeroed page (direct map), NULL if none */
void *page_alloc_run(u64 n);        /* n contiguous pages, not zeroed */
void page_free(void *p);
void page_free_run(void *p, u64 n);
extern u64 pages_total, pages_free;

/* kheap.c */
void *kmalloc(u64 n);               /* not zeroed */
void *kzalloc(u64 n);
void kfree(void *p);

/* Page-table entry bits: PTE_P, PTE_W, PTE_U, PTE_PS, PTE_ADDR in lib/x86.h; and ours: */
#define PTE_FILE (1ull << 9)          /* a file's page (MAP_SHARED): the file frees it, fork shares it */

/* vm.c: one page-table tree per address space; kernel half shared. */
u64 *vm_new(void);                  /* fresh PML4 with the kernel half */
void vm_free(u64 *pml4);            /* frees the user half: tables and pages (unmap PTE_FILE ones first) */
u64 *vm_pte(u64 *pml4, u64 va, int create); /* leaf entry or NULL */
int vm_map(u64 *pml4, u64 va, u64 pa, u64 flags); /* 0 or -ENOMEM */
void vm_unmap_range(u64 *pml4, u64 start, u64 end); /* frees the pages (not PTE_FILE ones) */
void vm_protect_range(u64 *pml4, u64 start, u64 end, int writable);
/* mremap: the pages of [from, from + len) to [to, to + len); 0 or -ENOMEM (nothing moved) */
int vm_move_range(u64 *pml4, u64 from, u64 to, u64 len);
int vm_copy(u64 *dst, u64 *src);    /* fork: copies every user page (PTE_FILE ones too); 0 or -ENOMEM */
void vm_switch(u64 *pml4);
extern u64 *kernel_pml4;
void vm_init(void);                 /* drops the identity map */
/* A device's registers (a PCI BAR): len bytes at physical pa mapped uncached
 * in the kernel half, shared by every address space; NULL when the 1 GiB
 * window is used up or a page table cannot be had.  Never unmapped. */
void *ioremap(u64 pa, u64 len);

#endif
