/*
 * User address spaces' page tables (guest ring 0).  Every space has its own
 * PML4 whose upper half (entries 256..511: direct map and kernel image) is
 * the kernel's, shared; the lower half maps user pages with 4 KiB leaves.
 * Intermediate entries are P|W|U; leaves carry the region's rights.
 */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "linux.h"
#include "mm/mm.h"
#include "core/x86.h"

u64 *kernel_pml4;

void vm_init(void)
{
	kernel_pml4 = boot_tables;
	kernel_pml4[0] = 0; /* identity map: user space from now on */
	vm_switch(kernel_pml4);
}

void vm_switch(u64 *pml4) { write_cr3(v2p(pml4)); }

void *ioremap(u64 pa, u64 len)
{
	static u64 next = IOMAP_BASE; /* the window's first unused byte */
	u64 base = BH_ALIGN_DOWN(pa, PAGE), size = BH_ALIGN_UP(pa + len, PAGE) - base;
	if (!len || pa + len < pa || size > IOMAP_BASE + IOMAP_SIZE - next)
		return 0;
	u64 va = next;
	for (u64 off = 0; off < size; off += PAGE)
		if (vm_map(kernel_pml4, va + off, base + off, PTE_W | PTE_PCD | PTE_PWT))
			return 0;
	next += size;
	return (void *)(va + (pa - base));
}

u64 *vm_new(void)
{
	u64 *p = page_alloc();
	if (p)
		memcpy(p + 256, kernel_pml4 + 256, 256 * 8);
	return p;
}

u64 *vm_pte(u64 *pml4, u64 va, int create)
{
	u64 *t = pml4;
	for (int shift = 39; shift > 12; shift -= 9) {
		u64 *e = &t[(va >> shift) & 511];
		if (!(*e & PTE_P)) {
			if (!create)
				return 0;
			u64 *n = page_alloc();
			if (!n)
				return 0;
			*e = v2p(n) | PTE_P | PTE_W | PTE_U;
		}
		t = p2v(*e & PTE_ADDR);
	}
	return &t[(va >> 12) & 511];
}

int vm_map(u64 *pml4, u64 va, u64 pa, u64 flags)
{
	u64 *e = vm_pte(pml4, va, 1);
	if (!e)
		return -ENOMEM;
	*e = pa | flags | PTE_P;
	return 0;
}

static void flush(u64 *pml4)
{
	u64 cr3 = read_cr3();
	if (cr3 == v2p(pml4))
		write_cr3(cr3);
}

void vm_unmap_range(u64 *pml4, u64 start, u64 end)
{
	for (u64 va = start; va < end; va += PAGE) {
		u64 *e = vm_pte(pml4, va, 0);
		if (!e) { /* skip to the next page table */
			va = BH_ALIGN_UP(va + 1, 1ull << 21) - PAGE;
			continue;
		}
		if (!(*e & PTE_P))
			continue;
		if (!(*e & PTE_FILE)) /* a file's page is the file's to free */
			page_free(p2v(*e & PTE_ADDR));
		*e = 0;
	}
	flush(pml4);
}

int vm_move_range(u64 *pml4, u64 from, u64 to, u64 len)
{
	for (u64 k = 0; k < len; k += PAGE) /* page tables first: the move cannot fail halfway */
		if (!vm_pte(pml4, to + k, 1))
			return -ENOMEM;
	for (u64 k = 0; k < len; k += PAGE) {
		u64 *src = vm_pte(pml4, from + k, 0);
		if (src && (*src & PTE_P)) {
			*vm_pte(pml4, to + k, 0) = *src;
			*src = 0;
		}
	}
	flush(pml4);
	return 0;
}

void vm_protect_range(u64 *pml4, u64 start, u64 end, int writable)
{
	for (u64 va = start; va < end; va += PAGE) {
		u64 *e = vm_pte(pml4, va, 0);
		if (!e) {
			va = BH_ALIGN_UP(va + 1, 1ull << 21) - PAGE;
			continue;
		}
		if (*e & PTE_P)
			*e = writable ? *e | PTE_W : *e & ~PTE_W;
	}
	flush(pml4);
}

static void free_level(u64 *t, int level)
{
	for (int i = 0; i < (level == 4 ? 256 : 512); i++) {
		if (!(t[i] & PTE_P))
			continue;
		void *n = p2v(t[i] & PTE_ADDR);
		if (level > 1)
			free_level(n, level - 1);
		page_free(n);
		t[i] = 0;
	}
}

void vm_free(u64 *pml4)
{
	free_level(pml4, 4);
	page_free(pml4);
}

static int copy_level(u64 *dst, u64 *src, int level)
{
	for (int i = 0; i < (level == 4 ? 256 : 512); i++) {
		if (!(src[i] & PTE_P))
			continue;
		u64 *n = page_alloc();
		if (!n)
			return -ENOMEM;
		if (level > 1) {
			dst[i] = v2p(n) | (src[i] & ~PTE_ADDR);
			if (copy_level(n, p2v(src[i] & PTE_ADDR), level - 1))
				return -ENOMEM;
		} else {
			memcpy(n, p2v(src[i] & PTE_ADDR), PAGE);
			dst[i] = v2p(n) | (src[i] & ~PTE_ADDR);
		}
	}
	return 0;
}

int vm_copy(u64 *dst, u64 *src) { return copy_level(dst, src, 4); }
