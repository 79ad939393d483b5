/* SPDX-License-Identifier: ISC */
/*
 * The evaluator: first match over one direction's rules, without a loop over
 * rules that cannot match.  Pure and allocation-free: everything it needs is
 * in the compiled program, the packet and the caller's state callbacks, which
 * it calls only for a rule whose packet fields already matched, at most once
 * per question and decision (scanner windows: once per window, for the first
 * 64 windows).
 *
 * The order in which one rule's questions are asked is fixed and documented
 * in potemkin.policy(5): closed (no callback), bound/unbound, reply, scanner;
 * the first "no" ends the rule.
 */
#include "pol_int.h"

#include <netinet/in.h>
#include <string.h>

/* Answers already given during one decision. */
struct asked {
	uint8_t have;		/* POL_Q_* */
	bool bound;
	bool conv_asked;
	uint64_t age;
	uint64_t conv_age;
	uint64_t scanned;	/* windows 0..63 answered; their answers: */
	uint32_t scan[64];	/* (left uninitialized: read only when answered) */
};

/* Is pkt's destination port closed on its host type (TCP/UDP only)? */
static bool
pol_closed(const struct pol_program *prog, const struct pol_packet *pkt)
{
	int t;

	if (pkt->proto != IPPROTO_TCP && pkt->proto != IPPROTO_UDP)
		return false;
	t = pol_host_type(prog, pkt->dst);
	return t < 0 || !pol_type_opens(prog, t, pkt->proto, pkt->dport);
}

static bool
state_ok(const struct pol_program *prog, const struct pol_crule *c,
    const struct pol_packet *pkt, const struct pol_state *st, struct asked *a)
{
	if ((c->need & N_CLOSED) && !pol_closed(prog, pkt))
		return false;
	if (c->need & (N_BOUND | N_UNBOUND)) {
		if (!(a->have & POL_Q_BOUND)) {
			a->bound = st && st->bound ? st->bound(st->ctx, pkt) : false;
			a->have |= POL_Q_BOUND;
		}
		if (a->bound != ((c->need & N_BOUND) != 0))
			return false;
	}
	if (c->need & N_REPLY) {
		if (!(a->have & POL_Q_REPLY)) {
			uint32_t farm = pkt->dir == POL_IN ? pkt->dst : pkt->src;
			uint32_t peer = pkt->dir == POL_IN ? pkt->src : pkt->dst;

			a->age = st && st->reply_age ? st->reply_age(st->ctx, farm, peer) :
			    UINT64_MAX;
			a->have |= POL_Q_REPLY;
		}
		if (a->age > c->reply_ms)
			return false;
	}
	if (c->need & N_CONV) {
		if (!a->conv_asked) {
			if (st && st->conv_age) {
				a->conv_age = st->conv_age(st->ctx, pkt);
			} else {
				uint32_t farm = pkt->dir == POL_IN ? pkt->dst : pkt->src;
				uint32_t peer = pkt->dir == POL_IN ? pkt->src : pkt->dst;

				a->conv_age = st && st->reply_age ?
				    st->reply_age(st->ctx, farm, peer) : UINT64_MAX;
			}
			/* Its own answer: a->age stays the plain reply's to ask. */
			a->conv_asked = true;
		}
		if (a->conv_age > c->reply_ms)
			return false;
	}
	if (c->need & N_SCAN) {
		uint32_t n;

		if (c->scan < 64 && (a->scanned >> c->scan) & 1) {
			n = a->scan[c->scan];
		} else {
			n = st && st->scan_count ? st->scan_count(st->ctx, pkt, c->scan) : 0;
			a->have |= POL_Q_SCAN;
			if (c->scan < 64) {
				a->scan[c->scan] = n;
				a->scanned |= 1ull << c->scan;
			}
		}
		if (n <= c->scan_n)
			return false;
	}
	return true;
}

static void
decide(struct pol_decision *out, const struct pol_crule *c, size_t r)
{
	out->action = c->action;
	out->flags = c->flags;
	out->via = c->via;
	out->limit_n = c->limit_n;
	out->limit_ms = c->limit_ms;
	out->rule = (int)r;
	out->line = c->line;
}

static void
no_rule(struct pol_decision *out)
{
	memset(out, 0, sizeof(*out));
	out->action = POL_DROP;
	out->rule = -1;
	out->line = 0;
}

static const uint64_t *
row(const struct pol_ivtab *t, size_t w, uint32_t x)
{
	return t->m + pol_ivt_index(t->lo, t->n, x) * w;
}

void
pol_eval(const struct pol_program *prog, const struct pol_packet *pkt,
    const struct pol_state *st, struct pol_decision *out)
{
	const struct pol_dprog *dp;
	const uint64_t *rp, *rs, *rd, *rsp, *rdp, *rx = NULL;
	struct asked a;
	uint64_t m[POL_MAX_W];
	size_t w;

	a.have = 0;
	a.scanned = 0;
	a.conv_asked = false;
	a.age = UINT64_MAX;
	no_rule(out);
	if (pkt->dir > POL_OUT)
		return;
	dp = &prog->d[pkt->dir];
	if (dp->n == 0)
		return;
	w = dp->w;
	rp = dp->proto + (size_t)pkt->proto * w;
	rs = row(&dp->src, w, pkt->src);
	rd = row(&dp->dst, w, pkt->dst);
	rsp = row(&dp->sport, w, pkt->sport);
	rdp = row(&dp->dport, w, pkt->dport);
	if (pkt->proto == IPPROTO_TCP)
		rx = dp->tflags + (size_t)pkt->tcp_flags * w;
	else if (pkt->proto == IPPROTO_ICMP)
		rx = dp->icmp + (size_t)pkt->icmp_type * w;
	for (size_t i = 0; i < w; i++) {
		m[i] = rp[i] & rs[i] & rd[i] & rsp[i] & rdp[i];
		if (rx)
			m[i] &= rx[i];
	}
	for (size_t i = 0; i < w; i++)
		while (m[i]) {
			size_t r = i * 64 + (size_t)__builtin_ctzll(m[i]);
			const struct pol_crule *c = &dp->r[r];

			m[i] &= m[i] - 1;
			if (c->need == 0 || state_ok(prog, c, pkt, st, &a)) {
				decide(out, c, r);
				out->consulted = a.have | (a.conv_asked ? POL_Q_REPLY : 0);
				return;
			}
		}
	out->consulted = a.have | (a.conv_asked ? POL_Q_REPLY : 0);
}

/* ---- the reference evaluator ------------------------------------------- */

static bool
ports_match(const struct pol_ports *pp, uint16_t port)
{
	for (size_t i = 0; i < pp->n; i++)
		if (pp->v[i].lo <= port && port <= pp->v[i].hi)
			return true;
	return false;
}

static bool
addrs_match(const struct pol_program *prog, const struct pol_addrs *a, uint32_t addr)
{
	if (a->any)
		return true;
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].kind == AE_FARM ? pol_in_farm(prog, addr) :
		    prefix_contains(&a->v[i].p, addr))
			return true;
	return false;
}

/* The rule's packet fields, read straight off the tree. */
static bool
packet_match(const struct pol_program *prog, const struct pol_rule *r,
    const struct pol_packet *pkt)
{
#define HAS(i) (r->have & PI_BIT(i))
	if (HAS(PI_PROTO) && !memchr(r->protos, pkt->proto, r->nprotos))
		return false;
	if (HAS(PI_FROM) && !addrs_match(prog, &r->from, pkt->src))
		return false;
	if (HAS(PI_SPORT) && !ports_match(&r->sport, pkt->sport))
		return false;
	if (HAS(PI_TO) && !addrs_match(prog, &r->to, pkt->dst))
		return false;
	if (HAS(PI_DPORT) && !ports_match(&r->dport, pkt->dport))
		return false;
	if (HAS(PI_FLAGS) && !(pkt->proto == IPPROTO_TCP &&
	    ((pkt->tcp_flags & r->flagmask) == r->flags) != r->flagneg))
		return false;
	if (HAS(PI_ICMP) && !(pkt->proto == IPPROTO_ICMP &&
	    memchr(r->icmp, pkt->icmp_type, r->nicmp)))
		return false;
	return true;
#undef HAS
}

void
pol_eval_ref(const struct pol_program *prog, const struct pol_packet *pkt,
    const struct pol_state *st, struct pol_decision *out)
{
	struct asked a;

	a.have = 0;
	a.scanned = 0;
	a.conv_asked = false;
	a.age = UINT64_MAX;
	no_rule(out);
	if (pkt->dir > POL_OUT)
		return;
	for (size_t i = 0; i < prog->ast.nrules[pkt->dir]; i++) {
		const struct pol_crule *c = &prog->d[pkt->dir].r[i];

		if (packet_match(prog, &prog->ast.rules[pkt->dir][i], pkt) &&
		    state_ok(prog, c, pkt, st, &a)) {
			decide(out, c, i);
			break;
		}
	}
	out->consulted = a.have | (a.conv_asked ? POL_Q_REPLY : 0);
}

/* ---- flows the kernel may carry ----------------------------------------- */

/* Could some packet of pkt's flow, whatever its TCP flags, match r's packet fields? */
static bool
flow_match(const struct pol_program *prog, const struct pol_rule *r,
    const struct pol_packet *pkt)
{
	struct pol_rule unflagged = *r;

	unflagged.have &= ~PI_BIT(PI_FLAGS);
	if ((r->have & PI_BIT(PI_FLAGS)) && pkt->proto != IPPROTO_TCP)
		return false;
	return packet_match(prog, &unflagged, pkt);
}

/*
 * The rules are read off the tree, as pol_eval_ref does: this is asked once
 * per flow offered to the kernel, never per packet.  A packet of the flow
 * differs from pkt only in its TCP flags and in the answers to state
 * questions, so only rules that test one of those can decide it otherwise.
 * `closed` alone is a fact of the destination and port, the same for every
 * packet of the flow; its implied `unbound` (inbound) is not.
 */
bool
pol_flow_fixed(const struct pol_program *prog, const struct pol_packet *pkt, int rule,
    struct pol_hold *hold)
{
	const struct pol_rule *r;
	uint32_t dynamic = PI_STATE & ~PI_BIT(PI_CLOSED);

	memset(hold, 0, sizeof(*hold));
	if (pkt->dir > POL_OUT || rule < 0 || (size_t)rule >= prog->ast.nrules[pkt->dir] ||
	    (pkt->proto != IPPROTO_TCP && pkt->proto != IPPROTO_UDP))
		return false;
	for (int i = 0; i <= rule; i++) {
		r = &prog->ast.rules[pkt->dir][i];
		if (!flow_match(prog, r, pkt))
			continue;
		/* Some packets of the flow fit the flags and some do not. */
		if (r->have & PI_BIT(PI_FLAGS))
			return false;
		/* An earlier rule's answer may change while the flow runs. */
		if (i < rule && (pol_rule_state(r, pkt->dir) & dynamic))
			return false;
	}
	r = &prog->ast.rules[pkt->dir][rule];
	if (r->have & PI_BIT(PI_REPLY)) {
		hold->asks |= POL_Q_REPLY;
		/* The compiled window: the very number pol_eval compares with. */
		hold->reply_ms = prog->d[pkt->dir].r[rule].reply_ms;
		hold->conv = r->reply_conv;
	}
	if (pol_rule_state(r, pkt->dir) & (PI_BIT(PI_BOUND) | PI_BIT(PI_UNBOUND)))
		hold->asks |= POL_Q_BOUND;
	if (r->have & PI_BIT(PI_SCANNER))
		hold->asks |= POL_Q_SCAN;
	return true;
}
