/* SPDX-License-Identifier: ISC */
/*
 * Holes a review found in the engine, each shown closed: a clone made by
 * reflection passing packets out under a forged source, internal traffic
 * escaping the rules' modifiers, rate limits reset by a third rule, the DNS
 * proxy carrying a clone's extra bytes or ignoring its limit, the scan
 * filter fooled by its clock wrapping, reloads piling up timers, capacity
 * pressure reclaiming the very clone whose packet needs room, a clone record
 * that does not answer the request, an infected clone kept alive by the
 * packets it is refused, a broken record's clone left running, an operator
 * binding an unknown type, a cached flow outliving its binding, and the
 * prefetch hint's keys serving a packet they are not of.
 */
#include <stdio.h>
#include <string.h>

#include "t/lib/eharness.h"
#include "engine/eng_int.h"
#include "t/lib/tap.h"
#include "t/lib/testpkt.h"

static uint32_t A, FARM7, FARM8;

static const char base[] =
    "farm 198.51.100.0/24\n"
    "type web tcp { 22 80 } udp 53\n"
    "hosts 198.51.100.0/24 web\n"
    "universe per-source\n"
    "idle 10s\n"
    "inbound bind\n";

static struct harness *
with_rules(const char *rules)
{
	char text[2048];

	snprintf(text, sizeof(text), "%s%s", base, rules);
	return h_new(text);
}

static int
clone_for(struct harness *h, uint32_t addr)
{
	uint8_t p[128];
	size_t n = tp_tcp(p, A, 40000, addr, 80, TP_SYN, NULL);

	h_in(h, p, n);
	return h_ready(h, h->nclones - 1, H_GUEST_IP);
}

static enum eng_verdict
send_out(struct harness *h, int vm, uint32_t dst, uint16_t dport)
{
	uint8_t p[128];
	size_t n = tp_tcp(p, H_GUEST_IP, 5000, dst, dport, TP_SYN, NULL);

	return h_out(h, vm, p, n);
}

static void
test_reflected_clone_never_passes(void)
{
	struct harness *h = with_rules(
	    "outbound reflect proto tcp to any port 445\n"
	    "outbound pass proto tcp to any port 80\n"
	    "outbound drop\n");
	uint32_t victim = tp_ip("192.0.2.45");
	int worm, reflected;

	worm = clone_for(h, FARM7);
	send_out(h, worm, victim, 445);
	reflected = h_ready(h, 1, H_GUEST_IP);
	is(send_out(h, worm, tp_ip("192.0.2.77"), 80), ENG_PASS,
	    "a farm clone may pass what the policy passes");
	is(send_out(h, reflected, tp_ip("192.0.2.77"), 80), ENG_DROP,
	    "a clone holding an outside address never passes (its source would be forged)");
	h_free(h);
}

static void
test_internal_traffic_keeps_modifiers(void)
{
	struct harness *h = with_rules(
	    "outbound reflect proto tcp to any port 445 infected log limit 2/1h\n"
	    "outbound drop\n");
	int vm, delivered;

	vm = clone_for(h, FARM7);
	for (uint32_t i = 0; i < 5; i++)
		send_out(h, vm, FARM8 + i, 445);
	is(h_event_kind(h, "infected"), 1, "a worm scanning its own farm is marked infected");
	ok(h_event_kind(h, "log") >= 1, "and logged");
	is(h->nclones, 3, "and its limit holds: 2 internal clones, not 5");
	for (int i = 1; i < h->nclones; i++)
		h_ready(h, i, H_GUEST_IP);
	delivered = h->ndelivered;
	send_out(h, vm, FARM8, 80);
	is(h->ndelivered, delivered + 1, "traffic a drop rule matches is still delivered inside");
	h_free(h);
}

static void
test_rate_limits_hold_across_rules(void)
{
	struct harness *h = with_rules(
	    "outbound pass proto tcp to any port 25 limit 1/1h\n"
	    "outbound pass proto tcp to any port 26 limit 1/1h\n"
	    "outbound pass proto tcp to any port 27 limit 1/1h\n"
	    "outbound drop\n");
	int vm = clone_for(h, FARM7), passed = 0;

	for (int i = 0; i < 300; i++)
		passed += send_out(h, vm, tp_ip("192.0.2.9"), (uint16_t)(25 + i % 3)) == ENG_PASS;
	is(passed, 3, "three rules limited to 1/1h pass three packets in all");
	h_free(h);
}

static void
test_dns_proxy_strict(void)
{
	struct harness *h = with_rules(
	    "outbound proxy proto udp to any port 53 via 192.0.2.53 limit 2/1h\n"
	    "outbound drop\n");
	uint8_t q[600], p[700];
	size_t ql, n;
	int vm = clone_for(h, FARM7);

	ql = tp_dns_query(q, 7, "a.example");
	memset(q + ql, 'X', 400);	/* smuggled bytes after the question */
	n = tp_udp(p, H_GUEST_IP, 3333, tp_ip("192.0.2.1"), 53, q, ql + 400);
	h_out(h, vm, p, n);
	is(h->ndns, 1, "the question goes to the resolver");
	is(h->dns[0].len, ql, "but only the question: the bytes after it stay behind");
	for (int i = 0; i < 5; i++)
		h_out(h, vm, p, n);
	is(h->ndns, 2, "and the proxy honours the rule's limit (2/1h)");
	h_free(h);
}

static void
test_scan_filter_survives_clock_wrap(void)
{
	struct harness *h;
	char text[1024];
	uint8_t p[128];
	size_t n;

	snprintf(text, sizeof(text), "farm 198.51.100.0/24\ntype web tcp 80\n"
	    "hosts 198.51.100.0/24 web\nidle 10s\n"
	    "inbound drop scanner over 2 addresses in 60s\ninbound bind\noutbound drop\n");
	h = h_new(text);
	for (uint32_t i = 1; i <= 2; i++) {
		n = tp_tcp(p, A, 1, FARM7 + i, 80, TP_SYN, NULL);
		h_in(h, p, n);
	}
	h->now += 25ull * 24 * 3600 * 1000;	/* 25 days: past 2^31 ms */
	for (uint32_t i = 10; i < 40; i++) {
		n = tp_tcp(p, A, 1, FARM7 + i, 80, TP_SYN, NULL);
		h_in(h, p, n);
	}
	is(h->nclones, 4, "25 days later a sweep still gets only 2 more clones");
	h_free(h);

	/* Addresses seen 2^32 ms ago, whose 32-bit times have come round. */
	h = h_new(text);
	for (uint32_t i = 1; i <= 2; i++) {
		n = tp_tcp(p, A, 1, FARM7 + i, 80, TP_SYN, NULL);
		h_in(h, p, n);
	}
	h->now += (1ull << 32) + 1000;
	n = tp_tcp(p, A, 1, FARM7 + 3, 80, TP_SYN, NULL);
	h_in(h, p, n);
	is(h->nclones, 3, "2^32 ms later, the old addresses no longer count");
	h_free(h);

	/*
	 * A source back every 20 days keeps its entry fresh, but one of its
	 * addresses, never seen again, must not come round after 2^32 ms.
	 */
	h = h_new(text);
	for (uint32_t i = 1; i <= 2; i++) {
		n = tp_tcp(p, A, 1, FARM7 + i, 80, TP_SYN, NULL);
		h_in(h, p, n);
	}
	for (int visit = 0; visit < 2; visit++) {
		h->now += 20ull * 24 * 3600 * 1000;
		n = tp_tcp(p, A, 1, FARM7 + 1, 80, TP_SYN, NULL);
		h_in(h, p, n);
	}
	h->now += (1ull << 32) + 1000 - 40ull * 24 * 3600 * 1000;
	for (uint32_t i = 3; i <= 4; i++) {
		n = tp_tcp(p, A, 1, FARM7 + i, 80, TP_SYN, NULL);
		h_in(h, p, n);
	}
	is(h->nclones, 4, "an address of a source that stays active does not come round");
	h_free(h);
}

static void
test_reloads_do_not_pile_up_timers(void)
{
	char text[1024];
	struct harness *h;

	snprintf(text, sizeof(text), "%soutbound drop\n", base);
	h = h_new(text);
	clone_for(h, FARM7);
	for (int i = 0; i < 100; i++)
		h_reload(h, text);
	ok(h->e->timers.n <= 2, "100 reloads leave the timers of one clone (%zu)", h->e->timers.n);
	h_free(h);
}

static void
test_pressure_spares_the_sender(void)
{
	char text[1024];
	struct harness *h;
	int vm;

	snprintf(text, sizeof(text), "%slimit vms 1\noutbound drop\n", base);
	h = h_new(text);
	vm = clone_for(h, FARM7);
	send_out(h, vm, FARM8, 80);
	is(h->nteardowns, 0, "a clone's packet never reclaims the clone itself");
	is(h->nclones, 1, "it waits for room instead");
	h_free(h);
}

static void
test_clone_record_must_answer_the_request(void)
{
	char text[1024];
	struct harness *h;
	struct eng_vm vm = { 0 };
	uint8_t p[128];
	size_t n;

	snprintf(text, sizeof(text), "%soutbound drop\n", base);
	h = h_new(text);
	n = tp_tcp(p, A, 1, FARM7, 80, TP_SYN, NULL);
	h_in(h, p, n);
	vm.id = 5;
	snprintf(vm.ifname, sizeof(vm.ifname), "pk5");
	vm.guest_ip = vm.ip = FARM8;	/* another address than asked */
	vm.universe = h->clones[0].universe;
	vm.ifindex = 1005;
	eng_clone_ready(h->e, h->clones[0].serial, &vm, h->now);
	is(h_event_kind(h, "bind-failed"), 1, "a record for another address fails the binding");
	is(h->nteardowns, 1, "and whatever it names is torn down");
	is(h->ndelivered, 0, "nothing is delivered to it");
	h_free(h);
}

static void
test_refused_packets_are_not_activity(void)
{
	char text[1024];
	struct harness *h;
	int vm;

	snprintf(text, sizeof(text), "farm 198.51.100.0/24\ntype web tcp 80\n"
	    "hosts 198.51.100.0/24 web\nidle 2s\ninfected freeze\ninbound bind\n"
	    "outbound drop proto tcp to any port 23 infected\noutbound drop\n");
	h = h_new(text);
	vm = clone_for(h, FARM7);
	for (int i = 0; i < 50; i++) {
		send_out(h, vm, tp_ip("192.0.2.100") + (uint32_t)i, 23);
		h_advance(h, 100);
	}
	is(h->nfreezes, 1, "an infected clone whose packets are all refused goes idle and is frozen");
	h_free(h);
}

/* An operator's bind names a type the policy has, or is refused. */
static void
test_operator_bind_needs_a_known_type(void)
{
	struct harness *h = with_rules("outbound drop\n");
	const char *why = NULL;

	is(eng_bind(h->e, FARM7, "nosuch", 0, h->now, &why), -1, "bind of an unknown type is refused");
	is_str(why ? why : "", "the policy has no such host type", "and says why");
	is(h->nclones, 0, "no clone is asked for");
	is(eng_bind(h->e, FARM7, "web", 0, h->now, &why), 0, "a known type is bound");
	is(h->nclones, 1, "and its clone asked for");
	h_free(h);
}

/*
 * A cached flow whose binding was reclaimed is forgotten and decided
 * afresh: the next packet of the conversation gets a new clone.
 */
static void
test_flow_of_a_reclaimed_binding_is_decided_afresh(void)
{
	struct harness *h = with_rules("outbound drop\n");
	struct eng_stats st;
	uint8_t p[128];
	size_t n = tp_tcp(p, A, 40000, FARM7, 80, TP_SYN, NULL);

	clone_for(h, FARM7);	/* the same flow as p */
	h_advance(h, 11000);	/* idle 10s: reclaimed */
	is(h->nteardowns, 1, "the idle clone is reclaimed");
	eng_stats(h->e, &st);
	uint64_t hits = st.flow_hits;
	h_in(h, p, n);
	eng_stats(h->e, &st);
	is(h->nclones, 2, "the flow's next packet asks for a new clone");
	ok(st.flow_hits == hits, "and does not count as a cache hit");
	h_free(h);
}

/*
 * The keys and hashes the prefetch hint worked out serve only the packet it
 * saw, and only under the policy it saw it with.
 */
static void
test_hint_serves_only_its_packet(void)
{
	static const char shared[] = "farm 198.51.100.0/24\ntype web tcp { 22 80 } udp 53\n"
	    "hosts 198.51.100.0/24 web\nuniverse shared\nidle 10s\ninbound bind\n"
	    "outbound drop\n";
	struct harness *h = with_rules("outbound pass reply within 10m\n");
	uint8_t p[128], q[128];
	size_t n, qn;
	int vm;

	n = tp_tcp(p, A, 40000, FARM7, 80, TP_SYN, NULL);
	eng_prefetch_inbound(h->e, p, n);
	vm = clone_for(h, FARM8);
	is(send_out(h, vm, A, 40000), ENG_PASS,
	    "a packet after another's hint is noted under its own keys");
	h_free(h);

	h = with_rules("outbound drop\n");
	eng_prefetch_inbound(h->e, p, n);
	ok(h_reload(h, shared) == 0, "reload to one shared universe");
	h_in(h, p, n);
	qn = tp_tcp(q, A + 1, 40001, FARM7, 80, TP_SYN, NULL);
	h_in(h, q, qn);
	is(h->nclones, 1, "a hint from before the reload is not used after it");
	h_free(h);
}

int
main(void)
{
	A = tp_ip("203.0.113.5");
	FARM7 = tp_ip("198.51.100.7");
	FARM8 = tp_ip("198.51.100.8");
	test_reflected_clone_never_passes();
	test_internal_traffic_keeps_modifiers();
	test_rate_limits_hold_across_rules();
	test_dns_proxy_strict();
	test_scan_filter_survives_clock_wrap();
	test_reloads_do_not_pile_up_timers();
	test_pressure_spares_the_sender();
	test_clone_record_must_answer_the_request();
	test_refused_packets_are_not_activity();
	test_operator_bind_needs_a_known_type();
	test_flow_of_a_reclaimed_binding_is_decided_afresh();
	test_hint_serves_only_its_packet();
	return done_testing();
}
