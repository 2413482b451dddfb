/*
 * The monitor's `part` command (guest ring 0, host partition): utility
 * partitions through hv's management hypercalls, until the bulkhead tool does it.
 */
#include "../lib/fmt.h"
#include "../lib/string.h"
#include "kernel.h"
#include "mm.h"

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
			"       | stop ID | destroy ID | mem ID BYTES | grant ID HOSTADDR BYTES GUESTADDR\n");
		return;
	}
	kprintf("part %s -> %lld\n", op, r);
}
