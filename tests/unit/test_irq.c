/* Host unit test: hv's device interrupts (hv/irq.c) against a model of the
 * local APIC's in-service register, which retires its highest vector at
 * each EOI: vectors the host finishes out of order, EOIs hv never owed, an
 * ExtINT with no ISR bit, and a host that is not running. */
#include "check.h"
#include "../../hv/part.h"

struct partition *partitions[BH_PART_MAX];
struct bh_stats hv_stats;
static u64 isr[4];    /* the model LAPIC's ISR */
static int eois, woken;

static int top(void)
{
	for (int w = 3; w >= 0; w--)
		if (isr[w])
			return w * 64 + 63 - __builtin_clzll(isr[w]);
	return -1;
}

void lapic_eoi(void)
{
	int t = top();
	if (t >= 0)
		isr[t / 64] &= ~(1ull << (t % 64));
	eois++;
}

int lapic_in_service(u8 v) { return (isr[v / 64] >> (v % 64)) & 1; }
void sched_wake(struct vcpu *v, u8 vector)
{
	vcpu_raise(v, vector);
	woken++;
}

static void deliver(u8 v) /* the LAPIC accepts v, hv's IDT calls irq_device */
{
	isr[v / 64] |= 1ull << (v % 64);
	irq_device(v);
}

int main(int argc, char **argv)
{
	(void)argc;
	static struct vcpu vcpu;
	static struct partition host = { .role = BH_ROLE_HOST, .state = BH_PART_RUNNING, .vcpu = &vcpu };
	partitions[0] = &host;
	vcpu.part = &host;

	/* 0x41, then 0x51 of a higher class before the host is done with 0x41 */
	deliver(0x41);
	deliver(0x51);
	CHECK(woken == 2 && hv_stats.dev_interrupts == 2 && eois == 0);
	CHECK(vcpu_next_irq(&vcpu) == 0x51 && vcpu_next_irq(&vcpu) == 0x41 && vcpu_next_irq(&vcpu) == -1);
	/* done with 0x41 first: the LAPIC would retire 0x51, so hv waits */
	CHECK(irq_eoi(0x41) == 0 && eois == 0 && lapic_in_service(0x41) && lapic_in_service(0x51));
	CHECK(irq_eoi(0x41) == BH_EINVAL && eois == 0);
	/* done with 0x51: both retire, highest first */
	CHECK(irq_eoi(0x51) == 0 && eois == 2 && top() == -1);
	CHECK(irq_eoi(0x51) == BH_EINVAL && eois == 2);

	/* in order: one EOI each */
	deliver(0x60);
	deliver(0x70);
	CHECK(irq_eoi(0x70) == 0 && eois == 3 && top() == 0x60);
	CHECK(irq_eoi(0x60) == 0 && eois == 4 && top() == -1);

	/* vectors hv does not hold, and numbers that are no vector */
	u64 bad[] = { 0, 0x20, 0x2f, 0x30, 0x60, 0xdf, 0xe0, 0xf0, 0xff, 0x100, 0x141, ~0ull };
	for (u32 i = 0; i < sizeof bad / sizeof bad[0]; i++)
		CHECK(irq_eoi(bad[i]) == BH_EINVAL);
	CHECK(eois == 4);

	/* an ExtINT (no ISR bit) is not passed on and owes no EOI */
	irq_device(0x68);
	CHECK(woken == 4 && hv_stats.dev_interrupts == 4 && irq_eoi(0x68) == BH_EINVAL && eois == 4);

	/* no running host: hv says EOI at once */
	host.state = BH_PART_CRASHED;
	deliver(0x90);
	CHECK(eois == 5 && top() == -1 && irq_eoi(0x90) == BH_EINVAL);
	return check_summary(argv[0]);
}
