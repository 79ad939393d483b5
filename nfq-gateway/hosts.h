/* SPDX-License-Identifier: ISC */
/*
 * The VMM hosts, as the placement's health check reports them: the
 * parent runs `clone.hosts` (potemkin-place check) every hosts_interval,
 * and its lines say which hosts are up.  When one goes down, every clone
 * bound there is reclaimed with an event; `potemkin-ctl hosts` shows the
 * table.  The gateway chooses no host itself: placement is the clone
 * command's business (potemkin-place(8)).
 */
#ifndef POTEMKIN_GW_HOSTS_H
#define POTEMKIN_GW_HOSTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

#define GW_HOSTS_MAX 64

struct gw_host {
	char name[ENG_TYPE_MAX];
	bool up;
	char capacity[128];	/* TYPE:N,... as the placement said */
	char why[160];		/* why it is down */
};

struct gw_hosts {
	struct gw_host h[GW_HOSTS_MAX];
	size_t n;
	bool asking;		/* a check runs */
	uint64_t next_ms;	/* mono: when the next one is due */
	uint64_t checks, check_failures;
};

struct gw;
struct ps_reply;

/* False only for a host the last check said is down ("" is this machine). */
bool gw_host_up(const struct gw *g, const char *name);
/* Ask for a check if one is due; when the next one will be (UINT64_MAX: never). */
uint64_t gw_hosts_tick(struct gw *g, uint64_t now_ms);
/* The check's answer: update the table, tell the engine what changed. */
void gw_hosts_reply(struct gw *g, const struct ps_reply *rp, uint64_t now_ms);
/*
 * One line "host=NAME state=up|down [capacity=T:N,...] [why=TEXT...]" into h;
 * -1 if it is not one.  Exposed for the unit test.
 */
int gw_host_parse(const char *line, struct gw_host *h);

#endif
