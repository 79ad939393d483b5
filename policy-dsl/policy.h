/* SPDX-License-Identifier: ISC */
/*
 * libpolicy: the farm policy, from the text an operator writes to the
 * decisions the gateway takes.  This header is the whole interface the rest
 * of Potemkin uses; the syntax tree, the checker and the printer are the
 * library's own business (see pol_int.h).
 *
 * Addresses are IPv4 in host byte order, durations in milliseconds.
 */
#ifndef POTEMKIN_POLICY_H
#define POTEMKIN_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/addr.h"

struct pol_program;

enum pol_dir { POL_IN = 0, POL_OUT = 1 };

enum pol_action {
	POL_DROP = 0,	/* also the verdict when no rule matches */
	POL_PASS,
	POL_REJECT,	/* TCP RST / ICMP unreachable built by the gateway */
	POL_BIND,	/* inbound: late-bind the destination to a clone */
	POL_REFLECT,	/* outbound: deliver to a clone of the same universe */
	POL_PROXY,	/* outbound: the gateway asks `via` on the clone's behalf */
};

enum pol_universe { POL_UNIV_PER_SOURCE = 0, POL_UNIV_PER_PAIR, POL_UNIV_SHARED };

/* What happens to a clone once a rule marked it infected. */
enum pol_infected { POL_INF_KEEP = 0, POL_INF_FREEZE, POL_INF_TEARDOWN };

/* Decision flags. */
#define POL_F_LOG	0x1	/* log the packet and the decision */
#define POL_F_INFECTED	0x2	/* mark the sending clone infected */

/* Which state questions a decision needed (pol_decision.consulted). */
#define POL_Q_REPLY	0x1
#define POL_Q_SCAN	0x2
#define POL_Q_BOUND	0x4

/* TCP flag bits as on the wire. */
#define POL_TH_FIN 0x01
#define POL_TH_SYN 0x02
#define POL_TH_RST 0x04
#define POL_TH_PSH 0x08
#define POL_TH_ACK 0x10
#define POL_TH_URG 0x20
#define POL_TH_ECE 0x40
#define POL_TH_CWR 0x80

/* The facts of one packet, as the gateway parsed them. */
struct pol_packet {
	uint32_t src, dst;
	uint16_t sport, dport;	/* 0 when the protocol has none */
	uint8_t dir;		/* enum pol_dir */
	uint8_t proto;		/* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, ... */
	uint8_t tcp_flags;	/* TCP only */
	uint8_t icmp_type;	/* ICMP only */
};

/*
 * State the caller owns.  The evaluator asks only when a rule needs the
 * answer, in rule order, so a policy that never says "reply within" never
 * pays for the history lookup.
 */
struct pol_state {
	/*
	 * Milliseconds since peer last sent a packet to farm_addr, or
	 * UINT64_MAX if never.  The farm side is dst for inbound packets and
	 * src for outbound ones; the peer is the other side.
	 */
	uint64_t (*reply_age)(void *ctx, uint32_t farm_addr, uint32_t peer);
	/*
	 * "reply conversation within": milliseconds since the peer last sent
	 * a packet of the conversation pkt answers (the same protocol and
	 * ports, reversed; for an ICMP error, the conversation of the packet
	 * it quotes), or UINT64_MAX.  NULL: as reply_age.
	 */
	uint64_t (*conv_age)(void *ctx, const struct pol_packet *pkt);
	/*
	 * How many distinct farm addresses src has reached within the scanner
	 * window scan (an index into pol_scanners()), counting this packet.
	 */
	uint32_t (*scan_count)(void *ctx, const struct pol_packet *pkt, unsigned scan);
	/* Is the farm side of pkt bound to a clone in its universe? */
	bool (*bound)(void *ctx, const struct pol_packet *pkt);
	void *ctx;
};

struct pol_decision {
	uint8_t action;		/* enum pol_action */
	uint8_t flags;		/* POL_F_* */
	uint8_t consulted;	/* POL_Q_* */
	uint32_t via;		/* POL_PROXY: the resolver */
	uint32_t limit_n;	/* rate limit per clone: limit_n packets ... */
	uint32_t limit_ms;	/* ... per limit_ms; 0 when there is none */
	int rule;		/* index within its direction's list; -1: no rule */
	int line;		/* the rule's line in the policy file; 0: no rule */
};

/*
 * A scanner window the gateway must count for: distinct farm addresses per
 * outside source within window_ms, per destination port when per_port.
 */
/* Different scanner windows a policy may use: the gateway counts each one. */
#define POL_SCANNERS_MAX 8

struct pol_scanner {
	uint32_t threshold;
	uint64_t window_ms;
	bool per_port;
};

struct pol_limits {
	uint32_t vms;		/* live clones in all */
	uint32_t clones;	/* clones being made at once */
	uint32_t pending;	/* parked packets per pending binding */
	uint32_t flows;		/* flow-cache entries */
};

struct pol_lifecycle {
	uint64_t idle_ms;	/* reclaim after this long without a packet */
	uint64_t lifetime_ms;	/* reclaim at this age whatever happens; 0: never */
	uint8_t infected;	/* enum pol_infected */
	uint64_t infected_keep_ms; /* POL_INF_KEEP: lifetime of infected clones */
};

/*
 * Load and compile a policy.  Every error and warning is written to errs as
 * "file:line:col: message" (warnings say "warning:").  Returns the number of
 * errors; *out is set only when there were none.  Warnings alone do not fail.
 * pol_load_file (and pol_load_tool) first refuse a file that is not text
 * (NUL bytes, a pcap or pcapng capture) in one line, "file: not a policy:
 * binary data"; pol_load_buf parses whatever it is given.
 */
int pol_load_file(const char *path, FILE *errs, struct pol_program **out);
/* The same for an open descriptor, read to its end; name is for messages.
 * A read error is an error: a policy cut short never loads. */
int pol_load_fd(const char *name, int fd, FILE *errs, struct pol_program **out);
int pol_load_buf(const char *name, const char *buf, size_t len, FILE *errs,
    struct pol_program **out);
/* What the bytes are when they are no policy ("binary data", "a pcap
 * capture", "a pcapng capture"); NULL when they may be one. */
const char *pol_not_text(const char *buf, size_t len);
/*
 * For the command-line tools: load path ("-": stdin) with every message on
 * stderr, and the count of errors after the program's name; NULL on errors.
 */
struct pol_program *pol_load_tool(const char *path);
void pol_free(struct pol_program *prog);

/* Decide pkt with first-match semantics; never fails, never allocates. */
void pol_eval(const struct pol_program *prog, const struct pol_packet *pkt,
    const struct pol_state *state, struct pol_decision *out);
/*
 * The same decision by walking the syntax tree: slow and obviously right,
 * the oracle pol_eval is tested and measured against.
 */
void pol_eval_ref(const struct pol_program *prog, const struct pol_packet *pkt,
    const struct pol_state *state, struct pol_decision *out);

/* The normalized text of the policy (what `potemkin-policy dump` prints). */
int pol_dump(const struct pol_program *prog, FILE *out);

/* Settings. */
enum pol_universe pol_universe_mode(const struct pol_program *prog);
const struct pol_limits *pol_limits(const struct pol_program *prog);
const struct pol_lifecycle *pol_lifecycle(const struct pol_program *prog);
const struct pol_scanner *pol_scanners(const struct pol_program *prog, size_t *n);

/* The farm: is addr inside one of its prefixes? */
bool pol_in_farm(const struct pol_program *prog, uint32_t addr);
const struct prefix *pol_farm_prefixes(const struct pol_program *prog, size_t *n);

/*
 * Host types.  pol_host_type gives the index of addr's type by longest
 * prefix match over the hosts lines, or -1 when no line covers it.
 */
int pol_host_type(const struct pol_program *prog, uint32_t addr);
const char *pol_type_name(const struct pol_program *prog, int type);
size_t pol_type_count(const struct pol_program *prog);
/* Where the type's line is, for messages (file:line:col). */
void pol_type_where(const struct pol_program *prog, int type, int *line, int *col);
/* Does the type open this port (proto IPPROTO_TCP or IPPROTO_UDP)? */
bool pol_type_opens(const struct pol_program *prog, int type, uint8_t proto,
    uint16_t port);

const char *pol_action_name(enum pol_action a);
const char *pol_proto_name(uint8_t proto);		/* NULL: no name */

/* The rules one by one, for tools that report per rule (the replay). */
size_t pol_rule_count(const struct pol_program *prog, enum pol_dir dir);
int pol_rule_line(const struct pol_program *prog, enum pol_dir dir, size_t i);
enum pol_action pol_rule_action(const struct pol_program *prog, enum pol_dir dir,
    size_t i);
/* Does the rule ask whether the source is a scanner? */
bool pol_rule_asks_scanner(const struct pol_program *prog, enum pol_dir dir, size_t i);
/*
 * For the kernel fast path: would every packet of pkt's flow (TCP or UDP;
 * its protocol, addresses and ports, whatever its TCP flags) be decided by
 * `rule` as pkt was, for as long as that rule's own state answers hold?
 * False when that rule, or an earlier one that could match a packet of the
 * flow, tests TCP flags, or when such an earlier rule asks a question of
 * state (its answer may change while the flow runs).  *hold gets what the
 * rule itself asks: POL_Q_* bits, and the `reply within` window.
 */
struct pol_hold {
	uint8_t asks;		/* POL_Q_* */
	bool conv;		/* `reply conversation within` */
	uint64_t reply_ms;
};
bool pol_flow_fixed(const struct pol_program *prog, const struct pol_packet *pkt,
    int rule, struct pol_hold *hold);
/* The rule as `potemkin-policy dump` prints it, newline included. */
void pol_rule_print(const struct pol_program *prog, enum pol_dir dir, size_t i,
    FILE *out);
/*
 * The same rules across a reload: map[i] (pol_rule_count(old, dir) entries)
 * gets the index in next of a rule that reads exactly as old's rule i, or
 * -1.  Identical rules pair in order, each rule of next with one of old at
 * most, so no clone ends up with two buckets for one rule.  0, or -1 when
 * out of memory.
 */
int pol_rule_map(const struct pol_program *old, const struct pol_program *next,
    enum pol_dir dir, int *map);

#endif
