/* Unit tests for boot/elf.c: ELF64 images written byte by byte here. */
#include <string.h>
#include "check.h"
#include "boot/elf.h"

static unsigned char buf[64 * 1024];
static struct bh_elf_image img;
static char err[256];

static void w16(size_t off, uint64_t v) { for (int i = 0; i < 2; i++) buf[off + i] = (unsigned char)(v >> (8 * i)); }
static void w32(size_t off, uint64_t v) { for (int i = 0; i < 4; i++) buf[off + i] = (unsigned char)(v >> (8 * i)); }
static void w64(size_t off, uint64_t v) { for (int i = 0; i < 8; i++) buf[off + i] = (unsigned char)(v >> (8 * i)); }

#define PHOFF 64

static void ehdr(uint64_t entry, unsigned phnum)
{
	memset(buf, 0, sizeof(buf));
	memcpy(buf, "\x7f" "ELF", 4);
	buf[4] = 2; /* ELFCLASS64 */
	buf[5] = 1; /* ELFDATA2LSB */
	buf[6] = 1; /* EV_CURRENT */
	w16(16, 2);  /* ET_EXEC */
	w16(18, 62); /* EM_X86_64 */
	w32(20, 1);
	w64(24, entry);
	w64(32, PHOFF);
	w16(52, 64);
	w16(54, 56);
	w16(56, phnum);
}

static void phdr(unsigned i, uint32_t type, uint32_t flags, uint64_t off, uint64_t vaddr,
		 uint64_t paddr, uint64_t filesz, uint64_t memsz)
{
	size_t p = PHOFF + (size_t)i * 56;
	w32(p, type);
	w32(p + 4, flags);
	w64(p + 8, off);
	w64(p + 16, vaddr);
	w64(p + 24, paddr);
	w64(p + 32, filesz);
	w64(p + 40, memsz);
	w64(p + 48, 4096);
}

/* A typical hv.elf: text at 16 MiB, rodata, data+bss, plus a GNU_STACK header. */
#define GOOD_LEN 0x4000
static void good(void)
{
	ehdr(0x1000040, 4);
	phdr(0, 1, 5, 0x1000, 0x1000000, 0x1000000, 0x1000, 0x1000);      /* R X */
	phdr(1, 0x6474e551, 6, 0, 0, 0, 0, 0);                             /* PT_GNU_STACK */
	phdr(2, 1, 4, 0x2000, 0x1001000, 0x1001000, 0x800, 0x800);        /* R   */
	phdr(3, 1, 6, 0x3000, 0x1002000, 0x1002000, 0x100, 0x5000);       /* RW + bss */
}

static int parse(size_t len)
{
	return bh_elf_parse(buf, len, "hv.elf", &img, err, sizeof(err));
}

static int fails_with(size_t len, const char *what)
{
	if (parse(len) != -1) {
		printf("  expected failure '%s'\n", what);
		return 0;
	}
	if (strncmp(err, "hv.elf: ", 8) || !strstr(err, what)) {
		printf("  message '%s' lacks '%s'\n", err, what);
		return 0;
	}
	return 1;
}

static void test_good(void)
{
	good();
	CHECK(parse(GOOD_LEN) == 0);
	CHECK(err[0] == 0);
	CHECK(img.entry == 0x1000040);
	CHECK(img.entry_phys == 0x1000040);
	CHECK(img.nr_segs == 3);
	CHECK(img.segs[0].paddr == 0x1000000 && img.segs[0].offset == 0x1000);
	CHECK(img.segs[0].filesz == 0x1000 && img.segs[0].memsz == 0x1000);
	CHECK(img.segs[0].flags == (BH_PF_R | BH_PF_X));
	CHECK(img.segs[2].paddr == 0x1002000 && img.segs[2].filesz == 0x100 && img.segs[2].memsz == 0x5000);
	/* all three are contiguous pages: one span 0x1000000..0x1007000 */
	CHECK(img.nr_spans == 1);
	CHECK(img.spans[0].base == 0x1000000 && img.spans[0].pages == 7);

	/* vaddr != paddr: entry is checked against vaddr, translated to paddr */
	ehdr(0xffffffff80000010ull, 1);
	phdr(0, 1, 5, 0x1000, 0xffffffff80000000ull, 0x2000000, 0x100, 0x100);
	CHECK(parse(GOOD_LEN) == 0);
	CHECK(img.entry == 0xffffffff80000010ull && img.entry_phys == 0x2000010);

	/* unaligned segments, sharing a page, and an unsorted gap: spans merged and sorted */
	ehdr(0x3000100, 3);
	phdr(0, 1, 6, 0x1800, 0x3001800, 0x3001800, 0x10, 0x10);  /* page 0x3001000 */
	phdr(1, 1, 5, 0x1000, 0x3000100, 0x3000100, 0x900, 0x900); /* pages 0x3000000..0x3000fff */
	phdr(2, 1, 4, 0x2000, 0x5000000, 0x5000000, 0x10, 0x2001); /* 3 pages, separate */
	CHECK(parse(GOOD_LEN) == 0);
	CHECK(img.nr_spans == 2);
	CHECK(img.spans[0].base == 0x3000000 && img.spans[0].pages == 2);
	CHECK(img.spans[1].base == 0x5000000 && img.spans[1].pages == 3);
	/* two segments in the same page, byte ranges disjoint */
	ehdr(0x4000000, 2);
	phdr(0, 1, 5, 0x1000, 0x4000000, 0x4000000, 0x100, 0x100);
	phdr(1, 1, 6, 0x1100, 0x4000100, 0x4000100, 0x100, 0x200);
	CHECK(parse(GOOD_LEN) == 0);
	CHECK(img.nr_spans == 1 && img.spans[0].pages == 1);

	/* empty PT_LOAD (memsz 0) is skipped; filesz 0 with memsz (pure bss) kept */
	good();
	phdr(1, 1, 6, 0, 0x9000000, 0x9000000, 0, 0);
	CHECK(parse(GOOD_LEN) == 0 && img.nr_segs == 3);
	phdr(1, 1, 6, 0, 0x9000000, 0x9000000, 0, 0x1000);
	CHECK(parse(GOOD_LEN) == 0 && img.nr_segs == 4 && img.nr_spans == 2);
	/* segment ending exactly at the end of the file */
	good();
	phdr(2, 1, 4, GOOD_LEN - 0x800, 0x1001000, 0x1001000, 0x800, 0x800);
	CHECK(parse(GOOD_LEN) == 0);
}

static void test_bad(void)
{
	good();
	CHECK(fails_with(0, "not an ELF file"));
	CHECK(fails_with(3, "not an ELF file"));
	CHECK(fails_with(63, "truncated ELF header"));
	buf[1] = 'X';
	CHECK(fails_with(GOOD_LEN, "not an ELF file"));
	good();
	buf[4] = 1;
	CHECK(fails_with(GOOD_LEN, "not a 64-bit ELF"));
	good();
	buf[5] = 2;
	CHECK(fails_with(GOOD_LEN, "little-endian"));
	good();
	w16(18, 3); /* EM_386 */
	CHECK(fails_with(GOOD_LEN, "not an x86-64"));
	good();
	w16(16, 3); /* ET_DYN */
	CHECK(fails_with(GOOD_LEN, "ET_EXEC"));
	good();
	w16(56, 0);
	CHECK(fails_with(GOOD_LEN, "no program headers"));
	good();
	w16(54, 32);
	CHECK(fails_with(GOOD_LEN, "program header size"));

	/* program header table past the end */
	good();
	CHECK(fails_with(PHOFF + 4 * 56 - 1, "truncated program headers"));
	good();
	w64(32, GOOD_LEN - 56);
	CHECK(fails_with(GOOD_LEN, "truncated program headers"));
	good();
	w64(32, ~0ull - 10); /* phoff near 2^64 */
	CHECK(fails_with(GOOD_LEN, "truncated program headers"));

	/* segments */
	good();
	phdr(2, 1, 4, GOOD_LEN - 0x7ff, 0x1001000, 0x1001000, 0x800, 0x800);
	CHECK(fails_with(GOOD_LEN, "segment 2 extends past end of file"));
	good();
	phdr(2, 1, 4, ~0ull - 0x100, 0x1001000, 0x1001000, 0x800, 0x800); /* offset + filesz wraps */
	CHECK(fails_with(GOOD_LEN, "segment 2 extends past end of file"));
	good();
	phdr(2, 1, 4, 0x2000, 0x1001000, 0x1001000, ~0ull, ~0ull);
	CHECK(fails_with(GOOD_LEN, "segment 2 extends past end of file"));
	good();
	phdr(3, 1, 6, 0x3000, 0x1002000, 0x1002000, 0x200, 0x100);
	CHECK(fails_with(GOOD_LEN, "segment 3: file size 0x200 larger than memory size 0x100"));
	good();
	phdr(3, 1, 6, 0x3000, 0x1002000, ~0ull - 0xfff, 0x100, 0x1000); /* ends at 2^64 */
	CHECK(fails_with(GOOD_LEN, "segment 3: address range overflows"));
	good();
	phdr(3, 1, 6, 0x3000, 0x1002000, ~0ull - 0x1fff, 0x100, 0x1001); /* page round-up would wrap */
	CHECK(fails_with(GOOD_LEN, "segment 3: address range overflows"));
	good();
	phdr(3, 1, 6, 0x3000, ~0ull - 0x10, 0x1002000, 0x100, 0x1000); /* vaddr wraps */
	CHECK(fails_with(GOOD_LEN, "segment 3: address range overflows"));
	good();
	phdr(3, 1, 6, 0x3000, 0x1000800, 0x1000800, 0x100, 0x100); /* inside segment 0 */
	CHECK(fails_with(GOOD_LEN, "segment 3 overlaps"));
	good();
	phdr(0, 1, 5, 0x1000, 0x1000000, 0x1000000, 0x1000, 0x1001); /* one byte into segment 2 */
	CHECK(fails_with(GOOD_LEN, "segment 2 overlaps"));
	good();
	phdr(3, 1, 6, 0x3000, 0x1002000, 0xfff000, 0x100, 0x5000); /* covers segments 0..2 */
	CHECK(fails_with(GOOD_LEN, "segment 3 overlaps"));

	/* entry point */
	good();
	w64(24, 0x1001010); /* in the R segment, not executable */
	CHECK(fails_with(GOOD_LEN, "entry point 0x1001010 is not inside an executable segment"));
	good();
	w64(24, 0x1001000); /* one past the text segment */
	CHECK(fails_with(GOOD_LEN, "not inside an executable segment"));
	good();
	w64(24, 0);
	CHECK(fails_with(GOOD_LEN, "not inside an executable segment"));
	good();
	w64(24, 0xfffff);
	CHECK(fails_with(GOOD_LEN, "not inside an executable segment"));

	/* no PT_LOAD at all, and too many */
	ehdr(0x1000000, 1);
	phdr(0, 0x6474e551, 6, 0, 0, 0, 0, 0);
	CHECK(fails_with(GOOD_LEN, "no loadable segments"));
	ehdr(0x1000000, BH_ELF_MAX_SEGS + 1);
	for (unsigned i = 0; i <= BH_ELF_MAX_SEGS; i++)
		phdr(i, 1, 5, 0x2000, 0x1000000 + i * 0x1000ull, 0x1000000 + i * 0x1000ull, 0x10, 0x10);
	CHECK(fails_with(GOOD_LEN, "too many loadable segments"));

	/* a small error buffer is terminated */
	char small[6];
	good();
	buf[0] = 0;
	CHECK(bh_elf_parse(buf, GOOD_LEN, "hv.elf", &img, small, sizeof(small)) == -1);
	CHECK(strcmp(small, "hv.el") == 0);
}

int main(int argc, char **argv)
{
	(void)argc;
	test_good();
	test_bad();
	return check_summary(argv[0]);
}
