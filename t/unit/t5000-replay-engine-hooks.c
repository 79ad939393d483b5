/* SPDX-License-Identifier: ISC */
/*
 * The engine's few hooks for the replay tool: an idle timeout that replaces
 * the policy's, a switch that turns the scan filter off, and a callback that
 * sees every policy decision.  Each must change nothing when left at its
 * default, and the replay's way of making a clone whose outbound traffic it
 * feeds (eng_bind, then eng_clone_ready with a made-up interface and a guest
 * address outside the farm) must behave like a clone the daemon made.
 *
 * And the scan filter's speedups for the replay's sake (each window scanning
 * only its own threshold's addresses, four at a time, kept in a pool out of
 * the hash table): against a model that counts distinct addresses exactly,
 * over random traffic with repeats and expiring windows, with a threshold
 * below one block of four, and under eviction, where the filter may forget
 * but never count what was not seen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "t/lib/eharness.h"
#include "t/lib/tap.h"
#include "t/lib/testpkt.h"

static const char policy[] =
    "farm 198.51.100.0/24\n"
    "type web tcp { 22 80 }\n"
    "hosts 198.51.100.0/24 web\n"
    "idle 500ms\n"
    "limit clones 32\n"
    "inbound drop proto tcp flags !S/SA unbound\n"
    "inbound drop scanner over 4 addresses in 60s unbound\n"
    "inbound reject closed\n"
    "inbound bind\n"
    "outbound pass reply within 10m\n"
    "outbound reflect proto tcp to any port 23 infected\n"
    "outbound drop\n";

static uint32_t A, FARM;

static struct harness *
harness(uint64_t idle_ms, bool no_scan)
{
	struct eng_config c;

	eng_config_defaults(&c);
	c.history_max = 4096;
	c.scan_sources_max = 1024;
	c.universes_max = 1024;
	c.dns_max = 64;
	c.idle_ms = idle_ms;
	c.no_scan_filter = no_scan;
	return h_new_config(policy, &c);
}

static void
syn(struct harness *h, uint32_t src, uint32_t dst, uint16_t dport)
{
	uint8_t p[128];
	size_t n = tp_tcp(p, src, 40000, dst, dport, TP_SYN, NULL);

	h_in(h, p, n);
}

static void
test_defaults(void)
{
	struct eng_config c;

	eng_config_defaults(&c);
	ok(c.idle_ms == 0, "by default the policy's idle timeout holds");
	ok(!c.no_scan_filter, "by default the scan filter counts");
}

static void
test_idle_override(void)
{
	struct harness *h = harness(0, false);

	syn(h, A, FARM + 1, 80);
	h_ready(h, 0, 0);
	h_advance(h, 499);
	is(h->nteardowns, 0, "policy idle 500ms: alive at 499ms");
	h_advance(h, 1);
	is(h->nteardowns, 1, "and reclaimed at 500ms");
	h_free(h);

	h = harness(5000, false);
	syn(h, A, FARM + 1, 80);
	h_ready(h, 0, 0);
	h_advance(h, 4999);
	is(h->nteardowns, 0, "idle_ms 5000 replaces it: alive at 4999ms");
	h_advance(h, 1);
	is(h->nteardowns, 1, "reclaimed at 5000ms");
	is(h_events(h, "\"reason\":\"idle\""), 1, "as idle");
	h_free(h);

	h = harness(100, false);
	syn(h, A, FARM + 1, 80);
	h_ready(h, 0, 0);
	h_advance(h, 100);
	is(h->nteardowns, 1, "a shorter override is honoured too");
	h_free(h);
}

static void
test_no_scan_filter(void)
{
	struct harness *h = harness(0, false);

	for (uint32_t i = 1; i <= 20; i++)
		syn(h, A, FARM + i, 80);
	is(h->nclones, 4, "with the scan filter: the threshold's 4 clones");
	is(h_event_kind(h, "scan-filtered"), 1, "and the source reported");
	h_free(h);

	h = harness(0, true);
	for (uint32_t i = 1; i <= 20; i++)
		syn(h, A, FARM + i, 80);
	is(h->nclones, 20, "without it: a clone for every address");
	is(h_event_kind(h, "scan-filtered"), 0, "and no source reported");
	syn(h, A, FARM + 30, 23);
	is(h->nemitted, 1, "the other rules still hold (a closed port is rejected)");
	h_free(h);
}

/* A sink of our own: the harness's does not record decisions. */
struct rec {
	int n;
	struct pol_decision d[16];
	struct pol_packet p[16];
	uint32_t serial, universe;
	int clones;
	int delivered;
};

static void
r_decided(void *ctx, const struct pol_packet *pkt, const struct pol_decision *d)
{
	struct rec *r = ctx;

	if (r->n < 16) {
		r->p[r->n] = *pkt;
		r->d[r->n] = *d;
	}
	r->n++;
}

static void
r_clone(void *ctx, uint32_t serial, const char *type, uint32_t ip, uint32_t universe)
{
	struct rec *r = ctx;

	(void)type;
	(void)ip;
	r->serial = serial;
	r->universe = universe;
	r->clones++;
}

static void
r_deliver(void *ctx, const struct eng_vm *vm, const uint8_t *pkt, size_t len)
{
	struct rec *r = ctx;

	(void)vm;
	(void)pkt;
	(void)len;
	r->delivered++;
}

static void
r_emit(void *ctx, const uint8_t *pkt, size_t len)
{
	(void)ctx;
	(void)pkt;
	(void)len;
}

static void
r_vm(void *ctx, const struct eng_vm *vm)
{
	(void)ctx;
	(void)vm;
}

static void
test_decided(void)
{
	struct pol_program *prog;
	struct eng_config c;
	struct rec r = { 0 };
	struct eng_io io = {
		.deliver = r_deliver, .emit = r_emit, .clone = r_clone,
		.teardown = r_vm, .freeze = r_vm, .decided = r_decided, .ctx = &r,
	};
	struct eng_vm vm = { 0 };
	struct eng *e;
	uint8_t p[128];
	uint64_t now = 1000000;
	const char *why = NULL;
	uint32_t guest = tp_ip("192.168.2.16"), victim = tp_ip("192.0.2.9");
	size_t n;

	if (pol_load_buf("t.policy", policy, strlen(policy), stderr, &prog) != 0)
		bail_out("the test policy does not load");
	eng_config_defaults(&c);
	c.history_max = c.scan_sources_max = c.universes_max = 1024;
	if ((e = eng_new(&c, prog, &io, now)) == NULL)
		bail_out("eng_new failed");

	n = tp_tcp(p, A, 40000, FARM + 1, 80, TP_SYN, NULL);
	eng_inbound(e, p, n, now);
	is(r.n, 1, "a new flow: one decision");
	is(r.d[0].action, POL_BIND, "bind");
	is(r.d[0].line, 9, "by the rule on line 9");
	is(r.d[0].rule, 3, "the fourth inbound rule");
	ok(r.p[0].src == A && r.p[0].dst == FARM + 1 && r.p[0].dport == 80 &&
	    r.p[0].dir == POL_IN, "about that packet");
	/* The first packet a peer sends to an address leaves no flow. */
	n = tp_tcp(p, A, 40000, FARM + 1, 80, TP_ACK, NULL);
	eng_inbound(e, p, n, now);
	is(r.n, 2, "the flow's second packet is decided again");
	ok(r.d[1].action == POL_BIND && r.d[1].line == 9, "bind again, and cached");
	eng_inbound(e, p, n, now);
	is(r.n, 2, "a packet that follows the cached decision: none");
	n = tp_tcp(p, A, 40000, FARM + 2, 23, TP_SYN, NULL);
	eng_inbound(e, p, n, now);
	is(r.n, 3, "a closed port: a decision");
	is(r.d[2].action, POL_REJECT, "reject");
	is(r.d[2].line, 8, "line 8");
	n = tp_tcp(p, A, 40001, FARM + 1, 23, TP_SYN, NULL);
	eng_inbound(e, p, n, now);
	is(r.n, 4, "the same port of the bound address: a decision");
	ok(r.d[3].action == POL_BIND && r.d[3].line == 9,
	    "bind: a bound address has no closed port");
	n = tp_tcp(p, A, 40000, tp_ip("192.0.2.1"), 80, TP_SYN, NULL);
	eng_inbound(e, p, n, now);
	is(r.n, 4, "outside the farm: no rule is asked");

	/* A clone the way the replay makes one for --from-clone. */
	ok(eng_bind(e, FARM + 16, NULL, 0, now, &why) == 0, "eng_bind a farm address");
	is(r.clones, 2, "which asks for a clone");
	/* The record the clone tools would print for the request. */
	vm.id = 77;
	snprintf(vm.ifname, sizeof(vm.ifname), "pk77");
	vm.ifindex = 1;
	vm.guest_ip = guest;
	vm.ip = FARM + 16;
	vm.universe = r.universe;
	snprintf(vm.type, sizeof(vm.type), "web");
	eng_clone_ready(e, r.serial, &vm, now);
	n = tp_tcp(p, guest, 5000, victim, 23, TP_SYN, NULL);
	is(eng_outbound(e, 1, p, n, now), ENG_DROP, "its telnet SYN does not leave");
	is(r.n, 5, "an outbound decision");
	is(r.d[4].action, POL_REFLECT, "reflect");
	ok(r.p[4].src == FARM + 16 && r.p[4].dir == POL_OUT,
	    "about the packet with the farm address as its source");
	ok(tp_src(p) == FARM + 16, "the packet is rewritten to the farm address");
	is(r.clones, 3, "the reflection makes a clone for the target");
	{
		struct eng_stats b4, after;
		int decided;

		eng_stats(e, &b4);
		n = tp_tcp(p, guest, 5001, victim, 8080, TP_SYN, NULL);
		is(eng_outbound(e, 1, p, n, now), ENG_DROP,
		    "the target is now bound in its universe: 8080 does not leave");
		eng_stats(e, &after);
		ok(after.parked + after.delivered == b4.parked + b4.delivered + 1 &&
		    after.dropped == b4.dropped, "it goes to the target's clone, inside the farm");
		n = tp_tcp(p, guest, 5001, victim + 1, 8080, TP_SYN, NULL);
		decided = r.n;
		is(eng_outbound(e, 1, p, n, now), ENG_DROP, "a SYN to 8080 elsewhere neither");
		is(r.n, decided + 1, "one decision");
		is(r.d[r.n - 1].action, POL_DROP, "dropped by the last rule");
		n = tp_tcp(p, FARM + 16, 5001, victim + 2, 8080, TP_SYN, NULL);
		decided = r.n;
		eng_outbound(e, 1, p, n, now);
		is(r.n, decided, "a source other than the guest's is spoofed: no rule is asked");
	}
	eng_free(e);
	pol_free(prog);
}

/* ---- the scan filter against a model ------------------------------------- */

static const char scan_policy[] =
    "farm 198.51.100.0/24\n"
    "type web tcp { 80 81 }\n"
    "hosts 198.51.100.0/24 web\n"
    "inbound reject scanner over 12 addresses in 2s\n"			/* line 4 */
    "inbound reject proto tcp scanner over 3 addresses in 1s per port\n"	/* line 5 */
    "inbound drop\n";							/* line 6 */

#define M_SRC 6
#define M_ADDR 40

struct model {
	uint64_t seen[M_SRC][2][M_ADDR];	/* last time, per window (port 80/81 for B) */
	uint64_t seen_b[M_SRC][2][M_ADDR];
};

static unsigned
distinct(const uint64_t *last, uint64_t now, uint64_t window)
{
	unsigned n = 0;

	for (int i = 0; i < M_ADDR; i++)
		n += last[i] && now - last[i] < window;
	return n;
}

static struct eng *
scan_engine(struct rec *r, size_t sources, struct pol_program **prog)
{
	struct eng_config c;
	struct eng_io io = {
		.deliver = r_deliver, .emit = r_emit, .clone = r_clone,
		.teardown = r_vm, .freeze = r_vm, .decided = r_decided, .ctx = r,
	};
	struct eng *e;

	if (pol_load_buf("scan.policy", scan_policy, strlen(scan_policy), stderr, prog) != 0)
		bail_out("the scan policy does not load");
	eng_config_defaults(&c);
	c.scan_sources_max = sources;
	c.history_max = c.universes_max = 1024;
	if ((e = eng_new(&c, *prog, &io, 1000)) == NULL)
		bail_out("eng_new failed");
	return e;
}

static void
test_scan_model(void)
{
	static struct model m;
	struct pol_program *prog;
	struct rec r = { 0 };
	struct eng *e = scan_engine(&r, 1024, &prog);
	uint64_t now = 1000;
	unsigned seed = 7;
	int wrong = 0, over_a = 0, over_b = 0;

	memset(&m, 0, sizeof(m));
	for (int k = 0; k < 30000; k++) {
		int s = (int)(rand_r(&seed) % M_SRC), a = (int)(rand_r(&seed) % M_ADDR);
		int port = (int)(rand_r(&seed) % 2), want;
		uint8_t p[128];
		size_t n;

		now += rand_r(&seed) % 60;
		m.seen[s][0][a] = now;
		m.seen_b[s][port][a] = now;
		if (distinct(m.seen[s][0], now, 2000) > 12)
			want = 4, over_a++;
		else if (distinct(m.seen_b[s][port], now, 1000) > 3)
			want = 5, over_b++;
		else
			want = 6;
		n = tp_tcp(p, A + (uint32_t)s, 1000, FARM + 1 + (uint32_t)a,
		    (uint16_t)(80 + port), TP_SYN, NULL);
		r.n = 0;
		eng_inbound(e, p, n, now);
		if (r.n != 1 || r.d[0].line != want) {
			if (wrong++ < 5)
				diag("packet %d: rule on line %d, the model says %d", k,
				    r.n ? r.d[0].line : -1, want);
		}
	}
	is(wrong, 0, "30000 random packets: every count exactly the model's");
	ok(over_a > 1000 && over_b > 1000 && over_a + over_b < 27000,
	    "with both windows over and under their thresholds (%d, %d)", over_a, over_b);
	eng_free(e);
	pol_free(prog);
}

/* A threshold below one block of four addresses. */
static void
test_scan_small(void)
{
	struct eng_config c;
	struct harness *h;

	eng_config_defaults(&c);
	c.history_max = c.scan_sources_max = c.universes_max = 1024;
	h = h_new_config("farm 198.51.100.0/24\n"
	    "type web tcp 80\n"
	    "hosts 198.51.100.0/24 web\n"
	    "idle 10s\n"
	    "limit clones 64\n"
	    "inbound drop scanner over 2 addresses in 1s unbound\n"
	    "inbound bind\n", &c);
	for (uint32_t i = 1; i <= 10; i++)
		syn(h, A, FARM + i, 80);
	is(h->nclones, 2, "a filter of 2: two clones for a sweep of ten");
	h_advance(h, 1000);
	for (uint32_t i = 11; i <= 20; i++)
		syn(h, A, FARM + i, 80);
	is(h->nclones, 4, "a second later the window is empty again: two more");
	syn(h, A, FARM + 1, 80);
	is(h->nclones, 4, "a bound address is delivered, whatever the count");
	h_free(h);
}

/* With room for a few sources only, entries are evicted and their arrays reused. */
static void
test_scan_eviction(void)
{
	static struct model m;
	struct pol_program *prog;
	struct rec r = { 0 };
	struct eng *e = scan_engine(&r, 2, &prog);
	struct eng_stats st;
	uint64_t now = 1000;
	unsigned seed = 11;
	int phantom = 0, filtered = 0;

	memset(&m, 0, sizeof(m));
	for (int k = 0; k < 20000; k++) {
		int s = (int)(rand_r(&seed) % M_SRC), a = (int)(rand_r(&seed) % M_ADDR);
		int port = (int)(rand_r(&seed) % 2), line;
		uint8_t p[128];
		size_t n;

		now += rand_r(&seed) % 40;
		m.seen[s][0][a] = now;
		m.seen_b[s][port][a] = now;
		n = tp_tcp(p, A + (uint32_t)s, 1000, FARM + 1 + (uint32_t)a,
		    (uint16_t)(80 + port), TP_SYN, NULL);
		r.n = 0;
		eng_inbound(e, p, n, now);
		line = r.n ? r.d[0].line : -1;
		filtered += line != 6;
		if ((line == 4 && distinct(m.seen[s][0], now, 2000) <= 12) ||
		    (line == 5 && distinct(m.seen_b[s][port], now, 1000) <= 3))
			phantom++;
	}
	eng_stats(e, &st);
	ok(st.scan_sources <= st.scan_sources_max && st.scan_sources_max == 4,
	    "the table stays within its bound (%zu of %zu)", st.scan_sources,
	    st.scan_sources_max);
	is(phantom, 0, "evicted sources are forgotten, never counted past what they sent");
	ok(filtered > 0, "and sources still cross their thresholds (%d times)", filtered);
	eng_free(e);
	pol_free(prog);
}

int
main(void)
{
	A = tp_ip("203.0.113.5");
	FARM = tp_ip("198.51.100.0");
	test_defaults();
	test_idle_override();
	test_no_scan_filter();
	test_decided();
	test_scan_model();
	test_scan_small();
	test_scan_eviction();
	done_testing();
}
