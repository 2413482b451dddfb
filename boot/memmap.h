/*
 * UEFI memory map -> bh_mem_range[] conversion.  Pure C (no EFI headers, no
 * libc), so the host unit tests can run it; BOOTX64.EFI runs it after
 * ExitBootServices, so it allocates nothing and prints nothing.
 */
#ifndef BULKHEAD_BOOT_MEMMAP_H
#define BULKHEAD_BOOT_MEMMAP_H

#include <bulkhead/bootinfo.h>

/* Same layout as EFI_MEMORY_DESCRIPTOR (version 1); walk arrays by the firmware's descriptor size. */
struct bh_efi_memdesc {
	u32 type;
	u32 pad;
	u64 phys_start;
	u64 virt_start;
	u64 num_pages;
	u64 attribute;
};

/* EFI memory types used here (UEFI spec numbering) and Bulkhead's own types. */
enum {
	BH_EFI_RESERVED = 0,
	BH_EFI_LOADER_CODE = 1,
	BH_EFI_LOADER_DATA = 2,
	BH_EFI_BS_CODE = 3,
	BH_EFI_BS_DATA = 4,
	BH_EFI_RT_CODE = 5,
	BH_EFI_RT_DATA = 6,
	BH_EFI_CONVENTIONAL = 7,
	BH_EFI_UNUSABLE = 8,
	BH_EFI_ACPI_RECLAIM = 9,
	BH_EFI_ACPI_NVS = 10,
	BH_EFI_MMIO = 11,
	BH_EFI_MMIO_PORT = 12,
	BH_EFI_PAL_CODE = 13,
	BH_EFI_PERSISTENT = 14,
};
#define BH_EFI_TYPE_HV 0x80000001u     /* hv image, boot info -> BH_MEM_HV */
#define BH_EFI_TYPE_KERNEL 0x80000002u /* guest kernel image  -> BH_MEM_KERNEL */
#define BH_EFI_TYPE_MODULE 0x80000003u /* boot modules        -> BH_MEM_MODULE */

/* The BH_MEM_* type for an EFI memory type. */
u32 bh_memmap_type(u32 efi_type);

/*
 * Converts map_size bytes of descriptors (stride desc_size, which must be at
 * least sizeof(struct bh_efi_memdesc)) into out[], sorted by base, with
 * adjacent ranges of the same type merged and empty descriptors dropped.  If
 * descriptors overlap (a firmware bug), the later-starting one is clipped.
 * The input is not modified.  Returns the number of ranges, or -1 if more
 * than max ranges would be needed (out[] then holds the first max) or
 * desc_size is too small.
 */
int bh_memmap_convert(const void *map, size_t map_size, size_t desc_size,
		      struct bh_mem_range *out, u32 max);

#endif
