/* SPDX-License-Identifier: ISC */
/*
 * The engine's life: creation from a configuration and a policy, reloads,
 * timers, statistics, operator commands and the read-only views.  The two
 * packet paths live in inbound.c and outbound.c.
 */
#include "eng_int.h"

#include <stdlib.h>
#include <string.h>

#include "lib/log.h"

void
eng_config_defaults(struct eng_config *c)
{
	*c = (struct eng_config){
		.history_max = 262144,
		.scan_sources_max = 65536,
		.universes_max = 65536,
		.dns_max = 4096,
		.fold_max = 4096,
		.backoff_max = 4096,
		.flow_idle_ms = 120000,
		.backoff_ms = 10000,
		.contain_report_ms = 5000,
		.pass_mark = 0x1,
		.dns_timeout_ms = 5000,
		.dns_rate = 20,
		.dns_per_clone = 32,
		.park_bytes = 2048,
	};
}

static int
tables_init(struct eng *e, uint64_t now_ms)
{
	const struct pol_limits *l = pol_limits(e->prog);
	struct htab_opts bo = {
		.key_size = sizeof(uint32_t),
		.val_size = sizeof(uint64_t),
		.max = e->cfg.backoff_max,
	};

	if (univ_init(&e->univ, e->cfg.universes_max) < 0 ||
	    hist_init(&e->hist, e->cfg.history_max, fp_hist_forgot, e) < 0 ||
	    scan_init(&e->scan, e->prog, e->cfg.scan_sources_max, now_ms) < 0 ||
	    flows_init(&e->flows, l->flows, e->cfg.flow_idle_ms, fp_flow_gone, e) < 0 ||
	    dns_init(&e->dns, e->cfg.dns_max) < 0 ||
	    fold_init(&e->fold, e->cfg.fold_max) < 0 ||
	    (e->backoff = htab_new(&bo)) == NULL ||
	    bind_init(e, l->vms) < 0 || fp_init(e) < 0)
		return -1;
	return 0;
}

struct eng *
eng_new(const struct eng_config *c, const struct pol_program *prog,
    const struct eng_io *io, uint64_t now_ms)
{
	struct eng *e = calloc(1, sizeof(*e));
	struct eng_event ev;

	if (e == NULL)
		return NULL;
	e->cfg = *c;
	e->prog = prog;
	eng_peer_policy(e);
	e->io = *io;
	e->start_ms = now_ms;
	e->next_housekeeping = now_ms + 1000;
	e->next_contain_report = now_ms + c->contain_report_ms;
	if (tables_init(e, now_ms) < 0) {
		eng_free(e);
		return NULL;
	}
	eng_event_init(&ev, EV_START, now_ms);
	eng_emit(e, &ev);
	return e;
}

void
eng_free(struct eng *e)
{
	if (e == NULL)
		return;
	univ_fini(&e->univ);
	hist_fini(&e->hist);
	scan_fini(&e->scan);
	flows_fini(&e->flows);
	dns_fini(&e->dns);
	fold_fini(&e->fold);
	htab_free(e->backoff);
	bind_fini(e);
	fp_fini(e);
	free(e);
}

/* Old outbound rule index -> new one, for the rules that did not change. */
static int *
rule_map_new(const struct pol_program *old, const struct pol_program *next)
{
	int *map = calloc(pol_rule_count(old, POL_OUT) + 1, sizeof(*map));

	if (map && pol_rule_map(old, next, POL_OUT, map) < 0) {
		free(map);
		return NULL;
	}
	return map;
}

/*
 * Rate buckets follow their rule across a reload: a rule that reads the
 * same keeps each clone's tokens (a reload must not refill `limit 1/1h`);
 * the others start over.
 */
static void
keep_rate_buckets(struct eng *e, const int *map)
{
	for (size_t s = 1; s < e->bt.nslots; s++)
		for (int i = 0; i < RATE_SLOTS; i++) {
			struct rate_bucket *r = &e->bt.slab[s].rate[i];

			if (r->rule >= 0)
				r->rule = map[r->rule];
		}
}

int
eng_set_policy(struct eng *e, const struct pol_program *prog, uint64_t now_ms)
{
	const struct pol_limits *l = pol_limits(prog);
	bool new_scan = !scan_same_specs(&e->scan, prog);
	bool new_flows = l->flows != htab_max(e->flows.t);
	struct scanfilter scan;
	struct flows flows;
	struct eng_event ev;
	int *rule_map;

	/* Every new table is made before anything changes: all or nothing. */
	if ((rule_map = rule_map_new(e->prog, prog)) == NULL)
		return -1;
	if (new_scan && scan_init(&scan, prog, e->cfg.scan_sources_max, now_ms) < 0) {
		free(rule_map);
		return -1;
	}
	if (new_flows && flows_init(&flows, l->flows, e->cfg.flow_idle_ms, fp_flow_gone, e) < 0) {
		if (new_scan)
			scan_fini(&scan);
		free(rule_map);
		return -1;
	}
	if (bt_grow(&e->bt, l->vms) < 0) {
		if (new_scan)
			scan_fini(&scan);
		if (new_flows)
			flows_fini(&flows);
		free(rule_map);
		return -1;
	}
	/*
	 * Nothing the old policy offered the kernel may carry a packet the new
	 * one decides: every offer goes before the first decision under it.
	 */
	fp_flush_all(e);
	if (new_scan) {
		scan_fini(&e->scan);
		e->scan = scan;
	}
	if (new_flows) {
		flows_fini(&e->flows);
		e->flows = flows;
	} else {
		htab_clear(e->flows.t);
	}
	e->prog = prog;
	/* Their hashes may be of a table just replaced, their universes of another mode. */
	memset(e->ahead, 0, sizeof(e->ahead));
	eng_peer_policy(e);
	if (park_grow(&e->park, park_pool_size(prog)) < 0)
		log_warnx("engine: parked-packet pool stays at %zu buffers", e->park.count);
	/*
	 * Idle and lifetime may have changed: the heap is emptied and every
	 * live binding armed afresh, so reloads never pile up timers.
	 */
	e->timers.n = 0;
	for (size_t s = 1; s < e->bt.nslots; s++)
		if (e->bt.slab[s].state == BIND_READY)
			bind_arm_timers(e, &e->bt.slab[s]);
	keep_rate_buckets(e, rule_map);
	free(rule_map);
	e->st.reloads++;
	eng_event_init(&ev, EV_RELOAD, now_ms);
	ev.count = e->bt.live + e->bt.pending;
	eng_emit(e, &ev);
	return 0;
}

uint64_t
eng_tick(struct eng *e, uint64_t now_ms)
{
	struct timer t;

	while (timers_pop_due(&e->timers, now_ms, &t))
		eng_timer_fired(e, &t, now_ms);
	if (now_ms >= e->next_housekeeping) {
		dns_expire(e, now_ms);
		fp_expire(e, now_ms);
		e->next_housekeeping = now_ms + 1000;
	}
	if (e->cfg.contain_report_ms && now_ms >= e->next_contain_report) {
		/*
		 * O(binding slots) every few seconds: drop summaries per clone and
		 * port.  Without a live clone there is nothing to summarize (the
		 * replay ticks through idle hours of capture in moments).
		 */
		for (size_t s = 1; e->bt.live && s < e->bt.nslots; s++)
			if (e->bt.slab[s].state == BIND_READY)
				bind_report_contain(e, &e->bt.slab[s], now_ms);
		fold_report(e, now_ms);
		e->next_contain_report = now_ms + e->cfg.contain_report_ms;
	}
	return eng_next_tick(e);
}

uint64_t
eng_next_tick(const struct eng *e)
{
	return timers_next(&e->timers) < e->next_housekeeping ?
	    timers_next(&e->timers) : e->next_housekeeping;
}

void
eng_stats(const struct eng *e, struct eng_stats *out)
{
	*out = e->st;
	out->vms = e->bt.live;
	out->pending = e->bt.pending;
	out->universes = htab_count(e->univ.index);
	out->universes_max = e->univ.max;
	out->flows = htab_count(e->flows.t);
	out->flows_max = htab_max(e->flows.t);
	out->flows_bytes = htab_bytes(e->flows.t);
	out->history = htab_count(e->hist.t);
	out->history_max = htab_max(e->hist.t);
	out->scan_sources = htab_count(e->scan.t);
	out->scan_sources_max = htab_max(e->scan.t);
	out->dns_outstanding = htab_count(e->dns.t);
	out->dns_max = htab_max(e->dns.t);
	out->backoffs = htab_count(e->backoff);
	out->table_bytes = htab_bytes(e->univ.index) + e->univ.max *
	    (sizeof(struct universe) + sizeof(uint32_t)) + htab_bytes(e->hist.t) +
	    scan_bytes(&e->scan) + htab_bytes(e->flows.t) + htab_bytes(e->dns.t) +
	    htab_bytes(e->backoff) + bt_bytes(&e->bt) + park_bytes(&e->park) +
	    e->timers.cap * sizeof(struct timer);
}

/* ---- operator commands ---------------------------------------------------- */

static bool
policy_has_type(const struct pol_program *prog, const char *type)
{
	for (size_t t = 0; t < pol_type_count(prog); t++)
		if (strcmp(pol_type_name(prog, (int)t), type) == 0)
			return true;
	return false;
}

int
eng_bind(struct eng *e, uint32_t addr, const char *type, uint32_t universe,
    uint64_t now_ms, const char **why)
{
	int64_t uidx;

	if (!pol_in_farm(e->prog, addr)) {
		*why = "address outside the farm";
		return -1;
	}
	if (type == NULL && (type = eng_binding_type(e, addr, NULL)) == NULL) {
		*why = "no host type covers the address; name one";
		return -1;
	}
	if (!policy_has_type(e->prog, type)) {
		*why = "the policy has no such host type";
		return -1;
	}
	if (universe)
		uidx = univ_by_id(&e->univ, universe);
	else if (pol_universe_mode(e->prog) == POL_UNIV_SHARED)
		uidx = univ_lookup(&e->univ, 0, true, now_ms, eng_stamp(now_ms));
	else
		uidx = univ_new_private(&e->univ, now_ms, eng_stamp(now_ms));
	if (uidx < 0) {
		*why = universe ? "no such universe" : "universe table full";
		return -1;
	}
	if (bt_find(&e->bt, (uint32_t)uidx, addr)) {
		*why = "already bound in that universe";
		return -1;
	}
	if (bind_create(e, (uint32_t)uidx, addr, type, 0, NULL, now_ms) == NULL) {
		*why = "a limit refused a new clone (see stats)";
		return -1;
	}
	return 0;
}

int
eng_reclaim_vm(struct eng *e, int vm, bool freeze, uint64_t now_ms, const char **why)
{
	struct binding *b = bt_by_vm(&e->bt, vm);

	if (b == NULL) {
		*why = "no such clone";
		return -1;
	}
	bind_reclaim(e, b, RECLAIM_OPERATOR, freeze, now_ms);
	return 0;
}

int
eng_mark_infected(struct eng *e, int vm, const char *reason, uint64_t now_ms,
    const char **why)
{
	struct binding *b = bt_by_vm(&e->bt, vm);

	if (b == NULL) {
		*why = "no such clone";
		return -1;
	}
	bind_mark_infected(e, b, reason ? reason : "operator", now_ms);
	return 0;
}

void
eng_flush_events(struct eng *e, uint64_t now_ms)
{
	fold_report(e, now_ms);
}

static bool
on_host(const struct binding *b, const char *host)
{
	return b->state == BIND_READY && strcmp(b->vm.host, host) == 0;
}

size_t
eng_host_state(struct eng *e, const char *host, bool up, const char *why,
    uint64_t now_ms)
{
	struct eng_event ev;
	size_t n = 0;

	/* The host's event first, then one reclaim event per clone it had. */
	for (size_t s = 1; !up && s < e->bt.nslots; s++)
		n += on_host(&e->bt.slab[s], host);
	eng_event_init(&ev, EV_HOST, now_ms);
	ev.host = host;
	ev.state = up ? "up" : "down";
	ev.reason = why && *why ? why : NULL;
	ev.count = n;
	eng_emit(e, &ev);
	for (size_t s = 1; n > 0 && s < e->bt.nslots; s++)
		if (on_host(&e->bt.slab[s], host))
			bind_reclaim(e, &e->bt.slab[s], RECLAIM_HOST, false, now_ms);
	return n;
}

void
eng_reclaim_all(struct eng *e, uint64_t now_ms)
{
	for (size_t s = 1; s < e->bt.nslots; s++)
		if (e->bt.slab[s].state != BIND_FREE)
			bind_reclaim(e, &e->bt.slab[s], RECLAIM_EXIT, false, now_ms);
}

/* ---- views ----------------------------------------------------------------- */

static void
binding_info(const struct eng *e, const struct binding *b, struct eng_binding_info *bi)
{
	*bi = (struct eng_binding_info){
		.serial = b->serial,
		.universe = e->univ.slab[b->uidx].id,
		.addr = b->addr,
		.type = b->type,
		.state = b->state == BIND_READY ? "ready" : "pending",
		.vm = b->state == BIND_READY ? &b->vm : NULL,
		.created_ms = b->created_ms,
		.last_ms = b->last_ms,
		.packets_in = b->pkts_in,
		.packets_out = b->pkts_out,
		.bytes_in = b->bytes_in,
		.bytes_out = b->bytes_out,
		.infected = b->infected,
		.parked = b->parked,
	};
}

void
eng_foreach_binding(const struct eng *e, eng_binding_cb *cb, void *ctx)
{
	for (size_t s = 1; s < e->bt.nslots; s++) {
		const struct binding *b = &e->bt.slab[s];
		struct eng_binding_info bi;

		if (b->state == BIND_FREE)
			continue;
		binding_info(e, b, &bi);
		cb(ctx, &bi);
	}
}

/* O(bindings): an operator's or a detector's question, not the packet path. */
size_t
eng_bindings_of(const struct eng *e, uint32_t addr, uint32_t universe, uint32_t peer,
    eng_binding_cb *cb, void *ctx)
{
	size_t n = 0;

	for (size_t s = 1; s < e->bt.nslots; s++) {
		const struct binding *b = &e->bt.slab[s];
		const struct universe *u;
		struct eng_binding_info bi;

		if (b->state == BIND_FREE || b->addr != addr)
			continue;
		u = &e->univ.slab[b->uidx];
		if ((universe && u->id != universe) ||
		    (!universe && peer && !univ_has_peer(u, peer)))
			continue;
		binding_info(e, b, &bi);
		cb(ctx, &bi);
		n++;
	}
	return n;
}

void
eng_foreach_universe(const struct eng *e, eng_universe_cb *cb, void *ctx)
{
	static const char *const modes[] = { "per-source", "per-pair", "shared" };

	for (size_t i = 0; i < e->univ.max; i++) {
		const struct universe *u = &e->univ.slab[i];
		struct eng_universe_info ui;
		const char *mode;

		if (!u->in_use)
			continue;
		if ((u->key >> 32) == 0xffffffffu)
			mode = "operator";
		else if (u->key == 0)
			mode = modes[2];
		else if (u->key >> 32)
			mode = modes[1];
		else
			mode = modes[0];
		ui = (struct eng_universe_info){
			.id = u->id,
			.mode = mode,
			.src = u->key >> 32 && mode != modes[1] ? 0 :
			    (uint32_t)(u->key >> 32 ? u->key >> 32 : u->key),
			.dst = mode == modes[1] ? (uint32_t)u->key : 0,
			.bindings = u->bindings,
			.created_ms = u->created_ms,
		};
		cb(ctx, &ui);
	}
}

struct flow_walk {
	eng_flow_cb *cb;
	void *ctx;
	uint32_t now_stamp;
};

static bool
flow_visit(void *ctx, const void *key, const void *val, uint32_t stamp)
{
	static const char *const names[] = {
		[FLOW_DELIVER] = "deliver", [FLOW_DROP] = "drop",
	};
	struct flow_walk *w = ctx;
	const struct flow_key *k = key;
	const struct flow_val *v = val;
	struct eng_flow_info fi = {
		.src = k->src, .dst = k->dst, .sport = k->sport, .dport = k->dport,
		.proto = k->proto, .dir = k->dir,
		.binding = v->serial,
		.age_s = (w->now_stamp - stamp) * 1024 / 1000,
	};

	if (v->serial && k->dir == POL_OUT)
		fi.action = "pass";	/* an offer to the kernel, recorded */
	else if (v->serial)
		fi.action = names[FLOW_DELIVER];
	else if (v->slot_action == FLOW_DROP)
		fi.action = names[v->slot_action];
	else
		fi.action = "?";
	return w->cb(w->ctx, &fi);
}

void
eng_foreach_flow(const struct eng *e, uint64_t now_ms, eng_flow_cb *cb, void *ctx)
{
	struct flow_walk w = { cb, ctx, eng_stamp(now_ms) };

	htab_walk(e->flows.t, flow_visit, &w);
}
