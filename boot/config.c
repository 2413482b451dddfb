/* bulkhead.cfg parser (see config.h).  Pure C, no EFI, no libc. */
#include "config.h"
#include "fmt.h"
#include "../lib/fmt.h"

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* s[0..n) equals the NUL-terminated word w, ignoring case. */
static int eq_nocase(const char *s, size_t n, const char *w)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (!w[i] || lower(s[i]) != w[i])
			return 0;
	return w[i] == 0;
}

static int eq(const char *s, size_t n, const char *w)
{
	size_t i;
	for (i = 0; i < n; i++)
		if (!w[i] || s[i] != w[i])
			return 0;
	return w[i] == 0;
}

static void copy_str(char *dst, const char *s, size_t n)
{
	boot_memcpy(dst, s, n);
	dst[n] = 0;
}

static void copy_lit(char *dst, const char *s)
{
	copy_str(dst, s, boot_strlen(s));
}

void bh_config_defaults(struct bh_config *out)
{
	boot_memset(out, 0, sizeof(*out));
	copy_lit(out->hv, "hv.elf");
	copy_lit(out->guest, "guest.elf");
	out->host_memory = 0;
	out->serial_port = 0x3f8;
	out->isolation = BH_ISO_PROCESS;
	copy_lit(out->api, BH_CFG_DEFAULT_API);
}

/* Unsigned number: decimal, or hex with 0x.  Returns number of chars used, 0 on error/overflow. */
static size_t parse_uint(const char *s, size_t n, u64 *out)
{
	u64 v = 0;
	size_t i = 0;
	unsigned base = 10;

	if (n > 2 && s[0] == '0' && lower(s[1]) == 'x') {
		base = 16;
		i = 2;
	}
	size_t start = i;
	for (; i < n; i++) {
		char c = lower(s[i]);
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			break;
		if (v > (~0ull - d) / base)
			return 0;
		v = v * base + d;
	}
	if (i == start)
		return 0;
	*out = v;
	return i;
}

/* Size: decimal bytes, optionally followed by K, M or G (powers of 1024). */
static int parse_size(const char *s, size_t n, u64 *out)
{
	u64 v;
	size_t used;

	if (n && s[0] == '0' && n > 1 && lower(s[1]) == 'x')
		return -1; /* sizes are decimal */
	used = parse_uint(s, n, &v);
	if (!used)
		return -1;
	if (used < n) {
		unsigned shift;
		switch (lower(s[used])) {
		case 'k': shift = 10; break;
		case 'm': shift = 20; break;
		case 'g': shift = 30; break;
		default: return -1;
		}
		if (used + 1 != n || v > (~0ull >> shift))
			return -1;
		v <<= shift;
	}
	*out = v;
	return 0;
}

enum key_id { K_HV, K_GUEST, K_HOST_MEMORY, K_SERIAL, K_ISOLATION, K_IMAGE, K_CMDLINE, K_TLB_TAGS, K_NET, K_REGISTRIES,
	      K_API, K_COUNT };
static const char *const key_names[K_COUNT] = {
	"hv", "guest", "host_memory", "serial", "isolation", "image", "cmdline", "tlb_tags", "net",
	"insecure-registries", "api",
};

struct ctx {
	char *err;
	size_t errlen;
	unsigned line;
};

static int fail(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct ctx *c, const char *fmt, ...)
{
	if (c->errlen) {
		size_t p = (size_t)bh_snprintf(c->err, c->errlen, BH_CFG_NAME ":%u: ", c->line);
		va_list ap;
		va_start(ap, fmt);
		if (p < c->errlen)
			bh_vsnprintf(c->err + p, c->errlen - p, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* A decimal number of 1..max digits at s[0..n): chars used, 0 if none. */
static size_t parse_dec(const char *s, size_t n, size_t max, u32 *out)
{
	size_t i = 0;
	u32 v = 0;
	for (; i < n && i < max && s[i] >= '0' && s[i] <= '9'; i++)
		v = v * 10 + (u32)(s[i] - '0');
	*out = v;
	return i;
}

/* A dotted IPv4 address a.b.c.d (each 0..255) at the start of s[0..n):
 * chars used, 0 if none. */
static size_t parse_ip(const char *s, size_t n, u32 *out)
{
	size_t i = 0;
	u32 v = 0;
	for (int part = 0; part < 4; part++) {
		u32 x;
		size_t used = parse_dec(s + i, n - i, 3, &x);
		if (!used || x > 255 || (part < 3 && (i + used >= n || s[i + used] != '.')))
			return 0;
		v = v << 8 | x;
		i += used + (part < 3);
	}
	*out = v;
	return i;
}

/* `insecure-registries = HOST[:PORT], ...`: names of [A-Za-z0-9.-], each
 * with an optional port of 1..5 digits, kept joined by ',' without spaces. */
static int parse_registries(struct ctx *c, struct bh_config *cfg, const char *v, size_t n)
{
	char t[BH_CFG_LINE_MAX];
	size_t m = 0;
	for (size_t i = 0; i < n; i++)
		if (!is_space(v[i]))
			t[m++] = v[i];
	for (size_t i = 0; i <= m; i++) {   /* NAME[:PORT], then ',' or the end */
		size_t s = i;
		while (i < m && ((t[i] | 0x20) >= 'a' && (t[i] | 0x20) <= 'z' ? 1 :
				 (t[i] >= '0' && t[i] <= '9') || t[i] == '.' || t[i] == '-'))
			i++;
		if (i == s)
			goto bad;
		if (i < m && t[i] == ':') {
			size_t d = ++i;
			while (i < m && t[i] >= '0' && t[i] <= '9')
				i++;
			if (i == d || i - d > 5)
				goto bad;
		}
		if (i < m && t[i] != ',')
			goto bad;
	}
	if (m >= BH_REGISTRIES_MAX)
		return fail(c, "insecure-registries too long (%u chars, max %u)", (unsigned)m, BH_REGISTRIES_MAX - 1);
	copy_str(cfg->insecure_registries, t, m);
	return 0;
bad:
	return fail(c, "bad insecure-registries '%.*s' (HOST[:PORT], ... such as 10.0.2.2:5000)", (int)n, v);
}

/* `net = dhcp` or `net = ADDR/PREFIX,GATEWAY` (the gateway in ADDR's subnet). */
static int parse_net(struct ctx *c, struct bh_config *cfg, const char *v, size_t n)
{
	u32 addr, gw, prefix;
	size_t a, p;
	if (eq_nocase(v, n, "dhcp")) {
		cfg->net_addr = cfg->net_gateway = cfg->net_prefix = 0;
		return 0;
	}
	if (!(a = parse_ip(v, n, &addr)) || a + 1 >= n || v[a] != '/' || !(p = parse_dec(v + a + 1, n - a - 1, 2, &prefix)) ||
	    prefix > 32 || a + 1 + p >= n || v[a + 1 + p] != ',' || parse_ip(v + a + 2 + p, n - a - 2 - p, &gw) != n - a - 2 - p)
		return fail(c, "bad net '%.*s' (dhcp, or ADDR/PREFIX,GATEWAY such as 10.0.2.15/24,10.0.2.2)", (int)n, v);
	u32 mask = prefix ? ~0u << (32 - prefix) : 0;
	if ((addr & ~mask) == 0 || (addr | mask) == ~0u || (gw & mask) != (addr & mask) || gw == addr)
		return fail(c, "bad net '%.*s': the address must be a host of its subnet and the gateway another one",
			    (int)n, v);
	cfg->net_addr = addr, cfg->net_gateway = gw, cfg->net_prefix = prefix;
	return 0;
}

/* One endpoint of `api =`: unix:///PATH (absolute, printable, under 108
 * bytes: sun_path) or tcp://ADDR:PORT (ADDR dotted IPv4, PORT 1..65535). */
static int api_word_ok(const char *w, size_t n)
{
	u32 addr, port;
	size_t a;
	if (n > 8 && eq(w, 8, "unix:///")) {
		for (size_t i = 7; i < n; i++)
			if ((unsigned char)w[i] <= 0x20 || (unsigned char)w[i] >= 0x7f)
				return 0;
		return n - 7 < 108;
	}
	if (n <= 6 || !eq(w, 6, "tcp://") || !(a = parse_ip(w + 6, n - 6, &addr)) || 6 + a >= n || w[6 + a] != ':')
		return 0;
	a += 7;
	return parse_dec(w + a, n - a, 5, &port) == n - a && port >= 1 && port <= 65535;
}

/* `api = ENDPOINT...`: 1..BH_CFG_MAX_API words, kept with one space between. */
static int parse_api(struct ctx *c, struct bh_config *cfg, const char *v, size_t n)
{
	size_t o = 0, i = 0;
	unsigned words = 0;
	while (i < n) {
		size_t s = i;
		while (i < n && !is_space(v[i]))
			i++;
		if (!api_word_ok(v + s, i - s))
			return fail(c, "bad api endpoint '%.*s' (unix:///PATH or tcp://ADDR:PORT, such as tcp://0.0.0.0:2375)",
				    (int)(i - s), v + s);
		if (++words > BH_CFG_MAX_API)
			return fail(c, "too many api endpoints (max %u)", (unsigned)BH_CFG_MAX_API);
		if (o + (o ? 1 : 0) + (i - s) >= BH_API_MAX)
			return fail(c, "api too long (max %u chars)", (unsigned)BH_API_MAX - 1);
		if (o)
			cfg->api[o++] = ' ';
		boot_memcpy(cfg->api + o, v + s, i - s);
		o += i - s;
		while (i < n && is_space(v[i]))
			i++;
	}
	cfg->api[o] = 0;
	return 0;
}

/* A file name on the ESP root: printable ASCII, no path separators, no "..". */
static int check_name(struct ctx *c, const char *key, const char *v, size_t n)
{
	if (n >= BH_MOD_NAME_MAX)
		return fail(c, "file name for %s too long (%u chars, max %u)", key,
			    (unsigned)n, (unsigned)BH_MOD_NAME_MAX - 1);
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '/' || v[i] == '\\')
			return fail(c, "bad file name '%.*s' for %s: no '/' or '\\' allowed (files sit in the volume's root)",
				    (int)n, v, key);
		if (v[i] == '.' && i + 1 < n && v[i + 1] == '.')
			return fail(c, "bad file name '%.*s' for %s: '..' not allowed", (int)n, v, key);
		if ((unsigned char)v[i] < 0x20 || (unsigned char)v[i] >= 0x7f)
			return fail(c, "bad file name for %s: only printable ASCII allowed", key);
	}
	return 0;
}

static int set_value(struct ctx *c, struct bh_config *cfg, enum key_id k, const char *v, size_t n)
{
	u64 x;

	switch (k) {
	case K_HV:
	case K_GUEST:
		if (check_name(c, key_names[k], v, n))
			return -1;
		copy_str(k == K_HV ? cfg->hv : cfg->guest, v, n);
		return 0;
	case K_IMAGE:
		if (cfg->nr_images >= BH_CFG_MAX_IMAGES)
			return fail(c, "too many images (max %u)", (unsigned)BH_CFG_MAX_IMAGES);
		if (check_name(c, "image", v, n))
			return -1;
		for (u32 i = 0; i < cfg->nr_images; i++)
			if (eq(v, n, cfg->images[i]))
				return fail(c, "image '%s' listed twice", cfg->images[i]);
		copy_str(cfg->images[cfg->nr_images++], v, n);
		return 0;
	case K_HOST_MEMORY:
		if (eq_nocase(v, n, "all")) {
			cfg->host_memory = 0;
			return 0;
		}
		if (parse_size(v, n, &x))
			return fail(c, "bad size '%.*s' for host_memory (bytes, or a number with K, M or G, or all)",
				    (int)n, v);
		if (x < BH_CFG_MIN_HOST_MEM)
			return fail(c, "host_memory '%.*s' is below the 16M minimum", (int)n, v);
		cfg->host_memory = x;
		return 0;
	case K_SERIAL: {
		static const u16 com[4] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };
		static const char *const names[4] = { "com1", "com2", "com3", "com4" };
		for (int i = 0; i < 4; i++)
			if (eq_nocase(v, n, names[i])) {
				cfg->serial_port = com[i];
				return 0;
			}
		if (eq_nocase(v, n, "none")) {
			cfg->serial_port = 0;
			return 0;
		}
		if (parse_uint(v, n, &x) != n || x == 0 || x > 0xffff)
			return fail(c, "bad serial port '%.*s' (com1..com4, an I/O port 1..0xffff, or none)",
				    (int)n, v);
		cfg->serial_port = (u16)x;
		return 0;
	}
	case K_ISOLATION:
		if (eq_nocase(v, n, "process"))
			cfg->isolation = BH_ISO_PROCESS;
		else if (eq_nocase(v, n, "hyperv"))
			cfg->isolation = BH_ISO_HYPERV;
		else
			return fail(c, "bad isolation '%.*s' (process or hyperv)", (int)n, v);
		return 0;
	case K_TLB_TAGS:
		if (parse_uint(v, n, &x) != n || x < 2 || x > 0xffff)
			return fail(c, "bad tlb_tags '%.*s' (2..65535)", (int)n, v);
		cfg->tlb_tags = (u32)x;
		return 0;
	case K_NET:
		return parse_net(c, cfg, v, n);
	case K_REGISTRIES:
		return parse_registries(c, cfg, v, n);
	case K_API:
		return parse_api(c, cfg, v, n);
	case K_CMDLINE:
		if (n >= BH_CMDLINE_MAX)
			return fail(c, "cmdline too long (%u chars, max %u)", (unsigned)n,
				    (unsigned)BH_CMDLINE_MAX - 1);
		copy_str(cfg->cmdline, v, n);
		return 0;
	default:
		return -1;
	}
}

int bh_config_parse(const char *text, size_t len, struct bh_config *out,
		    char *err, size_t errlen)
{
	struct ctx c = { err, errlen, 0 };
	unsigned first_line[K_COUNT] = { 0 };
	size_t pos = 0;

	if (errlen)
		err[0] = 0;
	bh_config_defaults(out);
	if (len >= 3 && (u8)text[0] == 0xef && (u8)text[1] == 0xbb && (u8)text[2] == 0xbf)
		pos = 3;

	while (pos < len) {
		size_t start = pos, end;
		c.line++;
		while (pos < len && text[pos] != '\n')
			pos++;
		end = pos;
		if (pos < len)
			pos++; /* skip '\n' */
		if (end > start && text[end - 1] == '\r')
			end--;
		if (end - start >= BH_CFG_LINE_MAX)
			return fail(&c, "line too long (max %u chars)", (unsigned)BH_CFG_LINE_MAX - 1);

		const char *l = text + start;
		size_t n = end - start;
		for (size_t i = 0; i < n; i++) {
			if (l[i] == '#') {
				n = i;
				break;
			}
			if (l[i] == 0 || ((u8)l[i] < 0x20 && l[i] != '\t' && l[i] != '\r'))
				return fail(&c, "invalid control character (byte 0x%x)", (unsigned)(u8)l[i]);
		}
		while (n && is_space(l[n - 1]))
			n--;
		while (n && is_space(*l)) {
			l++;
			n--;
		}
		if (!n)
			continue;

		size_t eqpos = 0;
		while (eqpos < n && l[eqpos] != '=')
			eqpos++;
		if (eqpos == n)
			return fail(&c, "missing '=' in '%.*s' (expected key = value)", (int)n, l);
		size_t kn = eqpos;
		while (kn && is_space(l[kn - 1]))
			kn--;
		const char *v = l + eqpos + 1;
		size_t vn = n - eqpos - 1;
		while (vn && is_space(*v)) {
			v++;
			vn--;
		}
		if (!kn)
			return fail(&c, "missing key before '='");

		int k;
		for (k = 0; k < K_COUNT; k++)
			if (eq(l, kn, key_names[k]))
				break;
		if (k == K_COUNT)
			return fail(&c, "unknown key '%.*s'", (int)kn, l);
		if (!vn)
			return fail(&c, "empty value for %s", key_names[k]);
		if (k != K_IMAGE && first_line[k])
			return fail(&c, "duplicate key '%s' (already set on line %u)", key_names[k],
				    first_line[k]);
		if (!first_line[k])
			first_line[k] = c.line;
		if (set_value(&c, out, (enum key_id)k, v, vn))
			return -1;
	}
	return 0;
}
