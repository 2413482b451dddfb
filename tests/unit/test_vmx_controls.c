/* Host unit test: the VMX controls computed from capability MSR values
 * (hv/vmx/controls.c), including the combinations hv must refuse. */
#include "check.h"
#include "../../hv/vmx/controls.h"
#include "../../hv/vmx/vmcs.h"

static u64 cap(u32 must, u32 may) { return (u64)may << 32 | must; }

/* Like a recent CPU's TRUE capabilities: reserved bits forced on, the rest free. */
static struct vmx_caps good(void)
{
	return (struct vmx_caps){
		.pin = cap(0x16, 0xff),
		.proc = cap(0x0401e172 & ~(PROC_CR3_LOAD_EXIT | PROC_CR3_STORE_EXIT), 0xfff9fffe),
		.proc2 = cap(0, 0x005bffff),
		.exit = cap(0x00036dfb & ~(1u << 2), 0x003fffff),
		.entry = cap(0x000011fb & ~(1u << 2), 0x0000ffff),
	};
}

static int refused(struct vmx_caps c, const char *word)
{
	struct vmx_ctls out;
	const char *bad = 0;
	return vmx_controls(&c, &out, &bad) == -1 && bad && !__builtin_strcmp(bad, word);
}

int main(int argc, char **argv)
{
	(void)argc;
	struct vmx_caps c = good();
	struct vmx_ctls o;
	const char *bad = "unset";
	CHECK(vmx_controls(&c, &o, &bad) == 0 && bad == 0);
	CHECK(o.pin == (0x16 | PIN_EXT_INTR_EXIT | PIN_NMI_EXIT));
	CHECK((o.proc & (PROC_HLT_EXIT | PROC_IO_BITMAPS | PROC_MSR_BITMAPS | PROC_SECONDARY)) ==
	      (PROC_HLT_EXIT | PROC_IO_BITMAPS | PROC_MSR_BITMAPS | PROC_SECONDARY));
	CHECK(!(o.proc & (PROC_INTR_WINDOW | PROC_CR3_LOAD_EXIT | PROC_UNCOND_IO_EXIT | PROC_RDTSC_EXIT)));
	CHECK((o.proc & (u32)c.proc) == (u32)c.proc); /* forced bits kept */
	CHECK((o.proc & (PROC_MWAIT_EXIT | PROC_MONITOR_EXIT | PROC_RDPMC_EXIT)) ==
	      (PROC_MWAIT_EXIT | PROC_MONITOR_EXIT | PROC_RDPMC_EXIT));
	CHECK(o.proc2 == (PROC2_EPT | PROC2_WBINVD_EXIT | PROC2_VPID | PROC2_RDTSCP | PROC2_INVPCID));
	CHECK((o.exit & (EXIT_HOST_64 | EXIT_LOAD_EFER | EXIT_SAVE_PAT | EXIT_LOAD_PAT)) ==
	      (EXIT_HOST_64 | EXIT_LOAD_EFER | EXIT_SAVE_PAT | EXIT_LOAD_PAT) && !(o.exit & EXIT_ACK_INTR));
	CHECK((o.entry & (ENTRY_GUEST_64 | ENTRY_LOAD_EFER | ENTRY_LOAD_PAT)) ==
	      (ENTRY_GUEST_64 | ENTRY_LOAD_EFER | ENTRY_LOAD_PAT));

	/* Optional controls the CPU lacks are left out, not refused. */
	c.proc2 = cap(0, PROC2_EPT | PROC2_WBINVD_EXIT | PROC2_RDTSCP);
	CHECK(vmx_controls(&c, &o, &bad) == 0 && o.proc2 == (PROC2_EPT | PROC2_WBINVD_EXIT | PROC2_RDTSCP));

	/* Refused: a needed control missing, or one hv does not handle forced on. */
	c = good(), c.proc2 = 0; /* no secondary controls: no EPT */
	CHECK(refused(c, "secondary processor-based"));
	c = good(), c.proc2 = cap(PROC2_XSAVES, 0xffffffff);
	CHECK(refused(c, "secondary processor-based"));
	c = good(), c.proc2 = cap(0, 0x005bffff & ~PROC2_WBINVD_EXIT); /* WBINVD would reach the CPU */
	CHECK(refused(c, "secondary processor-based"));
	c = good(), c.pin = cap(0x16, 0xff & ~PIN_NMI_EXIT); /* NMIs would land in partitions */
	CHECK(refused(c, "pin-based"));
	c = good(), c.pin = cap(0x16, 0x16);
	CHECK(refused(c, "pin-based"));
	c = good(), c.proc = cap(0x0401e172, 0xfff9fffe); /* non-TRUE: CR3 exits forced */
	CHECK(refused(c, "processor-based"));
	c = good(), c.proc = cap((u32)c.proc | PROC_INTR_WINDOW, 0xfff9fffe); /* window always on */
	CHECK(refused(c, "processor-based"));
	c = good(), c.proc = cap((u32)c.proc, 0xfff9fffe & ~PROC_INTR_WINDOW); /* window never */
	CHECK(refused(c, "processor-based"));
	c = good(), c.exit = cap((u32)c.exit | EXIT_ACK_INTR, 0x003fffff);
	CHECK(refused(c, "VM-exit"));
	c = good(), c.exit = cap((u32)c.exit, 0x003fffff & ~EXIT_LOAD_EFER);
	CHECK(refused(c, "VM-exit"));
	c = good(), c.entry = cap((u32)c.entry, 0x0000ffff & ~ENTRY_GUEST_64);
	CHECK(refused(c, "VM-entry"));

	/* One word alone: forced bits pass through, maybe only where allowed. */
	struct vmx_want w = { .on = 1, .maybe = 6, .off = 8 };
	u32 ctl;
	CHECK(vmx_control(cap(0x30, 0x35), &w, &ctl) == 0 && ctl == 0x35);
	CHECK(vmx_control(cap(0x38, 0x3f), &w, &ctl) == -1);
	CHECK(vmx_control(cap(0, 0x6), &w, &ctl) == -1);
	return check_summary(argv[0]);
}
