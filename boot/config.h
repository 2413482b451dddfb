/*
 * bulkhead.cfg parser.  Pure C: no EFI or libc calls, so it builds both into
 * BOOTX64.EFI and into the host unit tests.
 *
 * Format: one `key = value` per line; '#' starts a comment anywhere (so values
 * cannot contain '#'); blank lines and surrounding whitespace are ignored; CRLF
 * and a leading UTF-8 BOM are tolerated.  Keys are lower case; keyword values
 * (all, com1, none, process, ...) and size suffixes are case-insensitive.
 */
#ifndef BULKHEAD_BOOT_CONFIG_H
#define BULKHEAD_BOOT_CONFIG_H

#include <bulkhead/bootinfo.h>

#define BH_CFG_NAME "bulkhead.cfg"
#define BH_CFG_LINE_MAX 512      /* longest line accepted, CR/LF excluded: 511 */
#define BH_CFG_MAX_IMAGES 8      /* `image =` lines */
#define BH_CFG_MIN_HOST_MEM (16ull << 20)
#define BH_CFG_MAX_API 4         /* endpoints in `api =` (bulkheadd's -H limit) */
#define BH_CFG_DEFAULT_API "unix:///var/run/docker.sock tcp://0.0.0.0:2375"

struct bh_config {
	char hv[BH_MOD_NAME_MAX];      /* default "hv.elf" */
	char guest[BH_MOD_NAME_MAX];   /* default "guest.elf" */
	u64 host_memory;               /* bytes, 0 = "all" (default) */
	u16 serial_port;               /* I/O port, 0 = none; default 0x3f8 */
	u8 isolation;                  /* BH_ISO_*, default BH_ISO_PROCESS */
	u32 nr_images;
	char images[BH_CFG_MAX_IMAGES][BH_MOD_NAME_MAX];
	char cmdline[BH_CMDLINE_MAX];  /* default "" */
	u32 tlb_tags;                  /* at most this many ASIDs/VPIDs; 0 (default) = the CPU's count */
	u32 net_addr, net_gateway;     /* `net = ADDR/PREFIX,GATEWAY` (a << 24 | b << 16 | c << 8 | d); 0: dhcp (default) */
	u32 net_prefix;                /* 0..32 */
	char insecure_registries[BH_REGISTRIES_MAX]; /* HOST[:PORT],... (spaces dropped); default "" */
	char api[BH_API_MAX];          /* the engine's endpoints, one space between; default BH_CFG_DEFAULT_API */
};

/* Fills *out with the defaults. */
void bh_config_defaults(struct bh_config *out);

/*
 * Parses len bytes of text into *out (defaults first, then the file's keys).
 * Returns 0, or -1 with a one-line message such as
 * "bulkhead.cfg:3: unknown key 'foo'" in err (always NUL-terminated if errlen > 0).
 */
int bh_config_parse(const char *text, size_t len, struct bh_config *out,
		    char *err, size_t errlen);

#endif
