/* ELF64 executable validation (see elf.h).  Pure C, no EFI, no libc. */
#include <stdarg.h>
#include "elf.h"
#include "fmt.h"
#include "../lib/fmt.h"

#define EHDR_SIZE 64
#define PHDR_SIZE 56
#define PT_LOAD 1
#define ET_EXEC 2
#define EM_X86_64 62

/* Unaligned little-endian reads (the file buffer has no alignment promise). */
static u64 rd(const u8 *p, int n)
{
	u64 v = 0;
	while (n--)
		v = (v << 8) | p[n];
	return v;
}

static int fail(char *err, size_t errlen, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, const char *name, const char *fmt, ...)
{
	if (errlen) {
		size_t p = (size_t)bh_snprintf(err, errlen, "%s: ", name);
		va_list ap;
		va_start(ap, fmt);
		if (p < errlen)
			bh_vsnprintf(err + p, errlen - p, fmt, ap);
		va_end(ap);
	}
	return -1;
}

#define FAIL(...) fail(err, errlen, name, __VA_ARGS__)

int bh_elf_parse(const void *data, size_t len, const char *name,
		 struct bh_elf_image *out, char *err, size_t errlen)
{
	const u8 *f = data;

	if (errlen)
		err[0] = 0;
	boot_memset(out, 0, sizeof(*out));
	if (len < 4 || f[0] != 0x7f || f[1] != 'E' || f[2] != 'L' || f[3] != 'F')
		return FAIL("not an ELF file");
	if (len < EHDR_SIZE)
		return FAIL("truncated ELF header (%lu bytes)", (unsigned long)len);
	if (f[4] != 2)
		return FAIL("not a 64-bit ELF file (class %u)", f[4]);
	if (f[5] != 1)
		return FAIL("not a little-endian ELF file");
	if (f[6] != 1 || rd(f + 20, 4) != 1)
		return FAIL("unknown ELF version");
	if (rd(f + 18, 2) != EM_X86_64)
		return FAIL("not an x86-64 ELF file (machine %u)", (unsigned)rd(f + 18, 2));
	if (rd(f + 16, 2) != ET_EXEC)
		return FAIL("not a static executable (ELF type %u, want ET_EXEC)", (unsigned)rd(f + 16, 2));

	u64 entry = rd(f + 24, 8), phoff = rd(f + 32, 8);
	u64 phentsize = rd(f + 54, 2), phnum = rd(f + 56, 2);
	if (phnum == 0)
		return FAIL("no program headers");
	if (phentsize != PHDR_SIZE)
		return FAIL("bad program header size %u", (unsigned)phentsize);
	if (phoff > len || phnum * PHDR_SIZE > len - phoff)
		return FAIL("truncated program headers");

	for (u64 i = 0; i < phnum; i++) {
		const u8 *ph = f + phoff + i * PHDR_SIZE;
		if (rd(ph, 4) != PT_LOAD)
			continue;
		struct bh_elf_seg s = {
			.flags = (u32)rd(ph + 4, 4),
			.offset = rd(ph + 8, 8),
			.vaddr = rd(ph + 16, 8),
			.paddr = rd(ph + 24, 8),
			.filesz = rd(ph + 32, 8),
			.memsz = rd(ph + 40, 8),
		};
		if (s.filesz > s.memsz)
			return FAIL("segment %u: file size 0x%llx larger than memory size 0x%llx",
				    (unsigned)i, (unsigned long long)s.filesz, (unsigned long long)s.memsz);
		if (s.offset > len || s.filesz > len - s.offset)
			return FAIL("segment %u extends past end of file", (unsigned)i);
		if (s.memsz == 0)
			continue;
		/* The page-rounded range [paddr & ~4095, align_up(paddr + memsz)) must not wrap. */
		if (s.paddr > ~0ull - s.memsz || s.paddr + s.memsz > ~0ull - (BH_PAGE_SIZE - 1) ||
		    s.vaddr > ~0ull - s.memsz)
			return FAIL("segment %u: address range overflows", (unsigned)i);
		for (u32 j = 0; j < out->nr_segs; j++) {
			const struct bh_elf_seg *o = &out->segs[j];
			if (s.paddr < o->paddr + o->memsz && o->paddr < s.paddr + s.memsz)
				return FAIL("segment %u overlaps an earlier segment at 0x%llx",
					    (unsigned)i, (unsigned long long)o->paddr);
		}
		if (out->nr_segs == BH_ELF_MAX_SEGS)
			return FAIL("too many loadable segments (max %u)", (unsigned)BH_ELF_MAX_SEGS);
		out->segs[out->nr_segs++] = s;
	}
	if (!out->nr_segs)
		return FAIL("no loadable segments");

	out->entry = entry;
	u32 j;
	for (j = 0; j < out->nr_segs; j++) {
		const struct bh_elf_seg *s = &out->segs[j];
		if ((s->flags & BH_PF_X) && entry >= s->vaddr && entry - s->vaddr < s->memsz) {
			out->entry_phys = s->paddr + (entry - s->vaddr);
			break;
		}
	}
	if (j == out->nr_segs)
		return FAIL("entry point 0x%llx is not inside an executable segment",
			    (unsigned long long)entry);

	/* Page spans: each segment's page-rounded range, sorted, overlapping or touching ones merged. */
	for (u32 i = 0; i < out->nr_segs; i++) {
		u64 b = BH_ALIGN_DOWN(out->segs[i].paddr, BH_PAGE_SIZE);
		u64 e = BH_ALIGN_UP(out->segs[i].paddr + out->segs[i].memsz, BH_PAGE_SIZE);
		u32 k = out->nr_spans;
		while (k && out->spans[k - 1].base > b) { /* insertion sort */
			out->spans[k] = out->spans[k - 1];
			k--;
		}
		out->spans[k].base = b;
		out->spans[k].pages = (e - b) >> BH_PAGE_SHIFT;
		out->nr_spans++;
	}
	u32 n = 0;
	for (u32 i = 0; i < out->nr_spans; i++) {
		struct bh_elf_span *p = n ? &out->spans[n - 1] : 0;
		u64 b = out->spans[i].base, e = b + (out->spans[i].pages << BH_PAGE_SHIFT);
		if (p && b <= p->base + (p->pages << BH_PAGE_SHIFT)) {
			u64 pe = p->base + (p->pages << BH_PAGE_SHIFT);
			if (e > pe)
				p->pages = (e - p->base) >> BH_PAGE_SHIFT;
		} else {
			out->spans[n++] = out->spans[i];
		}
	}
	out->nr_spans = n;
	return 0;
}
