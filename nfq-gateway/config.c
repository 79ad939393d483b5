/* SPDX-License-Identifier: ISC */
/*
 * gateway.conf through libconfig.  libconfig's own "file:line" syntax
 * errors reach the operator as they are; on top of that every setting is
 * checked for its type and range, and a setting we do not know is an error
 * (a misspelt name would otherwise silently keep its default).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/conf.h"

#define CFG_DEFAULT_CONF "/etc/potemkin/vmm.conf"

static int
argv_set(struct gw_argv *a, const char *const *words)
{
	a->argc = 0;
	for (; *words && a->argc < GW_ARGV_MAX; words++)
		if ((a->argv[a->argc++] = strdup(*words)) == NULL)
			return -1;
	a->argv[a->argc] = NULL;
	return 0;
}

static void
argv_free(struct gw_argv *a)
{
	for (int i = 0; i < a->argc; i++)
		free(a->argv[i]);
	a->argc = 0;
	a->argv[0] = NULL;
}

static int
set_defaults(struct gw_config *c)
{
	static const char *const clone[] = { "potemkin-clone", "-c", CFG_DEFAULT_CONF, NULL };
	static const char *const teardown[] = { "potemkin-teardown", "-c", CFG_DEFAULT_CONF, NULL };
	static const char *const freeze[] = { "potemkin-freeze", "-c", CFG_DEFAULT_CONF, NULL };

	memset(c, 0, sizeof(*c));
	eng_config_defaults(&c->eng);
	c->queue_in = 0;
	c->queue_out = 1;
	c->queue_maxlen = 4096;
	c->copy_range = 65535;
	c->rcvbuf = 8u << 20;
	c->clone_timeout_ms = 30000;
	c->hosts_interval_ms = 5000;
	c->clones_max_procs = 64;
	c->events_rate = 1u << 20;
	c->rpfilter = true;
	c->fastpath = false;	/* for now: off until the operator asks */
	c->fastpath_flows = 65536;
	c->pcap.max_size = 10u << 20;
	c->pcap.files = 4;
	c->pcap.snaplen = 65535;
	if (!(c->policy = strdup("/etc/potemkin/farm.policy")) ||
	    !(c->user = strdup("nobody")) ||
	    !(c->control_socket = strdup("/run/potemkin/gateway.sock")) ||
	    !(c->pidfile = strdup("")) ||
	    !(c->events = strdup("/var/log/potemkin/events.jsonl")) ||
	    !(c->external_interface = strdup("eth0")) ||
	    !(c->pcap.directory = strdup("/var/lib/potemkin/pcap")) ||
	    argv_set(&c->clone_cmd, clone) < 0 ||
	    argv_set(&c->teardown_cmd, teardown) < 0 ||
	    argv_set(&c->freeze_cmd, freeze) < 0)
		return -1;
	return 0;
}

/* ---- typed readers: each reports its own error and leaves the default ---- */

static void
get_string(struct conf_ctx *l, config_setting_t *s, char **dst, bool may_be_empty)
{
	const char *v;
	char *copy;

	if (conf_string(l, s, config_setting_name(s), may_be_empty, &v) < 0)
		return;
	if ((copy = strdup(v)) == NULL) {
		conf_error(l, s, "out of memory");
		return;
	}
	free(*dst);
	*dst = copy;
}

/*
 * The sensor's name goes into every event as it is: printable ASCII and
 * short, so that it needs no escaping and a search can name it.
 */
static void
get_sensor(struct conf_ctx *l, config_setting_t *s, char **dst)
{
	const char *v;

	if (conf_string(l, s, "sensor", false, &v) < 0)
		return;
	if (strlen(v) > GW_SENSOR_MAX) {
		conf_error(l, s, "sensor: at most %d characters", GW_SENSOR_MAX);
		return;
	}
	for (const char *p = v; *p; p++)
		if (*p <= ' ' || *p > '~' || *p == '"' || *p == '\\') {
			conf_error(l, s, "sensor: letters, digits and punctuation only "
			    "(no space, quote or backslash)");
			return;
		}
	get_string(l, s, dst, false);
}

static void
get_u32(struct conf_ctx *l, config_setting_t *s, uint64_t min, uint64_t max, uint32_t *dst)
{
	uint64_t v;

	if (conf_uint(l, s, config_setting_name(s), min, max, &v) == 0)
		*dst = (uint32_t)v;
}

static void
get_bool(struct conf_ctx *l, config_setting_t *s, bool *dst)
{
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		conf_error(l, s, "%s: true or false is expected", config_setting_name(s));
	else
		*dst = config_setting_get_bool(s) != 0;
}

static void
get_size(struct conf_ctx *l, config_setting_t *s, uint64_t min, uint64_t max, size_t *dst)
{
	uint64_t v;

	if (conf_uint(l, s, config_setting_name(s), min, max, &v) == 0)
		*dst = (size_t)v;
}

static void
get_duration(struct conf_ctx *l, config_setting_t *s, uint32_t *dst)
{
	uint64_t ms;

	if (conf_duration(l, s, config_setting_name(s), &ms) == 0)
		*dst = (uint32_t)ms;
}

static void
get_argv(struct conf_ctx *l, config_setting_t *s, struct gw_argv *dst)
{
	const char *words[GW_ARGV_MAX + 1];
	size_t n;

	if (conf_strings(l, s, config_setting_name(s), words, 1, GW_ARGV_MAX, &n) < 0)
		return;
	words[n] = NULL;
	argv_free(dst);
	if (argv_set(dst, words) < 0)
		conf_error(l, s, "out of memory");
}

static void
get_prefixes(struct conf_ctx *l, config_setting_t *s, struct prefix *out, size_t max,
    size_t *n)
{
	const char *words[ENG_SOURCES_ALLOWED_MAX];
	struct prefix p[ENG_SOURCES_ALLOWED_MAX];
	size_t k;

	if (max > ENG_SOURCES_ALLOWED_MAX)
		max = ENG_SOURCES_ALLOWED_MAX;
	if (conf_strings(l, s, config_setting_name(s), words, 0, max, &k) < 0)
		return;
	for (size_t i = 0; i < k; i++) {
		enum addr_err e = prefix_parse(words[i], strlen(words[i]), &p[i]);

		if (e != ADDR_OK) {
			conf_error(l, s, "%s: '%s': %s", config_setting_name(s), words[i],
			    addr_strerror(e));
			return;
		}
	}
	memcpy(out, p, k * sizeof(*p));
	*n = k;
}

/* ---- the schema -------------------------------------------------------------- */

/* The names of each group's settings, for "did you mean" (in load order). */
static const char *const queue_keys[] = {
	"inbound", "outbound", "maxlen", "copy_range", "rcvbuf",
};
static const char *const clone_keys[] = {
	"command", "teardown", "freeze", "hosts", "hosts_interval", "timeout",
	"backoff", "processes",
};
static const char *const tables_keys[] = {
	"history", "scan_sources", "universes", "dns", "backoff", "flow_idle",
	"park_bytes",
};
static const char *const pcap_keys[] = {
	"types", "directory", "max_size", "files", "snaplen", "keep",
};
static const char *const top_keys[] = {
	"policy", "user", "control_socket", "pidfile", "events",
	"external_interface", "mark", "sources_allowed", "rpfilter", "dns_timeout",
	"events_rate", "dns_rate", "dns_per_clone", "contain_report", "on_exit",
	"queue", "clone", "tables", "sensor", "pcap", "fastpath", "fastpath_flows",
};
#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

static void
load_queue(struct conf_ctx *l, config_setting_t *g, struct gw_config *c)
{
	for (int i = 0; i < config_setting_length(g); i++) {
		config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *n = config_setting_name(s);
		uint32_t v;

		if (strcmp(n, "inbound") == 0 || strcmp(n, "outbound") == 0) {
			v = strcmp(n, "inbound") == 0 ? c->queue_in : c->queue_out;
			get_u32(l, s, 0, 65535, &v);
			*(strcmp(n, "inbound") == 0 ? &c->queue_in : &c->queue_out) =
			    (uint16_t)v;
		} else if (strcmp(n, "maxlen") == 0) {
			get_u32(l, s, 1, 1u << 24, &c->queue_maxlen);
		} else if (strcmp(n, "copy_range") == 0) {
			get_u32(l, s, 64, 65535, &c->copy_range);
		} else if (strcmp(n, "rcvbuf") == 0) {
			get_u32(l, s, 65536, 1u << 30, &c->rcvbuf);
		} else {
			conf_unknown(l, s, "queue", queue_keys, NKEYS(queue_keys));
		}
	}
	if (c->queue_in == c->queue_out)
		conf_error(l, g, "queue: inbound and outbound must be different queues");
}

static void
load_clone(struct conf_ctx *l, config_setting_t *g, struct gw_config *c)
{
	for (int i = 0; i < config_setting_length(g); i++) {
		config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *n = config_setting_name(s);

		if (strcmp(n, "command") == 0)
			get_argv(l, s, &c->clone_cmd);
		else if (strcmp(n, "teardown") == 0)
			get_argv(l, s, &c->teardown_cmd);
		else if (strcmp(n, "freeze") == 0)
			get_argv(l, s, &c->freeze_cmd);
		else if (strcmp(n, "hosts") == 0)
			get_argv(l, s, &c->hosts_cmd);
		else if (strcmp(n, "hosts_interval") == 0)
			get_duration(l, s, &c->hosts_interval_ms);
		else if (strcmp(n, "timeout") == 0)
			get_duration(l, s, &c->clone_timeout_ms);
		else if (strcmp(n, "backoff") == 0)
			get_duration(l, s, &c->eng.backoff_ms);
		else if (strcmp(n, "processes") == 0)
			get_u32(l, s, 1, 256, &c->clones_max_procs);
		else
			conf_unknown(l, s, "clone", clone_keys, NKEYS(clone_keys));
	}
	if (c->hosts_interval_ms < 100)
		conf_error(l, g, "clone: hosts_interval must be 100ms or more");
}

static void
load_tables(struct conf_ctx *l, config_setting_t *g, struct gw_config *c)
{
	for (int i = 0; i < config_setting_length(g); i++) {
		config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *n = config_setting_name(s);

		if (strcmp(n, "history") == 0)
			get_size(l, s, 1, 1u << 26, &c->eng.history_max);
		else if (strcmp(n, "scan_sources") == 0)
			get_size(l, s, 1, 1u << 24, &c->eng.scan_sources_max);
		else if (strcmp(n, "universes") == 0)
			get_size(l, s, 1, 1u << 24, &c->eng.universes_max);
		else if (strcmp(n, "dns") == 0)
			get_size(l, s, 1, 65536, &c->eng.dns_max);
		else if (strcmp(n, "backoff") == 0)
			get_size(l, s, 1, 1u << 20, &c->eng.backoff_max);
		else if (strcmp(n, "flow_idle") == 0)
			get_duration(l, s, &c->eng.flow_idle_ms);
		else if (strcmp(n, "park_bytes") == 0)
			get_size(l, s, 576, 65535, &c->eng.park_bytes);
		else
			conf_unknown(l, s, "tables", tables_keys, NKEYS(tables_keys));
	}
}

/* "10M", "512K", "1G" (powers of 1024) or a plain number of bytes. */
static void
get_bytes(struct conf_ctx *l, config_setting_t *s, uint64_t min, uint64_t max, uint64_t *dst)
{
	const char *v, *n = config_setting_name(s);
	uint64_t x = 0;
	char *end;

	if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		if (conf_uint(l, s, n, min, max, &x) == 0)
			*dst = x;
		return;
	}
	v = config_setting_get_string(s);
	errno = 0;
	x = strtoull(v, &end, 10);
	if (end == v || errno || *v == '-') {
		conf_error(l, s, "%s: '%s' is not a size (such as \"10M\")", n, v);
		return;
	}
	unsigned shift = *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : 0;

	if (shift)
		end++;
	/* Past max before the shift, so that a huge count cannot wrap into range. */
	if (x > max >> shift)
		x = UINT64_MAX;
	else
		x <<= shift;
	if (*end != '\0' || x < min || x > max)
		conf_error(l, s, "%s: '%s' is not a size from %lluK to %lluG", n, v,
		    (unsigned long long)(min >> 10), (unsigned long long)(max >> 30));
	else
		*dst = x;
}

static void
load_pcap(struct conf_ctx *l, config_setting_t *g, struct gw_config *c)
{
	struct gw_pcap_config *p = &c->pcap;

	for (int i = 0; i < config_setting_length(g); i++) {
		config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *n = config_setting_name(s);

		if (strcmp(n, "types") == 0) {
			const char *words[GW_PCAP_TYPES_MAX];
			size_t k;

			if (conf_strings(l, s, "pcap: types", words, 0, GW_PCAP_TYPES_MAX, &k) < 0)
				continue;
			for (size_t j = 0; j < p->ntypes; j++)
				free(p->types[j]);
			p->ntypes = 0;
			for (size_t j = 0; j < k; j++) {
				if (strcmp(words[j], "*") != 0 &&
				    (words[j][0] == '\0' || strlen(words[j]) >= ENG_TYPE_MAX ||
				    strspn(words[j], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "0123456789._-") != strlen(words[j]))) {
					conf_error(l, s, "pcap: types: '%s' is neither a type name nor \"*\"",
					    words[j]);
					continue;
				}
				if ((p->types[p->ntypes] = strdup(words[j])) != NULL)
					p->ntypes++;
			}
		} else if (strcmp(n, "directory") == 0) {
			get_string(l, s, &p->directory, false);
			if (p->directory[0] != '/')
				conf_error(l, s, "pcap: directory: '%s' is not an absolute path",
				    p->directory);
		} else if (strcmp(n, "max_size") == 0) {
			get_bytes(l, s, 4096, 1ull << 40, &p->max_size);
		} else if (strcmp(n, "files") == 0) {
			get_u32(l, s, 1, 100, &p->files);
		} else if (strcmp(n, "snaplen") == 0) {
			get_u32(l, s, 64, 65535, &p->snaplen);
		} else if (strcmp(n, "keep") == 0) {
			get_bool(l, s, &p->keep);
		} else {
			conf_unknown(l, s, "pcap", pcap_keys, NKEYS(pcap_keys));
		}
	}
}

bool
gw_pcap_wanted(const struct gw_config *c, const char *type)
{
	for (size_t i = 0; i < c->pcap.ntypes; i++)
		if (strcmp(c->pcap.types[i], "*") == 0 || strcmp(c->pcap.types[i], type) == 0)
			return true;
	return false;
}

static void
load_top(struct conf_ctx *l, config_setting_t *s, struct gw_config *c)
{
	const char *n = config_setting_name(s);
	char *on_exit = NULL;

	if (strcmp(n, "policy") == 0) {
		get_string(l, s, &c->policy, false);
	} else if (strcmp(n, "user") == 0) {
		get_string(l, s, &c->user, true);
	} else if (strcmp(n, "control_socket") == 0) {
		get_string(l, s, &c->control_socket, false);
	} else if (strcmp(n, "pidfile") == 0) {
		get_string(l, s, &c->pidfile, true);
	} else if (strcmp(n, "events") == 0) {
		get_string(l, s, &c->events, false);
	} else if (strcmp(n, "external_interface") == 0) {
		get_string(l, s, &c->external_interface, false);
	} else if (strcmp(n, "mark") == 0) {
		get_u32(l, s, 1, UINT32_MAX, &c->eng.pass_mark);
	} else if (strcmp(n, "sources_allowed") == 0) {
		get_prefixes(l, s, c->eng.sources_allowed, ENG_SOURCES_ALLOWED_MAX,
		    &c->eng.nsources_allowed);
	} else if (strcmp(n, "rpfilter") == 0) {
		get_bool(l, s, &c->rpfilter);
	} else if (strcmp(n, "fastpath") == 0) {
		get_bool(l, s, &c->fastpath);
	} else if (strcmp(n, "fastpath_flows") == 0) {
		get_u32(l, s, 16, 1u << 22, &c->fastpath_flows);
	} else if (strcmp(n, "dns_timeout") == 0) {
		get_duration(l, s, &c->eng.dns_timeout_ms);
	} else if (strcmp(n, "sensor") == 0) {
		get_sensor(l, s, &c->sensor);
	} else if (strcmp(n, "events_rate") == 0) {
		get_u32(l, s, 4096, 1u << 30, &c->events_rate);
	} else if (strcmp(n, "dns_rate") == 0) {
		get_u32(l, s, 1, 100000, &c->eng.dns_rate);
	} else if (strcmp(n, "dns_per_clone") == 0) {
		get_u32(l, s, 1, 65535, &c->eng.dns_per_clone);
	} else if (strcmp(n, "contain_report") == 0) {
		get_duration(l, s, &c->eng.contain_report_ms);
	} else if (strcmp(n, "on_exit") == 0) {
		get_string(l, s, &on_exit, false);
		if (on_exit && strcmp(on_exit, "keep") == 0)
			c->on_exit_keep = true;
		else if (on_exit && strcmp(on_exit, "teardown") == 0)
			c->on_exit_keep = false;
		else if (on_exit)
			conf_error(l, s, "on_exit: \"%s\" is neither \"teardown\" nor \"keep\"",
			    on_exit);
		free(on_exit);
	} else if (strcmp(n, "queue") == 0 && config_setting_is_group(s)) {
		load_queue(l, s, c);
	} else if (strcmp(n, "clone") == 0 && config_setting_is_group(s)) {
		load_clone(l, s, c);
	} else if (strcmp(n, "tables") == 0 && config_setting_is_group(s)) {
		load_tables(l, s, c);
	} else if (strcmp(n, "pcap") == 0 && config_setting_is_group(s)) {
		load_pcap(l, s, c);
	} else {
		conf_unknown(l, s, "", top_keys, NKEYS(top_keys));
	}
}

int
gw_config_load(struct gw_config *c, const char *path, FILE *errs)
{
	struct conf_ctx l = { path, errs, 0 };
	config_setting_t *root;
	config_t cf;

	if (set_defaults(c) < 0) {
		fprintf(errs, "out of memory\n");
		return -1;
	}
	if (path == NULL)
		return 0;
	if ((c->path = strdup(path)) == NULL)
		return -1;
	if (conf_read(&l, &cf) < 0)
		return -1;
	root = config_root_setting(&cf);
	for (int i = 0; i < config_setting_length(root); i++)
		load_top(&l, config_setting_get_elem(root, (unsigned)i), c);
	config_destroy(&cf);
	return l.errors ? -1 : 0;
}

void
gw_config_free(struct gw_config *c)
{
	free(c->path);
	free(c->policy);
	free(c->user);
	free(c->control_socket);
	free(c->pidfile);
	free(c->events);
	free(c->sensor);
	free(c->external_interface);
	argv_free(&c->clone_cmd);
	argv_free(&c->teardown_cmd);
	argv_free(&c->freeze_cmd);
	argv_free(&c->hosts_cmd);
	for (size_t i = 0; i < c->pcap.ntypes; i++)
		free(c->pcap.types[i]);
	free(c->pcap.directory);
	memset(c, 0, sizeof(*c));
}
