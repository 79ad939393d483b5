/* SPDX-License-Identifier: ISC */
/*
 * The engine's insides, shared by its files and by nothing else: the tables
 * (one file each), the binding state machine and the decisions.
 */
#ifndef POTEMKIN_ENG_INT_H
#define POTEMKIN_ENG_INT_H

#include "engine.h"
#include "htab.h"
#include "packet.h"

/* ---- universes (universe.c) ---------------------------------------------- */

struct universe {
	uint64_t key;		/* per-source: src; per-pair: src<<32|dst; shared: 0 */
	uint32_t id;		/* public number, never 0 */
	uint32_t bindings;	/* live bindings in it */
	uint64_t created_ms;
	bool in_use;
};

struct universes {
	struct htab *index;	/* key -> slab index */
	struct universe *slab;
	uint32_t *free;		/* free slab indices */
	size_t nfree, max;
	uint32_t next_id;
};

int univ_init(struct universes *u, size_t max);
void univ_fini(struct universes *u);
/* The universe for key, or -1 (creating it when create). */
int64_t univ_lookup(struct universes *u, uint64_t key, bool create, uint64_t now_ms,
    uint32_t stamp);
/* The same, the key's hash worked out once per packet by univ_hash. */
uint32_t univ_hash(const struct universes *u, uint64_t key);
int64_t univ_lookup_hashed(struct universes *u, uint64_t key, uint32_t hash, bool create,
    uint64_t now_ms, uint32_t stamp);
/* A universe of its own, for operator bindings outside any conversation. */
int64_t univ_new_private(struct universes *u, uint64_t now_ms, uint32_t stamp);
void univ_hold(struct universes *u, uint32_t idx);
void univ_release(struct universes *u, uint32_t idx);
int64_t univ_by_id(const struct universes *u, uint32_t id);
/* Is the outside address peer in u (its key names it, or u is shared)? */
bool univ_has_peer(const struct universe *u, uint32_t peer);

/* ---- history (history.c) -------------------------------------------------- */

struct hist_key;

/*
 * Called when the history forgets what an entry said (the entry evicted,
 * or one of its conversations pushed out by a newer one): a decision that
 * rested on it may end (fastpath.c).  It must not touch the history.
 */
typedef void hist_forgot(void *ctx, const struct hist_key *k);

struct history {
	struct htab *t;
	hist_forgot *forgot;	/* NULL: nobody asks */
	void *ctx;
};

int hist_init(struct history *h, size_t max, hist_forgot *forgot, void *ctx);
void hist_fini(struct history *h);

struct hist_key {
	uint32_t ukey_lo, ukey_hi, farm, peer;
};

/* An entry's key and hash, worked out once per packet (htab_hash is dear). */
struct hist_ref {
	struct hist_key k;
	uint32_t hash;
};

/* Fill in r and start loading the slot hist_note will look at. */
void hist_ref(const struct history *h, struct hist_ref *r, uint64_t ukey, uint32_t farm,
    uint32_t peer);
/*
 * A conversation the peer started: its protocol and the two ports (farm
 * side, peer side; for ICMP echo, 0 and the echo id).  proto 0: none.
 */
struct hist_conv {
	uint16_t farm_port, peer_port;
	uint8_t proto;
};

/* True when the peer had not been heard from (the entry is new). */
bool hist_note(struct history *h, const struct hist_ref *r, const struct hist_conv *conv,
    uint64_t now_ms, uint32_t stamp);
/* Milliseconds since peer last spoke to farm in this universe, or UINT64_MAX. */
uint64_t hist_age(const struct history *h, uint64_t ukey, uint32_t farm,
    uint32_t peer, uint64_t now_ms);
/* Milliseconds since the peer last spoke in this conversation, or UINT64_MAX. */
uint64_t hist_conv_age(const struct history *h, uint64_t ukey, uint32_t farm,
    uint32_t peer, const struct hist_conv *conv, uint64_t now_ms);

/* ---- scan filter (scanfilter.c) ----------------------------------------- */

#define SCAN_SPECS_MAX POL_SCANNERS_MAX

struct scan_pool;

struct scanfilter {
	struct htab *t;
	struct scan_pool *pool;	/* the addresses each source reached */
	struct pol_scanner spec[SCAN_SPECS_MAX];
	size_t nspec;
	size_t keep;		/* distinct addresses remembered per source */
	uint64_t epoch_ms;	/* times are kept as 32-bit offsets from here */
};

int scan_init(struct scanfilter *s, const struct pol_program *prog, size_t max_sources,
    uint64_t now_ms);
void scan_fini(struct scanfilter *s);
/* Memory the filter holds, its table and its pool. */
size_t scan_bytes(const struct scanfilter *s);
bool scan_same_specs(const struct scanfilter *s, const struct pol_program *prog);

struct scan_key {
	uint32_t src;
	uint16_t port;		/* the destination port for per-port windows */
	uint16_t spec;
};

/* A source's entries in every window, keys and hashes, worked out once. */
struct scan_ref {
	struct scan_key k[SCAN_SPECS_MAX];
	uint32_t hash[SCAN_SPECS_MAX];
};

/* Fill in r for a packet from src to dport and start loading its slots. */
void scan_ref(const struct scanfilter *s, struct scan_ref *r, uint32_t src, uint16_t dport);
/*
 * Count the destination dst for r's source in every window; counts[i] gets
 * the distinct addresses in window i.  *crossed is set for a window the
 * source has just gone over.
 */
void scan_note(struct scanfilter *s, const struct scan_ref *r, uint32_t dst,
    uint64_t now_ms, uint32_t stamp, uint32_t counts[SCAN_SPECS_MAX], bool *crossed);

/* ---- flow cache (flows.c) ------------------------------------------------- */

/* What a cached flow leads to. */
enum flow_action {
	FLOW_DELIVER = 1,	/* to the binding it names */
	FLOW_DROP,
};

struct flow_key {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint8_t proto, dir;
	uint16_t pad;
};

struct flow_val {
	uint32_t slot_action;	/* binding slot for FLOW_DELIVER, else the action */
	uint32_t serial;	/* the binding's serial, 0 for a plain action */
};

/*
 * The high bits of a binding's slot_action say what the kernel fast path
 * knows of the flow (fastpath.c): whether its decision may be carried by
 * the kernel, and whether it was offered and taken.  An outbound flow is
 * in the cache only as the record of such an offer (dir POL_OUT).
 */
#define FLOW_SLOT	0x3fffffffu
#define FLOW_FP_MAY	0x40000000u
#define FLOW_FP_ON	0x80000000u

struct flows {
	struct htab *t;
	uint32_t idle_s;	/* stamps are in (ms >> 10) ticks */
	htab_evicted *gone;	/* an entry leaves: expired or evicted */
	void *gone_ctx;
};

int flows_init(struct flows *f, size_t max, uint32_t idle_ms, htab_evicted *gone,
    void *gone_ctx);
void flows_fini(struct flows *f);
/* The key of p's flow in direction dir. */
void flow_key_of(struct flow_key *k, const struct pkt *p, uint8_t dir);
/*
 * The hash of k for the two calls below; the flow's slot starts loading at
 * once (the table is the engine's largest: the lookup's cache miss then
 * overlaps the work in between).
 */
uint32_t flows_hash(const struct flows *f, const struct flow_key *k);
struct flow_val *flows_find(struct flows *f, const struct flow_key *k, uint32_t hash,
    uint32_t stamp);
struct flow_val *flows_put(struct flows *f, const struct flow_key *k, uint32_t hash,
    uint32_t slot_action, uint32_t serial, uint32_t stamp);

/* ---- bindings (bindings.c) ------------------------------------------------ */

enum bind_state { BIND_FREE = 0, BIND_PENDING, BIND_READY };

#define CONTAIN_SLOTS 4
#define RATE_SLOTS 8	/* limited rules a clone may use at once */

struct contain_count {
	uint8_t proto;
	uint16_t port;
	uint32_t count;
};

struct rate_bucket {
	int rule;		/* -1: unused */
	uint32_t tokens;
	uint64_t last_ms;
};

struct binding {
	uint32_t serial;	/* unique for the engine's life, never 0 */
	uint32_t uidx;		/* universe slab index */
	uint32_t addr;		/* the impersonated farm address */
	uint32_t peer;		/* the outside source that caused it */
	uint8_t state;		/* enum bind_state */
	bool infected;
	char type[ENG_TYPE_MAX];
	uint64_t created_ms, last_ms, infected_ms;
	uint64_t pkts_in, pkts_out, bytes_in, bytes_out;
	uint32_t timer_gen;	/* timers armed under an older one are void */
	uint32_t park_head, park_tail;	/* parked packets, oldest first */
	uint32_t parked;
	struct eng_vm vm;	/* valid when ready */
	struct contain_count contain[CONTAIN_SLOTS];
	uint32_t contain_other;
	struct rate_bucket rate[RATE_SLOTS];
	uint16_t dns_outstanding;	/* its questions the resolver owes */
	uint32_t dns_tokens;		/* questions it may still ask now */
	uint64_t dns_last_ms;
};

#define PARK_NONE UINT32_MAX
#define PARK_POOL_MAX 65536	/* parked-packet buffers at most (128 MiB) */

/* ---- the binding table and the parked-packet pool (bindtab.c) ------------ */

struct bindtab {
	struct binding *slab;	/* slot 0 is never used */
	size_t nslots;
	uint32_t *free_slots;
	size_t nfree;
	struct htab *by_key;	/* (uidx, addr) -> slot */
	struct htab *by_if;	/* ifindex -> slot, ready bindings */
	/*
	 * The last (universe, address) looked up and its hash: a packet asks
	 * for the same one two or three times (the policy's `bound`, then
	 * bind or pass).  Valid while memo_of is by_key (bt_grow clears it).
	 */
	uint32_t memo_uidx, memo_addr, memo_hash;
	const struct htab *memo_of;
	uint32_t next_serial;
	size_t live, pending;	/* bindings ready / pending */
};

int bt_init(struct bindtab *bt, size_t vms);
void bt_fini(struct bindtab *bt);
/* Room for vms bindings (at start, and when a reload raises the limit). */
int bt_grow(struct bindtab *bt, size_t vms);
size_t bt_bytes(const struct bindtab *bt);
uint32_t bt_slot(const struct bindtab *bt, const struct binding *b);
struct binding *bt_find(struct bindtab *bt, uint32_t uidx, uint32_t addr);
/* The binding in slot if it is still the one with this serial, else NULL. */
struct binding *bt_by_slot(const struct bindtab *bt, uint32_t slot, uint32_t serial);
struct binding *bt_by_ifindex(const struct bindtab *bt, int ifindex);
struct binding *bt_by_vm(const struct bindtab *bt, int vm);
struct binding *bt_pending(const struct bindtab *bt, uint32_t serial);
/* A new pending binding, zeroed but for its key and serial; NULL when full. */
struct binding *bt_insert(struct bindtab *bt, uint32_t uidx, uint32_t addr,
    uint32_t stamp);
/* b's clone is up (b->vm set): index its interface. */
void bt_set_ready(struct bindtab *bt, struct binding *b, uint32_t stamp);
/* Out of every index, its slot free; its parked packets must be gone. */
void bt_remove(struct bindtab *bt, struct binding *b);

struct park_buf {
	uint32_t next;
	uint16_t len;
	uint8_t data[];
};

struct parkpool {
	unsigned char *buf;
	size_t size;		/* bytes per park_buf */
	size_t bytes;		/* the largest packet a buffer holds */
	size_t count;
	uint32_t free;		/* the free list's head */
};

int park_init(struct parkpool *pp, size_t n, size_t bytes);
void park_fini(struct parkpool *pp);
int park_grow(struct parkpool *pp, size_t n);
/* Append a copy to b's parked packets; -1 when no buffer is free or fits. */
int park_push(struct parkpool *pp, struct binding *b, const uint8_t *data, size_t len);
/* Hand b's parked packets to fn (if any) oldest first, and free them. */
typedef void park_fn(void *ctx, struct binding *b, uint8_t *data, size_t len);
void park_drain(struct parkpool *pp, struct binding *b, park_fn *fn, void *ctx);
size_t park_bytes(const struct parkpool *pp);

/* ---- timers (timers.c) ---------------------------------------------------- */

enum timer_kind { TIMER_IDLE, TIMER_LIFETIME };

struct timer {
	uint64_t when;
	uint32_t slot, serial;
	uint32_t gen;		/* the binding's timer_gen when armed */
	uint8_t kind;
};

struct timers {
	struct timer *heap;
	size_t n, cap;
};

int timers_push(struct timers *t, const struct timer *tm);
bool timers_pop_due(struct timers *t, uint64_t now, struct timer *out);
uint64_t timers_next(const struct timers *t);

/* ---- DNS proxy (dnsproxy.c) ---------------------------------------------- */

struct dns_pending {
	uint32_t slot, serial;	/* the asking clone's binding */
	uint32_t asked;		/* the address the clone sent its question to */
	uint32_t resolver;
	uint16_t client_port;
	uint16_t client_id;
	uint64_t sent_ms;
	uint16_t qtype, qclass;
	uint32_t name_hash;	/* of the question as sent, case and all */
	uint8_t flipped[32];	/* bits: question bytes whose case we changed (0x20) */
	uint8_t channel;	/* the socket it left from: the answer comes there */
};

struct dnsproxy {
	struct htab *t;		/* our query id -> dns_pending */
	uint8_t rnd[256];	/* from the kernel's CSPRNG, used up in order */
	size_t rnd_left;
};

int dns_init(struct dnsproxy *d, size_t max);
void dns_fini(struct dnsproxy *d);

/* ---- folded events (evfold.c) ---------------------------------------------- */

struct fold_val {
	struct eng_event ev;	/* the first of the interval, as sent */
	uint64_t folded;	/* the repeats since */
	char name[128];		/* ev.name's text (dns), cut */
};

struct evfold {
	struct htab *t;
};

int fold_init(struct evfold *f, size_t max);
void fold_fini(struct evfold *f);

/* ---- the kernel fast path (fastpath.c) ---------------------------------- */

struct fastpath {
	/* history entry -> the outbound offers whose `reply within` rests on it */
	struct htab *rests;
	bool any, any_out;	/* offers made since the last flush (a hint) */
};

/*
 * Offers are made only when the eng_io has fp_add; every withdrawal below
 * is a no-op otherwise.
 */
int fp_init(struct eng *e);
void fp_fini(struct eng *e);
/* FLOW_FP_MAY if this inbound decision may be carried by the kernel, else 0. */
uint32_t fp_may_inbound(const struct eng *e, const struct pkt *p,
    const struct pol_decision *d);
/* Offer the inbound flow of cache entry v, if it may be and is not yet. */
void fp_offer_inbound(struct eng *e, const struct flow_key *k, struct flow_val *v,
    const struct binding *b);
/* b's packet p (source already rewritten) was passed under d: offer its flow. */
void fp_offer_outbound(struct eng *e, const struct binding *b, const struct pkt *p,
    const struct pol_decision *d, uint64_t now_ms);
htab_evicted fp_flow_gone;		/* flows' gone hook */
hist_forgot fp_hist_forgot;		/* the history's */
/* Withdraw everything b's flows were offered (before b leaves or changes). */
void fp_forget_binding(struct eng *e, const struct binding *b);
/* Withdraw every offer (before a new policy decides). */
void fp_flush_all(struct eng *e);
/* Withdraw the offers whose flow-cache entry has expired (eng_tick). */
void fp_expire(struct eng *e, uint64_t now_ms);
/* addr, outside the farm, was just bound in universe uidx: passes to it end. */
void fp_bound_outside(struct eng *e, uint32_t uidx, uint32_t addr);

/* ---- the engine ------------------------------------------------------------ */

/*
 * The keys and hashes of the tables an inbound packet touches, worked out
 * once per packet: by eng_prefetch_inbound for a packet still to come, then
 * taken over by eng_inbound when it does (two may be in flight).  The flow's
 * hash is not among them: eng_inbound needs it only for a peer its history
 * already knows.
 */
struct in_refs {
	struct flow_key fk;	/* proto 0: an empty place */
	uint64_t ukey;
	uint32_t uh;		/* the universe key's hash */
	struct hist_ref hist;
	struct scan_ref scan;	/* when the scan filter counts */
};

struct eng {
	struct eng_config cfg;
	const struct pol_program *prog;
	/* Who may be a peer (sources.c), from the policy's farm. */
	const struct prefix *farm;
	size_t nfarm;
	bool farm_documented;	/* a farm prefix lies in documentation space */
	struct eng_io io;
	struct eng_stats st;
	uint64_t start_ms;

	struct universes univ;
	struct history hist;
	struct scanfilter scan;
	struct flows flows;
	struct dnsproxy dns;
	struct evfold fold;
	uint64_t fold_now;
	struct htab *backoff;	/* address -> until (ms) */

	struct bindtab bt;
	struct parkpool park;

	struct in_refs ahead[2];	/* emptied when a table is replaced */
	unsigned ahead_next;

	struct timers timers;
	struct fastpath fp;
	uint64_t next_housekeeping;
	uint64_t next_contain_report;
	uint64_t last_overload_ms[4];
};

static inline uint32_t
eng_stamp(uint64_t now_ms)
{
	return (uint32_t)(now_ms >> 10);
}

/* events.c: an event made (the kind and time set, no clone) and sent out */
void eng_event_init(struct eng_event *ev, enum eng_event_kind kind, uint64_t now_ms);
void eng_emit(struct eng *e, struct eng_event *ev);
/* A limit was hit: an overload event, at most once a second for each kind. */
void eng_overload(struct eng *e, unsigned which, const char *reason, uint32_t addr,
    uint64_t now_ms);

/* sources.c: who may be a peer of the farm */
enum peer_verdict { PEER_OK, PEER_MARTIAN, PEER_SPECIAL, PEER_FARM };
enum peer_verdict eng_peer_check(const struct eng *e, uint32_t addr);
void eng_peer_policy(struct eng *e);	/* after the policy changed */

/*
 * evfold.c: is ev (log or dns) the first of its kind from its source in
 * this interval?  If not it is counted, to be reported with the others at
 * the interval's end (fold_report, from eng_tick).
 */
bool fold_first(struct eng *e, const struct eng_event *ev);
void fold_report(struct eng *e, uint64_t now_ms);

/* bindings.c */
int bind_init(struct eng *e, size_t vms);
void bind_fini(struct eng *e);
size_t park_pool_size(const struct pol_program *prog);
/*
 * A new pending binding with its clone requested; NULL when a limit says no.
 * Capacity pressure may reclaim another clone, never keep.
 */
struct binding *bind_create(struct eng *e, uint32_t uidx, uint32_t addr,
    const char *type, uint32_t peer, const struct binding *keep, uint64_t now_ms);
/* Hand pkt to b: delivered now when ready, parked while pending. */
void bind_deliver(struct eng *e, struct binding *b, uint8_t *data, size_t len,
    uint64_t now_ms);
enum reclaim_reason { RECLAIM_IDLE, RECLAIM_LIFETIME, RECLAIM_PRESSURE,
	RECLAIM_OPERATOR, RECLAIM_INFECTED, RECLAIM_EXIT, RECLAIM_HOST };
void bind_reclaim(struct eng *e, struct binding *b, enum reclaim_reason why,
    bool freeze, uint64_t now_ms);
void bind_mark_infected(struct eng *e, struct binding *b, const char *reason,
    uint64_t now_ms);
void bind_arm_timers(struct eng *e, struct binding *b);
void bind_report_contain(struct eng *e, struct binding *b, uint64_t now_ms);
/* An event about b: its clone, serial, universe, address and type filled in. */
void bind_event_init(struct eng *e, struct eng_event *ev, enum eng_event_kind kind,
    const struct binding *b, uint64_t now_ms);
void eng_timer_fired(struct eng *e, const struct timer *t, uint64_t now_ms);


/*
 * decide.c: ask the policy about p, answering its state questions from the
 * engine's tables (history in universe ukey, the scan counts just taken,
 * bindings of the universe).
 */
void policy_decide(struct eng *e, const struct pkt *p, enum pol_dir dir, uint64_t ukey,
    int64_t uidx, const uint32_t *counts, uint64_t now_ms, struct pol_decision *d);
/* The `log` modifier: an event for p and the decision (b: the sending clone). */
void policy_log(struct eng *e, const struct binding *b, enum eng_event_dir dir,
    const struct pkt *p, const struct pol_decision *d, uint64_t now_ms);
/* The host type for a farm address, or fallback when no hosts line covers it. */
const char *eng_binding_type(struct eng *e, uint32_t addr, const char *fallback);

/* dnsproxy.c: the outbound proxy path and the answer path */
void dns_proxy_query(struct eng *e, struct binding *b, const struct pkt *p,
    uint32_t resolver, uint64_t now_ms);
void dns_expire(struct eng *e, uint64_t now_ms);

#endif
