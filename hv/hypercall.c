/*
 * Hypercalls (root mode): number in RAX, arguments in RDI, RSI, RDX, R10, result
 * in RAX.  Every guest-physical range is checked with part_ram() before hv
 * touches it; every length is bounded.  See include/bulkhead/hypercall.h.
 */
#include "../lib/string.h"
#include "part.h"
#include "pmem.h"
#include "x86.h"

static s64 hc_identify(struct vcpu *v)
{
	v->r.rdi = vcpu_ops->backend;
	v->r.rsi = v->part->id;
	v->r.rdx = v->part->role;
	return 0;
}

static s64 hc_console_write(struct vcpu *v)
{
	u64 gpa = v->r.rdi, len = v->r.rsi;
	if (len > BH_CONSOLE_MAX)
		return BH_E2BIG;
	const char *s = part_ram(v->part, gpa, len);
	if (!s)
		return BH_EFAULT;
	serial_write(s, len);
	return (s64)len;
}

static s64 hc_timer_set(struct vcpu *v)
{
	v->deadline = v->r.rdi;
	timer_arm(v->deadline);
	return 0;
}

static s64 hc_yield(struct vcpu *v)
{
	(void)v; /* one partition runs for now: nobody to yield to */
	return 0;
}

static s64 hc_log_read(struct vcpu *v)
{
	u64 gpa = v->r.rdi, len = v->r.rsi, pos = v->r.rdx;
	if (len > (1u << 20))
		return BH_E2BIG;
	void *dst = part_ram(v->part, gpa, len);
	if (!dst)
		return BH_EFAULT;
	return (s64)log_read(dst, len, pos);
}

static s64 hc_stats(struct vcpu *v)
{
	u64 gpa = v->r.rdi, len = v->r.rsi;
	if (len > sizeof(struct bh_stats))
		len = sizeof(struct bh_stats);
	void *dst = part_ram(v->part, gpa, len);
	if (!dst)
		return BH_EFAULT;
	hv_stats.tsc_hz = tsc_hz;
	hv_stats.pages_total = hv_pmem.total;
	hv_stats.pages_free = hv_pmem.free;
	hv_stats.pages_hv = hv_pages_used + (hv_image_bytes >> BH_PAGE_SHIFT);
	hv_stats.pages_host = v->part->ram_pages;
	hv_stats.hv_image_bytes = hv_image_bytes;
	hv_stats.log_bytes = log_total();
	memcpy(dst, &hv_stats, len);
	return (s64)len;
}

static s64 (*const calls[BH_HC_COUNT])(struct vcpu *) = {
	[BH_HC_IDENTIFY] = hc_identify,
	[BH_HC_CONSOLE_WRITE] = hc_console_write,
	[BH_HC_TIMER_SET] = hc_timer_set,
	[BH_HC_YIELD] = hc_yield,
	[BH_HC_LOG_READ] = hc_log_read,
	[BH_HC_STATS] = hc_stats,
};

void hypercall(struct vcpu *v)
{
	u64 nr = v->r.rax;
	if (nr >= BH_HC_COUNT) {
		v->r.rax = (u64)BH_ENOSYS;
		return;
	}
	hv_stats.hypercalls[nr]++;
	v->r.rax = (u64)calls[nr](v);
}
