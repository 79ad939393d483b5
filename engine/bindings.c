/* SPDX-License-Identifier: ISC */
/*
 * Bindings: (universe, farm address) -> clone, and the life of each one.
 *
 *	(none) --bind_create--> pending --eng_clone_ready--> ready
 *	   ^                       |                            |
 *	   +---- eng_clone_failed -+     idle, lifetime, operator, pressure
 *	   +------------------------------ bind_reclaim <-------+
 *
 * A pending binding parks the packets that arrive for it (bounded by the
 * policy's `limit pending`) in buffers from one pool sized at start, and
 * hands them over in order when the clone's record arrives.  Reclaim removes
 * the binding from every table at once; the teardown itself runs outside.
 */
#include "eng_int.h"

#include <stdlib.h>
#include <string.h>

#include "lib/log.h"

#define OVERLOAD_VMS 0
#define OVERLOAD_CLONES 1
#define OVERLOAD_TABLE 2
#define OVERLOAD_PARK 3

/*
 * Buffers for clones in flight times packets each may park, but never more
 * than PARK_POOL_MAX: a policy that passes its check must not be able to ask
 * for more memory than a host has.  Beyond the pool, packets are dropped and
 * counted like any over the per-binding limit.
 */
size_t
park_pool_size(const struct pol_program *prog)
{
	const struct pol_limits *l = pol_limits(prog);
	size_t n = (size_t)l->clones * l->pending;

	return n == 0 ? 1 : n > PARK_POOL_MAX ? PARK_POOL_MAX : n;
}

int
bind_init(struct eng *e, size_t vms)
{
	if (bt_init(&e->bt, vms) < 0 ||
	    park_init(&e->park, park_pool_size(e->prog), e->cfg.park_bytes) < 0)
		return -1;
	return 0;
}

void
bind_fini(struct eng *e)
{
	bt_fini(&e->bt);
	park_fini(&e->park);
	free(e->timers.heap);
}

/*
 * The idle ready binding used longest ago, for reclaim under pressure; never
 * keep (the clone whose packet asks for the new binding).
 */
static struct binding *
oldest_idle(struct eng *e, const struct binding *keep)
{
	struct binding *best = NULL;

	for (size_t s = 1; s < e->bt.nslots; s++) {
		struct binding *b = &e->bt.slab[s];

		if (b == keep || b->state != BIND_READY || (b->infected &&
		    pol_lifecycle(e->prog)->infected == POL_INF_KEEP &&
		    pol_lifecycle(e->prog)->infected_keep_ms))
			continue;
		if (best == NULL || b->last_ms < best->last_ms)
			best = b;
	}
	return best;
}

static bool
backing_off(struct eng *e, uint32_t addr, uint64_t now_ms)
{
	uint64_t *until = htab_find(e->backoff, &addr, htab_hash(e->backoff, &addr));

	if (until == NULL)
		return false;
	if (*until > now_ms)
		return true;
	htab_delete_val(e->backoff, until);
	return false;
}

struct binding *
bind_create(struct eng *e, uint32_t uidx, uint32_t addr, const char *type,
    uint32_t peer, const struct binding *keep, uint64_t now_ms)
{
	const struct pol_limits *l = pol_limits(e->prog);
	struct binding *b;

	if (backing_off(e, addr, now_ms)) {
		e->st.backoff_dropped++;
		return NULL;
	}
	if (e->bt.pending >= l->clones) {
		e->st.over_clones++;
		eng_overload(e, OVERLOAD_CLONES, "clones in flight", addr, now_ms);
		return NULL;
	}
	if (e->bt.live + e->bt.pending >= l->vms) {
		struct binding *victim = oldest_idle(e, keep);

		if (victim == NULL) {
			e->st.over_vms++;
			eng_overload(e, OVERLOAD_VMS, "vms", addr, now_ms);
			return NULL;
		}
		bind_reclaim(e, victim, RECLAIM_PRESSURE, false, now_ms);
	}
	if ((b = bt_insert(&e->bt, uidx, addr, eng_stamp(now_ms))) == NULL) {
		e->st.table_full++;
		eng_overload(e, OVERLOAD_TABLE, "binding table", addr, now_ms);
		return NULL;
	}
	/* Clones of its universe now reach addr inside, no longer by passing. */
	if (!pol_in_farm(e->prog, addr))
		fp_bound_outside(e, uidx, addr);
	snprintf(b->type, sizeof(b->type), "%s", type);
	b->peer = peer;
	b->created_ms = b->last_ms = now_ms;
	for (int i = 0; i < RATE_SLOTS; i++)
		b->rate[i].rule = -1;
	univ_hold(&e->univ, uidx);
	e->st.clones_started++;
	e->io.clone(e->io.ctx, b->serial, b->type, addr, e->univ.slab[uidx].id);
	return b;
}

static void
park(struct eng *e, struct binding *b, const uint8_t *data, size_t len, uint64_t now_ms)
{
	if (b->parked >= pol_limits(e->prog)->pending ||
	    park_push(&e->park, b, data, len) < 0) {
		e->st.park_dropped++;
		eng_overload(e, OVERLOAD_PARK, "parked packets", b->addr, now_ms);
		return;
	}
	e->st.parked++;
}

void
bind_event_init(struct eng *e, struct eng_event *ev, enum eng_event_kind kind,
    const struct binding *b, uint64_t now_ms)
{
	eng_event_init(ev, kind, now_ms);
	ev->vm = b->state == BIND_READY ? b->vm.id : -1;
	ev->binding = b->serial;
	ev->universe = e->univ.slab[b->uidx].id;
	ev->addr = b->addr;
	ev->type = b->type;
	ev->host = b->state == BIND_READY ? b->vm.host : NULL;
}

/* Rewrite to the guest's own address if it differs, and send. */
static void
send_to_vm(struct eng *e, struct binding *b, uint8_t *data, size_t len)
{
	struct pkt p;

	if (b->vm.guest_ip != b->addr) {
		if (pkt_parse(&p, data, len) != PKT_OK)
			return;
		pkt_set_dst(&p, b->vm.guest_ip);
	}
	e->io.deliver(e->io.ctx, &b->vm, data, len);
	e->st.delivered++;
}

static void
send_parked(void *ctx, struct binding *b, uint8_t *data, size_t len)
{
	send_to_vm(ctx, b, data, len);
}

void
bind_deliver(struct eng *e, struct binding *b, uint8_t *data, size_t len,
    uint64_t now_ms)
{
	b->last_ms = now_ms;
	b->pkts_in++;
	b->bytes_in += len;
	if (b->state == BIND_PENDING)
		park(e, b, data, len, now_ms);
	else
		send_to_vm(e, b, data, len);
}

/*
 * A record that does not answer the request (another address or universe,
 * an interface some clone already has, a name not pk<id>) would let one
 * clone's packets be judged as another's.
 */
static const char *
record_mismatch(struct eng *e, const struct binding *b, const struct eng_vm *vm)
{
	char ifname[ENG_IFNAME_MAX];

	snprintf(ifname, sizeof(ifname), "pk%d", vm->id);
	if (vm->ip != b->addr)
		return "the clone's record names another address";
	if (vm->universe != e->univ.slab[b->uidx].id)
		return "the clone's record names another universe";
	if (strcmp(vm->ifname, ifname) != 0)
		return "the clone's interface is not pk<id>";
	if (vm->ifindex > 0 && bt_by_ifindex(&e->bt, vm->ifindex))
		return "the clone's interface belongs to another clone";
	return NULL;
}

const struct eng_vm *
eng_vm_by_ifindex(const struct eng *e, int ifindex)
{
	const struct binding *b = bt_by_ifindex(&e->bt, ifindex);

	return b && b->state == BIND_READY ? &b->vm : NULL;
}

void
eng_clone_ready(struct eng *e, uint32_t serial, const struct eng_vm *vm,
    uint64_t now_ms)
{
	struct binding *b = bt_pending(&e->bt, serial);
	struct eng_event ev;
	const char *why;

	if (b == NULL) {
		/* Reclaimed while it was being made: nobody wants it now. */
		e->io.teardown(e->io.ctx, vm);
		return;
	}
	if ((why = record_mismatch(e, b, vm)) != NULL) {
		/* Whatever it is, it is not the clone asked for: never use it. */
		eng_clone_failed(e, serial, why, now_ms);
		e->io.teardown(e->io.ctx, vm);
		return;
	}
	b->vm = *vm;
	b->last_ms = now_ms;
	bt_set_ready(&e->bt, b, eng_stamp(now_ms));
	e->st.clones_ready++;
	bind_event_init(e, &ev, EV_BIND, b, now_ms);
	/*
	 * The peer whose packet asked for the clone: an outsider, or a clone
	 * whose packet was reflected; none when the operator asked.
	 */
	ev.peer = b->peer;
	if (b->peer)
		ev.dir = pol_in_farm(e->prog, b->peer) ? EV_DIR_INTERNAL : EV_DIR_IN;
	ev.count = b->parked;
	eng_emit(e, &ev);
	park_drain(&e->park, b, send_parked, e);
	bind_arm_timers(e, b);
}

/* Forget b in every table; its clone (if any) is the caller's to dispose of. */
static void
bind_forget(struct eng *e, struct binding *b)
{
	park_drain(&e->park, b, NULL, NULL);
	univ_release(&e->univ, b->uidx);
	bt_remove(&e->bt, b);
}

void
eng_clone_failed(struct eng *e, uint32_t serial, const char *why, uint64_t now_ms)
{
	struct binding *b = bt_pending(&e->bt, serial);
	struct eng_event ev;
	uint64_t *until;
	uint32_t addr;

	if (b == NULL)
		return;
	addr = b->addr;
	e->st.clones_failed++;
	e->st.park_dropped += b->parked;
	bind_event_init(e, &ev, EV_BIND_FAILED, b, now_ms);
	ev.count = b->parked;
	ev.reason = why;
	bind_forget(e, b);
	eng_emit(e, &ev);
	until = htab_insert(e->backoff, &addr, htab_hash(e->backoff, &addr),
	    eng_stamp(now_ms), NULL);
	if (until)
		*until = now_ms + e->cfg.backoff_ms;
}

static const char *const reclaim_names[] = {
	[RECLAIM_IDLE] = "idle",
	[RECLAIM_LIFETIME] = "lifetime",
	[RECLAIM_PRESSURE] = "pressure",
	[RECLAIM_OPERATOR] = "operator",
	[RECLAIM_INFECTED] = "infected",
	[RECLAIM_EXIT] = "exit",
	[RECLAIM_HOST] = "host-down",
};

void
bind_reclaim(struct eng *e, struct binding *b, enum reclaim_reason why, bool freeze,
    uint64_t now_ms)
{
	struct eng_event ev;
	struct eng_vm vm = b->vm;
	bool ready = b->state == BIND_READY;

	if (ready) {
		/* The kernel must not carry one more packet for a clone going away. */
		fp_forget_binding(e, b);
		bind_report_contain(e, b, now_ms);
	}
	/* A clone on a host that is gone cannot be frozen: nothing answers. */
	if (b->infected && pol_lifecycle(e->prog)->infected == POL_INF_FREEZE &&
	    why != RECLAIM_HOST)
		freeze = true;
	bind_event_init(e, &ev, freeze && ready ? EV_FREEZE : EV_RECLAIM, b, now_ms);
	ev.reason = reclaim_names[why];
	ev.count = b->pkts_in + b->pkts_out;
	switch (why) {
	case RECLAIM_IDLE: e->st.reclaimed_idle++; break;
	case RECLAIM_LIFETIME: e->st.reclaimed_lifetime++; break;
	case RECLAIM_PRESSURE: e->st.reclaimed_pressure++; break;
	case RECLAIM_OPERATOR: e->st.reclaimed_operator++; break;
	case RECLAIM_INFECTED: e->st.reclaimed_infected++; break;
	case RECLAIM_EXIT: e->st.reclaimed_exit++; break;
	case RECLAIM_HOST: e->st.reclaimed_host++; break;
	}
	bind_forget(e, b);
	eng_emit(e, &ev);
	if (!ready)
		return;	/* its record, when it comes, is torn down at once */
	if (freeze) {
		e->st.frozen++;
		e->io.freeze(e->io.ctx, &vm);
	} else {
		e->io.teardown(e->io.ctx, &vm);
	}
}

void
bind_mark_infected(struct eng *e, struct binding *b, const char *reason,
    uint64_t now_ms)
{
	const struct pol_lifecycle *lc = pol_lifecycle(e->prog);
	struct eng_event ev;

	if (b->infected)
		return;
	/* From now on every packet of an infected clone goes through the queues. */
	fp_forget_binding(e, b);
	b->infected = true;
	b->infected_ms = now_ms;
	e->st.infected++;
	bind_event_init(e, &ev, EV_INFECTED, b, now_ms);
	ev.reason = reason;
	eng_emit(e, &ev);
	if (lc->infected == POL_INF_TEARDOWN && b->state == BIND_READY)
		bind_reclaim(e, b, RECLAIM_INFECTED, false, now_ms);
	else if (lc->infected == POL_INF_KEEP && lc->infected_keep_ms)
		bind_arm_timers(e, b);	/* its deadlines just changed */
}

/* When b is due for reclaim of this kind, or UINT64_MAX for never. */
static uint64_t
bind_deadline(struct eng *e, const struct binding *b, uint8_t kind)
{
	const struct pol_lifecycle *lc = pol_lifecycle(e->prog);

	if (b->infected && lc->infected == POL_INF_KEEP && lc->infected_keep_ms) {
		/* `infected keep D`: no idle or lifetime, reclaimed D after infection. */
		if (kind == TIMER_IDLE)
			return UINT64_MAX;
		return b->infected_ms + lc->infected_keep_ms;
	}
	if (kind == TIMER_IDLE) {
		uint64_t idle = e->cfg.idle_ms ? e->cfg.idle_ms : lc->idle_ms;

		return idle ? b->last_ms + idle : UINT64_MAX;
	}
	return lc->lifetime_ms ? b->created_ms + lc->lifetime_ms : UINT64_MAX;
}

/* Arm b's timers afresh; those armed before are void from now on. */
void
bind_arm_timers(struct eng *e, struct binding *b)
{
	b->timer_gen++;
	for (uint8_t kind = TIMER_IDLE; kind <= TIMER_LIFETIME; kind++) {
		struct timer t = {
			.when = bind_deadline(e, b, kind),
			.slot = bt_slot(&e->bt, b),
			.serial = b->serial,
			.gen = b->timer_gen,
			.kind = kind,
		};

		if (t.when != UINT64_MAX && timers_push(&e->timers, &t) < 0)
			log_warnx("engine: no memory for a reclaim timer");
	}
}

/* A timer fired: reclaim, or push it back if the binding has been busy. */
void
eng_timer_fired(struct eng *e, const struct timer *t, uint64_t now_ms)
{
	struct binding *b = bt_by_slot(&e->bt, t->slot, t->serial);
	uint64_t when;

	if (b == NULL || b->state != BIND_READY || t->gen != b->timer_gen)
		return;
	when = bind_deadline(e, b, t->kind);
	if (when == UINT64_MAX)
		return;
	if (when > now_ms) {
		struct timer again = *t;

		again.when = when;
		timers_push(&e->timers, &again);
		return;
	}
	bind_reclaim(e, b, t->kind == TIMER_IDLE ? RECLAIM_IDLE : RECLAIM_LIFETIME,
	    false, now_ms);
}

void
bind_report_contain(struct eng *e, struct binding *b, uint64_t now_ms)
{
	struct eng_event ev;

	for (int i = 0; i < CONTAIN_SLOTS; i++) {
		struct contain_count *c = &b->contain[i];

		if (c->count == 0)
			continue;
		bind_event_init(e, &ev, EV_CONTAIN, b, now_ms);
		ev.type = NULL;
		ev.dir = EV_DIR_OUT;
		ev.proto = c->proto;
		ev.port = c->port;
		ev.count = c->count;
		eng_emit(e, &ev);
		*c = (struct contain_count){ 0 };
	}
	if (b->contain_other) {
		bind_event_init(e, &ev, EV_CONTAIN, b, now_ms);
		ev.type = NULL;
		ev.dir = EV_DIR_OUT;
		ev.count = b->contain_other;
		ev.reason = "other ports";
		eng_emit(e, &ev);
		b->contain_other = 0;
	}
}
