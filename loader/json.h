/* A strict, bounded JSON parser (RFC 8259): the whole document is parsed
 * into a flat token array (caller-sized), with a nesting limit; strings are
 * checked for valid escapes and UTF-8 and decoded on demand.  Used for
 * index.json, manifests, configs and docker's manifest.json.  Freestanding. */
#ifndef BULKHEAD_LOADER_JSON_H
#define BULKHEAD_LOADER_JSON_H
#include "ld.h"

enum { LD_J_NULL, LD_J_FALSE, LD_J_TRUE, LD_J_NUM, LD_J_STR, LD_J_ARR, LD_J_OBJ };

struct ld_jtok {
	u8 type;
	u32 start, end;     /* bytes of the value (strings: inside the quotes) */
	u32 next;           /* index just past this value's subtree */
	u32 count;          /* array elements / object members */
};

struct ld_json {
	const char *s;
	size_t len;
	struct ld_jtok *t;
	u32 n, cap, maxdepth;
	struct ld_err *err;
};

/* Parses s[0..len).  Returns 0 or -1 with a message naming the offset. */
int ld_json_parse(struct ld_json *j, const char *s, size_t len, struct ld_jtok *toks,
		  u32 cap, u32 maxdepth, struct ld_err *err);
/* Value of `key` in object token obj (the last one if repeated), or -1. */
int ld_json_get(const struct ld_json *j, int obj, const char *key);
/* Decodes string token i into out (NUL-terminated); returns its length, or
 * -1 if i is not a string, does not fit, or holds a NUL. */
long ld_json_str(const struct ld_json *j, int i, char *out, size_t cap);
int ld_json_is(const struct ld_json *j, int i, int type);
int ld_json_u64(const struct ld_json *j, int i, u64 *v);
/* First element/member-key of a container, then the following one. */
static inline int ld_json_first(const struct ld_json *j, int i)
{
	return (i >= 0 && j->t[i].count) ? i + 1 : -1;
}
#endif
