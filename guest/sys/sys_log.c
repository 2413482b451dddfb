/*
 * syslog(2) (guest ring 0): the kernel log that console.c keeps, read as
 * dmesg and klogd read Linux's: all of it (READ_ALL), what is new since the
 * last READ (which waits for a line), its sizes; only root may.
 */
#include "core/kernel.h"
#include "core/proc.h"
#include "sys/sys.h"

enum { LOG_CLOSE, LOG_OPEN, LOG_READ, LOG_READ_ALL, LOG_READ_CLEAR, LOG_CLEAR, LOG_CONSOLE_OFF,
       LOG_CONSOLE_ON, LOG_CONSOLE_LEVEL, LOG_SIZE_UNREAD, LOG_SIZE_BUFFER };

static u64 read_pos; /* where LOG_READ goes on */

/* Log bytes [from, to) to user memory; the count or -EFAULT. */
static s64 copy_log(u64 ubuf, u64 from, u64 to)
{
	char buf[256];
	for (u64 p = from; p < to;) {
		u64 k = 0;
		while (p + k < to && k < sizeof buf) {
			buf[k] = klog_byte(p + k);
			k++;
		}
		if (copy_to_user(ubuf + (p - from), buf, k))
			return -EFAULT;
		p += k;
	}
	return (s64)(to - from);
}

s64 sys_syslog(u64 type, u64 ubuf, u64 ulen)
{
	int len = (int)ulen;
	if (current->uid[1])
		return -EPERM;
	if (read_pos < klog_start())
		read_pos = klog_start();
	switch ((int)type) {
	case LOG_CLOSE: case LOG_OPEN: case LOG_CONSOLE_OFF: case LOG_CONSOLE_ON:
		return 0;
	case LOG_CONSOLE_LEVEL:
		return len < 1 || len > 8 ? -EINVAL : 0;
	case LOG_CLEAR:
		klog_clear();
		return 0;
	case LOG_SIZE_UNREAD:
		return (s64)(klog_end() - read_pos);
	case LOG_SIZE_BUFFER:
		return KLOG_SIZE;
	case LOG_READ: case LOG_READ_ALL: case LOG_READ_CLEAR:
		break;
	default:
		return -EINVAL;
	}
	if (!ubuf || len < 0)
		return -EINVAL;
	if (!len)
		return 0;
	if (type == LOG_READ) {
		while (read_pos == klog_end()) {
			if (signal_pending())
				return -ERESTART;
			sleep_on(&klog_wait);
		}
		u64 to = klog_end() - read_pos > (u64)len ? read_pos + (u64)len : klog_end();
		s64 r = copy_log(ubuf, read_pos, to);
		if (r > 0)
			read_pos = to;
		return r;
	}
	/* the newest whole lines that fit */
	u64 from = klog_start(), end = klog_end();
	if (end - from > (u64)len) {
		from = end - (u64)len;
		while (from < end && klog_byte(from - 1) != '\n')
			from++;
	}
	s64 r = copy_log(ubuf, from, end);
	if (r >= 0 && type == LOG_READ_CLEAR)
		klog_clear();
	return r;
}
