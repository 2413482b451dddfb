/*
 * The VMX controls Bulkhead runs with (see controls.h), computed from the
 * capability MSRs, never assumed.  Pure code: root mode and host unit tests.
 * Exits the backend does not decode are listed as `off`, so a CPU that would
 * force one of them on is refused at boot instead of failing at run time.
 */
#include "controls.h"
#include "vmcs.h"

int vmx_control(u64 cap, const struct vmx_want *w, u32 *ctl)
{
	u32 must = (u32)cap, may = (u32)(cap >> 32);
	if ((w->on | w->toggle) & ~may || (w->off | w->toggle) & must)
		return -1;
	*ctl = must | w->on | (w->maybe & may);
	return 0;
}

static const struct vmx_want want_pin = { .on = PIN_EXT_INTR_EXIT | PIN_NMI_EXIT }; /* both stay hv's */
static const struct vmx_want want_proc = {
	.on = PROC_HLT_EXIT | PROC_MWAIT_EXIT | PROC_RDPMC_EXIT | PROC_IO_BITMAPS | PROC_MSR_BITMAPS |
	      PROC_MONITOR_EXIT | PROC_SECONDARY,
	.toggle = PROC_INTR_WINDOW,
	.off = PROC_INVLPG_EXIT | PROC_RDTSC_EXIT | PROC_CR3_LOAD_EXIT | PROC_CR3_STORE_EXIT |
	       PROC_CR8_LOAD_EXIT | PROC_CR8_STORE_EXIT | PROC_MOV_DR_EXIT | PROC_UNCOND_IO_EXIT | PROC_PAUSE_EXIT,
};
static const struct vmx_want want_proc2 = {
	.on = PROC2_EPT | PROC2_WBINVD_EXIT,
	.maybe = PROC2_VPID | PROC2_RDTSCP | PROC2_INVPCID, /* else CPUID-listed insns #UD */
	.off = PROC2_XSAVES, /* partitions get no IA32_XSS: XSAVES is #UD */
};
/* DR7 and DEBUGCTL go with the vCPU; the interrupt is taken through hv's IDT
 * after the exit. */
static const struct vmx_want want_exit = {
	.on = EXIT_SAVE_DEBUG | EXIT_HOST_64 | EXIT_SAVE_PAT | EXIT_LOAD_PAT | EXIT_LOAD_EFER,
	.off = EXIT_ACK_INTR,
};
static const struct vmx_want want_entry = { .on = ENTRY_LOAD_DEBUG | ENTRY_GUEST_64 | ENTRY_LOAD_PAT | ENTRY_LOAD_EFER };

int vmx_controls(const struct vmx_caps *c, struct vmx_ctls *out, const char **bad)
{
	*bad = vmx_control(c->pin, &want_pin, &out->pin) ? "pin-based"
	     : vmx_control(c->proc, &want_proc, &out->proc) ? "processor-based"
	     : vmx_control(c->proc2, &want_proc2, &out->proc2) ? "secondary processor-based"
	     : vmx_control(c->exit, &want_exit, &out->exit) ? "VM-exit"
	     : vmx_control(c->entry, &want_entry, &out->entry) ? "VM-entry" : 0;
	return *bad ? -1 : 0;
}
