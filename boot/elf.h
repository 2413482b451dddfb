/*
 * ELF64 executable validation for hv.elf and guest.elf.  Pure C (no EFI, no
 * libc): builds into BOOTX64.EFI and into the host unit tests.
 */
#ifndef BULKHEAD_BOOT_ELF_H
#define BULKHEAD_BOOT_ELF_H

#include <bulkhead/types.h>

#define BH_ELF_MAX_SEGS 16

#define BH_PF_X 1
#define BH_PF_W 2
#define BH_PF_R 4

struct bh_elf_seg {
	u64 paddr;  /* physical load address (p_paddr) */
	u64 vaddr;  /* p_vaddr */
	u64 offset; /* file offset */
	u64 filesz; /* bytes copied from the file */
	u64 memsz;  /* bytes in memory; memsz - filesz are zeroed */
	u32 flags;  /* BH_PF_* */
};

/* A page-aligned physical range covering one or more segments: what to allocate. */
struct bh_elf_span {
	u64 base;   /* page-aligned */
	u64 pages;
};

struct bh_elf_image {
	u64 entry;      /* e_entry (virtual address) */
	u64 entry_phys; /* e_entry translated through its segment to a physical address */
	u32 nr_segs;    /* PT_LOAD segments with memsz > 0, in file order */
	u32 nr_spans;   /* sorted by base, disjoint and not adjacent */
	struct bh_elf_seg segs[BH_ELF_MAX_SEGS];
	struct bh_elf_span spans[BH_ELF_MAX_SEGS];
};

/*
 * Validates len bytes at data as an x86-64 ELF64 ET_EXEC image and fills *out.
 * Returns 0, or -1 with "<name>: <what is wrong>" in err.
 * Checks: magic, class, data encoding, version, machine, type, program header
 * table inside the file, every PT_LOAD inside the file (overflow-safe),
 * filesz <= memsz, its page-rounded physical range not wrapping, no two
 * segments overlapping (physically), and the entry point inside an
 * executable PT_LOAD.
 */
int bh_elf_parse(const void *data, size_t len, const char *name,
		 struct bh_elf_image *out, char *err, size_t errlen);

#endif
