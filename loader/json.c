/* Strict recursive-descent JSON parser with depth and token limits, and the
 * accessors the image code uses.  Freestanding; guest kernel and host. */
#include "json.h"
#include "util.h"

struct parser {
	struct ld_json *j;
	size_t pos;
};

static int perr(struct parser *p, const char *what)
{
	return ld_fail(p->j->err, "JSON: %s at offset %llu", what, (unsigned long long)p->pos);
}

static void ws(struct parser *p)
{
	const char *s = p->j->s;
	while (p->pos < p->j->len &&
	       (s[p->pos] == ' ' || s[p->pos] == '\t' || s[p->pos] == '\n' || s[p->pos] == '\r'))
		p->pos++;
}

static int peek(struct parser *p)
{
	return p->pos < p->j->len ? (u8)p->j->s[p->pos] : -1;
}

static int newtok(struct parser *p, int type)
{
	if (p->j->n >= p->j->cap)
		return perr(p, "too many values");
	struct ld_jtok *t = &p->j->t[p->j->n];
	t->type = (u8)type;
	t->start = (u32)p->pos;
	t->count = 0;
	return (int)p->j->n++;
}

static int hex4(const char *s, u32 *v)
{
	*v = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		*v = *v << 4 | (u32)d;
	}
	return 0;
}

/* Decodes one character of string body s[*i..end): returns the code point,
 * or -1 if malformed.  Shared by validation and by ld_json_str. */
static long decode_char(const char *s, size_t *i, size_t end)
{
	u8 c = (u8)s[*i];
	if (c < 0x20 || c == '"')
		return -1;
	if (c == '\\') {
		if (*i + 1 >= end)
			return -1;
		char e = s[*i + 1];
		*i += 2;
		switch (e) {
		case '"': return '"';
		case '\\': return '\\';
		case '/': return '/';
		case 'b': return 8;
		case 'f': return 12;
		case 'n': return 10;
		case 'r': return 13;
		case 't': return 9;
		case 'u': {
			u32 v, lo;
			if (*i + 4 > end || hex4(s + *i, &v))
				return -1;
			*i += 4;
			if (v >= 0xdc00 && v <= 0xdfff)
				return -1;
			if (v >= 0xd800 && v <= 0xdbff) {
				if (*i + 6 > end || s[*i] != '\\' || s[*i + 1] != 'u' ||
				    hex4(s + *i + 2, &lo) || lo < 0xdc00 || lo > 0xdfff)
					return -1;
				*i += 6;
				v = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00);
			}
			return v;
		}
		}
		return -1;
	}
	if (c < 0x80) {
		(*i)++;
		return c;
	}
	/* UTF-8: reject overlong forms, surrogates and values past U+10FFFF */
	int n = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : -1;
	if (n < 0 || c > 0xf4 || *i + (size_t)n >= end)
		return -1;
	u32 v = c & (0x3f >> n);
	for (int k = 1; k <= n; k++) {
		u8 cc = (u8)s[*i + k];
		if ((cc & 0xc0) != 0x80)
			return -1;
		v = v << 6 | (cc & 0x3f);
	}
	static const u32 minv[4] = { 0, 0x80, 0x800, 0x10000 };
	if (v < minv[n] || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
		return -1;
	*i += (size_t)n + 1;
	return v;
}

static int string(struct parser *p)
{
	int t = newtok(p, LD_J_STR);
	if (t < 0)
		return -1;
	p->pos++;                               /* opening quote */
	p->j->t[t].start = (u32)p->pos;
	while (p->pos < p->j->len && p->j->s[p->pos] != '"')
		if (decode_char(p->j->s, &p->pos, p->j->len) < 0)
			return perr(p, "bad character in string");
	if (p->pos >= p->j->len)
		return perr(p, "unterminated string");
	p->j->t[t].end = (u32)p->pos++;
	p->j->t[t].next = p->j->n;
	return t;
}

static int digits(struct parser *p)
{
	size_t s = p->pos;
	while (peek(p) >= '0' && peek(p) <= '9')
		p->pos++;
	return p->pos > s ? 0 : perr(p, "bad number");
}

static int number(struct parser *p)
{
	int t = newtok(p, LD_J_NUM);
	if (t < 0)
		return -1;
	if (peek(p) == '-')
		p->pos++;
	if (peek(p) == '0')
		p->pos++;
	else if (digits(p))
		return -1;
	if (peek(p) == '.') {
		p->pos++;
		if (digits(p))
			return -1;
	}
	if (peek(p) == 'e' || peek(p) == 'E') {
		p->pos++;
		if (peek(p) == '+' || peek(p) == '-')
			p->pos++;
		if (digits(p))
			return -1;
	}
	p->j->t[t].end = (u32)p->pos;
	p->j->t[t].next = p->j->n;
	return t;
}

static int literal(struct parser *p, const char *word, int type)
{
	size_t n = ld_strlen(word);
	if (p->j->len - p->pos < n || ld_memcmp(p->j->s + p->pos, word, n))
		return perr(p, "unexpected character");
	int t = newtok(p, type);
	if (t < 0)
		return -1;
	p->pos += n;
	p->j->t[t].end = (u32)p->pos;
	p->j->t[t].next = p->j->n;
	return t;
}

static int value(struct parser *p, u32 depth);

static int container(struct parser *p, u32 depth, int obj)
{
	int t = newtok(p, obj ? LD_J_OBJ : LD_J_ARR);
	char close = obj ? '}' : ']';
	if (t < 0)
		return -1;
	if (depth >= p->j->maxdepth)
		return perr(p, "nesting too deep");
	p->pos++;
	ws(p);
	if (peek(p) == close) {
		p->pos++;
	} else {
		for (;;) {
			if (obj) {
				if (peek(p) != '"')
					return perr(p, "expected a string key");
				if (string(p) < 0)
					return -1;
				ws(p);
				if (peek(p) != ':')
					return perr(p, "expected ':'");
				p->pos++;
				ws(p);
			}
			if (value(p, depth + 1) < 0)
				return -1;
			p->j->t[t].count++;
			ws(p);
			if (peek(p) == ',') {
				p->pos++;
				ws(p);
				continue;
			}
			if (peek(p) != close)
				return perr(p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
			p->pos++;
			break;
		}
	}
	p->j->t[t].end = (u32)p->pos;
	p->j->t[t].next = p->j->n;
	return t;
}

static int value(struct parser *p, u32 depth)
{
	switch (peek(p)) {
	case '{': return container(p, depth, 1);
	case '[': return container(p, depth, 0);
	case '"': return string(p);
	case 't': return literal(p, "true", LD_J_TRUE);
	case 'f': return literal(p, "false", LD_J_FALSE);
	case 'n': return literal(p, "null", LD_J_NULL);
	case -1: return perr(p, "unexpected end");
	}
	if (peek(p) == '-' || (peek(p) >= '0' && peek(p) <= '9'))
		return number(p);
	return perr(p, "unexpected character");
}

int ld_json_parse(struct ld_json *j, const char *s, size_t len, struct ld_jtok *toks,
		  u32 cap, u32 maxdepth, struct ld_err *err)
{
	struct parser p = { j, 0 };
	j->s = s, j->len = len, j->t = toks, j->n = 0, j->cap = cap;
	j->maxdepth = maxdepth, j->err = err;
	if (len >= 0xffffffffu)
		return ld_fail(err, "JSON: document too large");
	ws(&p);
	if (value(&p, 0) < 0)
		return -1;
	ws(&p);
	if (p.pos != len)
		return perr(&p, "trailing data");
	return 0;
}

int ld_json_is(const struct ld_json *j, int i, int type)
{
	return i >= 0 && (u32)i < j->n && j->t[i].type == type;
}

long ld_json_str(const struct ld_json *j, int i, char *out, size_t cap)
{
	if (!ld_json_is(j, i, LD_J_STR))
		return -1;
	size_t pos = j->t[i].start, end = j->t[i].end, n = 0;
	while (pos < end) {
		long c = decode_char(j->s, &pos, end);
		if (c <= 0)
			return -1;
		u8 b[4];
		int k;
		if (c < 0x80)
			b[0] = (u8)c, k = 1;
		else if (c < 0x800)
			b[0] = (u8)(0xc0 | c >> 6), b[1] = (u8)(0x80 | (c & 63)), k = 2;
		else if (c < 0x10000)
			b[0] = (u8)(0xe0 | c >> 12), b[1] = (u8)(0x80 | ((c >> 6) & 63)),
			b[2] = (u8)(0x80 | (c & 63)), k = 3;
		else
			b[0] = (u8)(0xf0 | c >> 18), b[1] = (u8)(0x80 | ((c >> 12) & 63)),
			b[2] = (u8)(0x80 | ((c >> 6) & 63)), b[3] = (u8)(0x80 | (c & 63)), k = 4;
		if (n + k >= cap)
			return -1;
		ld_memcpy(out + n, b, k);
		n += k;
	}
	if (n >= cap)
		return -1;
	out[n] = 0;
	return (long)n;
}

int ld_json_get(const struct ld_json *j, int obj, const char *key)
{
	char buf[128];
	int found = -1;
	if (!ld_json_is(j, obj, LD_J_OBJ))
		return -1;
	int k = obj + 1;
	for (u32 m = 0; m < j->t[obj].count; m++) {
		int v = k + 1;
		if (ld_json_str(j, k, buf, sizeof buf) >= 0 && !ld_strcmp(buf, key))
			found = v;
		k = (int)j->t[v].next;
	}
	return found;
}

int ld_json_u64(const struct ld_json *j, int i, u64 *v)
{
	if (!ld_json_is(j, i, LD_J_NUM))
		return -1;
	u64 x = 0;
	for (u32 p = j->t[i].start; p < j->t[i].end; p++) {
		char c = j->s[p];
		if (c < '0' || c > '9' || x > (~0ull - 9) / 10)
			return -1;
		x = x * 10 + (u64)(c - '0');
	}
	*v = x;
	return 0;
}
