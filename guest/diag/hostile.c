/*
 * A hostile utility partition (guest ring 0, utility role): the command-line
 * words with which the hostile-guest tests (tests/guest/test_hostile.py)
 * attack hv from inside a partition.  Each tries what a partition may not do,
 * or may do only to its own state, and prints what happened.  The first five
 * are parsed by tools outside this repository: keep their output exactly.
 * Numbers are hex, lower case, 0x, no leading zeros; a fault is named as the
 * SDM names it (#GP, #UD, ...).
 *
 *   wrmsr=0xADDR:0xVAL  "wrmsr 0xADDR: ok" or "wrmsr 0xADDR: #GP"
 *   rdmsr=0xADDR        "rdmsr 0xADDR = 0xVAL" or "rdmsr 0xADDR: #GP"
 *   insn=NAME           "insn NAME: ok", "insn NAME: #UD" or "insn NAME: #GP"
 *   xcr0=0xVAL          "xcr0 0xVAL: ok" or the fault (CR4.OSXSAVE is set first)
 *   dr7=0xVAL           "dr7 0xVAL: ok" or the fault; dr0..dr3 and dr6 alike
 *
 *   msrsweep=0xLO:0xHI:0xVAL  writes VAL to every MSR in [LO, HI]; prints
 *       "msrsweep 0xLO:0xHI: N ok, M faulted", then "msrsweep ok 0xADDR" for
 *       each MSR that took it (it keeps the value: this is the writer).
 *   msrfind=0xLO:0xHI:0xVAL   reads every MSR in [LO, HI]; prints
 *       "msrfind 0xLO:0xHI: N read, M faulted, K hold 0xVAL", then
 *       "msrfind 0xADDR = 0xVAL" for each of the K.
 *   xfill=0xBYTE   BYTE everywhere in the x87, SSE, AVX and AVX-512
 *       registers (XCR0 at its widest), DR0-DR3 and TSC_AUX; then lets the
 *       other partitions run for 200 ms and looks again:
 *       "xfill 0xBYTE: N quadwords, kept" or "xfill 0xBYTE: N quadwords, lost K".
 *   xcheck=0xBYTE  the same registers, read: "xcheck 0xBYTE: K of N quadwords hold it".
 *   say=HEX        the bytes HEX spells (controls, escapes) as one console line
 *   flood=KIB      KIB KiB of console text as fast as the channel takes it
 * (utility.c has `scribble`, which breaks the channel's ring indices.)
 */
#include "../../lib/fmt.h"
#include "../../lib/string.h"
#include "../../lib/traps.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "core/x86.h"
#include "bh/bh.h"
#include "diag/diag.h"

static void (*say)(const char *fmt, ...);

static int prefix(const char *s, const char *p) { return !memcmp(s, p, strlen(p)); }

static const char *fault(u64 r) { return trap_name(r & 0xff); }

/* "0xA:0xB" or "0xA:0xB:0xC": the numbers, 0 when tok does not parse. */
static int numbers(const char *tok, u64 *out, int n)
{
	char buf[64];
	u64 len = strlen(tok);
	if (len >= sizeof buf)
		return 0;
	memcpy(buf, tok, len + 1);
	char *p = buf;
	for (int i = 0; i < n; i++) {
		char *q = p;
		while (*q && *q != ':')
			q++;
		if ((*q == ':') != (i < n - 1))
			return 0;
		*q = 0;
		unsigned long long x;
		if (bh_parse_u64(p, &x))
			return 0;
		out[i] = x;
		p = q + 1;
	}
	return 1;
}

/* CR4.OSXSAVE, so that XSETBV and XSAVE work: 0, or -1 without XSAVE. */
static int osxsave(void)
{
	u32 a, b, c, d;
	cpuid(1, 0, &a, &b, &c, &d);
	if (!(c & (1u << 26)))
		return -1;
	write_cr4(read_cr4() | CR4_OSXSAVE);
	return 0;
}

static const struct {
	const char *name;
	u64 (*probe)(void);
} insns[] = {
	{ "invd", probe_invd }, { "wbinvd", probe_wbinvd }, { "mwait", probe_mwait }, { "rdpmc", probe_rdpmc },
	{ "rdtscp", probe_rdtscp }, { "invlpga", probe_invlpga }, { "vmrun", probe_vmrun },
	{ "vmload", probe_vmload }, { "vmsave", probe_vmsave }, { "stgi", probe_stgi }, { "clgi", probe_clgi },
	{ "skinit", probe_skinit },
};

static void insn(const char *name)
{
	static u64 target;
	u64 r = 1;
	if (!strcmp(name, "monitor"))
		r = probe_monitor(&target);
	else if (!strcmp(name, "xsetbv"))
		r = osxsave() ? 0x100 | 6 : probe_xsetbv(1); /* x87 alone: always valid */
	else if (!strcmp(name, "vmxon"))
		r = probe_vmxon(v2p(&target));
	for (u32 i = 0; r == 1 && i < BH_ARRAY_SIZE(insns); i++)
		if (!strcmp(name, insns[i].name))
			r = insns[i].probe();
	if (r == 1)
		say("insn %s: unknown (invd wbinvd xsetbv monitor mwait rdpmc rdtscp invlpga vm*)\n", name);
	else
		say("insn %s: %s\n", name, r ? fault(r) : "ok");
}

static u64 (*const set_dr[8])(u64) = { probe_dr0, probe_dr1, probe_dr2, probe_dr3, 0, 0, probe_dr6, probe_dr7 };

static void sweep(const u64 *n)
{
	u64 ok = 0, bad = 0;
	for (u64 m = n[0]; m <= n[1] && m <= 0xffffffffu; m++)
		probe_wrmsr((u32)m, n[2]) ? bad++ : ok++;
	say("msrsweep 0x%llx:0x%llx: %llu ok, %llu faulted\n", n[0], n[1], ok, bad);
	for (u64 m = n[0]; ok && m <= n[1] && m <= 0xffffffffu; m++)
		if (!probe_rdmsr((u32)m) && probe_value == n[2])
			say("msrsweep ok 0x%llx\n", m);
}

static void find(const u64 *n)
{
	u64 read = 0, bad = 0, hold = 0;
	for (u64 m = n[0]; m <= n[1] && m <= 0xffffffffu; m++)
		probe_rdmsr((u32)m) ? bad++ : (read++, hold += probe_value == n[2]);
	say("msrfind 0x%llx:0x%llx: %llu read, %llu faulted, %llu hold 0x%llx\n", n[0], n[1], read, bad, hold, n[2]);
	for (u64 m = n[0]; hold && m <= n[1] && m <= 0xffffffffu; m++)
		if (!probe_rdmsr((u32)m) && probe_value == n[2])
			say("msrfind 0x%llx = 0x%llx\n", m, n[2]);
}

/* Extended state through XSAVE/XRSTOR, so this kernel (built without SSE)
 * needs no vector instructions of its own.  The quadwords that count: the
 * x87 registers' significands, XMM0-15, and every component above SSE. */
static u8 area[4096] __attribute__((aligned(64)));

static u64 xmask(void)
{
	u32 a, b, c, d;
	cpuid(0xd, 0, &a, &b, &c, &d);
	return a;
}

/* Calls f on each quadword that holds register state; returns how many. */
static u64 each_reg_quad(u64 mask, void (*f)(u64 *q, u64 arg, u64 *acc), u64 arg, u64 *acc)
{
	u64 n = 0;
	for (int i = 0; i < 8; i++, n++) /* ST0-ST7: 64-bit significand at 32 + 16 i */
		f((u64 *)&area[32 + 16 * i], arg, acc);
	for (int i = 0; i < 32; i++, n++) /* XMM0-XMM15 */
		f((u64 *)&area[160 + 8 * i], arg, acc);
	for (u32 c = 2; c < 32; c++) {
		u32 a, b, x, y;
		if (!(mask & (1u << c)))
			continue;
		cpuid(0xd, c, &a, &b, &x, &y); /* size a at offset b */
		for (u32 off = 0; off + 8 <= a && b + off + 8 <= sizeof area; off += 8, n++)
			f((u64 *)&area[b + off], arg, acc);
	}
	return n;
}

static void put(u64 *q, u64 pattern, u64 *acc) { (void)acc, *q = pattern; }
static void count(u64 *q, u64 pattern, u64 *acc) { *acc += *q == pattern; }

static void xsave_now(u64 mask)
{
	memset(area, 0, sizeof area); /* a component in its initial state is not written */
	__asm__ volatile("xsave64 %0" : "=m"(area) : "a"((u32)mask), "d"((u32)(mask >> 32)) : "memory");
}

/* The registers that are not extended state: DR0-DR3 and TSC_AUX. */
static u64 other_regs(u64 pattern32, int fill)
{
	u64 hold = 0, v;
	if (fill) {
		for (int i = 0; i < 4; i++)
			set_dr[i](pattern32);
		probe_wrmsr(0xc0000103, pattern32);
	}
#define GET_DR(n) __asm__ volatile("mov %%db" #n ", %0" : "=r"(v)); hold += v == pattern32;
	GET_DR(0) GET_DR(1) GET_DR(2) GET_DR(3)
#undef GET_DR
	hold += !probe_rdmsr(0xc0000103) && probe_value == pattern32;
	return hold;
}

static void xfill(u64 byte)
{
	u64 pattern = byte * 0x0101010101010101ull, n = 0, kept = 0, mask;
	if (osxsave() || probe_xsetbv(mask = xmask())) {
		say("xfill 0x%llx: no XSAVE\n", byte);
		return;
	}
	memset(area, 0, sizeof area);
	*(u16 *)&area[0] = 0x37f;      /* FCW */
	area[4] = 0xff;                /* abridged FTW: every register in use */
	*(u32 *)&area[24] = 0x1f80;    /* MXCSR */
	*(u64 *)&area[512] = mask;     /* XSTATE_BV */
	n = each_reg_quad(mask, put, pattern, 0) + 5;
	u64 r = probe_xrstor(area);
	if (r) {
		say("xfill 0x%llx: XRSTOR %s\n", byte, fault(r));
		return;
	}
	other_regs(pattern & 0xffffffff, 1);
	u64 until = rdtsc() + ns_to_tsc(200000000ull); /* the others run meanwhile */
	for (u64 t; (t = rdtsc()) < until;) {
		hcall(BH_HC_TIMER_SET, until, 0, 0, 0);
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	}
	xsave_now(mask);
	each_reg_quad(mask, count, pattern, &kept);
	kept += other_regs(pattern & 0xffffffff, 0);
	if (kept == n)
		say("xfill 0x%llx: %llu quadwords, kept\n", byte, n);
	else
		say("xfill 0x%llx: %llu quadwords, lost %llu\n", byte, n, n - kept);
}

static void xcheck(u64 byte)
{
	u64 pattern = byte * 0x0101010101010101ull, hold = 0, mask;
	if (osxsave() || probe_xsetbv(mask = xmask())) {
		say("xcheck 0x%llx: no XSAVE\n", byte);
		return;
	}
	xsave_now(mask);
	u64 n = each_reg_quad(mask, count, pattern, &hold) + 5;
	hold += other_regs(pattern & 0xffffffff, 0);
	say("xcheck 0x%llx: %llu of %llu quadwords hold it\n", byte, hold, n);
}

static int hexval(char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; }

static void say_bytes(const char *hex)
{
	static char buf[64];
	u32 n = 0;
	for (; hex[0] && hex[1] && hexval(hex[0]) >= 0 && hexval(hex[1]) >= 0 && n < sizeof buf - 1; hex += 2)
		buf[n++] = (char)(hexval(hex[0]) << 4 | hexval(hex[1]));
	buf[n] = 0;
	say("%s\n", buf);
}

static void flood(u64 kib)
{
	for (u64 i = 0; i < kib * 16; i++) /* 64-byte lines */
		say("flood %08llu: the quick brown fox jumps over the lazy dog.....\n", i);
}

int hostile_word(const char *tok, void (*print)(const char *fmt, ...))
{
	u64 n[3];
	unsigned long long x;
	say = print;
	if (prefix(tok, "wrmsr=") && numbers(tok + 6, n, 2)) {
		u64 r = probe_wrmsr((u32)n[0], n[1]);
		say("wrmsr 0x%llx: %s\n", n[0], r ? fault(r) : "ok");
	} else if (prefix(tok, "rdmsr=") && numbers(tok + 6, n, 1)) {
		u64 r = probe_rdmsr((u32)n[0]);
		if (r)
			say("rdmsr 0x%llx: %s\n", n[0], fault(r));
		else
			say("rdmsr 0x%llx = 0x%llx\n", n[0], probe_value);
	} else if (prefix(tok, "insn=")) {
		insn(tok + 5);
	} else if (prefix(tok, "xcr0=") && !bh_parse_u64(tok + 5, &x)) {
		u64 r = osxsave() ? 0x100 | 6 : probe_xsetbv(x);
		say("xcr0 0x%llx: %s\n", (u64)x, r ? fault(r) : "ok");
	} else if (tok[0] == 'd' && tok[1] == 'r' && tok[2] >= '0' && tok[2] <= '7' && set_dr[tok[2] - '0'] &&
		   tok[3] == '=' && !bh_parse_u64(tok + 4, &x)) {
		u64 r = set_dr[tok[2] - '0'](x);
		say("dr%c 0x%llx: %s\n", tok[2], (u64)x, r ? fault(r) : "ok");
	} else if (prefix(tok, "msrsweep=") && numbers(tok + 9, n, 3)) {
		sweep(n);
	} else if (prefix(tok, "msrfind=") && numbers(tok + 8, n, 3)) {
		find(n);
	} else if (prefix(tok, "xfill=") && !bh_parse_u64(tok + 6, &x)) {
		xfill(x & 0xff);
	} else if (prefix(tok, "xcheck=") && !bh_parse_u64(tok + 7, &x)) {
		xcheck(x & 0xff);
	} else if (prefix(tok, "say=")) {
		say_bytes(tok + 4);
	} else if (prefix(tok, "flood=") && !bh_parse_u64(tok + 6, &x)) {
		flood(x);
	} else {
		return 0;
	}
	return 1;
}
