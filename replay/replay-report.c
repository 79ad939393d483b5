/* SPDX-License-Identifier: ISC */
/*
 * What the replay reports: a text table for people (one column per idle
 * timeout), one JSON object for scripts, and the live-clone series as CSV.
 * Everything printed is a function of the captures, the policy and the
 * options, never of the machine or the wall clock, so reports can be
 * compared byte for byte (the tests' golden files do).
 */
#include "replay.h"
#include "lib/json.h"
#include "lib/duration.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

char *
replay_idle_name(const struct replay_run *run, char *buf)
{
	if (run->idle_ms == 0)
		return strcpy(buf, "never");
	return dur_fmt(run->idle_ms, buf);
}

static const char *
proto_name(uint8_t p)
{
	static char num[4][8];
	static int next;
	const char *n = pol_proto_name(p);

	if (n)
		return n;
	next = (next + 1) % 4;
	snprintf(num[next], sizeof(num[next]), "%u", p);
	return num[next];
}

/* The rule's text as dump prints it, without the newline; free it. */
static char *
rule_text(const struct pol_program *prog, int dir, size_t i)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	if (f == NULL)
		return NULL;
	pol_rule_print(prog, (enum pol_dir)dir, i, f);
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	if (n && s[n - 1] == '\n')
		s[n - 1] = '\0';
	return s;
}

static double
seconds(uint64_t us)
{
	return (double)us / 1e6;
}

static char *
utc(uint64_t us, char *buf, size_t cap)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, cap, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, cap, "?");
	return buf;
}

/* ---- JSON ---------------------------------------------------------------- */

static const char *const action_names[] = {
	[POL_DROP] = "drop", [POL_PASS] = "pass", [POL_REJECT] = "reject",
	[POL_BIND] = "bind", [POL_REFLECT] = "reflect", [POL_PROXY] = "proxy",
};

#define STAT(f) { #f, offsetof(struct eng_stats, f) },
static const struct {
	const char *name;
	size_t off;
} engine_counters[] = {
	ENG_COUNTERS(STAT)
};
#undef STAT

static uint64_t
counter(const struct eng_stats *st, size_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)st + off, sizeof(v));
	return v;
}

static void
json_dir(struct jw *w, const struct replay_dir *d, bool with_rules)
{
	jw_uint(w, "packets", d->packets);
	jw_uint(w, "decisions", d->decisions);
	if (with_rules)
		jw_uint(w, "followed", d->followed);
	jw_open(w, "by_action", '{', true);
	for (int a = 0; a <= POL_PROXY; a++)
		jw_uint(w, action_names[a], d->action[a]);
	jw_close(w, '}');
	jw_uint(w, "no_rule", d->norule);
}

static void
json_rules(struct jw *w, const struct replay *r, const struct replay_run *run)
{
	static const char *const dirs[] = { "inbound", "outbound" };
	const struct replay_dir *d[] = { &run->in, &run->out };

	jw_open(w, "rules", '[', false);
	for (int dir = 0; dir < 2; dir++) {
		for (size_t i = 0; i < d[dir]->nrules; i++) {
			char *text = rule_text(r->prog, dir, i);

			jw_open(w, NULL, '{', true);
			jw_str(w, "dir", dirs[dir]);
			jw_uint(w, "index", i);
			jw_uint(w, "line", (unsigned)pol_rule_line(r->prog, (enum pol_dir)dir, i));
			jw_uint(w, "packets", d[dir]->rule[i]);
			jw_str(w, "rule", text ? text : "?");
			jw_close(w, '}');
			free(text);
		}
	}
	jw_close(w, ']');
}

static void
json_dest(struct jw *w, const struct replay_dest *d)
{
	char a[ADDR_STRLEN];
	uint64_t total = 0;

	for (int o = 0; o < OUT_N; o++)
		total += d->n[o];
	jw_open(w, NULL, '{', true);
	jw_str(w, "addr", addr_fmt(d->addr, a));
	jw_str(w, "proto", proto_name(d->proto));
	jw_uint(w, "packets", total);
	for (int o = 0; o < OUT_N; o++)
		if (d->n[o])
			jw_uint(w, replay_outcome_name(o), d->n[o]);
	jw_close(w, '}');
}

/* Destinations by protocol: how many had at least one packet of each fate. */
static void
json_dest_summary(struct jw *w, const struct replay_run *run)
{
	uint8_t protos[256] = { 0 };

	for (size_t i = 0; i < run->dests.n; i++)
		protos[run->dest[i].proto] = 1;
	jw_open(w, "by_proto", '{', false);
	for (int p = 0; p < 256; p++) {
		uint64_t n = 0, fate[OUT_N] = { 0 };

		if (!protos[p])
			continue;
		for (size_t i = 0; i < run->dests.n; i++) {
			if (run->dest[i].proto != p)
				continue;
			n++;
			for (int o = 0; o < OUT_N; o++)
				fate[o] += run->dest[i].n[o] > 0;
		}
		jw_open(w, proto_name((uint8_t)p), '{', true);
		jw_uint(w, "destinations", n);
		for (int o = 0; o < OUT_N; o++)
			jw_uint(w, replay_outcome_name(o), fate[o]);
		jw_close(w, '}');
	}
	jw_close(w, '}');
}

static void
json_outbound(struct jw *w, const struct replay_run *run)
{
	size_t nlist = run->dests.n < REPLAY_DESTS_MAX ? run->dests.n : REPLAY_DESTS_MAX;

	jw_open(w, "outbound", '{', false);
	json_dir(w, &run->out, false);
	jw_open(w, "by_outcome", '{', true);
	for (int o = 0; o < OUT_N; o++)
		jw_uint(w, replay_outcome_name(o), run->out_outcome[o]);
	jw_close(w, '}');
	jw_uint(w, "dns_questions", run->dns_questions);
	jw_uint(w, "answers_not_replayed", run->answers_skipped);
	jw_uint(w, "host_binds", run->host_binds);
	jw_uint(w, "host_refused", run->host_refused);
	jw_open(w, "destinations", '{', false);
	jw_uint(w, "total", run->dests.n);
	json_dest_summary(w, run);
	jw_bool(w, "list_truncated", nlist < run->dests.n);
	jw_open(w, "list", '[', false);
	for (size_t i = 0; i < nlist; i++)
		json_dest(w, &run->dest[i]);
	jw_close(w, ']');
	jw_close(w, '}');
	jw_close(w, '}');
}

static void
json_table(struct jw *w, const char *name, size_t peak, size_t max)
{
	jw_open(w, name, '{', true);
	jw_uint(w, "peak", peak);
	jw_uint(w, "max", max);
	jw_close(w, '}');
}

static void
json_tables(struct jw *w, const struct replay *r, const struct replay_run *run)
{
	const struct eng_stats *p = &run->peak, *s = &run->st;

	jw_open(w, "tables", '{', false);
	json_table(w, "bindings", p->vms + p->pending, pol_limits(r->prog)->vms);
	json_table(w, "flows", p->flows, s->flows_max);
	json_table(w, "history", p->history, s->history_max);
	json_table(w, "scan_sources", p->scan_sources, s->scan_sources_max);
	json_table(w, "universes", p->universes, s->universes_max);
	json_table(w, "dns", p->dns_outstanding, s->dns_max);
	jw_uint(w, "bytes_peak", p->table_bytes);
	jw_close(w, '}');
}

/* VMM hosts of --host-capacity clones each that the peak would have filled. */
static uint64_t
hosts_needed(const struct replay_run *run)
{
	uint64_t cap = run->r->o.host_capacity;

	return (run->live.peak + cap - 1) / cap;
}

static void
json_clones(struct jw *w, const struct replay_run *run)
{
	const struct replay_series *s = &run->live;

	jw_open(w, "clones", '{', false);
	jw_uint(w, "created", run->clones);
	jw_uint(w, "ready", run->st.clones_ready - run->host_binds);
	jw_uint(w, "ended", run->ended);
	jw_uint(w, "frozen", run->frozen);
	if (run->unknown_ends)
		jw_uint(w, "unknown_ends", run->unknown_ends);
	jw_uint(w, "live_at_end", s->level);
	jw_uint(w, "peak", s->peak);
	if (run->r->o.host_capacity)
		jw_uint(w, "hosts_needed", hosts_needed(run));
	jw_num(w, "mean", series_mean(s));
	jw_uint(w, "p50", series_quantile(s, 0.50));
	jw_uint(w, "p90", series_quantile(s, 0.90));
	jw_uint(w, "p99", series_quantile(s, 0.99));
	jw_open(w, "refused", '{', true);
	jw_uint(w, "clones_in_flight", run->st.over_clones);
	jw_uint(w, "vms", run->st.over_vms);
	jw_uint(w, "backoff", run->st.backoff_dropped);
	jw_uint(w, "table_full", run->st.table_full);
	jw_close(w, '}');
	jw_close(w, '}');
}

static void
json_run(struct jw *w, const struct replay *r, const struct replay_run *run)
{
	char b[DUR_STRLEN];
	const struct eng_stats *st = &run->st;

	jw_open(w, NULL, '{', false);
	jw_str(w, "idle", replay_idle_name(run, b));
	jw_uint(w, "idle_ms", run->idle_ms);
	json_clones(w, run);
	jw_open(w, "universes", '{', true);
	jw_uint(w, "with_clones", run->universes.n);
	jw_uint(w, "at_end", st->universes);
	jw_close(w, '}');
	jw_open(w, "scan_filter", '{', true);
	jw_uint(w, "sources", run->scan_sources.n);
	jw_uint(w, "addresses", run->scan_addrs.n);
	jw_close(w, '}');
	jw_open(w, "inbound", '{', false);
	json_dir(w, &run->in, true);
	jw_uint(w, "unattributed", st->flow_hits > run->in.followed ?
	    st->flow_hits - run->in.followed : 0);
	jw_open(w, "not_decided", '{', true);
	jw_uint(w, "not_farm", st->not_farm);
	jw_uint(w, "martian", st->martian);
	jw_uint(w, "special_source", st->special_source);
	jw_uint(w, "farm_source", st->farm_source);
	jw_uint(w, "malformed", st->malformed);
	jw_uint(w, "not_ipv4", st->not_ipv4);
	jw_uint(w, "fragments", st->fragments_dropped);
	jw_close(w, '}');
	jw_uint(w, "answered", run->emitted);
	jw_close(w, '}');
	if (r->o.from_clone)
		json_outbound(w, run);
	json_rules(w, r, run);
	jw_open(w, "events", '{', true);
	for (int k = EV_START; k <= EV_LOG; k++)
		if (run->events[k])
			jw_uint(w, eng_event_name(k), run->events[k]);
	jw_close(w, '}');
	json_tables(w, r, run);
	jw_open(w, "engine", '{', false);
	for (size_t i = 0; i < sizeof(engine_counters) / sizeof(engine_counters[0]); i++)
		jw_uint(w, engine_counters[i].name, counter(st, engine_counters[i].off));
	jw_close(w, '}');
	jw_close(w, '}');
}

static void
json_options(struct jw *w, const struct replay *r)
{
	char a[PREFIX_STRLEN], b[PREFIX_STRLEN + 1 + PREFIX_STRLEN];

	jw_open(w, "options", '{', false);
	jw_open(w, "maps", '[', true);
	for (size_t i = 0; i < r->o.nmap; i++) {
		int n = snprintf(b, sizeof(b), "%s=", prefix_fmt(&r->o.map[i].from, a));

		snprintf(b + n, sizeof(b) - (size_t)n, "%s", prefix_fmt(&r->o.map[i].to, a));
		jw_str(w, NULL, b);
	}
	jw_close(w, ']');
	jw_bool(w, "map_src", r->o.map_src);
	jw_uint(w, "clone_ms", r->o.clone_ms);
	jw_bool(w, "scan_filter", !r->o.no_scan_filter);
	jw_str(w, "from_clone", r->o.from_clone ? addr_fmt(r->o.host, a) : NULL);
	if (r->o.from_clone)
		jw_str(w, "host_farm_address", addr_fmt(r->host_farm, a));
	if (r->o.state_max)
		jw_uint(w, "state_max", r->o.state_max);
	jw_close(w, '}');
}

int
replay_report_json(const struct replay_report *rep, FILE *out)
{
	const struct replay *r = rep->r;
	struct jw w = { .f = out, .first = { true } };
	char t[32];

	jw_open(&w, NULL, '{', false);
	jw_str(&w, "policy", rep->policy);
	jw_open(&w, "captures", '[', false);
	for (size_t i = 0; i < rep->ncaps; i++) {
		const struct replay_capture_info *c = &rep->caps[i];

		jw_open(&w, NULL, '{', true);
		jw_str(&w, "file", c->path);
		jw_str(&w, "link", c->link);
		jw_uint(&w, "frames", c->frames);
		jw_str(&w, "first", c->frames ? utc(c->first_us, t, sizeof(t)) : NULL);
		jw_num(&w, "duration_s", seconds(c->last_us - c->first_us));
		jw_bool(&w, "cut_short", c->cut_short);
		jw_close(&w, '}');
	}
	jw_close(&w, ']');
	json_options(&w, r);
	jw_num(&w, "duration_s", seconds(r->now_us));
	jw_open(&w, "frames", '{', false);
	jw_uint(&w, "total", r->frames);
	jw_uint(&w, "ipv4", r->ipv4);
	jw_uint(&w, "ipv6", r->ipv6);
	jw_uint(&w, "other", r->other);
	jw_uint(&w, "malformed", r->malformed);
	jw_uint(&w, "cut_short", r->snapped);
	jw_uint(&w, "out_of_order", r->reordered);
	jw_uint(&w, "inbound", r->inbound);
	jw_uint(&w, "outbound", r->outbound);
	jw_uint(&w, "ignored", r->ignored);
	jw_close(&w, '}');
	jw_uint(&w, "sources", r->sources.n);
	jw_uint(&w, "addresses", r->addrs.n);
	jw_open(&w, "runs", '[', false);
	for (size_t i = 0; i < r->nrun; i++)
		json_run(&w, r, &r->run[i]);
	jw_close(&w, ']');
	jw_close(&w, '}');
	fputc('\n', out);
	return ferror(out) ? -1 : 0;
}

/* ---- text ------------------------------------------------------------------ */

#define LABEL_W 30
#define COL_W 12

static void
row_u(FILE *f, const struct replay *r, const char *label,
    uint64_t (*get)(const struct replay_run *))
{
	fprintf(f, "%-*s", LABEL_W, label);
	for (size_t i = 0; i < r->nrun; i++)
		fprintf(f, "%*llu", COL_W, (unsigned long long)get(&r->run[i]));
	fputc('\n', f);
}

#define GETTER(name, expr) \
	static uint64_t name(const struct replay_run *run) { return (expr); }

GETTER(g_created, run->clones)
GETTER(g_peak, run->live.peak)
GETTER(g_end, run->live.level)
GETTER(g_refused, run->st.over_clones + run->st.over_vms + run->st.backoff_dropped +
    run->st.table_full)
GETTER(g_universes, run->universes.n)
GETTER(g_scan_src, run->scan_sources.n)
GETTER(g_scan_addr, run->scan_addrs.n)
GETTER(g_in_bind, run->in.action[POL_BIND])
GETTER(g_in_pass, run->in.action[POL_PASS])
GETTER(g_in_reject, run->in.action[POL_REJECT])
GETTER(g_in_drop, run->in.action[POL_DROP])
GETTER(g_not_farm, run->st.not_farm)
GETTER(g_other_in, run->st.martian + run->st.malformed + run->st.not_ipv4 +
    run->st.fragments_dropped)
GETTER(g_refused_src, run->st.special_source + run->st.farm_source)
GETTER(g_flow_hits, run->st.flow_hits)
GETTER(g_out_passed, run->out_outcome[OUT_PASSED])
GETTER(g_out_proxied, run->out_outcome[OUT_PROXIED])
GETTER(g_out_reflected, run->out_outcome[OUT_REFLECTED])
GETTER(g_out_rejected, run->out_outcome[OUT_REJECTED])
GETTER(g_out_dropped, run->out_outcome[OUT_DROPPED])
GETTER(g_out_internal, run->out_outcome[OUT_INTERNAL])
GETTER(g_out_unjudged, run->out_outcome[OUT_UNJUDGED])
GETTER(g_dests, run->dests.n)
GETTER(g_answers, run->answers_skipped)
GETTER(g_host_binds, run->host_binds)

static uint64_t
dests_with(const struct replay_run *run, enum out_outcome o)
{
	uint64_t n = 0;

	for (size_t i = 0; i < run->dests.n; i++)
		n += run->dest[i].n[o] > 0;
	return n;
}

GETTER(g_dests_passed, dests_with(run, OUT_PASSED))
GETTER(g_dests_reflected, dests_with(run, OUT_REFLECTED))
GETTER(g_dests_dropped, dests_with(run, OUT_DROPPED))

static void
text_live(FILE *f, const struct replay *r)
{
	fprintf(f, "%-*s", LABEL_W, "  live on average");
	for (size_t i = 0; i < r->nrun; i++)
		fprintf(f, "%*.2f", COL_W, series_mean(&r->run[i].live));
	fputc('\n', f);
	fprintf(f, "%-*s", LABEL_W, "  live p50 / p90 / p99");
	for (size_t i = 0; i < r->nrun; i++) {
		char b[48];

		snprintf(b, sizeof(b), "%u/%u/%u", series_quantile(&r->run[i].live, 0.5),
		    series_quantile(&r->run[i].live, 0.9),
		    series_quantile(&r->run[i].live, 0.99));
		fprintf(f, "%*s", COL_W, b);
	}
	fputc('\n', f);
}

static void
text_header(FILE *f, const struct replay_report *rep)
{
	const struct replay *r = rep->r;
	char a[PREFIX_STRLEN], b[PREFIX_STRLEN], t[32];

	fprintf(f, "policy    %s\n", rep->policy);
	for (size_t i = 0; i < rep->ncaps; i++) {
		const struct replay_capture_info *c = &rep->caps[i];

		fprintf(f, "capture   %s: %s, %llu frames, %.3f s from %s%s\n", c->path, c->link,
		    (unsigned long long)c->frames, seconds(c->last_us - c->first_us),
		    c->frames ? utc(c->first_us, t, sizeof(t)) : "-",
		    c->cut_short ? " (cut short)" : "");
	}
	fprintf(f, "replayed  %.3f s: %llu IPv4 frames (%llu inbound, %llu outbound, "
	    "%llu ignored), %llu IPv6, %llu other\n", seconds(r->now_us),
	    (unsigned long long)r->ipv4, (unsigned long long)r->inbound,
	    (unsigned long long)r->outbound, (unsigned long long)r->ignored,
	    (unsigned long long)r->ipv6, (unsigned long long)r->other);
	if (r->malformed || r->snapped || r->reordered)
		fprintf(f, "          %llu malformed, %llu cut short by the capture, "
		    "%llu out of order\n", (unsigned long long)r->malformed,
		    (unsigned long long)r->snapped, (unsigned long long)r->reordered);
	fputs("options   ", f);
	for (size_t i = 0; i < r->o.nmap; i++)
		fprintf(f, "map %s=%s, ", prefix_fmt(&r->o.map[i].from, a),
		    prefix_fmt(&r->o.map[i].to, b));
	if (r->o.map_src)
		fputs("sources mapped too, ", f);
	if (r->o.from_clone)
		fprintf(f, "from clone %s as %s, ", addr_fmt(r->o.host, a),
		    addr_fmt(r->host_farm, b));
	fprintf(f, "clones ready after %u ms, scan filter %s\n", r->o.clone_ms,
	    r->o.no_scan_filter ? "off" : "on");
	fprintf(f, "inbound   %zu outside source%s, %zu farm address%s reached\n\n",
	    r->sources.n, r->sources.n == 1 ? "" : "s", r->addrs.n,
	    r->addrs.n == 1 ? "" : "es");
}

static void
text_rules(FILE *f, const struct replay *r)
{
	fputs("\npackets by the rule that decided them, or their flow\n", f);
	for (size_t i = 0; i < r->nrun; i++) {
		char b[DUR_STRLEN + 8], d[DUR_STRLEN];

		snprintf(b, sizeof(b), "idle %s", replay_idle_name(&r->run[i], d));
		fprintf(f, "%*s", COL_W, b);
	}
	fputs("  line  rule\n", f);
	for (int dir = 0; dir < 2; dir++) {
		size_t n = pol_rule_count(r->prog, (enum pol_dir)dir);

		if (dir == POL_OUT && !r->o.from_clone)
			break;
		for (size_t k = 0; k <= n; k++) {
			char *text = k < n ? rule_text(r->prog, dir, k) : NULL;

			for (size_t i = 0; i < r->nrun; i++) {
				const struct replay_dir *dd = dir == POL_IN ? &r->run[i].in :
				    &r->run[i].out;

				fprintf(f, "%*llu", COL_W, (unsigned long long)(k < n ?
				    dd->rule[k] : dd->norule));
			}
			if (k < n)
				fprintf(f, "  %4d  %s\n", pol_rule_line(r->prog, (enum pol_dir)dir, k),
				    text ? text : "?");
			else
				fprintf(f, "     -  (no %s rule matched: drop)\n",
				    dir == POL_IN ? "inbound" : "outbound");
			free(text);
		}
	}
}

int
replay_report_text(const struct replay_report *rep, FILE *f)
{
	const struct replay *r = rep->r;

	text_header(f, rep);
	fprintf(f, "%-*s", LABEL_W, "");
	for (size_t i = 0; i < r->nrun; i++) {
		char b[DUR_STRLEN + 8], d[DUR_STRLEN];

		snprintf(b, sizeof(b), "idle %s", replay_idle_name(&r->run[i], d));
		fprintf(f, "%*s", COL_W, b);
	}
	fputc('\n', f);
	row_u(f, r, "clones created", g_created);
	row_u(f, r, "  live at the peak", g_peak);
	if (r->o.host_capacity) {
		char label[64];

		snprintf(label, sizeof(label), "  hosts of %u clones", r->o.host_capacity);
		row_u(f, r, label, hosts_needed);
	}
	text_live(f, r);
	row_u(f, r, "  live at the end", g_end);
	row_u(f, r, "  refused by limits", g_refused);
	row_u(f, r, "universes with clones", g_universes);
	row_u(f, r, "scan-filtered sources", g_scan_src);
	row_u(f, r, "scan-filtered addresses", g_scan_addr);
	fputs("inbound packets, by decision\n", f);
	row_u(f, r, "  bind (to a clone)", g_in_bind);
	row_u(f, r, "  pass (to a bound clone)", g_in_pass);
	row_u(f, r, "  reject (answered)", g_in_reject);
	row_u(f, r, "  drop", g_in_drop);
	row_u(f, r, "  not for the farm", g_not_farm);
	row_u(f, r, "  malformed, martian, frags", g_other_in);
	row_u(f, r, "  special-purpose sources", g_refused_src);
	row_u(f, r, "  flow cache hits", g_flow_hits);
	if (r->o.from_clone) {
		fputs("outbound packets (the infected host's)\n", f);
		row_u(f, r, "  passed", g_out_passed);
		row_u(f, r, "  proxied", g_out_proxied);
		row_u(f, r, "  reflected", g_out_reflected);
		row_u(f, r, "  rejected", g_out_rejected);
		row_u(f, r, "  dropped", g_out_dropped);
		row_u(f, r, "  internal (to the farm)", g_out_internal);
		row_u(f, r, "  never judged", g_out_unjudged);
		row_u(f, r, "outside destinations", g_dests);
		row_u(f, r, "  reached (some passed)", g_dests_passed);
		row_u(f, r, "  reflected", g_dests_reflected);
		row_u(f, r, "  dropped", g_dests_dropped);
		row_u(f, r, "answers not replayed", g_answers);
		row_u(f, r, "the host's clone made", g_host_binds);
	}
	text_rules(f, r);
	return ferror(f) ? -1 : 0;
}

/* ---- CSV -------------------------------------------------------------------- */

int
replay_report_csv(const struct replay *r, FILE *f)
{
	const struct replay_series *s0 = &r->run[0].live;

	fputs("time_s", f);
	for (size_t i = 0; i < r->nrun; i++) {
		char b[DUR_STRLEN];

		fprintf(f, ",idle_%s", replay_idle_name(&r->run[i], b));
	}
	fputc('\n', f);
	for (size_t k = 0; k < s0->nbins; k++) {
		fprintf(f, "%.3f", (double)(k * s0->bin_ms) / 1000.0);
		for (size_t i = 0; i < r->nrun; i++)
			fprintf(f, ",%u", k < r->run[i].live.nbins ? r->run[i].live.bins[k] : 0);
		fputc('\n', f);
	}
	return ferror(f) ? -1 : 0;
}
