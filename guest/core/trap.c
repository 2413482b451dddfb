/*
 * Interrupts and exceptions in the guest kernel (ring 0).  An interrupt
 * vector runs the handler registered for it (main.c: the tick; the host
 * driver: the channel doorbell; the device interrupt layer, dev/irq.c: every
 * device vector), others are ignored; a page fault on a user address
 * is first offered to the address space (demand paging); an exception at an
 * instruction listed in the exception table resumes at its fixup (probes,
 * user copies); an exception in ring 3 becomes a signal; any other exception
 * in the kernel is reported with the register state and stops the kernel.
 */
#include "../../lib/traps.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "core/x86.h"

struct tss {
	u32 rsv0;
	u64 rsp0, rsp1, rsp2, rsv1;
	u64 ist[7];
	u64 rsv2;
	u16 rsv3, iomap;
} __attribute__((packed));
_Static_assert(sizeof(struct tss) == 104, "64-bit TSS is 104 bytes");
static struct tss tss = { .iomap = sizeof(struct tss) };

static u64 gdt[] = {
	0,
	0x00af9a000000ffffull, /* 0x08: kernel code */
	0x00cf92000000ffffull, /* 0x10: kernel data */
	0x00cffa000000ffffull, /* 0x18: user code, 32-bit (STAR base) */
	0x00cff2000000ffffull, /* 0x20: user data */
	0x00affa000000ffffull, /* 0x28: user code, 64-bit */
	0, 0,                  /* 0x30: TSS */
};
static u8 idt[256 * 16] __attribute__((aligned(16)));

u64 probe_value;


void set_kernel_stack(u64 top)
{
	tss.rsp0 = top;
	cur_kstack_top = top;
}

void set_fs_base(u64 v) { wrmsr(MSR_FS_BASE, v); }

static void panic_frame(struct trap_frame *f)
{
	u64 cr2 = read_cr2();
	kprintf("\nguest: PANIC: exception %s (vector %llu, error 0x%llx) at rip %016llx\n"
		"  rsp %016llx rflags %016llx cr2 %016llx\n"
		"  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n",
		trap_name(f->vector), f->vector, f->error, f->rip, f->rsp, f->rflags, cr2, f->rax,
		f->rbx, f->rcx, f->rdx);
	/* The top of a kernel stack: return addresses to look up in guest.elf
	 * (addr2line -e build/guest.elf ADDR); once, should reading it fault. */
	static int dumped;
	if (!dumped++ && f->rsp >= 0xffff800000000000ull && !(f->rsp & 7))
		for (int i = 0; i < 16; i += 4) {
			const u64 *w = (const u64 *)f->rsp + i;
			kprintf("  [rsp+%02x] %016llx %016llx %016llx %016llx\n", i * 8, w[0], w[1], w[2], w[3]);
		}
	for (;;)
		__asm__ volatile("cli; hlt");
}

static int user_signal(u64 vector)
{
	switch (vector) {
	case X86_DE: return SIGFPE;
	case X86_MF: return SIGFPE;
	case X86_XM: return SIGFPE;
	case X86_UD: return SIGILL;
	case X86_BP: return SIGTRAP;
	case X86_DB: return SIGTRAP;
	case X86_AC: return SIGBUS;
	default: return SIGSEGV;
	}
}

static void (*irq_handlers[256])(void);
static void (*device_handler)(u8 vector);

int irq_register(u8 vector, void (*fn)(void))
{
	if (vector < 32 || (irq_handlers[vector] && irq_handlers[vector] != fn))
		return -EBUSY;
	irq_handlers[vector] = fn;
	return 0;
}

void irq_register_devices(void (*fn)(u8 vector)) { device_handler = fn; }

void trap_handler(struct trap_frame *f)
{
	int user = (f->cs & 3) == 3;
	if (f->vector == 0x80 && user) { /* from syscall_entry (user.S) */
		syscall_handler(f);
		return;
	}
	if (f->vector >= 32) {
		if (f->vector >= BH_VEC_DEV_FIRST && f->vector <= BH_VEC_DEV_LAST && device_handler)
			device_handler((u8)f->vector);
		else if (f->vector < 256 && irq_handlers[f->vector])
			irq_handlers[f->vector]();
		/* Taken after idle_halt's STI and before its HLT ran: not to sleep
		 * past what it made ready (task.c).  That is at the HLT, or at the
		 * NOP if the STI's shadow did not hold: under QEMU's SVM a utility
		 * partition was found halted after its HLT, nothing pending, the
		 * doorbell's RUN unread in its ring (5 starts in 3,900); with the NOP
		 * covered, none in 2,800. */
		if (f->rip > (u64)idle_halt && f->rip <= (u64)idle_halt_hlt)
			f->rip = (u64)idle_halt_hlt + 1; /* HLT is one byte */
	} else {
		u64 cr2 = read_cr2();
		int r = f->vector == X86_PF && current && current->mm && cr2 < USER_TOP
			? mm_fault(current->mm, cr2, (f->error & PF_WRITE) != 0) : -EFAULT;
		if (!r)
			goto out;
		if (user && r == -ENOMEM) { /* like Linux's OOM killer: the faulting process goes */
			kprintf("guest: out of memory: killed pid %d (%s)\n", current->pid, current->comm);
			send_signal(current, SIGKILL);
			goto out;
		}
		if (user) {
			int sig = r == -EIO ? SIGBUS : user_signal(f->vector);
			if (f->vector == X86_PF || f->vector == X86_GP)
				klog("guest: pid %d (%s): %s at rip %llx addr %llx: %s\n", current->pid,
				     current->comm, trap_name(f->vector), f->rip, cr2, sig == SIGBUS ? "SIGBUS" : "SIGSEGV");
			force_signal(current, sig);
			goto out;
		}
		for (const struct ex_entry *e = __ex_table_start; e < __ex_table_end; e++)
			if (e->insn == f->rip) {
				f->rip = e->fixup;
				f->rax = 0x100 | f->vector;
				return;
			}
		panic_frame(f);
	}
out:
	if (user)
		user_return(f);
}

void trap_init(void)
{
	u64 t = (u64)&tss;
	gdt[6] = (sizeof tss - 1) | ((t & 0xffffff) << 16) | (0x89ull << 40) | (((t >> 24) & 0xff) << 56);
	gdt[7] = t >> 32;
	desc_load(gdt, sizeof gdt, idt, 0);
	__asm__ volatile("ltr %w0" : : "r"(SEL_TSS));
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	wrmsr(MSR_STAR, ((u64)SEL_UCODE32 << 48) | ((u64)SEL_KCODE << 32));
	wrmsr(MSR_LSTAR, (u64)syscall_entry);
	wrmsr(MSR_SFMASK, 0x47700);                            /* TF IF DF NT AC */
}

u64 probe(int which, u64 arg)
{
	switch (which) {
	case PROBE_READ64: return probe_read64(arg);
	case PROBE_VMRUN: return probe_vmrun();
	case PROBE_VMLOAD: return probe_vmload();
	case PROBE_VMSAVE: return probe_vmsave();
	case PROBE_STGI: return probe_stgi();
	case PROBE_CLGI: return probe_clgi();
	case PROBE_SKINIT: return probe_skinit();
	case PROBE_VMXON: return probe_vmxon(arg);
	case PROBE_RDMSR: return probe_rdmsr((u32)arg);
	case PROBE_WRMSR_EFER_SVME: return probe_efer_svme();
	}
	return 0;
}
