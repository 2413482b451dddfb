/* Image config parsing (OCI image-spec config.md): Entrypoint, Cmd, Env,
 * WorkingDir, User, ExposedPorts, Labels, os/architecture, rootfs.diff_ids.
 * Strings are copied into one arena owned by struct ld_config.
 * Freestanding; kernel and host. */
#include "image.h"
#include "util.h"

static char *arena_get(struct ld_config *c, size_t n, size_t align)
{
	size_t at = (c->arena_used + align - 1) & ~(align - 1);
	if (at + n > c->arena_cap)
		return 0;
	c->arena_used = at + n;
	return c->arena + at;
}

static const char *arena_str(struct ld_config *c, const struct ld_json *j, int i)
{
	if (!ld_json_is(j, i, LD_J_STR))
		return 0;
	size_t room = c->arena_cap - c->arena_used;
	long n = ld_json_str(j, i, c->arena + c->arena_used, room);
	if (n < 0)
		return 0;
	const char *s = c->arena + c->arena_used;
	c->arena_used += (size_t)n + 1;
	return s;
}

/* A string array (null or missing: empty); keys of an object if keys. */
static int strv(struct ld_config *c, const struct ld_json *j, int i, struct ld_strv *out,
		int keys, int vals)
{
	out->n = 0;
	out->v = 0;
	if (i < 0 || ld_json_is(j, i, LD_J_NULL))
		return 0;
	if (!ld_json_is(j, i, keys || vals ? LD_J_OBJ : LD_J_ARR))
		return -1;
	u32 n = j->t[i].count;
	out->v = (const char **)arena_get(c, (n ? n : 1) * sizeof(char *), sizeof(char *));
	if (!out->v)
		return -1;
	int k = ld_json_first(j, i);
	for (u32 m = 0; m < n; m++) {
		int item = (keys || vals) ? (vals ? k + 1 : k) : k;
		if (!(out->v[m] = arena_str(c, j, item)))
			return -1;
		k = (int)j->t[(keys || vals) ? k + 1 : k].next;
	}
	out->n = n;
	return 0;
}

static int str_field(struct ld_config *c, const struct ld_json *j, int obj, const char *key,
		     const char **out)
{
	int i = ld_json_get(j, obj, key);
	*out = "";
	if (i < 0 || ld_json_is(j, i, LD_J_NULL))
		return 0;
	return (*out = arena_str(c, j, i)) ? 0 : -1;
}

int ld_config_parse(const struct ld_jdoc *d, struct ld_config *c, struct ld_alloc *a,
		    u8 (*diff_ids)[32], u32 max, u32 *ndiff, struct ld_err *err)
{
	const struct ld_json *j = &d->j;
	ld_memset(c, 0, sizeof *c);
	if (!ld_json_is(j, 0, LD_J_OBJ))
		return ld_fail(err, "config is not a JSON object");
	c->arena_cap = j->len + 64 + (size_t)(j->n + 8) * sizeof(char *);
	c->arena = ld_new(a, c->arena_cap);
	if (!c->arena)
		return ld_fail(err, "out of memory");
	int cf = ld_json_get(j, 0, "config");
	if (cf >= 0 && !ld_json_is(j, cf, LD_J_OBJ) && !ld_json_is(j, cf, LD_J_NULL))
		return ld_fail(err, "config: 'config' is not an object");
	if (str_field(c, j, 0, "os", &c->os) || str_field(c, j, 0, "architecture", &c->arch))
		return ld_fail(err, "config: bad os/architecture");
	if (strv(c, j, ld_json_get(j, cf, "Entrypoint"), &c->entrypoint, 0, 0) ||
	    strv(c, j, ld_json_get(j, cf, "Cmd"), &c->cmd, 0, 0) ||
	    strv(c, j, ld_json_get(j, cf, "Env"), &c->env, 0, 0))
		return ld_fail(err, "config: Entrypoint, Cmd and Env must be arrays of strings");
	if (strv(c, j, ld_json_get(j, cf, "ExposedPorts"), &c->exposed_ports, 1, 0) ||
	    strv(c, j, ld_json_get(j, cf, "Labels"), &c->label_keys, 1, 0) ||
	    strv(c, j, ld_json_get(j, cf, "Labels"), &c->label_vals, 0, 1))
		return ld_fail(err, "config: bad ExposedPorts or Labels");
	if (str_field(c, j, cf, "WorkingDir", &c->working_dir) ||
	    str_field(c, j, cf, "User", &c->user))
		return ld_fail(err, "config: WorkingDir and User must be strings");
	if ((*c->os && ld_strcmp(c->os, "linux")) || (*c->arch && ld_strcmp(c->arch, "amd64")))
		return ld_fail(err, "image is for %s/%s, not linux/amd64", c->os, c->arch);
	if (!diff_ids)
		return 0;
	int ids = ld_json_get(j, ld_json_get(j, 0, "rootfs"), "diff_ids");
	if (!ld_json_is(j, ids, LD_J_ARR))
		return ld_fail(err, "config: rootfs.diff_ids is missing");
	if (j->t[ids].count > max)
		return ld_fail(err, "config: more than %u layers", max);
	char buf[80];
	int k = ld_json_first(j, ids);
	for (u32 m = 0; m < j->t[ids].count; m++, k = (int)j->t[k].next)
		if (ld_json_str(j, k, buf, sizeof buf) < 0 || ld_parse_digest(buf, diff_ids[m]))
			return ld_fail(err, "config: bad diff_id #%u", m + 1);
	*ndiff = j->t[ids].count;
	return 0;
}

void ld_config_free(struct ld_config *c, struct ld_alloc *a)
{
	ld_del(a, c->arena);
	c->arena = 0;
}
