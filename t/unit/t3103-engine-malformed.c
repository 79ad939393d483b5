/* SPDX-License-Identifier: ISC */
/*
 * Hostile input never hurts the engine: every truncation and thousands of
 * random mutations of real-shaped packets on both paths, random DNS answers,
 * and the counters stay consistent.  Run under ASan/UBSan by CI.
 */
#include <stdlib.h>
#include <string.h>

#include "t/lib/eharness.h"
#include "t/lib/tap.h"
#include "t/lib/testpkt.h"

static const char policy[] =
    "farm 198.51.100.0/24\n"
    "type web tcp { 22 80 } udp 53\n"
    "hosts 198.51.100.0/24 web\n"
    "idle 1m\n"
    "inbound drop scanner over 64 addresses in 10s unbound\n"
    "inbound reject closed\n"
    "inbound bind\n"
    "outbound proxy proto udp to any port 53 via 192.0.2.53\n"
    "outbound pass reply within 10m\n"
    "outbound reflect proto tcp to any port 445\n"
    "outbound drop\n";

/* Seed packets of every kind the engine parses. */
static size_t
seed(int k, uint8_t *p, uint32_t src, uint32_t dst)
{
	uint8_t q[64];
	size_t ql;

	switch (k % 5) {
	case 0:
		return tp_tcp(p, src, 1234, dst, 80, TP_SYN, NULL);
	case 1:
		return tp_tcp(p, src, 1234, dst, 445, TP_ACK | TP_PSH, "payload bytes");
	case 2:
		ql = tp_dns_query(q, 7, "a.example");
		return tp_udp(p, src, 5353, dst, 53, q, ql);
	case 3:
		return tp_icmp_echo(p, src, dst, 1, 2);
	default: {
		/* A port unreachable quoting the UDP packet it answers. */
		uint8_t inner[64];

		tp_udp(inner, dst, 53, src, 9999, (const uint8_t *)"x", 1);
		return tp_icmp_error(p, src, dst, 3, 3, inner, 28);
	}
	}
}

static void
mutate(uint8_t *p, size_t *len, unsigned *rs)
{
	switch (rand_r(rs) % 4) {
	case 0:
		*len = (size_t)rand_r(rs) % (*len + 1);
		break;
	case 1:
		for (int i = rand_r(rs) % 4 + 1; i > 0; i--)
			p[rand_r(rs) % *len] = (uint8_t)rand_r(rs);
		break;
	case 2:
		p[rand_r(rs) % 40 % *len] ^= (uint8_t)(1u << (rand_r(rs) % 8));
		break;
	default:
		for (size_t i = 0; i < *len; i++)
			p[i] = (uint8_t)rand_r(rs);
		p[0] = (uint8_t)(0x40 | (p[0] & 0x0f));
	}
}

int
main(void)
{
	struct harness *h = h_new(policy);
	uint32_t src = tp_ip("203.0.113.5"), farm = tp_ip("198.51.100.7");
	uint8_t p[256];
	size_t n;
	unsigned rs = 12345;
	struct eng_stats st;
	int vm, truncations = 0;
	uint64_t sent_in = 1, sent_out = 0;	/* the SYN that makes the clone */

	n = tp_tcp(p, src, 1, farm, 80, TP_SYN, NULL);
	h_in(h, p, n);
	vm = h_ready(h, 0, tp_ip("10.0.0.2"));

	/* Every truncation of every seed, both ways. */
	for (int k = 0; k < 5; k++) {
		size_t full = seed(k, p, src, farm);

		for (size_t cut = 0; cut <= full; cut++, truncations++) {
			seed(k, p, src, farm);
			h_in(h, p, cut);
			seed(k, p, tp_ip("10.0.0.2"), src);
			h_out(h, vm, p, cut);
			sent_in++;
			sent_out++;
		}
	}
	pass("%d truncations of five kinds of packet, both ways", truncations);

	for (int i = 0; i < 200000; i++) {
		bool out = i & 1;

		n = seed(rand_r(&rs), p, out ? tp_ip("10.0.0.2") : src,
		    out ? src : farm + (uint32_t)(rand_r(&rs) % 4));
		mutate(p, &n, &rs);
		if (out) {
			h_out(h, vm, p, n);
			sent_out++;
		} else {
			h_in(h, p, n);
			sent_in++;
		}
		if (h->ndelivered > H_MAX - 16)
			h->ndelivered = 0;	/* the recorder's memory, not the engine's */
		if (h->nclones > H_MAX - 16)
			h->nclones = 0;
		if (h->nemitted > 48)
			h->nemitted = 0;
		if (h->ndns > 8)
			h->ndns = 0;
		if (h->nevents > H_MAX - 16)
			h->nevents = 0;
		if (i % 1000 == 0)
			h_advance(h, 10);
	}
	pass("200000 random mutations, both ways");

	for (int i = 0; i < 20000; i++) {
		n = (size_t)rand_r(&rs) % 200;
		for (size_t j = 0; j < n; j++)
			p[j] = (uint8_t)rand_r(&rs);
		if (n > 2)
			p[2] |= 0x80;
		eng_dns_answer(h->e, tp_ip("192.0.2.53"), 0, p, n, h->now);
	}
	pass("20000 random DNS answers");

	eng_stats(h->e, &st);
	is(st.in_packets, sent_in, "every inbound packet counted once");
	is(st.out_packets, sent_out, "every outbound packet counted once");
	ok(st.malformed > 0, "malformed packets were seen and counted (%llu)",
	    (unsigned long long)st.malformed);
	ok(st.passed <= st.out_packets, "passed never exceeds what came out");
	h_free(h);
	return done_testing();
}
