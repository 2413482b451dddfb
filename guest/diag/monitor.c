/*
 * The built-in monitor (guest ring 0): a line-oriented prompt on the console
 * with diagnostic commands that the boot tests drive.  It is the host
 * partition's shell until the userland exists, and stays as a fallback.
 */
#include "../../lib/fmt.h"
#include "../../lib/string.h"
#include "../../lib/traps.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/x86.h"
#include "bh/bh.h"
#include "diag/diag.h"

#define PROMPT "bh> "
#define MAX_ARGS 6

static int parse(const char *s, u64 *v)
{
	unsigned long long x;
	if (bh_parse_u64(s, &x))
		return -1;
	*v = x;
	return 0;
}

static void cmd_help(int argc, char **argv);

static void cmd_hv(int argc, char **argv)
{
	(void)argc, (void)argv;
	u64 a[4] = { 0 }, out[3];
	s64 r = hcall_ret(BH_HC_IDENTIFY, a, out);
	kprintf("hypervisor: %s\nbackend: %s\nhypercall: %s\npartition: %llu (%s)\nidentify: %lld\n",
		hv_signature, out[0] == BH_BACKEND_SVM ? "AMD-V (SVM)" : out[0] == BH_BACKEND_VMX ? "VT-x (VMX)" : "?",
		hv_insn == BH_HCINSN_VMMCALL ? "vmmcall" : "vmcall", out[1], out[2] == BH_ROLE_HOST ? "host" : "utility", r);
}

static const char *mem_type(u32 t)
{
	static const char *const names[] = { "?", "usable", "reserved", "acpi", "nvs", "mmio", "hv",
					     "kernel", "module", "bootdata" };
	return t < BH_ARRAY_SIZE(names) ? names[t] : "?";
}

static struct bh_stats stats;

static void cmd_mem(int argc, char **argv)
{
	(void)argc, (void)argv;
	u64 ram = 0;
	for (u32 i = 0; i < boot_info->nr_mem; i++) {
		const struct bh_mem_range *r = &boot_info->mem[i];
		kprintf("  %016llx-%016llx %-8s %llu KiB\n", r->base, r->base + r->size - 1, mem_type(r->type), r->size >> 10);
		if (r->type == BH_MEM_USABLE || r->type >= BH_MEM_KERNEL)
			ram += r->size;
	}
	kprintf("partition RAM: %llu MiB\n", ram >> 20);
	kprintf("guest pages: %llu total, %llu free\n", pages_total, pages_free);
	if (hcall(BH_HC_STATS, v2p(&stats), sizeof stats, 0, 0) > 0)
		kprintf("hv: %llu pages total, %llu free, %llu hv, %llu host\n", stats.pages_total, stats.pages_free,
			stats.pages_hv, stats.pages_host);
}

static void cmd_peek(int argc, char **argv)
{
	u64 addr;
	if (argc != 2 || parse(argv[1], &addr)) {
		kprintf("usage: peek ADDR\n");
		return;
	}
	u64 r = addr < DIRECT_SIZE ? probe(PROBE_READ64, (u64)p2v(addr)) : 0x100 | 14;
	if (r)
		kprintf("peek 0x%llx: fault %s\n", addr, trap_name(r & 0xff));
	else
		kprintf("peek 0x%llx: 0x%016llx\n", addr, probe_value);
}

static void cmd_hc(int argc, char **argv)
{
	u64 nr, a[4] = { 0 }, out[3];
	if (argc < 2 || argc > 6 || parse(argv[1], &nr)) {
		kprintf("usage: hc NR [ARG1..ARG4]\n");
		return;
	}
	for (int i = 2; i < argc; i++)
		if (parse(argv[i], &a[i - 2])) {
			kprintf("hc: bad number '%s'\n", argv[i]);
			return;
		}
	s64 r = hcall_ret(nr, a, out);
	kprintf("hc %llu -> %lld\n", nr, r);
}

static const struct {
	const char *name;
	int which;
} probes[] = {
	{ "vmrun", PROBE_VMRUN }, { "vmload", PROBE_VMLOAD }, { "vmsave", PROBE_VMSAVE },
	{ "stgi", PROBE_STGI },   { "clgi", PROBE_CLGI },     { "skinit", PROBE_SKINIT },
	{ "vmxon", PROBE_VMXON }, { "efer-svme", PROBE_WRMSR_EFER_SVME },
};

static void cmd_probe(int argc, char **argv)
{
	u64 msr;
	if (argc == 3 && !strcmp(argv[1], "rdmsr") && !parse(argv[2], &msr)) {
		u64 r = probe(PROBE_RDMSR, msr);
		if (r)
			kprintf("probe rdmsr 0x%llx: %s\n", msr, trap_name(r & 0xff));
		else
			kprintf("probe rdmsr 0x%llx: 0x%llx\n", msr, probe_value);
		return;
	}
	for (u32 i = 0; argc == 2 && i < BH_ARRAY_SIZE(probes); i++)
		if (!strcmp(argv[1], probes[i].name)) {
			static u8 region[4096] __attribute__((aligned(4096)));
			u64 r = probe(probes[i].which, (u64)region);
			kprintf("probe %s: %s\n", probes[i].name, r ? trap_name(r & 0xff) : "no fault");
			return;
		}
	kprintf("usage: probe vmrun|vmload|vmsave|stgi|clgi|skinit|vmxon|efer-svme|rdmsr MSR\n");
}

static void cmd_cpuid(int argc, char **argv)
{
	u64 leaf, sub = 0;
	if (argc < 2 || argc > 3 || parse(argv[1], &leaf) || (argc == 3 && parse(argv[2], &sub))) {
		kprintf("usage: cpuid LEAF [SUBLEAF]\n");
		return;
	}
	u32 a, b, c, d;
	cpuid((u32)leaf, (u32)sub, &a, &b, &c, &d);
	kprintf("cpuid 0x%llx: eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x\n", leaf, a, b, c, d);
}

static void cmd_timer(int argc, char **argv)
{
	u64 hz, ms;
	if (argc != 3 || parse(argv[1], &hz) || parse(argv[2], &ms) || !hz || hz > 10000 || ms > 60000) {
		kprintf("usage: timer HZ MS   (1..10000 Hz, up to 60000 ms)\n");
		return;
	}
	u64 old = timer_hz;
	timer_start(hz);
	u64 t0 = rdtsc(), n0 = ticks, span = boot_info->tsc_hz / 1000 * ms;
	while (rdtsc() - t0 < span)
		__asm__ volatile("sti; nop; hlt");
	u64 n = ticks - n0;
	timer_start(old);
	kprintf("timer: %llu interrupts in %llu ms at %llu Hz (expected %llu)\n", n, ms, hz, hz * ms / 1000);
}

static void cmd_stats(int argc, char **argv)
{
	(void)argc, (void)argv;
	static const char *const exits[BH_EXIT_COUNT] = {
		[BH_EXIT_HYPERCALL] = "hypercall", [BH_EXIT_CPUID] = "cpuid", [BH_EXIT_MSR_READ] = "rdmsr",
		[BH_EXIT_MSR_WRITE] = "wrmsr", [BH_EXIT_IO] = "io", [BH_EXIT_PAGE_FAULT] = "npf",
		[BH_EXIT_HLT] = "hlt", [BH_EXIT_INTR] = "intr", [BH_EXIT_VIRT_INSN] = "virt-insn",
		[BH_EXIT_TRIPLE_FAULT] = "triple-fault", [BH_EXIT_TIMER] = "timer",
		[BH_EXIT_INTR_WINDOW] = "intr-window", [BH_EXIT_INVALID] = "invalid",
		[BH_EXIT_XSETBV] = "xsetbv", [BH_EXIT_WBINVD] = "wbinvd", [BH_EXIT_RDPMC] = "rdpmc",
		[BH_EXIT_MWAIT] = "mwait", [BH_EXIT_NMI] = "nmi", [BH_EXIT_MCE] = "machine-check",
	};
	s64 n = hcall(BH_HC_STATS, v2p(&stats), sizeof stats, 0, 0);
	if (n < 0) {
		kprintf("stats: error %lld\n", n);
		return;
	}
	kprintf("hv image: %llu bytes\nhv memory: %llu KiB\nfree memory: %llu KiB\nhost memory: %llu KiB\n",
		stats.hv_image_bytes, stats.pages_hv * 4, stats.pages_free * 4, stats.pages_host * 4);
	for (int i = 1; i < BH_EXIT_COUNT; i++)
		if (stats.exits[i])
			kprintf("exit %-12s %llu\n", exits[i], stats.exits[i]);
	for (int i = 0; i < BH_HC_COUNT; i++)
		kprintf("hypercall %d: %llu\n", i, stats.hypercalls[i]);
}

static void cmd_log(int argc, char **argv)
{
	(void)argc, (void)argv;
	static char buf[1024];
	u64 pos = 0;
	for (s64 n; (n = hcall(BH_HC_LOG_READ, v2p(buf), sizeof buf, pos, 0)) > 0; pos += (u64)n)
		console_write(buf, (u64)n);
}

/* `bench [N [msr]]`: N null (identify) hypercalls, or N reads of EFER (an MSR
 * hv emulates): the round trip of the cheapest exit of each kind. */
static void cmd_bench(int argc, char **argv)
{
	u64 n = 10000;
	int msr = argc == 3 && !strcmp(argv[2], "msr");
	if (argc > 3 || (argc == 3 && !msr) || (argc >= 2 && parse(argv[1], &n)) || !n) {
		kprintf("usage: bench [N [msr]]   (N null hypercalls, or N exits for an MSR read)\n");
		return;
	}
	u64 t0 = rdtsc();
	for (u64 i = 0; i < n; i++) {
		u64 rax = BH_HC_IDENTIFY; /* the cheapest call: three registers back */
		if (msr)
			__asm__ volatile("rdmsr" : "=a"(rax) : "c"(0xc0000080) : "rdx", "memory");
		else if (hv_insn == BH_HCINSN_VMMCALL)
			__asm__ volatile("vmmcall" : "+a"(rax) : : "rdi", "rsi", "rdx", "r10", "memory");
		else
			__asm__ volatile("vmcall" : "+a"(rax) : : "rdi", "rsi", "rdx", "r10", "memory");
	}
	u64 t = rdtsc() - t0;
	kprintf("bench: %llu %s, %llu TSC ticks, %llu per call\n", n, msr ? "MSR reads" : "null hypercalls", t, t / n);
}

static const struct {
	const char *name, *help;
	void (*fn)(int argc, char **argv);
} cmds[] = {
	{ "help", "this list", cmd_help },
	{ "hv", "hypervisor identity and backend", cmd_hv },
	{ "mem", "this partition's memory map and hv's page counts", cmd_mem },
	{ "peek", "ADDR: read 8 bytes of guest-physical memory", cmd_peek },
	{ "hc", "NR [ARGS]: issue a raw hypercall", cmd_hc },
	{ "probe", "INSN: run a virtualization instruction, report the fault", cmd_probe },
	{ "cpuid", "LEAF [SUB]: what this partition's CPUID says", cmd_cpuid },
	{ "timer", "HZ MS: count timer interrupts at a rate", cmd_timer },
	{ "stats", "hv memory and exit statistics", cmd_stats },
	{ "log", "print hv's log", cmd_log },
	{ "bench", "[N [msr]]: time N null hypercalls (or MSR-read exits)", cmd_bench },
	{ "part", "utility partitions: list, run, create, start, stop, destroy", cmd_part },
};

static void cmd_help(int argc, char **argv)
{
	(void)argc, (void)argv;
	for (u32 i = 0; i < BH_ARRAY_SIZE(cmds); i++)
		kprintf("  %-6s %s\n", cmds[i].name, cmds[i].help);
}

/* Prints what utility partitions wrote to their consoles since last time. */
static int relay_partitions(void)
{
	static char buf[512];
	static u64 pos;
	u64 a[4] = { v2p(buf), sizeof buf, pos, 0 }, out[3];
	s64 n;
	int any = 0;
	while ((n = hcall_ret(BH_HC_CONSOLE_READ, a, out)) > 0) {
		if (!any)
			console_write("\r", 1);
		console_write(buf, (u64)n);
		a[2] = pos = out[0];
		any = 1;
	}
	return any;
}

static int read_line(char *buf, int size)
{
	int n = 0;
	for (;;) {
		int c = console_poll();
		if (c < 0) { /* idle: relay the partitions' lines while nothing is typed */
			if (!n && relay_partitions())
				console_write(PROMPT, sizeof PROMPT - 1);
			__asm__ volatile("sti; nop; hlt" ::: "memory");
			continue;
		}
		if (c == '\r' || c == '\n') {
			console_write("\n", 1);
			buf[n] = 0;
			return n;
		}
		if ((c == 0x7f || c == 8) && n) {
			n--;
			console_write("\b \b", 3);
		} else if (c >= 0x20 && c < 0x7f && n < size - 1) {
			buf[n++] = (char)c;
			console_write((char *)&c, 1);
		}
	}
}

void monitor_run(void)
{
	static char line[256];
	console_raw = 1; /* the UART is ours, not the tty's */
	kprintf("guest: ready, %llu TSC ticks since hv entry\n", rdtsc() - boot_info->hv_entry_tsc);
	for (;;) {
		console_write(PROMPT, sizeof PROMPT - 1);
		read_line(line, sizeof line);
		char *argv[MAX_ARGS + 1];
		int argc = 0;
		for (char *p = line; *p;) {
			while (*p == ' ')
				*p++ = 0;
			if (!*p)
				break;
			if (argc == MAX_ARGS) {
				argc = -1;
				break;
			}
			argv[argc++] = p;
			while (*p && *p != ' ')
				p++;
		}
		if (argc == 0)
			continue;
		if (argc < 0) {
			kprintf("too many arguments\n");
			continue;
		}
		u32 i = 0;
		while (i < BH_ARRAY_SIZE(cmds) && strcmp(argv[0], cmds[i].name))
			i++;
		if (i == BH_ARRAY_SIZE(cmds))
			kprintf("%s: unknown command (try help)\n", argv[0]);
		else
			cmds[i].fn(argc, argv);
	}
}
