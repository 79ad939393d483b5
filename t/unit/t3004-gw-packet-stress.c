/* SPDX-License-Identifier: ISC */
/*
 * Malformed input: random bytes, random truncation and random corruption of
 * valid packets, each in a buffer of exactly its length, through the
 * parser, both rewrites and both builders.  Under SANITIZE=1 any read or
 * write outside the buffer aborts the test; without it the invariants
 * below still have to hold.  POTEMKIN_STRESS_ROUNDS overrides the count.
 */
#include <stdlib.h>
#include <string.h>

#include "gw-pktgen.h"
#include "engine/packet.h"
#include "t/lib/tap.h"

static uint8_t pay[1600];

struct tally {
	unsigned long parsed, errors[PKT_EFRAG + 1], broken, csum_lost;
	unsigned long quotes, l4, frags;
};

/* Offsets and lengths a parse reports must lie inside the packet. */
static bool
consistent(const struct pkt *p, size_t n)
{
	if (p->len > n || p->ihl < 20 || p->ihl > p->len || p->l4_off != p->ihl)
		return false;
	if (p->has_l4 && (size_t)p->payload_off + p->payload_len > p->len)
		return false;
	if (p->has_l4 && p->frag != 0)
		return false;
	if (p->has_quote && ((size_t)p->quote.off + p->quote.len > p->len ||
	    p->quote.ihl < 20 || p->quote.ihl > p->quote.len))
		return false;
	return true;
}

static void
exercise(struct tally *t, uint64_t *s, const uint8_t *src, size_t n)
{
	uint8_t *b = malloc(n ? n : 1), out[200];
	struct pkt p;
	enum pkt_err e;
	bool ip_ok;

	if (!b)
		bail_out("out of memory");
	memcpy(b, src, n);
	e = pkt_parse(&p, n ? b : NULL, n);
	if (e > PKT_EFRAG)
		t->broken++;
	else
		t->errors[e]++;
	if (e == PKT_OK) {
		t->parsed++;
		t->quotes += p.has_quote;
		t->l4 += p.has_l4;
		t->frags += pkt_is_fragment(&p);
		if (!consistent(&p, n))
			t->broken++;
		ip_ok = ref_ip_ok(b);
		pkt_build_rst(&p, out, gen_rand(s) % sizeof out);
		pkt_build_unreach(&p, 3, out, gen_rand(s) % sizeof out);
		pkt_set_dst(&p, (uint32_t)gen_rand(s));
		pkt_set_src(&p, (uint32_t)gen_rand(s));
		if (ip_ok && !ref_ip_ok(b))
			t->csum_lost++;
		pkt_build_rst(&p, out, sizeof out);
		pkt_build_unreach(&p, 1, out, sizeof out);
	}
	free(b);
}

/* Valid packets of every kind, some of them ICMP errors around another. */
static size_t
valid_packet(uint64_t *s, uint8_t *b, size_t cap)
{
	struct gen g, outer;
	uint8_t inner[1700];
	size_t n;

	gen_random(s, &g, pay, sizeof pay);
	if (gen_rand(s) % 8 == 0)
		g.frag_field = (uint16_t)(gen_rand(s) & 0x3fff);
	n = gen_build(&g, inner, sizeof inner);
	if (gen_rand(s) % 3)
		return gen_build(&g, b, cap);
	memset(&outer, 0, sizeof outer);
	outer.proto = 1;
	outer.icmp_type = (uint8_t)(gen_rand(s) % 2 ? 3 : 11);
	outer.src = (uint32_t)gen_rand(s);
	outer.dst = g.src;
	outer.payload = inner;
	outer.paylen = gen_rand(s) % (n + 1);
	return gen_build(&outer, b, cap);
}

int
main(void)
{
	struct tally t;
	uint64_t s = 0xfeedfacecafebeefull;
	uint8_t b[1800];
	unsigned long i, rounds = 100000;
	const char *env = getenv("POTEMKIN_STRESS_ROUNDS");
	size_t n;
	int e;

	if (env)
		rounds = strtoul(env, NULL, 10);
	memset(&t, 0, sizeof t);
	for (i = 0; i < rounds; i++) {
		switch (gen_rand(&s) % 4) {
		case 0:		/* random bytes, often looking like IPv4 */
			n = gen_rand(&s) % 120;
			gen_fill(&s, b, n);
			if (n && gen_rand(&s) % 2)
				b[0] = (uint8_t)(0x40 | (b[0] & 0x0f));
			if (n > 3 && gen_rand(&s) % 2) {
				b[2] = (uint8_t)(n >> 8);
				b[3] = (uint8_t)n;
			}
			break;
		case 1:		/* a valid packet cut anywhere */
			n = valid_packet(&s, b, sizeof b);
			n = gen_rand(&s) % (n + 1);
			break;
		case 2:		/* a valid packet with bytes corrupted */
			n = valid_packet(&s, b, sizeof b);
			for (e = 0; n && e < 1 + (int)(gen_rand(&s) % 4); e++)
				b[gen_rand(&s) % (n < 80 ? n : 80)] = (uint8_t)gen_rand(&s);
			break;
		default:	/* a valid packet, whole */
			n = valid_packet(&s, b, sizeof b);
			break;
		}
		exercise(&t, &s, b, n);
	}
	note("%lu rounds: %lu parsed (%lu with L4, %lu fragments, %lu quotes)",
	    rounds, t.parsed, t.l4, t.frags, t.quotes);
	for (e = PKT_ESHORT; e <= PKT_EFRAG; e++) {
		note("%-32s %lu", pkt_strerror((enum pkt_err)e), t.errors[e]);
		ok(t.errors[e] > 0 || rounds < 10000, "error %d was reached", e);
	}
	ok(t.parsed > rounds / 4, "many inputs parsed");
	ok(t.quotes > 0 && t.frags > 0, "quotes and fragments were reached");
	is(t.broken, 0, "every parse stayed inside its buffer");
	is(t.csum_lost, 0, "a verifying IP header still verifies after rewriting");
	return done_testing();
}
