/* Guest kernel bring-up, in order (ring 0, called from entry.S with the boot
 * info hv made for this partition). */
#include "kernel.h"

struct bh_boot_info *boot_info;

void kmain(struct bh_boot_info *bi)
{
	boot_info = bi;
	trap_init();                         /* GDT, IDT */
	console_init(bi->magic == BH_BOOTINFO_MAGIC ? bi->serial_port : 0x3f8);
	if (bi->magic != BH_BOOTINFO_MAGIC || bi->version != BH_BOOTINFO_VERSION) {
		kprintf("guest: bad boot info (magic %llx version %u)\n", bi->magic, bi->version);
		for (;;)
			__asm__ volatile("cli; hlt");
	}
	kprintf("guest: Bulkhead guest kernel, %s partition %u\n",
		bi->role == BH_ROLE_HOST ? "host" : "utility", bi->partition_id);
	if (hv_detect()) {                   /* CPUID leaves 0x40000000.. */
		kprintf("guest: no Bulkhead hypervisor found by CPUID; halting\n");
		for (;;)
			__asm__ volatile("cli; hlt");
	}
	kprintf("guest: hypervisor \"%s\", %s, hypercalls by %s\n", hv_signature,
		hv_backend == BH_BACKEND_SVM ? "AMD-V" : "VT-x", hv_insn == BH_HCINSN_VMMCALL ? "vmmcall" : "vmcall");
	timer_start(100);                    /* 100 Hz tick */
	__asm__ volatile("sti");
	monitor_run();                       /* the prompt */
}
