/*
 * The monitor's `part` command (guest ring 0, host partition): utility
 * partitions through hv's management hypercalls, until the bulkhead tool does it.
 */
#include "../../lib/fmt.h"
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "bh/bh.h"
#include "diag/diag.h"

static const char *const states[] = { "?", "created", "running", "stopped", "crashed" };

static int num(const char *s, u64 *v)
{
	unsigned long long x;
	if (!s || bh_parse_u64(s, &x))
		return 0;
	*v = x;
	return 1;
}

static void list(void)
{
	static u32 ids[BH_PART_MAX];
	static struct bh_part_info info;
	s64 n = hcall(BH_HC_PART_LIST, v2p(ids), BH_PART_MAX, 0, 0);
	kprintf("%-4s %-16s %-8s %-8s %10s %8s %s\n", "ID", "NAME", "TYPE", "STATE", "MEMORY", "HV", "REASON");
	for (s64 i = 0; i < n && i < BH_PART_MAX; i++) {
		if (hcall(BH_HC_PART_QUERY, ids[i], v2p(&info), 0, 0))
			continue;
		kprintf("%-4u %-16s %-8s %-8s %8llu K %6llu K %s\n", info.id, info.name,
			info.role == BH_ROLE_HOST ? "host" : "utility", states[info.state < 5 ? info.state : 0],
			info.ram_pages * 4, info.hv_pages * 4, info.reason);
	}
	kprintf("%lld partitions\n", n);
}

/* hv's free pages, or -1. */
static s64 free_pages(void)
{
	static struct bh_stats st;
	return hcall(BH_HC_STATS, v2p(&st), sizeof st, 0, 0) < 0 ? -1 : (s64)st.pages_free;
}

/* `part soak N`: N cycles of create -> run -> crash -> destroy, the crash
 * alternating between a triple fault, a forbidden hypercall and an access
 * outside its memory; each must be reported as such, and hv must end with
 * exactly the free pages it started with. */
static void soak(u64 n)
{
	static const struct { const char *word, *reason; } how[] = {
		{ "crash", "triple fault" }, { "hc=6", "forbidden hypercall 6" },
		{ "peek=0x10000000", "access to gpa 0x10000000 denied" },
	};
	static struct bh_part_create req;
	static struct bh_part_info info;
	s64 before = free_pages();
	u64 t0 = now_ns(), ok = 0;
	for (u64 i = 0; i < n; i++) {
		memset(&req, 0, sizeof req);
		bh_snprintf(req.name, sizeof req.name, "soak%llu", i);
		bh_snprintf(req.cmdline, sizeof req.cmdline, "%s", how[i % 3].word);
		req.memory = 8ull << 20;
		req.vcpus = 1;
		s64 id = hcall(BH_HC_PART_CREATE, v2p(&req), 0, 0, 0);
		if (id <= 0 || hcall(BH_HC_PART_START, (u64)id, 0, 0, 0)) {
			kprintf("soak: cycle %llu: create/start -> %lld\n", i, id);
			break;
		}
		u64 deadline = now_ns() + 10000000000ull;
		while (!hcall(BH_HC_PART_QUERY, (u64)id, v2p(&info), 0, 0) && info.state == BH_PART_RUNNING &&
		       now_ns() < deadline)
			hcall(BH_HC_YIELD, 0, 0, 0, 0);
		if (info.state == BH_PART_CRASHED && !memcmp(info.reason, how[i % 3].reason, strlen(how[i % 3].reason)))
			ok++;
		else
			kprintf("soak: cycle %llu (%s): state %u, '%s'\n", i, how[i % 3].word, info.state, info.reason);
		hcall(BH_HC_PART_DESTROY, (u64)id, 0, 0, 0);
	}
	kprintf("soak: %llu cycles, %llu crashed as asked, free pages %lld -> %lld, %llu ms\n", n, ok, before,
		free_pages(), (now_ns() - t0) / 1000000);
}

void cmd_part(int argc, char **argv)
{
	static struct bh_part_create req;
	u64 a, b, c, d;
	const char *op = argc > 1 ? argv[1] : "";
	s64 r;
	if (!strcmp(op, "list") && argc == 2) {
		list();
		return;
	}
	if (!strcmp(op, "soak") && argc == 3 && num(argv[2], &a)) {
		soak(a);
		return;
	}
	if ((!strcmp(op, "create") || !strcmp(op, "run")) && argc >= 4 && num(argv[3], &a)) {
		memset(&req, 0, sizeof req);
		bh_snprintf(req.name, sizeof req.name, "%s", argv[2]);
		req.memory = a << 20;
		req.vcpus = 1;
		for (int i = 4, n = 0; i < argc; i++)
			n += bh_snprintf(req.cmdline + n, sizeof req.cmdline - (u64)n, i > 4 ? " %s" : "%s", argv[i]);
		r = hcall(BH_HC_PART_CREATE, v2p(&req), 0, 0, 0);
		if (r > 0 && op[0] == 'r') {
			s64 s = hcall(BH_HC_PART_START, (u64)r, 0, 0, 0);
			if (s < 0)
				r = s;
		}
	} else if (!strcmp(op, "start") && argc == 3 && num(argv[2], &a)) {
		r = hcall(BH_HC_PART_START, a, 0, 0, 0);
	} else if (!strcmp(op, "stop") && argc == 3 && num(argv[2], &a)) {
		r = hcall(BH_HC_PART_STOP, a, 0, 0, 0);
	} else if (!strcmp(op, "destroy") && argc == 3 && num(argv[2], &a)) {
		r = hcall(BH_HC_PART_DESTROY, a, 0, 0, 0);
	} else if (!strcmp(op, "mem") && argc == 4 && num(argv[2], &a) && num(argv[3], &b)) {
		r = hcall(BH_HC_PART_GRANT_MEM, a, b, 0, 0);
	} else if (!strcmp(op, "grant") && argc == 6 && num(argv[2], &a) && num(argv[3], &b) && num(argv[4], &c) &&
		   num(argv[5], &d)) {
		r = hcall(BH_HC_PART_GRANT_RO, a, b, c, d);
	} else {
		kprintf("usage: part list | run NAME MIB [CMDLINE] | create NAME MIB [CMDLINE] | start ID\n"
			"       | stop ID | destroy ID | mem ID BYTES | grant ID HOSTADDR BYTES GUESTADDR | soak N\n");
		return;
	}
	kprintf("part %s -> %lld\n", op, r);
}
