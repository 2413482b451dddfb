/*
 * Boot information: the one structure that carries what the firmware knew to hv
 * (filled by boot/ before ExitBootServices) and what hv gives each partition
 * (filled by hv for the guest kernel).  Declared here only; boot/, hv/ and guest/
 * include it.  Addresses are physical (for a partition: guest-physical).
 */
#ifndef BULKHEAD_BOOTINFO_H
#define BULKHEAD_BOOTINFO_H

#include "types.h"

#define BH_BOOTINFO_MAGIC 0x4f4f42444b4c4842ull /* "BHLKDBOO" */
#define BH_BOOTINFO_VERSION 1

/* Memory range types: the firmware's types folded into what hv and guests need. */
enum bh_mem_type {
	BH_MEM_USABLE = 1,   /* free RAM */
	BH_MEM_RESERVED = 2, /* firmware-reserved, runtime services, unusable */
	BH_MEM_ACPI = 3,     /* ACPI tables (reclaimable) */
	BH_MEM_NVS = 4,      /* ACPI NVS */
	BH_MEM_MMIO = 5,     /* memory-mapped I/O listed by the firmware */
	BH_MEM_HV = 6,       /* hv image and hv-only data: never mapped into a partition */
	BH_MEM_KERNEL = 7,   /* guest kernel image, owned by the partition */
	BH_MEM_MODULE = 8,   /* a boot module (image tarball), owned by the partition */
	BH_MEM_BOOTDATA = 9, /* boot info and initial page tables of a partition */
	BH_MEM_CHANNEL = 10, /* shared with the host: include/bulkhead/channel.h */
};

struct bh_mem_range {
	u64 base;
	u64 size;
	u32 type;  /* enum bh_mem_type */
	u32 flags; /* BH_MEM_ZEROED: every byte reads 0 until the partition writes it */
};
#define BH_MEM_ZEROED 1u

#define BH_MOD_NAME_MAX 48
struct bh_module {
	u64 base;
	u64 size;
	char name[BH_MOD_NAME_MAX]; /* file name on the ESP, NUL-terminated */
};

enum bh_role { BH_ROLE_HOST = 1, BH_ROLE_UTILITY = 2 };
enum bh_isolation { BH_ISO_PROCESS = 1, BH_ISO_HYPERV = 2 };

#define BH_MAX_MEM 256
#define BH_MAX_MODULES 16
#define BH_CMDLINE_MAX 256
#define BH_REGISTRIES_MAX 256  /* bytes of insecure_registries, its NUL included */
#define BH_API_MAX 256       /* bulkhead.cfg `api =`: its endpoints, space-separated */

struct bh_boot_info {
	u64 magic;       /* BH_BOOTINFO_MAGIC */
	u32 version;     /* BH_BOOTINFO_VERSION */
	u32 size;        /* sizeof(struct bh_boot_info) */
	u64 tsc_hz;      /* TSC frequency, calibrated by boot/ against firmware Stall() */
	u64 rsdp;        /* ACPI RSDP physical address, 0 if none (host partition only) */
	u64 host_memory; /* bytes of RAM for the host partition; 0 = all that is left */
	u64 hv_entry_tsc;/* TSC when hv was entered (set by hv) */
	u64 entry;       /* guest kernel entry, physical (boot -> hv) */
	u64 kernel_file; /* the guest kernel's ELF file as read, in hv memory (boot -> hv) */
	u64 kernel_file_size;
	u16 serial_port; /* I/O port of the console UART, 0 = none */
	u8 role;         /* enum bh_role (hv -> guest) */
	u8 isolation;    /* enum bh_isolation: default for new containers */
	u32 partition_id;/* 0 = host (hv -> guest) */
	u32 nr_mem;
	u32 nr_modules;
	u32 tlb_tags;    /* most ASIDs/VPIDs hv may use, 0 = the CPU's count (bulkhead.cfg, for tests) */
	u32 apic_id;     /* the CPU's local APIC ID, the destination of device interrupts (hv -> host) */
	u32 net_addr;    /* bulkhead.cfg `net`: the host's IPv4 address, a.b.c.d as a << 24 | ... | d; 0 = DHCP */
	u32 net_gateway; /* its gateway, the same way; 0 = none */
	u32 net_prefix;  /* its netmask's length, 0..32 */
	struct bh_mem_range mem[BH_MAX_MEM];
	struct bh_module modules[BH_MAX_MODULES];
	char cmdline[BH_CMDLINE_MAX];
	/* bulkhead.cfg `insecure-registries`: HOST[:PORT] names joined by ',',
	 * the registries the engine may pull from over plain HTTP; "" = none */
	char insecure_registries[BH_REGISTRIES_MAX];
	char api[BH_API_MAX]; /* where the engine serves its API: unix:///PATH and tcp://ADDR:PORT words */
};

#endif
