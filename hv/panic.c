/* The panic path (root mode): print what is known, then stop the CPU for good
 * with interrupts off.  Used for hv's own faults and a host partition that can
 * no longer run. */
#include <stdarg.h>
#include "../lib/fmt.h"
#include "part.h"
#include "../lib/x86.h"

static void __attribute__((noreturn)) stop(void)
{
	hv_printf("hv: system halted\n");
	for (;;)
		__asm__ volatile("cli; hlt");
}

static void vprint(const char *fmt, va_list ap)
{
	char buf[768];
	bh_vsnprintf(buf, sizeof buf, fmt, ap);
	hv_printf("\nhv: PANIC: %s\n", buf);
}

void panic(const char *fmt, ...)
{
	va_list ap;
	cli();
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
	stop();
}

void panic_vcpu(struct vcpu *v, const char *fmt, ...)
{
	va_list ap;
	cli();
	va_start(ap, fmt);
	vprint(fmt, ap);
	va_end(ap);
	const struct vcpu_regs *r = &v->r;
	hv_printf("  guest rip %016llx rsp %016llx rflags %016llx\n"
		  "  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
		  "  rsi %016llx rdi %016llx rbp %016llx r8  %016llx\n"
		  "  cr0 %016llx cr3 %016llx cr4 %016llx efer %016llx\n",
		  vcpu_ops->get(v, VREG_RIP), vcpu_ops->get(v, VREG_RSP), vcpu_ops->get(v, VREG_RFLAGS),
		  r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi, r->rbp, r->r8,
		  vcpu_ops->get(v, VREG_CR0), vcpu_ops->get(v, VREG_CR3), vcpu_ops->get(v, VREG_CR4),
		  vcpu_ops->get(v, VREG_EFER));
	vcpu_ops->dump(v);
	stop();
}
