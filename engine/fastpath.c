/* SPDX-License-Identifier: ISC */
/*
 * The engine's side of the kernel fast path: which decided flows it offers
 * the kernel (eng_io's fp_add), when it withdraws them, and what the kernel
 * counted for them, taken back into the tables as if the engine had seen
 * those packets itself.
 *
 * Containment first.  A flow is offered only when every later packet of its
 * 5-tuple would get exactly the treatment the kernel gives it until
 * expires_ms, and every change that could end that sameness withdraws the
 * offer before it takes effect:
 *
 *   inbound  a TCP or UDP flow (never ICMP, never a fragment) in the flow
 *	      cache, delivered to a ready, uninfected clone by `bind` or by
 *	      `pass`, under a rule without `log`, `limit` or `infected`.  The
 *	      cache entry already fixes what its later packets get, whatever
 *	      their TCP flags and whatever the scanner, bound, closed or reply
 *	      answers would now be: a hit is delivered without asking the
 *	      policy.  The entry ends only when it expires or is evicted
 *	      (fp_flow_gone, fp_expire), when the binding goes or is marked
 *	      infected (fp_forget_binding) and on a reload (fp_flush_all).
 *   outbound a `pass` from a ready, uninfected clone holding a farm address,
 *	      to an outside peer bound nowhere in its universe, under a rule
 *	      without `log`, `limit` or `infected`, which neither the rule nor
 *	      an earlier one could decide otherwise for another packet of the
 *	      flow (pol_flow_fixed: TCP flags, state questions).  The policy
 *	      decides each outbound packet afresh, so what may change is
 *	      listed: under `reply within` the answer ends at the history's
 *	      time plus the window (expires_ms; the kernel hands the flow back
 *	      then and the next packet is decided again) or earlier when the
 *	      history forgets the entry or the conversation (fp_hist_forgot);
 *	      an address bound in the universe makes the peer internal
 *	      (fp_bound_outside).  Its cache entry (dir POL_OUT) is only the
 *	      record of the offer, made only for one the kernel took.
 *
 * Everything here runs only when eng_io has fp_add: without it no flow is
 * ever marked, so none is ever withdrawn either.
 */
#include "eng_int.h"

#include <netinet/in.h>
#include <string.h>

/* Outbound offers one history entry may carry; a further one is not made. */
#define RESTS_MAX 4
#define RESTS_ENTRIES 16384

struct rests {
	uint32_t n;
	struct flow_key k[RESTS_MAX];
	uint64_t until[RESTS_MAX];	/* the expiry last offered for k[i], 0 none yet */
};

int
fp_init(struct eng *e)
{
	struct htab_opts o = {
		.key_size = sizeof(struct hist_key),
		.val_size = sizeof(struct rests),
		.max = RESTS_ENTRIES,
		.can_evict = htab_never_evict,
	};

	memset(&e->fp, 0, sizeof(e->fp));
	if (e->io.fp_add == NULL)
		return 0;
	e->fp.rests = htab_new(&o);
	return e->fp.rests ? 0 : -1;
}

void
fp_fini(struct eng *e)
{
	htab_free(e->fp.rests);
	e->fp.rests = NULL;
}

static bool
on(const struct eng *e)
{
	return e->io.fp_add != NULL;
}

/* What no offer may carry: packets counted, logged, or judged as infected. */
static bool
plain_rule(const struct pol_decision *d)
{
	return (d->flags & (POL_F_LOG | POL_F_INFECTED)) == 0 && d->limit_n == 0;
}

static bool
carried_proto(const struct pkt *p)
{
	return (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP) && !pkt_is_fragment(p);
}

uint32_t
fp_may_inbound(const struct eng *e, const struct pkt *p, const struct pol_decision *d)
{
	return on(e) && carried_proto(p) && plain_rule(d) ? FLOW_FP_MAY : 0;
}

/* The outbound record's key: the packet as the clone sends it, on its interface. */
static void
out_key(struct flow_key *k, const struct binding *b, uint32_t dst, uint16_t sport,
    uint16_t dport, uint8_t proto)
{
	*k = (struct flow_key){
		.src = b->vm.guest_ip, .dst = dst, .sport = sport, .dport = dport,
		.proto = proto, .dir = POL_OUT,
		/*
		 * Clones may share a guest address (qemu's snapshot): the
		 * interface tells their records apart.  Two whose ifindex
		 * agree in these bits share a record, the older offer withdrawn.
		 */
		.pad = (uint16_t)b->vm.ifindex,
	};
}

static void
fp_key_of(struct eng_fp_key *fk, const struct flow_key *k, const struct binding *b)
{
	*fk = (struct eng_fp_key){
		.src = k->src, .dst = k->dst, .sport = k->sport, .dport = k->dport,
		.proto = k->proto, .dir = k->dir,
		.ifindex = k->dir == POL_OUT ? b->vm.ifindex : 0,
	};
}

/* The binding an offered entry names, if it is still that one. */
static struct binding *
entry_binding(const struct eng *e, const struct flow_val *v)
{
	struct binding *b = bt_by_slot(&e->bt, v->slot_action & FLOW_SLOT, v->serial);

	return b && b->state == BIND_READY ? b : NULL;
}

/*
 * Withdraw the offer of entry v (key k) if it has one.  A binding gone has
 * had its offers forgotten already (fp_forget_binding) and an outbound key
 * needs its interface, so only a live one's are deleted one by one.
 */
static void
withdraw(struct eng *e, const struct flow_key *k, struct flow_val *v)
{
	struct eng_fp_key fk;
	struct binding *b;

	if (!(v->slot_action & FLOW_FP_ON))
		return;
	v->slot_action &= ~FLOW_FP_ON;
	if ((b = entry_binding(e, v)) == NULL && k->dir == POL_OUT)
		return;
	fp_key_of(&fk, k, b);
	e->io.fp_del(e->io.ctx, &fk);
	e->st.fp_withdrawals++;
}

void
fp_flow_gone(void *ctx, const void *key, void *val)
{
	struct eng *e = ctx;

	if (on(e))
		withdraw(e, key, val);
}

static bool
offer(struct eng *e, struct eng_fp_flow *f, struct flow_val *v)
{
	if (!e->io.fp_add(e->io.ctx, f)) {
		/* Not taken (full, a captured clone): the queues carry it. */
		v->slot_action &= ~FLOW_FP_MAY;
		e->st.fp_refusals++;
		return false;
	}
	v->slot_action |= FLOW_FP_ON;
	e->st.fp_offers++;
	e->fp.any = true;
	return true;
}

void
fp_offer_inbound(struct eng *e, const struct flow_key *k, struct flow_val *v,
    const struct binding *b)
{
	struct eng_fp_flow f;

	if ((v->slot_action & (FLOW_FP_MAY | FLOW_FP_ON)) != FLOW_FP_MAY ||
	    b->state != BIND_READY || b->infected)
		return;
	/* Exactly what bind_deliver does with such a packet, and the worker. */
	f = (struct eng_fp_flow){
		.key = { .src = k->src, .dst = k->dst, .sport = k->sport,
		    .dport = k->dport, .proto = k->proto, .dir = POL_IN },
		.new_src = k->src,
		.new_dst = b->vm.guest_ip,
		.out_ifindex = b->vm.ifindex,
		.expires_ms = UINT64_MAX,
		.binding = b->serial,
		.vm = b->vm.id,
	};
	memcpy(f.dmac, b->vm.mac, sizeof(f.dmac));
	memcpy(f.smac, b->vm.if_mac, sizeof(f.smac));
	offer(e, &f, v);
}

/*
 * Note that the offer k rests on history entry hk; false when the entry
 * already carries as many as it may (the flow then stays on the queues).
 */
static bool
rest_on(struct eng *e, const struct hist_key *hk, const struct flow_key *k)
{
	struct rests *r = htab_insert(e->fp.rests, hk, htab_hash(e->fp.rests, hk), 0, NULL);
	uint32_t kept = 0;

	if (r == NULL)
		return false;
	for (uint32_t i = 0; i < r->n; i++)
		if (memcmp(&r->k[i], k, sizeof(*k)) == 0)
			return true;
	for (uint32_t i = 0; i < r->n; i++) {
		const struct flow_key *o = &r->k[i];
		const struct flow_val *v = htab_find(e->flows.t, o,
		    htab_hash(e->flows.t, o));

		if (v && (v->slot_action & FLOW_FP_ON)) {
			r->until[kept] = r->until[i];
			r->k[kept++] = *o;	/* still offered: keep */
		}
	}
	r->n = kept;
	if (r->n == RESTS_MAX)
		return false;
	r->until[r->n] = 0;
	r->k[r->n++] = *k;
	return true;
}

/* Where hk's record keeps k's last offered expiry; NULL if k is not there. */
static uint64_t *
rest_until(struct eng *e, const struct hist_key *hk, const struct flow_key *k)
{
	struct rests *r = htab_find(e->fp.rests, hk, htab_hash(e->fp.rests, hk));

	for (uint32_t i = 0; r && i < r->n; i++)
		if (memcmp(&r->k[i], k, sizeof(*k)) == 0)
			return &r->until[i];
	return NULL;
}

/*
 * The offer k was to rest on hk did not happen: take k off the record
 * (the record too once empty), or it would stay until a sweep, and the
 * table never evicts.
 */
static void
rest_off(struct eng *e, const struct hist_key *hk, const struct flow_key *k)
{
	struct rests *r = htab_find(e->fp.rests, hk, htab_hash(e->fp.rests, hk));

	if (r == NULL)
		return;
	for (uint32_t i = 0; i < r->n; i++) {
		if (memcmp(&r->k[i], k, sizeof(*k)) != 0)
			continue;
		r->n--;
		r->k[i] = r->k[r->n];
		r->until[i] = r->until[r->n];
		break;
	}
	if (r->n == 0)
		htab_delete_val(e->fp.rests, r);
}

/*
 * When the decision for b's packet p, passed under rule d, ends if nothing
 * else happens: UINT64_MAX unless it rests on `reply within`.
 */
static uint64_t
pass_expires(struct eng *e, const struct binding *b, const struct pkt *p,
    const struct pol_hold *hold, uint64_t now_ms)
{
	uint64_t ukey = e->univ.slab[b->uidx].key, age;
	struct hist_conv conv = { p->sport, p->dport, p->proto };

	if (!(hold->asks & POL_Q_REPLY))
		return UINT64_MAX;
	age = hold->conv ? hist_conv_age(&e->hist, ukey, p->src, p->dst, &conv, now_ms) :
	    hist_age(&e->hist, ukey, p->src, p->dst, now_ms);
	if (age > hold->reply_ms)
		return 0;	/* cannot be: the rule matched */
	return now_ms - age + hold->reply_ms;
}

void
fp_offer_outbound(struct eng *e, const struct binding *b, const struct pkt *p,
    const struct pol_decision *d, uint64_t now_ms)
{
	struct pol_packet pp = {
		.src = p->src, .dst = p->dst, .sport = p->sport, .dport = p->dport,
		.dir = POL_OUT, .proto = p->proto, .tcp_flags = p->tcp_flags,
	};
	uint64_t ukey = e->univ.slab[b->uidx].key;
	struct hist_key hk = { (uint32_t)ukey, (uint32_t)(ukey >> 32), p->src, p->dst };
	struct pol_hold hold;
	struct eng_fp_flow f;
	struct flow_key k;
	struct flow_val *v;
	uint64_t *until;
	uint32_t h;
	bool reply;

	if (!on(e) || !carried_proto(p) || !plain_rule(d) || b->infected ||
	    !pol_flow_fixed(e->prog, &pp, d->rule, &hold))
		return;
	f = (struct eng_fp_flow){
		.key = { .src = b->vm.guest_ip, .dst = p->dst, .sport = p->sport,
		    .dport = p->dport, .proto = p->proto, .dir = POL_OUT,
		    .ifindex = b->vm.ifindex },
		.new_src = b->addr,	/* as outbound.c rewrote p */
		.new_dst = p->dst,
		.mark = e->cfg.pass_mark,
		.expires_ms = pass_expires(e, b, p, &hold, now_ms),
		.binding = b->serial,
		.vm = b->vm.id,
	};
	if (f.expires_ms <= now_ms)
		return;
	out_key(&k, b, p->dst, p->sport, p->dport, p->proto);
	reply = hold.asks & POL_Q_REPLY;
	h = htab_hash(e->flows.t, &k);
	v = htab_find(e->flows.t, &k, h);
	if (v && v->serial == b->serial && (v->slot_action & FLOW_FP_ON) &&
	    (!reply || ((until = rest_until(e, &hk, &k)) && *until == f.expires_ms))) {
		/*
		 * Taken already, to the same end (a packet the kernel did
		 * not carry yet): offering it again would only cost the
		 * worker two system calls.  The record is kept fresh, as
		 * flows_put would.
		 */
		htab_touch(e->flows.t, v, eng_stamp(now_ms));
		return;
	}
	if (reply && !rest_on(e, &hk, &k))
		return;
	if (v && v->serial != b->serial)
		withdraw(e, &k, v);	/* another clone's record of this key */
	if ((v = flows_put(&e->flows, &k, h, bt_slot(&e->bt, b) | FLOW_FP_MAY |
	    (v ? v->slot_action & FLOW_FP_ON : 0), b->serial, eng_stamp(now_ms))) == NULL) {
		if (reply)
			rest_off(e, &hk, &k);
		return;
	}
	/* Offered again (the kernel handed it back): the new expiry replaces. */
	if (offer(e, &f, v)) {
		if (reply && (until = rest_until(e, &hk, &k)) != NULL)
			*until = f.expires_ms;
		e->fp.any_out = true;
		return;
	}
	/*
	 * Refused (the worker withdrew any older offer of the key): the
	 * record is only the offer's, and one left behind would hold a
	 * cache entry until pressure evicted it.  The next packet is
	 * decided, and offered, again.
	 */
	v->slot_action &= ~FLOW_FP_ON;
	htab_delete_val(e->flows.t, v);
	if (reply)
		rest_off(e, &hk, &k);
}

/* ---- withdrawals ------------------------------------------------------------ */

struct sweep {
	struct eng *e;
	uint32_t now_stamp;	/* fp_expire */
	uint32_t uidx, addr;	/* fp_bound_outside */
};

/*
 * One call, and the kernel drops the binding's entries at once.  The cache
 * entries keep their bit: those of a binding gone die with its serial (a
 * later withdrawal of one is a no-op for the kernel), and an infected
 * clone's are never offered again (fp_offer_* look at b->infected).  No
 * walk of the engine's flow cache; the worker's fp_forget walks its own
 * index of what the kernel holds (O(flows offered), every binding's), so a
 * storm of reclaims with many flows in the kernel does cost more.
 */
void
fp_forget_binding(struct eng *e, const struct binding *b)
{
	if (on(e) && b->state == BIND_READY)
		e->io.fp_forget(e->io.ctx, b->serial);
}

void
fp_flush_all(struct eng *e)
{
	if (!on(e))
		return;
	e->io.fp_flush(e->io.ctx);
	htab_clear(e->fp.rests);
	e->fp.any = e->fp.any_out = false;
}

static bool
expire_entry(void *ctx, const void *key, void *val)
{
	struct sweep *s = ctx;
	struct flow_val *v = val;

	if (!(v->slot_action & FLOW_FP_ON) ||
	    s->now_stamp - htab_stamp(s->e->flows.t, val) <= s->e->flows.idle_s)
		return true;
	withdraw(s->e, key, v);
	return false;
}

/*
 * An entry the kernel carries sees no lookup that would find it stale, so
 * it is looked for here, once a second while there are offers: O(flow
 * cache).  A flow idle past flow_idle_ms goes back to the queues and its
 * next packet is decided again, at most a second later than on the slow
 * path.
 */
static bool
rests_live(void *ctx, const void *key, void *val)
{
	struct eng *e = ctx;
	struct rests *r = val;
	uint32_t kept = 0;

	(void)key;
	for (uint32_t i = 0; i < r->n; i++) {
		const struct flow_val *v = htab_find(e->flows.t, &r->k[i],
		    htab_hash(e->flows.t, &r->k[i]));

		if (v && (v->slot_action & FLOW_FP_ON))
			r->k[kept++] = r->k[i];
	}
	r->n = kept;
	return kept > 0;
}

void
fp_expire(struct eng *e, uint64_t now_ms)
{
	struct sweep s = { .e = e, .now_stamp = eng_stamp(now_ms) };

	if (!on(e) || !e->fp.any)
		return;
	htab_sweep(e->flows.t, expire_entry, &s);
	/* What rests on the history is forgotten with the offers that ended. */
	if (e->fp.any_out)
		htab_sweep(e->fp.rests, rests_live, e);
}

static bool
internal_now(void *ctx, const void *key, void *val)
{
	struct sweep *s = ctx;
	const struct flow_key *k = key;
	struct flow_val *v = val;
	struct binding *b;

	if (k->dir != POL_OUT || k->dst != s->addr || !(v->slot_action & FLOW_FP_ON) ||
	    (b = entry_binding(s->e, v)) == NULL || b->uidx != s->uidx)
		return true;
	withdraw(s->e, key, v);
	return false;
}

/* O(flow cache), for a clone made by reflection while outbound offers exist. */
void
fp_bound_outside(struct eng *e, uint32_t uidx, uint32_t addr)
{
	struct sweep s = { .e = e, .uidx = uidx, .addr = addr };

	if (on(e) && e->fp.any_out)
		htab_sweep(e->flows.t, internal_now, &s);
}

void
fp_hist_forgot(void *ctx, const struct hist_key *hk)
{
	struct eng *e = ctx;
	struct rests *r;

	if (!on(e) || !e->fp.any_out ||
	    (r = htab_find(e->fp.rests, hk, htab_hash(e->fp.rests, hk))) == NULL)
		return;
	for (uint32_t i = 0; i < r->n; i++) {
		struct flow_val *v = htab_find(e->flows.t, &r->k[i],
		    htab_hash(e->flows.t, &r->k[i]));

		/* Its next packet is decided again, and offered again if it may. */
		if (v)
			withdraw(e, &r->k[i], v);
	}
	htab_delete_val(e->fp.rests, r);
}

/* ---- what the kernel carried --------------------------------------------- */

/*
 * What the slow path would have noted of the kernel's packets.  History
 * takes the kernel's last_ms (it keeps the latest time it was told).  The
 * scan filter takes the report's own time, now_ms: the flow's address is
 * counted already, and a refresh must not move the source's entry back in
 * time -- a time older than the source's last slow-path packet reads as
 * one 2^32 ms old, and the entry would be reset or its newer addresses
 * dropped, letting a scanner through.  now_ms is later than the kernel's
 * packet by the report's delay only, which keeps the address in the window
 * that much longer (on the side of filtering).
 */
static void
seen_inbound(struct eng *e, struct binding *b, const struct eng_fp_key *k,
    uint64_t last_ms, uint64_t now_ms)
{
	uint32_t counts[SCAN_SPECS_MAX], stamp = eng_stamp(now_ms);
	struct hist_conv conv = { k->dport, k->sport, k->proto };
	uint64_t ukey = e->univ.slab[b->uidx].key;
	struct scan_ref sr;
	struct hist_ref hr;
	bool crossed = false;

	/* As eng_inbound notes every packet: who spoke to whom, and scans. */
	hist_ref(&e->hist, &hr, ukey, k->dst, k->src);
	hist_note(&e->hist, &hr, &conv, last_ms, stamp);
	if (e->cfg.no_scan_filter)
		return;
	scan_ref(&e->scan, &sr, k->src, k->dport);
	scan_note(&e->scan, &sr, k->dst, now_ms, stamp, counts, &crossed);
	if (crossed) {
		struct eng_event ev;

		e->st.scan_filtered++;
		eng_event_init(&ev, EV_SCAN_FILTERED, now_ms);
		ev.dir = EV_DIR_IN;
		ev.peer = k->src;
		ev.addr = k->dst;
		ev.proto = k->proto;
		ev.port = k->dport;
		eng_emit(e, &ev);
	}
}

void
eng_fp_seen(struct eng *e, const struct eng_fp_key *k, uint64_t packets,
    uint64_t bytes, uint64_t last_ms, uint64_t now_ms)
{
	struct flow_key fk = {
		.src = k->src, .dst = k->dst, .sport = k->sport, .dport = k->dport,
		.proto = k->proto, .dir = k->dir,
		.pad = k->dir == POL_OUT ? (uint16_t)k->ifindex : 0,
	};
	struct flow_val *v;
	struct binding *b;

	if (packets == 0 || k->dir > POL_OUT)
		return;
	if (last_ms > now_ms)
		last_ms = now_ms;
	v = htab_find(e->flows.t, &fk, htab_hash(e->flows.t, &fk));
	if (v == NULL || !(v->slot_action & FLOW_FP_ON) || (b = entry_binding(e, v)) == NULL ||
	    (k->dir == POL_OUT && b->vm.ifindex != k->ifindex))
		return;	/* withdrawn already: those packets were the kernel's last */
	if ((int32_t)(eng_stamp(last_ms) - htab_stamp(e->flows.t, v)) > (int32_t)e->flows.idle_s) {
		/*
		 * The kernel's packet came after the entry had idled past
		 * flow_idle_ms (before fp_expire's sweep saw it): the slow path
		 * would have found it stale and decided that packet again.  The
		 * entry goes, as flows_find drops it, and its next packet meets
		 * the queues; what was carried is still counted below.
		 */
		withdraw(e, &fk, v);
		htab_delete_val(e->flows.t, v);
	} else if ((int32_t)(eng_stamp(last_ms) - htab_stamp(e->flows.t, v)) > 0) {
		htab_touch(e->flows.t, v, eng_stamp(last_ms));	/* as a hit keeps it */
	}
	if (last_ms > b->last_ms)
		b->last_ms = last_ms;
	e->st.fp_packets_seen += packets;
	e->st.fp_bytes_seen += bytes;
	if (k->dir == POL_IN) {
		b->pkts_in += packets;
		b->bytes_in += bytes;
		e->st.in_packets += packets;
		e->st.flow_hits += packets;
		e->st.delivered += packets;
		seen_inbound(e, b, k, last_ms, now_ms);	/* v may move (or be gone) */
	} else {
		b->pkts_out += packets;
		b->bytes_out += bytes;
		e->st.out_packets += packets;
		e->st.passed += packets;
	}
}
