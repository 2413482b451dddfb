/* GET /events: the daemon's event stream, as dockerd sends it (one JSON
 * object per line, chunked, kept open), with since/until (unix seconds,
 * fractions allowed) and filters type, event, image, container, scope.  The
 * last EV_KEEP events are kept for `since`.  Events now: image load, tag,
 * untag, delete, save; container events come with containers. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "engine.h"

#define EV_KEEP 256
#define EV_BACKLOG (4u << 20)  /* bytes unsent to a subscriber before it is dropped */

struct event {
	long long nano;
	char type[16], action[16], id[80], name[512];
};

struct evsub {
	struct conn *c;
	cJSON *f;
	long long until;          /* ns; 0: none */
	struct evsub *next;
};

static struct event ring[EV_KEEP];
static unsigned long nev;         /* events ever emitted */
static struct evsub *subs;

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static cJSON *to_json(const struct event *e)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "status", e->action);
	cJSON_AddStringToObject(j, "id", e->id);
	cJSON_AddStringToObject(j, "Type", e->type);
	cJSON_AddStringToObject(j, "Action", e->action);
	cJSON *actor = cJSON_AddObjectToObject(j, "Actor");
	cJSON_AddStringToObject(actor, "ID", e->id);
	cJSON *at = cJSON_AddObjectToObject(actor, "Attributes");
	if (e->name[0])
		cJSON_AddStringToObject(at, "name", e->name);
	cJSON_AddStringToObject(j, "scope", "local");
	cJSON_AddNumberToObject(j, "time", (double)(e->nano / 1000000000LL));
	char nano[24];   /* 19 digits: more than a double prints exactly */
	snprintf(nano, sizeof nano, "%lld", e->nano);
	cJSON_AddRawToObject(j, "timeNano", nano);
	return j;
}

static int matches(const cJSON *f, const struct event *e)
{
	if (filter_has(f, "type") && !filter_match(f, "type", e->type))
		return 0;
	if (filter_has(f, "event") && !filter_match(f, "event", e->action))
		return 0;
	if (filter_has(f, "scope") && !filter_match(f, "scope", "local"))
		return 0;
	if (filter_has(f, "container") && (strcmp(e->type, "container") ||
					    !(filter_match(f, "container", e->id) || filter_match(f, "container", e->name))))
		return 0;
	if (filter_has(f, "image")) {
		char bare[512];
		snprintf(bare, sizeof bare, "%s", e->name);
		char *colon = strrchr(bare, ':');
		if (colon && !strchr(colon, '/'))
			*colon = 0;
		if (!filter_match(f, "image", e->id) && !filter_match(f, "image", e->id + 7) &&
		    !(e->name[0] && (filter_match(f, "image", e->name) || filter_match(f, "image", bare))))
			return 0;
	}
	return 1;
}

void events_emit(const char *type, const char *action, const char *id, const char *name)
{
	struct event *e = &ring[nev++ % EV_KEEP];
	e->nano = now_ns();
	snprintf(e->type, sizeof e->type, "%s", type);
	snprintf(e->action, sizeof e->action, "%s", action);
	snprintf(e->id, sizeof e->id, "%s", id);
	snprintf(e->name, sizeof e->name, "%s", name ? name : "");
	for (struct evsub *s = subs, *next; s; s = next) {
		next = s->next;
		struct conn *c = s->c;
		if (c->out.len - c->out_off > EV_BACKLOG) {
			/* A subscriber that does not read: dropped, not buffered forever. */
			c->out.len = c->out_off = 0;
			c->closing = 1;
			events_unsubscribe(c);
		} else if (matches(s->f, e))
			http_stream_json(c, to_json(e));
	}
}

/* Unix seconds with an optional fraction into ns; -1 if malformed. */
static long long parse_time(const char *s)
{
	char *end;
	long long sec = strtoll(s, &end, 10), ns = 0, scale = 100000000;
	if (end == s || sec < 0)
		return -1;
	if (sec > 9000000000LL) /* past year 2255: forever (and no overflow in ns) */
		sec = 9000000000LL;
	if (*end == '.')
		for (end++; *end >= '0' && *end <= '9'; end++, scale /= 10)
			ns += (*end - '0') * scale;
	return *end ? -1 : sec * 1000000000LL + ns;
}

void events_subscribe(struct req *r)
{
	static const char *const keys[] = { "type", "event", "image", "container", "scope", NULL };
	char v[64];
	long long since = -1, until = 0;
	int rc = query_param(r, "since", 0, v, sizeof v);
	if (rc == -2)
		return;
	if (!rc && v[0] && (since = parse_time(v)) < 0) {
		http_error(r->c, 400, "invalid value for since: %s", v);
		return;
	}
	if ((rc = query_param(r, "until", 0, v, sizeof v)) == -2)
		return;
	if (!rc && v[0] && (until = parse_time(v)) < 0) {
		http_error(r->c, 400, "invalid value for until: %s", v);
		return;
	}
	cJSON *f = filters_parse(r, keys);
	if (!f)
		return;
	http_stream_begin(r->c, 200, "application/json");
	unsigned long first = nev > EV_KEEP ? nev - EV_KEEP : 0;
	for (unsigned long i = first; since >= 0 && i < nev; i++) {
		const struct event *e = &ring[i % EV_KEEP];
		if (e->nano >= since && (!until || e->nano <= until) && matches(f, e))
			http_stream_json(r->c, to_json(e));
	}
	if (until && until <= now_ns()) {
		http_stream_end(r->c);
		cJSON_Delete(f);
		return;
	}
	struct evsub *s = calloc(1, sizeof *s);
	if (!s) {
		http_stream_end(r->c);
		cJSON_Delete(f);
		r->c->closing = 1;
		return;
	}
	*s = (struct evsub){ r->c, f, until, subs };
	subs = s;
	r->c->sub = s;
}

void events_unsubscribe(struct conn *c)
{
	for (struct evsub **pp = &subs; *pp; pp = &(*pp)->next)
		if (*pp == c->sub) {
			struct evsub *s = *pp;
			*pp = s->next;
			cJSON_Delete(s->f);
			free(s);
			break;
		}
	c->sub = NULL;
}

int events_timeout_ms(void)
{
	long long now = now_ns(), best = -1;
	for (struct evsub *s = subs; s; s = s->next)
		if (s->until) {
			long long ms = s->until > now ? (s->until - now) / 1000000 + 1 : 0;
			if (best < 0 || ms < best)
				best = ms;
		}
	return best > 1000000 ? 1000000 : (int)best;
}

void events_tick(void)
{
	long long now = now_ns();
	for (struct evsub *s = subs, *next; s; s = next) {
		next = s->next;
		if (s->until && s->until <= now) {
			struct conn *c = s->c;
			http_stream_end(c);
			c->closing = 1;
			events_unsubscribe(c);
		}
	}
}
