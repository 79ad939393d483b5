/* SPDX-License-Identifier: ISC */
/*
 * Evaluator truth tables: every action, every match, every modifier, first
 * match, no match, and which state questions are asked (only for rules whose
 * packet fields matched, once each, in the documented order).
 */
#include "policy-dsl/policy.h"
#include "t/lib/tap.h"

#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The state the evaluator asks, with counters to prove laziness. */
struct st {
	uint64_t age;
	uint32_t scan[4];
	bool bound;
	int nage, nscan, nbound;
	uint32_t farm, peer;
	unsigned scan_idx[8];
};

static uint64_t
st_age(void *ctx, uint32_t farm, uint32_t peer)
{
	struct st *s = ctx;

	s->nage++;
	s->farm = farm;
	s->peer = peer;
	return s->age;
}

static uint32_t
st_scan(void *ctx, const struct pol_packet *pkt, unsigned idx)
{
	struct st *s = ctx;

	(void)pkt;
	if (s->nscan < 8)
		s->scan_idx[s->nscan] = idx;
	s->nscan++;
	return idx < 4 ? s->scan[idx] : 0;
}

static bool
st_bound(void *ctx, const struct pol_packet *pkt)
{
	struct st *s = ctx;

	(void)pkt;
	s->nbound++;
	return s->bound;
}

static struct st S;
static struct pol_program *P;

static void
use(const char *text)
{
	pol_free(P);
	P = NULL;
	if (pol_load_buf("t", text, strlen(text), NULL, &P) != 0 &&
	    pol_load_buf("t", text, strlen(text), stderr, &P) != 0)
		bail_out("test policy does not load:\n%s", text);
}

static uint32_t
A(const char *s)
{
	uint32_t a = 0;

	if (addr_parse(s, strlen(s), &a) != ADDR_OK)
		bail_out("bad address in test: %s", s);
	return a;
}

/* Decide: "in tcp 192.0.2.1 1234 198.51.100.7 80" style, state from S. */
static struct pol_decision
D(int dir, int proto, const char *src, int sport, const char *dst, int dport)
{
	struct pol_state st = { .reply_age = st_age, .scan_count = st_scan, .bound = st_bound, .ctx = &S };
	struct pol_packet pkt = {
		.src = A(src), .dst = A(dst), .sport = (uint16_t)sport,
		.dport = (uint16_t)dport, .dir = (uint8_t)dir, .proto = (uint8_t)proto,
	};
	struct pol_decision d;

	S.nage = S.nscan = S.nbound = 0;
	pol_eval(P, &pkt, &st, &d);
	return d;
}

static struct pol_decision
DF(const char *src, const char *dst, int dport, uint8_t flags)
{
	struct pol_state st = { .reply_age = st_age, .scan_count = st_scan, .bound = st_bound, .ctx = &S };
	struct pol_packet pkt = {
		.src = A(src), .dst = A(dst), .sport = 40000, .dport = (uint16_t)dport,
		.dir = POL_IN, .proto = IPPROTO_TCP, .tcp_flags = flags,
	};
	struct pol_decision d;

	S.nage = S.nscan = S.nbound = 0;
	pol_eval(P, &pkt, &st, &d);
	return d;
}

static struct pol_decision
DI(int dir, uint8_t type)
{
	struct pol_state st = { .reply_age = st_age, .scan_count = st_scan, .bound = st_bound, .ctx = &S };
	struct pol_packet pkt = {
		.src = A("192.0.2.1"), .dst = A("198.51.100.7"), .dir = (uint8_t)dir,
		.proto = IPPROTO_ICMP, .icmp_type = type,
	};
	struct pol_decision d;

	S.nage = S.nscan = S.nbound = 0;
	pol_eval(P, &pkt, &st, &d);
	return d;
}

#define TCP IPPROTO_TCP
#define UDP IPPROTO_UDP
#define ICMP IPPROTO_ICMP
#define IN POL_IN
#define OUT POL_OUT
#define OUTSIDE "192.0.2.1"
#define INSIDE "198.51.100.7"

static void
actions(void)
{
	struct pol_decision d;

	use("farm 198.51.100.0/24\n"
	    "inbound pass proto icmp\n"
	    "inbound drop proto udp\n"
	    "inbound reject proto tcp to any port 23\n"
	    "inbound bind\n"
	    "outbound proxy proto udp to any port 53 via 192.0.2.53\n"
	    "outbound reflect proto tcp to any port 445\n"
	    "outbound pass proto tcp to any port 80\n"
	    "outbound reject proto tcp to any port 25\n"
	    "outbound drop log\n");
	d = D(IN, ICMP, OUTSIDE, 0, INSIDE, 0);
	ok(d.action == POL_PASS && d.rule == 0 && d.line == 2, "inbound pass");
	d = D(IN, UDP, OUTSIDE, 1, INSIDE, 2);
	ok(d.action == POL_DROP && d.rule == 1 && d.line == 3, "inbound drop");
	d = D(IN, TCP, OUTSIDE, 1, INSIDE, 23);
	ok(d.action == POL_REJECT && d.rule == 2 && d.line == 4, "inbound reject");
	d = D(IN, TCP, OUTSIDE, 1, INSIDE, 22);
	ok(d.action == POL_BIND && d.rule == 3 && d.line == 5, "inbound bind");
	d = D(OUT, UDP, INSIDE, 5000, "192.0.2.9", 53);
	ok(d.action == POL_PROXY && d.rule == 0 && d.line == 6, "outbound proxy");
	is(d.via, A("192.0.2.53"), "proxy via the resolver");
	d = D(OUT, TCP, INSIDE, 5000, "192.0.2.9", 445);
	ok(d.action == POL_REFLECT && d.rule == 1 && d.via == 0, "outbound reflect");
	d = D(OUT, TCP, INSIDE, 5000, "192.0.2.9", 80);
	ok(d.action == POL_PASS && d.rule == 2, "outbound pass");
	d = D(OUT, TCP, INSIDE, 5000, "192.0.2.9", 25);
	ok(d.action == POL_REJECT && d.rule == 3, "outbound reject");
	d = D(OUT, UDP, INSIDE, 5000, "192.0.2.9", 54);
	ok(d.action == POL_DROP && d.rule == 4 && d.line == 10 && d.flags == POL_F_LOG,
	    "outbound drop log");

	use("farm 198.51.100.0/24\ninbound pass proto udp\n");
	d = D(IN, TCP, OUTSIDE, 1, INSIDE, 2);
	ok(d.action == POL_DROP && d.rule == -1 && d.line == 0 && d.flags == 0,
	    "no match: drop, rule -1, line 0");
	d = D(OUT, UDP, INSIDE, 1, OUTSIDE, 2);
	ok(d.action == POL_DROP && d.rule == -1, "no outbound rules: drop");
	d = D(7, UDP, OUTSIDE, 1, INSIDE, 2);
	ok(d.action == POL_DROP && d.rule == -1, "a direction that is not one: drop");
}

static void
protos_and_addresses(void)
{
	use("farm 198.51.100.0/25\nfarm 203.0.113.0/24\n"
	    "inbound pass proto 47\n"
	    "inbound pass proto { tcp udp } from 192.0.2.1\n"
	    "inbound reject proto tcp from 10.0.0.0/8 to farm\n"
	    "inbound reject proto udp from { 10.0.0.0/8 172.16.0.0/12 } to { 198.51.100.200 203.0.113.0/30 }\n"
	    "inbound bind proto tcp to 198.51.100.0/25\n"
	    "inbound drop proto udp from any to any\n");
	is(D(IN, 47, "9.9.9.9", 0, INSIDE, 0).rule, 0, "proto 47");
	is(D(IN, 50, "9.9.9.9", 0, INSIDE, 0).rule, -1, "proto 50: no rule");
	is(D(IN, TCP, "192.0.2.1", 1, INSIDE, 2).rule, 1, "from one address, tcp");
	is(D(IN, UDP, "192.0.2.1", 1, INSIDE, 2).rule, 1, "from one address, udp");
	is(D(IN, ICMP, "192.0.2.1", 0, INSIDE, 0).rule, -1, "from one address, icmp: no");
	is(D(IN, TCP, "192.0.2.2", 1, INSIDE, 2).rule, 4, "the next address: not rule 1");
	is(D(IN, TCP, "10.0.0.0", 1, "198.51.100.0", 2).rule, 2, "prefix first address, farm first address");
	is(D(IN, TCP, "10.255.255.255", 1, "198.51.100.127", 2).rule, 2, "prefix last address, farm last of /25");
	is(D(IN, TCP, "11.0.0.0", 1, "198.51.100.127", 2).rule, 4, "one past the prefix");
	is(D(IN, TCP, "10.1.1.1", 1, "198.51.100.128", 2).rule, -1, "outside the farm");
	is(D(IN, TCP, "10.1.1.1", 1, "203.0.113.255", 2).rule, 2, "second farm prefix");
	is(D(IN, UDP, "172.31.255.255", 1, "198.51.100.200", 2).rule, 3, "lists: second prefix, first address");
	is(D(IN, UDP, "10.0.0.1", 1, "203.0.113.3", 2).rule, 3, "lists: first prefix, /30 end");
	is(D(IN, UDP, "10.0.0.1", 1, "203.0.113.4", 2).rule, 5, "lists: past the /30");
	is(D(IN, UDP, "172.32.0.0", 1, "198.51.100.200", 2).rule, 5, "lists: past the /12");
}

static void
ports(void)
{
	use("farm 198.51.100.0/24\n"
	    "inbound pass proto tcp to any port 80\n"
	    "inbound reject proto tcp to any port { 22 23 1000-1999 }\n"
	    "inbound bind proto udp from any port 53 to any port 1024-65535\n"
	    "inbound drop proto { tcp udp } to any port 0\n");
	is(D(IN, TCP, OUTSIDE, 1, INSIDE, 80).rule, 0, "port 80");
	is(D(IN, TCP, OUTSIDE, 1, INSIDE, 79).rule, -1, "port 79");
	is(D(IN, TCP, OUTSIDE, 1, INSIDE, 81).rule, -1, "port 81");
	is(D(IN, UDP, OUTSIDE, 1, INSIDE, 80).rule, -1, "udp 80: proto differs");
	is(D(IN, TCP, OUTSIDE, 1, INSIDE, 22).rule, 1, "list: 22");
	is(D(IN, TCP, OUTSIDE, 1, INSIDE, 23).rule, 1, "list: 23");
	is(D(IN, TCP, OUTSIDE, 1, INSIDE, 24).rule, -1, "list: 24");
	is(D(IN, TCP, OUTSIDE, 1, INSIDE, 999).rule, -1, "range: 999");
	is(D(IN, TCP, OUTSIDE, 1, INSIDE, 1000).rule, 1, "range: 1000");
	is(D(IN, TCP, OUTSIDE, 1, INSIDE, 1999).rule, 1, "range: 1999");
	is(D(IN, TCP, OUTSIDE, 1, INSIDE, 2000).rule, -1, "range: 2000");
	is(D(IN, UDP, OUTSIDE, 53, INSIDE, 1024).rule, 2, "source 53, to 1024");
	is(D(IN, UDP, OUTSIDE, 53, INSIDE, 65535).rule, 2, "to 65535");
	is(D(IN, UDP, OUTSIDE, 54, INSIDE, 2000).rule, -1, "source 54");
	is(D(IN, UDP, OUTSIDE, 53, INSIDE, 1023).rule, -1, "to 1023");
	is(D(IN, UDP, OUTSIDE, 5, INSIDE, 0).rule, 3, "port 0");
}

static void
flags(void)
{
	const uint8_t F = POL_TH_FIN, S_ = POL_TH_SYN, R = POL_TH_RST, A_ = POL_TH_ACK;

	use("farm 198.51.100.0/24\ninbound pass proto tcp flags S/SA\n");
	is(DF(OUTSIDE, INSIDE, 80, S_).rule, 0, "S/SA: S");
	is(DF(OUTSIDE, INSIDE, 80, S_ | F).rule, 0, "S/SA: SF (F outside the mask)");
	is(DF(OUTSIDE, INSIDE, 80, S_ | A_).rule, -1, "S/SA: SA");
	is(DF(OUTSIDE, INSIDE, 80, A_).rule, -1, "S/SA: A");
	is(DF(OUTSIDE, INSIDE, 80, 0).rule, -1, "S/SA: none");
	use("farm 198.51.100.0/24\ninbound drop proto tcp flags !S/SA\n");
	is(DF(OUTSIDE, INSIDE, 80, S_).rule, -1, "!S/SA: S");
	is(DF(OUTSIDE, INSIDE, 80, S_ | A_).rule, 0, "!S/SA: SA");
	is(DF(OUTSIDE, INSIDE, 80, A_).rule, 0, "!S/SA: A");
	is(DF(OUTSIDE, INSIDE, 80, R).rule, 0, "!S/SA: R");
	is(DF(OUTSIDE, INSIDE, 80, 0).rule, 0, "!S/SA: none");
	use("farm 198.51.100.0/24\ninbound pass proto tcp flags S\n");
	is(DF(OUTSIDE, INSIDE, 80, S_).rule, 0, "S (all flags in the mask): S");
	is(DF(OUTSIDE, INSIDE, 80, S_ | F).rule, -1, "S: SF");
	use("farm 198.51.100.0/24\ninbound pass proto tcp flags R/R\n");
	is(DF(OUTSIDE, INSIDE, 80, R | A_).rule, 0, "R/R: RA");
	is(DF(OUTSIDE, INSIDE, 80, A_).rule, -1, "R/R: A");
}

static void
icmp(void)
{
	use("farm 198.51.100.0/24\n"
	    "inbound pass proto icmp icmp-type echoreq\n"
	    "inbound drop proto icmp icmp-type { unreach 11 200 }\n"
	    "outbound pass proto icmp icmp-type echorep\n");
	is(DI(IN, 8).rule, 0, "echoreq");
	is(DI(IN, 0).rule, -1, "echorep inbound: no rule");
	is(DI(IN, 3).rule, 1, "unreach");
	is(DI(IN, 11).rule, 1, "timex by number");
	is(DI(IN, 200).rule, 1, "type 200");
	is(DI(IN, 201).rule, -1, "type 201");
	is(DI(OUT, 0).rule, 0, "echorep outbound");
	is(D(IN, TCP, OUTSIDE, 8, INSIDE, 8).rule, -1, "tcp is no icmp");
}

static void
reply(void)
{
	struct pol_decision d;

	use("farm 198.51.100.0/24\n"
	    "outbound pass reply within 10m\n"
	    "inbound pass proto udp reply within 1s\n");
	S.age = 0;
	d = D(OUT, TCP, INSIDE, 80, OUTSIDE, 4000);
	ok(d.action == POL_PASS && d.rule == 0, "age 0: a reply");
	ok(S.farm == A(INSIDE) && S.peer == A(OUTSIDE), "outbound: farm side is the source");
	is(d.consulted, POL_Q_REPLY, "reply consulted");
	is(S.nage, 1, "asked once");
	S.age = 600000;
	is(D(OUT, TCP, INSIDE, 80, OUTSIDE, 4000).rule, 0, "exactly 10m: still a reply");
	S.age = 600001;
	is(D(OUT, TCP, INSIDE, 80, OUTSIDE, 4000).rule, -1, "10m and 1ms: not");
	S.age = UINT64_MAX;
	is(D(OUT, TCP, INSIDE, 80, OUTSIDE, 4000).rule, -1, "never: not");
	S.age = 999;
	d = D(IN, UDP, OUTSIDE, 53, INSIDE, 5000);
	ok(d.rule == 0 && S.farm == A(INSIDE) && S.peer == A(OUTSIDE),
	    "inbound: farm side is the destination");
	S.age = 0;
}

static void
closed(void)
{
	use("farm 198.51.100.0/24\n"
	    "type web tcp { 22 80 } udp 53\n"
	    "type tel tcp 23\n"
	    "hosts 198.51.100.0/25 web\n"
	    "hosts 198.51.100.16/28 tel\n"
	    "inbound reject closed\n"
	    "inbound bind\n");
	is(D(IN, TCP, OUTSIDE, 1, "198.51.100.1", 80).rule, 1, "web tcp 80 open");
	is(D(IN, TCP, OUTSIDE, 1, "198.51.100.1", 81).rule, 0, "web tcp 81 closed");
	is(D(IN, UDP, OUTSIDE, 1, "198.51.100.1", 53).rule, 1, "web udp 53 open");
	is(D(IN, UDP, OUTSIDE, 1, "198.51.100.1", 80).rule, 0, "web udp 80 closed");
	is(D(IN, TCP, OUTSIDE, 1, "198.51.100.17", 23).rule, 1, "tel (longest prefix) 23 open");
	is(D(IN, TCP, OUTSIDE, 1, "198.51.100.17", 80).rule, 0, "tel 80 closed");
	is(D(IN, TCP, OUTSIDE, 1, "198.51.100.200", 80).rule, 0, "no type: tcp closed");
	is(D(IN, UDP, OUTSIDE, 1, "198.51.100.200", 53).rule, 0, "no type: udp closed");
	is(D(IN, ICMP, OUTSIDE, 0, "198.51.100.200", 0).rule, 1, "icmp is never closed");
	is(D(IN, 47, OUTSIDE, 0, "198.51.100.200", 0).rule, 1, "gre is never closed");
	is(D(IN, TCP, OUTSIDE, 1, "198.51.100.1", 80).consulted, 0,
	    "an open port asks no callback");
	is(D(IN, TCP, OUTSIDE, 1, "198.51.100.1", 81).consulted, POL_Q_BOUND,
	    "a closed port asks only whether a clone holds the address");
	S.bound = true;
	is(D(IN, TCP, OUTSIDE, 1, "198.51.100.1", 81).rule, 1,
	    "a bound address has no closed port: its clone answers on every port");
	is(D(IN, UDP, OUTSIDE, 1, "198.51.100.200", 53).rule, 1, "nor has a bound typeless one");
	S.bound = false;

	/* The old meaning, written out: closed ports of bound addresses too. */
	use("farm 198.51.100.0/24\ntype web tcp 80\nhosts 198.51.100.0/25 web\n"
	    "inbound reject closed bound\ninbound reject closed\ninbound bind\n");
	S.bound = true;
	is(D(IN, TCP, OUTSIDE, 1, "198.51.100.1", 81).rule, 0, "closed bound: a bound address");
	is(D(IN, TCP, OUTSIDE, 1, "198.51.100.1", 80).rule, 2, "whose open ports still bind");
	S.bound = false;
	is(D(IN, TCP, OUTSIDE, 1, "198.51.100.1", 81).rule, 1, "closed: an unbound one");

	/* Outbound, closed keeps its plain meaning: the destination's port. */
	use("farm 198.51.100.0/24\ntype web tcp 80\nhosts 198.51.100.0/25 web\n"
	    "outbound drop closed\noutbound pass\n");
	S.bound = true;
	is(D(OUT, TCP, "198.51.100.1", 80, "198.51.100.2", 81).rule, 0,
	    "outbound closed asks nothing of the sender's binding");
	S.bound = false;
}

static void
scanner(void)
{
	struct pol_decision d;

	use("farm 198.51.100.0/24\n"
	    "inbound drop scanner over 16 addresses in 60s\n"
	    "inbound reject proto tcp scanner over 4 addresses in 10s per port\n"
	    "inbound pass scanner over 16 addresses in 1m log\n"
	    "inbound bind\n");
	memset(S.scan, 0, sizeof(S.scan));
	d = D(IN, TCP, OUTSIDE, 1, INSIDE, 80);
	ok(d.rule == 3 && d.consulted == POL_Q_SCAN, "quiet source: bind, scan consulted");
	is(S.nscan, 2, "two windows asked (rule 2 reuses window 0)");
	ok(S.scan_idx[0] == 0 && S.scan_idx[1] == 1, "window indices 0 then 1");
	S.scan[0] = 16;
	is(D(IN, TCP, OUTSIDE, 1, INSIDE, 80).rule, 3, "16 is not over 16");
	S.scan[0] = 17;
	is(D(IN, TCP, OUTSIDE, 1, INSIDE, 80).rule, 0, "17 is over 16");
	is(S.nscan, 1, "and only window 0 was asked");
	S.scan[0] = 0;
	S.scan[1] = 5;
	is(D(IN, TCP, OUTSIDE, 1, INSIDE, 80).rule, 1, "per-port window over 4");
	is(D(IN, UDP, OUTSIDE, 1, INSIDE, 80).rule, 3, "udp: the tcp rule does not ask");
	is(S.nscan, 1, "udp asked window 0 only");
	S.scan[1] = 0;
}

static void
bound(void)
{
	struct pol_decision d;

	use("farm 198.51.100.0/24\n"
	    "inbound drop proto tcp flags !S/SA unbound\n"
	    "inbound pass proto icmp bound\n"
	    "inbound bind unbound\n"
	    "inbound pass bound log\n");
	S.bound = false;
	d = DF(OUTSIDE, INSIDE, 80, POL_TH_ACK);
	ok(d.rule == 0 && d.consulted == POL_Q_BOUND, "stray ACK to an unbound address: drop");
	S.bound = true;
	d = DF(OUTSIDE, INSIDE, 80, POL_TH_ACK);
	ok(d.rule == 3 && d.flags == POL_F_LOG, "ACK to a bound address: pass log");
	is(S.nbound, 1, "bound asked once for three rules that need it");
	is(DI(IN, 8).rule, 1, "ping to a bound address: pass");
	S.bound = false;
	is(DI(IN, 8).rule, 2, "ping to an unbound address: bind");
	d = DF(OUTSIDE, INSIDE, 80, POL_TH_SYN);
	ok(d.rule == 2 && d.action == POL_BIND, "SYN to an unbound address: bind");
}

static void
modifiers(void)
{
	struct pol_decision d;

	use("farm 198.51.100.0/24\n"
	    "outbound reflect proto tcp to any port 445 infected\n"
	    "outbound reflect proto tcp to any port 139 infected log limit 10/1m\n"
	    "outbound pass proto udp limit 5/500ms\n"
	    "inbound bind log limit 1000/1s\n");
	d = D(OUT, TCP, INSIDE, 1, OUTSIDE, 445);
	ok(d.flags == POL_F_INFECTED && d.limit_ms == 0, "infected");
	d = D(OUT, TCP, INSIDE, 1, OUTSIDE, 139);
	ok(d.flags == (POL_F_INFECTED | POL_F_LOG) && d.limit_n == 10 && d.limit_ms == 60000,
	    "infected, log, limit 10/1m");
	d = D(OUT, UDP, INSIDE, 1, OUTSIDE, 139);
	ok(d.flags == 0 && d.limit_n == 5 && d.limit_ms == 500, "limit 5/500ms");
	d = D(IN, UDP, OUTSIDE, 1, INSIDE, 139);
	ok(d.action == POL_BIND && d.flags == POL_F_LOG && d.limit_n == 1000 &&
	    d.limit_ms == 1000, "inbound bind log limit");
}

static void
laziness(void)
{
	struct pol_decision d;

	use("farm 198.51.100.0/24\n"
	    "type web tcp 80\nhosts 198.51.100.0/24 web\n"
	    "inbound drop proto udp scanner over 1 addresses in 1s reply within 1s bound\n"
	    "inbound drop proto tcp closed unbound reply within 1s scanner over 1 addresses in 1s\n"
	    "inbound pass\n");
	S.bound = false;
	S.age = 0;
	S.scan[0] = S.scan[1] = 100;
	d = D(IN, ICMP, OUTSIDE, 0, INSIDE, 0);
	ok(d.rule == 2 && d.consulted == 0 && S.nage + S.nscan + S.nbound == 0,
	    "packet fields fail: no question asked");
	d = D(IN, UDP, OUTSIDE, 1, INSIDE, 2);
	ok(d.rule == 2 && d.consulted == POL_Q_BOUND && S.nage == 0 && S.nscan == 0,
	    "bound fails first: reply and scanner never asked");
	d = D(IN, TCP, OUTSIDE, 1, INSIDE, 80);
	ok(d.rule == 2 && d.consulted == 0, "not closed: nothing asked");
	d = D(IN, TCP, OUTSIDE, 1, INSIDE, 81);
	ok(d.rule == 1 && d.consulted == (POL_Q_BOUND | POL_Q_REPLY | POL_Q_SCAN),
	    "closed, then bound, reply and scanner asked");
	S.age = 5000;
	d = D(IN, TCP, OUTSIDE, 1, INSIDE, 81);
	ok(d.rule == 2 && d.consulted == (POL_Q_BOUND | POL_Q_REPLY) && S.nscan == 0,
	    "reply fails: scanner not asked");
	S.age = 0;
	memset(S.scan, 0, sizeof(S.scan));

	/* No state at all: never bound, never a reply, no scan. */
	{
		struct pol_packet pkt = { .src = A(OUTSIDE), .dst = A(INSIDE), .dir = POL_IN,
		    .proto = IPPROTO_UDP };

		pol_eval(P, &pkt, NULL, &d);
		ok(d.rule == 2, "a NULL state answers no");
	}
}

/* Rules past the first 64-bit word of the masks. */
static void
many_rules(void)
{
	char *text = NULL;
	size_t n;
	FILE *f = open_memstream(&text, &n);

	fputs("farm 198.51.100.0/24\n", f);
	for (int i = 0; i < 200; i++)
		fprintf(f, "inbound pass proto tcp to any port %d\n", 1000 + i);
	fputs("inbound reject\n", f);
	fclose(f);
	use(text);
	free(text);
	is(D(IN, TCP, OUTSIDE, 1, INSIDE, 1000).rule, 0, "rule 0");
	is(D(IN, TCP, OUTSIDE, 1, INSIDE, 1063).rule, 63, "rule 63");
	is(D(IN, TCP, OUTSIDE, 1, INSIDE, 1064).rule, 64, "rule 64");
	is(D(IN, TCP, OUTSIDE, 1, INSIDE, 1199).rule, 199, "rule 199");
	is(D(IN, TCP, OUTSIDE, 1, INSIDE, 1199).line, 201, "on line 201");
	is(D(IN, TCP, OUTSIDE, 1, INSIDE, 999).rule, 200, "the catch-all, rule 200");
}

int
main(void)
{
	actions();
	protos_and_addresses();
	ports();
	flags();
	icmp();
	reply();
	closed();
	scanner();
	bound();
	modifiers();
	laziness();
	many_rules();
	pol_free(P);
	return done_testing();
}
