/* SPDX-License-Identifier: ISC */
/*
 * The gateway's engine: every table and every decision, and no kernel I/O.
 *
 * The daemon feeds it packets from the queues, records from the clone tools
 * and the time; the engine answers with a verdict for each packet and calls
 * the eng_io sink for what must happen outside (deliver a packet to a clone,
 * start or reclaim a clone, ask the resolver, report an event).  The replay
 * tool and the unit tests drive the very same engine with a clock of their
 * own, packet by packet.
 *
 * Time is an injected monotonic clock in milliseconds.  Nothing here blocks
 * and nothing on the packet path allocates.
 */
#ifndef POTEMKIN_ENGINE_H
#define POTEMKIN_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "lib/addr.h"
#include "lib/record.h"
#include "policy-dsl/policy.h"

struct eng;

#define ENG_TYPE_MAX RECORD_NAME_MAX	/* host type names, NUL included */
#define ENG_IFNAME_MAX RECORD_IFNAMSIZ
#define ENG_SOURCES_ALLOWED_MAX 16

/* Table sizes and knobs that are the operator's, not the policy's. */
struct eng_config {
	size_t history_max;	/* (universe, farm address, peer) entries */
	size_t scan_sources_max; /* sources tracked per scanner window */
	size_t universes_max;
	size_t dns_max;		/* outstanding proxied DNS questions */
	size_t fold_max;	/* log and dns events folded per interval */
	size_t backoff_max;	/* addresses backing off after a failed clone */
	uint32_t flow_idle_ms;	/* a cached flow expires after this long */
	uint32_t backoff_ms;	/* no new clone for an address that just failed */
	uint32_t contain_report_ms; /* how often drop summaries are reported */
	uint32_t pass_mark;	/* mark on outbound packets the policy passed */
	uint32_t dns_timeout_ms;
	uint32_t dns_rate;	/* questions per second per clone (and its burst) */
	uint32_t dns_per_clone;	/* outstanding questions per clone */
	size_t park_bytes;	/* largest packet that may be parked */
	/*
	 * Special-purpose sources the operator expects all the same (a lab
	 * behind NAT, say): taken as outside peers, and passed to.
	 */
	struct prefix sources_allowed[ENG_SOURCES_ALLOWED_MAX];
	size_t nsources_allowed;
	/*
	 * For the replay tool, which compares settings on one capture; the
	 * defaults leave the daemon as the policy says.
	 */
	uint64_t idle_ms;	/* nonzero: replaces the policy's idle timeout */
	bool no_scan_filter;	/* count no scanners: `scanner` never matches */
};

void eng_config_defaults(struct eng_config *c);

/* A clone as its record describes it, plus what the I/O side resolved. */
struct eng_vm {
	int id;				/* the clone tools' id */
	char type[ENG_TYPE_MAX];
	char ifname[ENG_IFNAME_MAX];	/* pk<ID> */
	uint8_t mac[6];			/* the guest's */
	uint32_t guest_ip;
	uint32_t gw_ip;
	uint32_t ip;			/* impersonated address */
	uint32_t universe;
	long pid;
	uint64_t created_ms;		/* Unix ms, from the record */
	char host[ENG_TYPE_MAX];	/* the VMM host it runs on, "" if unsaid */
	int ifindex;			/* filled in by the I/O side */
	uint8_t if_mac[6];		/* the host side's MAC, likewise */
};

/* The clone a record line names (lib/record.h), ifindex not yet known. */
void eng_vm_from_record(const struct clone_record *r, struct eng_vm *vm);

/* The verdict for the queued original. */
enum eng_verdict {
	ENG_DROP = 0,		/* the engine has dealt with it, or dropped it */
	ENG_PASS,		/* outbound only: accept it, as rewritten in place,
				 * with the pass mark; the kernel routes it out */
};

enum eng_event_kind {
	EV_START, EV_RELOAD, EV_BIND, EV_BIND_FAILED, EV_RECLAIM, EV_INFECTED,
	EV_FREEZE, EV_REFLECT, EV_DNS, EV_CONTAIN, EV_SCAN_FILTERED, EV_OVERLOAD,
	EV_LOG, EV_HOST,
};

/*
 * Which way the packet behind an event went, said where the engine makes it
 * (inbound.c, outbound.c...): it decides which of addr and peer is the
 * event's source and which its destination.
 */
enum eng_event_dir {
	EV_DIR_NONE,		/* no packet: addr is the farm address concerned */
	EV_DIR_IN,		/* peer (outside) to addr:port */
	EV_DIR_OUT,		/* addr (a clone) to peer:port */
	EV_DIR_INTERNAL,	/* peer (a clone) to addr:port (another clone) */
};

/* An event as plain data; eng_event_json turns it into one line of JSON. */
struct eng_event {
	enum eng_event_kind kind;
	enum eng_event_dir dir;
	uint64_t now_ms;		/* engine clock */
	int vm;				/* clone id, -1 if none */
	uint32_t binding;		/* binding serial, 0 if none */
	uint32_t universe;
	uint32_t addr;			/* the farm address concerned */
	uint32_t peer;			/* the outside address concerned */
	uint8_t proto;
	uint16_t port;			/* the destination's */
	uint64_t count;
	const char *type;		/* host type */
	const char *host;		/* the VMM host of the clone, if known */
	const char *state;		/* EV_HOST: "up" or "down" */
	const char *reason;		/* why; a short word or text */
	const char *name;		/* DNS name */
	uint16_t qtype;			/* DNS query type */
	const char *action;		/* EV_LOG: the decision */
	int line;			/* EV_LOG: the policy line */
};

/*
 * Write ev as JSON (no newline) into buf; returns the length, 0 when it
 * did not fit.  observer is the sensor's name, written as observer.name
 * when neither NULL nor empty.  The fields and their types are
 * nfq-gateway/events.schema.json's.
 */
size_t eng_event_json(const struct eng_event *ev, uint64_t wall_ms,
    const char *observer, char *buf, size_t cap);
const char *eng_event_name(enum eng_event_kind k);

/*
 * The kernel fast path (nfq-gateway/fastpath.c): a flow the engine has
 * decided, which the kernel may then carry on its own, packet by packet
 * exactly as the engine would, without the queues.  Addresses and ports in
 * host order, as in the engine.
 */
struct eng_fp_key {
	uint32_t src, dst;		/* as the packet arrives */
	uint16_t sport, dport;
	uint8_t proto;			/* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t dir;			/* POL_IN: on the external interface;
					 * POL_OUT: from a clone's interface */
	int ifindex;			/* POL_OUT: the clone's pk<ID> it must come
					 * in on; POL_IN: 0 */
};

struct eng_fp_flow {
	struct eng_fp_key key;
	/* What becomes of each packet: the addresses it leaves with. */
	uint32_t new_src, new_dst;	/* equal to the key's when unchanged */
	/* POL_IN: sent out of the clone's interface, this Ethernet header. */
	int out_ifindex;
	uint8_t dmac[6];		/* the clone's MAC */
	uint8_t smac[6];		/* the host side of pk<ID> */
	/* POL_OUT: accepted with this mark, routed by the kernel. */
	uint32_t mark;
	/*
	 * The engine's own decision holds until this engine time (ms) if no
	 * further packet arrives (`reply within`: the peer's history plus
	 * the window); UINT64_MAX when nothing but the flow itself ends it.
	 * Past it the kernel hands the flow's packets back to the queues.
	 */
	uint64_t expires_ms;
	uint32_t binding;		/* the binding's serial */
	int vm;				/* the clone's id */
};

/*
 * What the engine asks of the world.  Every call happens synchronously inside
 * an engine call; the sink must copy what it keeps.
 */
struct eng_io {
	/* Send this IPv4 packet to the clone (an AF_PACKET write on pk<ID>). */
	void (*deliver)(void *ctx, const struct eng_vm *vm, const uint8_t *pkt,
	    size_t len);
	/* Send this IPv4 packet towards the outside (a gateway-built reply). */
	void (*emit)(void *ctx, const uint8_t *pkt, size_t len);
	/* Start a clone for binding `serial`; answer with eng_clone_ready/failed. */
	void (*clone)(void *ctx, uint32_t serial, const char *type, uint32_t ip,
	    uint32_t universe);
	/* Destroy the clone (the binding is already gone). */
	void (*teardown)(void *ctx, const struct eng_vm *vm);
	/* Preserve the clone for analysis, then destroy it. */
	void (*freeze)(void *ctx, const struct eng_vm *vm);
	/*
	 * Send this DNS message to the resolver from one of the gateway's own
	 * sockets; returns which (0..255), for the answer to come back on.
	 */
	unsigned (*dns_query)(void *ctx, uint32_t resolver, const uint8_t *msg, size_t len);
	void (*event)(void *ctx, const struct eng_event *ev);
	/*
	 * Optional (NULL in the daemon): every decision the policy takes, for
	 * the replay tool's counts per rule.  A packet that follows its flow's
	 * cached decision, or that no rule is asked about, gives none.
	 */
	void (*decided)(void *ctx, const struct pol_packet *pkt,
	    const struct pol_decision *d);
	/*
	 * Optional (NULL: no fast path).  fp_add offers a decided flow to the
	 * kernel; false when it was not taken (no fast path, table full, the
	 * clone is captured), and the flow stays on the queues.  Offering a
	 * key again replaces its entry.  fp_del withdraws one flow, fp_forget
	 * every flow of a binding, fp_flush all of them: the engine calls them
	 * before it forgets or changes a decision it offered, so that the
	 * kernel never carries a packet the engine would now treat otherwise.
	 */
	bool (*fp_add)(void *ctx, const struct eng_fp_flow *f);
	void (*fp_del)(void *ctx, const struct eng_fp_key *k);
	void (*fp_forget)(void *ctx, uint32_t binding);
	void (*fp_flush)(void *ctx);
	void *ctx;
};

struct eng_stats {
#define ENG_STAT_COUNTER(name) uint64_t name;
#define ENG_STAT_GAUGE(name) size_t name;
	ENG_COUNTERS(ENG_STAT_COUNTER)
	ENG_GAUGES(ENG_STAT_GAUGE)
#undef ENG_STAT_COUNTER
#undef ENG_STAT_GAUGE
};

struct eng *eng_new(const struct eng_config *c, const struct pol_program *prog,
    const struct eng_io *io, uint64_t now_ms);
/* Tears nothing down: the caller decides what becomes of live clones. */
void eng_free(struct eng *e);

/*
 * Swap in a new policy (already loaded and checked).  Bindings, universes and
 * history stay; the flow cache is emptied so every flow meets the new rules.
 * The caller frees the old program after this returns.
 */
int eng_set_policy(struct eng *e, const struct pol_program *prog, uint64_t now_ms);

/* An inbound packet (queue 0).  data may be rewritten in place. */
enum eng_verdict eng_inbound(struct eng *e, uint8_t *data, size_t len, uint64_t now_ms);
/*
 * A hint, for a packet that eng_inbound will see next or the one after (the
 * next of a receive batch): start loading its flow, history and scan-filter
 * slots, so that their cache misses overlap the work on the packets before
 * it, and keep the keyed hashes for eng_inbound to reuse.  Decides nothing;
 * TCP and UDP first fragments only.
 */
void eng_prefetch_inbound(struct eng *e, const uint8_t *data, size_t len);
/* A packet a clone sent, seen on the interface with this ifindex (queue 1). */
enum eng_verdict eng_outbound(struct eng *e, int ifindex, uint8_t *data, size_t len,
    uint64_t now_ms);

/* The clone on this interface, NULL if none is bound (a lookup in a hash table). */
const struct eng_vm *eng_vm_by_ifindex(const struct eng *e, int ifindex);

/* The clone for binding `serial` is up (vm filled from its record). */
void eng_clone_ready(struct eng *e, uint32_t serial, const struct eng_vm *vm,
    uint64_t now_ms);
void eng_clone_failed(struct eng *e, uint32_t serial, const char *why, uint64_t now_ms);

/* A resolver's answer arrived on the gateway's DNS socket `channel`. */
void eng_dns_answer(struct eng *e, uint32_t from, unsigned channel, const uint8_t *msg,
    size_t len, uint64_t now_ms);

/*
 * Run the timers due by now (idle and lifetime reclaim, DNS expiry, drop
 * summaries).  Returns when the engine next needs a tick, UINT64_MAX if never.
 */
uint64_t eng_tick(struct eng *e, uint64_t now_ms);
/* When eng_tick next has something to do (what it last returned, or sooner). */
uint64_t eng_next_tick(const struct eng *e);

/*
 * What the kernel counted for a fast-path flow since it was last asked:
 * packets and bytes, and the engine time of the last of them.  The engine
 * takes them as it would have taken the packets themselves (the flow's and
 * the binding's idle timers and counters, the history of who spoke), but
 * decides nothing.  The daemon reports every flow with new packets before
 * each eng_tick, so that no idle decision misses traffic the kernel carried.
 */
void eng_fp_seen(struct eng *e, const struct eng_fp_key *k, uint64_t packets,
    uint64_t bytes, uint64_t last_ms, uint64_t now_ms);

/* Operator commands; 0 or -1 with *why set. */
int eng_bind(struct eng *e, uint32_t addr, const char *type, uint32_t universe,
    uint64_t now_ms, const char **why);
int eng_reclaim_vm(struct eng *e, int vm, bool freeze, uint64_t now_ms,
    const char **why);
int eng_mark_infected(struct eng *e, int vm, const char *reason, uint64_t now_ms,
    const char **why);
/*
 * Report now the events only counted so far (folded log and dns events):
 * at the daemon's exit and the end of a replay.
 */
void eng_flush_events(struct eng *e, uint64_t now_ms);
/*
 * A VMM host changed state (the placement's health check said so): an
 * event, and when it is down every clone bound there is reclaimed (their
 * teardown frees what is left on this side).  Returns how many.
 */
size_t eng_host_state(struct eng *e, const char *host, bool up, const char *why,
    uint64_t now_ms);
/* Reclaim everything (the daemon's exit); freeze or not as the policy says. */
void eng_reclaim_all(struct eng *e, uint64_t now_ms);

void eng_stats(const struct eng *e, struct eng_stats *out);

/* Read-only views for the control socket. */
struct eng_binding_info {
	uint32_t serial;
	uint32_t universe;
	uint32_t addr;
	const char *type;
	const char *state;		/* "pending" or "ready" */
	const struct eng_vm *vm;	/* NULL while pending */
	uint64_t created_ms, last_ms;	/* engine clock */
	uint64_t packets_in, packets_out, bytes_in, bytes_out;
	bool infected;
	unsigned parked;
};
typedef void eng_binding_cb(void *ctx, const struct eng_binding_info *b);
void eng_foreach_binding(const struct eng *e, eng_binding_cb *cb, void *ctx);
/*
 * The bindings of farm address addr, as a detector that saw it names them:
 * the one in universe `universe` if not 0, else those of the universes the
 * outside address `peer` is in if not 0 (the one a shared farm has, the
 * per-source or per-pair universes keyed by peer), else all.  Calls cb for
 * each; returns how many.
 */
size_t eng_bindings_of(const struct eng *e, uint32_t addr, uint32_t universe,
    uint32_t peer, eng_binding_cb *cb, void *ctx);

struct eng_universe_info {
	uint32_t id;
	const char *mode;
	uint32_t src, dst;		/* the key: per-source src, per-pair both */
	unsigned bindings;
	uint64_t created_ms;
};
typedef void eng_universe_cb(void *ctx, const struct eng_universe_info *u);
void eng_foreach_universe(const struct eng *e, eng_universe_cb *cb, void *ctx);

struct eng_flow_info {
	uint32_t src, dst;
	uint16_t sport, dport;
	uint8_t proto;
	uint8_t dir;
	const char *action;
	uint32_t binding;		/* serial, 0 if none */
	uint32_t age_s;
};
/* cb returns false to stop. */
typedef bool eng_flow_cb(void *ctx, const struct eng_flow_info *f);
void eng_foreach_flow(const struct eng *e, uint64_t now_ms, eng_flow_cb *cb, void *ctx);

#endif
