/* SPDX-License-Identifier: ISC */
/*
 * The inbound path (queue 0): a packet from the Internet for a farm address.
 *
 * Every packet updates the history table and its source's scan-filter
 * counts.  Then the flow cache; on a miss the inbound policy, first match;
 * the decision is cached for the flow's next packets unless the packet was
 * the first its peer sent to the address (below, `fresh`);
 * `bind` finds or creates the binding in the packet's universe and hands the
 * packet over (parked while the clone is being made); `pass` hands it only to
 * a clone that already holds the address.  The queued original always gets
 * DROP: what reaches a clone goes by AF_PACKET.
 */
#include "eng_int.h"

#include <netinet/in.h>
#include <string.h>

static uint64_t
universe_key(enum pol_universe mode, uint32_t src, uint32_t dst)
{
	switch (mode) {
	case POL_UNIV_PER_SOURCE:
		return src;
	case POL_UNIV_PER_PAIR:
		return (uint64_t)src << 32 | dst;
	case POL_UNIV_SHARED:
		break;
	}
	return 0;
}

/* The conversation an inbound packet starts or goes on with, if any. */
static struct hist_conv
inbound_conv(const struct pkt *p)
{
	struct hist_conv c = { 0 };

	if (p->frag != 0)
		return c;
	if (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP)
		c = (struct hist_conv){ p->dport, p->sport, p->proto };
	else if (p->proto == IPPROTO_ICMP && p->icmp_type == 8)	/* echo request */
		c = (struct hist_conv){ 0, p->sport, IPPROTO_ICMP };
	return c;
}

/* TCP gets a RST, everything else an ICMP port (or protocol) unreachable. */
static void
reject_inbound(struct eng *e, const struct pkt *p)
{
	uint8_t out[128 + 60];
	size_t n;

	if (p->proto == IPPROTO_TCP)
		n = pkt_build_rst(p, out, sizeof(out));
	else
		n = pkt_build_unreach(p, p->proto == IPPROTO_UDP ? 3 : 2, out, sizeof(out));
	if (n) {
		e->io.emit(e->io.ctx, out, n);
		e->st.rejected++;
	}
}

/*
 * What the flow cache needs of a decided packet: its flow's key and hash,
 * and whether the decision is worth keeping at all.
 */
struct in_flow {
	const struct flow_key *fk;
	uint32_t fh;
	bool cache;
	uint32_t fp_may;	/* FLOW_FP_MAY when the kernel may carry it */
};

/* The flow's new cache entry, NULL when the decision is not kept. */
static struct flow_val *
flow_remember(struct eng *e, const struct in_flow *f, uint32_t slot_action,
    uint32_t serial, uint32_t stamp)
{
	if (!f->cache)
		return NULL;
	return flows_put(&e->flows, f->fk, f->fh, slot_action | f->fp_may, serial, stamp);
}

static enum eng_verdict
bind_and_deliver(struct eng *e, const struct pkt *p, uint64_t ukey, uint32_t uh,
    const struct in_flow *f, uint8_t *data, size_t len, uint64_t now_ms)
{
	uint32_t stamp = eng_stamp(now_ms);
	int64_t uidx = univ_lookup_hashed(&e->univ, ukey, uh, true, now_ms, stamp);
	struct flow_val *v;
	struct binding *b;
	const char *type;

	if (uidx < 0) {
		e->st.table_full++;
		return ENG_DROP;
	}
	if ((b = bt_find(&e->bt, (uint32_t)uidx, p->dst)) == NULL) {
		if ((type = eng_binding_type(e, p->dst, NULL)) == NULL) {
			e->st.not_farm++;	/* a farm address no hosts line covers */
			return ENG_DROP;
		}
		if ((b = bind_create(e, (uint32_t)uidx, p->dst, type, p->src, NULL, now_ms)) == NULL)
			return ENG_DROP;
	}
	v = flow_remember(e, f, bt_slot(&e->bt, b), b->serial, stamp);
	bind_deliver(e, b, data, len, now_ms);
	if (v)
		fp_offer_inbound(e, f->fk, v, b);
	return ENG_DROP;
}

/*
 * Inbound `pass`: to the clone that already holds the address in this
 * universe, never to a new one, and never to the kernel (whose route for the
 * farm is a blackhole).
 */
static enum eng_verdict
pass_to_bound(struct eng *e, const struct pkt *p, int64_t uidx, const struct in_flow *f,
    uint8_t *data, size_t len, uint64_t now_ms)
{
	struct binding *b = uidx >= 0 ? bt_find(&e->bt, (uint32_t)uidx, p->dst) : NULL;
	struct flow_val *v;

	if (b == NULL) {
		e->st.dropped++;
		return ENG_DROP;
	}
	v = flow_remember(e, f, bt_slot(&e->bt, b), b->serial, eng_stamp(now_ms));
	e->st.passed++;
	bind_deliver(e, b, data, len, now_ms);
	if (v)
		fp_offer_inbound(e, f->fk, v, b);
	return ENG_DROP;
}

/* A later fragment has no ports: it follows its address's binding, if any. */
static enum eng_verdict
inbound_fragment(struct eng *e, const struct pkt *p, int64_t uidx, uint8_t *data,
    size_t len, uint64_t now_ms)
{
	struct binding *b = uidx >= 0 ? bt_find(&e->bt, (uint32_t)uidx, p->dst) : NULL;

	if (b == NULL) {
		e->st.fragments_dropped++;
		return ENG_DROP;
	}
	bind_deliver(e, b, data, len, now_ms);
	return ENG_DROP;
}

/*
 * A hit on a flow whose binding was pending when it was decided is offered
 * to the kernel here, once the clone is ready.
 */
static enum eng_verdict
cached(struct eng *e, const struct flow_key *fk, struct flow_val *v, uint8_t *data,
    size_t len, uint64_t now_ms, bool *hit)
{
	struct binding *b;

	*hit = true;
	if (v->serial) {
		if ((b = bt_by_slot(&e->bt, v->slot_action & FLOW_SLOT, v->serial)) != NULL) {
			bind_deliver(e, b, data, len, now_ms);
			fp_offer_inbound(e, fk, v, b);
			return ENG_DROP;
		}
		/* The binding is gone: forget the flow and decide afresh. */
		htab_delete_val(e->flows.t, v);
		*hit = false;
		return ENG_DROP;
	}
	e->st.dropped++;
	return ENG_DROP;
}

static inline uint32_t
rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* Work out r for a packet whose flow key is filled in; its slots start loading. */
static void
refs_make(const struct eng *e, struct in_refs *r, bool scans)
{
	r->ukey = universe_key(pol_universe_mode(e->prog), r->fk.src, r->fk.dst);
	r->uh = univ_hash(&e->univ, r->ukey);
	hist_ref(&e->hist, &r->hist, r->ukey, r->fk.dst, r->fk.src);
	if (scans && !e->cfg.no_scan_filter)
		scan_ref(&e->scan, &r->scan, r->fk.src, r->fk.dport);
}

/*
 * The keys are built from the IPv4 and TCP/UDP headers read directly (a
 * full parse would cost as much again as the lookups it speeds up); a
 * packet the parser will see otherwise only makes a useless prefetch.
 */
void
eng_prefetch_inbound(struct eng *e, const uint8_t *data, size_t len)
{
	struct in_refs *r = &e->ahead[e->ahead_next++ & 1];
	size_t ihl;

	r->fk.proto = 0;
	if (len < 20 || data[0] >> 4 != 4 || (data[9] != 6 && data[9] != 17))
		return;
	ihl = (size_t)(data[0] & 0xf) * 4;
	if (ihl < 20 || len < ihl + 4 || (data[6] & 0x1f) != 0 || data[7] != 0)
		return;	/* short, or a later fragment */
	r->fk = (struct flow_key){
		.src = rd32(data + 12),
		.dst = rd32(data + 16),
		.sport = (uint16_t)(data[ihl] << 8 | data[ihl + 1]),
		.dport = (uint16_t)(data[ihl + 2] << 8 | data[ihl + 3]),
		.proto = data[9],
		.dir = POL_IN,
	};
	refs_make(e, r, true);
}

/*
 * The refs of p: those eng_prefetch_inbound worked out if it saw p, else
 * made now in own.  An older place with the same key serves as well: a
 * key's hash changes only with its table, and a reload empties them.
 */
static const struct in_refs *
refs_of(const struct eng *e, const struct pkt *p, struct in_refs *own)
{
	flow_key_of(&own->fk, p, POL_IN);
	for (size_t i = 0; i < 2; i++) {
		const struct in_refs *r = &e->ahead[i];

		if (r->fk.proto != 0 && memcmp(&r->fk, &own->fk, sizeof(own->fk)) == 0)
			return r;
	}
	refs_make(e, own, p->frag == 0);
	return own;
}

enum eng_verdict
eng_inbound(struct eng *e, uint8_t *data, size_t len, uint64_t now_ms)
{
	uint32_t counts[SCAN_SPECS_MAX] = { 0 }, stamp = eng_stamp(now_ms), fh, uh;
	struct pol_decision d;
	struct flow_key fk;
	struct flow_val *v;
	struct hist_conv conv;
	struct in_refs own;
	struct in_flow f;
	const struct in_refs *r;
	struct pkt p;
	uint64_t ukey;
	int64_t uidx;
	bool crossed, hit, fresh;
	enum eng_verdict verdict;

	e->st.in_packets++;
	if (len == 0 || data[0] >> 4 != 4) {
		e->st.not_ipv4++;
		return ENG_DROP;
	}
	if (pkt_parse(&p, data, len) != PKT_OK) {
		e->st.malformed++;
		return ENG_DROP;
	}
	switch (eng_peer_check(e, p.src)) {
	case PEER_OK:
		break;
	case PEER_MARTIAN:
		e->st.martian++;
		return ENG_DROP;
	case PEER_SPECIAL:
		e->st.special_source++;
		return ENG_DROP;
	case PEER_FARM:
		e->st.farm_source++;
		return ENG_DROP;
	}
	if (!pol_in_farm(e->prog, p.dst)) {
		e->st.not_farm++;
		return ENG_DROP;
	}
	/*
	 * A packet from a new source misses the cache in every per-source
	 * table; asking for all of their slots first lets the misses overlap
	 * (a third faster on a spoofed flood, measured by the replay).  Unless
	 * the hint saw this packet coming, its slots start loading here, and
	 * each table's keyed hash is computed this once.
	 */
	r = refs_of(e, &p, &own);
	ukey = r->ukey;
	fk = r->fk;
	uh = r->uh;
	conv = inbound_conv(&p);
	fresh = hist_note(&e->hist, &r->hist, &conv, now_ms, stamp);
	/*
	 * Only a peer the history knew can have a cached flow (below), so
	 * only then is the flow's slot asked for: on traffic from new peers,
	 * the engine's largest table is never touched.  It loads while the
	 * scan filter counts.
	 */
	fh = fresh ? 0 : flows_hash(&e->flows, &fk);
	if (p.frag != 0)
		return inbound_fragment(e, &p,
		    univ_lookup_hashed(&e->univ, ukey, uh, false, now_ms, 0), data, len, now_ms);
	crossed = false;
	if (!e->cfg.no_scan_filter)
		scan_note(&e->scan, &r->scan, p.dst, now_ms, stamp, counts, &crossed);
	if (crossed) {
		struct eng_event ev;

		e->st.scan_filtered++;
		eng_event_init(&ev, EV_SCAN_FILTERED, now_ms);
		ev.dir = EV_DIR_IN;
		ev.peer = p.src;
		ev.addr = p.dst;
		ev.proto = p.proto;
		ev.port = p.dport;
		eng_emit(e, &ev);
	}

	if (!fresh && (v = flows_find(&e->flows, &fk, fh, stamp)) != NULL) {
		verdict = cached(e, &fk, v, data, len, now_ms, &hit);
		if (hit) {
			e->st.flow_hits++;
			return verdict;
		}
	}
	e->st.flow_misses++;

	uidx = univ_lookup_hashed(&e->univ, ukey, uh, false, now_ms, 0);
	policy_decide(e, &p, POL_IN, ukey, uidx, counts, now_ms, &d);
	if (d.flags & POL_F_LOG)
		policy_log(e, NULL, EV_DIR_IN, &p, &d, now_ms);
	/*
	 * The first packet a peer sends to an address (its history entry is
	 * new) leaves no flow behind: most such packets are the only one of
	 * their flow (a sweep, a spoofed flood, backscatter), and caching them
	 * would evict flows that are live.  A flow that goes on is decided
	 * again at its next packet, with the same answer unless the state
	 * changed in between, and cached then.
	 */
	f = (struct in_flow){ &fk, fh, !fresh, 0 };
	switch ((enum pol_action)d.action) {
	case POL_BIND:
		f.fp_may = fp_may_inbound(e, &p, &d);
		return bind_and_deliver(e, &p, ukey, uh, &f, data, len, now_ms);
	case POL_PASS:
		f.fp_may = fp_may_inbound(e, &p, &d);
		return pass_to_bound(e, &p, uidx, &f, data, len, now_ms);
	case POL_REJECT:
		reject_inbound(e, &p);
		return ENG_DROP;
	case POL_DROP:
	case POL_REFLECT:	/* outbound actions; the checker warns of them */
	case POL_PROXY:
		break;
	}
	if (d.consulted == 0)
		flow_remember(e, &f, FLOW_DROP, 0, stamp);
	e->st.dropped++;
	return ENG_DROP;
}
