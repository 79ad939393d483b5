/* SPDX-License-Identifier: ISC */
/*
 * vmm.conf: read with libconfig, whose own "file:line: what" messages reach
 * the user unchanged; our checks of meaning report the same way, at the line
 * of the offending setting.
 */
#include "vmm.h"

#include <err.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/addr.h"
#include "lib/conf.h"
#include "lib/duration.h"

#define CONF_CTX(conf) { .path = (conf)->path }

/* "vmm.conf:12: type web: guest_ip: not an IPv4 address" */
PK_PRINTF(3, 4) static int
vconf_error(const struct vmm_conf *conf, const config_setting_t *s,
    const char *fmt, ...)
{
	struct conf_ctx c = CONF_CTX(conf);
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return conf_error(&c, s, "%s", msg);
}

/*
 * The readers of a group's member by key: absent, the default stays; else
 * lib/conf.c checks it, labelled "WHATKEY" ("type web: " "root").
 */
static bool
conf_member(const config_setting_t *group, const char *what, const char *key,
    const config_setting_t **s, char *label, size_t size)
{
	*s = config_setting_get_member(group, key);
	snprintf(label, size, "%s%s", what, key);
	return *s != NULL;
}

/* A string setting, or dflt when absent; wrong types are errors. */
static int
member_string(const struct vmm_conf *conf, const config_setting_t *group,
    const char *what, const char *key, const char *dflt, const char **out)
{
	struct conf_ctx c = CONF_CTX(conf);
	const config_setting_t *s;
	char label[128];

	*out = dflt;
	if (!conf_member(group, what, key, &s, label, sizeof(label)))
		return 0;
	return conf_string(&c, s, label, false, out);
}

static int
member_uint(const struct vmm_conf *conf, const config_setting_t *group,
    const char *what, const char *key, unsigned lo, unsigned hi,
    unsigned *out)
{
	struct conf_ctx c = CONF_CTX(conf);
	const config_setting_t *s;
	char label[128];
	uint64_t v;

	if (!conf_member(group, what, key, &s, label, sizeof(label)))
		return 0;
	if (conf_uint(&c, s, label, lo, hi, &v) < 0)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int
member_bool(const struct vmm_conf *conf, const config_setting_t *group,
    const char *what, const char *key, bool *out)
{
	const config_setting_t *s = config_setting_get_member(group, key);

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return vconf_error(conf, s, "%s%s: true or false is expected",
		    what, key);
	*out = config_setting_get_bool(s) != 0;
	return 0;
}

static int
conf_addr(const struct vmm_conf *conf, const config_setting_t *group,
    const char *what, const char *key, const char *dflt, uint32_t *out)
{
	const config_setting_t *s = config_setting_get_member(group, key);
	const char *str;

	if (member_string(conf, group, what, key, dflt, &str) == -1)
		return -1;
	if (addr_parse(str, strlen(str), out) != ADDR_OK)
		return vconf_error(conf, s ? s : group,
		    "%s%s: '%s' is not an IPv4 address", what, key, str);
	return 0;
}

static int
member_duration(const struct vmm_conf *conf, const config_setting_t *group,
    const char *what, const char *key, uint64_t *out)
{
	struct conf_ctx c = CONF_CTX(conf);
	const config_setting_t *s;
	char label[128];

	if (!conf_member(group, what, key, &s, label, sizeof(label)))
		return 0;
	if (conf_duration(&c, s, label, out) < 0)
		return -1;
	if (*out == 0)
		return conf_error(&c, s, "%s: must be longer than 0", label);
	return 0;
}

/* An array or list of strings into out[max]. */
static int
member_strings(const struct vmm_conf *conf, const config_setting_t *group,
    const char *what, const char *key, const char **out, size_t max,
    size_t *n)
{
	struct conf_ctx c = CONF_CTX(conf);
	const config_setting_t *s;
	char label[128];

	*n = 0;
	if (!conf_member(group, what, key, &s, label, sizeof(label)))
		return 0;
	return conf_strings(&c, s, label, out, 0, max, n);
}

static int
conf_ports(const struct vmm_conf *conf, const config_setting_t *group,
    const char *what, struct vmm_type *t)
{
	const config_setting_t *s = config_setting_get_member(group, "ready_tcp");
	int len;

	if (s == NULL)
		return 0;
	if (!config_setting_is_array(s) && !config_setting_is_list(s))
		return vconf_error(conf, s, "%sready_tcp: a list of ports is expected",
		    what);
	len = config_setting_length(s);
	if (len < 0 || len > VMM_MAX_PORTS)
		return vconf_error(conf, s, "%sready_tcp: more than %d ports", what,
		    VMM_MAX_PORTS);
	for (int i = 0; i < len; i++) {
		const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
		int v = config_setting_get_int(e);

		if (config_setting_type(e) != CONFIG_TYPE_INT || v < 1 || v > 65535)
			return vconf_error(conf, e, "%sready_tcp: entry %d is not a "
			    "port number", what, i + 1);
		t->ready_tcp[t->nready_tcp++] = (uint16_t)v;
	}
	return 0;
}

/* "64M", "1G", "512K", or a number of MB. */
static int
conf_size(const struct vmm_conf *conf, const config_setting_t *s,
    const char *what, const char *key, uint64_t *out)
{
	unsigned long long v;
	const char *str;
	char *end;
	int shift = 20;

	if (config_setting_type(s) == CONFIG_TYPE_INT ||
	    config_setting_type(s) == CONFIG_TYPE_INT64) {
		long long n = config_setting_get_int64(s);

		if (config_setting_type(s) == CONFIG_TYPE_INT)
			n = config_setting_get_int(s);
		if (n < 1 || n > (1LL << 24))
			return vconf_error(conf, s, "%s%s: %lld MB is not within "
			    "1..%d", what, key, n, 1 << 24);
		*out = (uint64_t)n << 20;
		return 0;
	}
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return vconf_error(conf, s, "%s%s: a size such as \"64M\" is "
		    "expected", what, key);
	str = config_setting_get_string(s);
	errno = 0;
	v = strtoull(str, &end, 10);
	if (end == str || errno)
		goto bad;
	if (*end == 'K' || *end == 'k')
		shift = 10, end++;
	else if (*end == 'M' || *end == 'm')
		shift = 20, end++;
	else if (*end == 'G' || *end == 'g')
		shift = 30, end++;
	if (*end != '\0' || v == 0 || v > (1ULL << 44) >> shift)
		goto bad;
	*out = v << shift;
	if (*out < (1ULL << 20))
		return vconf_error(conf, s, "%s%s: '%s' is less than 1M", what,
		    key, str);
	return 0;
bad:
	return vconf_error(conf, s, "%s%s: '%s' is not a size such as \"64M\" "
	    "or \"1G\"", what, key, str);
}

/*
 * limits = { memory = "64M"; pids = 128; cpu = 0.5; }: what the clone's
 * cgroup allows.  Defaults are set by conf_type before.
 */
static int
conf_limits(const struct vmm_conf *conf, const config_setting_t *g,
    const char *what, struct vmm_type *t)
{
	const config_setting_t *l = config_setting_get_member(g, "limits");
	const config_setting_t *s;
	char lwhat[VMM_NAME_MAX + 24];

	if (l == NULL)
		return 0;
	t->limits.line = config_setting_source_line(l);
	if (!config_setting_is_group(l))
		return vconf_error(conf, l, "%slimits: a group { memory = ...; "
		    "pids = ...; cpu = ...; } is expected", what);
	snprintf(lwhat, sizeof(lwhat), "%slimits.", what);
	for (int i = 0; i < config_setting_length(l); i++) {
		const char *name = config_setting_name(
		    config_setting_get_elem(l, (unsigned)i));

		if (strcmp(name, "memory") && strcmp(name, "pids") &&
		    strcmp(name, "cpu"))
			return vconf_error(conf, config_setting_get_elem(l,
			    (unsigned)i), "%s%s: unknown (memory, pids or cpu)",
			    lwhat, name);
	}
	if ((s = config_setting_get_member(l, "memory")) &&
	    conf_size(conf, s, lwhat, "memory", &t->limits.memory) == -1)
		return -1;
	if (member_uint(conf, l, lwhat, "pids", 8, 1u << 22, &t->limits.pids) == -1)
		return -1;
	if ((s = config_setting_get_member(l, "cpu")) != NULL) {
		double cpu;

		if (config_setting_type(s) == CONFIG_TYPE_FLOAT)
			cpu = config_setting_get_float(s);
		else if (config_setting_type(s) == CONFIG_TYPE_INT)
			cpu = config_setting_get_int(s);
		else
			return vconf_error(conf, s, "%scpu: a number of CPUs such "
			    "as 0.5 is expected", lwhat);
		if (cpu < 0.01 || cpu > 1024)
			return vconf_error(conf, s, "%scpu: %g is not within "
			    "0.01..1024", lwhat, cpu);
		t->limits.cpu_milli = (unsigned)(cpu * 1000 + 0.5);
	}
	return 0;
}

/* binds = ( "/srv/www", "/host/dir:/inside:rw" ) */
static int
conf_binds(const struct vmm_conf *conf, const config_setting_t *g,
    const char *what, struct vmm_type *t)
{
	const char *list[VMM_MAX_BINDS];
	const config_setting_t *s = config_setting_get_member(g, "binds");

	if (member_strings(conf, g, what, "binds", list, VMM_MAX_BINDS,
		&t->nbinds) == -1)
		return -1;
	for (size_t i = 0; i < t->nbinds; i++) {
		struct vmm_bind *b = &t->binds[i];
		const config_setting_t *e = config_setting_is_aggregate(s) ?
		    config_setting_get_elem(s, (unsigned)i) : s;
		char *sep, *opt;

		snprintf(b->dst, sizeof(b->dst), "%s", list[i]);
		/* "SRC", "SRC:DST", "SRC:DST:ro|rw"; src keeps the whole entry
		 * up to its first colon. */
		b->src = list[i];
		if ((sep = strchr(b->dst, ':')) != NULL) {
			*sep++ = '\0';
			memmove(b->dst, sep, strlen(sep) + 1);
			if ((opt = strchr(b->dst, ':')) != NULL) {
				*opt++ = '\0';
				if (strcmp(opt, "rw") == 0)
					b->rw = true;
				else if (strcmp(opt, "ro") != 0)
					return vconf_error(conf, e, "%sbinds: '%s': "
					    "'%s' is not ro or rw", what, list[i], opt);
			}
		}
		if (b->src[0] != '/' || b->dst[0] != '/' ||
		    strstr(list[i], "/../") || strstr(list[i], "/..:"))
			return vconf_error(conf, e, "%sbinds: '%s': SOURCE[:TARGET"
			    "[:ro|rw]] with absolute paths is expected", what,
			    list[i]);
		if (strcmp(b->dst, "/") == 0)
			return vconf_error(conf, e, "%sbinds: '%s': the root is the "
			    "type's root setting", what, list[i]);
	}
	return 0;
}

static int
conf_ids(const struct vmm_conf *conf, const config_setting_t *g,
    const char *what, struct vmm_type *t, size_t index)
{
	const config_setting_t *s = config_setting_get_member(g, "ids");
	unsigned v;

	/* Unset: a range of its own above 2^30, in the order of the types. */
	t->ids = (1u << 30) + (uint32_t)index * VMM_IDS_COUNT;
	t->ids_line = s ? config_setting_source_line(s) :
	    config_setting_source_line(g);
	if (s == NULL)
		return 0;
	if (member_uint(conf, g, what, "ids", VMM_IDS_COUNT,
		UINT32_MAX - 2 * VMM_IDS_COUNT, &v) == -1)
		return -1;
	t->ids = v;
	return 0;
}

/* No two types may share an id: their clones would be one user. */
static int
conf_ids_apart(const struct vmm_conf *conf)
{
	for (size_t i = 0; i < conf->ntypes; i++) {
		const struct vmm_type *a = &conf->types[i];

		if (!a->backend->sandboxed)
			continue;
		for (size_t j = 0; j < i; j++) {
			const struct vmm_type *b = &conf->types[j];

			if (!b->backend->sandboxed ||
			    a->ids >= b->ids + VMM_IDS_COUNT ||
			    b->ids >= a->ids + VMM_IDS_COUNT)
				continue;
			warnx("%s:%d: type %s: ids %u..%u overlap those of type "
			    "%s (%u..%u)", conf->path, a->ids_line, a->name, a->ids,
			    a->ids + VMM_IDS_COUNT - 1, b->name, b->ids,
			    b->ids + VMM_IDS_COUNT - 1);
			return -1;
		}
	}
	return 0;
}

bool
vmm_name_ok(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len >= VMM_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!(name[i] >= 'a' && name[i] <= 'z') &&
		    !(name[i] >= 'A' && name[i] <= 'Z') &&
		    !(name[i] >= '0' && name[i] <= '9') &&
		    name[i] != '-' && name[i] != '_')
			return false;
	return true;
}

static int
conf_accel(const struct vmm_conf *conf, const config_setting_t *g,
    const char *what, struct vmm_type *t)
{
	const char *s;

	if (member_string(conf, g, what, "accel", "auto", &s) == -1)
		return -1;
	if (strcmp(s, "tcg") == 0)
		t->accel = VMM_ACCEL_TCG;
	else if (strcmp(s, "kvm") == 0)
		t->accel = VMM_ACCEL_KVM;
	else if (strcmp(s, "auto") == 0)
		t->accel = VMM_ACCEL_AUTO;
	else
		return vconf_error(conf, config_setting_get_member(g, "accel"),
		    "%saccel: '%s' is not kvm, tcg or auto", what, s);
	return 0;
}

/*
 * Xen's domain type.  pv needs no hardware virtualization (it is what runs
 * nested under QEMU TCG, as in t9000); pvh needs VT-x or SVM with EPT or
 * NPT, since Debian's Xen is built without shadow paging.
 */
static int
conf_domain_type(const struct vmm_conf *conf, const config_setting_t *g,
    const char *what, struct vmm_type *t)
{
	if (member_string(conf, g, what, "domain_type", "pv", &t->domain_type) == -1)
		return -1;
	if (strcmp(t->domain_type, "pv") != 0 && strcmp(t->domain_type, "pvh") != 0)
		return vconf_error(conf, config_setting_get_member(g, "domain_type"),
		    "%sdomain_type: '%s' is not pv or pvh", what, t->domain_type);
	return 0;
}

/* The names of a type's settings and of the file's, for "did you mean". */
static const char *const type_keys[] = {
	"backend", "guest_ip", "gw_ip", "prefix", "mac", "ready_timeout", "ready",
	"services", "ready_tcp", "evidence_paths", "home", "root", "hostname",
	"binds", "ids", "kernel", "initrd", "append", "memory", "cpus", "qemu",
	"disk", "tcg_buffer", "accel", "pool", "xl", "console_log", "vif_script",
	"domain_type", "limits", "merge",
};
static const char *const top_keys[] = {
	"statedir", "memdir", "netns_dir", "cgroup", "types",
};

/* A setting of g not in known[n] is a misspelling: the first one found, -1. */
static int
conf_known(const struct vmm_conf *conf, const config_setting_t *g,
    const char *what, const char *const *known, size_t n)
{
	struct conf_ctx c = CONF_CTX(conf);

	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *name = config_setting_name(s);
		size_t k = 0;

		while (k < n && strcmp(name, known[k]) != 0)
			k++;
		if (k == n)
			return conf_unknown(&c, s, what, known, n);
	}
	return 0;
}

/* Every setting a type may have; the backend's check says which it needs. */
static int
conf_type(struct vmm_conf *conf, const config_setting_t *g, struct vmm_type *t,
    size_t index)
{
	char what[VMM_NAME_MAX + 16], label[VMM_NAME_MAX + 16];
	const char *backend, *mac;
	unsigned prefix = 24;

	t->name = config_setting_name(g);
	snprintf(what, sizeof(what), "type %s: ", t->name);
	if (!config_setting_is_group(g))
		return vconf_error(conf, g, "%sa group { ... } is expected", what);
	if (!vmm_name_ok(t->name))
		return vconf_error(conf, g, "type %s: names are letters, digits, "
		    "'-' and '_', at most %d", t->name, VMM_NAME_MAX - 1);
	snprintf(label, sizeof(label), "type %s", t->name);
	if (conf_known(conf, g, label, type_keys,
		sizeof(type_keys) / sizeof(type_keys[0])) == -1)
		return -1;
	if (member_string(conf, g, what, "backend", NULL, &backend) == -1)
		return -1;
	if (backend == NULL)
		return vconf_error(conf, g, "%sbackend: missing", what);
	/* "remote" is potemkin-place's, for clones on other hosts: no type's. */
	if ((t->backend = vmm_backend_by_name(backend)) == NULL ||
	    t->backend->clone == NULL)
		return vconf_error(conf, config_setting_get_member(g, "backend"),
		    "%sbackend: '%s' is not netns, qemu or xen", what, backend);
	t->memory_mb = 128;
	t->cpus = 1;
	t->tcg_buffer_mb = 4;
	t->ready_timeout_ms = 60000;
	t->hostname = t->name;
	if (conf_addr(conf, g, what, "guest_ip", "10.0.2.15", &t->guest_ip) ||
	    conf_addr(conf, g, what, "gw_ip", "10.0.2.2", &t->gw_ip) ||
	    member_uint(conf, g, what, "prefix", 1, 32, &prefix) ||
	    member_string(conf, g, what, "mac", "52:54:00:12:34:56", &mac) ||
	    member_duration(conf, g, what, "ready_timeout", &t->ready_timeout_ms) ||
	    member_string(conf, g, what, "ready", "POTEMKIN-READY", &t->ready) ||
	    member_strings(conf, g, what, "services", t->services,
		VMM_MAX_SERVICES, &t->nservices) ||
	    conf_ports(conf, g, what, t) ||
	    member_strings(conf, g, what, "evidence_paths", t->evidence_paths,
		VMM_MAX_PATHS, &t->nevidence_paths) ||
	    member_string(conf, g, what, "home", "/", &t->home) ||
	    member_string(conf, g, what, "root", NULL, &t->root) ||
	    member_string(conf, g, what, "hostname", t->name, &t->hostname) ||
	    conf_binds(conf, g, what, t) ||
	    conf_ids(conf, g, what, t, index) ||
	    member_string(conf, g, what, "kernel", NULL, &t->kernel) ||
	    member_string(conf, g, what, "initrd", NULL, &t->initrd) ||
	    member_string(conf, g, what, "append", "", &t->append) ||
	    member_uint(conf, g, what, "memory", 16, 65536, &t->memory_mb) ||
	    member_uint(conf, g, what, "cpus", 1, 64, &t->cpus) ||
	    member_string(conf, g, what, "qemu", "qemu-system-x86_64", &t->qemu) ||
	    member_string(conf, g, what, "disk", NULL, &t->disk) ||
	    member_uint(conf, g, what, "tcg_buffer", 1, 2048, &t->tcg_buffer_mb) ||
	    member_bool(conf, g, what, "merge", &t->merge) ||
	    conf_accel(conf, g, what, t) ||
	    member_uint(conf, g, what, "pool", 0, VMM_POOL_MAX, &t->pool) ||
	    member_string(conf, g, what, "xl", "xl", &t->xl) ||
	    member_string(conf, g, what, "console_log",
		"/var/log/xen/console/guest-%s.log", &t->console_log) ||
	    member_string(conf, g, what, "vif_script", NULL, &t->vif_script) ||
	    conf_domain_type(conf, g, what, t))
		return -1;
	t->prefix = (uint8_t)prefix;
	/* The cgroup's defaults: a netns clone is a few small services; a
	 * qemu clone is its guest's memory and QEMU's own (its translated
	 * code among it), its virtual CPUs' threads and one more for QEMU's
	 * I/O (held to cpus, a TCG guest answered its first SYN some 20 ms
	 * later). */
	if (strcmp(t->backend->name, "netns") == 0)
		t->limits = (struct vmm_limits){ 64ULL << 20, 128, 500, 0 };
	else
		t->limits = (struct vmm_limits){
			((uint64_t)t->memory_mb + 56 + t->tcg_buffer_mb) << 20, 64,
			(t->cpus + 1) * 1000, 0 };
	if (conf_limits(conf, g, what, t) == -1)
		return -1;
	if (t->disk != NULL && strcmp(t->backend->name, "qemu") != 0)
		return vconf_error(conf, config_setting_get_member(g, "disk"),
		    "%sdisk: only the qemu backend clones a disk", what);
	if (t->disk != NULL && *t->disk != '/')
		return vconf_error(conf, config_setting_get_member(g, "disk"),
		    "%sdisk: '%s' is not an absolute path", what, t->disk);
	if (t->merge && strcmp(t->backend->name, "qemu") != 0)
		return vconf_error(conf, config_setting_get_member(g, "merge"),
		    "%smerge: only the qemu backend merges a clone's pages", what);
	if (t->pool > 0 && t->backend->pool_make == NULL)
		return vconf_error(conf, config_setting_get_member(g, "pool"),
		    "%spool: the %s backend keeps no pool", what,
		    t->backend->name);
	if (strlen(t->hostname) > 63 || strpbrk(t->hostname, " \t/\"\\") != NULL)
		return vconf_error(conf, config_setting_get_member(g, "hostname"),
		    "%shostname: '%s' is not a host name", what, t->hostname);
	if (!vmm_mac_valid(mac))
		return vconf_error(conf, config_setting_get_member(g, "mac"),
		    "%smac: '%s' is not a unicast MAC address", what, mac);
	snprintf(t->mac, sizeof(t->mac), "%s", mac);
	if (t->ready_timeout_ms == 60000 && strcmp(backend, "netns") == 0)
		t->ready_timeout_ms = 5000;
	return t->backend->check(conf, t);
}

static int
conf_globals(struct vmm_conf *conf)
{
	const config_setting_t *root = config_root_setting(&conf->cfg);

	if (conf_known(conf, root, "", top_keys,
		sizeof(top_keys) / sizeof(top_keys[0])) == -1)
		return -1;
	if (member_string(conf, root, "", "statedir", "/var/lib/potemkin",
		&conf->statedir) ||
	    member_string(conf, root, "", "memdir", "/dev/shm/potemkin",
		&conf->memdir) ||
	    member_string(conf, root, "", "netns_dir", "/run/netns",
		&conf->netns_dir) ||
	    member_string(conf, root, "", "cgroup", "potemkin", &conf->cgroup))
		return -1;
	if (conf->cgroup[0] == '/' || strstr(conf->cgroup, "..") ||
	    conf->cgroup[strlen(conf->cgroup) - 1] == '/')
		return vconf_error(conf, config_setting_get_member(root, "cgroup"),
		    "cgroup: '%s': a group below each hierarchy's root such as "
		    "\"potemkin\" is expected", conf->cgroup);
	if (conf->statedir[0] != '/' || conf->memdir[0] != '/' ||
	    conf->netns_dir[0] != '/')
		return vconf_error(conf, root, "statedir, memdir and netns_dir "
		    "must be absolute paths");
	return 0;
}

int
vmm_conf_load(struct vmm_conf *conf, const char *path)
{
	const config_setting_t *types;
	int n;

	memset(conf, 0, sizeof(*conf));
	conf->path = path;
	if (conf_read(&(struct conf_ctx)CONF_CTX(conf), &conf->cfg) < 0) {
		config_init(&conf->cfg);	/* so that the failure path may destroy it */
		goto fail;
	}
	if (conf_globals(conf) == -1)
		goto fail;
	types = config_lookup(&conf->cfg, "types");
	if (types == NULL || !config_setting_is_group(types)) {
		vconf_error(conf, types, "types: a group of host types is expected");
		goto fail;
	}
	n = config_setting_length(types);
	if ((conf->types = calloc((size_t)n + 1, sizeof(*conf->types))) == NULL) {
		warn("loading %s", path);
		goto fail;
	}
	for (int i = 0; i < n; i++) {
		if (conf_type(conf, config_setting_get_elem(types, (unsigned)i),
			&conf->types[i], (size_t)i) == -1)
			goto fail;
		conf->ntypes++;
	}
	if (conf_ids_apart(conf) == -1)
		goto fail;
	return 0;
fail:
	vmm_conf_free(conf);
	return -1;
}

void
vmm_conf_free(struct vmm_conf *conf)
{
	free(conf->types);
	conf->types = NULL;
	conf->ntypes = 0;
	config_destroy(&conf->cfg);
}
