/* SPDX-License-Identifier: ISC */
/*
 * The bridge between the engine and the policy: packet facts in, the
 * policy's state questions answered from the engine's tables.  The policy
 * asks only what its matching rules need, so a packet decided by an early
 * stateless rule never touches the history table.
 */
#include "eng_int.h"

#include <netinet/in.h>

struct decide_ctx {
	struct eng *e;
	const struct pkt *p;
	uint64_t ukey;
	int64_t uidx;		/* the packet's universe, -1 if it has none yet */
	const uint32_t *counts;
	uint64_t now_ms;
};

static uint64_t
ask_reply_age(void *ctx, uint32_t farm, uint32_t peer)
{
	struct decide_ctx *c = ctx;

	return hist_age(&c->e->hist, c->ukey, farm, peer, c->now_ms);
}

/*
 * The conversation an outbound packet answers: its ports reversed, the echo
 * id of an echo reply, or what an ICMP error quotes of the peer's packet.
 */
static uint64_t
ask_conv_age(void *ctx, const struct pol_packet *pkt)
{
	struct decide_ctx *c = ctx;
	const struct pkt *p = c->p;
	struct hist_conv conv = { 0 };

	if (pkt->dir != POL_OUT)
		return UINT64_MAX;
	if (p->proto == IPPROTO_TCP || p->proto == IPPROTO_UDP)
		conv = (struct hist_conv){ p->sport, p->dport, p->proto };
	else if (p->proto == IPPROTO_ICMP && p->icmp_type == 0)	/* echo reply */
		conv = (struct hist_conv){ 0, p->sport, IPPROTO_ICMP };
	else if (p->proto == IPPROTO_ICMP && p->has_quote && p->quote.src == p->dst &&
	    p->quote.dst == p->src && p->quote.has_ports &&
	    (p->quote.proto == IPPROTO_TCP || p->quote.proto == IPPROTO_UDP))
		conv = (struct hist_conv){ p->quote.dport, p->quote.sport, p->quote.proto };
	return hist_conv_age(&c->e->hist, c->ukey, pkt->src, pkt->dst, &conv, c->now_ms);
}

static uint32_t
ask_scan_count(void *ctx, const struct pol_packet *pkt, unsigned scan)
{
	struct decide_ctx *c = ctx;

	if (pkt->dir != POL_IN || c->counts == NULL || scan >= c->e->scan.nspec)
		return 0;
	return c->counts[scan];
}

static bool
ask_bound(void *ctx, const struct pol_packet *pkt)
{
	struct decide_ctx *c = ctx;
	uint32_t farm = pkt->dir == POL_IN ? pkt->dst : pkt->src;

	return c->uidx >= 0 && bt_find(&c->e->bt, (uint32_t)c->uidx, farm) != NULL;
}

void
policy_decide(struct eng *e, const struct pkt *p, enum pol_dir dir, uint64_t ukey,
    int64_t uidx, const uint32_t *counts, uint64_t now_ms, struct pol_decision *d)
{
	struct decide_ctx c = { e, p, ukey, uidx, counts, now_ms };
	struct pol_state st = {
		.reply_age = ask_reply_age,
		.conv_age = ask_conv_age,
		.scan_count = ask_scan_count,
		.bound = ask_bound,
		.ctx = &c,
	};
	struct pol_packet pp = {
		.src = p->src,
		.dst = p->dst,
		.sport = p->sport,
		.dport = p->dport,
		.dir = (uint8_t)dir,
		.proto = p->proto,
		.tcp_flags = p->tcp_flags,
		.icmp_type = p->icmp_type,
	};

	if (p->proto != 6 && p->proto != 17)
		pp.sport = pp.dport = 0;	/* an ICMP echo id is no port */
	pol_eval(e->prog, &pp, &st, d);
	if (e->io.decided)
		e->io.decided(e->io.ctx, &pp, d);
}

void
policy_log(struct eng *e, const struct binding *b, enum eng_event_dir dir,
    const struct pkt *p, const struct pol_decision *d, uint64_t now_ms)
{
	struct eng_event ev;

	if (b)
		bind_event_init(e, &ev, EV_LOG, b, now_ms);
	else
		eng_event_init(&ev, EV_LOG, now_ms);
	ev.type = NULL;
	ev.dir = dir;
	ev.addr = dir == EV_DIR_OUT ? p->src : p->dst;	/* the farm side */
	ev.peer = dir == EV_DIR_OUT ? p->dst : p->src;
	ev.proto = p->proto;
	ev.port = p->dport;
	ev.action = pol_action_name((enum pol_action)d->action);
	ev.line = d->line;
	if (fold_first(e, &ev))
		eng_emit(e, &ev);
}

/* The host type for a farm address, or fallback when no hosts line covers it. */
const char *
eng_binding_type(struct eng *e, uint32_t addr, const char *fallback)
{
	int t = pol_host_type(e->prog, addr);

	return t >= 0 ? pol_type_name(e->prog, t) : fallback;
}
