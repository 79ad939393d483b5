/* SPDX-License-Identifier: ISC */
/*
 * The VMM hosts' table, from the placement's health check (hosts.h).
 */
#include "hosts.h"

#include <stdio.h>
#include <string.h>

#include "gateway.h"
#include "lib/log.h"
#include "privsep.h"

/* The value of key= in line, up to the next blank (or the end, for why=). */
static int
value(const char *line, const char *key, bool rest, char *out, size_t size)
{
	size_t klen = strlen(key), len;
	const char *p = line;

	for (;;) {
		if (strncmp(p, key, klen) == 0 && p[klen] == '=')
			break;
		if ((p = strchr(p, ' ')) == NULL)
			return -1;
		p++;
	}
	p += klen + 1;
	len = rest ? strcspn(p, "\n") : strcspn(p, " \n");
	if (len >= size)
		len = size - 1;
	memcpy(out, p, len);
	out[len] = '\0';
	return 0;
}

int
gw_host_parse(const char *line, struct gw_host *h)
{
	char state[8];

	memset(h, 0, sizeof(*h));
	if (value(line, "host", false, h->name, sizeof(h->name)) < 0 || !h->name[0] ||
	    value(line, "state", false, state, sizeof(state)) < 0)
		return -1;
	if (strcmp(state, "up") == 0)
		h->up = true;
	else if (strcmp(state, "down") != 0)
		return -1;
	(void)value(line, "capacity", false, h->capacity, sizeof(h->capacity));
	(void)value(line, "why", true, h->why, sizeof(h->why));
	return 0;
}

static struct gw_host *
find(struct gw_hosts *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->h[i].name, name) == 0)
			return &t->h[i];
	return NULL;
}

bool
gw_host_up(const struct gw *g, const char *name)
{
	for (size_t i = 0; *name && i < g->hosts.n; i++)
		if (strcmp(g->hosts.h[i].name, name) == 0)
			return g->hosts.h[i].up;
	return true;
}

uint64_t
gw_hosts_tick(struct gw *g, uint64_t now_ms)
{
	struct gw_hosts *t = &g->hosts;
	struct ps_request rq = { .op = PS_HOSTS, .vm = -1 };

	if (g->cfg->hosts_cmd.argc == 0 || g->stopping)
		return UINT64_MAX;
	if (!t->asking && now_ms >= t->next_ms) {
		t->asking = true;
		t->checks++;
		gw_ps_request(g, &rq);
	}
	/* While one runs, its answer wakes the loop; then the next is due. */
	return t->asking ? UINT64_MAX : t->next_ms;
}

/* A host seen for the first time, or whose state changed: the engine hears. */
static void
apply(struct gw *g, const struct gw_host *now, uint64_t now_ms)
{
	struct gw_hosts *t = &g->hosts;
	struct gw_host *h = find(t, now->name);
	size_t n;

	if (h == NULL) {
		if (t->n == GW_HOSTS_MAX) {
			log_warnx("hosts: more than %d; %s is not followed", GW_HOSTS_MAX,
			    now->name);
			return;
		}
		h = &t->h[t->n++];
	} else if (h->up == now->up) {
		*h = *now;
		return;
	}
	*h = *now;
	n = eng_host_state(g->eng, h->name, h->up, h->up ? NULL : h->why, now_ms);
	if (h->up)
		log_info("host %s is up", h->name);
	else
		log_warnx("host %s is down (%s): %zu clone%s reclaimed", h->name,
		    h->why[0] ? h->why : "no reason given", n, n == 1 ? "" : "s");
}

void
gw_hosts_reply(struct gw *g, const struct ps_reply *rp, uint64_t now_ms)
{
	struct gw_hosts *t = &g->hosts;
	char buf[PS_TEXT_MAX], *line, *save = NULL;
	struct gw_host h;

	t->asking = false;
	t->next_ms = now_ms + g->cfg->hosts_interval_ms;
	if (rp->status != 0) {
		t->check_failures++;
		log_warnx("hosts: the check failed: %s", rp->text);
		return;
	}
	snprintf(buf, sizeof(buf), "%s", rp->text);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (gw_host_parse(line, &h) < 0) {
			log_warnx("hosts: not a host line: '%.80s'", line);
			continue;
		}
		apply(g, &h, now_ms);
	}
}
