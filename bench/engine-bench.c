/* SPDX-License-Identifier: ISC */
/*
 * engine-bench: the gateway's engine alone, in process, on one core --
 * decisions per second on synthetic traffic and on real captures, and the
 * memory a flow costs.
 *
 *	engine-bench [-x] [-c CPU] [-r RUNS] [-n PACKETS] [-k CLONES] [-f FLOWS]
 *	    [-F MEMFLOWS] [-p PASSES] [-w WORKLOADS] [-P POLICY] [-T TRACEPOLICY]
 *	    [TRACE...]
 *
 * Workloads (-w, comma-separated; default hits,random,memory,traces):
 *   hits    FLOWS UDP flows from 203.0.113.0/24 to CLONES bound addresses,
 *           round robin: every packet is a flow-cache hit (history and scan
 *           filter updated, cache looked up, delivered).
 *   random  every packet from a new source in 10.0.0.0/8 with a new source
 *           port, to one of the bound addresses: a new history entry, a new
 *           scan-filter source, a policy decision, and under
 *           pressure the eviction of the oldest of each (no flow is cached:
 *           a peer's first packet to an address leaves none).
 *   memory  MEMFLOWS distinct flows to one bound address (60000 source ports
 *           from each of as few sources as it takes), so the flow cache is
 *           the only table that grows; the resident-set delta per flow, and the flow
 *           table's own accounting.
 *   traces  each capture replayed PASSES times (each pass from shifted
 *           sources, so every pass is new traffic), its destinations mapped
 *           into the farm, clones answered at once by a fake clone tool,
 *           under TRACEPOLICY (default etc/potemkin/farm.policy).
 *
 * Like the daemon, the loop hints the engine about the next packet before
 * deciding one (eng_prefetch_inbound); -x leaves the hint out.
 *
 * The I/O sink counts what the engine asks for (deliveries, replies, clone
 * requests) and does nothing else: the figure is the engine's.  Each packet
 * is copied from its template into a work buffer first, as the engine may
 * rewrite it in place; that copy is inside the timing.  Rates are decisions
 * per second of the thread's own CPU time (per core, whatever share of it
 * other jobs took), with the wall-clock rate beside them.  Results go to
 * stdout, one "result name=... key=value..." line per figure for
 * bench/bench-report.sh.
 */
#include <err.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine/engine.h"
#include "lib/monotime.h"
#include "lib/number.h"
#include "engine/packet.h"
#include "policy-dsl/policy.h"
#include "replay/replay.h"

#define FARM_BASE	0xc6336400u	/* 198.51.100.0 */
#define SRC_BASE	0xcb007100u	/* 203.0.113.0 */
#define PKT_CAP		128		/* template bytes kept per packet */
#define TRACE_CAP	1536		/* a capture's packet, whole: an Ethernet frame's */
#define PENDING_MAX	4096

struct sink {
	uint64_t delivered, emitted, clones, teardowns, events;
	uint32_t pending[PENDING_MAX];	/* clone requests not answered yet */
	uint32_t pending_ip[PENDING_MAX], pending_univ[PENDING_MAX];
	unsigned npending;
	int next_vm;
};

struct opts {
	int cpu;
	int runs;
	size_t packets;
	unsigned clones;
	size_t flows, memflows;
	unsigned passes;
	bool no_prefetch;
	const char *workloads;
	const char *policy, *trace_policy;
};

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* ---- the sink ---------------------------------------------------------- */

static void
s_deliver(void *ctx, const struct eng_vm *vm, const uint8_t *pkt, size_t len)
{
	struct sink *s = ctx;

	(void)vm;
	(void)pkt;
	(void)len;
	s->delivered++;
}

static void
s_emit(void *ctx, const uint8_t *pkt, size_t len)
{
	struct sink *s = ctx;

	(void)pkt;
	(void)len;
	s->emitted++;
}

static void
s_clone(void *ctx, uint32_t serial, const char *type, uint32_t ip, uint32_t universe)
{
	struct sink *s = ctx;

	(void)type;
	s->clones++;
	if (s->npending < PENDING_MAX) {
		s->pending[s->npending] = serial;
		s->pending_ip[s->npending] = ip;
		s->pending_univ[s->npending++] = universe;
	}
}

static void
s_vm(void *ctx, const struct eng_vm *vm)
{
	struct sink *s = ctx;

	(void)vm;
	s->teardowns++;
}

static unsigned
s_dns(void *ctx, uint32_t resolver, const uint8_t *msg, size_t len)
{
	(void)ctx;
	(void)resolver;
	(void)msg;
	(void)len;
	return 0;
}

static void
s_event(void *ctx, const struct eng_event *ev)
{
	struct sink *s = ctx;

	(void)ev;
	s->events++;
}

/* The fake clone tool: every request answered at once with a clone. */
static void
answer_clones(struct eng *e, struct sink *s, uint64_t now)
{
	for (unsigned i = 0; i < s->npending; i++) {
		struct eng_vm vm = { .id = s->next_vm++ };

		snprintf(vm.type, sizeof vm.type, "web");
		snprintf(vm.ifname, sizeof vm.ifname, "pk%d", vm.id);
		vm.mac[0] = 0x02;
		vm.guest_ip = vm.ip = s->pending_ip[i];
		vm.gw_ip = 0xa9fe0001u;
		vm.universe = s->pending_univ[i];
		vm.ifindex = 1000 + vm.id;
		vm.if_mac[0] = 0x02;
		vm.if_mac[5] = 1;
		eng_clone_ready(e, s->pending[i], &vm, now);
	}
	s->npending = 0;
}

static struct eng *
engine(const struct pol_program *prog, struct sink *s, uint64_t now)
{
	struct eng_config c;
	struct eng_io io = {
		.deliver = s_deliver, .emit = s_emit, .clone = s_clone,
		.teardown = s_vm, .freeze = s_vm, .dns_query = s_dns,
		.event = s_event, .ctx = s,
	};
	struct eng *e;

	memset(s, 0, sizeof *s);
	s->next_vm = 1;
	eng_config_defaults(&c);
	/*
	 * The random workload's sources are in 10/8 and the captures were
	 * taken in labs behind private addresses: as the replay's
	 * --allow-source, they are taken as the Internet.
	 */
	prefix_parse("10.0.0.0/8", 10, &c.sources_allowed[0]);
	prefix_parse("192.168.0.0/16", 14, &c.sources_allowed[1]);
	c.nsources_allowed = 2;
	if ((e = eng_new(&c, prog, &io, now)) == NULL)
		errx(1, "cannot make the engine (out of memory?)");
	return e;
}

/* Bind k farm addresses, clones ready, as `potemkin-ctl bind` would. */
static void
bind_targets(struct eng *e, struct sink *s, unsigned k, uint64_t now)
{
	const char *why;

	for (unsigned i = 0; i < k; i++)
		if (eng_bind(e, FARM_BASE + 10 + i, NULL, 0, now, &why) < 0)
			errx(1, "bind: %s", why);
	answer_clones(e, s, now);
}

/* ---- measuring ---------------------------------------------------------- */

static int
dblcmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, dblcmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
report(const char *name, double *v, double *w, int n, const char *extra)
{
	double med = median(v, n), wmed = median(w, n);

	printf("%-8s median %.2f M decisions per CPU-second (min %.2f, max %.2f, spread "
	    "%.1f%%) over %d runs; wall clock %.2f M/s (%.2f-%.2f)%s%s\n", name,
	    med / 1e6, v[0] / 1e6, v[n - 1] / 1e6, 100 * (v[n - 1] - v[0]) / med, n,
	    wmed / 1e6, w[0] / 1e6, w[n - 1] / 1e6, *extra ? "; " : "", extra);
	printf("result name=engine-%s median=%.0f min=%.0f max=%.0f runs=%d wall_median=%.0f "
	    "wall_min=%.0f wall_max=%.0f\n", name, med, v[0], v[n - 1], n, wmed, w[0],
	    w[n - 1]);
}

static size_t
rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size = 0, res = 0;

	if (f == NULL || fscanf(f, "%lu %lu", &size, &res) != 2)
		errx(1, "cannot read /proc/self/statm");
	fclose(f);
	return res * (size_t)sysconf(_SC_PAGESIZE);
}

/* One UDP packet to port 9 with an 18-byte payload (46 bytes of IP). */
static size_t
udp(uint32_t src, uint16_t sport, uint32_t dst, uint8_t *out)
{
	static const uint8_t payload[18] = "potemkin-bench....";
	size_t n = pkt_build_udp(src, sport, dst, 9, payload, sizeof payload, out, PKT_CAP);

	if (n == 0)
		errx(1, "cannot build a packet");
	return n;
}

/* Overwrite the source address and port of a packet built by udp(). */
static inline void
set_src(uint8_t *p, uint32_t src, uint16_t sport)
{
	p[12] = (uint8_t)(src >> 24);
	p[13] = (uint8_t)(src >> 16);
	p[14] = (uint8_t)(src >> 8);
	p[15] = (uint8_t)src;
	p[20] = (uint8_t)(sport >> 8);
	p[21] = (uint8_t)sport;
}

/* ---- workloads ------------------------------------------------------------ */

static void
hits(const struct opts *o, const struct pol_program *prog)
{
	size_t nf = o->flows;
	uint8_t *tpl = calloc(nf, PKT_CAP), work[PKT_CAP];
	size_t *len = calloc(nf, sizeof *len);
	double *v = calloc((size_t)o->runs, sizeof *v);
	double *w = calloc((size_t)o->runs, sizeof *w);
	uint64_t now = 1000000;
	struct eng_stats st;
	struct sink s;
	struct eng *e = engine(prog, &s, now);

	if (!tpl || !len || !v || !w)
		err(1, "hits");
	bind_targets(e, &s, o->clones, now);
	for (size_t i = 0; i < nf; i++)
		len[i] = udp(SRC_BASE + 10 + (uint32_t)(i % 200),
		    (uint16_t)(20000 + i / 200), FARM_BASE + 10 + (uint32_t)(i % o->clones),
		    tpl + i * PKT_CAP);
	for (int r = -1; r < o->runs; r++) {
		uint64_t t0 = mono_ns(), c0 = thread_cpu_ns(), t1, c1;

		for (size_t i = 0, j = 0; i < o->packets; i++) {
			size_t next = j + 1 == nf ? 0 : j + 1;

			/* As the daemon does: the next packet's slots load first. */
			if (!o->no_prefetch)
				eng_prefetch_inbound(e, tpl + next * PKT_CAP, len[next]);
			memcpy(work, tpl + j * PKT_CAP, 64);
			eng_inbound(e, work, len[j], now + (i >> 10));
			j = next;
		}
		t1 = mono_ns();
		c1 = thread_cpu_ns();
		now += (o->packets >> 10) + 1;
		eng_tick(e, now);
		if (r >= 0) {
			v[r] = (double)o->packets / ((double)(c1 - c0) / 1e9);
			w[r] = (double)o->packets / ((double)(t1 - t0) / 1e9);
		}
	}
	eng_stats(e, &st);
	if (s.delivered != (uint64_t)(o->runs + 1) * o->packets)
		errx(1, "hits: %llu of %llu packets delivered", (unsigned long long)s.delivered,
		    (unsigned long long)(o->runs + 1) * o->packets);
	{
		char extra[160];

		snprintf(extra, sizeof extra, "%zu flows to %u clones, %.4f%% cache misses",
		    nf, o->clones, 100.0 * (double)st.flow_misses /
		    (double)(st.flow_hits + st.flow_misses));
		report("hits", v, w, o->runs, extra);
	}
	eng_free(e);
	free(tpl);
	free(len);
	free(v);
	free(w);
}

/*
 * Packet number seq of the random workload.  A bijection of the number:
 * sources never repeat within 2^24 packets, and come in no useful order.
 */
static void
random_packet(uint8_t *work, const uint8_t *tpl, const uint32_t *dst, uint64_t seq)
{
	uint32_t x = (uint32_t)(seq * 0x9e3779b1u);
	uint32_t d = dst[seq & 1023];

	memcpy(work, tpl, 64);
	set_src(work, 0x0a000000u | (x >> 8), (uint16_t)(1024 + (x & 0x7fff)));
	work[16] = (uint8_t)(d >> 24);
	work[17] = (uint8_t)(d >> 16);
	work[18] = (uint8_t)(d >> 8);
	work[19] = (uint8_t)d;
}

static void
random_traffic(const struct opts *o, const struct pol_program *prog)
{
	uint8_t tpl[PKT_CAP], work[2][PKT_CAP];
	double *v = calloc((size_t)o->runs, sizeof *v);
	double *w = calloc((size_t)o->runs, sizeof *w);
	uint64_t now = 1000000, seq = 0;
	struct eng_stats st;
	struct sink s;
	struct eng *e = engine(prog, &s, now);
	size_t n = udp(0x0a000001u, 1024, FARM_BASE + 10, tpl);
	uint32_t *dst = calloc(1024, sizeof *dst);

	if (!v || !w || !dst)
		err(1, "random");
	bind_targets(e, &s, o->clones, now);
	for (unsigned i = 0; i < 1024; i++)
		dst[i] = FARM_BASE + 10 + (uint32_t)(rnd() % o->clones);
	for (int r = -1; r < o->runs; r++) {
		uint64_t t0 = mono_ns(), c0 = thread_cpu_ns(), t1, c1;

		random_packet(work[seq & 1], tpl, dst, seq);
		for (size_t i = 0; i < o->packets; i++, seq++) {
			/* Built one ahead, so the next one's slots can load first. */
			random_packet(work[(seq + 1) & 1], tpl, dst, seq + 1);
			if (!o->no_prefetch)
				eng_prefetch_inbound(e, work[(seq + 1) & 1], n);
			eng_inbound(e, work[seq & 1], n, now + (i >> 10));
		}
		t1 = mono_ns();
		c1 = thread_cpu_ns();
		now += (o->packets >> 10) + 1;
		eng_tick(e, now);
		if (r >= 0) {
			v[r] = (double)o->packets / ((double)(c1 - c0) / 1e9);
			w[r] = (double)o->packets / ((double)(t1 - t0) / 1e9);
		}
	}
	eng_stats(e, &st);
	if (s.delivered != (uint64_t)(o->runs + 1) * o->packets)
		errx(1, "random: %llu of %llu packets delivered",
		    (unsigned long long)s.delivered,
		    (unsigned long long)(o->runs + 1) * o->packets);
	{
		char extra[200];

		snprintf(extra, sizeof extra, "%.1f%% cache misses; tables full: "
		    "%zu flows, %zu history, %zu scan sources",
		    100.0 * (double)st.flow_misses / (double)(st.flow_hits + st.flow_misses),
		    st.flows, st.history, st.scan_sources);
		report("random", v, w, o->runs, extra);
	}
	eng_free(e);
	free(v);
	free(w);
	free(dst);
}

static void
memory(const struct opts *o, const struct pol_program *prog)
{
	uint8_t tpl[PKT_CAP], work[PKT_CAP];
	uint64_t now = 1000000;
	struct eng_stats st;
	struct sink s;
	struct eng *e = engine(prog, &s, now);
	size_t n = udp(SRC_BASE + 10, 1024, FARM_BASE + 10, tpl), rss0, rss1;
	double rss_per, table_per;

	bind_targets(e, &s, 1, now);
	rss0 = rss_bytes();
	for (size_t i = 0; i < o->memflows; i++) {
		/* 60000 source ports from each of as many sources as it takes. */
		memcpy(work, tpl, 64);
		set_src(work, SRC_BASE + 10 + (uint32_t)(i / 60000),
		    (uint16_t)(1024 + i % 60000));
		/* A peer's first packet to an address is never cached: send it twice. */
		if (i % 60000 == 0) {
			uint8_t again[PKT_CAP];

			memcpy(again, work, 64);
			eng_inbound(e, again, n, now);
		}
		eng_inbound(e, work, n, now);
	}
	rss1 = rss_bytes();
	eng_stats(e, &st);
	if (st.flows != o->memflows)
		errx(1, "memory: %zu flows cached, %zu expected", st.flows, o->memflows);
	rss_per = (double)(rss1 - rss0) / (double)st.flows;
	table_per = (double)st.flows_bytes / (double)st.flows_max;
	printf("memory   %zu flows: RSS +%.1f MB = %.1f bytes/flow; the flow table's "
	    "own accounting %zu bytes for at most %zu flows = %.1f bytes/flow; "
	    "history %zu entries, scan sources %zu\n", st.flows,
	    (double)(rss1 - rss0) / 1e6, rss_per, st.flows_bytes, st.flows_max,
	    table_per, st.history, st.scan_sources);
	printf("result name=engine-memory flows=%zu rss_per_flow=%.1f "
	    "table_per_flow=%.1f flows_max=%zu\n", st.flows, rss_per, table_per,
	    st.flows_max);
	eng_free(e);
}

/* ---- captures ------------------------------------------------------------- */

struct trace {
	const char *path;
	size_t n;
	uint8_t *pkt;		/* n * TRACE_CAP bytes */
	uint16_t *len;
	uint64_t *ms;		/* from the first packet */
	uint64_t span_ms;
};

static void
trace_free(struct trace *t)
{
	free(t->pkt);
	free(t->len);
	free(t->ms);
}

/*
 * The IPv4 packets of a capture, destinations mapped into the farm's /24,
 * read as the replay reads captures (replay-pcap.c: pcap and pcapng, the
 * link types it knows).
 */
static int
trace_load(struct trace *t, const char *path)
{
	struct capture c;
	enum replay_l3 l3;
	const uint8_t *ip;
	size_t cap = 0, big = 0, bad = 0, ipl, wire;
	uint64_t t0 = 0, us;
	int rc;

	memset(t, 0, sizeof *t);
	t->path = path;
	if (capture_open(&c, path) < 0)
		return -1;
	while ((rc = capture_next(&c, &us, &l3, &ip, &ipl, &wire)) == 1) {
		uint64_t ms = us / 1000;
		uint8_t *p;
		struct pkt pk;

		if (l3 != REPLAY_IPV4)
			continue;
		if (ipl > TRACE_CAP) {
			big++;
			continue;
		}
		if (t->n == cap) {
			cap = cap ? cap * 2 : 4096;
			if (!(t->pkt = realloc(t->pkt, cap * TRACE_CAP)) ||
			    !(t->len = realloc(t->len, cap * sizeof *t->len)) ||
			    !(t->ms = realloc(t->ms, cap * sizeof *t->ms)))
				err(1, "%s", path);
		}
		p = t->pkt + t->n * TRACE_CAP;
		memcpy(p, ip, ipl);
		if (pkt_parse(&pk, p, ipl) != PKT_OK) {
			bad++;	/* cut short by the snap length, or malformed */
			continue;
		}
		pkt_set_dst(&pk, FARM_BASE | (pk.dst & 0xff));
		if (t->n == 0)
			t0 = ms;
		t->len[t->n] = pk.len;
		t->ms[t->n] = ms >= t0 ? ms - t0 : 0;
		t->span_ms = t->ms[t->n];
		t->n++;
	}
	if (rc < 0)
		capture_warn(&c);
	capture_close(&c);
	if (rc < 0) {
		trace_free(t);
		return -1;
	}
	/* What is left out biases the figure: say so. */
	if (big || bad)
		warnx("%s: %zu IPv4 packets left out (%zu over %d bytes, %zu cut "
		    "short or malformed)", path, big + bad, big, TRACE_CAP, bad);
	if (t->n == 0) {
		warnx("%s: no IPv4 packet", path);
		trace_free(t);
		return -1;
	}
	return 0;
}

/*
 * Passes of the capture through one engine, each from sources shifted by a
 * pass number that never repeats, so that every pass is new traffic, in the
 * capture's own time (a second between passes).  The engine lives across
 * runs, as the daemon's does: its tables fill and then evict.  Returns
 * decisions per second.
 */
struct trace_engine {
	struct eng *e;
	struct sink s;
	uint64_t base;		/* engine clock at the start of the next pass */
	uint32_t pass;
};

/* Packet i of the capture, its source shifted, into work. */
static void
trace_packet(uint8_t *work, const struct trace *t, size_t i, uint32_t shift)
{
	const uint8_t *p = t->pkt + i * TRACE_CAP;
	uint32_t src = ((uint32_t)p[12] << 24 | (uint32_t)p[13] << 16 |
	    (uint32_t)p[14] << 8 | p[15]) + shift;

	memcpy(work, p, t->len[i]);
	work[12] = (uint8_t)(src >> 24);
	work[13] = (uint8_t)(src >> 16);
	work[14] = (uint8_t)(src >> 8);
	work[15] = (uint8_t)src;
}

static double
trace_run(const struct opts *o, struct trace_engine *rp, const struct trace *t, double *wall)
{
	uint8_t work[2][TRACE_CAP];
	uint64_t t0, t1, c0, c1, busy = 0, cpu = 0;

	for (unsigned n = 0; n < o->passes; n++, rp->pass++) {
		uint32_t shift = rp->pass << 8;

		t0 = mono_ns();
		c0 = thread_cpu_ns();
		trace_packet(work[0], t, 0, shift);
		for (size_t i = 0; i < t->n; i++) {
			uint64_t now = rp->base + t->ms[i];

			/* Built one ahead, so the next one's slots can load first. */
			if (i + 1 < t->n) {
				trace_packet(work[(i + 1) & 1], t, i + 1, shift);
				if (!o->no_prefetch)
					eng_prefetch_inbound(rp->e, work[(i + 1) & 1],
					    t->len[i + 1]);
			}
			eng_inbound(rp->e, work[i & 1], t->len[i], now);
			if (rp->s.npending)
				answer_clones(rp->e, &rp->s, now);
			if (i + 1 == t->n || t->ms[i + 1] != t->ms[i])
				eng_tick(rp->e, now);
		}
		t1 = mono_ns();
		c1 = thread_cpu_ns();
		busy += t1 - t0;
		cpu += c1 - c0;
		rp->base += t->span_ms + 1000;
	}
	*wall = (double)t->n * o->passes / ((double)busy / 1e9);
	return (double)t->n * o->passes / ((double)cpu / 1e9);
}

static void
traces(const struct opts *o, char **files, int nfiles)
{
	struct pol_program *prog;
	double *v = calloc((size_t)o->runs, sizeof *v), *all, scratch;
	double *w = calloc((size_t)o->runs, sizeof *w);
	int ntr = 0;

	if (pol_load_file(o->trace_policy, stderr, &prog) != 0)
		errx(1, "%s: cannot load the policy", o->trace_policy);
	if (v == NULL || w == NULL || (all = calloc((size_t)nfiles, sizeof *all)) == NULL)
		err(1, "traces");
	for (int f = 0; f < nfiles; f++) {
		struct trace t;
		struct eng_stats st;
		struct trace_engine rp = { .base = 1000000 };
		const char *base = strrchr(files[f], '/');
		char extra[256];
		double med;

		if (trace_load(&t, files[f]) < 0)
			continue;
		base = base ? base + 1 : files[f];
		rp.e = engine(prog, &rp.s, rp.base);
		trace_run(o, &rp, &t, &scratch);	/* warm-up */
		for (int r = 0; r < o->runs; r++)
			v[r] = trace_run(o, &rp, &t, &w[r]);
		eng_stats(rp.e, &st);
		med = median(v, o->runs);
		snprintf(extra, sizeof extra, "%s: %zu packets x %u passes a run; in all "
		    "%llu delivered, %llu replies, %llu clones, %.1f%% cache hits", base, t.n,
		    o->passes, (unsigned long long)rp.s.delivered,
		    (unsigned long long)rp.s.emitted, (unsigned long long)rp.s.clones,
		    100.0 * (double)st.flow_hits / (double)(st.flow_hits + st.flow_misses));
		printf("trace    median %.2f M decisions per CPU-second (min %.2f, max %.2f) "
		    "over %d runs; wall clock %.2f M/s; %s\n", med / 1e6, v[0] / 1e6,
		    v[o->runs - 1] / 1e6, o->runs, median(w, o->runs) / 1e6, extra);
		printf("result name=engine-trace trace=%s median=%.0f min=%.0f max=%.0f runs=%d "
		    "wall_median=%.0f\n", base, med, v[0], v[o->runs - 1], o->runs,
		    median(w, o->runs));
		all[ntr++] = med;
		eng_free(rp.e);
		trace_free(&t);
	}
	if (ntr == 0)
		errx(1, "no capture could be read");
	/* The figure over all captures: the slowest and fastest capture's median. */
	qsort(all, (size_t)ntr, sizeof *all, dblcmp);
	printf("result name=engine-traces captures=%d slowest=%.0f fastest=%.0f\n", ntr,
	    all[0], all[ntr - 1]);
	free(v);
	free(w);
	free(all);
	pol_free(prog);
}

static bool
wants(const char *list, const char *w)
{
	size_t n = strlen(w);

	for (const char *p = list; (p = strstr(p, w)) != NULL; p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

static void
usage(void)
{
	fprintf(stderr, "usage: engine-bench [-x] [-c CPU] [-r RUNS] [-n PACKETS] [-k CLONES] "
	    "[-f FLOWS]\n\t[-F MEMFLOWS] [-p PASSES] [-w WORKLOADS] [-P POLICY] "
	    "[-T TRACEPOLICY] [TRACE...]\n");
	exit(2);
}

/* Every name of -w is a workload. */
static void
check_workloads(const char *list)
{
	static const char *const known[] = { "hits", "random", "memory", "traces" };
	const char *p = list;

	for (;;) {
		size_t n = strcspn(p, ","), i;

		for (i = 0; i < 4; i++)
			if (strlen(known[i]) == n && strncmp(p, known[i], n) == 0)
				break;
		if (i == 4) {
			warnx("-w %s: workloads are hits, random, memory and traces", list);
			usage();
		}
		if (p[n] == '\0')
			return;
		p += n + 1;
	}
}

int
main(int argc, char **argv)
{
	struct opts o = {
		.cpu = -1, .runs = 7, .packets = 10000000, .clones = 4,
		.flows = 4096, .memflows = 1000000, .passes = 20,
		.workloads = "hits,random,memory,traces",
		.policy = "bench/bench.policy",
		.trace_policy = "etc/potemkin/farm.policy",
	};
	struct pol_program *prog;
	int c;

	while ((c = getopt(argc, argv, "c:r:n:k:f:F:p:w:P:T:xh")) != -1) {
		switch (c) {
		case 'c': o.cpu = (int)num_arg(optarg, CPU_SETSIZE - 1, usage); break;
		case 'r': o.runs = (int)num_arg(optarg, 1000, usage); break;
		case 'n': o.packets = (size_t)num_arg(optarg, 1ull << 40, usage); break;
		case 'k': o.clones = (unsigned)num_arg(optarg, 200, usage); break;
		case 'f': o.flows = (size_t)num_arg(optarg, 200 * 45535, usage); break;
		case 'F': o.memflows = (size_t)num_arg(optarg, 200 * 60000, usage); break;
		case 'p': o.passes = (unsigned)num_arg(optarg, 1u << 20, usage); break;
		case 'w': check_workloads(optarg); o.workloads = optarg; break;
		case 'P': o.policy = optarg; break;
		case 'T': o.trace_policy = optarg; break;
		case 'x': o.no_prefetch = true; break;
		default: usage();
		}
	}
	if (o.runs < 1 || o.packets < 1 || o.clones < 1 || o.clones > 200 ||
	    o.flows < 1 || o.memflows < 1 || o.memflows > 200 * 60000 ||
	    o.passes < 1)
		usage();
	if (o.cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(o.cpu, &set);
		if (sched_setaffinity(0, sizeof set, &set) < 0)
			err(1, "cannot pin to CPU %d", o.cpu);
	}
	if (pol_load_file(o.policy, stderr, &prog) != 0)
		errx(1, "%s: cannot load the policy", o.policy);
	if (wants(o.workloads, "hits"))
		hits(&o, prog);
	if (wants(o.workloads, "random"))
		random_traffic(&o, prog);
	if (wants(o.workloads, "memory"))
		memory(&o, prog);
	if (wants(o.workloads, "traces")) {
		if (optind == argc)
			errx(2, "traces: no capture named");
		traces(&o, argv + optind, argc - optind);
	}
	pol_free(prog);
	return 0;
}
