/* SPDX-License-Identifier: ISC */
/*
 * potemkin-replay: what the farm would have done with real captures,
 * and how many clones it would have needed.
 *
 * Packets from pcap and pcapng files go through the gateway's own engine
 * (engine/engine.h: the code the daemon runs, not a model of it) on a
 * clock taken from their timestamps.  The engine's sink is answered here as
 * the world would answer it: a clone request becomes a ready clone
 * --clone-ms later, a teardown or a freeze ends a clone's life, and the rest
 * becomes counts.  One engine runs for each idle timeout compared, and every
 * engine sees every packet.
 *
 *	replay.c		the engines, their clock and their sink
 *	replay-series.c		live clones over time
 *	replay-set.c		the small maps the counts need
 *	replay-pcap.c		captures and their link layers
 *	replay-report.c		the text, JSON and CSV reports
 *	replay-plot.c		the figure, drawn by gnuplot
 *	replay-cmd.c		the command line
 */
#ifndef POTEMKIN_REPLAY_H
#define POTEMKIN_REPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "engine/engine.h"
#include "policy-dsl/policy.h"

#define REPLAY_RUNS_MAX 8	/* idle timeouts compared in one run */
#define REPLAY_MAPS_MAX 16
#define REPLAY_T0_MS 1000000	/* the engines' clock at the first packet */
#define REPLAY_DESTS_MAX 65536	/* outside destinations listed in JSON */

/* --map FROM/LEN=TO/LEN: addresses in FROM keep their low 32-LEN(TO) bits. */
struct replay_map {
	struct prefix from, to;
};

struct replay_opts {
	struct replay_map map[REPLAY_MAPS_MAX];
	size_t nmap;
	bool map_src;		/* sources too (always, with from_clone) */
	uint32_t clone_ms;	/* a clone is ready this long after its request */
	uint64_t idle_ms[REPLAY_RUNS_MAX]; /* one engine each; 0: the policy's */
	size_t nidle;
	bool no_scan_filter;
	bool from_clone;
	uint32_t host;		/* --from-clone: the infected host, as captured */
	size_t state_max;	/* per-source tables' size; 0: the gateway's */
	uint32_t host_capacity;	/* clones one VMM host holds; 0: not asked */
	/* Special-purpose sources taken as outside peers (lab captures). */
	struct prefix allow[ENG_SOURCES_ALLOWED_MAX];
	size_t nallow;
};

/* ---- small maps (replay-set.c) -------------------------------------------- */

/*
 * Keys to dense indices 0, 1, 2 ... in the order they first came, so that
 * callers keep what they count about a key in arrays of their own and print
 * it in a stable order.  Grows as needed.
 */
struct rslot {
	uint64_t key;
	uint32_t idx1;		/* the key's index + 1; 0 marks a free slot */
};

struct rset {
	struct rslot *slot;
	size_t cap, n;
};

/* The key's index, added if new (*created says so); -1: out of memory. */
int64_t rset_add(struct rset *s, uint64_t key, bool *created);
int64_t rset_find(const struct rset *s, uint64_t key);
void rset_free(struct rset *s);
/*
 * A set of IPv4 addresses, for counting distinct ones: four bytes a slot, so
 * that the sources of a flood stay in the cache where keyed maps would not.
 */
struct aset {
	uint32_t *slot;		/* 0 marks a free slot; address 0 is has_zero */
	size_t cap, n;
	bool has_zero;
};

/* 1 if a was new, 0 if it was there, -1 when out of memory. */
int aset_add(struct aset *s, uint32_t a);
/* Start loading a's slot, to add it a little later. */
void aset_prefetch(const struct aset *s, uint32_t a);
void aset_free(struct aset *s);

/* Make *arr (of elem-byte items) hold at least need; 0 or -1. */
int grow_array(void *arr, size_t *cap, size_t need, size_t elem);

/* ---- live clones over time (replay-series.c) ------------------------------ */

#define SERIES_BINS 1024

/*
 * A step function kept in bounded memory: the time spent at each level
 * (exact mean and percentiles) and the peak level in each of at most
 * SERIES_BINS bins of equal width, the width doubling as time goes on.
 */
struct replay_series {
	uint64_t t0, t;		/* engine ms: the start, the last change */
	uint32_t level, peak;
	uint64_t *at;		/* ms spent at each level */
	size_t nat;
	uint32_t bins[SERIES_BINS];
	uint64_t bin_ms;
	size_t nbins;		/* bins the series has reached */
	bool oom;
};

void series_init(struct replay_series *s, uint64_t t0);
void series_set(struct replay_series *s, uint64_t t, uint32_t level);
/* Close the series at t (at least the last change). */
void series_end(struct replay_series *s, uint64_t t);
double series_mean(const struct replay_series *s);
/* The smallest level held at least q (0..1) of the time. */
uint32_t series_quantile(const struct replay_series *s, double q);
void series_free(struct replay_series *s);

/* ---- one engine's replay (replay.c) --------------------------------------- */

/* What became of a packet the infected host sent (--from-clone). */
enum out_outcome {
	OUT_PASSED, OUT_PROXIED, OUT_REFLECTED, OUT_REJECTED, OUT_DROPPED,
	OUT_INTERNAL,		/* to the farm: delivered to a clone there */
	OUT_UNJUDGED,		/* never reached the policy (malformed, no clone) */
	OUT_N,
};

struct replay_dest {
	uint32_t addr;
	uint8_t proto;
	uint32_t n[OUT_N];
};

struct replay_dir {
	uint64_t packets;	/* given to the engine */
	uint64_t decisions;	/* the policy was asked */
	uint64_t followed;	/* followed their flow's earlier decision */
	uint64_t action[POL_PROXY + 1];	/* packets by their decision's action */
	uint64_t norule;	/* matched no rule (and were dropped) */
	uint64_t *rule;		/* packets by deciding rule */
	size_t nrules;
};

struct replay_pending {	/* a clone being made */
	uint64_t due;
	uint32_t serial, ip, universe;
	char type[ENG_TYPE_MAX];
};

struct replay;

struct replay_run {
	struct replay *r;
	uint64_t idle_ms;	/* what this engine uses */
	struct eng *e;
	uint64_t now;		/* this engine's clock, ms */
	uint64_t next_tick;

	struct replay_pending *q;	/* clones being made, oldest first */
	size_t qcap, qhead, qlen;
	int next_vm;
	struct replay_series live;
	uint64_t clones;		/* requested by the engine */
	uint64_t ended;			/* torn down or frozen */
	uint64_t frozen;
	uint64_t unknown_ends;		/* ends of clones never counted live */
	struct aset universes;		/* holding at least one clone */
	struct aset scan_sources;	/* reported over a scanner threshold */
	struct aset scan_addrs;		/* kept from a clone by a scanner rule */
	uint64_t emitted, dns_questions, events[EV_LOG + 1];

	struct replay_dir in, out;
	struct rset flows;		/* inbound flows (hashed) ... */
	int32_t *flowrule;		/* ... and the rule of their last decision */
	size_t flowcap;
	uint64_t out_outcome[OUT_N];
	struct rset dests;		/* the host's destinations (addr, proto) */
	struct replay_dest *dest;
	size_t destcap;
	struct rset peers;		/* --from-clone: who spoke first */
	uint8_t *peer;
	size_t peercap;
	int *peer_clone;		/* the host's clone in the peer's conversation, 0: none */
	size_t peer_clonecap;
	int *host_clones;		/* live clones of the host made for conversations */
	size_t nhost_clones, host_clonecap;
	uint64_t answers_skipped;

	bool host_binding, host_live;	/* the infected host's clone */
	uint32_t host_serial, host_universe;
	int host_vm;
	uint64_t host_binds, host_refused;

	bool decided;			/* the packet being fed got a decision */
	struct pol_decision d;
	struct eng_stats st, peak;	/* at the end; largest table sizes */
	bool oom;
};

struct replay {
	struct replay_opts o;
	const struct pol_program *prog;
	struct replay_run run[REPLAY_RUNS_MAX];
	size_t nrun;
	uint32_t host_farm;	/* the infected host's farm address */
	bool *scanrule;		/* inbound rules with a scanner condition */

	uint64_t now_us;	/* from the first packet, captures end to end */
	int64_t shift_us;	/* capture time + shift = replay time */
	bool capture_begins;
	uint64_t now_ms;	/* the engines' clock */

	uint64_t frames, ipv4, ipv6, other, malformed, snapped, reordered;
	uint64_t inbound, outbound, ignored;
	struct aset sources;	/* outside sources of inbound packets */
	struct aset addrs;	/* farm addresses they reached */
	uint32_t last_src, last_dst;
	uint8_t *buf, *copy;	/* the packet, padded to its IP length */
};

enum replay_l3 { REPLAY_IPV4, REPLAY_IPV6, REPLAY_OTHER };

/* 0, or -1 with the reason in err (a map or --from-clone that does not fit). */
int replay_new(struct replay **out, const struct pol_program *prog,
    const struct replay_opts *o, char *err, size_t errlen);
/* The next frames come from a new capture: its clock continues this one. */
void replay_capture_begins(struct replay *r);
/*
 * One frame: its timestamp, its layer 3 and, for IPv4, the packet: caplen
 * bytes captured of the wirelen it had.
 */
void replay_frame(struct replay *r, uint64_t ts_us, enum replay_l3 l3,
    const uint8_t *ip, size_t caplen, size_t wirelen);
/* Close every series at the last packet; -1 when memory ran out on the way. */
int replay_end(struct replay *r);
void replay_free(struct replay *r);

const char *replay_outcome_name(enum out_outcome o);

/* ---- captures (replay-pcap.c) --------------------------------------------- */

struct pcap;

struct capture {
	const char *path;
	FILE *fp;
	struct pcap *pc;
	int dlt;
	char link[32];		/* libpcap's name of the link type */
	uint64_t size;		/* bytes in the file, for the progress bar */
	uint64_t frames, first_us, last_us;
	bool cut_short;		/* a read failed: the frames before it count */
};

/* Did the last read fail because the file ends inside a frame? */
bool capture_truncated(const struct capture *c);
/* Open a pcap or pcapng file; -1 with the message printed (warnx style). */
int capture_open(struct capture *c, const char *path);
/*
 * The next frame: its time (Unix microseconds), what it carries, and for IP
 * where the IP header starts, how many bytes were captured from there and
 * how many there were.
 * 1 for a frame, 0 at the end, -1 on a read error, which capture_warn
 * then tells (not printed here: a progress bar may own the line).
 */
int capture_next(struct capture *c, uint64_t *ts_us, enum replay_l3 *l3,
    const uint8_t **ip, size_t *caplen, size_t *wirelen);
void capture_warn(const struct capture *c);
/* Bytes read so far. */
uint64_t capture_offset(const struct capture *c);
void capture_close(struct capture *c);

/* ---- reports (replay-report.c) -------------------------------------------- */

struct replay_capture_info {
	const char *path;
	const char *link;
	uint64_t frames;
	uint64_t first_us, last_us;	/* Unix time of the first and last frame */
	bool cut_short;			/* it ends in a frame that could not be read */
};

struct replay_report {
	const char *policy;
	const struct replay_capture_info *caps;
	size_t ncaps;
	const struct replay *r;
};

int replay_report_text(const struct replay_report *rep, FILE *out);
int replay_report_json(const struct replay_report *rep, FILE *out);
/* The live-clone series, one column per idle timeout. */
int replay_report_csv(const struct replay *r, FILE *out);
/* "500ms", or the policy's "500ms" for a run without an override. */
char *replay_idle_name(const struct replay_run *run, char *buf);

/* ---- the figure (replay-plot.c) ------------------------------------------- */

struct replay_plot;

/* The figure's format by PATH's extension (.png, .svg, in any case); -1: neither. */
enum replay_plot_format { PLOT_PNG, PLOT_SVG };
int replay_plot_format(const char *path);
/* Make sure the figure can be written (a temporary file beside it). */
int replay_plot_open(struct replay_plot **out, const char *path);
/* Draw it with gnuplot and move it into place; 0 or -1 (message printed). */
int replay_plot_draw(struct replay_plot *pl, const struct replay_report *rep);
/* Remove whatever is left (the temporary file after a failure). */
void replay_plot_close(struct replay_plot *pl);

#endif
