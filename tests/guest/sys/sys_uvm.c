/* /dev/bulkhead's message mode (include/bulkhead/ctl.h) with bad requests and
 * a hostile utility: each case a PASS:/FAIL: line, then "sys_uvm: N failed".
 * Guest only; run by tests/guest/test_uvm.py. */
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "t.h"
#include "../../../include/bulkhead/ctl.h"

static int msg(int fd, u16 type, u16 h, s64 arg, u32 len, u32 count)
{
	static unsigned char b[sizeof(struct bh_msg) + BH_MSG_MAX + 8];
	struct bh_msg m = { len, type, h, arg };
	memcpy(b, &m, sizeof m);
	return (int)write(fd, b, count);
}

static struct bh_cs_new newreq(const char *cmdline)
{
	struct bh_cs_new r = { .type = BH_CS_CONTAINER, .owner = "sys_uvm" };
	snprintf(r.part.name, sizeof r.part.name, "sysuvm");
	snprintf(r.part.cmdline, sizeof r.part.cmdline, "%s", cmdline);
	r.part.memory = BH_UVM_DEFAULT_MEMORY + BH_UVM_RESERVE;
	r.part.vcpus = 1;
	return r;
}

int main(void)
{
	unsigned char buf[sizeof(struct bh_msg) + BH_MSG_MAX];
	struct bh_msg *m = (void *)buf;
	int plain = open(BH_DEV, O_RDWR), fd = open(BH_DEV, O_RDWR);
	int img = open("/boot/images/busybox.tar", O_RDONLY), wo = open("/tmp/sys_uvm.w", O_WRONLY | O_CREAT, 0644);
	int dir = open("/", O_RDONLY);
	struct bh_grant g = { .fd = img };
	ERR("write on a file that made no partition", msg(plain, BH_MSG_STDIN, 1, 0, 1, 17), ENOTCONN);
	ERR("grant on a file that made no partition", ioctl(plain, BH_IOC_GRANT, &g), ENOTCONN);
	ERR("start on a file that made no partition", ioctl(plain, BH_IOC_START, 0), ENOTCONN);
	struct bh_cs_new r = newreq("");
	r.type = 7;
	ERR("new with an unknown type", ioctl(fd, BH_IOC_NEW, &r), EINVAL);
	r = newreq("");
	r.part.memory = BH_IMAGE_GPA;
	ERR("new with RAM over the image window", ioctl(fd, BH_IOC_NEW, &r), EINVAL);
	r = newreq("");
	check("new", ioctl(fd, BH_IOC_NEW, &r) > 0);
	ERR("new twice on one file", ioctl(fd, BH_IOC_NEW, &r), EBUSY);
	ERR("a message before start", msg(fd, BH_MSG_STDIN, 1, 0, 1, 17), ESRCH);
	g.fd = 99;
	ERR("grant of a bad fd", ioctl(fd, BH_IOC_GRANT, &g), EBADF);
	g = (struct bh_grant){ .fd = img, .offset = 100 };
	ERR("grant at an unaligned offset", ioctl(fd, BH_IOC_GRANT, &g), EINVAL);
	g.offset = BH_IMAGE_MAX;
	ERR("grant past the window", ioctl(fd, BH_IOC_GRANT, &g), EINVAL);
	g = (struct bh_grant){ .fd = dir };
	ERR("grant of a directory", ioctl(fd, BH_IOC_GRANT, &g), EINVAL);
	g.fd = wo;
	ERR("grant of a write-only file", ioctl(fd, BH_IOC_GRANT, &g), EACCES);
	g.fd = img;
	long size = lseek(img, 0, SEEK_END);
	check("grant maps the file, rounded to a page", ioctl(fd, BH_IOC_GRANT, &g) == ((size + 4095) & ~4095L));
	ERR("grant over an earlier one", ioctl(fd, BH_IOC_GRANT, &g), EEXIST);
	check("start", ioctl(fd, BH_IOC_START, 0) == 0);
	ERR("start twice", ioctl(fd, BH_IOC_START, 0), EBUSY);
	g.offset = 1ul << 28;
	ERR("grant after start", ioctl(fd, BH_IOC_GRANT, &g), EBUSY);
	ERR("a write shorter than a header", write(fd, buf, 8), EINVAL);
	ERR("a length that is not the count", msg(fd, BH_MSG_STDIN, 1, 0, 4, 16 + 5), EINVAL);
	ERR("a payload over BH_MSG_MAX", msg(fd, BH_MSG_STDIN, 1, 0, BH_MSG_MAX + 1, 16 + BH_MSG_MAX + 1), E2BIG);
	ERR("handle 0", msg(fd, BH_MSG_STDIN, 0, 0, 1, 17), EINVAL);
	ERR("handle 64", msg(fd, BH_MSG_STDIN, 64, 0, 1, 17), EINVAL);
	ERR("a utility's type (CONSOLE)", msg(fd, BH_MSG_CONSOLE, 1, 0, 1, 17), EINVAL);
	ERR("RESIZE to 0 rows", msg(fd, BH_MSG_RESIZE, 1, 80, 0, 16), EINVAL);
	ERR("SIGNAL 65", msg(fd, BH_MSG_SIGNAL, 1, 65, 0, 16), EINVAL);
	ERR("RUN with an unknown arg bit", msg(fd, BH_MSG_RUN, 1, 2, 1, 17), EINVAL);
	ERR("a bad pointer", write(fd, BADPTR, 16), EFAULT);
	check("RUN with a garbage spec is sent", msg(fd, BH_MSG_RUN, 1, 0, 16, 32) == 32);
	int started = 0, exited = -1;
	ERR("read into a buffer shorter than a message", read(fd, buf, 8), EINVAL);
	for (long n; (n = read(fd, buf, sizeof buf)) > 0;) {
		if (m->type == BH_MSG_STARTED && m->seq == 1)
			started = (int)m->arg;
		if (m->type == BH_MSG_EXIT)
			exited = (int)m->arg;
	}
	check("the utility refuses the spec (STARTED -EINVAL)", started == -EINVAL);
	check("and exits 1", exited == 1);
	close(fd);
	/* a hostile utility: output for a handle never started stops it */
	fd = open(BH_DEV, O_RDWR);
	r = newreq("badmsg");
	long id = ioctl(fd, BH_IOC_NEW, &r);
	check("start a liar", id > 0 && ioctl(fd, BH_IOC_START, 0) == 0);
	while (read(fd, buf, sizeof buf) > 0)
		;
	struct bh_cs_info info;
	struct bh_ctl c = { .id = (u32)id, .buf = (u64)(uintptr_t)&info };
	check("it was stopped for it", ioctl(fd, BH_IOC_INFO, &c) == 0 && info.state == BH_PART_STOPPED &&
					       !strcmp(info.reason, "sent a bad message") &&
					       info.type == BH_CS_CONTAINER && !strcmp(info.owner, "sys_uvm"));
	close(fd);
	printf("sys_uvm: %d failed\n", failed);
	return failed != 0;
}
