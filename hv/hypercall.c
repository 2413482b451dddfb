/*
 * Hypercalls (root mode): number in RAX, arguments in RDI, RSI, RDX, R10, result
 * in RAX.  Every guest-physical range is checked with part_ram() before hv
 * touches it; every length is bounded.  See include/bulkhead/hypercall.h.
 */
#include "../lib/fmt.h"
#include "../lib/string.h"
#include <bulkhead/channel.h>
#include "part.h"
#include "pmem.h"
#include "../lib/x86.h"

static s64 hc_identify(struct vcpu *v)
{
	v->r.rdi = vcpu_ops->backend;
	v->r.rsi = v->part->id;
	v->r.rdx = v->part->role;
	return 0;
}

/* The host writes to the console as it is; any other partition's lines are
 * marked with its name and escaped as the host driver escapes them
 * (bh_escape_byte), so it cannot move the operator's cursor or forge a line. */
static void console_text(const char *s, u64 len)
{
	for (u64 i = 0, j; i < len; i = j + 1) {
		char e[4];
		for (j = i; j < len && bh_escape_byte((u8)s[j], e) == 1; j++)
			;
		console_append(s + i, j - i);
		if (j < len)
			console_append(e, bh_escape_byte((u8)s[j], e));
	}
}

static s64 hc_console_write(struct vcpu *v)
{
	u64 gpa = v->r.rdi, len = v->r.rsi;
	if (len > BH_CONSOLE_MAX)
		return BH_E2BIG;
	const char *s = part_ram(v->part, gpa, len);
	if (!s)
		return BH_EFAULT;
	if (v->part->role == BH_ROLE_HOST) {
		serial_write(s, len);
		return (s64)len;
	}
	for (u64 i = 0, j; i < len; i = j) { /* each line marked with the partition's name */
		for (j = i; j < len && s[j++] != '\n';)
			;
		console_append("[", 1);
		console_append(v->part->name, strlen(v->part->name));
		console_append("] ", 2);
		console_text(s + i, j - i);
	}
	return (s64)len;
}

static s64 hc_timer_set(struct vcpu *v)
{
	v->deadline = v->r.rdi;
	sched_timer_update();
	return 0;
}

static s64 hc_yield(struct vcpu *v)
{
	(void)v;
	sched_yield();
	return 0;
}

/* LOG_READ and CONSOLE_READ: (gpa, len, pos) -> bytes copied, RDI = next pos. */
static s64 ring_call(struct vcpu *v, u64 (*read)(void *, u64, u64, u64 *))
{
	u64 gpa = v->r.rdi, len = v->r.rsi, pos = v->r.rdx;
	if (len > (1u << 20))
		return BH_E2BIG;
	void *dst = part_ram(v->part, gpa, len);
	if (!dst)
		return BH_EFAULT;
	return (s64)read(dst, len, pos, &v->r.rdi);
}

static s64 hc_log_read(struct vcpu *v) { return ring_call(v, log_read); }
static s64 hc_console_read(struct vcpu *v) { return ring_call(v, console_read); }

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

/* Partition management: hypercall() lets only the host partition get here. */
static s64 hc_part_create(struct vcpu *v)
{
	const struct bh_part_create *src = part_ram(v->part, v->r.rdi, sizeof *src);
	struct bh_part_create req;
	if (!src)
		return BH_EFAULT;
	memcpy(&req, src, sizeof req); /* one copy: the host cannot change it under us */
	return part_create(&req);
}

static s64 hc_part_grant_mem(struct vcpu *v) { return part_grant_mem((u32)v->r.rdi, v->r.rsi); }
static s64 hc_part_grant_ro(struct vcpu *v) { return part_grant_ro((u32)v->r.rdi, v->r.rsi, v->r.rdx, v->r.r10); }
static s64 hc_part_start(struct vcpu *v) { return v->r.rdi ? part_start((u32)v->r.rdi) : BH_EPERM; }
static s64 hc_part_stop(struct vcpu *v) { return v->r.rdi ? part_stop((u32)v->r.rdi) : BH_EPERM; }
static s64 hc_part_destroy(struct vcpu *v) { return v->r.rdi ? part_destroy((u32)v->r.rdi) : BH_EPERM; }

static s64 hc_part_channel(struct vcpu *v) { return part_channel((u32)v->r.rdi, v->r.rsi, v->r.rdx); }

/* The doorbell: the host rings any partition with a channel, the others only the host. */
static s64 hc_notify(struct vcpu *v)
{
	u64 id = v->r.rdi;
	if (v->part->role != BH_ROLE_HOST && id)
		return BH_EPERM;
	struct partition *p = id < BH_PART_MAX ? partitions[id] : 0;
	if (!p || p == v->part)
		return BH_ENOENT;
	if (p->state != BH_PART_RUNNING || (id && !p->chan_pages))
		return BH_EBUSY;
	sched_raise(p->vcpu, BH_VEC_CHANNEL);
	return 0;
}

static s64 hc_eoi(struct vcpu *v) { return irq_eoi(v->r.rdi); }

static s64 hc_part_query(struct vcpu *v)
{
	struct bh_part_info *out = part_ram(v->part, v->r.rsi, sizeof *out);
	if (v->r.rdi >= BH_PART_MAX)
		return BH_ENOENT;
	return out ? part_query((u32)v->r.rdi, out) : BH_EFAULT;
}

static s64 hc_part_list(struct vcpu *v)
{
	u64 max = v->r.rsi;
	if (max > BH_PART_MAX)
		max = BH_PART_MAX;
	u32 *ids = part_ram(v->part, v->r.rdi, max * sizeof *ids);
	if (!ids)
		return BH_EFAULT;
	s64 n = 0;
	for (u32 id = 0; id < BH_PART_MAX; id++)
		if (partitions[id] && (u64)n++ < max)
			ids[n - 1] = id;
	return n;
}

/* The table carries each call's policy: HOST calls are the host partition's
 * alone.  A utility partition that makes one is stopped ("forbidden
 * hypercall N"); the call's BH_EPERM is what a host-side reader of its state
 * sees.  See include/bulkhead/hypercall.h. */
#define HOST 1
static const struct {
	s64 (*fn)(struct vcpu *);
	u8 flags;
} calls[BH_HC_COUNT] = {
	[BH_HC_IDENTIFY] = { hc_identify, 0 },
	[BH_HC_CONSOLE_WRITE] = { hc_console_write, 0 },
	[BH_HC_TIMER_SET] = { hc_timer_set, 0 },
	[BH_HC_YIELD] = { hc_yield, 0 },
	[BH_HC_LOG_READ] = { hc_log_read, HOST },
	[BH_HC_STATS] = { hc_stats, HOST },
	[BH_HC_PART_CREATE] = { hc_part_create, HOST },
	[BH_HC_PART_GRANT_MEM] = { hc_part_grant_mem, HOST },
	[BH_HC_PART_GRANT_RO] = { hc_part_grant_ro, HOST },
	[BH_HC_PART_START] = { hc_part_start, HOST },
	[BH_HC_PART_STOP] = { hc_part_stop, HOST },
	[BH_HC_PART_DESTROY] = { hc_part_destroy, HOST },
	[BH_HC_PART_QUERY] = { hc_part_query, HOST },
	[BH_HC_PART_LIST] = { hc_part_list, HOST },
	[BH_HC_CONSOLE_READ] = { hc_console_read, HOST },
	[BH_HC_PART_CHANNEL] = { hc_part_channel, HOST },
	[BH_HC_NOTIFY] = { hc_notify, 0 },
	[BH_HC_EOI] = { hc_eoi, HOST },
};

void hypercall(struct vcpu *v)
{
	u64 nr = v->r.rax;
	if (nr >= BH_HC_COUNT) {
		v->r.rax = (u64)BH_ENOSYS;
		return;
	}
	hv_stats.hypercalls[nr]++;
	if ((calls[nr].flags & HOST) && v->part->role != BH_ROLE_HOST) {
		v->r.rax = (u64)BH_EPERM;
		return part_crash(v->part, "forbidden hypercall %llu", nr);
	}
	v->r.rax = (u64)calls[nr].fn(v);
}
