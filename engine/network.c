/*
 * Networks (Docker's /networks API and a container's network), on the host
 * kernel's virtual switch (docs/design.md "Virtual switch and NAT"): the
 * networks are the kernel's, listed and made through /dev/vswitch.  "nat"
 * (the default, made at boot, 172.20.0.0/16) and user-defined nat networks
 * (POST /networks/create), plus the two modes Docker also lists: "host" (a
 * process container shares the host's interfaces) and "none".
 *
 * A process container on a nat network gets the lowest address of it that
 * no running container has, given to its sandbox as net=ADDR/PREFIX (its
 * own interface; the kernel drops it with the sandbox), and its
 * PortBindings ("80/tcp": [{"HostPort": "8080"}]) are published on the
 * host's addresses once it runs (the kernel unpublishes them when its
 * interface goes).  A container has one interface: its endpoint, on the
 * network its NetworkMode names until POST /networks/{id}/disconnect takes
 * it off (the record's "Endpoint" then "": it starts with the loopback
 * only) and POST /networks/{id}/connect puts it on another one (its
 * "Endpoint" that network); both while it does not run.  Connecting it to
 * the network it is on replaces its aliases (what docker-compose does
 * after create).  Not done: connecting a running container or disconnecting
 * one (501: the kernel gives a sandbox its interface when it is made), a
 * second interface (501), NetworkMode none (refused: the kernel has no interface-less sandbox yet),
 * HostIp in bindings (every host address), user-defined networks across a
 * reboot of the host partition.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "engine.h"
#include "ctr.h"
#include "dns.h"

#define VSWITCH "/dev/vswitch"

struct net {
	char name[16];
	unsigned addr, prefix;     /* the gateway's address (host order) and the prefix length */
};

/* The kernel's networks (at most max): how many, or -1. */
static int nets_read(struct net *n, int max)
{
	char buf[16384], name[32], a[20];
	int fd = open(VSWITCH, O_RDONLY | O_CLOEXEC), k = 0;
	ssize_t len = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
	if (fd >= 0)
		close(fd);
	if (len < 0)
		return -1;
	buf[len] = 0;
	for (char *l = buf; l && *l && k < max; l = strchr(l, '\n'), l = l ? l + 1 : 0) {
		unsigned pl;
		struct in_addr ia;
		if (sscanf(l, "network %31s %19[0-9.]/%u", name, a, &pl) != 3 || strlen(name) >= sizeof n->name ||
		    !inet_aton(a, &ia))
			continue;
		snprintf(n[k].name, sizeof n[k].name, "%s", name);
		n[k].addr = ntohl(ia.s_addr), n[k].prefix = pl;
		k++;
	}
	return k;
}

/* One control line to the kernel: 0 or an errno. */
static int vswitch_do(const char *line)
{
	int fd = open(VSWITCH, O_WRONLY | O_CLOEXEC), e = 0;
	if (fd < 0)
		return errno;
	if (write(fd, line, strlen(line)) < 0)
		e = errno;
	close(fd);
	return e;
}

static unsigned mask_of(unsigned prefix) { return prefix ? ~0u << (32 - prefix) : 0; }

static void ip_str(unsigned a, char *out, size_t cap)
{
	snprintf(out, cap, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

/* A network's ID: 64 hex digits from its name (FNV-1a, four ways), stable
 * across restarts as the kernel keeps only names. */
static void net_id(const char *name, char *out)
{
	for (int part = 0; part < 4; part++) {
		unsigned long long h = 1469598103934665603ull ^ (unsigned long long)part;
		for (const char *p = name; *p; p++)
			h = (h ^ (unsigned char)*p) * 1099511628211ull;
		snprintf(out + part * 16, 17, "%016llx", h);
	}
}

static const char *const fixed[] = { "host", "none" };

/* The network a name, an ID or an ID's prefix names: its index in n, or -1.
 * -2 and -3: the fixed modes host and none. */
static int net_find(const struct net *n, int k, const char *key)
{
	char id[65];
	for (int i = 0; i < 2; i++) {
		net_id(fixed[i], id);
		if (!strcmp(key, fixed[i]) || (strlen(key) >= 12 && !strncmp(id, key, strlen(key))))
			return -2 - i;
	}
	for (int i = 0; i < k; i++) {
		net_id(n[i].name, id);
		if (!strcmp(key, n[i].name) || (strlen(key) >= 12 && !strncmp(id, key, strlen(key))))
			return i;
	}
	return -1;
}

/* A running container's address on network net, or 0. */
static unsigned ctr_addr(const struct ctr *ct, const char *net)
{
	cJSON *s = cJSON_GetObjectItem(ct->rec, "NetworkSettings");
	struct in_addr ia;
	if (ct->status != RUNNING || strcmp(jstr(s, "Network"), net) || !inet_aton(jstr(s, "IPAddress"), &ia))
		return 0;
	return ntohl(ia.s_addr);
}

static cJSON *net_json(const char *name, const char *driver, const struct net *n)
{
	char id[65], a[20];
	cJSON *j = cJSON_CreateObject(), *ipam, *cfg, *members;
	net_id(name, id);
	cJSON_AddStringToObject(j, "Name", name);
	cJSON_AddStringToObject(j, "Id", id);
	cJSON_AddStringToObject(j, "Created", "0001-01-01T00:00:00Z");
	cJSON_AddStringToObject(j, "Scope", "local");
	cJSON_AddStringToObject(j, "Driver", driver);
	cJSON_AddBoolToObject(j, "EnableIPv6", 0);
	ipam = cJSON_AddObjectToObject(j, "IPAM");
	cJSON_AddStringToObject(ipam, "Driver", "default");
	cJSON_AddNullToObject(ipam, "Options");
	cfg = cJSON_AddArrayToObject(ipam, "Config");
	if (n) {
		cJSON *c = cJSON_CreateObject();
		char sub[32];
		ip_str(n->addr & mask_of(n->prefix), a, sizeof a);
		snprintf(sub, sizeof sub, "%s/%u", a, n->prefix);
		cJSON_AddStringToObject(c, "Subnet", sub);
		ip_str(n->addr, a, sizeof a);
		cJSON_AddStringToObject(c, "Gateway", a);
		cJSON_AddItemToArray(cfg, c);
	}
	cJSON_AddBoolToObject(j, "Internal", 0);
	cJSON_AddBoolToObject(j, "Attachable", 0);
	cJSON_AddBoolToObject(j, "Ingress", 0);
	members = cJSON_AddObjectToObject(j, "Containers");
	for (struct ctr *ct = ctrs; n && ct; ct = ct->next) {
		unsigned ip = ctr_addr(ct, name);
		if (!ip)
			continue;
		cJSON *e = cJSON_AddObjectToObject(members, ct->id);
		char cidr[32];
		ip_str(ip, a, sizeof a);
		snprintf(cidr, sizeof cidr, "%s/%u", a, n->prefix);
		cJSON_AddStringToObject(e, "Name", name_of(ct));
		cJSON_AddStringToObject(e, "MacAddress", jstr(cJSON_GetObjectItem(ct->rec, "NetworkSettings"), "MacAddress"));
		cJSON_AddStringToObject(e, "IPv4Address", cidr);
		cJSON_AddStringToObject(e, "IPv6Address", "");
	}
	cJSON_AddObjectToObject(j, "Options");
	cJSON_AddObjectToObject(j, "Labels");
	return j;
}

/* Whether network j passes filters f: every value of name (a part of the
 * name), id (a prefix), driver and type (builtin: nat, host, none; custom:
 * the rest) must match; a network has no labels, so any label filter fails. */
static int net_match(const cJSON *j, const cJSON *f)
{
	const char *name = jstr(j, "Name"), *id = jstr(j, "Id");
	int builtin = !strcmp(name, "nat") || !strcmp(name, "host") || !strcmp(name, "none");
	const cJSON *v;
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(f, "name"))
		if (!strstr(name, v->valuestring))
			return 0;
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(f, "id"))
		if (strncmp(id, v->valuestring, strlen(v->valuestring)))
			return 0;
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(f, "driver"))
		if (strcmp(jstr(j, "Driver"), v->valuestring))
			return 0;
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(f, "type"))
		if (strcmp(v->valuestring, builtin ? "builtin" : "custom"))
			return 0;
	return !filter_has(f, "label");
}

/* GET /networks: the kernel's networks, then host and none; filters name,
 * id, driver, type and label (400 for other keys). */
static void list(struct req *r)
{
	static const char *const allowed[] = { "name", "id", "driver", "type", "label", NULL };
	struct net n[16];
	int k = nets_read(n, 16);
	cJSON *f = filters_parse(r, allowed), *a, *j;
	if (k < 0) /* no switch: host and none only */
		k = 0;
	if (!f)
		return;
	a = cJSON_CreateArray();
	for (int i = 0; i < k + 2; i++) {
		j = i < k ? net_json(n[i].name, "nat", &n[i]) : net_json(fixed[i - k], i == k ? "host" : "null", 0);
		if (net_match(j, f))
			cJSON_AddItemToArray(a, j);
		else
			cJSON_Delete(j);
	}
	cJSON_Delete(f);
	http_json(r->c, 200, a);
}

/* A free /16 for a new network: 172.21.0.0 and up; 0 if none is. */
static unsigned free_subnet(const struct net *n, int k)
{
	for (unsigned b = 21; b < 32; b++) {
		unsigned s = 172u << 24 | b << 16, clash = 0;
		for (int i = 0; i < k; i++)
			clash |= (n[i].addr & mask_of(n[i].prefix < 16 ? n[i].prefix : 16)) ==
				 (s & mask_of(n[i].prefix < 16 ? n[i].prefix : 16));
		if (!clash)
			return s;
	}
	return 0;
}

static void create(struct req *r)
{
	struct net n[16];
	int k = nets_read(n, 16);
	cJSON *b = cJSON_ParseWithLength(r->body ? r->body : "", r->body_len);
	const char *name = jstr(b, "Name"), *driver = jstr(b, "Driver");
	cJSON *c0 = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(b, "IPAM"), "Config"), 0);
	char line[128], a[20], id[65];
	unsigned gw = 0, prefix = 16;
	struct in_addr ia;
	int e;
	if (!b || !cJSON_IsObject(b)) {
		http_error(r->c, 400, "invalid JSON");
	} else if (!*name) {
		http_error(r->c, 400, "network name is required");
	} else if (strlen(name) >= sizeof n->name) {
		http_error(r->c, 400, "network name %s is too long: at most %zu characters", name, sizeof n->name - 1);
	} else if (*driver && strcmp(driver, "nat") && strcmp(driver, "bridge")) {
		http_error(r->c, 400, "network driver %s is not supported: nat only", driver);
	} else if (k < 0) {
		http_error(r->c, 500, "the virtual switch is not available (%s)", strerror(errno));
	} else if (net_find(n, k, name) != -1) {
		http_error(r->c, 409, "network with name %s already exists", name);
	} else {
		const char *sub = jstr(c0, "Subnet"), *g = jstr(c0, "Gateway");
		char sa[20];
		if (*sub && (sscanf(sub, "%19[0-9.]/%u", sa, &prefix) != 2 || !inet_aton(sa, &ia) || prefix < 8 || prefix > 30)) {
			http_error(r->c, 400, "invalid subnet %s", sub);
			goto out;
		}
		if (*sub)
			gw = (ntohl(ia.s_addr) & mask_of(prefix)) + 1;
		else if ((gw = free_subnet(n, k)))
			gw += 1; /* the subnet's first address */
		if (*g && (!inet_aton(g, &ia) || (ntohl(ia.s_addr) & mask_of(prefix)) != (gw & mask_of(prefix)))) {
			http_error(r->c, 400, "invalid gateway %s for subnet %s", g, sub);
			goto out;
		}
		if (*g)
			gw = ntohl(ia.s_addr);
		if (!gw) {
			http_error(r->c, 403, "could not find an available, non-overlapping IPv4 address pool");
			goto out;
		}
		ip_str(gw, a, sizeof a);
		snprintf(line, sizeof line, "network %s %s/%u\n", name, a, prefix);
		if ((e = vswitch_do(line))) {
			http_error(r->c, e == EEXIST ? 403 : 400, "cannot create network %s: %s", name,
				   e == EEXIST ? "its subnet overlaps another network's" : strerror(e));
			goto out;
		}
		net_id(name, id);
		cJSON *j = cJSON_CreateObject();
		cJSON_AddStringToObject(j, "Id", id);
		cJSON_AddStringToObject(j, "Warning", "");
		http_json(r->c, 201, j);
		events_emit("network", "create", id, name);
	}
out:
	cJSON_Delete(b);
}

/* The network a container's HostConfig.NetworkMode names: its index in n,
 * -2 for host, -3 for none, or -1 with err (an HTTP status). */
static int mode_of(const struct ctr *ct, const struct net *n, int k, char *err, size_t cap, int *status)
{
	const char *m = jstr(hc_of(ct), "NetworkMode");
	cJSON *ep = cJSON_GetObjectItem(ct->rec, "Endpoint");
	if (cJSON_IsString(ep))   /* connected or disconnected since it was made */
		m = *ep->valuestring ? ep->valuestring : "none";
	if (!*m || !strcmp(m, "default") || !strcmp(m, "bridge"))
		m = "nat";
	int i = net_find(n, k, m);
	if (i == -1) {
		snprintf(err, cap, "network %s not found", m);
		*status = 404;
		return -1;
	}
	return i;
}

/* The Aliases of endpoint config ep (strings only) as the record's Aliases. */
static void set_aliases(cJSON *rec, const cJSON *ep)
{
	cJSON *a = cJSON_CreateArray(), *v;
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(ep, "Aliases"))
		if (cJSON_IsString(v))
			cJSON_AddItemToArray(a, cJSON_CreateString(v->valuestring));
	cJSON_DeleteItemFromObject(rec, "Aliases");
	cJSON_AddItemToObject(rec, "Aliases", a);
}

/* The network ct's one endpoint is on, by name ("" when disconnected). */
static const char *endpoint_of(const struct ctr *ct, char *out, size_t cap)
{
	cJSON *ep = cJSON_GetObjectItem(ct->rec, "Endpoint");
	const char *m = cJSON_IsString(ep) ? ep->valuestring : jstr(hc_of(ct), "NetworkMode");
	if (!cJSON_IsString(ep) && (!*m || !strcmp(m, "default") || !strcmp(m, "bridge")))
		m = "nat";
	snprintf(out, cap, "%s", m);
	return out;
}

/* Whether network name (index i of n, or -2/-3) is the one called on. */
static int same_net(const char *name, const struct net *n, int k, int i)
{
	return *name && net_find(n, k, name) == i;
}

static int set_endpoint(struct req *r, struct ctr *ct, const char *name, const cJSON *epcfg)
{
	cJSON_DeleteItemFromObject(ct->rec, "Endpoint");
	cJSON_AddStringToObject(ct->rec, "Endpoint", name);
	set_aliases(ct->rec, epcfg);
	if (save_rec(ct)) {
		http_error(r->c, 500, "cannot save container %s: %s", name_of(ct), strerror(errno));
		return -1;
	}
	return 0;
}

/* POST /networks/{id}/connect {"Container": key, "EndpointConfig": {"Aliases": [...]}}
 * and POST /networks/{id}/disconnect {"Container": key, "Force": bool}.  A
 * container has one endpoint (one interface, given to its sandbox when it
 * starts).  Connect: to the network it is on, its aliases are replaced
 * while it does not run (403 "endpoint ... already exists" while it runs);
 * a container disconnected from every network is put on this one; host is
 * Docker's 400 ErrConflictHostNetwork either way, none beside another
 * network its ErrConflictNoNetwork.  Disconnect: from the network it is on,
 * it keeps the loopback only; another is a 403.  Connecting a second
 * network, or a running container, is a 501: not supported here. */
static void net_attach(struct req *r, const struct net *n, int k, int i, int conn)
{
	cJSON *b = cJSON_ParseWithLength(r->body ? r->body : "", r->body_len);
	struct ctr *ct;
	char cur[80], id[65];
	const char *want = i >= 0 ? n[i].name : fixed[-2 - i];
	if (!cJSON_IsObject(b)) {
		http_error(r->c, 400, "invalid JSON");
		goto out;
	}
	if (!(ct = ctr_or_404(r, jstr(b, "Container"))))
		goto out;
	endpoint_of(ct, cur, sizeof cur);
	int on = same_net(cur, n, k, i), host = !strcmp(jstr(hc_of(ct), "NetworkMode"), "host");
	if (i == -2 || host) {
		http_error(r->c, 400, "container cannot be disconnected from host network or connected to host network");
	} else if (!conn && !on) {
		http_error(r->c, 403, "container %s is not connected to network %s", name_of(ct), want);
	} else if (on && conn && ct->status == RUNNING) {
		http_error(r->c, 403, "endpoint with name %s already exists in network %s", name_of(ct), want);
	} else if (!on && *cur && (i == -3 || same_net(cur, n, k, -3))) {
		http_error(r->c, 400, "container cannot be connected to multiple networks with one of the networks "
			   "in private (none) mode");
	} else if (ct->status == RUNNING) {
		http_error(r->c, 501, "container %s is running: a running container's network cannot be %s here "
			   "(its interface is made with its sandbox); stop it first", name_of(ct),
			   conn ? "connected" : "disconnected");
	} else if (conn && !on && *cur) {
		http_error(r->c, 501, "container %s is on network %s: a second network is not supported here "
			   "(one interface per container); disconnect it from %s first", name_of(ct), cur, cur);
	} else if (!set_endpoint(r, ct, conn ? want : "", conn ? cJSON_GetObjectItem(b, "EndpointConfig") : NULL)) {
		http_reply(r->c, 200, NULL, NULL, 0);
		net_id(want, id);
		events_emit("network", conn ? "connect" : "disconnect", id, want);
	}
out:
	cJSON_Delete(b);
}

void networks_route(struct req *r)
{
	int get = r->method == HTTP_GET || r->method == HTTP_HEAD;
	struct net n[16];
	if (!strcmp(r->path, "/networks") && get) {
		list(r);
		return;
	}
	if (!strcmp(r->path, "/networks/create") && r->method == HTTP_POST) {
		create(r);
		return;
	}
	char key[80], line[64], id[65];
	const char *slash = strchr(r->path + 10, '/'); /* after "/networks/" */
	size_t kl = slash ? (size_t)(slash - r->path - 10) : strlen(r->path + 10);
	int conn = slash && !strcmp(slash, "/connect") && r->method == HTTP_POST;
	int disc = slash && !strcmp(slash, "/disconnect") && r->method == HTTP_POST;
	if (strncmp(r->path, "/networks/", 10) || !kl || kl >= sizeof key || (slash && !conn && !disc)) {
		http_error(r->c, 404, "page not found");
		return;
	}
	snprintf(key, sizeof key, "%.*s", (int)kl, r->path + 10);
	int k = nets_read(n, 16), i = net_find(n, k > 0 ? k : 0, key);
	if (i == -1) {
		http_error(r->c, 404, "network %s not found", key);
	} else if (conn || disc) {
		net_attach(r, n, k > 0 ? k : 0, i, conn);
	} else if (get) {
		http_json(r->c, 200, i >= 0 ? net_json(n[i].name, "nat", &n[i]) :
			  net_json(fixed[-2 - i], i == -2 ? "host" : "null", 0));
	} else if (r->method != HTTP_DELETE) {
		http_error(r->c, 404, "page not found");
	} else if (i < 0 || !strcmp(n[i].name, "nat")) {
		http_error(r->c, 403, "%s is a pre-defined network and cannot be removed", i < 0 ? fixed[-2 - i] : "nat");
	} else {
		snprintf(line, sizeof line, "rmnetwork %s\n", n[i].name);
		int e = vswitch_do(line);
		if (e) {
			http_error(r->c, e == EBUSY ? 403 : 500, "error while removing network: network %s has active endpoints",
				   n[i].name);
			return;
		}
		net_id(n[i].name, id);
		events_emit("network", "destroy", id, n[i].name);
		http_reply(r->c, 204, NULL, NULL, 0);
	}
}

int net_sandbox_word(struct ctr *ct, char *word, size_t cap, char *err, size_t ecap)
{
	struct net n[16];
	int k = nets_read(n, 16), status = 0, i;
	*word = 0;
	cJSON_DeleteItemFromObject(ct->rec, "NetworkSettings");
	if (k < 0) { /* no switch (an older kernel): the host's interfaces, as before */
		return 0;
	}
	if ((i = mode_of(ct, n, k, err, ecap, &status)) == -1)
		return status;
	if (i == -2)
		return 0;
	char id[65];
	if (i == -3) { /* no interface: the loopback only */
		snprintf(word, cap, " net=none");
		net_id("none", id);
		cJSON *s = cJSON_AddObjectToObject(ct->rec, "NetworkSettings");
		cJSON_AddStringToObject(s, "Network", "none");
		cJSON_AddStringToObject(s, "NetworkID", id);
		cJSON_AddNumberToObject(s, "IPPrefixLen", 0);
		return 0;
	}
	unsigned m = mask_of(n[i].prefix), ip = 0;
	for (unsigned a = (n[i].addr & m) + 1; a < ((n[i].addr & m) | ~m) && !ip; a++) {
		int used = a == n[i].addr;
		for (struct ctr *o = ctrs; o && !used; o = o->next)
			used = o != ct && ctr_addr(o, n[i].name) == a;
		if (!used)
			ip = a;
	}
	if (!ip) {
		snprintf(err, ecap, "no address left on network %s", n[i].name);
		return 403;
	}
	char a[20], g[20], mac[20];
	ip_str(ip, a, sizeof a);
	ip_str(n[i].addr, g, sizeof g);
	snprintf(mac, sizeof mac, "02:42:%02x:%02x:%02x:%02x", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255);
	snprintf(word, cap, " net=%s/%u,%s", a, n[i].prefix, g);
	net_id(n[i].name, id);
	cJSON *s = cJSON_AddObjectToObject(ct->rec, "NetworkSettings");
	cJSON_AddStringToObject(s, "Network", n[i].name);
	cJSON_AddStringToObject(s, "NetworkID", id);
	cJSON_AddStringToObject(s, "IPAddress", a);
	cJSON_AddNumberToObject(s, "IPPrefixLen", n[i].prefix);
	cJSON_AddStringToObject(s, "Gateway", g);
	cJSON_AddStringToObject(s, "MacAddress", mac);
	return 0;
}

void net_publish(struct ctr *ct)
{
	cJSON *s = cJSON_GetObjectItem(ct->rec, "NetworkSettings"), *pb = cJSON_GetObjectItem(hc_of(ct), "PortBindings"), *e;
	if (!*jstr(s, "IPAddress"))
		return;
	cJSON_ArrayForEach(e, pb) {
		unsigned port;
		char proto[8] = "tcp", line[96];
		if (sscanf(e->string, "%u/%7s", &port, proto) < 1 || !port || port > 65535)
			continue;
		cJSON *h;
		cJSON_ArrayForEach(h, e) {
			unsigned hp = (unsigned)atoi(jstr(h, "HostPort"));
			if (!hp)
				hp = port; /* no host port given: the same (Docker would pick an ephemeral one) */
			snprintf(line, sizeof line, "publish %s %u %s:%u\n", proto, hp, jstr(s, "IPAddress"), port);
			int err = vswitch_do(line);
			if (err)
				logmsg("container %.12s: cannot publish %s/%u on %u: %s", ct->id, proto, port, hp, strerror(err));
		}
	}
}

void net_config(const cJSON *hc, const cJSON *ncfg, cJSON *rec)
{
	cJSON *m = cJSON_GetObjectItem(hc, "NetworkMode"), *pb = cJSON_GetObjectItem(hc, "PortBindings");
	cJSON *rec_hc = cJSON_GetObjectItem(rec, "HostConfig");
	if (cJSON_IsString(m) && *m->valuestring)
		cJSON_AddStringToObject(rec_hc, "NetworkMode", m->valuestring);
	if (cJSON_IsObject(pb))
		cJSON_AddItemToObject(rec_hc, "PortBindings", cJSON_Duplicate(pb, 1));
	if (cJSON_IsString(m))
		set_aliases(rec, cJSON_GetObjectItem(cJSON_GetObjectItem(ncfg, "EndpointsConfig"), m->valuestring));
}

const char *net_mode(const struct ctr *ct)
{
	const char *m = jstr(hc_of(ct), "NetworkMode");
	return *m ? m : "default";
}

void net_inspect(const struct ctr *ct, cJSON *hc, cJSON *ns)
{
	cJSON *s = cJSON_GetObjectItem(ct->rec, "NetworkSettings"), *nets, *one, *ports, *e;
	cJSON_DeleteItemFromObject(hc, "NetworkMode");
	cJSON_AddStringToObject(hc, "NetworkMode", net_mode(ct));
	int up = ct->status == RUNNING && s;
	const char *keys[] = { "IPAddress", "Gateway", "MacAddress" };
	for (int i = 0; i < 3; i++)
		cJSON_AddStringToObject(ns, keys[i], up ? jstr(s, keys[i]) : "");
	cJSON_AddNumberToObject(ns, "IPPrefixLen", up ? cJSON_GetNumberValue(cJSON_GetObjectItem(s, "IPPrefixLen")) : 0);
	ports = cJSON_AddObjectToObject(ns, "Ports");
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(hc_of(ct), "PortBindings"))
		cJSON_AddItemToObject(ports, e->string, up ? cJSON_Duplicate(e, 1) : cJSON_CreateNull());
	nets = cJSON_AddObjectToObject(ns, "Networks");
	/* its endpoint: while it runs with its address, else as configured
	 * (Docker's empty addresses); none when disconnected */
	char name[80], id[65];
	endpoint_of(ct, name, sizeof name);
	if (!*name)
		return;
	if (!up)
		net_id(name, id);
	one = cJSON_AddObjectToObject(nets, up ? jstr(s, "Network") : name);
	cJSON_AddStringToObject(one, "NetworkID", up ? jstr(s, "NetworkID") : id);
	cJSON_AddStringToObject(one, "EndpointID", up ? ct->id : "");
	for (int i = 0; i < 3; i++)
		cJSON_AddStringToObject(one, keys[i], up ? jstr(s, keys[i]) : "");
	cJSON_AddNumberToObject(one, "IPPrefixLen", up ? cJSON_GetNumberValue(cJSON_GetObjectItem(s, "IPPrefixLen")) : 0);
	cJSON_AddItemToObject(one, "Aliases", cJSON_Duplicate(cJSON_GetObjectItem(ct->rec, "Aliases"), 1));
}

cJSON *net_ports(const struct ctr *ct)
{
	cJSON *a = cJSON_CreateArray(), *e, *b;
	if (ct->status != RUNNING)
		return a;
	cJSON_ArrayForEach(e, cJSON_GetObjectItem(hc_of(ct), "PortBindings")) {
		char proto[8] = "tcp";
		int priv = 0;
		sscanf(e->string, "%d/%7s", &priv, proto);
		cJSON_ArrayForEach(b, e) {
			const char *ip = jstr(b, "HostIp");
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "IP", *ip ? ip : "0.0.0.0");
			cJSON_AddNumberToObject(o, "PrivatePort", priv);
			cJSON_AddNumberToObject(o, "PublicPort", atoi(jstr(b, "HostPort")));
			cJSON_AddStringToObject(o, "Type", proto);
			cJSON_AddItemToArray(a, o);
		}
	}
	return a;
}

/* ---- names on user-defined networks: a DNS responder (RFC 1035) on UDP
 * port 53 of the host, which containers reach at their network's gateway.
 * A query from an address of a user-defined network (not nat: Docker's
 * default bridge has no names either) asks about that network only: an A
 * question for the name, an alias or the 12-digit short ID of a container
 * running on it gets its address, a PTR question for such an address the
 * container's NAME.NETWORK; another type for such a name no answer;
 * any other name NXDOMAIN (the host has no resolver to forward to).  The
 * message itself is dns.c's.
 * Queries from elsewhere are not answered.  The same over TCP (RFC 7766:
 * each message after its two-byte length, several on one connection): at
 * most DNS_TCP_CONNS at once, each closed after DNS_TCP_IDLE_S without a
 * whole query, at a bad length, or at a query not answered. */
#define DNS_TCP_CONNS 4
#define DNS_TCP_IDLE_S 5
static int dns_fd = -2;   /* -2: not tried yet; -1: cannot */
static int dns_lfd = -1;  /* TCP port 53, or -1 */
static struct dns_tcp {
	int fd;               /* -1: a free slot */
	size_t got;
	long long until;      /* mono_s() */
	unsigned char b[2 + DNS_MSG_MAX];
} dns_tcp[DNS_TCP_CONNS] = { { -1, 0, 0, { 0 } }, { -1, 0, 0, { 0 } }, { -1, 0, 0, { 0 } }, { -1, 0, 0, { 0 } } };

int net_dns_fd(void)
{
	struct net n[16];
	if (dns_fd != -2 || nets_read(n, 16) < 0)   /* no switch (the build machine): no responder */
		return dns_fd < 0 ? -1 : dns_fd;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(53) };
	dns_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (dns_fd < 0 || bind(dns_fd, (struct sockaddr *)&a, sizeof a)) {
		logmsg("no names on user-defined networks: cannot bind UDP port 53: %s", strerror(errno));
		if (dns_fd >= 0)
			close(dns_fd);
		dns_fd = -1;
		return -1;
	}
	int one = 1;
	dns_lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (dns_lfd < 0 || setsockopt(dns_lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
	    bind(dns_lfd, (struct sockaddr *)&a, sizeof a) || listen(dns_lfd, DNS_TCP_CONNS)) {
		logmsg("no names over TCP: cannot listen on TCP port 53: %s", strerror(errno));
		if (dns_lfd >= 0)
			close(dns_lfd);
		dns_lfd = -1;
	}
	return dns_fd;
}

/* Whether container ct answers to the lower-case name q. */
static int ctr_named(const struct ctr *ct, const char *q)
{
	const cJSON *v;
	if (!strcasecmp(name_of(ct), q) || (strlen(q) == 12 && !strncmp(ct->id, q, 12)))
		return 1;
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(ct->rec, "Aliases"))
		if (cJSON_IsString(v) && !strcasecmp(v->valuestring, q))
			return 1;
	return 0;
}

/* The lookups of dns_reply for network ctx names (struct net). */
static int dns_addr_of(void *ctx, const char *q, unsigned *ip)
{
	const struct net *n = ctx;
	for (struct ctr *ct = ctrs; ct; ct = ct->next)
		if ((*ip = ctr_addr(ct, n->name)) && ctr_named(ct, q))
			return 1;
	return 0;
}

static int dns_name_of(void *ctx, unsigned ip, char *out, size_t cap)
{
	const struct net *n = ctx;
	for (struct ctr *ct = ctrs; ct; ct = ct->next)
		if (ctr_addr(ct, n->name) == ip && ip) {
			snprintf(out, cap, "%s.%s", name_of(ct), n->name);
			return 1;
		}
	return 0;
}

/* Query m[0..len) from from becomes its reply in m (cap bytes): its
 * length, or 0 (not from a user-defined network, or not answered). */
static size_t dns_answer(unsigned char *m, size_t len, size_t cap, const struct sockaddr_in *from)
{
	struct net n[16];
	int k = nets_read(n, 16), i;
	unsigned src = ntohl(from->sin_addr.s_addr);
	for (i = 0; i < k; i++)
		if ((src & mask_of(n[i].prefix)) == (n[i].addr & mask_of(n[i].prefix)) && strcmp(n[i].name, "nat"))
			break;
	if (i >= k)
		return 0;
	struct dns_lookup lk = { dns_addr_of, dns_name_of, &n[i] };
	return dns_reply(m, len, cap, &lk);
}

void net_dns_answer(void)
{
	unsigned char m[DNS_MSG_MAX];
	struct sockaddr_in from;
	socklen_t fl = sizeof from;
	ssize_t len = recvfrom(dns_fd, m, sizeof m, 0, (struct sockaddr *)&from, &fl);
	size_t r = len > 0 ? dns_answer(m, (size_t)len, sizeof m, &from) : 0;
	if (r)
		sendto(dns_fd, m, r, 0, (struct sockaddr *)&from, fl);
}

int net_dns_tcp_fill(struct pollfd *p, int max)
{
	int n = 0;
	if (dns_lfd >= 0 && n < max)
		p[n++] = (struct pollfd){ dns_lfd, POLLIN, 0 };
	for (int i = 0; i < DNS_TCP_CONNS && n < max; i++)
		if (dns_tcp[i].fd >= 0)
			p[n++] = (struct pollfd){ dns_tcp[i].fd, POLLIN, 0 };
	return n;
}

static void dns_tcp_close(struct dns_tcp *c)
{
	close(c->fd);
	c->fd = -1;
}

/* What came on connection c: each whole query answered; 0, or -1 to close. */
static int dns_tcp_read(struct dns_tcp *c)
{
	ssize_t r = read(c->fd, c->b + c->got, sizeof c->b - c->got);
	if (r <= 0)
		return r < 0 && errno == EAGAIN ? 0 : -1;
	c->got += (size_t)r;
	c->until = mono_s() + DNS_TCP_IDLE_S;
	while (c->got >= 2) {
		size_t len = (size_t)c->b[0] << 8 | c->b[1];
		if (!len || len > DNS_MSG_MAX)
			return -1;
		if (c->got < 2 + len)
			return 0;
		unsigned char out[2 + DNS_MSG_MAX];
		struct sockaddr_in from;
		socklen_t fl = sizeof from;
		memcpy(out + 2, c->b + 2, len);
		size_t n = getpeername(c->fd, (struct sockaddr *)&from, &fl) ? 0 : dns_answer(out + 2, len, DNS_MSG_MAX, &from);
		out[0] = (unsigned char)(n >> 8), out[1] = (unsigned char)n;
		if (!n || write(c->fd, out, 2 + n) != (ssize_t)(2 + n))
			return -1;   /* not answered, or no room for a reply this small: done with it */
		memmove(c->b, c->b + 2 + len, c->got - 2 - len);
		c->got -= 2 + len;
	}
	return 0;
}

void net_dns_tcp_done(const struct pollfd *p, int n)
{
	int k = 0;
	long long now = mono_s();
	if (dns_lfd >= 0 && k < n && (p[k++].revents & POLLIN)) {
		int fd = accept4(dns_lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC), i = 0;
		while (i < DNS_TCP_CONNS && dns_tcp[i].fd >= 0)
			i++;
		if (fd >= 0 && i == DNS_TCP_CONNS)
			close(fd);   /* as many as it keeps: the client may retry */
		else if (fd >= 0)
			dns_tcp[i] = (struct dns_tcp){ .fd = fd, .got = 0, .until = now + DNS_TCP_IDLE_S };
	}
	for (int i = 0; i < DNS_TCP_CONNS; i++) {
		struct dns_tcp *c = &dns_tcp[i];
		if (c->fd < 0)
			continue;
		int fd = c->fd, bad = 0;
		for (int j = 0; j < n; j++)   /* its poll entry, if it had one this round */
			if (p[j].fd == fd && p[j].revents && j >= (dns_lfd >= 0))
				bad = dns_tcp_read(c);
		if (bad || now >= c->until)
			dns_tcp_close(c);
	}
}

/* /etc/resolv.conf for ct as net_sandbox_word left it: the gateway as name
 * server on a user-defined network, else "" (the host's). */
void net_resolv(const struct ctr *ct, char *out, size_t cap)
{
	cJSON *s = cJSON_GetObjectItem(ct->rec, "NetworkSettings");
	const char *net = jstr(s, "Network");
	*out = 0;
	if (*jstr(s, "Gateway") && strcmp(net, "nat") && net_dns_fd() >= 0)
		snprintf(out, cap, "# bulkheadd answers for the containers on network %s\nnameserver %s\n", net,
			 jstr(s, "Gateway"));
}
