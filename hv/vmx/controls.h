/*
 * VMX execution controls from the capability MSRs (pure code: hv root mode and
 * host unit tests).  Each control word comes with a capability MSR whose low
 * half has a 1 for every control that must be 1 (allowed-0 settings) and whose
 * high half has a 0 for every control that must be 0 (allowed-1 settings).
 */
#ifndef BULKHEAD_HV_VMX_CONTROLS_H
#define BULKHEAD_HV_VMX_CONTROLS_H

#include <bulkhead/types.h>

/* The capability MSRs, the TRUE variants where IA32_VMX_BASIC offers them;
 * proc2 is 0 when the secondary controls cannot be activated. */
struct vmx_caps {
	u64 pin, proc, proc2, exit, entry;
};

struct vmx_ctls {
	u32 pin, proc, proc2, exit, entry;
};

/* What one control word must, may and must not have.  toggle: set and
 * cleared at run time, so it must be allowed either way; it starts clear. */
struct vmx_want {
	u32 on, maybe, off, toggle;
};

/* One word: 0 and *ctl, or -1 if the CPU cannot give what w asks. */
int vmx_control(u64 cap, const struct vmx_want *w, u32 *ctl);
/* Every word Bulkhead's VMX backend runs with: 0, or -1 with *bad naming the
 * first word that cannot be had ("pin-based", ...). */
int vmx_controls(const struct vmx_caps *c, struct vmx_ctls *out, const char **bad);

#endif
