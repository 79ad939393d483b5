/* SPDX-License-Identifier: ISC */
/*
 * Address rewriting: the property that matters is that a packet rewritten
 * in place with incremental checksum updates is byte for byte the packet
 * built from scratch with the new address.  The generator computes its
 * checksums with its own byte-wise arithmetic, so this compares packet.c
 * against an independent full recomputation, on thousands of random
 * packets of every kind the gateway rewrites.
 */
#include <stdio.h>
#include <string.h>

#include "gw-pktgen.h"
#include "engine/packet.h"
#include "t/lib/tap.h"

#define ROUNDS 4000

static uint8_t pay[1600];

enum which { DST, SRC };

static void
rewrite(struct pkt *p, enum which w, uint32_t a)
{
	if (w == DST)
		pkt_set_dst(p, a);
	else
		pkt_set_src(p, a);
}

/* Rewrite g's packet and compare with g rebuilt with the new address. */
static bool
check_one(struct gen *g, enum which w, uint32_t a, bool verbose)
{
	uint8_t got[1800], want[1800];
	struct gen h = *g;
	struct pkt p;
	size_t n, m;

	n = gen_build(g, got, sizeof got);
	if (n == 0 || pkt_parse(&p, got, n) != PKT_OK) {
		if (verbose)
			diag("generated packet does not parse");
		return false;
	}
	rewrite(&p, w, a);
	if (w == DST)
		h.dst = a;
	else
		h.src = a;
	m = gen_build(&h, want, sizeof want);
	if (m != n || memcmp(got, want, n) != 0) {
		if (verbose) {
			size_t i;

			for (i = 0; i < n && got[i] == want[i]; i++)
				;
			diag("proto %u: first difference at byte %zu: %02x, want %02x",
			    g->proto, i, got[i], want[i]);
		}
		return false;
	}
	if ((w == DST ? p.dst : p.src) != a) {
		if (verbose)
			diag("struct pkt not updated");
		return false;
	}
	/* And the result verifies on its own. */
	if (!ref_ip_ok(got) || (g->proto != 1 && !ref_l4_ok(got, n - p.ihl)) ||
	    (g->proto == 1 && !ref_icmp_ok(got, n - p.ihl)))
		return false;
	return true;
}

static void
test_random_plain(void)
{
	uint64_t s = 0x9e3779b97f4a7c15ull;
	unsigned fails[3][2] = { { 0 } }, counts[3] = { 0 }, nocsum = 0;
	struct gen g;
	int i, k;

	for (i = 0; i < ROUNDS; i++) {
		gen_random(&s, &g, pay, sizeof pay);
		k = g.proto == 6 ? 0 : g.proto == 17 ? 1 : 2;
		counts[k]++;
		nocsum += g.proto == 17 && g.udp_nocsum;
		if (!check_one(&g, DST, (uint32_t)gen_rand(&s), fails[k][0] == 0))
			fails[k][0]++;
		if (!check_one(&g, SRC, (uint32_t)gen_rand(&s), fails[k][1] == 0))
			fails[k][1]++;
	}
	note("%u TCP, %u UDP (%u without checksum), %u ICMP echo",
	    counts[0], counts[1], nocsum, counts[2]);
	ok(counts[0] > 1000 && counts[1] > 1000 && counts[2] > 1000 && nocsum > 100,
	    "every kind was generated often");
	is(fails[0][0], 0, "TCP: set_dst equals a full recomputation");
	is(fails[0][1], 0, "TCP: set_src equals a full recomputation");
	is(fails[1][0], 0, "UDP: set_dst equals a full recomputation");
	is(fails[1][1], 0, "UDP: set_src equals a full recomputation");
	is(fails[2][0], 0, "ICMP echo: set_dst equals a full recomputation");
	is(fails[2][1], 0, "ICMP echo: set_src equals a full recomputation");
}

/*
 * ICMP errors quoting TCP and UDP: the inner packet is built whole, the
 * quote is a random prefix of it (at least the IP header and 8 bytes, as
 * RFC 792 asks, often all of it as Linux sends), and the expected result
 * quotes the inner packet rebuilt with the new address.
 */
static bool
check_error(uint64_t *s, enum which w, bool verbose)
{
	struct gen outer, inner;
	uint8_t in_old[1700], in_new[1700], got[1800], want[1800];
	size_t ni, qn, n, m;
	uint32_t a = (uint32_t)gen_rand(s);
	static const uint8_t types[] = { 3, 4, 5, 11, 12 };
	struct pkt p;

	do
		gen_random(s, &inner, pay, 1200);
	while (inner.proto == 1);
	ni = gen_build(&inner, in_old, sizeof in_old);
	qn = 20u + inner.ipopt_len + 8;
	if (gen_rand(s) & 1)
		qn += gen_rand(s) % (ni - qn + 1);
	else
		qn = ni;

	memset(&outer, 0, sizeof outer);
	outer.proto = 1;
	outer.icmp_type = types[gen_rand(s) % 5];
	outer.icmp_code = (uint8_t)gen_rand(s);
	outer.icmp_rest = gen_rand(s) & 1 ? (uint32_t)gen_rand(s) : 0;
	outer.ttl = 64;
	outer.ipopt_len = gen_rand(s) % 4 == 0 ? 8 : 0;
	outer.src = (uint32_t)gen_rand(s);
	/* The error goes to whoever sent the quoted packet. */
	outer.dst = inner.src;
	outer.payload = in_old;
	outer.paylen = qn;
	if (w == SRC) {
		/* Outbound: a clone answers what it was sent. */
		outer.src = inner.dst;
		outer.dst = (uint32_t)gen_rand(s);
	}
	n = gen_build(&outer, got, sizeof got);
	if (pkt_parse(&p, got, n) != PKT_OK || !p.has_quote)
		return false;
	rewrite(&p, w, a);

	if (w == DST) {
		inner.src = a;
		outer.dst = a;
	} else {
		inner.dst = a;
		outer.src = a;
	}
	gen_build(&inner, in_new, sizeof in_new);
	/*
	 * A quote that ends inside the quoted TCP checksum keeps its one byte:
	 * half a checksum cannot be updated.
	 */
	if (inner.proto == 6 && qn == 20u + inner.ipopt_len + 17)
		in_new[qn - 1] = in_old[qn - 1];
	outer.payload = in_new;
	m = gen_build(&outer, want, sizeof want);
	if (m != n || memcmp(got, want, n) != 0) {
		if (verbose) {
			size_t i;

			for (i = 0; i < n && got[i] == want[i]; i++)
				;
			diag("ICMP %u quoting %u (%zu of %zu bytes): byte %zu is %02x, want %02x",
			    outer.icmp_type, inner.proto, qn, ni, i, got[i], want[i]);
		}
		return false;
	}
	return (w == DST ? p.quote.src : p.quote.dst) == a && ref_icmp_ok(got, n - p.ihl);
}

static void
test_random_errors(void)
{
	uint64_t s = 0x0123456789abcdefull;
	unsigned fd = 0, fs = 0;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		if (!check_error(&s, DST, fd == 0))
			fd++;
		if (!check_error(&s, SRC, fs == 0))
			fs++;
	}
	is(fd, 0, "ICMP errors quoting TCP/UDP: set_dst rewrites the quoted source exactly");
	is(fs, 0, "ICMP errors quoting TCP/UDP: set_src rewrites the quoted destination exactly");
}

/* A quote whose address is not the outer one is left alone. */
static void
test_foreign_quote(void)
{
	struct gen inner, outer;
	uint8_t in[100], b[200], before[200];
	struct pkt p;
	size_t ni, n;

	memset(&inner, 0, sizeof inner);
	inner.proto = 17;
	inner.src = 0x0a000001;
	inner.dst = 0x0a000002;
	inner.sport = 1000;
	inner.dport = 53;
	ni = gen_build(&inner, in, sizeof in);
	memset(&outer, 0, sizeof outer);
	outer.proto = 1;
	outer.icmp_type = 3;
	outer.src = 0x0a0000fe;
	outer.dst = 0x0a000009;		/* not the quoted source */
	outer.payload = in;
	outer.paylen = ni;
	n = gen_build(&outer, b, sizeof b);
	memcpy(before, b, n);
	is(pkt_parse(&p, b, n), PKT_OK, "error with a foreign quote parses");
	pkt_set_dst(&p, 0x0a000063);
	ok(memcmp(b + 20, before + 20, n - 20) == 0, "its quote is untouched");
	is(p.quote.src, 0x0a000001, "quote.src unchanged");
	ok(ref_ip_ok(b) && ref_icmp_ok(b, n - 20), "and it still verifies");
}

/* UDP: a checksum that comes out 0 is sent as 0xffff; 0 (none) stays 0. */
static void
test_udp_zero(void)
{
	struct gen g;
	uint8_t b[100];
	struct pkt p;
	uint16_t sum;
	size_t n;

	memset(&g, 0, sizeof g);
	g.proto = 17;
	g.src = 0xc0000202;
	g.dst = 0xc6336401;
	g.sport = 4000;
	g.dport = 53;
	g.payload = pay;
	g.paylen = 2;
	pay[0] = pay[1] = 0;
	/* Choose the payload so that, with dst .2, the data sums to 0xffff. */
	n = gen_build(&g, b, sizeof b);
	b[26] = b[27] = 0;
	b[19] = 2;
	sum = ref_sum(b + 20, 8 + 2, ref_sum(b + 12, 8, 17u + 10u));
	pay[0] = (uint8_t)(~sum >> 8);
	pay[1] = (uint8_t)~sum;

	n = gen_build(&g, b, sizeof b);
	is(pkt_parse(&p, b, n), PKT_OK, "UDP parses");
	ok(b[26] || b[27], "its checksum is set");
	pkt_set_dst(&p, 0xc6336402);
	is(b[26] << 8 | b[27], 0xffff, "a checksum that comes out 0 is written 0xffff");
	ok(ref_l4_ok(b, n - 20), "and verifies");
	pkt_set_dst(&p, 0xc6336401);
	ok(ref_l4_ok(b, n - 20) && (b[26] || b[27]), "and back again");

	g.udp_nocsum = true;
	n = gen_build(&g, b, sizeof b);
	pkt_parse(&p, b, n);
	pkt_set_dst(&p, 0xc6336402);
	is(b[26] << 8 | b[27], 0, "no checksum stays no checksum");
	pkt_set_src(&p, 0x0a0a0a0a);
	is(b[26] << 8 | b[27], 0, "also for a new source");
	ok(ref_ip_ok(b), "the IP checksum is updated");
}

/* A later fragment gets a new address and IP checksum, nothing else. */
static void
test_fragment(void)
{
	struct gen g;
	uint8_t b[200], before[200];
	struct pkt p;
	size_t n;

	memset(&g, 0, sizeof g);
	g.proto = 6;
	g.frag_field = 0x0004;
	g.src = 0x0a000001;
	g.dst = 0x0a000002;
	g.payload = pay;
	g.paylen = 64;
	memset(pay, 0xa5, 64);
	n = gen_build(&g, b, sizeof b);
	memcpy(before, b, n);
	is(pkt_parse(&p, b, n), PKT_OK, "later fragment parses");
	pkt_set_dst(&p, 0x0a000003);
	ok(memcmp(b + 20, before + 20, n - 20) == 0, "its data is untouched");
	ok(ref_ip_ok(b) && b[19] == 3, "its header is rewritten and verifies");
}

/* The incremental helpers on their own, against the RFC 1624 examples. */
static void
test_helpers(void)
{
	uint8_t hdr[20] = { 0x45, 0, 0, 0x54, 0x12, 0x34, 0x40, 0, 64, 1, 0, 0,
	    10, 0, 0, 1, 10, 0, 0, 2 };
	uint16_t c, c2, w_old, w_new;
	uint32_t a_old, a_new;

	c = csum_buf(hdr, 20);
	memcpy(hdr + 10, &c, 2);
	is(csum_buf(hdr, 20), 0, "a header with its checksum sums to zero");
	is(ref_sum(hdr, 20, 0), 0xffff, "and the reference agrees");

	/* TTL decrement as a 16-bit word change. */
	memcpy(&w_old, hdr + 8, 2);
	hdr[8]--;
	memcpy(&w_new, hdr + 8, 2);
	c2 = csum_update16(c, w_old, w_new);
	hdr[10] = hdr[11] = 0;
	c = csum_buf(hdr, 20);
	is(c2, c, "csum_update16 after a TTL decrement equals a recomputation");

	memcpy(hdr + 10, &c, 2);
	memcpy(&a_old, hdr + 16, 4);
	hdr[16] = 198; hdr[17] = 51; hdr[18] = 100; hdr[19] = 77;
	memcpy(&a_new, hdr + 16, 4);
	c2 = csum_update32(c, a_old, a_new);
	hdr[10] = hdr[11] = 0;
	is(c2, csum_buf(hdr, 20), "csum_update32 after an address change equals a recomputation");

	/* RFC 1624 section 4: the -0 case that equation 2 gets wrong. */
	is(csum_update16(0xdd2f, 0x5555, 0x3285), 0x0000,
	    "RFC 1624 example: 0xdd2f with 0x5555 -> 0x3285 gives 0x0000");
	is(csum_buf("\x01", 1), csum_buf("\x01\x00", 2),
	    "odd length pads with a zero byte");
}

int
main(void)
{
	test_helpers();
	test_random_plain();
	test_random_errors();
	test_foreign_quote();
	test_udp_zero();
	test_fragment();
	return done_testing();
}
