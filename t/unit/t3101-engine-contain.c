/* SPDX-License-Identifier: ISC */
/*
 * Containment in the engine: what a clone sends.  Replies pass only to a
 * peer that spoke first in the clone's own universe; DNS goes through the
 * proxy; worm-like traffic is reflected into a new clone of the same
 * universe; everything else is dropped and summarized; spoofed, fragmented,
 * IPv6 and unknown-interface packets never leave.
 */
#include <string.h>
#include <strings.h>

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
    "idle 10s\n"
    "inbound bind\n"
    "outbound proxy proto udp to any port 53 via 192.0.2.53\n"
    "outbound pass reply within 10m\n"
    "outbound reflect proto tcp to any port 445 infected\n"
    "outbound drop\n";

static uint32_t A, B, FARM7, RESOLVER;

/* A clone bound to FARM7 for A, with the shared guest address. */
static int
clone_for(struct harness *h, uint32_t src, uint32_t addr)
{
	uint8_t p[128];
	size_t n = tp_tcp(p, src, 40000, addr, 80, TP_SYN, NULL);

	h_in(h, p, n);
	return h_ready(h, h->nclones - 1, H_GUEST_IP);
}

/* Events whose JSON holds both a and b. */
static int
events_with(const struct harness *h, const char *a, const char *b)
{
	int n = 0;

	for (int i = 0; i < h->nevents; i++)
		n += strstr(h->events[i], a) && strstr(h->events[i], b);
	return n;
}

static void
test_replies_per_universe(void)
{
	struct harness *h = h_new(policy);
	uint8_t p[128];
	size_t n;
	int vm_a, vm_b;

	vm_a = clone_for(h, A, FARM7);
	vm_b = clone_for(h, B, FARM7);
	n = tp_tcp(p, H_GUEST_IP, 80, A, 40000, TP_ACK, "hi");
	is(h_out(h, vm_a, p, n), ENG_PASS, "a clone may answer the one who contacted it");
	n = tp_tcp(p, H_GUEST_IP, 80, B, 40000, TP_ACK, "hi");
	is(h_out(h, vm_a, p, n), ENG_DROP,
	    "but not someone who contacted its address in another universe");
	n = tp_tcp(p, H_GUEST_IP, 80, B, 40000, TP_ACK, "hi");
	is(h_out(h, vm_b, p, n), ENG_PASS, "who may be answered by their own clone");
	n = tp_tcp(p, H_GUEST_IP, 5000, tp_ip("192.0.2.99"), 25, TP_SYN, NULL);
	is(h_out(h, vm_a, p, n), ENG_DROP, "a new connection to a stranger is dropped");
	h_advance(h, 6000);
	is(h_event_kind(h, "contain"), 2,
	    "drops are summarized in contain events, one per destination port");
	is(events_with(h, "\"destination\":{\"port\":25},", "\"count\":1}}"), 1,
	    "naming the port, with their count");
	h_free(h);
}

static void
test_reflection(void)
{
	struct harness *h = h_new(policy);
	uint8_t p[128];
	size_t n;
	int vm, worm_target;
	struct eng_stats st;
	uint32_t victim = tp_ip("192.0.2.45");

	vm = clone_for(h, A, FARM7);
	n = tp_tcp(p, H_GUEST_IP, 6000, victim, 445, TP_SYN, NULL);
	is(h_out(h, vm, p, n), ENG_DROP, "the worm's SYN does not leave");
	is(h->nclones, 2, "it makes a clone that takes on the target's address");
	ok(h->clones[1].ip == victim, "impersonating the target");
	is(h->clones[1].universe, h->clones[0].universe, "in the sender's universe");
	is_str(h->clones[1].type, "web", "of the sender's type (outside the farm's map)");
	is(h_event_kind(h, "reflect"), 1, "a reflect event");
	is(h_event_kind(h, "infected"), 1, "and the sender is marked infected");

	worm_target = h_ready(h, 1, H_GUEST_IP);
	is(h_delivered_to(h, worm_target), 1, "the SYN reaches the new clone");
	{
		const struct h_delivery *d = &h->delivered[h->ndelivered - 1];

		ok(tp_src(d->pkt) == FARM7, "from the sender's farm address");
		ok(tp_dst(d->pkt) == H_GUEST_IP, "to the guest");
		ok(tp_checksums_ok(d->pkt, d->len), "with valid checksums");
	}
	/* The target answers: internal, back to the sender. */
	n = tp_tcp(p, H_GUEST_IP, 445, FARM7, 6000, TP_SYN | TP_ACK, NULL);
	is(h_out(h, worm_target, p, n), ENG_DROP, "the answer does not leave either");
	is(h_delivered_to(h, vm), 2, "it reaches the sender");
	ok(tp_src(h->delivered[h->ndelivered - 1].pkt) == victim,
	    "seemingly from the target");
	eng_stats(h->e, &st);
	is(st.reflected, 1, "one reflected packet counted");

	/* A packet to another farm address is internal too. */
	n = tp_tcp(p, H_GUEST_IP, 6001, tp_ip("198.51.100.150"), 445, TP_SYN, NULL);
	h_out(h, vm, p, n);
	is(h->nclones, 3, "a farm address gets a clone in the same universe");
	is_str(h->clones[2].type, "smb", "of that address's own type");
	h_free(h);
}

static void
test_dns_proxy(void)
{
	struct harness *h = h_new(policy);
	uint8_t q[128], p[256], answer[256];
	size_t ql, n;
	int vm;
	uint32_t asked = tp_ip("192.0.2.1");

	vm = clone_for(h, A, FARM7);
	ql = tp_dns_query(q, 0x4242, "evil.example");
	n = tp_udp(p, H_GUEST_IP, 33333, asked, 53, q, ql);
	is(h_out(h, vm, p, n), ENG_DROP, "the clone's DNS packet itself does not leave");
	is(h->ndns, 1, "the gateway asks the resolver itself");
	ok((uint32_t)h->dns[0].vm == RESOLVER, "the configured resolver");
	ok(h->dns[0].len == ql && memcmp(h->dns[0].pkt + 2, q + 2, 10) == 0 &&
	    strncasecmp((const char *)h->dns[0].pkt + 12, (const char *)q + 12, ql - 12) == 0,
	    "the same question, letters in any case");
	is(h_events(h, "\"name\":\"evil.example\""), 1, "the name asked is an event");

	/* The resolver answers: flip QR, add nothing else. */
	memcpy(answer, h->dns[0].pkt, h->dns[0].len);
	answer[2] |= 0x80;
	eng_dns_answer(h->e, tp_ip("192.0.2.66"), 0, answer, h->dns[0].len, h->now);
	is(h_delivered_to(h, vm), 1, "an answer from the wrong address is ignored");
	answer[h->dns[0].len - 5] ^= 1;	/* the last byte of the name */
	eng_dns_answer(h->e, RESOLVER, 0, answer, h->dns[0].len, h->now);
	is(h_delivered_to(h, vm), 1, "so is an answer to another question");
	answer[h->dns[0].len - 5] ^= 1;
	answer[13] ^= 0x20;	/* 'e' of evil, in the other case */
	eng_dns_answer(h->e, RESOLVER, 0, answer, h->dns[0].len, h->now);
	is(h_delivered_to(h, vm), 1, "an answer that does not echo the case asked is forged");
	answer[13] ^= 0x20;
	eng_dns_answer(h->e, RESOLVER, 1, answer, h->dns[0].len, h->now);
	is(h_delivered_to(h, vm), 1, "so is one on another of the gateway's sockets");
	eng_dns_answer(h->e, RESOLVER, 0, answer, h->dns[0].len, h->now);
	is(h_delivered_to(h, vm), 2, "the true answer reaches the clone");
	ok(memcmp(h->delivered[h->ndelivered - 1].pkt + 28 + 12, q + 12, ql - 12) == 0,
	    "with the question in the clone's own case");
	{
		const struct h_delivery *d = &h->delivered[h->ndelivered - 1];

		ok(tp_src(d->pkt) == asked, "from the address it asked");
		is(tp_sport(d->pkt), 53, "port 53");
		is(tp_dport(d->pkt), 33333, "to its port");
		is(d->pkt[28], 0x42, "with its own query id");
		is(d->pkt[29], 0x42, "both bytes");
		ok(tp_checksums_ok(d->pkt, d->len), "checksums valid");
	}
	eng_dns_answer(h->e, RESOLVER, 0, answer, h->dns[0].len, h->now);
	is(h_delivered_to(h, vm), 2, "a second copy of the answer is not delivered");
	h_free(h);
}

static size_t
dns_packet(uint8_t *p, uint16_t id)
{
	uint8_t q[128];
	size_t ql = tp_dns_query(q, id, "a.example");

	return tp_udp(p, H_GUEST_IP, (uint16_t)(30000 + id), tp_ip("192.0.2.1"), 53, q, ql);
}

/* A clone asks at its rate and within its share; never at another's cost. */
static void
test_dns_limits(void)
{
	struct eng_config c;
	struct eng_stats st;
	struct harness *h;
	uint8_t p[256];
	size_t n;
	int vm, vm2;

	eng_config_defaults(&c);
	h = h_new_config(policy, &c);
	vm = clone_for(h, A, FARM7);
	for (uint16_t i = 0; i < 30; i++) {
		n = dns_packet(p, i);
		h_out(h, vm, p, n);
	}
	eng_stats(h->e, &st);
	is(h->ndns, 16, "a burst: the harness keeps 16 questions...");
	is(st.dns_questions, 20, "...of the 20 asked: the clone's rate");
	is(st.dns_limited, 10, "the rest are counted, not asked");
	h_advance(h, 1000);
	n = dns_packet(p, 99);
	h_out(h, vm, p, n);
	eng_stats(h->e, &st);
	is(st.dns_questions, 21, "a second later it may ask again");
	h_free(h);

	/* Four outstanding at most in all: the first clone's stay. */
	eng_config_defaults(&c);
	c.dns_max = 4;
	c.dns_rate = 1000;
	h = h_new_config(policy, &c);
	vm = clone_for(h, A, FARM7);
	vm2 = clone_for(h, A, tp_ip("198.51.100.8"));
	for (uint16_t i = 0; i < 4; i++) {
		n = dns_packet(p, i);
		h_out(h, vm, p, n);
	}
	n = dns_packet(p, 50);
	h_out(h, vm2, p, n);
	eng_stats(h->e, &st);
	is(st.dns_questions, 4, "a full table refuses the other clone's question");
	is(st.dns_outstanding, 4, "rather than forget the first clone's");
	h_free(h);

	/* Its share of the outstanding questions. */
	eng_config_defaults(&c);
	c.dns_rate = 1000;
	c.dns_per_clone = 3;
	h = h_new_config(policy, &c);
	vm = clone_for(h, A, FARM7);
	for (uint16_t i = 0; i < 5; i++) {
		n = dns_packet(p, i);
		h_out(h, vm, p, n);
	}
	eng_stats(h->e, &st);
	is(st.dns_questions, 3, "a clone has at most dns_per_clone questions out");
	h_advance(h, 6000);
	h_advance(h, 1000);
	n = dns_packet(p, 7);
	h_out(h, vm, p, n);
	eng_stats(h->e, &st);
	is(st.dns_questions, 4, "and asks again once they time out");
	h_free(h);
}

static void
test_never_leaves(void)
{
	struct harness *h = h_new(policy);
	uint8_t p[128];
	size_t n;
	int vm;
	struct eng_stats st;

	vm = clone_for(h, A, FARM7);
	n = tp_tcp(p, tp_ip("10.9.9.9"), 80, A, 40000, TP_ACK, NULL);
	is(h_out(h, vm, p, n), ENG_DROP, "a spoofed source is dropped, even towards a peer");
	n = tp_tcp(p, H_GUEST_IP, 80, A, 40000, TP_ACK, NULL);
	is(h_out(h, vm + 50, p, n), ENG_DROP, "a packet from an interface no clone owns");
	p[6] |= 0x20;	/* more fragments */
	p[10] = p[11] = 0;
	is(h_out(h, vm, p, n), ENG_DROP, "a fragment is dropped");
	memset(p, 0, 60);
	p[0] = 0x60;
	is(h_out(h, vm, p, 60), ENG_DROP, "IPv6 is dropped");
	is(h_out(h, vm, p, 0), ENG_DROP, "an empty packet is dropped");
	eng_stats(h->e, &st);
	is(st.spoofed, 1, "spoofing counted");
	is(st.unknown_clone, 1, "unknown interface counted");
	is(st.fragments_dropped, 1, "fragment counted");
	is(st.not_ipv4, 2, "IPv6 and empty counted");
	is(st.passed, 0, "nothing passed");
	h_free(h);
}

static void
test_infected_teardown_and_rate(void)
{
	static const char strict[] =
	    "farm 198.51.100.0/24\n"
	    "type web tcp 80\n"
	    "hosts 198.51.100.0/24 web\n"
	    "infected teardown\n"
	    "idle 10s\n"
	    "inbound bind\n"
	    "outbound drop proto tcp to any port 23 infected\n"
	    "outbound pass reply within 10m limit 3/1s\n"
	    "outbound drop\n";
	struct harness *h = h_new(strict);
	uint8_t p[128];
	size_t n;
	int vm, passed = 0;

	vm = clone_for(h, A, FARM7);
	for (int i = 0; i < 5; i++) {
		n = tp_tcp(p, H_GUEST_IP, 80, A, 40000, TP_ACK, NULL);
		passed += h_out(h, vm, p, n) == ENG_PASS;
	}
	is(passed, 3, "a rate limit of 3/1s passes three packets");
	h_advance(h, 1000);
	n = tp_tcp(p, H_GUEST_IP, 80, A, 40000, TP_ACK, NULL);
	is(h_out(h, vm, p, n), ENG_PASS, "and more after a second");

	n = tp_tcp(p, H_GUEST_IP, 7000, tp_ip("192.0.2.80"), 23, TP_SYN, NULL);
	is(h_out(h, vm, p, n), ENG_DROP, "a telnet attempt is dropped");
	is(h->nteardowns, 1, "and `infected teardown` reclaims the clone at once");
	n = tp_tcp(p, H_GUEST_IP, 80, A, 40000, TP_ACK, NULL);
	is(h_out(h, vm, p, n), ENG_DROP, "nothing more from its interface passes");
	h_free(h);
}

int
main(void)
{
	A = tp_ip("203.0.113.5");
	B = tp_ip("203.0.113.6");
	FARM7 = tp_ip("198.51.100.7");
	RESOLVER = tp_ip("192.0.2.53");
	test_replies_per_universe();
	test_reflection();
	test_dns_proxy();
	test_dns_limits();
	test_never_leaves();
	test_infected_teardown_and_rate();
	return done_testing();
}
