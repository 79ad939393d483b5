/* SPDX-License-Identifier: ISC */
/*
 * The engine's inbound side, packet by packet: late binding with parked
 * packets, flow-cache hits, address rewriting, idle reclaim, universes, the
 * scan filter, backscatter, closed ports and the operator's commands.
 */
#include <string.h>

#include "t/lib/eharness.h"
#include "t/lib/tap.h"
#include "t/lib/testpkt.h"

static const char policy[] =
    "farm 198.51.100.0/24\n"
    "type web tcp { 22 80 } udp 53\n"
    "type smb tcp 445\n"
    "hosts 198.51.100.0/25 web\n"
    "hosts 198.51.100.128/25 smb\n"
    "universe per-source\n"
    "idle 500ms\n"
    "inbound drop proto tcp flags !S/SA unbound\n"
    "inbound drop scanner over 4 addresses in 60s unbound\n"
    "inbound reject closed\n"
    "inbound pass proto icmp bound\n"
    "inbound drop proto icmp\n"
    "inbound bind\n"
    "outbound pass reply within 10m\n"
    "outbound drop\n";

static uint32_t A, B, FARM7, FARM200;

static void
test_late_binding(void)
{
	struct harness *h = h_new(policy);
	uint8_t p[128];
	size_t n;
	int vm;
	struct eng_stats st;

	n = tp_tcp(p, A, 40000, FARM7, 80, TP_SYN, NULL);
	is(h_in(h, p, n), ENG_DROP, "the queued SYN itself is dropped");
	is(h->nclones, 1, "a clone is requested for an unbound address");
	is_str(h->clones[0].type, "web", "of the address's host type");
	is(h->clones[0].ip, FARM7, "impersonating the address");
	is(h->ndelivered, 0, "nothing delivered before the clone is up");
	h_in(h, p, n);
	is(h->nclones, 1, "a retransmission does not ask for a second clone");

	vm = h_ready(h, 0, H_GUEST_IP);
	is(h_delivered_to(h, vm), 2, "both parked packets are delivered when it is up");
	ok(tp_dst(h->delivered[0].pkt) == H_GUEST_IP, "rewritten to the guest's address");
	ok(tp_src(h->delivered[0].pkt) == A, "from the real source");
	ok(tp_checksums_ok(h->delivered[0].pkt, h->delivered[0].len), "checksums still verify");
	is(h_event_kind(h, "bind"), 1, "a bind event");
	is(h_events(h, "\"addr\":\"198.51.100.7\""), 1, "naming the address");

	n = tp_tcp(p, A, 40000, FARM7, 80, TP_ACK, "GET / HTTP/1.0\r\n\r\n");
	h_in(h, p, n);
	is(h_delivered_to(h, vm), 3, "the next segment goes straight to the clone");
	eng_stats(h->e, &st);
	ok(st.flow_hits >= 1, "through the flow cache (%llu hits)",
	    (unsigned long long)st.flow_hits);

	/* The clone answers: out of the farm, rewritten back to the address. */
	n = tp_tcp(p, H_GUEST_IP, 80, A, 40000, TP_SYN | TP_ACK, NULL);
	is(h_out(h, vm, p, n), ENG_PASS, "a reply to the one who spoke first passes");

	h_advance(h, 400);
	is(h->nteardowns, 0, "not reclaimed before the idle timeout");
	h_advance(h, 200);
	is(h->nteardowns, 1, "reclaimed once idle for 500ms");
	is(h->teardowns[0], vm, "the right clone");
	is(h_events(h, "\"reason\":\"idle\""), 1, "a reclaim event says why");

	n = tp_tcp(p, A, 40001, FARM7, 80, TP_SYN, NULL);
	h_in(h, p, n);
	is(h->nclones, 2, "after reclaim, the address binds afresh");
	h_free(h);
}

static void
test_outbound_rewrite(void)
{
	struct harness *h = h_new(policy);
	uint8_t p[128], copy[128];
	size_t n;
	int vm;

	n = tp_tcp(p, A, 40000, FARM7, 80, TP_SYN, NULL);
	h_in(h, p, n);
	vm = h_ready(h, 0, H_GUEST_IP);
	n = tp_tcp(p, H_GUEST_IP, 80, A, 40000, TP_SYN | TP_ACK, NULL);
	memcpy(copy, p, n);
	is(eng_outbound(h->e, 1000 + vm, copy, n, h->now), ENG_PASS, "passed");
	ok(tp_src(copy) == FARM7, "its source is the impersonated address again");
	ok(tp_checksums_ok(copy, n), "with valid checksums");
	h_free(h);
}

static void
test_universes(void)
{
	struct harness *h = h_new(policy);
	uint8_t p[128];
	size_t n;

	n = tp_tcp(p, A, 1, FARM7, 80, TP_SYN, NULL);
	h_in(h, p, n);
	n = tp_tcp(p, B, 1, FARM7, 80, TP_SYN, NULL);
	h_in(h, p, n);
	is(h->nclones, 2, "per-source: two sources, one address, two clones");
	isnt(h->clones[0].universe, h->clones[1].universe, "in two universes");
	h_free(h);

	{
		char shared[sizeof(policy) + 16];
		char *u;

		strcpy(shared, policy);
		u = strstr(shared, "per-source");
		memcpy(u, "shared    ", 10);
		h = h_new(shared);
	}
	n = tp_tcp(p, A, 1, FARM7, 80, TP_SYN, NULL);
	h_in(h, p, n);
	n = tp_tcp(p, B, 1, FARM7, 80, TP_SYN, NULL);
	h_in(h, p, n);
	is(h->nclones, 1, "shared: both sources reach one clone");
	h_free(h);

	{
		char pair[sizeof(policy) + 16];
		char *u;

		strcpy(pair, policy);
		u = strstr(pair, "per-source");
		memcpy(u, "per-pair  ", 10);
		h = h_new(pair);
	}
	n = tp_tcp(p, A, 1, FARM7, 80, TP_SYN, NULL);
	h_in(h, p, n);
	n = tp_tcp(p, A, 1, FARM7 + 1, 80, TP_SYN, NULL);
	h_in(h, p, n);
	is(h->nclones, 2, "per-pair: one source, two addresses");
	isnt(h->clones[0].universe, h->clones[1].universe, "each pair its own universe");
	h_free(h);
}

static void
test_scan_filter(void)
{
	struct harness *h = h_new(policy);
	uint8_t p[128];
	size_t n;

	for (uint32_t i = 1; i <= 20; i++) {
		n = tp_tcp(p, A, 1000, tp_ip("198.51.100.0") + i, 80, TP_SYN, NULL);
		h_in(h, p, n);
	}
	is(h->nclones, 4, "a sweep of 20 addresses gets exactly the threshold's 4 clones");
	is(h_event_kind(h, "scan-filtered"), 1, "and one scan-filtered event");
	n = tp_tcp(p, B, 1000, tp_ip("198.51.100.30"), 80, TP_SYN, NULL);
	h_in(h, p, n);
	is(h->nclones, 5, "another source is not affected");
	h_free(h);
}

/*
 * The first packet a peer sends to an address is decided but leaves no
 * flow behind (most such packets are alone in their flow); the flow's next
 * packet is decided again and cached, and the one after is a hit.
 */
static void
test_first_packet_not_cached(void)
{
	struct harness *h = h_new(policy);
	struct eng_stats st;
	uint8_t p[128];
	size_t n = tp_udp(p, A, 5555, FARM7, 53, (const uint8_t *)"q", 1);
	uint64_t hits;
	int vm;

	h_in(h, p, n);
	eng_stats(h->e, &st);
	is(h->nclones, 1, "a peer's first packet binds the address");
	is(st.flows, 0, "and leaves no flow in the cache");
	vm = h_ready(h, 0, H_GUEST_IP);
	h_in(h, p, n);
	eng_stats(h->e, &st);
	is(st.flows, 1, "the flow's second packet is cached");
	hits = st.flow_hits;
	h_in(h, p, n);
	eng_stats(h->e, &st);
	ok(st.flow_hits == hits + 1, "the third is a cache hit");
	is(h_delivered_to(h, vm), 3, "all three reach the one clone");
	is(h->nclones, 1, "which is asked for once");
	h_free(h);
}

static void
test_backscatter_and_closed(void)
{
	struct harness *h = h_new(policy);
	uint8_t p[128];
	size_t n;

	n = tp_tcp(p, A, 80, FARM7, 40000, TP_SYN | TP_ACK, NULL);
	h_in(h, p, n);
	n = tp_tcp(p, A, 80, FARM7, 40000, TP_RST, NULL);
	h_in(h, p, n);
	is(h->nclones, 0, "backscatter (SYN-ACK, RST) never earns a clone");

	n = tp_tcp(p, A, 5555, FARM7, 23, TP_SYN, NULL);
	h_in(h, p, n);
	is(h->nclones, 0, "a closed port makes no clone");
	is(h->nemitted, 1, "the gateway answers it itself");
	ok(tp_tcp_flags(h->emitted[0].pkt) & TP_RST, "with a RST");
	ok(tp_src(h->emitted[0].pkt) == FARM7 && tp_dst(h->emitted[0].pkt) == A,
	    "from the farm address to the sender");
	ok(tp_checksums_ok(h->emitted[0].pkt, h->emitted[0].len), "checksums valid");

	{
		uint8_t dns[64];
		size_t dl = tp_dns_query(dns, 1, "example.org");

		n = tp_udp(p, A, 5555, FARM7, 5353, dns, dl);
	}
	h_in(h, p, n);
	is(h->nemitted, 2, "a closed UDP port gets an answer too");
	is(h->emitted[1].pkt[9], 1, "an ICMP one");
	is(h->emitted[1].pkt[20], 3, "destination unreachable");
	h_free(h);
}

static void
test_icmp_pass(void)
{
	struct harness *h = h_new(policy);
	uint8_t p[128];
	size_t n;
	int vm;

	n = tp_icmp_echo(p, A, FARM7, 7, 1);
	h_in(h, p, n);
	is(h->nclones, 0, "a ping to an unbound address is dropped, no clone");
	n = tp_tcp(p, A, 1, FARM7, 80, TP_SYN, NULL);
	h_in(h, p, n);
	vm = h_ready(h, 0, 0);
	n = tp_icmp_echo(p, A, FARM7, 7, 2);
	h_in(h, p, n);
	is(h_delivered_to(h, vm), 2, "pass delivers a ping to the clone that holds the address");
	h_free(h);
}

static void
test_operator(void)
{
	struct harness *h = h_new(policy);
	const char *why = NULL;
	int vm;

	is(eng_bind(h->e, FARM200, NULL, 0, h->now, &why), 0, "bind ADDRESS");
	is_str(h->clones[0].type, "smb", "takes the host type of the address");
	is(eng_bind(h->e, tp_ip("192.0.2.1"), NULL, 0, h->now, &why), -1,
	    "an address outside the farm is refused");
	ok(why && strstr(why, "outside"), "saying why (%s)", why);
	vm = h_ready(h, 0, 0);
	is(eng_mark_infected(h->e, vm, "operator says so", h->now, &why), 0, "infected VM");
	is(h_event_kind(h, "infected"), 1, "an infected event");
	is(eng_reclaim_vm(h->e, vm, false, h->now, &why), 0, "teardown VM");
	is(h->nteardowns, 1, "runs the teardown");
	is(eng_reclaim_vm(h->e, vm, false, h->now, &why), -1, "a second time: no such clone");
	h_free(h);
}

static void
count_binding(void *ctx, const struct eng_binding_info *b)
{
	(void)b;
	(*(size_t *)ctx)++;
}

/* How many bindings eng_bindings_of finds, 999 if it miscounts its calls. */
static size_t
bindings_of(struct harness *h, uint32_t addr, uint32_t universe, uint32_t peer)
{
	size_t calls = 0, n = eng_bindings_of(h->e, addr, universe, peer, count_binding, &calls);

	return n == calls ? n : 999;
}

/* The policy with another universe mode, 10 characters wide. */
static struct harness *
h_mode(const char *mode)
{
	char text[sizeof(policy)];

	strcpy(text, policy);
	memcpy(strstr(text, "per-source"), mode, 10);
	return h_new(text);
}

/* What a detector's infected ADDR --universe/--peer finds, in each mode. */
static void
test_bindings_of(void)
{
	struct harness *h = h_new(policy);
	uint32_t stranger = tp_ip("203.0.113.99"), farm8 = tp_ip("198.51.100.8");
	const char *why = NULL;
	uint8_t p[128];
	size_t n;

	n = tp_tcp(p, A, 1, FARM7, 80, TP_SYN, NULL);
	h_in(h, p, n);
	n = tp_tcp(p, B, 1, FARM7, 80, TP_SYN, NULL);
	h_in(h, p, n);
	is(bindings_of(h, FARM7, 0, 0), 2, "per-source: an address two sources reached, twice");
	is(bindings_of(h, FARM7, 0, A), 1, "once in the universe of one of them");
	is(bindings_of(h, FARM7, h->clones[1].universe, 0), 1, "once in a universe named");
	is(bindings_of(h, FARM7, 0, stranger), 0, "not in a universe of another peer");
	is(bindings_of(h, FARM200, 0, 0), 0, "an address never bound: none");
	eng_bind(h->e, FARM200, NULL, 0, h->now, &why);
	is(bindings_of(h, FARM200, 0, 0), 1, "bound by the operator: once");
	is(bindings_of(h, FARM200, 0, A), 0, "in a universe of the operator's, no peer's");
	h_free(h);

	h = h_mode("per-pair  ");
	n = tp_tcp(p, A, 1, FARM7, 80, TP_SYN, NULL);
	h_in(h, p, n);
	is(eng_bind(h->e, farm8, NULL, h->clones[0].universe, h->now, &why), 0,
	    "per-pair: another address bound in the pair's universe");
	is(bindings_of(h, farm8, 0, A), 1, "found by the pair's source");
	is(bindings_of(h, farm8, 0, B), 0, "not by another source");
	h_free(h);

	h = h_mode("shared    ");
	n = tp_tcp(p, A, 1, FARM7, 80, TP_SYN, NULL);
	h_in(h, p, n);
	is(bindings_of(h, FARM7, 0, B), 1, "shared: every peer is in the one universe");
	h_free(h);
}

int
main(void)
{
	A = tp_ip("203.0.113.5");
	B = tp_ip("203.0.113.6");
	FARM7 = tp_ip("198.51.100.7");
	FARM200 = tp_ip("198.51.100.200");
	test_late_binding();
	test_outbound_rewrite();
	test_universes();
	test_scan_filter();
	test_first_packet_not_cached();
	test_backscatter_and_closed();
	test_icmp_pass();
	test_operator();
	test_bindings_of();
	return done_testing();
}
