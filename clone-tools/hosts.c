/* SPDX-License-Identifier: ISC */
/*
 * hosts.conf, read with libconfig and checked for meaning, every error at
 * its line (lib/conf.c).
 */
#include "hosts.h"

#include <err.h>
#include <stdio.h>
#include <string.h>

#include "lib/addr.h"
#include "lib/conf.h"

#define HC_CTX(hc) { .path = (hc)->path }

/*
 * A word that ssh passes to the remote shell must mean itself there: the
 * paths of hosts.conf are held to [A-Za-z0-9/._-] (no blank, no quote, no
 * shell character).
 */
static bool
shell_safe(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr("/._-", *s)))
			return false;
	return true;
}

static int
hc_address(struct conf_ctx *c, const config_setting_t *s, const char *label,
    uint32_t *out)
{
	const char *v;

	if (conf_string(c, s, label, false, &v) == -1)
		return -1;
	if (addr_parse(v, strlen(v), out) != ADDR_OK)
		return conf_error(c, s, "%s: '%s' is not an IPv4 address", label, v);
	return 0;
}

static int
hc_path(struct conf_ctx *c, const config_setting_t *s, const char *label,
    const char **out)
{
	if (conf_string(c, s, label, false, out) == -1)
		return -1;
	if (**out != '/' || !shell_safe(*out))
		return conf_error(c, s, "%s: '%s' is not an absolute path of "
		    "[A-Za-z0-9/._-]", label, *out);
	return 0;
}

static int
hc_capacity(struct conf_ctx *c, const config_setting_t *g, struct place_host *h)
{
	char label[96];
	uint64_t n;

	if (!config_setting_is_group(g))
		return conf_error(c, g, "host %s: capacity: a group of TYPE = "
		    "clones is expected", h->name);
	for (int i = 0; i < config_setting_length(g); i++) {
		const config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
		const char *type = config_setting_name(s);

		if (h->ncap == HOST_TYPES_MAX)
			return conf_error(c, s, "host %s: more than %d types", h->name,
			    HOST_TYPES_MAX);
		if (!vmm_name_ok(type))
			return conf_error(c, s, "host %s: '%s' is not a type name",
			    h->name, type);
		snprintf(label, sizeof(label), "host %s: capacity: %s", h->name, type);
		if (conf_uint(c, s, label, 0, 100000, &n) == -1)
			return -1;
		h->cap[h->ncap++] = (struct host_capacity){ type, (unsigned)n };
	}
	return 0;
}

static int
hc_run(struct conf_ctx *c, const config_setting_t *s, struct place_host *h)
{
	char label[64];

	snprintf(label, sizeof(label), "host %s: run", h->name);
	if (conf_strings(c, s, label, h->run, 0, HOST_RUN_MAX, &h->nrun) == -1)
		return -1;
	h->run[h->nrun] = NULL;
	return 0;
}

/* One member of a host's group. */
/* The settings of a host and of the file, for "did you mean". */
static const char *const host_keys[] = {
	"name", "run", "tools", "vmm", "tunnel", "capacity",
};
static const char *const top_keys[] = {
	"tunnel", "tunnel_port", "check_timeout", "hold_down", "hosts",
};

static int
hc_member(struct conf_ctx *c, const config_setting_t *s, struct place_host *h)
{
	const char *key = config_setting_name(s);
	char label[64];

	snprintf(label, sizeof(label), "host %s: %s", h->name, key);
	if (strcmp(key, "name") == 0)
		return 0;
	if (strcmp(key, "run") == 0)
		return hc_run(c, s, h);
	if (strcmp(key, "tools") == 0)
		return hc_path(c, s, label, &h->tools);
	if (strcmp(key, "vmm") == 0)
		return hc_path(c, s, label, &h->vmm);
	if (strcmp(key, "tunnel") == 0)
		return hc_address(c, s, label, &h->tunnel);
	if (strcmp(key, "capacity") == 0)
		return hc_capacity(c, s, h);
	snprintf(label, sizeof(label), "host %s", h->name);
	return conf_unknown(c, s, label, host_keys,
	    sizeof(host_keys) / sizeof(host_keys[0]));
}

static int
hc_host(struct hosts_conf *hc, struct conf_ctx *c, const config_setting_t *g,
    const char *tools_here)
{
	struct place_host *h = &hc->hosts[hc->nhosts];
	const config_setting_t *n = config_setting_get_member(g, "name");
	int rc = 0;

	memset(h, 0, sizeof(*h));
	h->line = config_setting_source_line(g);
	h->tools = tools_here;
	if (!config_setting_is_group(g) || n == NULL)
		return conf_error(c, g, "hosts: each host is a group with a name");
	if (conf_string(c, n, "host: name", false, &h->name) == -1)
		return -1;
	if (!vmm_name_ok(h->name))
		return conf_error(c, n, "host name '%s': [A-Za-z0-9_-], 1 to %d long",
		    h->name, VMM_NAME_MAX - 1);
	if (hosts_find(hc, h->name))
		return conf_error(c, n, "host %s: named twice", h->name);
	for (int i = 0; i < config_setting_length(g); i++)
		if (hc_member(c, config_setting_get_elem(g, (unsigned)i), h) == -1)
			rc = -1;
	if (rc == 0 && !host_is_local(h) && h->tunnel == 0)
		return conf_error(c, g, "host %s: a host reached by `run` needs "
		    "`tunnel`, its end of the clones' tunnels", h->name);
	if (rc == 0 && host_is_local(h) && h->tunnel != 0)
		return conf_error(c, g, "host %s: without `run` it is this machine, "
		    "which needs no tunnel", h->name);
	for (size_t i = 0; rc == 0 && h->tunnel && i < hc->nhosts; i++)
		if (hc->hosts[i].tunnel == h->tunnel) {
			char a[ADDR_STRLEN];

			return conf_error(c, g, "host %s: tunnel %s is host %s's too "
			    "(line %d)", h->name, addr_fmt(h->tunnel, a),
			    hc->hosts[i].name, hc->hosts[i].line);
		}
	h->port = (uint16_t)(hc->tunnel_port + hc->nhosts);
	if (rc == 0 && hc->tunnel_port + hc->nhosts > 65535)
		return conf_error(c, g, "host %s: its tunnel port would pass 65535 "
		    "(tunnel_port %u)", h->name, hc->tunnel_port);
	if (rc == 0)
		hc->nhosts++;
	return rc;
}

static int
hc_top(struct hosts_conf *hc, struct conf_ctx *c, const char *tools_here)
{
	const config_setting_t *root = config_root_setting(&hc->cfg), *list = NULL;
	int rc = 0;

	for (int i = 0; i < config_setting_length(root); i++) {
		const config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
		const char *key = config_setting_name(s);
		uint64_t v;

		if (strcmp(key, "hosts") == 0)
			list = s;
		else if (strcmp(key, "tunnel") == 0)
			rc |= hc_address(c, s, key, &hc->tunnel_local);
		else if (strcmp(key, "tunnel_port") == 0) {
			if (conf_uint(c, s, key, 1, 65535, &v) == 0)
				hc->tunnel_port = (uint16_t)v;
			else
				rc = -1;
		} else if (strcmp(key, "check_timeout") == 0)
			rc |= conf_duration(c, s, key, &hc->check_timeout_ms);
		else if (strcmp(key, "hold_down") == 0)
			rc |= conf_duration(c, s, key, &hc->hold_down_ms);
		else
			rc = conf_unknown(c, s, "", top_keys,
			    sizeof(top_keys) / sizeof(top_keys[0]));
	}
	if (list == NULL || !config_setting_is_list(list) ||
	    config_setting_length(list) == 0)
		return conf_error(c, list, "hosts: a list of one host or more is "
		    "expected");
	if (config_setting_length(list) > HOSTS_MAX)
		return conf_error(c, list, "hosts: more than %d", HOSTS_MAX);
	for (int i = 0; i < config_setting_length(list); i++)
		if (hc_host(hc, c, config_setting_get_elem(list, (unsigned)i),
		    tools_here) == -1)
			rc = -1;
	for (size_t i = 0; rc == 0 && i < hc->nhosts; i++)
		if (!host_is_local(&hc->hosts[i]) && hc->tunnel_local == 0)
			return conf_error(c, NULL, "host %s is reached by `run`: the "
			    "gateway's `tunnel` address is needed", hc->hosts[i].name);
	return rc;
}

int
hosts_conf_load(struct hosts_conf *hc, const char *path, const char *tools_here)
{
	struct conf_ctx c;

	memset(hc, 0, sizeof(*hc));
	hc->path = path;
	hc->tunnel_port = 4789;
	hc->check_timeout_ms = 5000;
	hc->hold_down_ms = 30000;
	c = (struct conf_ctx)HC_CTX(hc);
	if (conf_read(&c, &hc->cfg) == -1)
		return -1;
	if (hc_top(hc, &c, tools_here) == -1) {
		config_destroy(&hc->cfg);
		return -1;
	}
	return 0;
}

void
hosts_conf_free(struct hosts_conf *hc)
{
	config_destroy(&hc->cfg);
}

const struct place_host *
hosts_find(const struct hosts_conf *hc, const char *name)
{
	for (size_t i = 0; i < hc->nhosts; i++)
		if (strcmp(hc->hosts[i].name, name) == 0)
			return &hc->hosts[i];
	return NULL;
}

unsigned
host_capacity(const struct place_host *h, const char *type)
{
	for (size_t i = 0; i < h->ncap; i++)
		if (strcmp(h->cap[i].type, type) == 0)
			return h->cap[i].n;
	return 0;
}
