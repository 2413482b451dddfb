/*
 * hv bring-up, in boot order (root mode, the boot CPU, interrupts off).
 * boot/ has loaded hv and the guest kernel, exited the firmware's boot services
 * and called hv_entry (entry.S) with the boot info; hv never returns.
 */
#include "part.h"
#include "../lib/x86.h"

const struct vcpu_ops *vcpu_ops;
u32 tlb_tags_max;

void hv_main(struct bh_boot_info *bi)
{
	u64 t0 = rdtsc();
	cpu_init();                  /* hv's GDT and IDT */
	log_init(bi->serial_port);   /* console and log ring */
	hv_printf("\nhv: Bulkhead hypervisor\n");
	if (bi->magic != BH_BOOTINFO_MAGIC || bi->version != BH_BOOTINFO_VERSION || bi->size != sizeof *bi)
		panic("boot info from an incompatible loader (magic %llx version %u size %u)",
		      bi->magic, bi->version, bi->size);
	bi->hv_entry_tsc = t0;
	hv_stats.hv_entry_tsc = t0;
	mm_init(bi);                 /* own page tables, page allocator */
	tlb_tags_max = bi->tlb_tags;
	u32 a, b, svm, d;            /* the backend this CPU supports, AMD-V first as in boot/ */
	cpuid(0x80000001, 0, &a, &b, &svm, &d);
	vcpu_ops = svm & (1u << 2) ? &svm_ops : &vmx_ops;
	if (vcpu_ops->cpu_init())
		panic("no usable hardware virtualization");
	hv_printf("hv: %s enabled\n", vcpu_ops->name);
	vstate_init();               /* extended state, MSRs and barriers that go with a vCPU */
	timer_init(bi->tsc_hz);      /* the APIC timer, calibrated */
	host_create(bi);             /* host partition and its vCPU */
	part_init(bi);               /* the kernel image utility partitions boot */
	sched_run();                 /* run partitions */
}
