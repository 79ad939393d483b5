/* SPDX-License-Identifier: ISC */
/*
 * The outbound path (queue 1): a packet a clone sent.  This is where
 * containment happens, so every exit is a drop unless a rule said otherwise.
 *
 * The interface names the clone, hence its universe and its address; a
 * packet whose source is not the clone's own is spoofed and dropped.  A
 * destination bound in the clone's universe, or inside the farm, is internal:
 * it is bound (a clone made if need be) and delivered there, under the
 * matching rule's modifiers (infected, log, limit) but not its action.
 * Everything else meets the outbound policy: pass (accepted, rewritten,
 * marked; only from a clone holding a farm address), proxy (DNS asked by the
 * gateway itself), reflect (a clone of the same universe takes on the
 * destination), reject, drop.  Only packets that go somewhere keep a clone
 * from being idle: one whose every packet is dropped is reclaimed.
 */
#include "eng_int.h"

#include <netinet/in.h>
#include <string.h>

static void
count_contained(struct binding *b, const struct pkt *p)
{
	struct contain_count *free_slot = NULL;

	for (int i = 0; i < CONTAIN_SLOTS; i++) {
		struct contain_count *c = &b->contain[i];

		if (c->count && c->proto == p->proto && c->port == p->dport) {
			c->count++;
			return;
		}
		if (c->count == 0 && free_slot == NULL)
			free_slot = c;
	}
	if (free_slot) {
		*free_slot = (struct contain_count){ p->proto, p->dport, 1 };
		return;
	}
	b->contain_other++;
}

/*
 * Token bucket per clone and limited rule: limit_n packets per limit_ms.  A
 * clone has RATE_SLOTS buckets; a rule that finds none free is over its
 * limit (fail closed) rather than taking another rule's bucket, which would
 * hand it a full one.
 */
static bool
rate_ok(struct binding *b, const struct pol_decision *d, uint64_t now_ms)
{
	struct rate_bucket *r = NULL;
	uint64_t refill;

	if (d->limit_n == 0 || d->limit_ms == 0)
		return true;
	for (int i = 0; i < RATE_SLOTS && r == NULL; i++)
		if (b->rate[i].rule == d->rule)
			r = &b->rate[i];
	for (int i = 0; i < RATE_SLOTS && r == NULL; i++)
		if (b->rate[i].rule < 0) {
			r = &b->rate[i];
			*r = (struct rate_bucket){ d->rule, d->limit_n, now_ms };
		}
	if (r == NULL)
		return false;
	refill = (now_ms - r->last_ms) * d->limit_n / d->limit_ms;
	if (refill) {
		r->tokens = refill + r->tokens > d->limit_n ? d->limit_n :
		    (uint32_t)(refill + r->tokens);
		r->last_ms = now_ms;
	}
	if (r->tokens == 0)
		return false;
	r->tokens--;
	return true;
}

static void
reflect_event(struct eng *e, const struct binding *from, const struct binding *to,
    const struct pkt *p, uint64_t now_ms)
{
	struct eng_event ev;

	bind_event_init(e, &ev, EV_REFLECT, to, now_ms);
	ev.vm = from->vm.id;	/* the sender; binding and type are the new clone's */
	ev.dir = EV_DIR_INTERNAL;
	ev.peer = p->src;
	ev.proto = p->proto;
	ev.port = p->dport;
	eng_emit(e, &ev);
}

/* Deliver to the destination's binding in b's universe, making it if need be. */
static void
deliver_internal(struct eng *e, struct binding *b, const struct pkt *p, uint8_t *data,
    size_t len, bool reflected, uint64_t now_ms)
{
	struct binding *to = bt_find(&e->bt, b->uidx, p->dst);

	if (to == NULL) {
		const char *type = eng_binding_type(e, p->dst, b->type);

		to = bind_create(e, b->uidx, p->dst, type, p->src, b, now_ms);
		if (to == NULL) {
			e->st.dropped++;
			return;
		}
		reflect_event(e, b, to, p, now_ms);
	}
	if (reflected)
		e->st.reflected++;
	bind_deliver(e, to, data, len, now_ms);
}

static void
reject_outbound(struct eng *e, struct binding *b, const struct pkt *p, uint64_t now_ms)
{
	uint8_t out[128 + 60];
	size_t n;

	if (p->proto == IPPROTO_TCP)
		n = pkt_build_rst(p, out, sizeof(out));
	else
		n = pkt_build_unreach(p, p->proto == IPPROTO_UDP ? 3 : 13, out, sizeof(out));
	if (n) {
		e->st.rejected++;
		bind_deliver(e, b, out, n, now_ms);
	}
}

static struct binding *
sender(struct eng *e, int ifindex)
{
	struct binding *b = bt_by_ifindex(&e->bt, ifindex);

	return b && b->state == BIND_READY ? b : NULL;
}

enum eng_verdict
eng_outbound(struct eng *e, int ifindex, uint8_t *data, size_t len, uint64_t now_ms)
{
	struct pol_decision d;
	struct binding *b;
	struct pkt p;
	uint32_t serial;
	bool internal;

	e->st.out_packets++;
	if ((b = sender(e, ifindex)) == NULL) {
		e->st.unknown_clone++;
		return ENG_DROP;
	}
	if (len == 0 || data[0] >> 4 != 4) {
		e->st.not_ipv4++;
		return ENG_DROP;
	}
	if (pkt_parse(&p, data, len) != PKT_OK) {
		e->st.malformed++;
		return ENG_DROP;
	}
	if (pkt_is_fragment(&p)) {
		/* Later fragments carry no ports to judge; none leave. */
		e->st.fragments_dropped++;
		return ENG_DROP;
	}
	if (p.src != b->vm.guest_ip) {
		e->st.spoofed++;
		return ENG_DROP;
	}
	b->pkts_out++;
	b->bytes_out += len;
	if (b->vm.guest_ip != b->addr)
		pkt_set_src(&p, b->addr);
	internal = bt_find(&e->bt, b->uidx, p.dst) != NULL || pol_in_farm(e->prog, p.dst);

	/*
	 * Internal traffic is delivered whatever the rule's action, but its
	 * modifiers hold: a worm scanning its own farm is marked infected,
	 * logged and rate-limited like one scanning the Internet.
	 */
	policy_decide(e, &p, POL_OUT, e->univ.slab[b->uidx].key, b->uidx, NULL, now_ms, &d);
	if (internal)
		d.action = POL_REFLECT;
	if (d.flags & POL_F_LOG)
		policy_log(e, b, EV_DIR_OUT, &p, &d, now_ms);
	if (d.flags & POL_F_INFECTED) {
		serial = b->serial;
		bind_mark_infected(e, b, "policy", now_ms);
		if (b->state != BIND_READY || b->serial != serial)
			return ENG_DROP;	/* the policy tore it down */
	}
	if (d.action != POL_DROP && d.action != POL_REJECT && !rate_ok(b, &d, now_ms)) {
		e->st.rate_limited++;
		count_contained(b, &p);
		return ENG_DROP;
	}
	switch ((enum pol_action)d.action) {
	case POL_PASS:
		/*
		 * Only a clone holding a farm address may speak outside: one
		 * made by reflection holds an outside address, and its packets
		 * would leave with a forged source.
		 */
		if (!pol_in_farm(e->prog, b->addr)) {
			e->st.dropped++;
			count_contained(b, &p);
			return ENG_DROP;
		}
		/* Nor towards an address no outside peer can have had. */
		if (eng_peer_check(e, p.dst) != PEER_OK) {
			e->st.special_dest++;
			count_contained(b, &p);
			return ENG_DROP;
		}
		b->last_ms = now_ms;
		e->st.passed++;
		fp_offer_outbound(e, b, &p, &d, now_ms);
		return ENG_PASS;
	case POL_PROXY:
		b->last_ms = now_ms;
		if (p.proto == IPPROTO_UDP && p.dport == 53)
			dns_proxy_query(e, b, &p, d.via, now_ms);
		else
			e->st.dns_bad++;
		return ENG_DROP;
	case POL_REFLECT:
		b->last_ms = now_ms;
		deliver_internal(e, b, &p, data, len, !internal, now_ms);
		return ENG_DROP;
	case POL_REJECT:
		reject_outbound(e, b, &p, now_ms);
		count_contained(b, &p);
		return ENG_DROP;
	case POL_DROP:
	case POL_BIND:	/* an inbound action; the checker warns of it */
		break;
	}
	e->st.dropped++;
	count_contained(b, &p);
	return ENG_DROP;
}
