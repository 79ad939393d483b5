/* SPDX-License-Identifier: ISC */
/*
 * Round trip of every golden input and the example farm.policy: the dump
 * parses back, dumps to the same text, and compiles to the same program
 * (tables compared, and decisions on random packets compared).  Also the
 * compiled evaluator against the reference evaluator that reads the tree:
 * they must agree on every packet, including which questions were asked.
 */
#include "policy-dsl/pol_int.h"
#include "t/lib/tap.h"

#include <glob.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* State answers: a fixed function of the question, so both evaluators see the same. */
static uint64_t
h_age(void *ctx, uint32_t farm, uint32_t peer)
{
	uint64_t x = (uint64_t)farm * 0x9e3779b1u ^ peer ^ (uintptr_t)ctx;

	return x % 3 == 0 ? UINT64_MAX : x % 1200000;
}

static uint32_t
h_scan(void *ctx, const struct pol_packet *pkt, unsigned idx)
{
	return (uint32_t)((pkt->src * 31u + idx * 7u + (uintptr_t)ctx) % 40);
}

static bool
h_bound(void *ctx, const struct pol_packet *pkt)
{
	return ((pkt->dst ^ (uintptr_t)ctx) & 3) == 0;
}

static char *
dump(const struct pol_program *p, size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	pol_dump(p, f);
	fclose(f);
	return text;
}

/* Packets near what policies name: farm addresses, low ports, real flags. */
static void
random_packet(const struct pol_program *p, struct pol_packet *pkt)
{
	static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, 47 };
	size_t nfarm;
	const struct prefix *farm = pol_farm_prefixes(p, &nfarm);
	uint32_t inside = farm[rnd() % nfarm].addr + (uint32_t)(rnd() % 300);
	uint32_t outside = (uint32_t)rnd();

	memset(pkt, 0, sizeof(*pkt));
	pkt->dir = rnd() & 1;
	if (rnd() % 4 == 0)
		outside = 0xc0000200u + (uint32_t)(rnd() % 256);	/* 192.0.2.x */
	pkt->src = pkt->dir == POL_IN ? outside : inside;
	pkt->dst = pkt->dir == POL_IN ? inside : outside;
	pkt->proto = protos[rnd() % 4];
	if (pkt->proto == IPPROTO_TCP || pkt->proto == IPPROTO_UDP) {
		pkt->sport = (uint16_t)(rnd() % 3 ? rnd() % 1200 : rnd());
		pkt->dport = (uint16_t)(rnd() % 3 ? rnd() % 1200 : rnd());
	}
	if (pkt->proto == IPPROTO_TCP)
		pkt->tcp_flags = (uint8_t)rnd();
	if (pkt->proto == IPPROTO_ICMP)
		pkt->icmp_type = (uint8_t)(rnd() % 20);
}

static bool
same(const struct pol_decision *a, const struct pol_decision *b, bool lines)
{
	return a->action == b->action && a->flags == b->flags &&
	    a->consulted == b->consulted && a->via == b->via &&
	    a->limit_n == b->limit_n && a->limit_ms == b->limit_ms &&
	    a->rule == b->rule && (!lines || a->line == b->line);
}

static void
roundtrip(const char *path)
{
	struct pol_program *a = NULL, *b = NULL, *c = NULL;
	char *t1 = NULL, *t2 = NULL;
	size_t n1, n2;
	int bad_ref = 0, bad_rt = 0;

	if (pol_load_file(path, NULL, &a) != 0) {
		fail("%s loads", path);
		return;
	}
	t1 = dump(a, &n1);
	ok(pol_load_buf("dump", t1, n1, NULL, &b) == 0, "%s: its dump loads", path);
	if (b == NULL)
		goto out;
	t2 = dump(b, &n2);
	ok(n1 == n2 && memcmp(t1, t2, n1) == 0, "%s: dump of dump is the same", path);
	ok(pol_prog_equal(a, b), "%s: and the same program", path);
	/* A program differs from one with a rule more: the comparison can fail. */
	{
		char *t3;

		if (asprintf(&t3, "%.*s\noutbound drop proto 99\n", (int)n1, t1) > 0 &&
		    pol_load_buf("more", t3, strlen(t3), NULL, &c) == 0)
			ok(!pol_prog_equal(a, c), "%s: a rule more is another program", path);
		free(t3);
	}
	for (int i = 0; i < 20000; i++) {
		struct pol_state st = { .reply_age = h_age, .scan_count = h_scan,
		    .bound = h_bound, .ctx = (void *)(uintptr_t)(i % 5) };
		struct pol_decision da, dr, db;
		struct pol_packet pkt;

		random_packet(a, &pkt);
		pol_eval(a, &pkt, &st, &da);
		pol_eval_ref(a, &pkt, &st, &dr);
		pol_eval(b, &pkt, &st, &db);
		if (!same(&da, &dr, true) && bad_ref++ == 0)
			diag("rule %d vs reference %d, consulted %x vs %x", da.rule, dr.rule,
			    da.consulted, dr.consulted);
		if (!same(&da, &db, false))
			bad_rt++;
	}
	is(bad_ref, 0, "%s: compiled and reference evaluators agree on 20000 packets", path);
	is(bad_rt, 0, "%s: the dump decides like the original", path);
out:
	free(t1);
	free(t2);
	pol_free(a);
	pol_free(b);
	pol_free(c);
}

int
main(void)
{
	glob_t g;

	if (glob("t/policy/[0-9]*.in", 0, NULL, &g) != 0 || g.gl_pathc < 25)
		bail_out("run from the top of the tree: t/policy/NNN.in not found");
	for (size_t i = 0; i < g.gl_pathc; i++)
		roundtrip(g.gl_pathv[i]);
	roundtrip("etc/potemkin/farm.policy");
	roundtrip("bench/policy50.policy");
	globfree(&g);
	return done_testing();
}
