/* Wall-clock time at boot (guest ring 0) from the CMOS real-time clock,
 * which the host partition reaches by I/O pass-through. */
#include "core/kernel.h"
#include "core/x86.h"
#include "dev/dev.h"

u64 boot_epoch; /* wall-clock seconds at boot */

static u8 cmos(u8 reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

static u64 days_from_civil(u64 y, u64 m, u64 d)
{
	y -= m <= 2;
	u64 era = y / 400, yoe = y - era * 400;
	u64 doy = (153 * (m + (m > 2 ? (u64)-3 : 9)) + 2) / 5 + d - 1;
	u64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void rtc_init(void)
{
	for (int spin = 0; spin < 100000 && (cmos(0x0a) & 0x80); spin++)
		; /* update in progress */
	u8 s = cmos(0), mi = cmos(2), h = cmos(4), d = cmos(7), mo = cmos(8), y = cmos(9), b = cmos(0x0b);
	if (!(b & 4)) { /* BCD */
#define BCD(x) (u8)(((x) & 15) + ((x) >> 4) * 10)
		s = BCD(s), mi = BCD(mi), h = (u8)(BCD(h & 0x7f) | (h & 0x80)), d = BCD(d), mo = BCD(mo), y = BCD(y);
	}
	if (!(b & 2) && (h & 0x80)) /* 12-hour clock */
		h = (u8)(((h & 0x7f) + 12) % 24);
	if (mo < 1 || mo > 12 || d < 1 || d > 31)
		return;
	boot_epoch = days_from_civil(2000 + y, mo, d) * 86400 + h * 3600ull + mi * 60ull + s;
}
