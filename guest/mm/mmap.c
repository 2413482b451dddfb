/*
 * User address-space regions (guest ring 0): a sorted list of VMAs per
 * space, demand paging on faults (anonymous pages zeroed, private file
 * pages copied from the ramfs inode, shared ones the inode's own pages),
 * mmap/munmap/mprotect with region splitting, mremap, madvise's discards,
 * brk, and fork's copy.
 */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "sys/sys.h"

#define MMAP_TOP 0x7f0000000000ull
#define MMAP_BOTTOM 0x10000ull

struct mm *mm_new(void)
{
	struct mm *mm = kzalloc(sizeof *mm);
	if (mm && !(mm->pml4 = vm_new())) {
		kfree(mm);
		return 0;
	}
	if (mm)
		mm->refs = 1;
	return mm;
}

static void vma_free(struct vma *v)
{
	if (v->file)
		iput(v->file);
	kfree(v);
}

static int file_shared(struct vma *v) { return v->file && (v->flags & MAP_SHARED); }

void mm_put(struct mm *mm)
{
	if (!mm || --mm->refs)
		return;
	for (struct vma *v = mm->vmas, *n; v; v = n) {
		n = v->next;
		if (file_shared(v)) /* the file's pages stay the file's */
			vm_unmap_range(mm->pml4, v->start, v->end);
		vma_free(v);
	}
	iput(mm->exe);
	vm_free(mm->pml4);
	kfree(mm);
}

/* After vm_copy: the child's shared file mappings get the file's pages
 * back in place of the copies (fork pays for shared mappings only). */
static void share_file_pages(struct mm *mm, struct mm *src)
{
	for (struct vma *v = mm->vmas; v; v = v->next)
		for (u64 va = v->start; file_shared(v) && va < v->end; va += PAGE) {
			u64 *s = vm_pte(src->pml4, va, 0), *d = vm_pte(mm->pml4, va, 0);
			if (!s || !d || !(*s & PTE_P) || !(*d & PTE_P))
				continue;
			page_free(p2v(*d & PTE_ADDR));
			*d = *s;
		}
}

struct mm *mm_copy(struct mm *src)
{
	struct mm *mm = mm_new();
	if (!mm)
		return 0;
	struct vma **tail = &mm->vmas;
	for (struct vma *v = src->vmas; v; v = v->next) {
		struct vma *c = kmalloc(sizeof *c);
		if (!c) {
			mm_put(mm);
			return 0;
		}
		*c = *v;
		c->next = 0;
		if (c->file)
			iget(c->file);
		*tail = c;
		tail = &c->next;
	}
	mm->brk_start = src->brk_start;
	mm->brk = src->brk;
	mm->pages = src->pages;
	mm->arg_start = src->arg_start, mm->arg_end = src->arg_end;
	mm->env_start = src->env_start, mm->env_end = src->env_end;
	mm->exe = src->exe;
	iget(mm->exe);
	int r = vm_copy(mm->pml4, src->pml4);
	share_file_pages(mm, src);
	if (r) {
		mm_put(mm);
		return 0;
	}
	return mm;
}

struct vma *vma_find(struct mm *mm, u64 addr)
{
	for (struct vma *v = mm->vmas; v && v->start <= addr; v = v->next)
		if (addr < v->end)
			return v;
	return 0;
}

/* Maps the page holding addr: 0, -EFAULT for an access the region forbids
 * (or no region), -ENOMEM when memory or a page table cannot be had, -EIO
 * for a page of a file mapping wholly past the file's end (SIGBUS). */
int mm_fault(struct mm *mm, u64 addr, int write)
{
	struct vma *v = vma_find(mm, addr);
	if (!v || (write && !(v->prot & PROT_WRITE)) || !v->prot)
		return -EFAULT;
	u64 page = BH_ALIGN_DOWN(addr, PAGE);
	u64 *pte = vm_pte(mm->pml4, page, 1);
	if (!pte)
		return -ENOMEM;
	if (*pte & PTE_P)
		return write && !(*pte & PTE_W) ? -EFAULT : 0;
	u64 off = v->off + (page - v->start);
	if (v->file && !(v->flags & VMA_IMAGE)) {
		if (off >= BH_ALIGN_UP(v->file->size, PAGE))
			return -EIO;
		if (v->flags & MAP_SHARED) { /* the file's page: read, write and mappings agree */
			u8 *p = sandbox_pages_over(current->sb, 1) ? 0 : ramfs_page_make(v->file, off / PAGE);
			if (!p)
				return -ENOMEM;
			*pte = v2p(p) | PTE_P | PTE_U | PTE_FILE | (v->prot & PROT_WRITE ? PTE_W : 0);
			mm->pages++;
			return 0;
		}
	}
	/* the sandbox's limit, then RAM; a page the file's bytes fill is not zeroed first */
	int whole = v->file && off + PAGE <= v->file_end;
	u8 *p = sandbox_pages_over(current->sb, 1) ? 0 : whole ? page_alloc_run(1) : page_alloc();
	if (!p)
		return -ENOMEM;
	if (v->file && off < v->file_end) {
		u64 got = (u64)ramfs_read(v->file, p, v->file_end - off < PAGE ? v->file_end - off : PAGE, off); /* >= 0 */
		if (whole && got < PAGE) /* the file shrank under its mapping */
			memset(p + got, 0, PAGE - got);
	}
	*pte = v2p(p) | PTE_P | PTE_U | (v->prot & PROT_WRITE ? PTE_W : 0);
	mm->pages++;
	return 0;
}

/* Copies to or from user memory of any address space, through the direct
 * map, faulting pages in as the owner's own access would. */
int mm_access(struct mm *mm, u64 va, void *buf, u64 n, int write)
{
	u8 *b = buf;
	while (n) {
		u64 *pte = vm_pte(mm->pml4, va, 0);
		if (!pte || !(*pte & PTE_P)) {
			if (mm_fault(mm, va, write))
				return -EFAULT;
			pte = vm_pte(mm->pml4, va, 0);
		}
		u64 off = va & (PAGE - 1), k = PAGE - off < n ? PAGE - off : n;
		u8 *page = (u8 *)p2v(*pte & PTE_ADDR) + off;
		if (write)
			memcpy(page, b, k);
		else
			memcpy(b, page, k);
		va += k, b += k, n -= k;
	}
	return 0;
}

/* Splits the region holding addr so that a region starts there. */
static int vma_split(struct mm *mm, u64 addr)
{
	struct vma *v = vma_find(mm, addr);
	if (!v || v->start == addr)
		return 0;
	struct vma *n = kmalloc(sizeof *n);
	if (!n)
		return -ENOMEM;
	*n = *v;
	n->start = addr;
	n->off = v->off + (addr - v->start);
	if (n->file)
		iget(n->file);
	v->end = addr;
	v->next = n;
	return 0;
}

static void count_unmapped(struct mm *mm, u64 start, u64 end)
{
	for (u64 va = start; va < end; va += PAGE) {
		u64 *e = vm_pte(mm->pml4, va, 0);
		if (!e) {
			va = BH_ALIGN_UP(va + 1, 1ull << 21) - PAGE;
			continue;
		}
		if (*e & PTE_P)
			mm->pages--;
	}
}

int mm_unmap(struct mm *mm, u64 addr, u64 len)
{
	u64 end = addr + BH_ALIGN_UP(len, PAGE);
	if ((addr & (PAGE - 1)) || end > USER_TOP || end <= addr)
		return -EINVAL;
	if (vma_split(mm, addr) || vma_split(mm, end))
		return -ENOMEM;
	for (struct vma **pp = &mm->vmas; *pp;) {
		struct vma *v = *pp;
		if (v->start >= addr && v->end <= end) {
			count_unmapped(mm, v->start, v->end);
			vm_unmap_range(mm->pml4, v->start, v->end);
			*pp = v->next;
			vma_free(v);
		} else {
			pp = &v->next;
		}
	}
	return 0;
}

int mm_protect(struct mm *mm, u64 addr, u64 len, u32 prot)
{
	u64 end = addr + BH_ALIGN_UP(len, PAGE);
	if ((addr & (PAGE - 1)) || end > USER_TOP || end < addr)
		return -EINVAL;
	for (u64 a = addr; a < end;) { /* the whole range must be mapped */
		struct vma *v = vma_find(mm, a);
		if (!v)
			return -ENOMEM;
		a = v->end;
	}
	if (vma_split(mm, addr) || vma_split(mm, end))
		return -ENOMEM;
	for (struct vma *v = mm->vmas; v; v = v->next)
		if (v->start >= addr && v->end <= end) {
			v->prot = prot;
			vm_protect_range(mm->pml4, v->start, v->end, (prot & PROT_WRITE) != 0);
		}
	return 0;
}

static int range_free(struct mm *mm, u64 a, u64 len)
{
	for (struct vma *v = mm->vmas; v; v = v->next)
		if (v->start < a + len && a < v->end)
			return 0;
	return 1;
}

static void vma_insert(struct mm *mm, struct vma *n)
{
	struct vma **pp = &mm->vmas;
	while (*pp && (*pp)->start < n->start)
		pp = &(*pp)->next;
	n->next = *pp;
	*pp = n;
}

s64 mm_map(struct mm *mm, u64 addr, u64 len, u32 prot, u32 flags, struct inode *file, u64 off, u64 file_end)
{
	len = BH_ALIGN_UP(len, PAGE);
	if (!len || len > USER_TOP)
		return -ENOMEM;
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if ((addr & (PAGE - 1)) || addr < MMAP_BOTTOM / 16 || addr + len > USER_TOP)
			return -EINVAL;
		if (!range_free(mm, addr, len)) {
			if (flags & MAP_FIXED_NOREPLACE)
				return -EEXIST;
			int r = mm_unmap(mm, addr, len);
			if (r)
				return r;
		}
	} else if (!addr || (addr & (PAGE - 1)) || addr + len > MMAP_TOP || !range_free(mm, addr, len)) {
		addr = MMAP_TOP - len;
		for (;;) { /* highest hole below MMAP_TOP */
			struct vma *clash = 0;
			for (struct vma *v = mm->vmas; v; v = v->next)
				if (v->start < addr + len && addr < v->end)
					clash = v;
			if (!clash)
				break;
			if (clash->start < MMAP_BOTTOM + len)
				return -ENOMEM;
			addr = clash->start - len;
		}
	}
	struct vma *n = kzalloc(sizeof *n);
	if (!n)
		return -ENOMEM;
	*n = (struct vma){ .start = addr, .end = addr + len, .prot = prot, .flags = flags, .file = file,
			   .off = off, .file_end = file_end };
	if (file)
		iget(file);
	vma_insert(mm, n);
	return (s64)addr;
}

/* Checks a page-aligned range [addr, addr + len) wholly mapped: 0, -EINVAL, -ENOMEM (a hole). */
static int range_mapped(struct mm *mm, u64 addr, u64 len)
{
	u64 end = addr + BH_ALIGN_UP(len, PAGE);
	if ((addr & (PAGE - 1)) || end < addr || end > USER_TOP)
		return -EINVAL;
	for (u64 a = addr; a < end;) {
		struct vma *v = vma_find(mm, a);
		if (!v)
			return -ENOMEM;
		a = v->end;
	}
	return 0;
}

int mm_discard(struct mm *mm, u64 addr, u64 len)
{
	int r = range_mapped(mm, addr, len);
	if (r)
		return r;
	u64 end = addr + BH_ALIGN_UP(len, PAGE);
	count_unmapped(mm, addr, end);
	vm_unmap_range(mm->pml4, addr, end);
	return 0;
}

s64 mm_remap(struct mm *mm, u64 old, u64 old_len, u64 new_len, u64 flags)
{
	old_len = BH_ALIGN_UP(old_len, PAGE);
	new_len = BH_ALIGN_UP(new_len, PAGE);
	if ((old & (PAGE - 1)) || !old_len || !new_len || (flags & ~(u64)MREMAP_MAYMOVE))
		return -EINVAL;
	struct vma *v = vma_find(mm, old);
	if (!v || old + old_len > v->end || old + old_len < old)
		return -EFAULT;
	if (new_len <= old_len) {
		if (new_len < old_len)
			mm_unmap(mm, old + new_len, old_len - new_len);
		return (s64)old;
	}
	u64 grow = new_len - old_len;
	if (old + old_len == v->end && v->end + grow <= MMAP_TOP && range_free(mm, v->end, grow) &&
	    !(v->flags & MAP_GROWSDOWN)) {
		v->end += grow; /* in place */
		return (s64)old;
	}
	if (!(flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	s64 n = mm_map(mm, 0, new_len, v->prot, v->flags & ~(u32)(MAP_FIXED | MAP_FIXED_NOREPLACE | MAP_GROWSDOWN),
		       v->file, v->off + (old - v->start), v->file_end);
	if (n < 0)
		return n;
	if (vm_move_range(mm->pml4, old, (u64)n, old_len)) {
		mm_unmap(mm, (u64)n, new_len);
		return -ENOMEM;
	}
	mm_unmap(mm, old, old_len); /* nothing left there to free */
	return n;
}

/* A file shrank to end (page-aligned): every shared mapping of it lets go
 * of its pages from there, so that touching them is SIGBUS. */
void mm_file_shrunk(struct inode *i, u64 end)
{
	for (struct task *t = task_list; t; t = t->next)
		for (struct vma *v = t->mm ? t->mm->vmas : 0; v; v = v->next) {
			if (v->file != i || !file_shared(v) || v->off + (v->end - v->start) <= end)
				continue;
			u64 from = end > v->off ? v->start + (end - v->off) : v->start;
			count_unmapped(t->mm, from, v->end);
			vm_unmap_range(t->mm->pml4, from, v->end);
		}
}

/* brk(2): the heap is one anonymous region from brk_start. */
s64 sys_brk(u64 addr)
{
	struct mm *mm = current->mm;
	if (addr < mm->brk_start || addr > mm->brk_start + (1ull << 36))
		return (s64)mm->brk;
	u64 old_end = BH_ALIGN_UP(mm->brk, PAGE), new_end = BH_ALIGN_UP(addr, PAGE);
	if (new_end > old_end) {
		if (!range_free(mm, old_end, new_end - old_end))
			return (s64)mm->brk;
		struct vma *v = old_end > mm->brk_start ? vma_find(mm, old_end - 1) : 0;
		if (v && v->end == old_end && !v->file && v->prot == (PROT_READ | PROT_WRITE))
			v->end = new_end;
		else if (mm_map(mm, old_end, new_end - old_end, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, 0, 0, 0) < 0)
			return (s64)mm->brk;
	} else if (new_end < old_end) {
		mm_unmap(mm, new_end, old_end - new_end);
	}
	mm->brk = addr;
	return (s64)addr;
}
