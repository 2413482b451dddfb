/* Guest kernel bring-up, in order (ring 0, called from entry.S with the boot
 * info hv made for this partition).  Here the roles are chosen and wired to
 * the core: the tick's vector, the drivers of the host role, and what
 * happens when init exits. */
#include "../../lib/string.h"
#include "core/kernel.h"
#include "mm/mm.h"
#include "core/proc.h"
#include "bh/bh.h"
#include "dev/dev.h"
#include "dev/irq.h"
#include "diag/diag.h"
#include "net/net.h"
#include "net/vswitch.h"

struct bh_boot_info *boot_info;
static const struct bh_module *root_module(void);
static struct bh_boot_info boot_info_copy;

u64 kernel_entry_tsc; /* for /proc/bulkhead and the figures */

/* The tick: the clock, then the scheduler (and its pollers). */
static void tick(void)
{
	timer_irq();
	sched_tick();
}

/* The host's init is gone: the monitor takes the console. */
static void init_exited(int status)
{
	kprintf("guest: init exited (status 0x%x); monitor\n", status);
	__asm__ volatile("sti");
	monitor_run();
}

void kmain(u64 bi_phys)
{
	kernel_entry_tsc = rdtsc();
	struct bh_boot_info *bi = &boot_info_copy;
	memcpy(bi, p2v(bi_phys), sizeof *bi); /* BOOTDATA is not ours to keep */
	boot_info = bi;
	trap_init();                         /* GDT, IDT */
	console_init(bi->magic == BH_BOOTINFO_MAGIC ? bi->serial_port : 0x3f8);
	if (bi->magic != BH_BOOTINFO_MAGIC || bi->version != BH_BOOTINFO_VERSION) {
		kprintf("guest: bad boot info (magic %llx version %u)\n", bi->magic, bi->version);
		for (;;)
			__asm__ volatile("cli; hlt");
	}
	kprintf("guest: Bulkhead guest kernel, %s partition %u\n",
		bi->role == BH_ROLE_HOST ? "host" : "utility", bi->partition_id);
	if (hv_detect()) {                   /* CPUID leaves 0x40000000.. */
		kprintf("guest: no Bulkhead hypervisor found by CPUID; halting\n");
		for (;;)
			__asm__ volatile("cli; hlt");
	}
	kprintf("guest: hypervisor \"%s\", %s, hypercalls by %s\n", hv_signature,
		hv_backend == BH_BACKEND_SVM ? "AMD-V" : "VT-x", hv_insn == BH_HCINSN_VMMCALL ? "vmmcall" : "vmcall");
	page_init();                         /* free RAM from the boot info */
	vm_init();                           /* own tables: no identity map */
	clock_init();                        /* time since boot */
	irq_register(BH_VEC_TIMER, tick);    /* the paravirtual timer's vector */
	if (bi->role == BH_ROLE_HOST)
		irq_init();                  /* device interrupts: MADT, IOAPICs masked */
	timer_start(100);                    /* 100 Hz tick */
	if (bi->role == BH_ROLE_UTILITY)
		utility_main();              /* no console: reports through hv; interrupts off, as the
		                              * host's kernel below: a tick taken in ring 0 ran the
		                              * pollers inside RUN, exec and lwIP (a lost STARTED) */
	__asm__ volatile("sti");
	const struct bh_module *root = root_module();
	if (!root)
		monitor_run();               /* the prompt */
	__asm__ volatile("cli");             /* the kernel runs with interrupts off */
	rtc_init();                          /* wall clock */
	sched_init();                        /* this context becomes the idle task */
	fs_init();                           /* root ramfs, devfs, procfs */
	net_init();                          /* socket families: AF_UNIX, AF_INET (lwIP) */
	pci_init();                          /* the devices the host partition owns */
	e1000_init();                        /* NICs: eth0... (net = in bulkhead.cfg) */
	virtio_net_init();
	vswitch_init();                      /* /dev/vswitch, the network "nat" */
	tty_init();                          /* /dev/console on the UART */
	vmhost_init();                       /* /dev/bulkhead, the channel doorbell */
	sandbox_dev_init();                  /* /dev/sandbox */
	if (rootfs_unpack_module(root))      /* the host root image */
		monitor_run();
	fs_mount_std();                      /* /dev and /proc */
	rootfs_boot_images(root);            /* the other modules, /boot/images/NAME */
	sched_on_init_exit(init_exited);
	if (task_spawn_init("/sbin/init") < 0)
		monitor_run();
	kprintf("guest: ready, %llu TSC ticks since hv entry\n", rdtsc() - bi->hv_entry_tsc);
	idle_loop();                         /* runs the tasks */
}

/* The root image: the module named by "root=NAME" on the command line, else
 * root.tar; none when the command line says "monitor". */
static const struct bh_module *root_module(void)
{
	const char *c = boot_info->cmdline, *want = "root.tar";
	char name[BH_MOD_NAME_MAX];
	for (const char *p = c; *p;) {
		while (*p == ' ')
			p++;
		const char *w = p;
		while (*p && *p != ' ')
			p++;
		u64 n = (u64)(p - w);
		if (n == 7 && !memcmp(w, "monitor", 7))
			return 0;
		if (n == 9 && !memcmp(w, "heartbeat", 9))
			heartbeat = 1;
		if (n == 6 && !memcmp(w, "strace", 6))
			syscall_trace = klog_console = 1;
		if (n > 5 && n - 5 < sizeof name && !memcmp(w, "root=", 5)) {
			memcpy(name, w + 5, n - 5);
			name[n - 5] = 0;
			want = name;
		}
	}
	for (u32 i = 0; i < boot_info->nr_modules && i < BH_MAX_MODULES; i++)
		if (!strcmp(boot_info->modules[i].name, want))
			return &boot_info->modules[i];
	return 0;
}
