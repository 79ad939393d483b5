/* SPDX-License-Identifier: ISC */
/*
 * The replay's engines: the gateway's engine, one per idle timeout compared,
 * fed the packets of the captures on a clock taken from their timestamps,
 * with a sink that plays the world's part.
 *
 * The clock.  Frame timestamps, in microseconds, become the engines'
 * milliseconds: the first frame is at REPLAY_T0_MS, each further capture
 * starts where the previous one ended, and a frame stamped earlier than the
 * one before it (captures from several queues do that) is taken to arrive at
 * the same time.  Before each packet every engine is brought to the packet's
 * time: the clones due by then become ready (in request order, --clone-ms
 * after their request) and eng_tick runs at each deadline it asked for, so
 * timers fire when the daemon's timerfd would.
 *
 * Directions.  Without --from-clone every packet is inbound (queue 0).  With
 * it, what the infected host sent is the outbound traffic (queue 1) of a
 * clone impersonating the host's farm address; what others sent to the host
 * is inbound, except answers to what the farm would not have let out.  The
 * host is the clone of the conversation that reached it: a peer's packets
 * bind the host's address in the peer's universe, as the gateway would, and
 * what the host sends that peer leaves from that clone.  What it sends
 * anyone else (it spoke first) leaves from a clone of its own, made with
 * eng_bind at the first packet to or from the host and made again whenever
 * the engine has reclaimed it.
 *
 * Counts come from the engine: its statistics, the clones it asks for, its
 * events, and its decisions (eng_io.decided).  A packet that follows its
 * flow's cached decision is counted under the rule that took that decision,
 * which this file remembers for each flow the engine caches.
 */
#include "replay.h"
#include "engine/packet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PKT_MAX 65535
#define HOST_IFINDEX 1		/* made up: the infected host's interface */
#define PEEK_EVERY 64		/* packets between looks at the table sizes */

/* What the infected host and an outside peer have said to each other. */
#define PEER_SPOKE_FIRST 0x1
#define PEER_ASKED 0x2		/* the host spoke first */
#define PEER_PASSED 0x4		/* something the host sent it got out */

/*
 * Flows are remembered by a 64-bit hash of their 5-tuple: two flows of one
 * capture share a hash with odds of about n^2 / 2^65 (1e-8 for a million
 * flows), and the price would be one packet counted under the wrong rule.
 */
#define FLOWS_REMEMBERED (1u << 22)	/* then forgotten: counted unattributed */

static const char *const outcome_names[OUT_N] = {
	[OUT_PASSED] = "passed", [OUT_PROXIED] = "proxied",
	[OUT_REFLECTED] = "reflected", [OUT_REJECTED] = "rejected",
	[OUT_DROPPED] = "dropped", [OUT_INTERNAL] = "internal",
	[OUT_UNJUDGED] = "unjudged",
};

const char *
replay_outcome_name(enum out_outcome o)
{
	return o < OUT_N ? outcome_names[o] : "?";
}

static uint32_t
replay_map_addr(const struct replay *r, uint32_t a)
{
	for (size_t i = 0; i < r->o.nmap; i++) {
		const struct replay_map *m = &r->o.map[i];

		if (prefix_contains(&m->from, a))
			return m->to.addr | (a & ~prefix_mask(m->to.len));
	}
	return a;
}

/* ---- the sink: what the engine asks of the world ---------------------- */

static void
live_changed(struct replay_run *run, int delta)
{
	if (delta < 0 && run->live.level == 0) {
		run->unknown_ends++;	/* the end of a clone never asked for */
		return;
	}
	series_set(&run->live, run->now, (uint32_t)((int)run->live.level + delta));
	if (run->live.oom)
		run->oom = true;
}

static int *peer_clone_of(struct replay_run *run, uint32_t peer);

/*
 * Counted by the engine (delivered).  A peer's packet delivered to a clone
 * of the infected host makes that clone the host in the peer's conversation.
 */
static void
sink_deliver(void *ctx, const struct eng_vm *vm, const uint8_t *pkt, size_t len)
{
	struct replay_run *run = ctx;
	int *c;

	if (!run->r->o.from_clone || vm->ip != run->r->host_farm || vm->id == run->host_vm ||
	    len < 20)
		return;
	if ((c = peer_clone_of(run, (uint32_t)pkt[12] << 24 | (uint32_t)pkt[13] << 16 |
	    (uint32_t)pkt[14] << 8 | pkt[15])) != NULL)
		*c = vm->id;
}

static void
sink_emit(void *ctx, const uint8_t *pkt, size_t len)
{
	struct replay_run *run = ctx;

	(void)pkt;
	(void)len;
	run->emitted++;
}

static void
sink_clone(void *ctx, uint32_t serial, const char *type, uint32_t ip, uint32_t universe)
{
	struct replay_run *run = ctx;
	struct replay_pending *p;
	size_t cap = run->qcap;

	if (run->host_binding) {
		/* Made ready by host_bind at once, with the record asked for. */
		run->host_serial = serial;
		run->host_universe = universe;
		return;
	}
	if (run->qlen == run->qcap) {
		/* Unwrap the ring into a larger array. */
		struct replay_pending *q = NULL;

		if (grow_array(&q, &cap, run->qcap + 1, sizeof(*q)) < 0) {
			run->oom = true;
			return;
		}
		for (size_t i = 0; i < run->qlen; i++)
			q[i] = run->q[(run->qhead + i) % run->qcap];
		free(run->q);
		run->q = q;
		run->qcap = cap;
		run->qhead = 0;
	}
	p = &run->q[(run->qhead + run->qlen++) % run->qcap];
	p->due = run->now + run->r->o.clone_ms;
	p->serial = serial;
	p->ip = ip;
	p->universe = universe;
	snprintf(p->type, sizeof(p->type), "%s", type);
	run->clones++;
	if (aset_add(&run->universes, universe) < 0)
		run->oom = true;
	live_changed(run, +1);
}

static void
clone_gone(struct replay_run *run, const struct eng_vm *vm, bool frozen)
{
	if (run->host_live && vm->id == run->host_vm) {
		run->host_live = false;
		return;
	}
	for (size_t i = 0; i < run->nhost_clones; i++)
		if (run->host_clones[i] == vm->id) {
			run->host_clones[i] = run->host_clones[--run->nhost_clones];
			break;
		}
	run->ended++;
	run->frozen += frozen;
	live_changed(run, -1);
}

static void
sink_teardown(void *ctx, const struct eng_vm *vm)
{
	clone_gone(ctx, vm, false);
}

static void
sink_freeze(void *ctx, const struct eng_vm *vm)
{
	clone_gone(ctx, vm, true);
}

static unsigned
sink_dns(void *ctx, uint32_t resolver, const uint8_t *msg, size_t len)
{
	struct replay_run *run = ctx;

	(void)resolver;
	(void)msg;
	(void)len;
	run->dns_questions++;
	return 0;
}

static void
sink_event(void *ctx, const struct eng_event *ev)
{
	struct replay_run *run = ctx;

	if (ev->kind <= EV_LOG)
		run->events[ev->kind]++;
	if (ev->kind == EV_SCAN_FILTERED && aset_add(&run->scan_sources, ev->peer) < 0)
		run->oom = true;
}

static void
sink_decided(void *ctx, const struct pol_packet *pkt, const struct pol_decision *d)
{
	struct replay_run *run = ctx;

	(void)pkt;
	run->decided = true;
	run->d = *d;
}

/* ---- the clock ------------------------------------------------------------- */

static void
tick(struct replay_run *run, uint64_t t)
{
	uint64_t next;

	run->now = t;
	next = eng_tick(run->e, t);
	run->next_tick = next > t ? next : t + 1;
}

static void
clone_ready(struct replay_run *run, uint64_t t)
{
	struct replay_pending c = run->q[run->qhead];
	struct eng_vm vm = { 0 };

	run->qhead = (run->qhead + 1) % run->qcap;
	run->qlen--;
	run->now = t;
	vm.id = run->next_vm++;
	snprintf(vm.type, sizeof(vm.type), "%s", c.type);
	snprintf(vm.ifname, sizeof(vm.ifname), "pk%d", vm.id);
	vm.guest_ip = vm.ip = c.ip;	/* no rewriting to a shared guest address */
	vm.universe = c.universe;
	vm.created_ms = t;
	if (run->r->o.from_clone && c.ip == run->r->host_farm) {
		/* The host, in the conversation that reached it: it sends as captured. */
		vm.guest_ip = run->r->o.host;
		vm.ifindex = HOST_IFINDEX + vm.id;
		if (grow_array(&run->host_clones, &run->host_clonecap, run->nhost_clones + 1,
		    sizeof(*run->host_clones)) < 0)
			run->oom = true;
		else
			run->host_clones[run->nhost_clones++] = vm.id;
	}
	eng_clone_ready(run->e, c.serial, &vm, t);
}

/* Bring the engine to time now: clones due become ready, timers fire. */
static void
advance(struct replay_run *run, uint64_t now)
{
	for (;;) {
		uint64_t due = run->qlen ? run->q[run->qhead].due : UINT64_MAX;
		uint64_t t = due < run->next_tick ? due : run->next_tick;

		if (t > now)
			break;
		if (due <= run->next_tick)
			clone_ready(run, t);
		tick(run, t);
	}
	run->now = now;
}

/* ---- the infected host (--from-clone) -------------------------------------- */

static void
host_bind(struct replay_run *run)
{
	struct replay *r = run->r;
	struct eng_vm vm = { 0 };
	const char *type, *why = NULL;
	int t = pol_host_type(r->prog, r->host_farm);

	type = t >= 0 ? pol_type_name(r->prog, t) :
	    pol_type_count(r->prog) ? pol_type_name(r->prog, 0) : "host";
	run->host_binding = true;
	if (eng_bind(run->e, r->host_farm, type, 0, run->now, &why) < 0) {
		run->host_binding = false;
		run->host_refused++;
		return;
	}
	run->host_binding = false;
	vm.id = run->host_vm = run->next_vm++;
	snprintf(vm.type, sizeof(vm.type), "%s", type);
	snprintf(vm.ifname, sizeof(vm.ifname), "pk%d", vm.id);
	vm.guest_ip = r->o.host;	/* its own address, as captured */
	vm.ip = r->host_farm;
	vm.universe = run->host_universe;
	vm.ifindex = HOST_IFINDEX;
	vm.created_ms = run->now;
	/* Live from here: a teardown the engine asks for at once is the host's. */
	run->host_live = true;
	eng_clone_ready(run->e, run->host_serial, &vm, run->now);
	if (!run->host_live) {
		run->host_refused++;
		return;
	}
	run->host_binds++;
}

static uint8_t *
peer_state(struct replay_run *run, uint32_t peer)
{
	int64_t i = rset_add(&run->peers, peer, NULL);

	if (i < 0 || grow_array(&run->peer, &run->peercap, (size_t)i + 1, 1) < 0) {
		run->oom = true;
		return NULL;
	}
	return &run->peer[i];
}

/* Where the host's clone in the conversation with peer is kept (0: none). */
static int *
peer_clone_of(struct replay_run *run, uint32_t peer)
{
	int64_t i = rset_add(&run->peers, peer, NULL);

	if (i < 0 || grow_array(&run->peer, &run->peercap, (size_t)i + 1, 1) < 0 ||
	    grow_array(&run->peer_clone, &run->peer_clonecap, (size_t)i + 1,
	    sizeof(*run->peer_clone)) < 0) {
		run->oom = true;
		return NULL;
	}
	return &run->peer_clone[i];
}

/* The interface of the host's live clone in peer's conversation, or 0. */
static int
conversation_clone(struct replay_run *run, uint32_t peer)
{
	int *c = peer_clone_of(run, peer);

	for (size_t i = 0; c && *c && i < run->nhost_clones; i++)
		if (run->host_clones[i] == *c)
			return HOST_IFINDEX + *c;
	return 0;
}

static enum out_outcome
outcome(const struct eng_stats *b, const struct eng_stats *a, enum eng_verdict v,
    bool decided)
{
	if (v == ENG_PASS)
		return OUT_PASSED;
	if (a->dns_questions > b->dns_questions)
		return OUT_PROXIED;
	if (a->reflected > b->reflected)
		return OUT_REFLECTED;
	if (a->rejected > b->rejected)
		return OUT_REJECTED;
	/* Delivered inside the farm, whatever a rule said of it (log, limit). */
	if (a->delivered > b->delivered || a->parked > b->parked ||
	    a->park_dropped > b->park_dropped)
		return OUT_INTERNAL;
	if (decided || a->dropped > b->dropped)
		return OUT_DROPPED;
	return OUT_UNJUDGED;
}

static void
count_dest(struct replay_run *run, uint32_t addr, uint8_t proto, enum out_outcome o)
{
	int64_t i = rset_add(&run->dests, (uint64_t)proto << 32 | addr, NULL);

	if (i < 0 || grow_array(&run->dest, &run->destcap, (size_t)i + 1,
	    sizeof(*run->dest)) < 0) {
		run->oom = true;
		return;
	}
	run->dest[i].addr = addr;
	run->dest[i].proto = proto;
	run->dest[i].n[o]++;
	run->out_outcome[o]++;
}

/* ---- decisions -------------------------------------------------------------- */

static void
count_rule(struct replay_dir *dir, const struct pol_decision *d)
{
	if (d->action <= POL_PROXY)
		dir->action[d->action]++;
	if (d->rule < 0 || (size_t)d->rule >= dir->nrules)
		dir->norule++;
	else
		dir->rule[d->rule]++;
}

static uint64_t
flow_hash(const struct pkt *p)
{
	uint64_t a = (uint64_t)p->src << 32 | p->dst;
	uint64_t b = (uint64_t)p->sport << 32 | (uint64_t)p->dport << 16 | p->proto;

	a *= 0x9e3779b97f4a7c15ull;
	a ^= a >> 29;
	a += b * 0xbf58476d1ce4e5b9ull;
	a ^= a >> 32;
	a *= 0x94d049bb133111ebull;
	return a ^ (a >> 31);
}

static void
remember_rule(struct replay_run *run, uint64_t key, int rule)
{
	int64_t i;

	if (run->flows.n >= FLOWS_REMEMBERED)
		rset_free(&run->flows);
	if ((i = rset_add(&run->flows, key, NULL)) < 0 ||
	    grow_array(&run->flowrule, &run->flowcap, (size_t)i + 1,
	    sizeof(*run->flowrule)) < 0) {
		run->oom = true;
		return;
	}
	run->flowrule[i] = rule;
}

static void
inbound_decided(struct replay_run *run, const struct pkt *p, bool parsed)
{
	struct replay *r = run->r;
	int64_t i;
	int rule;

	if (!parsed)
		return;		/* the engine could not parse it either */
	if (run->decided) {
		run->in.decisions++;
		count_rule(&run->in, &run->d);
		if (run->d.rule >= 0 && r->scanrule[run->d.rule] &&
		    run->d.action != POL_BIND && run->d.action != POL_PASS &&
		    aset_add(&run->scan_addrs, p->dst) < 0)
			run->oom = true;
		/*
		 * Only what the engine caches can be followed later: bind and
		 * pass, and drops that asked nothing of the state.  A reject or
		 * a stateful drop is decided afresh for the flow's next packet.
		 */
		if (run->d.action == POL_BIND || run->d.action == POL_PASS ||
		    (run->d.action != POL_REJECT && run->d.consulted == 0))
			remember_rule(run, flow_hash(p), run->d.rule);
		return;
	}
	/* No decision: a cached one was followed, or none was due at all. */
	if (p->frag != 0 || (i = rset_find(&run->flows, flow_hash(p))) < 0)
		return;
	rule = run->flowrule[i];
	run->in.followed++;
	if (rule < 0 || (size_t)rule >= run->in.nrules) {
		run->in.norule++;
		run->in.action[POL_DROP]++;
		return;
	}
	run->in.rule[rule]++;
	run->in.action[pol_rule_action(r->prog, POL_IN, (size_t)rule)]++;
}

static void
peek_tables(struct replay_run *run)
{
	struct eng_stats st;
	size_t *cur[] = { &st.vms, &st.pending, &st.universes, &st.flows,
		&st.history, &st.scan_sources, &st.dns_outstanding, &st.backoffs,
		&st.table_bytes };
	size_t *pk[] = { &run->peak.vms, &run->peak.pending, &run->peak.universes,
		&run->peak.flows, &run->peak.history, &run->peak.scan_sources,
		&run->peak.dns_outstanding, &run->peak.backoffs, &run->peak.table_bytes };

	eng_stats(run->e, &st);
	for (size_t i = 0; i < sizeof(cur) / sizeof(cur[0]); i++)
		if (*cur[i] > *pk[i])
			*pk[i] = *cur[i];
}

/* ---- one packet, one engine ------------------------------------------------ */

static void
run_inbound(struct replay_run *run, uint8_t *buf, size_t len, const struct pkt *p,
    bool parsed)
{
	advance(run, run->r->now_ms);
	/* The host holds its address first: in a shared universe, what is sent
	 * to it reaches it, not a clone made for the address. */
	if (run->r->o.from_clone && !run->host_live)
		host_bind(run);
	run->decided = false;
	run->in.packets++;
	eng_inbound(run->e, buf, len, run->now);
	inbound_decided(run, p, parsed);
	tick(run, run->now);
}

static void
run_outbound(struct replay_run *run, const uint8_t *pkt, size_t len, const struct pkt *p)
{
	struct replay *r = run->r;
	struct eng_stats b, a;
	enum eng_verdict v;
	enum out_outcome o;
	uint8_t *st;
	int ifindex;

	advance(run, r->now_ms);
	if ((st = peer_state(run, p->dst)) != NULL && !(*st & PEER_SPOKE_FIRST))
		*st |= PEER_ASKED;
	/* To a peer whose conversation reached the host: from that clone. */
	if ((ifindex = conversation_clone(run, p->dst)) == 0) {
		if (!run->host_live)
			host_bind(run);
		if (!run->host_live) {
			count_dest(run, p->dst, p->proto, OUT_UNJUDGED);
			return;
		}
		ifindex = HOST_IFINDEX;
	}
	memcpy(r->copy, pkt, len);	/* the engine rewrites the source */
	eng_stats(run->e, &b);
	run->decided = false;
	run->out.packets++;
	v = eng_outbound(run->e, ifindex, r->copy, len, run->now);
	eng_stats(run->e, &a);
	if (run->decided) {
		run->out.decisions++;
		count_rule(&run->out, &run->d);
	}
	o = outcome(&b, &a, v, run->decided);
	count_dest(run, p->dst, p->proto, o);
	if (o == OUT_PASSED && st && (st = peer_state(run, p->dst)) != NULL)
		*st |= PEER_PASSED;
	tick(run, run->now);
}

/* An answer to what the farm kept inside would never have come. */
static bool
answer_wanted(struct replay_run *run, uint32_t peer)
{
	uint8_t *st = peer_state(run, peer);

	if (st == NULL)
		return true;
	if (*st == 0)
		*st = PEER_SPOKE_FIRST;
	if ((*st & PEER_ASKED) && !(*st & (PEER_SPOKE_FIRST | PEER_PASSED))) {
		run->answers_skipped++;
		return false;
	}
	return true;
}

/* ---- frames ------------------------------------------------------------------- */

void
replay_capture_begins(struct replay *r)
{
	r->capture_begins = true;
}

static void
set_clock(struct replay *r, uint64_t ts_us)
{
	int64_t t;

	if (r->capture_begins) {
		r->shift_us = (int64_t)r->now_us - (int64_t)ts_us;
		r->capture_begins = false;
	}
	t = (int64_t)ts_us + r->shift_us;
	if (t < (int64_t)r->now_us) {
		r->reordered++;
		t = (int64_t)r->now_us;
	}
	r->now_us = (uint64_t)t;
	r->now_ms = REPLAY_T0_MS + r->now_us / 1000;
}

/*
 * Copy the packet; if the capture cut it (the snap length), pad it with
 * zeros to its IP length, as far as the wire length vouches for it.  A
 * total length the wire never carried stays for the engine to refuse.
 */
static size_t
take(struct replay *r, const uint8_t *ip, size_t caplen, size_t wirelen)
{
	size_t tot = caplen >= 4 ? (size_t)(ip[2] << 8 | ip[3]) : 0;
	size_t len = caplen > PKT_MAX ? PKT_MAX : caplen;

	memcpy(r->buf, ip, len);
	if (wirelen > caplen && tot > len) {
		if (tot > wirelen)
			tot = wirelen > PKT_MAX ? PKT_MAX : wirelen;
		memset(r->buf + len, 0, tot - len);
		r->snapped++;
		len = tot;
	}
	return len;
}

/* Scans repeat their source, floods their target: the last one is free. */
static void
count_inbound(struct replay *r, const struct pkt *p)
{
	if (p->src != r->last_src || r->sources.n == 0) {
		if (aset_add(&r->sources, p->src) < 0)
			r->run[0].oom = true;
		r->last_src = p->src;
	}
	if (p->dst != r->last_dst || r->addrs.n == 0) {
		if (pol_in_farm(r->prog, p->dst) && aset_add(&r->addrs, p->dst) < 0)
			r->run[0].oom = true;
		r->last_dst = p->dst;
	}
}

static void
frame_inbound(struct replay *r, size_t len, struct pkt *p, bool parsed)
{
	if (parsed) {
		uint32_t d = replay_map_addr(r, p->dst);

		if (d != p->dst)
			pkt_set_dst(p, d);
		if (r->o.map_src || r->o.from_clone) {
			uint32_t s = replay_map_addr(r, p->src);

			if (s != p->src)
				pkt_set_src(p, s);
		}
		aset_prefetch(&r->sources, p->src);	/* counted once the engines are done */
	}
	for (size_t i = 0; i < r->nrun; i++) {
		struct replay_run *run = &r->run[i];

		if (r->o.from_clone && parsed && !answer_wanted(run, p->src))
			continue;
		run_inbound(run, r->buf, len, p, parsed);
		if (r->frames % PEEK_EVERY == 0)
			peek_tables(run);
	}
	if (parsed)
		count_inbound(r, p);
	r->inbound++;
}

static void
frame_outbound(struct replay *r, size_t len, struct pkt *p)
{
	uint32_t d = replay_map_addr(r, p->dst);

	if (d != p->dst)
		pkt_set_dst(p, d);
	for (size_t i = 0; i < r->nrun; i++) {
		run_outbound(&r->run[i], r->buf, len, p);
		if (r->frames % PEEK_EVERY == 0)
			peek_tables(&r->run[i]);
	}
	r->outbound++;
}

void
replay_frame(struct replay *r, uint64_t ts_us, enum replay_l3 l3, const uint8_t *ip,
    size_t caplen, size_t wirelen)
{
	struct pkt p;
	size_t len;
	bool parsed;

	set_clock(r, ts_us);
	r->frames++;
	if (l3 != REPLAY_IPV4 || caplen == 0 || ip[0] >> 4 != 4) {
		if (l3 == REPLAY_IPV6 || (l3 == REPLAY_IPV4 && caplen && ip[0] >> 4 == 6))
			r->ipv6++;
		else
			r->other++;
		return;
	}
	r->ipv4++;
	len = take(r, ip, caplen, wirelen);
	parsed = pkt_parse(&p, r->buf, len) == PKT_OK;
	if (!parsed)
		r->malformed++;
	if (!r->o.from_clone) {
		frame_inbound(r, len, &p, parsed);
		return;
	}
	/* The infected host's own traffic is judged only once it parses. */
	if (parsed && p.src == r->o.host)
		frame_outbound(r, len, &p);
	else if (parsed && p.dst == r->o.host)
		frame_inbound(r, len, &p, parsed);
	else
		r->ignored++;
}

/* ---- life ----------------------------------------------------------------------- */

static int
run_init(struct replay *r, struct replay_run *run, uint64_t idle_ms)
{
	struct eng_config c;
	struct eng_io io = {
		.deliver = sink_deliver, .emit = sink_emit, .clone = sink_clone,
		.teardown = sink_teardown, .freeze = sink_freeze, .dns_query = sink_dns,
		.event = sink_event, .decided = sink_decided, .ctx = run,
	};

	run->r = r;
	run->idle_ms = idle_ms ? idle_ms : pol_lifecycle(r->prog)->idle_ms;
	run->next_vm = 1;
	run->host_vm = -1;
	run->now = REPLAY_T0_MS;
	series_init(&run->live, REPLAY_T0_MS);
	eng_config_defaults(&c);
	if (r->o.state_max)
		c.history_max = c.scan_sources_max = c.universes_max = r->o.state_max;
	c.idle_ms = idle_ms;
	c.no_scan_filter = r->o.no_scan_filter;
	memcpy(c.sources_allowed, r->o.allow, sizeof(c.sources_allowed));
	c.nsources_allowed = r->o.nallow;
	run->in.nrules = pol_rule_count(r->prog, POL_IN);
	run->out.nrules = pol_rule_count(r->prog, POL_OUT);
	run->in.rule = calloc(run->in.nrules + 1, sizeof(uint64_t));
	run->out.rule = calloc(run->out.nrules + 1, sizeof(uint64_t));
	if (run->in.rule == NULL || run->out.rule == NULL)
		return -1;
	if ((run->e = eng_new(&c, r->prog, &io, REPLAY_T0_MS)) == NULL)
		return -1;
	tick(run, REPLAY_T0_MS);
	return 0;
}

static void
run_free(struct replay_run *run)
{
	eng_free(run->e);
	free(run->flowrule);
	rset_free(&run->flows);
	free(run->in.rule);
	free(run->out.rule);
	free(run->q);
	free(run->dest);
	free(run->peer);
	free(run->peer_clone);
	free(run->host_clones);
	series_free(&run->live);
	aset_free(&run->universes);
	aset_free(&run->scan_sources);
	aset_free(&run->scan_addrs);
	rset_free(&run->dests);
	rset_free(&run->peers);
}

/* Every map must land inside the farm, and the infected host too. */
static int
check_fit(struct replay *r, char *err, size_t errlen)
{
	size_t nf;
	const struct prefix *farm = pol_farm_prefixes(r->prog, &nf);
	char a[PREFIX_STRLEN], b[PREFIX_STRLEN];

	for (size_t i = 0; i < r->o.nmap; i++) {
		const struct replay_map *m = &r->o.map[i];
		bool fits = false;

		for (size_t j = 0; j < nf && !fits; j++)
			fits = prefix_covers(&farm[j], &m->to);
		if (!fits) {
			snprintf(err, errlen, "--map %s=%s: %s is not inside the farm",
			    prefix_fmt(&m->from, a), prefix_fmt(&m->to, b),
			    prefix_fmt(&m->to, b));
			return -1;
		}
	}
	if (r->o.from_clone) {
		r->host_farm = replay_map_addr(r, r->o.host);
		if (!pol_in_farm(r->prog, r->host_farm)) {
			snprintf(err, errlen, "--from-clone %s: not a farm address "
			    "(move it into the farm with --map)", addr_fmt(r->o.host, a));
			return -1;
		}
	}
	return 0;
}

int
replay_new(struct replay **out, const struct pol_program *prog,
    const struct replay_opts *o, char *err, size_t errlen)
{
	struct replay *r = calloc(1, sizeof(*r));
	size_t nin = pol_rule_count(prog, POL_IN);

	*out = NULL;
	if (r == NULL)
		goto oom;
	r->o = *o;
	r->prog = prog;
	r->capture_begins = true;
	r->now_ms = REPLAY_T0_MS;
	if (r->o.nidle == 0)
		r->o.idle_ms[r->o.nidle++] = 0;
	if (check_fit(r, err, errlen) < 0) {
		replay_free(r);
		return -1;
	}
	r->buf = malloc(PKT_MAX + 1);
	r->copy = malloc(PKT_MAX + 1);
	r->scanrule = calloc(nin + 1, sizeof(*r->scanrule));
	if (r->buf == NULL || r->copy == NULL || r->scanrule == NULL)
		goto oom;
	for (size_t i = 0; i < nin; i++)
		r->scanrule[i] = pol_rule_asks_scanner(prog, POL_IN, i);
	for (size_t i = 0; i < r->o.nidle; i++) {
		r->nrun++;
		if (run_init(r, &r->run[i], r->o.idle_ms[i]) < 0)
			goto oom;
	}
	*out = r;
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
	replay_free(r);
	return -1;
}

int
replay_end(struct replay *r)
{
	int rc = 0;

	for (size_t i = 0; i < r->nrun; i++) {
		struct replay_run *run = &r->run[i];

		advance(run, r->now_ms);
		eng_flush_events(run->e, r->now_ms);
		series_end(&run->live, r->now_ms);
		peek_tables(run);
		eng_stats(run->e, &run->st);
		if (run->oom || run->live.oom)
			rc = -1;
	}
	return rc;
}

void
replay_free(struct replay *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nrun; i++)
		run_free(&r->run[i]);
	aset_free(&r->sources);
	aset_free(&r->addrs);
	free(r->buf);
	free(r->copy);
	free(r->scanrule);
	free(r);
}
