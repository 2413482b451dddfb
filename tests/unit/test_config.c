/* Unit tests for boot/config.c (bulkhead.cfg parser). */
#include <string.h>
#include "check.h"
#include "boot/config.h"

static struct bh_config cfg;
static char err[256];

static int parse(const char *text)
{
	memset(err, 'x', sizeof(err)); /* the parser must always terminate err */
	err[sizeof(err) - 1] = 0;
	return bh_config_parse(text, strlen(text), &cfg, err, sizeof(err));
}

/* Parsing fails and the message contains each of the given fragments. */
static int fails_with(const char *text, const char *a, const char *b)
{
	if (parse(text) != -1) {
		printf("  expected failure for: %s\n", text);
		return 0;
	}
	if (!strstr(err, a) || (b && !strstr(err, b))) {
		printf("  message '%s' lacks '%s'%s%s\n", err, a, b ? " or " : "", b ? b : "");
		return 0;
	}
	return 1;
}

static void test_defaults(void)
{
	CHECK(parse("") == 0);
	CHECK(err[0] == 0);
	CHECK(strcmp(cfg.hv, "hv.elf") == 0);
	CHECK(strcmp(cfg.guest, "guest.elf") == 0);
	CHECK(cfg.host_memory == 0);
	CHECK(cfg.serial_port == 0x3f8);
	CHECK(cfg.isolation == BH_ISO_PROCESS);
	CHECK(cfg.nr_images == 0);
	CHECK(cfg.cmdline[0] == 0);
	CHECK(parse("\n\n# only comments\n   \t\n# x = y\n") == 0);
}

static void test_shipped_file(void)
{
	const char *t =
		"# Bulkhead boot configuration\n"
		"# One key = value per line\n"
		"\n"
		"hv = hv.elf            # the hypervisor image\n"
		"guest = guest.elf      # the guest kernel\n"
		"host_memory = 512M     # RAM\n"
		"serial = com1          # console\n"
		"isolation = process    # default\n"
		"# image = busybox.tar  # a container image\n";
	CHECK(parse(t) == 0);
	CHECK(cfg.host_memory == 512ull << 20);
	CHECK(cfg.serial_port == 0x3f8);
	CHECK(cfg.nr_images == 0);
}

static void test_good(void)
{
	const char *t =
		"\xef\xbb\xbf" /* UTF-8 BOM */
		"hv=my-hv.elf\r\n"
		"  guest\t=\tkern.elf  \r\n"
		"host_memory = 2G\r\n"
		"serial = COM2\r\n"
		"isolation = HyperV\r\n"
		"image = busybox.tar\r\n"
		"image = alpine.oci.tar # trailing comment\r\n"
		"cmdline = console=ttyS0 loglevel=7 \r\n"
		"# last line without newline\r\n"
		"image=x";
	CHECK(parse(t) == 0);
	CHECK(strcmp(cfg.hv, "my-hv.elf") == 0);
	CHECK(strcmp(cfg.guest, "kern.elf") == 0);
	CHECK(cfg.host_memory == 2ull << 30);
	CHECK(cfg.serial_port == 0x2f8);
	CHECK(cfg.isolation == BH_ISO_HYPERV);
	CHECK(cfg.nr_images == 3);
	CHECK(strcmp(cfg.images[0], "busybox.tar") == 0);
	CHECK(strcmp(cfg.images[1], "alpine.oci.tar") == 0);
	CHECK(strcmp(cfg.images[2], "x") == 0);
	CHECK(strcmp(cfg.cmdline, "console=ttyS0 loglevel=7") == 0);

	/* sizes */
	CHECK(parse("host_memory = all") == 0 && cfg.host_memory == 0);
	CHECK(parse("host_memory = ALL") == 0 && cfg.host_memory == 0);
	CHECK(parse("host_memory = 16M") == 0 && cfg.host_memory == 16ull << 20);
	CHECK(parse("host_memory = 16384k") == 0 && cfg.host_memory == 16ull << 20);
	CHECK(parse("host_memory = 16777216") == 0 && cfg.host_memory == 16777216);
	CHECK(parse("host_memory = 1024G") == 0 && cfg.host_memory == 1ull << 40);
	/* serial */
	CHECK(parse("serial = com1") == 0 && cfg.serial_port == 0x3f8);
	CHECK(parse("serial = com2") == 0 && cfg.serial_port == 0x2f8);
	CHECK(parse("serial = com3") == 0 && cfg.serial_port == 0x3e8);
	CHECK(parse("serial = com4") == 0 && cfg.serial_port == 0x2e8);
	CHECK(parse("serial = none") == 0 && cfg.serial_port == 0);
	CHECK(parse("serial = 0x3F8") == 0 && cfg.serial_port == 0x3f8);
	CHECK(parse("serial = 1016") == 0 && cfg.serial_port == 1016);
	CHECK(parse("serial = 0xffff") == 0 && cfg.serial_port == 0xffff);
	CHECK(parse("serial = 1") == 0 && cfg.serial_port == 1);
	CHECK(parse("isolation = process") == 0 && cfg.isolation == BH_ISO_PROCESS);
	/* longest accepted names and cmdline */
	char t2[600];
	snprintf(t2, sizeof(t2), "hv = %.*s\ncmdline = %.*s\n", BH_MOD_NAME_MAX - 1,
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		 BH_CMDLINE_MAX - 1, "");
	char *p = strstr(t2, "cmdline = ") + 10;
	memset(p, 'c', BH_CMDLINE_MAX - 1);
	strcpy(p + BH_CMDLINE_MAX - 1, "\n");
	CHECK(parse(t2) == 0);
	CHECK(strlen(cfg.hv) == BH_MOD_NAME_MAX - 1);
	CHECK(strlen(cfg.cmdline) == BH_CMDLINE_MAX - 1);
	/* eight images */
	CHECK(parse("image=a\nimage=b\nimage=c\nimage=d\nimage=e\nimage=f\nimage=g\nimage=h\n") == 0);
	CHECK(cfg.nr_images == BH_CFG_MAX_IMAGES);
	CHECK(strcmp(cfg.images[7], "h") == 0);
	/* ASIDs/VPIDs for hv, forced small by tests */
	CHECK(parse("") == 0 && cfg.tlb_tags == 0);
	CHECK(parse("tlb_tags = 3") == 0 && cfg.tlb_tags == 3);
	CHECK(parse("tlb_tags = 0xffff") == 0 && cfg.tlb_tags == 0xffff);
	/* the engine's endpoints: both by default, kept with single spaces */
	CHECK(parse("") == 0 && strcmp(cfg.api, "unix:///var/run/docker.sock tcp://0.0.0.0:2375") == 0);
	CHECK(parse("api = tcp://127.0.0.1:2376") == 0 && strcmp(cfg.api, "tcp://127.0.0.1:2376") == 0);
	CHECK(parse("api =  unix:///run/d.sock \t tcp://0.0.0.0:1  ") == 0 &&
	      strcmp(cfg.api, "unix:///run/d.sock tcp://0.0.0.0:1") == 0);
	CHECK(parse("api = tcp://1.2.3.4:65535 tcp://1.2.3.4:2 unix:///a unix:///b") == 0);
	/* the host's network: DHCP (default) or a static address */
	CHECK(parse("") == 0 && cfg.net_addr == 0);
	CHECK(parse("net = DHCP") == 0 && cfg.net_addr == 0);
	CHECK(parse("net = 10.0.2.15/24,10.0.2.2") == 0 && cfg.net_addr == 0x0a00020f && cfg.net_prefix == 24 &&
	      cfg.net_gateway == 0x0a000202);
	CHECK(parse("net = 192.168.1.200/16,192.168.0.1") == 0 && cfg.net_prefix == 16);
	/* registries the engine pulls from over plain HTTP */
	CHECK(parse("") == 0 && cfg.insecure_registries[0] == 0);
	CHECK(parse("insecure-registries = 10.0.2.2:5000") == 0 && !strcmp(cfg.insecure_registries, "10.0.2.2:5000"));
	CHECK(parse("insecure-registries = a.example:80, localhost ,b-c") == 0 &&
	      !strcmp(cfg.insecure_registries, "a.example:80,localhost,b-c"));
	/* a value may contain '=' */
	CHECK(parse("cmdline = a=b c=d") == 0 && strcmp(cfg.cmdline, "a=b c=d") == 0);
	/* dots inside a name are fine, only ".." is not */
	CHECK(parse("guest = a.b.c") == 0);
	/* a later parse starts from the defaults again */
	CHECK(parse("") == 0 && cfg.nr_images == 0 && strcmp(cfg.hv, "hv.elf") == 0);
}

static void test_bad(void)
{
	CHECK(fails_with("hv = a\nfoo = 1\n", "bulkhead.cfg:2:", "unknown key 'foo'"));
	CHECK(fails_with("\n\n\n\nhost_memory = 12Q\n", "bulkhead.cfg:5:", "bad size '12Q' for host_memory"));
	CHECK(fails_with("host_memory = 12MB", "bulkhead.cfg:1:", "bad size '12MB'"));
	CHECK(fails_with("host_memory = M", "bulkhead.cfg:1:", "bad size 'M'"));
	CHECK(fails_with("host_memory = -5M", ":1:", "bad size"));
	CHECK(fails_with("host_memory = 0x1000000", ":1:", "bad size"));
	CHECK(fails_with("host_memory = 1 6M", ":1:", "bad size"));
	CHECK(fails_with("host_memory = 99999999999999999999", ":1:", "bad size"));
	CHECK(fails_with("host_memory = 17179869184G", ":1:", "bad size")); /* 2^64 */
	CHECK(fails_with("host_memory = 15M", ":1:", "below the 16M minimum"));
	CHECK(fails_with("host_memory = 0", ":1:", "host_memory"));
	CHECK(fails_with("# c\nhv\n", "bulkhead.cfg:2:", "missing '='"));
	CHECK(fails_with("= x\n", ":1:", "missing key"));
	CHECK(fails_with("hv =\n", ":1:", "empty value for hv"));
	CHECK(fails_with("hv =   # comment only\n", ":1:", "empty value for hv"));
	CHECK(fails_with("hv = a\nguest = b\nhv = c\n", "bulkhead.cfg:3:", "duplicate key 'hv'"));
	CHECK(fails_with("hv = a\nguest = b\nhv = c\n", "line 1", NULL));
	CHECK(fails_with("serial = com1\nserial = none\n", ":2:", "duplicate key 'serial'"));
	CHECK(fails_with("cmdline = a\ncmdline = b\n", ":2:", "duplicate key 'cmdline'"));
	CHECK(fails_with("isolation = vm\n", ":1:", "bad isolation 'vm'"));
	CHECK(fails_with("tlb_tags = 1\n", ":1:", "bad tlb_tags '1' (2..65535)"));
	CHECK(fails_with("tlb_tags = 65536\n", ":1:", "bad tlb_tags"));
	CHECK(fails_with("tlb_tags = many\n", ":1:", "bad tlb_tags"));
	CHECK(fails_with("net = static\n", ":1:", "bad net 'static' (dhcp, or ADDR/PREFIX,GATEWAY"));
	CHECK(fails_with("api = tcp://0.0.0.0:0\n", ":1:", "bad api endpoint 'tcp://0.0.0.0:0' (unix:///PATH"));
	CHECK(fails_with("api = tcp://0.0.0.0:65536\n", ":1:", "bad api endpoint"));
	CHECK(fails_with("api = tcp://localhost:2375\n", ":1:", "bad api endpoint"));
	CHECK(fails_with("api = tcp://1.2.3.4\n", ":1:", "bad api endpoint"));
	CHECK(fails_with("api = unix://relative.sock\n", ":1:", "bad api endpoint"));
	CHECK(fails_with("api = http://1.2.3.4:80\n", ":1:", "bad api endpoint"));
	CHECK(fails_with("api = unix:///a unix:///b unix:///c unix:///d unix:///e\n", ":1:", "too many api endpoints (max 4)"));
	CHECK(fails_with("net = 10.0.2.15\n", ":1:", "bad net"));
	CHECK(fails_with("net = 10.0.2.15/24\n", ":1:", "bad net"));
	CHECK(fails_with("net = 10.0.2.256/24,10.0.2.2\n", ":1:", "bad net"));
	CHECK(fails_with("net = 10.0.2.15/33,10.0.2.2\n", ":1:", "bad net"));
	CHECK(fails_with("net = 10.0.2.15/24,10.0.2.2x\n", ":1:", "bad net"));
	CHECK(fails_with("net = 10.0.2.15/24,10.0.3.2\n", ":1:", "the gateway another one"));
	CHECK(fails_with("net = 10.0.2.0/24,10.0.2.2\n", ":1:", "a host of its subnet"));
	CHECK(fails_with("net = 10.0.2.255/24,10.0.2.2\n", ":1:", "a host of its subnet"));
	CHECK(fails_with("net = 10.0.2.2/24,10.0.2.2\n", ":1:", "another one"));
	CHECK(fails_with("insecure-registries = a:\n", ":1:", "bad insecure-registries 'a:' (HOST[:PORT], ..."));
	CHECK(fails_with("insecure-registries = a,,b\n", ":1:", "bad insecure-registries"));
	CHECK(fails_with("insecure-registries = a,\n", ":1:", "bad insecure-registries"));
	CHECK(fails_with("insecure-registries = :80\n", ":1:", "bad insecure-registries"));
	CHECK(fails_with("insecure-registries = a:123456\n", ":1:", "bad insecure-registries"));
	CHECK(fails_with("insecure-registries = http://a\n", ":1:", "bad insecure-registries"));
	CHECK(fails_with("insecure-registries = a/b\n", ":1:", "bad insecure-registries"));
	CHECK(fails_with("serial = com5\n", ":1:", "bad serial port 'com5'"));
	CHECK(fails_with("serial = 0\n", ":1:", "bad serial port '0'"));
	CHECK(fails_with("serial = 0x10000\n", ":1:", "bad serial port"));
	CHECK(fails_with("serial = 0x\n", ":1:", "bad serial port"));
	CHECK(fails_with("serial = 3f8\n", ":1:", "bad serial port"));
	CHECK(fails_with("image=a\nimage=b\nimage=c\nimage=d\nimage=e\nimage=f\nimage=g\nimage=h\nimage=i\n",
			 "bulkhead.cfg:9:", "too many images"));
	CHECK(fails_with("image = a.tar\nimage = a.tar\n", ":2:", "listed twice"));
	CHECK(fails_with("hv = boot/hv.elf\n", ":1:", "bad file name 'boot/hv.elf' for hv"));
	CHECK(fails_with("guest = EFI\\guest.elf\n", ":1:", "for guest"));
	CHECK(fails_with("image = ..\n", ":1:", "'..'"));
	CHECK(fails_with("image = a..b\n", ":1:", "'..'"));
	CHECK(fails_with("hv = h\xc3\xa9.elf\n", ":1:", "printable ASCII"));
	CHECK(fails_with("hv = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", ":1:", "too long")); /* 48 */
	CHECK(fails_with("hv = a\x01\n", ":1:", "control character"));

	char big[1200];
	/* a line of 511 chars is accepted, 512 is not */
	memset(big, ' ', sizeof(big));
	memcpy(big, "hv = a", 6);
	big[BH_CFG_LINE_MAX - 1] = '\n';
	big[BH_CFG_LINE_MAX] = 0;
	CHECK(parse(big) == 0);
	memset(big, ' ', sizeof(big));
	memcpy(big, "# ok\nhv = a", 11);
	big[5 + BH_CFG_LINE_MAX] = '\r'; /* CR not counted */
	big[5 + BH_CFG_LINE_MAX + 1] = '\n';
	big[5 + BH_CFG_LINE_MAX + 2] = 0;
	CHECK(fails_with(big, "bulkhead.cfg:2:", "line too long"));
	/* cmdline of BH_CMDLINE_MAX chars */
	strcpy(big, "cmdline = ");
	memset(big + 10, 'c', BH_CMDLINE_MAX);
	big[10 + BH_CMDLINE_MAX] = 0;
	CHECK(fails_with(big, ":1:", "cmdline too long"));

	/* errors keep the line number right across CRLF and comments */
	CHECK(fails_with("# a\r\nhv = x\r\n\r\n   # b\r\nbogus\r\n", "bulkhead.cfg:5:", "missing '='"));

	/* a NUL byte inside the text (len covers it) */
	static const char nul[] = "hv = a\0b\n";
	CHECK(bh_config_parse(nul, sizeof(nul) - 1, &cfg, err, sizeof(err)) == -1);
	CHECK(strstr(err, ":1:") != NULL);

	/* tiny error buffers are still terminated; errlen 0 is allowed */
	char small[8];
	CHECK(bh_config_parse("foo=1", 5, &cfg, small, sizeof(small)) == -1);
	CHECK(strlen(small) == sizeof(small) - 1);
	CHECK(bh_config_parse("foo=1", 5, &cfg, NULL, 0) == -1);
}

int main(int argc, char **argv)
{
	(void)argc;
	test_defaults();
	test_shipped_file();
	test_good();
	test_bad();
	return check_summary(argv[0]);
}
