/* Unit tests for boot/memmap.c (UEFI memory map -> bh_mem_range[]). */
#include <string.h>
#include "check.h"
#include "boot/memmap.h"

/* Firmware descriptors are often larger than the struct (OVMF: 48 bytes; some: 56+). */
#define STRIDE 56
static unsigned char map[STRIDE * 1024];
static size_t nd;
static struct bh_mem_range out[BH_MAX_MEM + 8];

static void reset(void)
{
	memset(map, 0xa5, sizeof(map)); /* garbage in the padding must not matter */
	nd = 0;
}

static void add(uint32_t type, uint64_t base, uint64_t pages)
{
	struct bh_efi_memdesc d = { type, 0, base, 0, pages, 0xf };
	memcpy(map + nd * STRIDE, &d, sizeof(d));
	nd++;
}

static int conv(uint32_t max)
{
	return bh_memmap_convert(map, nd * STRIDE, STRIDE, out, max);
}

static int range_is(int i, uint64_t base, uint64_t size, uint32_t type)
{
	if (out[i].base == base && out[i].size == size && out[i].type == type)
		return 1;
	printf("  out[%d] = 0x%llx+0x%llx type %u\n", i, (unsigned long long)out[i].base,
	       (unsigned long long)out[i].size, out[i].type);
	return 0;
}

static void test_types(void)
{
	CHECK(bh_memmap_type(BH_EFI_CONVENTIONAL) == BH_MEM_USABLE);
	CHECK(bh_memmap_type(BH_EFI_BS_CODE) == BH_MEM_USABLE);
	CHECK(bh_memmap_type(BH_EFI_BS_DATA) == BH_MEM_USABLE);
	CHECK(bh_memmap_type(BH_EFI_LOADER_CODE) == BH_MEM_USABLE);
	CHECK(bh_memmap_type(BH_EFI_LOADER_DATA) == BH_MEM_USABLE);
	CHECK(bh_memmap_type(BH_EFI_ACPI_RECLAIM) == BH_MEM_ACPI);
	CHECK(bh_memmap_type(BH_EFI_ACPI_NVS) == BH_MEM_NVS);
	CHECK(bh_memmap_type(BH_EFI_MMIO) == BH_MEM_MMIO);
	CHECK(bh_memmap_type(BH_EFI_MMIO_PORT) == BH_MEM_MMIO);
	CHECK(bh_memmap_type(0x80000001u) == BH_MEM_HV);
	CHECK(bh_memmap_type(0x80000002u) == BH_MEM_KERNEL);
	CHECK(bh_memmap_type(0x80000003u) == BH_MEM_MODULE);
	CHECK(bh_memmap_type(BH_EFI_RESERVED) == BH_MEM_RESERVED);
	CHECK(bh_memmap_type(BH_EFI_RT_CODE) == BH_MEM_RESERVED);
	CHECK(bh_memmap_type(BH_EFI_RT_DATA) == BH_MEM_RESERVED);
	CHECK(bh_memmap_type(BH_EFI_UNUSABLE) == BH_MEM_RESERVED);
	CHECK(bh_memmap_type(BH_EFI_PAL_CODE) == BH_MEM_RESERVED);
	CHECK(bh_memmap_type(BH_EFI_PERSISTENT) == BH_MEM_RESERVED);
	CHECK(bh_memmap_type(15) == BH_MEM_RESERVED); /* EfiUnacceptedMemoryType */
	CHECK(bh_memmap_type(0x70000000u) == BH_MEM_RESERVED); /* OEM */
	CHECK(bh_memmap_type(0x80000004u) == BH_MEM_RESERVED);
}

static void test_convert(void)
{
	/* unsorted input, mixed types that fold into USABLE, one of each special type */
	reset();
	add(BH_EFI_MMIO, 0xffc00000, 0x400);
	add(BH_EFI_BS_DATA, 0x100000, 0x100);        /* 1 MiB .. 2 MiB */
	add(BH_EFI_CONVENTIONAL, 0x1000, 0x9f);      /* 4 KiB .. 640 KiB */
	add(BH_EFI_BS_CODE, 0, 1);                   /* page 0 */
	add(BH_EFI_CONVENTIONAL, 0x200000, 0xe00);   /* 2 MiB .. 16 MiB, adjacent to BS_DATA */
	add(0x80000001u, 0x1000000, 0x100);          /* hv at 16 MiB */
	add(0x80000002u, 0x2000000, 0x80);           /* kernel at 32 MiB */
	add(BH_EFI_LOADER_DATA, 0x1100000, 0xf00);   /* 17 MiB .. 32 MiB */
	add(BH_EFI_CONVENTIONAL, 0x2080000, 0x80);
	add(0x80000003u, 0x2100000, 0x10);
	add(BH_EFI_ACPI_RECLAIM, 0x3f76c000, 0x12);
	add(BH_EFI_ACPI_NVS, 0x3f77e000, 0x80);
	add(BH_EFI_RT_DATA, 0x3f4ec000, 0x100);
	add(BH_EFI_RT_CODE, 0x3f5ec000, 0x100);      /* adjacent RT data+code: both RESERVED, merged */
	add(BH_EFI_RESERVED, 0x3f6ec000, 0x80);      /* ... and this too */
	add(BH_EFI_CONVENTIONAL, 0x100000000ull, 0x40000); /* 4 GiB .. 5 GiB */
	add(BH_EFI_CONVENTIONAL, 0xa0000, 0);        /* empty: dropped */
	int n = conv(BH_MAX_MEM);
	CHECK(n == 12);
	CHECK(range_is(0, 0, 0xa0000, BH_MEM_USABLE));
	CHECK(range_is(1, 0x100000, 0xf00000, BH_MEM_USABLE));
	CHECK(range_is(2, 0x1000000, 0x100000, BH_MEM_HV));
	CHECK(range_is(3, 0x1100000, 0xf00000, BH_MEM_USABLE));
	CHECK(range_is(4, 0x2000000, 0x80000, BH_MEM_KERNEL));
	CHECK(range_is(5, 0x2080000, 0x80000, BH_MEM_USABLE));
	CHECK(range_is(6, 0x2100000, 0x10000, BH_MEM_MODULE));
	CHECK(range_is(7, 0x3f4ec000, 0x280000, BH_MEM_RESERVED));
	CHECK(range_is(8, 0x3f76c000, 0x12000, BH_MEM_ACPI));
	CHECK(range_is(9, 0x3f77e000, 0x80000, BH_MEM_NVS));
	CHECK(range_is(10, 0xffc00000, 0x400000, BH_MEM_MMIO));
	CHECK(range_is(11, 0x100000000ull, 0x40000000ull, BH_MEM_USABLE));
	for (int i = 0; i < n; i++)
		CHECK(out[i].flags == 0);

	/* same type but not adjacent: not merged */
	reset();
	add(BH_EFI_CONVENTIONAL, 0x0, 1);
	add(BH_EFI_CONVENTIONAL, 0x2000, 1);
	CHECK(conv(BH_MAX_MEM) == 2);

	/* overlapping descriptors (firmware bug): clipped, output stays disjoint */
	reset();
	add(BH_EFI_CONVENTIONAL, 0x0, 0x10);
	add(BH_EFI_RESERVED, 0x8000, 0x10);   /* overlaps the tail of the first */
	add(BH_EFI_CONVENTIONAL, 0x1000, 2);  /* wholly inside the first */
	CHECK(conv(BH_MAX_MEM) == 2);
	CHECK(range_is(0, 0, 0x10000, BH_MEM_USABLE));
	CHECK(range_is(1, 0x10000, 0x8000, BH_MEM_RESERVED));

	/* a range running to the top of the address space is clipped, not wrapped */
	reset();
	add(BH_EFI_RESERVED, 0xfffffffffff00000ull, 0x1000);
	CHECK(conv(BH_MAX_MEM) == 1);
	CHECK(out[0].base + out[0].size - 1 >= out[0].base);

	/* empty map, too small a descriptor size */
	reset();
	CHECK(conv(BH_MAX_MEM) == 0);
	CHECK(bh_memmap_convert(map, 10 * 16, 16, out, BH_MAX_MEM) == -1);
}

static void test_overflow(void)
{
	/* BH_MAX_MEM ranges alternating types: fits exactly */
	reset();
	for (unsigned i = 0; i < BH_MAX_MEM; i++)
		add(i & 1 ? BH_EFI_RESERVED : BH_EFI_CONVENTIONAL, (uint64_t)i << 12, 1);
	CHECK(conv(BH_MAX_MEM) == BH_MAX_MEM);
	/* one more: overflow */
	add(BH_EFI_RESERVED, (uint64_t)(BH_MAX_MEM + 1) << 12, 1);
	CHECK(conv(BH_MAX_MEM) == -1);
	/* many more descriptors than BH_MAX_MEM that merge down: fine */
	reset();
	for (unsigned i = 0; i < 1000; i++)
		add(i % 3 == 0 ? BH_EFI_BS_CODE : (i % 3 == 1 ? BH_EFI_BS_DATA : BH_EFI_CONVENTIONAL),
		    (uint64_t)(999 - i) << 12, 1);
	CHECK(conv(BH_MAX_MEM) == 1);
	CHECK(range_is(0, 0, 1000 << 12, BH_MEM_USABLE));
	/* tiny max */
	reset();
	add(BH_EFI_CONVENTIONAL, 0, 1);
	add(BH_EFI_ACPI_NVS, 0x1000, 1);
	CHECK(conv(1) == -1);
	CHECK(conv(2) == 2);
}

int main(int argc, char **argv)
{
	(void)argc;
	test_types();
	test_convert();
	test_overflow();
	return check_summary(argv[0]);
}
