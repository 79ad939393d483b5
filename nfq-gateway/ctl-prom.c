/* SPDX-License-Identifier: ISC */
/*
 * stats --prometheus: the gateway's stats in the Prometheus text exposition
 * format (version 0.0.4), for a textfile collector or a scrape through a
 * small exporter.  Names get the potemkin_ prefix; counters end in _total;
 * the live counts and bounds (the engine's gauges) are gauges; stats that
 * differ only by a queue or a reason become one family with a label.
 */
#include "ctl.h"

#include <err.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"	/* ENG_GAUGES: which stats are gauges */

#define PROM_MAX 256

static const char *const gauges[] = {
#define GAUGE_NAME(name) #name,
	ENG_GAUGES(GAUGE_NAME)
#undef GAUGE_NAME
	"fastpath_on", "fastpath_flows",
};

/* Stats folded into a labelled family. */
static const struct labelled {
	const char *stat, *family, *labels;
} labelled[] = {
	{ "queue_in_packets", "queue_packets", "queue=\"in\"" },
	{ "queue_out_packets", "queue_packets", "queue=\"out\"" },
	{ "queue_in_enobufs", "queue_enobufs", "queue=\"in\"" },
	{ "queue_out_enobufs", "queue_enobufs", "queue=\"out\"" },
	{ "queue_in_full_dropped", "queue_dropped", "queue=\"in\",reason=\"full\"" },
	{ "queue_in_user_dropped", "queue_dropped", "queue=\"in\",reason=\"user\"" },
	{ "queue_out_full_dropped", "queue_dropped", "queue=\"out\",reason=\"full\"" },
	{ "queue_out_user_dropped", "queue_dropped", "queue=\"out\",reason=\"user\"" },
};

static const struct help {
	const char *family, *text;
} helps[] = {
	{ "in_packets", "Packets the inbound queue gave the engine." },
	{ "out_packets", "Packets the clones sent, as the outbound queue gave them." },
	{ "delivered", "Packets delivered to clones." },
	{ "dropped", "Packets the policy dropped." },
	{ "flow_misses", "Packets that started a flow (no cached decision)." },
	{ "infected", "Clones marked infected." },
	{ "reclaimed", "Clones reclaimed, by why." },
	{ "queue_packets", "Packets read from an NFQUEUE, by queue." },
	{ "queue_enobufs", "Times an NFQUEUE socket overflowed (ENOBUFS), by queue." },
	{ "queue_dropped", "Packets the kernel dropped on a queue: it was full, or "
	    "our socket was." },
	{ "vms", "Live clones." },
	{ "pending", "Clones being made." },
	{ "universes", "Live universes." },
	{ "flows", "Cached flows." },
	{ "events_written", "Events written." },
	{ "events_lost", "Events lost (the events file or FIFO could not take them)." },
	{ "fastpath_on", "1 when the kernel fast path carries decided flows." },
	{ "fastpath_flows", "Flows the kernel fast path carries now." },
	{ "fastpath_packets", "Packets the kernel fast path carried, as read back." },
	{ "fastpath_bytes", "Bytes (IP total lengths) the kernel fast path carried." },
};

struct metric {
	char family[64];
	char labels[64];
	unsigned long long v;
	bool gauge, done;
};

struct metrics {
	struct metric m[PROM_MAX];
	size_t n;
};

static bool
is_gauge(const char *name)
{
	for (size_t i = 0; i < sizeof(gauges) / sizeof(gauges[0]); i++)
		if (strcmp(name, gauges[i]) == 0)
			return true;
	return false;
}

static void
collect(void *ctx, const char *key, size_t keylen, unsigned long long v)
{
	struct metrics *ms = ctx;
	struct metric *m;
	char name[64];

	if (ms->n == PROM_MAX || keylen >= sizeof(name))
		return;
	memcpy(name, key, keylen);
	name[keylen] = '\0';
	m = &ms->m[ms->n++];
	*m = (struct metric){ .v = v, .gauge = is_gauge(name) };
	snprintf(m->family, sizeof(m->family), "%s", name);
	for (size_t i = 0; i < sizeof(labelled) / sizeof(labelled[0]); i++)
		if (strcmp(name, labelled[i].stat) == 0) {
			snprintf(m->family, sizeof(m->family), "%s", labelled[i].family);
			snprintf(m->labels, sizeof(m->labels), "%s", labelled[i].labels);
		}
	if (strncmp(name, "reclaimed_", 10) == 0) {
		snprintf(m->family, sizeof(m->family), "reclaimed");
		snprintf(m->labels, sizeof(m->labels), "reason=\"%s\"", name + 10);
	}
}

static const char *
help_of(const char *family)
{
	for (size_t i = 0; i < sizeof(helps) / sizeof(helps[0]); i++)
		if (strcmp(family, helps[i].family) == 0)
			return helps[i].text;
	return NULL;
}

/* One family: its HELP and TYPE, then every sample of it (they must be together). */
static void
write_family(FILE *out, struct metrics *ms, size_t first)
{
	const struct metric *f = &ms->m[first];
	const char *help = help_of(f->family);
	const char *suffix = f->gauge ? "" : "_total";

	fprintf(out, "# HELP potemkin_%s%s ", f->family, suffix);
	if (help)
		fprintf(out, "%s\n", help);
	else
		fprintf(out, "The gateway's %s %s (potemkin-ctl stats).\n", f->family,
		    f->gauge ? "gauge" : "counter");
	fprintf(out, "# TYPE potemkin_%s%s %s\n", f->family, suffix,
	    f->gauge ? "gauge" : "counter");
	for (size_t i = first; i < ms->n; i++) {
		struct metric *m = &ms->m[i];

		if (m->done || strcmp(m->family, f->family) != 0)
			continue;
		m->done = true;
		fprintf(out, "potemkin_%s%s%s%s%s %llu\n", m->family, suffix,
		    m->labels[0] ? "{" : "", m->labels, m->labels[0] ? "}" : "", m->v);
	}
}

void
prom_write(FILE *out, const char *reply)
{
	struct metrics *ms = calloc(1, sizeof(*ms));

	if (ms == NULL)
		err(1, "calloc");
	jforeach_num(jspan_of(reply), collect, ms);
	for (size_t i = 0; i < ms->n; i++)
		if (!ms->m[i].done)
			write_family(out, ms, i);
	free(ms);
}
