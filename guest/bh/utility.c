/*
 * The utility role (guest ring 0): what a utility partition's kernel does until
 * containers run in it.  It has no devices.  Its console and the control
 * protocol go over its channel to the host (include/bulkhead/channel.h): it
 * answers ping, stats, process-list and shutdown requests.  Without a channel
 * (a partition made by the monitor's `part`), its console goes through hv's
 * console hypercall, which marks its lines with the partition's name.  Its
 * command line (from the host's create request) can ask for test behaviour:
 *   spin        loop with interrupts off, forever
 *   peek=ADDR   read guest-physical ADDR (outside its RAM: hv stops it)
 *   fill=BYTE   fill every free page with BYTE
 *   check=BYTE  count free-page quadwords that hold BYTE repeated
 *   hc=NR       issue hypercall NR with no arguments
 *   crash       triple-fault
 *   exit=N      report exit status N, as a container's process would
 *   net=ADDR/PREFIX[,GATEWAY[,MAC]]  its NIC (net/chnic.c) up on the host's
 *               virtual switch, where the host gave it that port: lwIP answers
 *               ARP and ping on it
 *   framefuzz=N send N hostile frames on that NIC (malformed, spoofed, random, runts)
 *   arpstorm=N  send N broadcast ARP requests on it, well formed
 * and, as an attacker would (hostile.c has what they print):
 *   scribble    breaks its channel: impossible ring indices, then the doorbell
 *   badmsg      output for a process handle the host never started
 *   wrmsr=0xADDR:0xVAL  rdmsr=0xADDR  insn=NAME  xcr0=0xVAL  dr7=0xVAL
 *   msrsweep=0xLO:0xHI:0xVAL  msrfind=0xLO:0xHI:0xVAL  xfill=0xBYTE  xcheck=0xBYTE
 */
#include <stdarg.h>
#include "../../lib/fmt.h"
#include "../../lib/string.h"
#include "channel.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "bh/bh.h"
#include "diag/diag.h"
#include "dev/dev.h"
#include "net/net.h"
#include "net/vswitch.h"

struct chan_end uvm_chan;
static int have_chan, exited;

/* A frame of its NIC (net/chnic.c): dropped when the ring is full, as a
 * NIC's full ring drops. */
static int send_frame(u16 type, const void *frame, u32 len)
{
	int r = chan_send(&uvm_chan, type, 0, 0, frame, len);
	if (!r)
		hcall(BH_HC_NOTIFY, 0, 0, 0, 0);
	return r;
}

static int send_waiting(u16 type, const void *frame, u32 len)
{
	utility_send(type, 0, 0, frame, len);
	return 0;
}

/* A message to the host; while the ring is full, the host gets the CPU. */
void utility_send(u16 type, u16 seq, s64 arg, const void *payload, u32 len)
{
	int r;
	while ((r = chan_send(&uvm_chan, type, seq, arg, payload, len)) == CHAN_FULL) {
		hcall(BH_HC_NOTIFY, 0, 0, 0, 0);
		hcall(BH_HC_YIELD, 0, 0, 0, 0);
	}
	if (!r)
		hcall(BH_HC_NOTIFY, 0, 0, 0, 0);
}

static void uprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void uprintf(const char *fmt, ...)
{
	static char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = bh_vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	u64 len = n < (int)sizeof buf ? (u64)n : sizeof buf - 1;
	if (have_chan)
		utility_send(BH_MSG_CONSOLE, 0, 0, buf, (u32)len);
	else
		hcall(BH_HC_CONSOLE_WRITE, v2p(buf), len, 0, 0);
}

/* Its tasks, the first max of them into out; returns how many there are.
 * With a container: its processes only, as its own ps shows them. */
static u32 task_records(struct bh_guest_task *out, u32 max)
{
	u32 n = 0;
	for (struct task *t = uvm_active() ? task_list : &idle_task; t; t = t == &idle_task ? task_list : t->next, n++) {
		static const char st[] = { 'R', 'S', 'Z', 'T' };
		if (n >= max)
			continue;
		out[n] = (struct bh_guest_task){ .pid = t->pid, .ppid = t->parent ? t->parent->pid : 0,
						 .state = st[t->state], .rss = t->mm ? t->mm->pages * PAGE : 0 };
		memcpy(out[n].comm, t->comm, sizeof t->comm);
	}
	return n;
}

/* One request from the host, answered at once. */
static void serve(const struct bh_msg *m, const u8 *payload)
{
	static struct {
		struct bh_guest_stats st;
		struct bh_guest_task ps[BH_MSG_MAX / sizeof(struct bh_guest_task)];
	} r;
	switch (m->type) {
	case BH_MSG_PING:
		utility_send(BH_MSG_PONG, m->seq, m->arg, payload, m->len);
		break;
	case BH_MSG_STATS:
		r.st = (struct bh_guest_stats){ .uptime_ns = now_ns(), .mem_total = pages_total * PAGE,
						.mem_free = pages_free * PAGE, .msgs_in = uvm_chan.received,
						.msgs_out = uvm_chan.sent, .tasks = task_records(r.ps, BH_ARRAY_SIZE(r.ps)),
						.busy_ns = timer_hz ? (ticks - idle_task.utime) * (1000000000ull / timer_hz) : 0 };
		utility_send(BH_MSG_STATS, m->seq, 0, &r.st, sizeof r.st);
		break;
	case BH_MSG_PS: {
		u32 n = task_records(r.ps, BH_ARRAY_SIZE(r.ps));
		if (n > BH_ARRAY_SIZE(r.ps))
			n = BH_ARRAY_SIZE(r.ps);
		utility_send(BH_MSG_PS, m->seq, n, r.ps, n * (u32)sizeof r.ps[0]);
		break;
	}
	case BH_MSG_FRAME:
		chnic_input(payload, m->len);
		break;
	case BH_MSG_SHUTDOWN:
		uprintf("shutting down, exit status %lld\n", m->arg);
		utility_send(BH_MSG_EXIT, m->seq, m->arg, 0, 0);
		exited = 1;
		break;
	case BH_MSG_RUN:
		timer_start(100); /* processes from now on: the scheduler's tick */
		uvm_message(m, payload);
		if (!(m->arg & BH_SPEC_MORE))
			uprintf("guest: RUN done, %llu TSC ticks since create\n", rdtsc() - boot_info->hv_entry_tsc);
		break;
	case BH_MSG_EXEC:
	case BH_MSG_STDIN:
	case BH_MSG_STDIN_CLOSE:
	case BH_MSG_RESIZE:
	case BH_MSG_SIGNAL:
		uvm_message(m, payload);
		break;
	default:
		uprintf("unknown request type %u from the host\n", m->type);
	}
}

/* Every free page, raw as hv handed it over; f runs on each. */
static u64 each_free_page(void (*f)(u64 *page, u64 arg, u64 *acc), u64 arg)
{
	u64 acc = 0, *p;
	while ((p = page_alloc_run(1)))
		f(p, arg, &acc);
	return acc;
}

static void fill(u64 *p, u64 pattern, u64 *acc)
{
	memset(p, (int)pattern, PAGE);
	*acc += PAGE;
}

static void check(u64 *p, u64 pattern, u64 *acc)
{
	for (u64 i = 0; i < PAGE / 8; i++)
		*acc += p[i] == pattern * 0x0101010101010101ull;
}

static int arg(const char *tok, const char *key, u64 *v)
{
	u64 n = strlen(key);
	unsigned long long x;
	if (memcmp(tok, key, n) || bh_parse_u64(tok + n, &x))
		return 0;
	*v = x;
	return 1;
}

static void doorbell(void) {}

/* The host's messages, at most a ring's worth a call; then the containers' relay. */
static void utility_poll(void)
{
	static struct bh_msg m;
	static u8 payload[BH_FRAME_MAX];
	for (u32 n = 0; have_chan && !exited && n < BH_RING_SIZE; n += BH_MSG_SPACE(m.len)) {
		int r = chan_recv(&uvm_chan, &m, payload);
		if (r == CHAN_BROKEN) {
			have_chan = 0;
			uprintf("channel broken by the host\n");
		}
		if (r <= 0)
			break;
		serve(&m, payload);
	}
	if (have_chan)
		uvm_poll();
}

void utility_main(void)
{
	static char line[BH_CMDLINE_MAX];
	u64 v;
	timer_start(0); /* idle partitions cost no timer exits */
	sched_init();   /* the idle task; processes once a container runs */
	fs_init();      /* root ramfs, devfs (null zero full random urandom), procfs */
	devfs_register("tty", 5, 0, &tty_fops, 0666);
	pty_init();     /* /dev/ptmx, /dev/pts */
	net_init();     /* sockets: AF_UNIX, AF_INET on lwIP's loopback (and eth0 with net=) */
	for (u32 i = 0; i < boot_info->nr_mem && i < BH_MAX_MEM; i++)
		if (boot_info->mem[i].type == BH_MEM_CHANNEL && boot_info->mem[i].base == BH_CHAN_GPA &&
		    boot_info->mem[i].size == BH_CHAN_PAGES * PAGE)
			have_chan = !chan_open(&uvm_chan, p2v(BH_CHAN_GPA), 0);
	uprintf("guest: utility partition %u ready, %llu TSC ticks since create\n", boot_info->partition_id,
		rdtsc() - boot_info->hv_entry_tsc);
	memcpy(line, boot_info->cmdline, sizeof line);
	line[sizeof line - 1] = 0;
	for (char *tok = line, *end; *tok; tok = end) {
		for (end = tok; *end && *end != ' '; end++)
			;
		if (*end)
			*end++ = 0;
		if (!strcmp(tok, "spin")) {
			uprintf("spinning with interrupts off\n");
			for (;;)
				__asm__ volatile("cli");
		} else if (!strcmp(tok, "crash")) {
			uprintf("triple-faulting\n");
			struct __attribute__((packed)) { u16 limit; u64 base; } none = { 0, 0 };
			__asm__ volatile("lidt %0; int3" : : "m"(none));
		} else if (arg(tok, "peek=", &v)) {
			uprintf("peek 0x%llx: 0x%llx\n", v, *(volatile u64 *)p2v(v));
		} else if (arg(tok, "fill=", &v)) {
			uprintf("filled %llu KiB with 0x%02llx\n", each_free_page(fill, v & 0xff) >> 10, v & 0xff);
		} else if (arg(tok, "check=", &v)) {
			uprintf("check 0x%02llx: %llu quadwords found\n", v & 0xff, each_free_page(check, v & 0xff));
		} else if (arg(tok, "hc=", &v)) {
			uprintf("hc %llu -> %lld\n", v, hcall(v, 0, 0, 0, 0));
		} else if (!strcmp(tok, "scribble") && have_chan) {
			/* impossible indices where the host reads ours; then the doorbell */
			struct bh_chan *c = p2v(BH_CHAN_GPA);
			c->magic = 0;
			c->to_host.head = 0xfffffff0u;
			hcall(BH_HC_NOTIFY, 0, 0, 0, 0);
		} else if (!strcmp(tok, "badmsg") && have_chan) {
			utility_send(BH_MSG_STDOUT, 7, 0, "lies", 4);
		} else if (hostile_word(tok, uprintf)) {
		} else if (!memcmp(tok, "net=", 4) && have_chan) {
			int r = chnic_start(tok + 4, send_frame);
			uprintf("eth0 %s: %s\n", tok + 4, r ? "refused" : "up");
		} else if (arg(tok, "framefuzz=", &v)) {
			chnic_fuzz((u32)v, send_waiting); /* each waits for room: all reach the host */
			uprintf("sent %llu hostile frames\n", v);
		} else if (arg(tok, "arpstorm=", &v)) {
			chnic_arpstorm((u32)v, send_waiting);
			uprintf("sent %llu ARP requests\n", v);
		} else if (arg(tok, "exit=", &v)) {
			uprintf("exiting with status %lld\n", (s64)v);
			utility_send(BH_MSG_EXIT, 0, (s64)v, 0, 0);
			exited = 1;
		} else if (*tok) {
			uprintf("unknown command-line word '%s'\n", tok);
		}
	}
	/* Requests arrive with the doorbell (BH_VEC_CHANNEL), which only wakes
	 * the idle loop; the poller reads the ring, from there and each tick.
	 * Once it has exited it only waits for the host to destroy it. */
	irq_register(BH_VEC_CHANNEL, doorbell);
	sched_add_poller(utility_poll);
	idle_loop();
}
