/*
 * BOOTX64.EFI: Bulkhead's UEFI loader (GNU-EFI, built with GNU_EFI_USE_MS_ABI so
 * firmware calls are plain typed calls).
 *
 *   1. check for AMD-V+NPT or VT-x+EPT (detect.c)
 *   2. read and parse bulkhead.cfg from the volume this app came from (config.c)
 *   3. load hv.elf (memory type 0x80000001) and guest.elf (0x80000002) at their
 *      physical addresses (elf.c), and each `image =` file (0x80000003) anywhere
 *      below 4 GiB as a boot module
 *   4. fill struct bh_boot_info (0x80000001, below 4 GiB)
 *   5. ExitBootServices, convert the memory map (memmap.c), jump to hv:
 *      hv_entry(struct bh_boot_info *bi) (System V: RDI = bi), interrupts off,
 *      still on UEFI's identity-mapped long-mode page tables, GDT and stack.
 *
 * Every failure before ExitBootServices prints "Bulkhead: ..." on ConOut, waits
 * 3 s, frees what was allocated and returns an error to the firmware.  After
 * ExitBootServices, failures are reported on the serial port and the CPU halts.
 */
#include <efi.h>
#include <efilib.h>
#include <bulkhead/bootinfo.h>
#include "config.h"
#include "detect.h"
#include "elf.h"
#include "fmt.h"
#include "../lib/fmt.h"
#include "../lib/x86.h"
#include "memmap.h"
#include "serial.h"

#define FAIL_STALL_US 3000000
#define BELOW_4G 0xffffffffull

static EFI_HANDLE g_image;
static EFI_SYSTEM_TABLE *g_st;
static EFI_BOOT_SERVICES *g_bs;
static EFI_FILE_HANDLE g_root;

/* Pages allocated so far: freed if we give up and return to the firmware. */
static struct {
	EFI_PHYSICAL_ADDRESS base;
	UINTN pages;
} g_allocs[BH_ELF_MAX_SEGS * 2 + BH_CFG_MAX_IMAGES + 2];
static UINTN g_nr_allocs;

/* ---- console ---- */

static void vsay(const char *fmt, va_list ap)
{
	char msg[384];
	CHAR16 w[2 * sizeof(msg) + 16];
	UINTN j = 0;

	bh_vsnprintf(msg, sizeof(msg), fmt, ap);
	for (const char *p = "Bulkhead: "; *p; p++)
		w[j++] = (CHAR16)*p;
	for (const char *p = msg; *p; p++) {
		if (*p == '\n')
			w[j++] = L'\r';
		w[j++] = (CHAR16)(u8)*p;
	}
	w[j++] = L'\r';
	w[j++] = L'\n';
	w[j] = 0;
	g_st->ConOut->OutputString(g_st->ConOut, w);
}

/* Prints one "Bulkhead: ..." line on ConOut. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
}

/* Reports, undoes allocations, waits so the message can be read; returns st for efi_main to return. */
static EFI_STATUS fail(EFI_STATUS st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static EFI_STATUS fail(EFI_STATUS st, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsay(fmt, ap);
	va_end(ap);
	say("boot failed; returning to the firmware");
	while (g_nr_allocs) {
		g_nr_allocs--;
		g_bs->FreePages(g_allocs[g_nr_allocs].base, g_allocs[g_nr_allocs].pages);
	}
	g_bs->Stall(FAIL_STALL_US);
	return st;
}

static const char *efi_err(EFI_STATUS st)
{
	switch (st) {
	case EFI_NOT_FOUND: return "not found";
	case EFI_OUT_OF_RESOURCES: return "out of resources";
	case EFI_DEVICE_ERROR: return "device error";
	case EFI_VOLUME_CORRUPTED: return "volume corrupted";
	case EFI_INVALID_PARAMETER: return "invalid parameter";
	case EFI_UNSUPPORTED: return "unsupported";
	case EFI_ACCESS_DENIED: return "access denied";
	case EFI_BUFFER_TOO_SMALL: return "buffer too small";
	default: return "error";
	}
}

/* Halts for good: only for after ExitBootServices. */
static void __attribute__((noreturn)) fail_stop(u16 port, const char *msg)
{
	bh_serial_puts(port ? port : 0x3f8, msg);
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* ---- memory and files ---- */

static EFI_STATUS alloc_pages(EFI_ALLOCATE_TYPE how, UINT32 type, UINTN pages, EFI_PHYSICAL_ADDRESS *addr)
{
	EFI_STATUS st = g_bs->AllocatePages(how, (EFI_MEMORY_TYPE)type, pages, addr);
	if (!EFI_ERROR(st) && g_nr_allocs < BH_ARRAY_SIZE(g_allocs)) {
		g_allocs[g_nr_allocs].base = *addr;
		g_allocs[g_nr_allocs].pages = pages;
		g_nr_allocs++;
	}
	return st;
}

/* Opens name in the volume's root; *size = its length.  On failure prints nothing. */
static EFI_STATUS open_file(const char *name, EFI_FILE_HANDLE *fh, UINT64 *size)
{
	CHAR16 wname[BH_MOD_NAME_MAX];
	UINT64 info_buf[(SIZE_OF_EFI_FILE_INFO + sizeof(wname) + 64) / 8];
	UINTN info_size = sizeof(info_buf);
	EFI_GUID info_id = EFI_FILE_INFO_ID;
	EFI_STATUS st;
	UINTN i;

	for (i = 0; name[i] && i + 1 < BH_MOD_NAME_MAX; i++)
		wname[i] = (CHAR16)name[i];
	wname[i] = 0;
	st = g_root->Open(g_root, fh, wname, EFI_FILE_MODE_READ, 0);
	if (EFI_ERROR(st))
		return st;
	st = (*fh)->GetInfo(*fh, &info_id, &info_size, info_buf);
	if (!EFI_ERROR(st) && (((EFI_FILE_INFO *)info_buf)->Attribute & EFI_FILE_DIRECTORY))
		st = EFI_NOT_FOUND;
	if (EFI_ERROR(st)) {
		(*fh)->Close(*fh);
		return st;
	}
	*size = ((EFI_FILE_INFO *)info_buf)->FileSize;
	return EFI_SUCCESS;
}

static EFI_STATUS read_all(EFI_FILE_HANDLE fh, void *buf, UINT64 size)
{
	UINT64 done = 0;
	while (done < size) {
		UINTN n = size - done;
		EFI_STATUS st = fh->Read(fh, &n, (u8 *)buf + done);
		if (EFI_ERROR(st))
			return st;
		if (!n)
			return EFI_END_OF_FILE; /* shorter than its directory entry said */
		done += n;
	}
	return EFI_SUCCESS;
}

/* Reads a whole file into pool memory (LoaderData). */
static EFI_STATUS read_file(const char *name, void **buf, UINT64 *size)
{
	EFI_FILE_HANDLE fh;
	EFI_STATUS st = open_file(name, &fh, size);
	if (EFI_ERROR(st))
		return st;
	st = g_bs->AllocatePool(EfiLoaderData, *size ? *size : 1, buf);
	if (!EFI_ERROR(st)) {
		st = read_all(fh, *buf, *size);
		if (EFI_ERROR(st))
			g_bs->FreePool(*buf);
	}
	fh->Close(fh);
	return st;
}

static EFI_STATUS read_file_or_fail(const char *name, void **buf, UINT64 *size)
{
	EFI_STATUS st = read_file(name, buf, size);
	if (st == EFI_NOT_FOUND)
		return fail(st, "%s not found on the boot volume", name);
	if (EFI_ERROR(st))
		return fail(st, "cannot read %s: %s (0x%llx)", name, efi_err(st), (unsigned long long)st);
	return EFI_SUCCESS;
}

/* ---- ELF images ---- */

/* Places each segment of ELF file `name` at its physical address.  With `keep`,
 * the file itself is also kept, in hv memory (hv loads utility partitions from it). */
static EFI_STATUS load_elf(const char *name, UINT32 memtype, struct bh_elf_image *img, struct bh_module *keep)
{
	char err[160];
	void *file;
	UINT64 size;
	EFI_STATUS st = read_file_or_fail(name, &file, &size);
	if (EFI_ERROR(st))
		return st;
	if (bh_elf_parse(file, size, name, img, err, sizeof(err))) {
		g_bs->FreePool(file);
		return fail(EFI_LOAD_ERROR, "%s", err);
	}
	say("loading %s (%llu KiB) at 0x%llx, entry 0x%llx", name,
	    (unsigned long long)(size + 1023) / 1024, (unsigned long long)img->spans[0].base,
	    (unsigned long long)img->entry);
	for (u32 i = 0; i < img->nr_spans; i++) {
		EFI_PHYSICAL_ADDRESS a = img->spans[i].base;
		UINTN pages = img->spans[i].pages;
		st = alloc_pages(AllocateAddress, memtype, pages, &a);
		if (EFI_ERROR(st)) {
			g_bs->FreePool(file);
			return fail(st, "%s: cannot allocate 0x%llx-0x%llx (%llu pages): %s%s", name,
				    (unsigned long long)a,
				    (unsigned long long)(a + pages * EFI_PAGE_SIZE - 1),
				    (unsigned long long)pages, efi_err(st),
				    st == EFI_NOT_FOUND ? " (that memory is not free)" : "");
		}
		g_bs->SetMem((void *)(UINTN)a, pages * EFI_PAGE_SIZE, 0);
	}
	for (u32 i = 0; i < img->nr_segs; i++) {
		const struct bh_elf_seg *s = &img->segs[i];
		if (s->filesz)
			g_bs->CopyMem((void *)(UINTN)s->paddr, (u8 *)file + s->offset, s->filesz);
	}
	if (keep) {
		EFI_PHYSICAL_ADDRESS a = BELOW_4G;
		st = alloc_pages(AllocateMaxAddress, BH_EFI_TYPE_HV, BH_ALIGN_UP(size, EFI_PAGE_SIZE) / EFI_PAGE_SIZE, &a);
		if (EFI_ERROR(st)) {
			g_bs->FreePool(file);
			return fail(st, "cannot keep a copy of %s: %s", name, efi_err(st));
		}
		g_bs->CopyMem((void *)(UINTN)a, file, size);
		keep->base = a;
		keep->size = size;
	}
	g_bs->FreePool(file);
	return EFI_SUCCESS;
}

/* A boot module: the file as is, page-aligned, below 4 GiB, tail of the last page zeroed. */
static EFI_STATUS load_module(const char *name, struct bh_module *m)
{
	EFI_FILE_HANDLE fh;
	UINT64 size;
	EFI_PHYSICAL_ADDRESS a = BELOW_4G;
	EFI_STATUS st = open_file(name, &fh, &size);
	if (st == EFI_NOT_FOUND)
		return fail(st, "image %s not found on the boot volume", name);
	if (EFI_ERROR(st))
		return fail(st, "cannot open image %s: %s", name, efi_err(st));
	if (!size) {
		fh->Close(fh);
		return fail(EFI_LOAD_ERROR, "image %s is empty", name);
	}
	UINTN pages = BH_ALIGN_UP(size, EFI_PAGE_SIZE) / EFI_PAGE_SIZE;
	st = alloc_pages(AllocateMaxAddress, BH_EFI_TYPE_MODULE, pages, &a);
	if (EFI_ERROR(st)) {
		fh->Close(fh);
		return fail(st, "cannot allocate %llu KiB below 4 GiB for image %s: %s",
			    (unsigned long long)pages * 4, name, efi_err(st));
	}
	say("loading image %s (%llu KiB) at 0x%llx", name, (unsigned long long)(size + 1023) / 1024,
	    (unsigned long long)a);
	g_bs->SetMem((u8 *)(UINTN)a + size, pages * EFI_PAGE_SIZE - size, 0);
	st = read_all(fh, (void *)(UINTN)a, size);
	fh->Close(fh);
	if (EFI_ERROR(st))
		return fail(st, "cannot read image %s: %s", name, efi_err(st));
	m->base = a;
	m->size = size;
	boot_memcpy(m->name, name, boot_strlen(name) + 1);
	return EFI_SUCCESS;
}

/* ---- boot info ---- */

static u64 calibrate_tsc(void)
{
	u64 t0 = rdtsc();
	g_bs->Stall(20000); /* 20 ms */
	return (rdtsc() - t0) * 50;
}

static int guid_eq(const EFI_GUID *a, const EFI_GUID *b)
{
	const u8 *x = (const u8 *)a, *y = (const u8 *)b;
	for (int i = 0; i < 16; i++)
		if (x[i] != y[i])
			return 0;
	return 1;
}

static u64 find_rsdp(void)
{
	EFI_GUID acpi20 = ACPI_20_TABLE_GUID, acpi10 = ACPI_TABLE_GUID;
	u64 v1 = 0;
	for (UINTN i = 0; i < g_st->NumberOfTableEntries; i++) {
		EFI_CONFIGURATION_TABLE *t = &g_st->ConfigurationTable[i];
		if (guid_eq(&t->VendorGuid, &acpi20))
			return (u64)(UINTN)t->VendorTable;
		if (guid_eq(&t->VendorGuid, &acpi10))
			v1 = (u64)(UINTN)t->VendorTable;
	}
	return v1;
}

#ifdef BH_BOOT_DEBUG
/* Debug builds: the firmware's memory map as it is now, one line per descriptor. */
static void dump_efi_map(void)
{
	static const char *const names[] = {
		"Reserved", "LoaderCode", "LoaderData", "BootServicesCode", "BootServicesData",
		"RuntimeServicesCode", "RuntimeServicesData", "Conventional", "Unusable",
		"ACPIReclaim", "ACPINVS", "MMIO", "MMIOPortSpace", "PalCode", "Persistent",
	};
	UINTN size = 0, key, dsize;
	UINT32 dver;
	void *map;

	g_bs->GetMemoryMap(&size, NULL, &key, &dsize, &dver);
	size += 16 * dsize;
	if (EFI_ERROR(g_bs->AllocatePool(EfiLoaderData, size, &map)))
		return;
	if (!EFI_ERROR(g_bs->GetMemoryMap(&size, map, &key, &dsize, &dver))) {
		say("debug: UEFI memory map, %llu descriptors:", (unsigned long long)(size / dsize));
		for (UINTN i = 0; i < size / dsize; i++) {
			const struct bh_efi_memdesc *d = (const void *)((u8 *)map + i * dsize);
			say("debug:   0x%llx-0x%llx %s (type 0x%x)", (unsigned long long)d->phys_start,
			    (unsigned long long)(d->phys_start + d->num_pages * 4096 - 1),
			    d->type < BH_ARRAY_SIZE(names) ? names[d->type] : "other", d->type);
		}
	}
	g_bs->FreePool(map);
}
#endif

/* ---- exit and jump ---- */

typedef void __attribute__((sysv_abi, noreturn)) (*hv_entry_fn)(struct bh_boot_info *);

static void __attribute__((noreturn)) exit_and_jump(struct bh_boot_info *bi, u64 hv_entry, void *map,
						     UINTN cap)
{
	UINTN size, key, dsize = 0;
	UINT32 dver;
	EFI_STATUS st = EFI_SUCCESS;
	u16 port = bi->serial_port;

	/* No printing or allocating between GetMemoryMap and ExitBootServices. */
	for (int tries = 0; tries < 8; tries++) {
		size = cap;
		st = g_bs->GetMemoryMap(&size, map, &key, &dsize, &dver);
		if (EFI_ERROR(st))
			break;
		st = g_bs->ExitBootServices(g_image, key);
		if (!EFI_ERROR(st))
			break;
	}
	__asm__ volatile("cli");
	if (EFI_ERROR(st))
		fail_stop(port, "Bulkhead: ExitBootServices failed; halting\n");

	int n = bh_memmap_convert(map, size, dsize, bi->mem, BH_MAX_MEM);
	if (n < 0)
		fail_stop(port, "Bulkhead: the firmware memory map needs more than 256 ranges (BH_MAX_MEM) or has a "
			   "bad descriptor size; halting\n");
	bi->nr_mem = (u32)n;
	bh_serial_puts(port, "Bulkhead: boot services exited; entering hv\n");

	((hv_entry_fn)(UINTN)hv_entry)(bi);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st_)
{
	static struct bh_config cfg;
	static struct bh_elf_image hv, guest;
	EFI_GUID li_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID, fs_guid = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
	EFI_LOADED_IMAGE *li;
	EFI_SIMPLE_FILE_SYSTEM_PROTOCOL *fs;
	struct bh_virt_info vi;
	char err[160];
	EFI_STATUS st;

	g_image = image;
	g_st = st_;
	g_bs = st_->BootServices;
	say("UEFI loader starting");

	/* 1. Hardware virtualization, before anything else. */
	if (bh_detect_virt(&vi) == BH_VIRT_NONE) {
		if (vi.detail)
			say("%s", vi.detail);
		return fail(EFI_UNSUPPORTED, "no hardware virtualization: this CPU has neither AMD-V with "
			    "nested paging nor VT-x with EPT");
	}
	if (vi.kind == BH_VIRT_SVM)
		say("CPU has AMD-V with nested paging");
	else
		say("CPU has VT-x with EPT%s", (vi.flags & BH_VIRT_F_UNRESTRICTED) ? " and unrestricted guest" : "");

	/* 2. Boot volume and configuration. */
	st = g_bs->HandleProtocol(image, &li_guid, (void **)&li);
	if (EFI_ERROR(st))
		return fail(st, "cannot get the loaded image protocol: %s", efi_err(st));
	st = g_bs->HandleProtocol(li->DeviceHandle, &fs_guid, (void **)&fs);
	if (EFI_ERROR(st))
		return fail(st, "the boot device has no file system: %s", efi_err(st));
	st = fs->OpenVolume(fs, &g_root);
	if (EFI_ERROR(st))
		return fail(st, "cannot open the boot volume: %s", efi_err(st));

	void *text;
	UINT64 text_len;
	if (EFI_ERROR((st = read_file_or_fail(BH_CFG_NAME, &text, &text_len))))
		return st;
	int bad = bh_config_parse(text, text_len, &cfg, err, sizeof(err));
	g_bs->FreePool(text);
	if (bad)
		return fail(EFI_LOAD_ERROR, "%s", err);
	say("config: hv=%s guest=%s host_memory=%llu MiB%s serial=0x%x isolation=%s images=%u", cfg.hv,
	    cfg.guest, (unsigned long long)(cfg.host_memory >> 20), cfg.host_memory ? "" : " (all)",
	    cfg.serial_port, cfg.isolation == BH_ISO_HYPERV ? "hyperv" : "process", cfg.nr_images);
#ifdef BH_BOOT_DEBUG
	dump_efi_map();
#endif

	/* 3. Images. */
	struct bh_module kernel_file;
	if (EFI_ERROR((st = load_elf(cfg.hv, BH_EFI_TYPE_HV, &hv, NULL))))
		return st;
	if (EFI_ERROR((st = load_elf(cfg.guest, BH_EFI_TYPE_KERNEL, &guest, &kernel_file))))
		return st;

	/* 4. Boot info. */
	EFI_PHYSICAL_ADDRESS bia = BELOW_4G;
	UINTN bi_pages = BH_ALIGN_UP(sizeof(struct bh_boot_info), EFI_PAGE_SIZE) / EFI_PAGE_SIZE;
	if (EFI_ERROR((st = alloc_pages(AllocateMaxAddress, BH_EFI_TYPE_HV, bi_pages, &bia))))
		return fail(st, "cannot allocate the boot info: %s", efi_err(st));
	struct bh_boot_info *bi = (struct bh_boot_info *)(UINTN)bia;
	g_bs->SetMem(bi, bi_pages * EFI_PAGE_SIZE, 0);
	bi->magic = BH_BOOTINFO_MAGIC;
	bi->version = BH_BOOTINFO_VERSION;
	bi->size = sizeof(*bi);
	bi->host_memory = cfg.host_memory;
	bi->serial_port = cfg.serial_port;
	bi->isolation = cfg.isolation;
	bi->tlb_tags = cfg.tlb_tags;
	bi->net_addr = cfg.net_addr, bi->net_gateway = cfg.net_gateway, bi->net_prefix = cfg.net_prefix;
	bi->entry = guest.entry_phys; /* hv starts the kernel on an identity map */
	bi->kernel_file = kernel_file.base;
	bi->kernel_file_size = kernel_file.size;
	boot_memcpy(bi->cmdline, cfg.cmdline, sizeof(bi->cmdline));
	boot_memcpy(bi->insecure_registries, cfg.insecure_registries, sizeof(bi->insecure_registries));
	boot_memcpy(bi->api, cfg.api, sizeof(bi->api));
	for (u32 i = 0; i < cfg.nr_images; i++)
		if (EFI_ERROR((st = load_module(cfg.images[i], &bi->modules[i]))))
			return st;
	bi->nr_modules = cfg.nr_images;
	bi->rsdp = find_rsdp();
	bi->tsc_hz = calibrate_tsc();
	say("boot info at 0x%llx: TSC %llu MHz, ACPI RSDP at 0x%llx, %u module(s)",
	    (unsigned long long)bia, (unsigned long long)bi->tsc_hz / 1000000,
	    (unsigned long long)bi->rsdp, bi->nr_modules);

	/* 5. Memory map buffer with slack (allocating it adds descriptors), then exit. */
	UINTN msize = 0, key, dsize = 0;
	UINT32 dver;
	void *map;
	st = g_bs->GetMemoryMap(&msize, NULL, &key, &dsize, &dver);
	if (st != EFI_BUFFER_TOO_SMALL || !dsize)
		return fail(st, "cannot read the memory map size: %s", efi_err(st));
	msize += 64 * dsize;
	if (EFI_ERROR((st = g_bs->AllocatePool(EfiLoaderData, msize, &map))))
		return fail(st, "cannot allocate the memory map buffer: %s", efi_err(st));
	say("exiting boot services; entering hv at 0x%llx", (unsigned long long)hv.entry_phys);
	exit_and_jump(bi, hv.entry_phys, map, msize);
}
